package vm

import "github.com/hostagent/hostagent/protocol/vdsm"

// Effect is something the actor must do because of a step, in the order Step returns them.
// The status machine decides; the actor only carries out.
type Effect interface{ isEffect() }

// PayloadKind says which VM_status payload an EmitStatus sends.
type PayloadKind int

const (
	PayloadRunning   PayloadKind = iota // the VM reached Up: status and every running key
	PayloadStatus                       // {status}: pause, cont
	PayloadDown                         // the Down record, sent exactly once
	PayloadIOError                      // {status, pauseCode, ioerror}: a disk error paused the VM
	PayloadGuest                        // {status, guest keys}: the guest's own status changed
	PayloadPauseCode                    // {status, pauseCode}: an outgoing migration entered post-copy
)

func (k PayloadKind) String() string {
	switch k {
	case PayloadRunning:
		return "running"
	case PayloadStatus:
		return "status"
	case PayloadDown:
		return "down"
	case PayloadIOError:
		return "ioerror"
	case PayloadGuest:
		return "guest"
	case PayloadPauseCode:
		return "pausecode"
	}
	return "unknown"
}

// EmitStatus: send a |virt|VM_status|<vmId> event. Build the VM's stats at the moment of
// sending and let Payload cut the event out of them.
type EmitStatus struct {
	Kind    PayloadKind
	IOError *vdsm.IOErrorInfo // only for PayloadIOError
}

// Payload is the event's details, taken from stats built with BuildStats after the step.
func (e EmitStatus) Payload(st vdsm.VmStats) any {
	if st.Down != nil {
		// Whatever was asked, a Down VM only ever reports its exit record, without statusTime.
		d := *st.Down
		d.StatusTime = ""
		return d
	}
	r := st.Running
	if r == nil {
		return vdsm.StatusOnly{}
	}
	switch e.Kind {
	case PayloadRunning:
		return r.RunningStatus
	case PayloadIOError:
		p := vdsm.IOErrorStatus{Status: r.Status, PauseCode: r.PauseCode}
		if e.IOError != nil {
			p.IOError = *e.IOError
		}
		return p
	case PayloadGuest:
		return vdsm.GuestStatus{Status: r.Status, GuestInfo: r.GuestInfo}
	case PayloadPauseCode:
		return vdsm.PauseCodeStatus{Status: r.Status, PauseCode: r.PauseCode}
	}
	return vdsm.StatusOnly{Status: r.Status}
}

// SaveMetadata: write Meta into the domain's <metadata> (MetadataXML), so start time and exit
// information survive an agent restart. Failing because the domain is already gone is
// expected and harmless.
type SaveMetadata struct{ Meta Metadata }

// DestroyDomain: power the domain off. Step DestroyDone once it is off.
type DestroyDomain struct{}

// Remove: the VM is Down and VM.destroy asked for it to go: undefine the domain and drop the
// VM from the registry. Nothing is reported.
type Remove struct{}

func (EmitStatus) isEffect()    {}
func (SaveMetadata) isEffect()  {}
func (DestroyDomain) isEffect() {}
func (Remove) isEffect()        {}
