package vm

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestReported(t *testing.T) {
	up := State{Status: vdsm.StatusUp, CPURunning: true, GuestEvent: vdsm.StatusPoweringUp, GuestEventTime: t0}
	with := func(f func(*State)) State {
		s := up
		f(&s)
		return s
	}
	tests := []struct {
		name       string
		s          State
		at         time.Duration
		last, want string
	}{
		{"powering up within the minute", up, 59 * time.Second, vdsm.StatusUp, vdsm.StatusPoweringUp},
		{"up after the minute", up, 60 * time.Second, vdsm.StatusUp, vdsm.StatusUp},
		{"no guest event", with(func(s *State) { s.GuestEvent, s.GuestEventTime = "", time.Time{} }), 0, vdsm.StatusUp, vdsm.StatusUp},
		{"reboot within the minute", with(func(s *State) { s.GuestEvent = vdsm.StatusRebootInProgress }), 30 * time.Second, vdsm.StatusUp, vdsm.StatusRebootInProgress},
		{"powering down for five minutes", with(func(s *State) { s.GuestEvent = vdsm.StatusPoweringDown }), 299 * time.Second, vdsm.StatusUp, vdsm.StatusPoweringDown},
		{"powering down over", with(func(s *State) { s.GuestEvent = vdsm.StatusPoweringDown }), 300 * time.Second, vdsm.StatusUp, vdsm.StatusUp},
		{"vCPUs stopped read Paused", with(func(s *State) { s.CPURunning = false }), 0, vdsm.StatusPaused, vdsm.StatusPaused},
		{"Powering down with stopped vCPUs reads Paused", with(func(s *State) { s.Status, s.CPURunning = vdsm.StatusPoweringDown, false }), 0, vdsm.StatusPaused, vdsm.StatusPaused},
		{"Powering down while releasing", with(func(s *State) { s.Status = vdsm.StatusPoweringDown }), 0, vdsm.StatusPoweringDown, vdsm.StatusPoweringDown},
		{"WaitForLaunch with stopped vCPUs", State{Status: vdsm.StatusWaitForLaunch}, 0, vdsm.StatusWaitForLaunch, vdsm.StatusWaitForLaunch},
		{"Down", State{Status: vdsm.StatusDown}, 0, vdsm.StatusDown, vdsm.StatusDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LastStatus(tt.s); got != tt.last {
				t.Errorf("LastStatus = %q, want %q", got, tt.last)
			}
			if got := Reported(tt.s, t0.Add(tt.at)); got != tt.want {
				t.Errorf("Reported = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStepBeforeCreated(t *testing.T) {
	events := []Event{StartSucceeded{}, LibvirtStopped{}, DestroyRequested{}, DestroyDone{}, PauseDone{}, ContDone{},
		LibvirtReboot{}, SetDestroyOnReboot{}, LibvirtRTCChange{Offset: 1}, DomainMissing{}}
	for _, e := range events {
		s, effects := Step(State{}, e, t0)
		if s.Status != "" || len(effects) != 0 {
			t.Errorf("%T before Created: state %+v, effects %v", e, s, effects)
		}
	}
}

func TestStepDoesNotShareExit(t *testing.T) {
	s, _ := Step(State{}, Created{}, t0)
	s, effects := Step(s, StartFailed{Reason: 3}, t0)
	meta := effects[0].(SaveMetadata).Meta
	meta.Exit.Message = "changed"
	if s.Exit.Message != vdsm.ExitMessage(3) {
		t.Fatalf("SaveMetadata's exit aliases the state's: %q", s.Exit.Message)
	}
}

func TestRefuse(t *testing.T) {
	st := func(status string) State { return State{Status: status, CPURunning: true} }
	tests := []struct {
		s    State
		v    Verb
		code int // 0: allowed
	}{
		{st(vdsm.StatusUp), VerbPause, 0},
		{st(vdsm.StatusDown), VerbPause, vdsm.CodeGeneralException},
		{st(vdsm.StatusPaused), VerbCont, 0},
		{st(vdsm.StatusUp), VerbCont, 0},
		{st(vdsm.StatusDown), VerbCont, vdsm.CodeUnexpected},
		{st(vdsm.StatusUp), VerbShutdown, 0},
		{st(vdsm.StatusDown), VerbShutdown, vdsm.CodeNoSuchVM},
		{st(vdsm.StatusDown), VerbReset, vdsm.CodeNoSuchVM},
		{st(vdsm.StatusPaused), VerbReset, 0},
	}
	for _, tt := range tests {
		err := Refuse("vm1", tt.s, tt.v)
		switch {
		case tt.code == 0 && err != nil:
			t.Errorf("Refuse(%s, %d) = %v, want allowed", tt.s.Status, tt.v, err)
		case tt.code != 0 && (err == nil || err.Code != tt.code):
			t.Errorf("Refuse(%s, %d) = %v, want code %d", tt.s.Status, tt.v, err, tt.code)
		}
	}
	// The bare message, without a vmId, for a Down VM.
	if err := Refuse("vm1", st(vdsm.StatusDown), VerbShutdown); err.Message != "Virtual machine does not exist" {
		t.Errorf("shutdown of a Down VM: %q", err.Message)
	}
}

func TestRecoverKeepsMetadata(t *testing.T) {
	start := t0.Add(-time.Hour).UnixMilli()
	s := RecoveredState(DomainRunning, RunningBooted, Metadata{StartTime: start, DestroyOnReboot: true}, t0)
	if s.Status != vdsm.StatusUp || !s.CPURunning || s.StartTime != start || !s.DestroyOnReboot {
		t.Fatalf("RecoveredState = %+v", s)
	}
	// Exit info of a running domain is stale (it was started again since); ignore it.
	s = RecoveredState(DomainRunning, RunningBooted, Metadata{StartTime: start, Exit: &Exit{Reason: 6}}, t0)
	if s.Status != vdsm.StatusUp {
		t.Fatalf("running domain with old exit info: %+v", s)
	}
}

func TestPayload(t *testing.T) {
	clock := NewClock(t0, time.Hour)
	running := State{Status: vdsm.StatusUp, CPURunning: false, PauseCode: vdsm.PauseCodeENOSPC, StartTime: t0.UnixMilli()}
	st := BuildStats("id", "name", running, nil, nil, DomainInfo{Type: "kvm"}, t0, clock, 0, true)
	down := State{Status: vdsm.StatusDown, Exit: Exit{Code: 0, Reason: 6, Message: "Admin shut down from the engine"}}
	dst := BuildStats("id", "name", down, nil, nil, DomainInfo{}, t0, clock, 0, true)
	tests := []struct {
		e    EmitStatus
		st   vdsm.VmStats
		want string
	}{
		{EmitStatus{Kind: PayloadStatus}, st, `{"status":"Paused"}`},
		{EmitStatus{Kind: PayloadIOError, IOError: &vdsm.IOErrorInfo{Alias: "ua-1", Name: "vda", Path: "/p"}}, st,
			`{"status":"Paused","pauseCode":"ENOSPC","ioerror":{"alias":"ua-1","name":"vda","path":"/p"}}`},
		{EmitStatus{Kind: PayloadGuest}, st,
			`{"status":"Paused","username":"Unknown","session":"Unknown","memUsage":"0","guestCPUCount":-1,"appsList":[],"guestIPs":"","guestFQDN":""}`},
		{EmitStatus{Kind: PayloadRunning}, st,
			`{"status":"Paused","elapsedTime":"0","monitorResponse":"0","clientIp":"","timeOffset":"0","pauseCode":"ENOSPC",` +
				`"cpuUser":"0.00","cpuSys":"0.00","cpuUsage":"0.00","cpuActual":false,"displayInfo":[]}`},
		{EmitStatus{Kind: PayloadDown}, dst,
			`{"status":"Down","vmId":"id","exitCode":0,"exitMessage":"Admin shut down from the engine","exitReason":6}`},
		// A Down VM only ever sends its exit record.
		{EmitStatus{Kind: PayloadStatus}, dst,
			`{"status":"Down","vmId":"id","exitCode":0,"exitMessage":"Admin shut down from the engine","exitReason":6}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.e.Payload(tt.st))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("%s payload:\n got %s\nwant %s", tt.e.Kind, b, tt.want)
		}
	}
}
