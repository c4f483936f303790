package host

import (
	"reflect"
	"testing"
)

func TestFeaturesFixture(t *testing.T) {
	r := fixture
	checks := []struct {
		name      string
		got, want any
	}{
		{"kvm", kvmUsable(r, []string{"vmx"}), false}, // a fixture cannot hold a character device
		{"rng", rngSources(r), []string{"random", "hwrng"}},
		{"selinux", selinuxMode(r), "1"},
		{"kdump", kdumpStatus(r), 1},
		{"autonuma", autoNUMABalancing(r), 1},
		{"iommu", hostdevPassthrough(r), true},
		{"nested", nestedVirtualization(r), true},
		{"realtime", realtimeKernel(r), false},
		{"fips", fipsEnabled(r), false},
		{"vnc tls", vncEncrypted(r), true},
		{"hugepages", hugepageSizes(r), []int{2048, 1048576}},
		{"affinity", selfAffinity(r), []int{0, 1, 2, 3}},
		{"cmdline", kernelArgs(r)[:11], "BOOT_IMAGE="},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}

// A bare root is a host with none of these features; nothing fails.
func TestFeaturesEmptyRoot(t *testing.T) {
	r := fsRoot(t.TempDir())
	checks := []struct {
		name      string
		got, want any
	}{
		{"kvm", kvmUsable(r, []string{"vmx"}), false},
		{"rng", rngSources(r), []string{"random"}},
		{"selinux", selinuxMode(r), "-1"},
		{"kdump", kdumpStatus(r), -1},
		{"autonuma", autoNUMABalancing(r), 2},
		{"iommu", hostdevPassthrough(r), false},
		{"nested", nestedVirtualization(r), false},
		{"vnc tls", vncEncrypted(r), false},
		{"hugepages", hugepageSizes(r), []int{}},
		{"affinity", selfAffinity(r), []int{}},
		{"cmdline", kernelArgs(r), ""},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestVNCTLSLastAssignmentWins(t *testing.T) {
	r := writeFiles(t, map[string]string{"etc/libvirt/qemu.conf": "vnc_tls = 1\n# vnc_tls = 0\nvnc_tls=0\n"})
	if vncEncrypted(r) {
		t.Error("vnc_tls=0 came last")
	}
}

// A regular file named /dev/kvm is not a KVM device even though it opens read-write.
func TestKVMNeedsCharDevice(t *testing.T) {
	if kvmUsable(writeFiles(t, map[string]string{"dev/kvm": ""}), []string{"vmx"}) {
		t.Error("regular file accepted as /dev/kvm")
	}
}

func TestKVMAccelerates(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags []string
		pvm   bool
		want  bool
	}{
		{"Intel VT-x", []string{"fpu", "vmx", "sse"}, false, true},
		{"AMD-V", []string{"fpu", "svm"}, false, true},
		{"no hardware virtualization", []string{"fpu", "hypervisor"}, false, false},
		{"kvm_pvm, as on a nested cloud guest", []string{"fpu", "hypervisor"}, true, false},
		{"kvm_pvm even with vmx", []string{"vmx"}, true, false},
		{"no flags", nil, false, false},
	} {
		if got := kvmAccelerates(c.flags, c.pvm); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
