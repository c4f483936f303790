package host

import (
	"os"
	"sort"
	"strings"
)

// The host facts below are each one file the kernel or a configuration exposes; each function
// answers VDSM's question for that capability key.

// kvmUsable reports whether a stock guest would really run accelerated here, which is what the
// engine takes kvmEnabled to mean: /dev/kvm is a device this process can open for reading and
// writing (existing but inaccessible is not enough), and kvmAccelerates with the CPU's flags
// (from /proc/cpuinfo).
func kvmUsable(r fsRoot, cpuFlags []string) bool {
	p := r.path("/dev/kvm")
	st, err := os.Stat(p)
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return kvmAccelerates(cpuFlags, r.exists("/sys/module/kvm_pvm"))
}

// kvmAccelerates: the CPU has hardware virtualization (vmx or svm), and KVM is not kvm_pvm
// (pagetable-based KVM for guests without it, under which a stock guest kernel never gets past
// its decompressor: /dev/kvm works, guests do not).
func kvmAccelerates(cpuFlags []string, pvm bool) bool {
	if pvm {
		return false
	}
	for _, f := range cpuFlags {
		if f == "vmx" || f == "svm" {
			return true
		}
	}
	return false
}

// rngSources lists the entropy sources a guest's virtio-rng may use: /dev/random always, the
// hardware RNG when the host has one.
func rngSources(r fsRoot) []string {
	out := []string{"random"}
	if r.exists("/dev/hwrng") {
		out = append(out, "hwrng")
	}
	return out
}

// selinuxMode is "1" enforcing, "0" permissive, "-1" when SELinux is off (no selinuxfs).
func selinuxMode(r fsRoot) string {
	switch r.str("/sys/fs/selinux/enforce") {
	case "1":
		return "1"
	case "0":
		return "0"
	}
	return "-1"
}

// kdumpStatus is 1 when a crash kernel is loaded, 0 when not, -1 when the kernel cannot say.
func kdumpStatus(r fsRoot) int {
	switch r.str("/sys/kernel/kexec_crash_loaded") {
	case "1":
		return 1
	case "0":
		return 0
	}
	return -1
}

// autoNUMABalancing is the kernel's numa_balancing setting: 0 off, 1 on, 2 unknown.
func autoNUMABalancing(r fsRoot) int {
	switch r.str("/proc/sys/kernel/numa_balancing") {
	case "0":
		return 0
	case "1":
		return 1
	}
	return 2
}

// hostdevPassthrough reports whether an IOMMU is active (VT-d/AMD-Vi): only then does the
// kernel populate IOMMU groups, and devices can be assigned to guests.
func hostdevPassthrough(r fsRoot) bool {
	return len(r.names("/sys/kernel/iommu_groups")) > 0
}

// nestedVirtualization reports whether the loaded KVM module lets guests run KVM themselves.
func nestedVirtualization(r fsRoot) bool {
	for _, m := range []string{"kvm_intel", "kvm_amd", "kvm_hv"} {
		switch r.str("/sys/module/" + m + "/parameters/nested") {
		case "Y", "1":
			return true
		}
	}
	return false
}

func realtimeKernel(r fsRoot) bool { return r.str("/sys/kernel/realtime") == "1" }

func fipsEnabled(r fsRoot) bool { return r.str("/proc/sys/crypto/fips_enabled") == "1" }

func kernelArgs(r fsRoot) string { return r.str("/proc/cmdline") }

// vncEncrypted reports whether libvirt's QEMU driver is set to use TLS for VNC (vnc_tls = 1 in
// qemu.conf), so the engine knows consoles are encrypted.
func vncEncrypted(r fsRoot) bool {
	b, err := r.read("/etc/libvirt/qemu.conf")
	if err != nil {
		return false
	}
	on := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == "vnc_tls" {
			on = strings.TrimSpace(v) == "1" // the last assignment wins, as in libvirt
		}
	}
	return on
}

// hugepageSizes lists the page sizes the kernel can hand out as huge pages, in KiB.
func hugepageSizes(r fsRoot) []int {
	out := []int{}
	for _, d := range r.names(hugepagesDir) {
		if n, ok := hugepageSize(d); ok {
			out = append(out, int(n))
		}
	}
	sort.Ints(out)
	return out
}

// selfAffinity is the set of CPUs this process may run on.
func selfAffinity(r fsRoot) []int {
	b, _ := r.read("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			if ids, err := parseCPUList(v); err == nil {
				return ids
			}
		}
	}
	return []int{}
}
