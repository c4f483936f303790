// Package vm holds the VM actors and their pure core. The core — the status machine (Step,
// Reported, RecoveredState), VmStats building (BuildStats) and the domain XML and metadata codecs —
// does no I/O and never imports libvirt: it turns facts into a new state and a list of
// effects, and the actor carries the effects out through package virt.
package vm

import (
	"strconv"
	"strings"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// Windows in which the reported status follows the guest rather than the domain (VDSM's
// GUEST_WAIT_TIMEOUT and five times it for a shutdown).
const (
	GuestWaitTimeout    = 60 * time.Second
	ShutdownWaitTimeout = 5 * GuestWaitTimeout
)

// State is one VM's status as the agent knows it. Step returns a new State; nothing mutates one
// in place.
type State struct {
	// Status is VDSM's internal lastStatus: "" before Created, then a vdsm.Status* string.
	Status string
	// CPURunning follows pause/cont and libvirt's SUSPENDED/RESUMED, so a VM suspended behind
	// the agent's back still reads Paused.
	CPURunning bool
	// PauseCode is why the VM is paused ("" when it is not, or nobody knows).
	PauseCode string
	// Exit is the exit record; meaningful only once Status is Down.
	Exit Exit
	// ShutdownReason is the exit reason latched for the next stop of the domain; 0 when none
	// (reason 0 is never a shutdown reason).
	ShutdownReason int
	// GuestEvent is what the guest is believed to be doing (Powering up, Powering down,
	// RebootInProgress) since GuestEventTime.
	GuestEvent     string
	GuestEventTime time.Time
	// StartTime is when the domain last booted, unix ms; elapsedTime counts from it.
	StartTime       int64
	DestroyOnReboot bool
	LaunchPaused    bool
	// Removing: VM.destroy was called; the VM goes away once Down.
	Removing bool
	// TimeOffset is the guest clock's offset from the host in seconds, "" until the guest set it.
	TimeOffset string
	// PostCopy: the VM's outgoing migration runs in post-copy (libvirt's SUSPENDED/postcopy on
	// the source): the guest runs on the destination now (status_migration.go).
	PostCopy bool
	// AgentStatus is the guest's status as QEMU's guest agent shows it: Up once the agent
	// answered, "" before (status_agent.go). Guest is what the agent reported, nil before;
	// it is replaced, never changed in place.
	AgentStatus string
	Guest       *vdsm.GuestInfo
	// Watchdog is the guest watchdog's last firing, nil before one (status_watchdog.go); it is
	// replaced, never changed in place.
	Watchdog *vdsm.WatchdogEvent
}

// Exit is a Down VM's exit record.
type Exit struct {
	Code    int
	Reason  int
	Message string
}

// pausedStates read as Paused while the vCPUs are stopped (VDSM's PAUSED_STATES).
func pausedState(status string) bool {
	switch status {
	case vdsm.StatusUp, vdsm.StatusPoweringDown, vdsm.StatusRebootInProgress:
		return true
	}
	return false
}

// LastStatus is the status Host.getVMList, VM.create's answer and the host's VM counters show:
// the internal status, read as Paused while the vCPUs are stopped.
func LastStatus(s State) string {
	if !s.CPURunning && pausedState(s.Status) {
		return vdsm.StatusPaused
	}
	return s.Status
}

// Reported is the status VM.getStats, Host.getAllVmStats and VM_status events show. Within a
// minute of a start, reset or reboot an Up VM reads as what the guest is doing, and within five
// minutes of a shutdown request as Powering down.
func Reported(s State, now time.Time) string {
	if postCopySource(s) { // status_migration.go
		return vdsm.StatusPaused
	}
	last := LastStatus(s)
	if last != vdsm.StatusUp {
		return last
	}
	since := now.Sub(s.GuestEventTime)
	if s.GuestEvent == vdsm.StatusPoweringDown && since < ShutdownWaitTimeout {
		return vdsm.StatusPoweringDown
	}
	if s.GuestEvent != "" && since < GuestWaitTimeout {
		return s.GuestEvent
	}
	return vdsm.StatusUp
}

// Step applies one event. Down is terminal: once there, only VM.destroy (Remove) and metadata
// changes do anything, so a second Down-causing event emits nothing.
func Step(s State, e Event, now time.Time) (State, []Effect) {
	if r, ok := e.(Recovered); ok {
		return recovered(r, now)
	}
	if s.Status == "" {
		if c, ok := e.(Created); ok {
			return created(c, now), nil
		}
		if c, ok := e.(IncomingCreated); ok { // status_migration.go
			return incomingCreated(c), nil
		}
		return s, nil // nothing exists yet to act on
	}
	if st, fx, ok := migrationStep(s, e); ok { // status_migration.go
		return st, fx
	}
	if st, fx, ok := migrationLibvirt(s, e); ok { // status_migration.go
		return st, fx
	}
	if st, fx, ok := agentStep(s, e, now); ok { // status_agent.go
		return st, fx
	}
	switch e := e.(type) {
	case StartSucceeded:
		return started(s)
	case LibvirtStarted:
		return started(s)
	case StartFailed:
		return startFailed(s, e)
	case PauseDone:
		return paused(s)
	case ContDone:
		return continued(s)
	case ShutdownRequested:
		return shutdownRequested(s, e, now), nil
	case ResetDone:
		if s.Status == vdsm.StatusDown {
			return s, nil
		}
		s.GuestEvent, s.GuestEventTime = vdsm.StatusRebootInProgress, now
		return s, nil
	case LibvirtReboot:
		return rebooted(s, now)
	case DestroyRequested:
		return destroyRequested(s)
	case DestroyDone:
		return stopped(s)
	case DestroyFailed:
		s.Removing = false
		return s, nil
	case SetDestroyOnReboot:
		s.DestroyOnReboot = true
		return s, []Effect{SaveMetadata{Meta: metadataOf(s)}}
	case DomainMissing:
		return domainMissing(s)
	case LibvirtSuspended:
		return suspended(s, e)
	case LibvirtResumed:
		return resumed(s, e)
	case LibvirtStopped:
		return libvirtStopped(s, e)
	case LibvirtShutdown:
		return shutdownLatched(s, e), nil
	case LibvirtIOError:
		return ioError(s, e)
	case LibvirtRTCChange:
		s.TimeOffset = strconv.FormatInt(e.Offset, 10)
		return s, nil
	case LibvirtWatchdog:
		return watchdogFired(s, e, now), nil
	}
	return s, nil
}

func created(c Created, now time.Time) State {
	return State{
		Status:          vdsm.StatusWaitForLaunch,
		StartTime:       now.UnixMilli(),
		LaunchPaused:    c.LaunchPaused,
		DestroyOnReboot: c.DestroyOnReboot,
		GuestEvent:      vdsm.StatusPoweringUp,
	}
}

func starting(s State) bool { return s.Status == vdsm.StatusWaitForLaunch }

// started handles both the start call returning and libvirt's STARTED, whichever comes first.
func started(s State) (State, []Effect) {
	switch {
	case starting(s):
		s.CPURunning = !s.LaunchPaused
		if s.LaunchPaused {
			s.PauseCode = vdsm.PauseCodeNoErr
		}
		return reachedUp(s)
	case s.Status == vdsm.StatusDown && s.Removing:
		// VM.destroy won the race with the start: kill what the start brought up.
		return s, []Effect{DestroyDomain{}}
	}
	return s, nil
}

// reachedUp makes a starting VM Up. The guest is "Powering up" for a minute after its start
// time, which is VDSM's rule.
func reachedUp(s State) (State, []Effect) {
	s.Status = vdsm.StatusUp
	s.GuestEvent = vdsm.StatusPoweringUp
	s.GuestEventTime = time.UnixMilli(s.StartTime)
	return s, []Effect{SaveMetadata{Meta: metadataOf(s)}, EmitStatus{Kind: PayloadRunning}}
}

func startFailed(s State, e StartFailed) (State, []Effect) {
	if !starting(s) {
		return s, nil
	}
	reason := e.Reason
	if reason == 0 {
		reason = vdsm.ExitReasonGenericError
	}
	return down(s, vdsm.ExitCodeError, reason, e.Message)
}

func paused(s State) (State, []Effect) {
	if s.Status == vdsm.StatusDown {
		return s, nil
	}
	s.Status = vdsm.StatusPaused
	s.CPURunning = false
	s.PauseCode = vdsm.PauseCodeNoErr
	return s, []Effect{EmitStatus{Kind: PayloadStatus}}
}

func continued(s State) (State, []Effect) {
	if !contAllowed(s) {
		return s, nil
	}
	s.Status = vdsm.StatusUp
	s.CPURunning = true
	s.PauseCode = ""
	return s, []Effect{EmitStatus{Kind: PayloadStatus}}
}

func shutdownRequested(s State, e ShutdownRequested, now time.Time) State {
	if s.Status == vdsm.StatusDown {
		return s
	}
	s.GuestEventTime = now
	if e.Reboot {
		s.GuestEvent = vdsm.StatusRebootInProgress
		return s
	}
	s.GuestEvent = vdsm.StatusPoweringDown
	// The engine asked: whatever the guest reports when it powers off, this was an admin
	// shutdown.
	s.ShutdownReason = vdsm.ExitReasonAdminShutdown
	return s
}

func rebooted(s State, now time.Time) (State, []Effect) {
	if s.Status == vdsm.StatusDown {
		return s, nil
	}
	s.StartTime = now.UnixMilli()
	s.GuestEvent, s.GuestEventTime = vdsm.StatusRebootInProgress, now
	if s.DestroyOnReboot {
		// Not a reboot after all: the VM goes Down, and that is what the engine hears.
		s, effects := killInternally(s, vdsm.ExitReasonDestroyedOnReboot)
		return s, append([]Effect{SaveMetadata{Meta: metadataOf(s)}}, effects...)
	}
	return s, []Effect{SaveMetadata{Meta: metadataOf(s)}, EmitStatus{Kind: PayloadGuest}}
}

func destroyRequested(s State) (State, []Effect) {
	switch {
	case s.Status == vdsm.StatusDown:
		return s, []Effect{Remove{}}
	case starting(s):
		s, effects := down(s, vdsm.ExitCodeNormal, vdsm.ExitReasonDestroyedOnStartup, "")
		s.Removing = true
		// Kill whatever the start may have brought up before the domain is undefined.
		return s, append(effects, DestroyDomain{}, Remove{})
	}
	s.Removing = true
	return killInternally(s, vdsm.ExitReasonAdminShutdown)
}

// killInternally latches why the domain is about to be destroyed and asks for it; Down follows
// with DestroyDone or STOPPED.
func killInternally(s State, reason int) (State, []Effect) {
	if s.Status == vdsm.StatusDown {
		return s, nil
	}
	s.ShutdownReason = reason
	s.Status = vdsm.StatusPoweringDown
	return s, []Effect{DestroyDomain{}}
}

// stopped: the domain is off, for whatever latched reason.
func stopped(s State) (State, []Effect) {
	if s.Status == vdsm.StatusDown {
		return s, nil
	}
	code, reason := stopReason(s)
	return down(s, code, reason, "")
}

// stopReason is the exit code and reason for a domain that stopped: the latched reason, or a
// lost QEMU when nobody expected it.
func stopReason(s State) (code, reason int) {
	switch s.ShutdownReason {
	case 0:
		return vdsm.ExitCodeError, vdsm.ExitReasonLostQEMUConnection
	case vdsm.ExitReasonHostShutdown:
		return vdsm.ExitCodeError, s.ShutdownReason
	}
	return vdsm.ExitCodeNormal, s.ShutdownReason
}

func libvirtStopped(s State, _ LibvirtStopped) (State, []Effect) { return stopped(s) }

// shutdownLatched records who shut the guest down, unless the engine already said why.
func shutdownLatched(s State, e LibvirtShutdown) State {
	if s.Status == vdsm.StatusDown || s.ShutdownReason != 0 {
		return s
	}
	if e.Detail == ShutdownHost {
		s.ShutdownReason = vdsm.ExitReasonHostShutdown
	} else {
		s.ShutdownReason = vdsm.ExitReasonUserShutdown
	}
	return s
}

func domainMissing(s State) (State, []Effect) {
	if s.Status == vdsm.StatusDown {
		return s, nil
	}
	s, effects := down(s, vdsm.ExitCodeError, vdsm.ExitReasonLibvirtDomainMissing, "")
	return s, effects[1:] // no domain to write metadata to
}

func suspended(s State, e LibvirtSuspended) (State, []Effect) {
	if s.Status == vdsm.StatusDown {
		return s, nil
	}
	s.CPURunning = false
	if e.Detail == SuspendedIOError && (s.PauseCode == "" || s.PauseCode == vdsm.PauseCodeNoErr) {
		// The IO_ERROR_REASON event that says which error usually comes first; without it,
		// EIO.
		s.PauseCode = vdsm.PauseCodeEIO
	}
	return s, nil
}

func resumed(s State, e LibvirtResumed) (State, []Effect) {
	if s.Status == vdsm.StatusDown {
		return s, nil
	}
	s.CPURunning = true
	if s.Status == vdsm.StatusPaused {
		// Resumed behind the agent's back (virsh resume): it runs, so it is Up.
		s.Status = vdsm.StatusUp
	}
	s.PauseCode = ""
	return s, nil
}

func ioError(s State, e LibvirtIOError) (State, []Effect) {
	if s.Status == vdsm.StatusDown || e.Action != IOErrorPause {
		return s, nil
	}
	s.PauseCode = vdsm.PauseCodeEOther
	if e.Reason != "" {
		s.PauseCode = strings.ToUpper(e.Reason)
	}
	s.CPURunning = false
	info := vdsm.IOErrorInfo{Alias: e.Alias, Name: e.Name, Path: e.Path}
	return s, []Effect{EmitStatus{Kind: PayloadIOError, IOError: &info}}
}

// down makes the VM Down with its exit record: persisted, reported once, and removed if
// VM.destroy asked for that.
func down(s State, code, reason int, message string) (State, []Effect) {
	if s.Status == vdsm.StatusDown {
		return s, nil
	}
	if message == "" {
		message = vdsm.ExitMessage(reason)
	}
	s.Status = vdsm.StatusDown
	s.CPURunning = false
	s.Exit = Exit{Code: code, Reason: reason, Message: message}
	effects := []Effect{SaveMetadata{Meta: metadataOf(s)}, EmitStatus{Kind: PayloadDown}}
	if s.Removing {
		effects = append(effects, Remove{})
	}
	return s, effects
}

// metadataOf is what of s must survive an agent restart.
func metadataOf(s State) Metadata {
	m := Metadata{StartTime: s.StartTime, DestroyOnReboot: s.DestroyOnReboot}
	if s.Status == vdsm.StatusDown {
		exit := s.Exit
		m.Exit = &exit
	}
	return m
}
