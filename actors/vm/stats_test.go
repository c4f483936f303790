package vm

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// statsClock: the host booted 100 s before t0, so statusTime at t0+15s is 2^31-1 + 115000.
var statsClock = NewClock(t0, 100*time.Second)

var statsDomain = DomainInfo{
	UUID: "11111111-2222-3333-4444-555555555555", Name: "web1", Type: "kvm",
	MemoryKiB: 4 << 20, CurrentMemoryKiB: 3 << 20, ACPI: true,
	Graphics:     []Graphics{{Type: "vnc", Port: "5900", TLSPort: "-1", Listen: "192.0.2.10"}, {Type: "spice", Port: "5901", TLSPort: "5902"}},
	Interfaces:   []Interface{{MAC: "56:6f:00:00:00:01", Target: "tap-web1", Model: "virtio"}, {MAC: "56:6f:00:00:00:02", Target: "tap-web1b", Model: "rtl8139"}},
	Disks:        []Disk{{Target: "vda", Source: "/images/web1.qcow2", Device: "disk"}, {Target: "hdc", Device: "cdrom"}},
	BalloonModel: "virtio", DevicesHash: "-4242", MinGuaranteedMemoryMiB: 1024,
}

func statsSamples() (prev, cur *Sample) {
	prev = &Sample{
		Time: t0, State: DomainRunning, CPUTime: 10e9, CPUUser: 2e9, CPUSystem: 1e9, VCPUs: 2,
		BalloonCurKiB: 3 << 20, BalloonMaxKiB: 4 << 20,
		MemStats: map[string]uint64{MemStatAvailable: 3 << 20, MemStatUnused: 1 << 20, MemStatDiskCaches: 512 << 10,
			MemStatSwapIn: 0, MemStatSwapOut: 0, MemStatMajorFault: 100, MemStatMinorFault: 1000},
		Nets: []NetSample{{Name: "tap-web1", MAC: "56:6f:00:00:00:01", RxBytes: 1000, TxBytes: 2000},
			{Name: "tap-web1b", RxBytes: 5}},
		Disks: []DiskSample{{Name: "vda", RdBytes: 1 << 20, WrBytes: 2 << 20, RdReqs: 100, WrReqs: 200, FlReqs: 10,
			RdTimes: 1e6, WrTimes: 4e6, FlTimes: 1e5, Capacity: 10 << 30, Allocation: 1 << 30, Physical: 2 << 30}},
	}
	cur = &Sample{
		Time: t0.Add(15 * time.Second), State: DomainRunning, CPUTime: 13e9, CPUUser: 2.6e9, CPUSystem: 1.3e9, VCPUs: 2,
		BalloonCurKiB: 3 << 20, BalloonMaxKiB: 4 << 20,
		MemStats: map[string]uint64{MemStatAvailable: 3 << 20, MemStatUnused: 1 << 20, MemStatDiskCaches: 512 << 10,
			MemStatSwapIn: 30, MemStatSwapOut: 0, MemStatMajorFault: 130, MemStatMinorFault: 1172},
		Nets: []NetSample{{Name: "tap-web1", MAC: "56:6f:00:00:00:01", RxBytes: 151000, TxBytes: 32000, RxErrs: 1, TxDrop: 2},
			{Name: "tap-web1b", RxBytes: 10}, {Name: "tap-hotplugged", RxBytes: 1}},
		Disks: []DiskSample{{Name: "vda", RdBytes: 1<<20 + 15000, WrBytes: 2<<20 + 30720, RdReqs: 103, WrReqs: 230, FlReqs: 10,
			RdTimes: 1e6 + 4500, WrTimes: 4e6 + 1e6, FlTimes: 1e5, Capacity: 10 << 30, Allocation: 1 << 30, Physical: 2 << 30}},
	}
	return prev, cur
}

// The whole wire shape of a running VM with two samples, key by key.
func TestBuildStatsRunning(t *testing.T) {
	prev, cur := statsSamples()
	now := t0.Add(15 * time.Second)
	s := State{Status: vdsm.StatusUp, CPURunning: true, StartTime: t0.Add(-time.Hour).UnixMilli(),
		GuestEvent: vdsm.StatusPoweringUp, GuestEventTime: t0.Add(-time.Hour), TimeOffset: "-3600"}
	st := BuildStats(statsDomain.UUID, statsDomain.Name, s, prev, cur, statsDomain, now, statsClock, 0, true)
	want := `{
  "statusTime": "2147598647",
  "vmId": "11111111-2222-3333-4444-555555555555",
  "vmName": "web1",
  "vmType": "kvm",
  "kvmEnable": "true",
  "acpiEnable": "true",
  "status": "Up",
  "elapsedTime": "3615",
  "monitorResponse": "0",
  "clientIp": "",
  "timeOffset": "-3600",
  "cpuUser": "14.00",
  "cpuSys": "6.00",
  "cpuUsage": "3900000000",
  "cpuActual": true,
  "vcpuCount": "2",
  "network": {
    "tap-web1": {
      "macAddr": "56:6f:00:00:00:01",
      "name": "tap-web1",
      "speed": "1000",
      "state": "unknown",
      "rxErrors": "1",
      "rxDropped": "0",
      "txErrors": "0",
      "txDropped": "2",
      "rx": "151000",
      "tx": "32000",
      "sampleTime": 115
    },
    "tap-web1b": {
      "macAddr": "56:6f:00:00:00:02",
      "name": "tap-web1b",
      "speed": "100",
      "state": "unknown",
      "rxErrors": "0",
      "rxDropped": "0",
      "txErrors": "0",
      "txDropped": "0",
      "rx": "10",
      "tx": "0",
      "sampleTime": 115
    }
  },
  "disks": {
    "hdc": {
      "truesize": "0",
      "apparentsize": "0",
      "readLatency": "0",
      "writeLatency": "0",
      "flushLatency": "0",
      "writtenBytes": "0",
      "writeOps": "0",
      "readOps": "0",
      "readBytes": "0",
      "readRate": "0.0",
      "writeRate": "0.0"
    },
    "vda": {
      "truesize": "1073741824",
      "apparentsize": "2147483648",
      "readLatency": "1500.0",
      "writeLatency": "33333.333333333336",
      "flushLatency": "0",
      "writtenBytes": "2127872",
      "writeOps": "230",
      "readOps": "103",
      "readBytes": "1063576",
      "readRate": "1000.0",
      "writeRate": "2048.0"
    }
  },
  "balloonInfo": {
    "balloon_max": "4194304",
    "balloon_min": "1048576",
    "balloon_cur": "3145728",
    "balloon_target": "3145728",
    "ballooning_enabled": true
  },
  "memoryStats": {
    "mem_total": "3145728",
    "mem_unused": "1048576",
    "mem_free": "1572864",
    "swap_in": 2,
    "swap_out": 0,
    "majflt": 2,
    "minflt": 11,
    "pageflt": 13
  },
  "displayInfo": [
    {
      "type": "vnc",
      "port": "5900",
      "tlsPort": "-1",
      "ipAddress": "192.0.2.10"
    },
    {
      "type": "spice",
      "port": "5901",
      "tlsPort": "5902",
      "ipAddress": "0"
    }
  ],
  "hash": "-4242",
  "username": "Unknown",
  "session": "Unknown",
  "memUsage": "62",
  "guestCPUCount": -1,
  "appsList": [],
  "guestIPs": "",
  "guestFQDN": ""
}`
	got, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("running VmStats:\n%s\nwant:\n%s", got, want)
	}
}

func TestBuildStatsFewerThanTwoSamples(t *testing.T) {
	_, cur := statsSamples()
	s := State{Status: vdsm.StatusUp, CPURunning: true, StartTime: t0.UnixMilli()}
	for name, samples := range map[string][2]*Sample{"none": {nil, nil}, "one": {nil, cur}, "same time": {cur, cur}} {
		t.Run(name, func(t *testing.T) {
			r := BuildStats("id", "n", s, samples[0], samples[1], statsDomain, t0.Add(20*time.Second), statsClock, 0, true).Running
			if r.CPUUser != "0.00" || r.CPUSys != "0.00" || r.CPUUsage != "0.00" || r.CPUActual {
				t.Errorf("cpu = %q %q %q %v, want zeros and cpuActual false", r.CPUUser, r.CPUSys, r.CPUUsage, r.CPUActual)
			}
			if r.Network != nil {
				t.Errorf("network without two samples: %v", r.Network)
			}
			if samples[0] == nil && r.Disks != nil {
				t.Errorf("disks without two samples: %v", r.Disks)
			}
			if samples[1] == nil {
				if r.BalloonInfo != nil || r.MemoryStats != nil || r.VCPUCount != "" {
					t.Errorf("sample-based keys without a sample: %+v %+v %q", r.BalloonInfo, r.MemoryStats, r.VCPUCount)
				}
				return
			}
			if r.MemoryStats == nil || r.MemoryStats.SwapIn != nil {
				t.Errorf("memoryStats from one sample: %+v, want sizes only", r.MemoryStats)
			}
		})
	}
}

func TestBuildStatsCounterReset(t *testing.T) {
	prev, cur := statsSamples()
	// QEMU restarted between the samples: the counters went back to almost nothing.
	cur.CPUTime, cur.CPUUser, cur.CPUSystem = 1e9, 1e8, 1e8
	r := BuildStats("id", "n", State{Status: vdsm.StatusUp, CPURunning: true}, prev, cur, statsDomain, cur.Time, statsClock, 0, true).Running
	if r.CPUUser != "0.00" || r.CPUSys != "0.00" || !r.CPUActual {
		t.Errorf("cpu after a counter reset = %q %q %v, want 0.00 0.00 true", r.CPUUser, r.CPUSys, r.CPUActual)
	}
}

func TestBuildStatsWithoutDevices(t *testing.T) {
	prev, cur := statsSamples()
	prev.MemStats, cur.MemStats = nil, nil
	prev.Nets, cur.Nets = nil, nil
	prev.Disks, cur.Disks = nil, nil
	dom := DomainInfo{Type: "kvm"}
	st := BuildStats("id", "n", State{Status: vdsm.StatusUp, CPURunning: true}, prev, cur, dom, cur.Time, statsClock, 0, false)
	b, _ := json.Marshal(st)
	for _, key := range []string{`"network"`, `"disks"`, `"balloonInfo"`, `"memoryStats"`, `"pauseCode"`, `"hash"`} {
		if bytes.Contains(b, []byte(key)) {
			t.Errorf("%s present without data: %s", key, b)
		}
	}
	for _, key := range []string{`"displayInfo":[]`, `"appsList":[]`, `"monitorResponse":"-1"`, `"memUsage":"0"`, `"acpiEnable":"false"`, `"elapsedTime":"0"`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("%s missing: %s", key, b)
		}
	}
}

func TestBuildStatsDown(t *testing.T) {
	s := State{Status: vdsm.StatusDown, Exit: Exit{Code: 1, Reason: 2, Message: "Lost connection with qemu process"}, TimeOffset: "7200"}
	st := BuildStats("vm-1", "n", s, nil, nil, statsDomain, t0, statsClock, 0, true)
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"statusTime":"2147583647","status":"Down","vmId":"vm-1","exitCode":1,"exitMessage":"Lost connection with qemu process","exitReason":2,"timeOffset":"7200"}`
	if string(b) != want {
		t.Errorf("Down VmStats:\n got %s\nwant %s", b, want)
	}
}

func TestBuildStatsReportsGuestStatus(t *testing.T) {
	s := State{Status: vdsm.StatusUp, CPURunning: true, GuestEvent: vdsm.StatusRebootInProgress, GuestEventTime: t0}
	if got := BuildStats("id", "n", s, nil, nil, statsDomain, t0.Add(time.Second), statsClock, 0, true).Status(); got != vdsm.StatusRebootInProgress {
		t.Errorf("status = %q", got)
	}
}

func TestBalloonModelNone(t *testing.T) {
	_, cur := statsSamples()
	dom := statsDomain
	dom.BalloonModel = "none"
	b := balloonInfo(cur, dom)
	if b == nil || b.BallooningEnabled {
		t.Fatalf("balloon model none: %+v", b)
	}
	dom.BalloonModel = ""
	if b := balloonInfo(cur, dom); b != nil {
		t.Fatalf("no balloon device: %+v", b)
	}
}

func TestSampleFresh(t *testing.T) {
	s := &Sample{Time: t0}
	for _, tt := range []struct {
		cur  *Sample
		at   time.Duration
		want bool
	}{
		{nil, time.Hour, true},
		{s, 59 * time.Second, true},
		{s, 60 * time.Second, false},
	} {
		if got := SampleFresh(tt.cur, t0.Add(tt.at)); got != tt.want {
			t.Errorf("SampleFresh(%v, +%v) = %v", tt.cur != nil, tt.at, got)
		}
	}
}

func TestPyFloat(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0.0", 1024: "1024.0", 1365.3333333333333: "1365.3333333333333", 0.5: "0.5",
		1e16: "1e+16", 0.00001: "1e-05", 123456789012345.6: "123456789012345.6",
	} {
		if got := pyFloat(f); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestMemUsage(t *testing.T) {
	for _, tt := range []struct {
		free string
		mem  uint64
		want string
	}{
		{"1048576", 4 << 20, "75"},
		{"1572864", 4 << 20, "62"}, // 62.5 truncates
		{"0", 4 << 20, "100"},
		{"1048576", 0, "0"},
		{"x", 4 << 20, "0"},
	} {
		if got := memUsage(tt.free, tt.mem); got != tt.want {
			t.Errorf("memUsage(%s, %d) = %q, want %q", tt.free, tt.mem, got, tt.want)
		}
	}
}

// A vNIC whose host-side name is not in the XML the agent holds (libvirt named it at start) is
// still matched to its interface by MAC.
func TestNetworkMatchedByMAC(t *testing.T) {
	prev, cur := statsSamples()
	dom := statsDomain
	dom.Interfaces = []Interface{{MAC: "56:6F:00:00:00:01", Model: "e1000"}}
	r := BuildStats("id", "n", State{Status: vdsm.StatusUp, CPURunning: true}, prev, cur, dom, cur.Time, statsClock, 0, true).Running
	n, ok := r.Network["tap-web1"]
	if !ok || n.Speed != "1000" || n.MACAddr != "56:6F:00:00:00:01" {
		t.Errorf("tap-web1 = %+v", n)
	}
	if n := r.Network["tap-web1b"]; n.Speed != "100" || n.MACAddr != "" {
		t.Errorf("unknown vNIC = %+v", n)
	}
}
