package vm

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// agentEvent parses the agent's events in transcripts (testdata/vmstatus/guest_agent.txt). The
// guest's info is a hostname, enough to see it carried.
func agentEvent(name string) Event {
	info := vdsm.NoGuestInfo()
	info.GuestFQDN = "guest"
	switch name {
	case "AgentUp":
		return AgentUp{Info: &info}
	case "AgentReport":
		return AgentReport{Info: &info}
	}
	return nil
}

// The agent's first answer and the status: VDSM's _qga_capability_check with _getVmStatus.
func TestAgentUpStatus(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	now := t0.Add(10 * time.Second)
	info := &vdsm.GuestInfo{GuestFQDN: "guest"}
	for _, tc := range []struct {
		name     string
		s        State
		reported string
		emit     bool
	}{
		{"booting", State{Status: vdsm.StatusUp, CPURunning: true, GuestEvent: vdsm.StatusPoweringUp, GuestEventTime: t0}, vdsm.StatusUp, true},
		{"rebooting", State{Status: vdsm.StatusUp, CPURunning: true, GuestEvent: vdsm.StatusRebootInProgress, GuestEventTime: t0, AgentStatus: vdsm.StatusUp}, vdsm.StatusUp, true},
		{"up long, agent new (recovered)", State{Status: vdsm.StatusUp, CPURunning: true}, vdsm.StatusUp, true},
		{"up, agent back after a failure", State{Status: vdsm.StatusUp, CPURunning: true, GuestEvent: vdsm.StatusUp, GuestEventTime: t0, AgentStatus: vdsm.StatusUp}, vdsm.StatusUp, false},
		{"powering down stays so", State{Status: vdsm.StatusUp, CPURunning: true, GuestEvent: vdsm.StatusPoweringDown, GuestEventTime: t0}, vdsm.StatusPoweringDown, true},
		{"paused", State{Status: vdsm.StatusUp, GuestEvent: vdsm.StatusPoweringUp, GuestEventTime: t0}, vdsm.StatusPaused, true},
		{"down", State{Status: vdsm.StatusDown}, vdsm.StatusDown, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, fx := Step(tc.s, AgentUp{Info: info}, now)
			if got := Reported(s, now); got != tc.reported {
				t.Errorf("reported %q, want %q", got, tc.reported)
			}
			if emit := len(fx) == 1 && fx[0] == (EmitStatus{Kind: PayloadGuest}); emit != tc.emit || (!emit && len(fx) != 0) {
				t.Errorf("effects %v, want a guest status event: %v", fx, tc.emit)
			}
			if tc.s.Status != vdsm.StatusDown && s.Guest != info {
				t.Errorf("guest info not kept: %v", s.Guest)
			}
		})
	}
}

// The guest's info reaches VM.getStats and the guest status event; without an agent VDSM's
// defaults stay.
func TestAgentInfoInStats(t *testing.T) {
	now := time.Unix(1e9, 0)
	s := State{Status: vdsm.StatusUp, CPURunning: true, GuestEvent: vdsm.StatusPoweringUp, GuestEventTime: now}
	if g := BuildStats("id", "n", s, nil, nil, DomainInfo{}, now, NewClock(now, time.Hour), 0, true).Running.GuestInfo; g.Username != "Unknown" || g.GuestCPUCount != -1 || g.NetIfaces != nil {
		t.Fatalf("no agent: %+v", g)
	}
	info := &vdsm.GuestInfo{Username: "root", GuestFQDN: "guest", NetIfaces: &[]vdsm.NetIface{{Name: "eth0", Inet: []string{"192.0.2.2"}, Inet6: []string{}}}}
	s, fx := Step(s, AgentUp{Info: info}, now)
	st := EventStats("id", "n", s, nil, nil, DomainInfo{}, now, NewClock(now, time.Hour), 0, true)
	p, ok := fx[0].(EmitStatus).Payload(st).(vdsm.GuestStatus)
	if !ok || p.Status != vdsm.StatusUp || p.GuestFQDN != "guest" || p.Username != "root" || len(*p.NetIfaces) != 1 {
		t.Fatalf("guest status event: %+v", p)
	}
	s, fx = Step(s, AgentReport{Info: &vdsm.GuestInfo{GuestFQDN: "renamed"}}, now)
	if len(fx) != 0 || BuildStats("id", "n", s, nil, nil, DomainInfo{}, now, NewClock(now, time.Hour), 0, true).Running.GuestFQDN != "renamed" {
		t.Fatalf("a report: effects %v, state %+v", fx, s)
	}
}

// The guest keys a source passes in VM.migrationCreate's parameters and the destination starts
// from (VDSM's migration_parameters and migrated_guest_info), through their JSON as on the wire.
func TestMigrationGuestKeys(t *testing.T) {
	eth0 := []vdsm.NetIface{{Name: "eth0", HW: "52:54:00:00:00:01", Inet: []string{"192.0.2.2"}, Inet6: []string{}}}
	spoke := vdsm.NoGuestInfo()
	spoke.GuestFQDN, spoke.Username, spoke.GuestName = "guest", "root", "guest"
	spoke.GuestOsInfo = &vdsm.GuestOsInfo{Type: "linux"}
	listed := spoke
	listed.NetIfaces = &eth0
	for _, tc := range []struct {
		name   string
		guest  *vdsm.GuestInfo
		params string // as the source sends them
		want   string // the destination's guest info, as JSON; "null": none
	}{
		{"no agent", nil, `null`, `null`},
		{"agent spoke, no NICs listed", &spoke, `{"guestFQDN":"guest","username":"root"}`,
			`{"username":"root","session":"Unknown","memUsage":"0","guestCPUCount":-1,"appsList":[],"guestIPs":"","guestFQDN":"guest"}`},
		{"agent listed NICs", &listed, `{"guestFQDN":"guest","netIfaces":[{"name":"eth0","hw":"52:54:00:00:00:01","inet":["192.0.2.2"],"inet6":[]}],"username":"root"}`,
			`{"username":"root","session":"Unknown","memUsage":"0","guestCPUCount":-1,"appsList":[],"guestIPs":"","guestFQDN":"guest","netIfaces":[{"name":"eth0","hw":"52:54:00:00:00:01","inet":["192.0.2.2"],"inet6":[]}]}`},
	} {
		p := migrationGuestParams(State{Status: vdsm.StatusUp, Guest: tc.guest})
		b, _ := json.Marshal(p)
		if string(b) != tc.params {
			t.Errorf("%s: params\n got %s\nwant %s", tc.name, b, tc.params)
			continue
		}
		var raw map[string]json.RawMessage
		_ = json.Unmarshal(b, &raw)
		if got, _ := json.Marshal(migratedGuest(raw)); string(got) != tc.want {
			t.Errorf("%s: destination\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
	// A VDSM source sends the three keys always, with its defaults when its agent said nothing;
	// a key that does not parse is left out. An empty NIC list is no list: VDSM's destination
	// reports netIfaces only when it has some (guestagent.py getGuestInfo), and an empty one
	// would wipe the engine's view of the guest's NICs for the time of the migration.
	for _, tc := range []struct{ params, want string }{
		{`{"guestFQDN":"","username":"Unknown","netIfaces":[]}`,
			`{"username":"Unknown","session":"Unknown","memUsage":"0","guestCPUCount":-1,"appsList":[],"guestIPs":"","guestFQDN":""}`},
		{`{"guestFQDN":7,"username":"root","netIfaces":"eth0"}`,
			`{"username":"root","session":"Unknown","memUsage":"0","guestCPUCount":-1,"appsList":[],"guestIPs":"","guestFQDN":""}`},
		{`{"vmId":"x","elapsedTimeOffset":3.5}`, `null`},
	} {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tc.params), &raw); err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(migratedGuest(raw)); string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.params, got, tc.want)
		}
	}
}
