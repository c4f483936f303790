package vm

import "github.com/hostagent/hostagent/protocol/vdsm"

// Verb is an engine verb whose acceptance depends on the VM's status.
type Verb int

const (
	VerbPause Verb = iota
	VerbCont
	VerbShutdown
	VerbReset
)

// Refuse is the error VDSM answers when verb cannot run in the VM's status, or nil when it can.
// The actor asks before it calls libvirt, so a refused verb changes nothing.
func Refuse(vmID string, s State, v Verb) *vdsm.Error {
	down := s.Status == vdsm.StatusDown
	switch v {
	case VerbPause:
		if down {
			// vm.py pause touches the disconnected domain of a Down VM, which raises
			// NotConnectedError: code 100 with its text.
			return vdsm.NotConnected(vmID)
		}
	case VerbCont:
		if !contAllowed(s) {
			// vm.py cont: response.error('unexpected') when _can_resume() is false.
			return vdsm.Unexpected()
		}
	case VerbShutdown, VerbReset:
		if down {
			// vm.py shutdown and reset raise a bare NoSuchVM() for a Down VM, without the
			// vmId context.
			return vdsm.NewError(vdsm.CodeNoSuchVM)
		}
	}
	return nil
}

// contAllowed: a Down VM has nothing to resume, and resuming would fight an outgoing migration
// (VDSM's _can_resume also refuses Saving State, which this agent never enters).
func contAllowed(s State) bool {
	return s.Status != vdsm.StatusDown && s.Status != "" && s.Status != vdsm.StatusMigrationSource
}
