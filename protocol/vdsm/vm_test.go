package vdsm

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The texts are compared with VDSM's virt/vmstatus.py and virt/vmexitreason.py.
func TestVMStatusStrings(t *testing.T) {
	want := map[string]string{
		StatusWaitForLaunch: "WaitForLaunch", StatusPoweringUp: "Powering up", StatusUp: "Up",
		StatusPoweringDown: "Powering down", StatusRebootInProgress: "RebootInProgress", StatusPaused: "Paused",
		StatusMigrationSource: "Migration Source", StatusMigrationDestination: "Migration Destination",
		StatusSavingState: "Saving State", StatusRestoringState: "Restoring state", StatusDown: "Down",
	}
	for got, w := range want {
		if got != w {
			t.Errorf("status %q, want %q", got, w)
		}
	}
}

func TestExitMessage(t *testing.T) {
	want := []string{
		"VM terminated succesfully",
		"VM terminated with error",
		"Lost connection with qemu process",
		"failed to start libvirt vm",
		"Migration succeeded",
		"SaveState succeeded",
		"Admin shut down from the engine",
		"User shut down from within the guest",
		"VM failed to migrate",
		"Failed to find the libvirt domain",
		"VM destroyed during the startup",
		"VM has been terminated on the host",
		"Migration failed in post-copy",
		"Down as a part of the reboot process",
		"Down because paused for too long",
	}
	for reason, w := range want {
		if got := ExitMessage(reason); got != w {
			t.Errorf("ExitMessage(%d) = %q, want %q", reason, got, w)
		}
	}
	for _, reason := range []int{-1, 15, 99} {
		if got := ExitMessage(reason); got != "VM terminated" {
			t.Errorf("ExitMessage(%d) = %q, want the unknown-reason text", reason, got)
		}
	}
	if ExitReasonDestroyedOnPauseTimeout != 14 || ExitReasonAdminShutdown != 6 || ExitCodeError != 1 || ExitCodeNormal != 0 {
		t.Error("exit numbers moved")
	}
}

func TestEventTime(t *testing.T) {
	if got := EventTime(1500 * time.Millisecond); got != 2147485147 {
		t.Errorf("EventTime = %d", got)
	}
	if got := StatusTime(0); got != "2147483647" {
		t.Errorf("StatusTime(0) = %q", got)
	}
}

func TestVmStatsJSON(t *testing.T) {
	down := VmStats{Down: &DownVmStats{StatusTime: "2147483648", Status: StatusDown, VMID: "v", ExitCode: 0,
		ExitMessage: "Admin shut down from the engine", ExitReason: 6}}
	running := VmStats{Running: &RunningVmStats{
		StatusTime: "2147483648", VMID: "v", VMName: "n", VMType: "kvm", KVMEnable: "true", ACPIEnable: "true",
		RunningStatus: RunningStatus{Status: StatusUp, ElapsedTime: "5", MonitorResponse: "0", TimeOffset: "0",
			CPUUser: "0.00", CPUSys: "0.00", CPUUsage: "0.00", DisplayInfo: []DisplayInfo{}},
		GuestInfo: NoGuestInfo(),
	}}
	tests := []struct {
		name string
		st   VmStats
		want string
	}{
		// exitCode and exitReason are ints even when 0; timeOffset only once the guest set its clock.
		{"down", down, `{"statusTime":"2147483648","status":"Down","vmId":"v","exitCode":0,` +
			`"exitMessage":"Admin shut down from the engine","exitReason":6}`},
		{"running", running, `{"statusTime":"2147483648","vmId":"v","vmName":"n","vmType":"kvm","kvmEnable":"true",` +
			`"acpiEnable":"true","status":"Up","elapsedTime":"5","monitorResponse":"0","clientIp":"","timeOffset":"0",` +
			`"cpuUser":"0.00","cpuSys":"0.00","cpuUsage":"0.00","cpuActual":false,"displayInfo":[],` +
			`"username":"Unknown","session":"Unknown","memUsage":"0","guestCPUCount":-1,"appsList":[],"guestIPs":"","guestFQDN":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.st)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("marshal:\n got %s\nwant %s", b, tt.want)
			}
			var back VmStats
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.st) {
				t.Errorf("round trip: %+v", back)
			}
			if back.Status() != tt.st.Status() || back.VMID() != "v" {
				t.Errorf("Status/VMID = %q/%q", back.Status(), back.VMID())
			}
		})
	}
	if _, err := json.Marshal(VmStats{}); err == nil {
		t.Error("an empty VmStats marshalled")
	}
	if (VmStats{}).Status() != "" || (VmStats{}).VMID() != "" {
		t.Error("empty VmStats has a status or id")
	}
}

func TestVmStatsList(t *testing.T) {
	// Host.getAllVmStats answers a list mixing both variants.
	list := []VmStats{
		{Down: &DownVmStats{Status: StatusDown, VMID: "a", ExitCode: 1, ExitReason: 2, ExitMessage: "m", TimeOffset: "3600"}},
		{Running: &RunningVmStats{VMID: "b", RunningStatus: RunningStatus{Status: StatusPaused, PauseCode: PauseCodeEIO}}},
	}
	b, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back[0]["timeOffset"] != "3600" || back[0]["exitCode"] != 1.0 || back[1]["pauseCode"] != "EIO" {
		t.Errorf("list: %s", b)
	}
	if _, ok := back[0]["cpuUser"]; ok {
		t.Errorf("Down entry carries running keys: %s", b)
	}
}

func TestVmShortStatusJSON(t *testing.T) {
	b, _ := json.Marshal(VmShortStatus{VMID: "v", Status: StatusUp, StatusTime: "2147483648"})
	if string(b) != `{"vmId":"v","status":"Up","statusTime":"2147483648"}` {
		t.Errorf("VmShortStatus: %s", b)
	}
}

func TestVMStatusEvent(t *testing.T) {
	if got := VMStatusMethod("v-1"); got != "|virt|VM_status|v-1" {
		t.Errorf("method %q", got)
	}
	b, err := json.Marshal(VMStatusParams{VMID: "v-1", Details: StatusOnly{Status: StatusPaused}, NotifyTime: 2147583647})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"notify_time":2147583647,"v-1":{"status":"Paused"}}` {
		t.Errorf("params: %s", b)
	}
	for _, tt := range []struct {
		p    any
		want string
	}{
		{PauseCodeStatus{Status: StatusPaused, PauseCode: PauseCodePostcopy}, `{"status":"Paused","pauseCode":"POSTCOPY"}`},
		{IOErrorStatus{Status: StatusPaused, PauseCode: PauseCodeENOSPC, IOError: IOErrorInfo{Alias: "ua-1"}},
			`{"status":"Paused","pauseCode":"ENOSPC","ioerror":{"alias":"ua-1"}}`},
		{DownVmStats{Status: StatusDown, VMID: "v", ExitCode: 1, ExitReason: 2, ExitMessage: "m"},
			`{"status":"Down","vmId":"v","exitCode":1,"exitMessage":"m","exitReason":2}`},
	} {
		b, _ := json.Marshal(tt.p)
		if string(b) != tt.want {
			t.Errorf("payload %s, want %s", b, tt.want)
		}
	}
}

// The catalogue's answers, byte for byte as VDSM renders them.
func TestErrorCatalogue(t *testing.T) {
	cases := []struct {
		got  *Error
		code int
		msg  string
	}{
		// common/exception.py GeneralException.__str__: "%s: %s" % (msg, repr(self.value)).
		{GeneralException("'xml'"), 100, `General Exception: ("'xml'",)`},
		{GeneralException("internal error: x"), 100, `General Exception: ('internal error: x',)`},
		{NotConnected("v1"), 100, `General Exception: ("VM 'v1' was not defined yet or was undefined",)`},
		{DestroyFailed(), 42, "Virtual machine destroy error"},
		{ResetFailed("gone"), 90, "Failed to reset VM.: {'reason': 'gone'}"},
		{Unexpected(), 16, "Unexpected exception"},
		{VMExists(), 4, "Virtual machine already exists"},
		{NoSuchVM("v1"), 1, "Virtual machine does not exist: {'vmId': 'v1'}"},
		{Internal("'v1'"), -32603, `Internal JSON-RPC error: {'reason': "'v1'"}`},
	}
	for _, c := range cases {
		if c.got.Code != c.code || c.got.Message != c.msg {
			t.Errorf("got %d %q, want %d %q", c.got.Code, c.got.Message, c.code, c.msg)
		}
	}
	if got := PyTuple("a", 1); got != "('a', 1)" {
		t.Errorf("PyTuple of two: %s", got)
	}
	if got := PyTuple(); got != "()" {
		t.Errorf("empty PyTuple: %s", got)
	}
}
