package vm

// Event is an input of the status machine. Commands (…Requested) are stepped when the engine
// asks, before the actor calls libvirt; facts (…Done, …Succeeded, …Failed, Libvirt…) are
// stepped after a call returned or when libvirt reported something. Details are libvirt's
// numbers (status_libvirt.go).
type Event interface{ isEvent() }

// Created: the VM was admitted to the registry; its domain does not run yet.
type Created struct {
	LaunchPaused    bool // start with the CPUs stopped (VDSM's launchPaused)
	DestroyOnReboot bool
}

// StartSucceeded: the domain was defined and started.
type StartSucceeded struct{}

// StartFailed: defining or starting the domain failed. Reason is ExitReasonGenericError (0 is
// taken as that) with the error text as Message, or ExitReasonLibvirtStartFailed.
type StartFailed struct {
	Reason  int
	Message string
}

// PauseDone: VM.pause suspended the domain.
type PauseDone struct{}

// ContDone: VM.cont resumed the domain.
type ContDone struct{}

// ShutdownRequested: VM.shutdown started powering the guest down (or rebooting it).
type ShutdownRequested struct{ Reboot bool }

// ResetDone: VM.reset reset the domain.
type ResetDone struct{}

// DestroyRequested: VM.destroy was called. The VM is removed once it is Down.
type DestroyRequested struct{}

// DestroyFailed: VM.destroy's DestroyDomain failed. The VM stays, Powering down, until the
// engine destroys it again or the domain stops.
type DestroyFailed struct{}

// DestroyDone: a DestroyDomain effect succeeded; the domain no longer runs.
type DestroyDone struct{}

// SetDestroyOnReboot: VM.setDestroyOnReboot; the next guest reboot destroys the VM.
type SetDestroyOnReboot struct{}

// DomainMissing: libvirt no longer knows the VM's domain.
type DomainMissing struct{}

// LibvirtStarted is the STARTED lifecycle event.
type LibvirtStarted struct{ Detail int }

// LibvirtSuspended is the SUSPENDED lifecycle event: the vCPUs stopped.
type LibvirtSuspended struct{ Detail int }

// LibvirtResumed is the RESUMED lifecycle event: the vCPUs run again.
type LibvirtResumed struct{ Detail int }

// LibvirtStopped is the STOPPED lifecycle event: the QEMU process is gone.
type LibvirtStopped struct{ Detail int }

// LibvirtShutdown is the SHUTDOWN lifecycle event: the guest finished shutting down, and who
// asked for it. STOPPED follows.
type LibvirtShutdown struct{ Detail int }

// LibvirtReboot is the REBOOT event: the guest rebooted.
type LibvirtReboot struct{}

// LibvirtIOError is the IO_ERROR_REASON event. Name and Path are the disk's target and source,
// resolved from Alias by the caller (empty when unknown); Reason is libvirt's ("enospc", or ""
// for anything else).
type LibvirtIOError struct {
	Alias, Name, Path string
	Reason            string
	Action            int
}

// LibvirtRTCChange is the RTC_CHANGE event: the guest set its clock Offset seconds from the
// host's.
type LibvirtRTCChange struct{ Offset int64 }

// Recovered: at agent start, an existing domain was found and is being attached to.
type Recovered struct {
	State, Reason int      // from virDomainGetState
	Meta          Metadata // from the domain's <metadata>
}

func (Created) isEvent()            {}
func (StartSucceeded) isEvent()     {}
func (StartFailed) isEvent()        {}
func (PauseDone) isEvent()          {}
func (ContDone) isEvent()           {}
func (ShutdownRequested) isEvent()  {}
func (ResetDone) isEvent()          {}
func (DestroyRequested) isEvent()   {}
func (DestroyDone) isEvent()        {}
func (DestroyFailed) isEvent()      {}
func (SetDestroyOnReboot) isEvent() {}
func (DomainMissing) isEvent()      {}
func (LibvirtStarted) isEvent()     {}
func (LibvirtSuspended) isEvent()   {}
func (LibvirtResumed) isEvent()     {}
func (LibvirtStopped) isEvent()     {}
func (LibvirtShutdown) isEvent()    {}
func (LibvirtReboot) isEvent()      {}
func (LibvirtIOError) isEvent()     {}
func (LibvirtRTCChange) isEvent()   {}
func (Recovered) isEvent()          {}
