package vm

import (
	"encoding/json"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// The status machine's part of QEMU's guest agent (vm.py _getVmStatus, qemuguestagent.py
// _qga_capability_check): the agent's first answer after a boot says the guest is up.

// AgentUp: QEMU's guest agent answered guest-info where it was not known (first contact, or
// first since a reboot). Info is the guest's info with that answer in.
type AgentUp struct{ Info *vdsm.GuestInfo }

// AgentReport: the guest agent told something; Info is the guest's info now.
type AgentReport struct{ Info *vdsm.GuestInfo }

func (AgentUp) isEvent()     {}
func (AgentReport) isEvent() {}

// agentStep handles the agent's events. A Down VM keeps what it had: nothing runs to answer.
func agentStep(s State, e Event, now time.Time) (State, []Effect, bool) {
	switch e := e.(type) {
	case AgentReport:
		if s.Status != vdsm.StatusDown {
			s.Guest = e.Info
		}
		return s, nil, true
	case AgentUp:
		if s.Status == vdsm.StatusDown {
			return s, nil, true
		}
		s.Guest = e.Info
		starting := s.GuestEvent == vdsm.StatusPoweringUp || s.GuestEvent == vdsm.StatusRebootInProgress
		if s.AgentStatus == vdsm.StatusUp && !starting {
			return s, nil, true // the agent was known up already: no change to report
		}
		s.AgentStatus = vdsm.StatusUp
		if starting {
			// VDSM remembers the guest is up, so it stays Up if the agent goes away before
			// GUEST_WAIT_TIMEOUT runs out.
			s.GuestEvent, s.GuestEventTime = vdsm.StatusUp, now
		}
		return s, []Effect{EmitStatus{Kind: PayloadGuest}}, true
	}
	return s, nil, false
}

// guestInfoOf is what the VM reports of its guest: the agent's info, or VDSM's no-agent
// defaults.
func guestInfoOf(s State) vdsm.GuestInfo {
	if s.Guest == nil {
		return vdsm.NoGuestInfo()
	}
	return *s.Guest
}

// The guest keys VDSM's source passes in VM.migrationCreate's parameters (vm.py
// migration_parameters) and its destination starts from (Vm.__init__'s migrated_guest_info), so
// the engine keeps them while the destination's agent has not answered yet.
const (
	paramGuestFQDN = "guestFQDN"
	paramUsername  = "username"
	paramNetIfaces = "netIfaces"
)

// migrationGuestParams are the guest keys a source adds to the destination's parameters. A VM
// whose agent never said anything sends none (the destination starts from VDSM's defaults, as
// it would anyway); the NICs go only once the agent listed them.
func migrationGuestParams(s State) map[string]any {
	if s.Guest == nil {
		return nil
	}
	p := map[string]any{paramGuestFQDN: s.Guest.GuestFQDN, paramUsername: s.Guest.Username}
	if s.Guest.NetIfaces != nil {
		p[paramNetIfaces] = *s.Guest.NetIfaces
	}
	return p
}

// migratedGuest is the guest's info a destination starts from: VDSM's defaults with whichever of
// the source's keys the parameters hold (one that does not parse is left out, as VDSM takes what
// is there; an empty NIC list too, which VDSM's destination does not report); nil when none.
func migratedGuest(params map[string]json.RawMessage) *vdsm.GuestInfo {
	g, found := vdsm.NoGuestInfo(), false
	var fqdn, user string
	if raw, ok := params[paramGuestFQDN]; ok && json.Unmarshal(raw, &fqdn) == nil {
		g.GuestFQDN, found = fqdn, true
	}
	if raw, ok := params[paramUsername]; ok && json.Unmarshal(raw, &user) == nil {
		g.Username, found = user, true
	}
	var ifs []vdsm.NetIface
	if raw, ok := params[paramNetIfaces]; ok && json.Unmarshal(raw, &ifs) == nil && len(ifs) > 0 {
		g.NetIfaces, found = &ifs, true
	}
	if !found {
		return nil
	}
	return &g
}
