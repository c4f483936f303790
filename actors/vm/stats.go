package vm

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// MonitorTimeout is how old a VM's latest sample may get before the VM is reported as not
// responding (VDSM's vm_command_timeout).
const MonitorTimeout = 60 * time.Second

// Sample is one reading of a domain's counters, filled by package virt from libvirt. Counters
// are cumulative; rates come from the difference of two samples.
type Sample struct {
	Time      time.Time
	State     int    // libvirt domain state
	CPUTime   uint64 // ns, all of the QEMU process
	CPUUser   uint64 // ns
	CPUSystem uint64 // ns
	VCPUs     int    // online vCPUs; 0 when unknown

	BalloonCurKiB uint64
	BalloonMaxKiB uint64
	// MemStats is the balloon driver's report, keyed by the MemStat* names (libvirt's bulk
	// stats names without "balloon."). Sizes are KiB, faults and swap are counts.
	MemStats map[string]uint64

	Nets  []NetSample
	Disks []DiskSample
}

// Keys of Sample.MemStats, with the virDomainMemoryStatTags virt reads them from: swap_in 0,
// swap_out 1, major_fault 2, minor_fault 3, unused 4, available 5, actual 6, rss 7, usable 8,
// disk_caches 10.
const (
	MemStatSwapIn     = "swap_in"
	MemStatSwapOut    = "swap_out"
	MemStatMajorFault = "major_fault"
	MemStatMinorFault = "minor_fault"
	MemStatUnused     = "unused"
	MemStatAvailable  = "available"
	MemStatActual     = "actual"
	MemStatRSS        = "rss"
	MemStatUsable     = "usable"
	MemStatDiskCaches = "disk_caches"
)

// NetSample is one vNIC's counters; Name is its host-side device.
type NetSample struct {
	Name, MAC                      string
	RxBytes, TxBytes               uint64
	RxErrs, TxErrs, RxDrop, TxDrop uint64
}

// DiskSample is one drive's counters (times in ns) and sizes (bytes); Name is its target.
type DiskSample struct {
	Name                           string
	RdBytes, WrBytes               uint64
	RdReqs, WrReqs, FlReqs         uint64
	RdTimes, WrTimes, FlTimes      uint64
	Capacity, Allocation, Physical uint64
}

// SampleFresh says whether cur is recent enough for the VM to count as responding. No sample
// yet is not a failure: the first bulk round has not run.
func SampleFresh(cur *Sample, now time.Time) bool {
	return cur == nil || now.Sub(cur.Time) < MonitorTimeout
}

// BuildStats is a VM's VmStats at now, as VM.getStats and Host.getAllVmStats answer, from its
// state, its two latest samples (either may be nil), its domain XML and, while it is a
// migration's source, the migration's progress (percent). monitorOK false reports the VM as not
// responding.
func BuildStats(id, name string, s State, prev, cur *Sample, dom DomainInfo, now time.Time, clock Clock, progress int, monitorOK bool) vdsm.VmStats {
	if postCopySource(s) { // status_migration.go
		// vm.py getStats: the guest runs on the destination, whose agent reports its running
		// stats; the source keeps the migration's progress and the pause code. VDSM switches at
		// libvirt's acceptance of the switch (PostCopyPhase.REQUESTED), this read model at
		// libvirt's SUSPENDED/postcopy, which follows it at once: only the VM actor knows the
		// former.
		return vdsm.VmStats{PostCopy: &vdsm.PostCopyVmStats{
			StatusTime:        clock.StatusTime(now),
			Status:            Reported(s, now),
			VMID:              id,
			VMName:            name,
			VMType:            VMType(dom.Type),
			KVMEnable:         "true",
			ACPIEnable:        strconv.FormatBool(dom.ACPI),
			MigrationProgress: progress,
			PauseCode:         s.PauseCode,
		}}
	}
	return EventStats(id, name, s, prev, cur, dom, now, clock, progress, monitorOK)
}

// EventStats is the VmStats VM_status events are cut from (EmitStatus.Payload): VDSM builds them
// from _getRunningVmStats, not getStats, so a source in post-copy keeps its running stats here.
func EventStats(id, name string, s State, prev, cur *Sample, dom DomainInfo, now time.Time, clock Clock, progress int, monitorOK bool) vdsm.VmStats {
	status := Reported(s, now)
	statusTime := clock.StatusTime(now)
	if status == vdsm.StatusDown {
		return vdsm.VmStats{Down: &vdsm.DownVmStats{
			StatusTime:  statusTime,
			Status:      status,
			VMID:        id,
			ExitCode:    s.Exit.Code,
			ExitMessage: s.Exit.Message,
			ExitReason:  s.Exit.Reason,
			TimeOffset:  s.TimeOffset,
		}}
	}

	r := &vdsm.RunningVmStats{
		StatusTime: statusTime,
		VMID:       id,
		VMName:     name,
		VMType:     VMType(dom.Type),
		KVMEnable:  "true",
		ACPIEnable: strconv.FormatBool(dom.ACPI),
		GuestInfo:  guestInfoOf(s),
	}
	rs := &r.RunningStatus
	rs.Status = status
	rs.ElapsedTime = elapsed(s.StartTime, now)
	rs.MonitorResponse = "0"
	if !monitorOK {
		rs.MonitorResponse = "-1"
	}
	rs.TimeOffset = s.TimeOffset
	if rs.TimeOffset == "" {
		rs.TimeOffset = "0"
	}
	rs.PauseCode = s.PauseCode
	if s.Status == vdsm.StatusMigrationSource {
		// vm.py _getRunningVmStats, while isMigrating().
		rs.MigrationProgress = &progress
	}
	rs.DisplayInfo = displayInfo(dom.Graphics)
	rs.Hash = dom.DevicesHash
	rs.WatchdogEvent = s.Watchdog
	rs.VCPUUserLimit, rs.VCPUQuota, rs.VCPUPeriod = tuneStats(dom)

	// Rates need two samples some time apart; VDSM treats a non-positive interval as no data.
	var interval float64
	if prev != nil && cur != nil {
		interval = cur.Time.Sub(prev.Time).Seconds()
	}
	rs.CPUUser, rs.CPUSys, rs.CPUUsage, rs.CPUActual = cpuStats(prev, cur, interval)
	if cur != nil && cur.VCPUs > 0 {
		rs.VCPUCount = strconv.Itoa(cur.VCPUs)
	}
	if prev != nil && cur != nil {
		if interval > 0 {
			rs.Network = networkStats(prev, cur, dom.Interfaces, clock.Monotonic(now))
		}
		rs.Disks = diskStats(prev, cur, dom.Disks, interval)
	}
	rs.BalloonInfo = balloonInfo(cur, dom)
	rs.MemoryStats = memoryStats(prev, cur, interval)
	if rs.MemoryStats != nil {
		r.MemUsage = memUsage(rs.MemoryStats.MemFree, dom.MemoryKiB)
	}
	return vdsm.VmStats{Running: r}
}

// elapsed is whole seconds since the start time, never negative.
func elapsed(startMs int64, now time.Time) string {
	if startMs == 0 {
		return "0"
	}
	secs := (now.UnixMilli() - startMs) / 1000
	return strconv.FormatInt(max(secs, 0), 10)
}

// VMType is the vmType of a domain of this type. A test-driver domain stands in for a KVM one
// (the engine knows no "test" VM type), so it reads as kvm.
func VMType(domainType string) string {
	if domainType == "test" {
		return "kvm"
	}
	return domainType
}

func displayInfo(gs []Graphics) []vdsm.DisplayInfo {
	out := make([]vdsm.DisplayInfo, 0, len(gs))
	for _, g := range gs {
		ip := g.Listen
		if ip == "" {
			ip = "0"
		}
		out = append(out, vdsm.DisplayInfo{Type: g.Type, Port: g.Port, TLSPort: g.TLSPort, IPAddress: ip})
	}
	return out
}

// cpuStats follows VDSM's historical names: cpuSys is user+system time (the QEMU threads'
// share), cpuUser is the rest of the guest's CPU time, both as percent of one CPU over the
// interval.
func cpuStats(prev, cur *Sample, interval float64) (user, sys, usage string, actual bool) {
	if prev == nil || cur == nil || interval <= 0 {
		return "0.00", "0.00", "0.00", false
	}
	usage = strconv.FormatUint(cur.CPUUser+cur.CPUSystem, 10)
	sysNs := delta(cur.CPUUser, prev.CPUUser) + delta(cur.CPUSystem, prev.CPUSystem)
	totalNs := delta(cur.CPUTime, prev.CPUTime)
	percent := func(ns float64) string {
		// Counters restart with the QEMU process; never report a negative share.
		return strconv.FormatFloat(max(100*ns/interval/1e9, 0), 'f', 2, 64)
	}
	return percent(totalNs - sysNs), percent(sysNs), usage, true
}

func delta(cur, prev uint64) float64 { return float64(cur) - float64(prev) }

// networkStats reports the vNICs present in both samples, enriched from the domain XML.
func networkStats(prev, cur *Sample, ifaces []Interface, mono time.Duration) map[string]vdsm.VMNetworkStats {
	out := make(map[string]vdsm.VMNetworkStats)
	for _, n := range cur.Nets {
		if n.Name == "" || findNet(prev.Nets, n.Name) == nil {
			continue // hot-plugged since the previous sample
		}
		mac, model := n.MAC, ""
		if iface := findInterface(ifaces, n.Name, n.MAC); iface != nil {
			if iface.MAC != "" {
				mac = iface.MAC
			}
			model = iface.Model
		}
		speed := "100"
		switch model {
		case "e1000", "e1000e", "virtio":
			speed = "1000"
		}
		out[n.Name] = vdsm.VMNetworkStats{
			MACAddr:    mac,
			Name:       n.Name,
			Speed:      speed,
			State:      "unknown",
			RxErrors:   strconv.FormatUint(n.RxErrs, 10),
			RxDropped:  strconv.FormatUint(n.RxDrop, 10),
			TxErrors:   strconv.FormatUint(n.TxErrs, 10),
			TxDropped:  strconv.FormatUint(n.TxDrop, 10),
			Rx:         strconv.FormatUint(n.RxBytes, 10),
			Tx:         strconv.FormatUint(n.TxBytes, 10),
			SampleTime: mono.Seconds(),
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func findNet(ns []NetSample, name string) *NetSample {
	for i := range ns {
		if ns[i].Name == name {
			return &ns[i]
		}
	}
	return nil
}

func findInterface(ifaces []Interface, target, mac string) *Interface {
	for i := range ifaces {
		if ifaces[i].Target == target {
			return &ifaces[i]
		}
	}
	for i := range ifaces {
		if mac != "" && strings.EqualFold(ifaces[i].MAC, mac) {
			return &ifaces[i]
		}
	}
	return nil
}

// diskStats reports every drive of the domain, plus any sampled drive the XML lacks; a drive
// not in both samples gets VDSM's zero values.
func diskStats(prev, cur *Sample, disks []Disk, interval float64) map[string]vdsm.VMDiskStats {
	out := make(map[string]vdsm.VMDiskStats)
	for _, d := range disks {
		if d.Target != "" {
			out[d.Target] = diskEntry(findDisk(prev.Disks, d.Target), findDisk(cur.Disks, d.Target), interval)
		}
	}
	for i := range cur.Disks {
		name := cur.Disks[i].Name
		if _, ok := out[name]; !ok && name != "" {
			out[name] = diskEntry(findDisk(prev.Disks, name), &cur.Disks[i], interval)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func findDisk(ds []DiskSample, name string) *DiskSample {
	for i := range ds {
		if ds[i].Name == name {
			return &ds[i]
		}
	}
	return nil
}

func diskEntry(p, c *DiskSample, interval float64) vdsm.VMDiskStats {
	e := vdsm.VMDiskStats{
		TrueSize: "0", ApparentSize: "0",
		ReadLatency: "0", WriteLatency: "0", FlushLatency: "0",
		WrittenBytes: "0", WriteOps: "0", ReadOps: "0", ReadBytes: "0",
		ReadRate: "0.0", WriteRate: "0.0",
	}
	if c == nil {
		return e
	}
	e.TrueSize = strconv.FormatUint(c.Allocation, 10)
	e.ApparentSize = strconv.FormatUint(c.Physical, 10)
	if p == nil {
		return e
	}
	if interval > 0 {
		e.ReadRate = pyFloat(delta(c.RdBytes, p.RdBytes) / interval)
		e.WriteRate = pyFloat(delta(c.WrBytes, p.WrBytes) / interval)
	}
	e.ReadLatency = latency(delta(c.RdTimes, p.RdTimes), delta(c.RdReqs, p.RdReqs))
	e.WriteLatency = latency(delta(c.WrTimes, p.WrTimes), delta(c.WrReqs, p.WrReqs))
	e.FlushLatency = latency(delta(c.FlTimes, p.FlTimes), delta(c.FlReqs, p.FlReqs))
	e.ReadOps = strconv.FormatUint(c.RdReqs, 10)
	e.WriteOps = strconv.FormatUint(c.WrReqs, 10)
	e.ReadBytes = strconv.FormatUint(c.RdBytes, 10)
	e.WrittenBytes = strconv.FormatUint(c.WrBytes, 10)
	return e
}

// latency is ns per operation over the interval; "0" (an int, as VDSM writes it) without any.
func latency(ns, ops float64) string {
	if ops == 0 {
		return "0"
	}
	return pyFloat(ns / ops)
}

// pyFloat renders f as Python's str(float) does, which is what VDSM sends for rates and
// latencies: shortest round-trip digits, always with a fraction or an exponent.
func pyFloat(f float64) string {
	if a := math.Abs(f); a != 0 && (a >= 1e16 || a < 1e-4) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// balloonInfo is sent whole once the domain has a balloon and a sample exists; MOM would
// compute wrong targets from part of it.
func balloonInfo(cur *Sample, dom DomainInfo) *vdsm.BalloonInfo {
	if cur == nil || dom.BalloonModel == "" {
		return nil
	}
	maxKiB := cur.BalloonMaxKiB
	if maxKiB == 0 {
		maxKiB = dom.MemoryKiB
	}
	return &vdsm.BalloonInfo{
		BalloonMax:        strconv.FormatUint(maxKiB, 10),
		BalloonMin:        strconv.FormatInt(dom.MinGuaranteedMemoryMiB*1024, 10),
		BalloonCur:        strconv.FormatUint(cur.BalloonCurKiB, 10),
		BalloonTarget:     strconv.FormatUint(dom.CurrentMemoryKiB, 10),
		BallooningEnabled: dom.BalloonModel != "none",
	}
}

// memoryStats needs the guest's balloon driver to report; without it VDSM sends nothing.
func memoryStats(prev, cur *Sample, interval float64) *vdsm.VMMemoryStats {
	if cur == nil {
		return nil
	}
	avail, ok := cur.MemStats[MemStatAvailable]
	if !ok {
		return nil
	}
	unused := cur.MemStats[MemStatUnused]
	m := &vdsm.VMMemoryStats{
		MemTotal:  strconv.FormatUint(avail, 10),
		MemUnused: strconv.FormatUint(unused, 10),
		// Free memory includes the guest's reclaimable caches.
		MemFree: strconv.FormatUint(unused+cur.MemStats[MemStatDiskCaches], 10),
	}
	if prev == nil || interval <= 0 {
		return m
	}
	rate := func(key string) *int64 {
		v := int64(math.RoundToEven(delta(cur.MemStats[key], prev.MemStats[key]) / interval))
		return &v
	}
	m.SwapIn = rate(MemStatSwapIn)
	m.SwapOut = rate(MemStatSwapOut)
	m.MajFlt = rate(MemStatMajorFault)
	m.MinFlt = rate(MemStatMinorFault)
	pageflt := *m.MajFlt + *m.MinFlt
	m.PageFlt = &pageflt
	return m
}

// memUsage is the percent of the VM's memory in use, from the balloon's free memory, as VDSM
// computes it when no guest agent reports one.
func memUsage(memFreeKiB string, memoryKiB uint64) string {
	free, err := strconv.ParseFloat(memFreeKiB, 64)
	memMiB := memoryKiB / 1024
	if err != nil || memMiB == 0 {
		return "0"
	}
	return strconv.Itoa(int(100 - free/1024/float64(memMiB)*100))
}
