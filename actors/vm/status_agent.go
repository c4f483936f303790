package vm

import (
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
