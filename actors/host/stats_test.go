package host

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

var (
	t0    = time.Date(2024, 3, 2, 9, 32, 44, 0, time.UTC)
	t1    = t0.Add(10 * time.Second)
	start = t0.Add(-100 * time.Second)
)

// Two samples 10 s apart. Per-CPU tick deltas (user nice system idle iowait irq softirq), each
// CPU accounting 1000 ticks:
//
//	cpu0  250 50 100  500 50 25 25  -> user 30.00 sys 15.00 idle 55.00
//	cpu1  100  0  50  850  0  0  0  -> user 10.00 sys  5.00 idle 85.00
//	cpu2    0  0   0 1000  0  0  0  -> user  0.00 sys  0.00 idle 100.00
//	cpu3  334  0 110  556  0  0  0  -> user 33.40 sys 11.00 idle 55.60
//	all   734 user+nice, 310 sys+irq+softirq of 4000 -> 18.35 / 7.75 / 73.90
//
// The agent used 30 user and 10 system ticks in the 10 s: 3.00 % and 1.00 % of a CPU.
func TestStatsTwoSamples(t *testing.T) {
	root := copyTree(t, string(fixture))
	s := NewSampler(root, start)
	if err := s.Sample(t0); err != nil {
		t.Fatal(err)
	}
	overlay(t, fixtureLater, root)
	if err := s.Sample(t1); err != nil {
		t.Fatal(err)
	}
	st := s.Stats(VMCounts{Total: 5, Active: 2, Migrating: 2, Incoming: 1, Outgoing: 1}, t1)

	eq := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", name, got, want)
		}
	}
	eq("cpuUser", st.CPUUser, "18.35")
	eq("cpuSys", st.CPUSys, "7.75")
	eq("cpuIdle", st.CPUIdle, "73.90")
	eq("cpuStatistics", st.CPUStatistics, map[string]vdsm.CPUCoreStats{
		"0": {NodeIndex: 0, CPUUser: "30.00", CPUSys: "15.00", CPUIdle: "55.00"},
		"1": {NodeIndex: 0, CPUUser: "10.00", CPUSys: "5.00", CPUIdle: "85.00"},
		"2": {NodeIndex: 1, CPUUser: "0.00", CPUSys: "0.00", CPUIdle: "100.00"},
		"3": {NodeIndex: 1, CPUUser: "33.40", CPUSys: "11.00", CPUIdle: "55.60"},
	})
	eq("cpuUserVdsmd", st.CPUUserVdsmd, "3.00")
	eq("cpuSysVdsmd", st.CPUSysVdsmd, "1.00")
	eq("cpuLoad", st.CPULoad, "0.58")

	// MemFree+Cached+Buffers = 10240000 of 16384000 kB: 62.5 % free-or-cached, 38 % used.
	eq("memUsed", st.MemUsed, "38")
	eq("memFree", st.MemFree, int64(10200)) // + SReclaimable, in MiB
	eq("swapTotal", st.SwapTotal, int64(4096))
	eq("swapFree", st.SwapFree, int64(4000))
	eq("anonHugePages", st.AnonHugePages, "200")
	eq("thpState", st.THPState, "madvise")
	eq("hugepages", st.Hugepages, map[string]vdsm.HugepageState{
		"2048":    {FreeHugepages: 4, NrHugepages: 8, NrHugepagesMempolicy: 8, ResvHugepages: 1, VMFreeHugepages: 4},
		"1048576": {},
	})
	base := u64(basePageKiB())
	eq("numaNodeMemFree", st.NUMANodeMemFree, map[string]vdsm.NUMANodeMemoryStats{
		"0": {MemFree: "4000", MemPercent: 50, Hugepages: map[string]vdsm.NUMAHugepageStats{
			base: {FreePages: int64(4096000 / basePageKiB())}, "2048": {FreePages: 2}, "1048576": {FreePages: 0}}},
		"1": {MemFree: "2000", MemPercent: 75, Hugepages: map[string]vdsm.NUMAHugepageStats{
			base: {FreePages: int64(2048000 / basePageKiB())}, "2048": {FreePages: 2}, "1048576": {FreePages: 0}}},
	})

	eq("elapsedTime", st.ElapsedTime, "110")
	eq("bootTime", st.BootTime, "1700000000")
	eq("dateTime", st.DateTime, "2024-03-02T09:32:54 GMT")

	eq("network count", len(st.Network), 8)
	at := float64(t1.Unix())
	eq("eth0", st.Network["eth0"], vdsm.InterfaceStats{
		Name: "eth0", State: "up", Speed: "10000", Rx: "19876543", Tx: "2234567",
		RxErrors: "2", TxErrors: "0", RxDropped: "7", TxDropped: "1", Duplex: "full", SampleTime: at,
	})
	eq("lo", st.Network["lo"].State, "up")
	eq("lo duplex", st.Network["lo"].Duplex, "unknown")
	eq("eth2 duplex", st.Network["eth2"].Duplex, "unknown")
	eq("eth2", st.Network["eth2"].State, "down")
	// VDSM's speeds: a NIC's own when it is up (eth0, eth1), the active slave's for an
	// active-backup bond, the bond's for a VLAN on it, and 1000 for a NIC that is down (eth2,
	// wlp2s0) and for every other kind, though the kernel may know one (the bridge's sysfs has
	// none here; a veth's says 10000).
	speeds := map[string]string{}
	for name, n := range st.Network {
		speeds[name] = n.Speed
	}
	eq("speeds", speeds, map[string]string{
		"eth0": "10000", "eth1": "10000", "bond0": "10000", "bond0.100": "10000",
		"eth2": "1000", "wlp2s0": "1000", "lo": "1000", "ovirtmgmt": "1000",
	})
	// Crossed, as VDSM's netstats.report() sends them: rxDropped is the transmit drops' sum.
	eq("rxDropped", st.RxDropped, "1")
	eq("txDropped", st.TxDropped, "17") // 7 + 3 + 3 + 4

	eq("diskStats keys", len(st.DiskStats), 3)
	for _, p := range []string{"/tmp", "/var/log", "/run/vdsm/"} {
		if st.DiskStats[p].Free == "" {
			t.Errorf("diskStats %s missing", p)
		}
	}

	eq("vmCount", st.VMCount, 5)
	eq("vmActive", st.VMActive, 2)
	eq("vmMigrating", st.VMMigrating, 2)
	eq("incoming", st.IncomingVMMigrations, 1)
	eq("outgoing", st.OutgoingVMMigrations, 1)
	eq("momStatus", st.MOMStatus, "disabled")
	eq("ksm", []any{st.KSMState, st.KSMPages, st.KSMMergeAcrossNodes, st.MemShared, st.KSMCPU}, []any{false, int64(0), true, int64(0), int64(0)})
	eq("haStats", st.HAStats, vdsm.HostedEngineHA{})
	eq("netConfigDirty", st.NetConfigDirty, "False")

	m := checkStatsWire(t, st)
	if _, ok := m["haScore"]; ok {
		t.Error("haScore sent without hosted engine")
	}
}

// With one sample the rates run from boot (host) and from process start (agent): the fixture's
// counters since boot are 1000 user, 700 system+irq+softirq of 10000 ticks; the agent, started
// 100 s before the sample, used 200 and 100 ticks.
func TestStatsOneSample(t *testing.T) {
	s := NewSampler(string(fixture), start)
	if err := s.Sample(t0); err != nil {
		t.Fatal(err)
	}
	st := s.Stats(VMCounts{}, t0)
	if st.CPUUser != "10.00" || st.CPUSys != "7.00" || st.CPUIdle != "83.00" {
		t.Errorf("cpu %s %s %s", st.CPUUser, st.CPUSys, st.CPUIdle)
	}
	if c := st.CPUStatistics["3"]; c != (vdsm.CPUCoreStats{NodeIndex: 1, CPUUser: "10.00", CPUSys: "7.00", CPUIdle: "83.00"}) {
		t.Errorf("cpu3 %+v", c)
	}
	if st.CPUUserVdsmd != "2.00" || st.CPUSysVdsmd != "1.00" {
		t.Errorf("agent %s %s", st.CPUUserVdsmd, st.CPUSysVdsmd)
	}
	if st.ElapsedTime != "100" {
		t.Errorf("elapsed %s", st.ElapsedTime)
	}
	checkStatsWire(t, st)
}

// Before any sample, Stats still answers with every key: idle CPUs, nothing measured.
func TestStatsNoSample(t *testing.T) {
	st := NewSampler(string(fixture), start).Stats(VMCounts{Total: 1}, t0)
	if st.CPUIdle != "100.00" || st.VMCount != 1 || st.BootTime != "" || st.ElapsedTime != "100" {
		t.Errorf("%+v", st)
	}
	checkStatsWire(t, st)
}

// A failed sample keeps the previous ones.
func TestSampleFailureKeepsSamples(t *testing.T) {
	root := copyTree(t, string(fixture))
	s := NewSampler(root, start)
	if err := s.Sample(t0); err != nil {
		t.Fatal(err)
	}
	broken := NewSampler(t.TempDir(), start)
	if err := broken.Sample(t1); err == nil {
		t.Fatal("sample of an empty root succeeded")
	}
	s.root = fsRoot(t.TempDir())
	if err := s.Sample(t1); err == nil {
		t.Fatal("sample without /proc/stat succeeded")
	}
	if st := s.Stats(VMCounts{}, t1); st.CPUUser != "10.00" {
		t.Errorf("first sample lost: %s", st.CPUUser)
	}
}

// A CPU that comes online between samples has no rate yet and is left out.
func TestStatsCPUHotplug(t *testing.T) {
	root := copyTree(t, string(fixture))
	s := NewSampler(root, start)
	if err := s.Sample(t0); err != nil {
		t.Fatal(err)
	}
	writeTo(t, root, "proc/stat", "cpu  2000 0 1000 16000 0 0 0 0\ncpu0 500 0 250 4000 0 0 0 0\ncpu4 10 0 10 80 0 0 0 0\nbtime 1700000000\n")
	if err := s.Sample(t1); err != nil {
		t.Fatal(err)
	}
	st := s.Stats(VMCounts{}, t1)
	if _, ok := st.CPUStatistics["4"]; ok || len(st.CPUStatistics) != 1 {
		t.Errorf("%+v", st.CPUStatistics)
	}
}

func TestStatsRealHost(t *testing.T) {
	s := NewSampler("/", time.Now().Add(-time.Minute))
	if err := s.Sample(time.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.Sample(time.Now()); err != nil {
		t.Fatal(err)
	}
	st := s.Stats(VMCounts{}, time.Now())
	checkStatsWire(t, st)
	if elapsed, _ := strconv.Atoi(st.ElapsedTime); len(st.CPUStatistics) == 0 || len(st.Network) == 0 || st.BootTime == "" || elapsed < 60 {
		t.Errorf("cpus %d nets %d boot %q elapsed %s", len(st.CPUStatistics), len(st.Network), st.BootTime, st.ElapsedTime)
	}
	t.Logf("cpu %s/%s/%s load %s mem used %s%% free %d MiB disks %v", st.CPUUser, st.CPUSys, st.CPUIdle, st.CPULoad, st.MemUsed, st.MemFree, st.DiskStats)
}

// The sampler may be fed by a timer goroutine while the actor reads it.
func TestSamplerConcurrentUse(t *testing.T) {
	s := NewSampler(string(fixture), start)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			_ = s.Sample(t0.Add(time.Duration(i) * time.Second))
		}
	}()
	for i := 0; i < 20; i++ {
		_ = s.Stats(VMCounts{}, t1)
	}
	<-done
	if st := s.Stats(VMCounts{}, t1); st.BootTime != "1700000000" {
		t.Errorf("%+v", st)
	}
}
