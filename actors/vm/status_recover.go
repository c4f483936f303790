package vm

import (
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// RecoveredState is the status of a domain found at agent start, from libvirt's state and reason
// (virDomainGetState), the domain's metadata, and whether a migration job is leaving this host.
// It follows VDSM's recovery table, with two corrections: a SHUTOFF domain whose reason is
// SHUTDOWN is a user shutdown (VDSM compares the reason with the wrong constant and reports
// MIGRATED ones as user shutdowns instead), and a CRASHED domain is Down, not Up.
func RecoveredState(libvirtState, reason int, meta Metadata, outgoingMigration bool, now time.Time) State {
	s, _ := recoverState(libvirtState, reason, meta, outgoingMigration, now)
	return s
}

// recovered is Step's handling of Recovered: the recovered state and what it implies.
func recovered(r Recovered, now time.Time) (State, []Effect) {
	return recoverState(r.State, r.Reason, r.Meta, r.OutgoingMigration, now)
}

func recoverState(libvirtState, reason int, meta Metadata, outgoingMigration bool, now time.Time) (State, []Effect) {
	s := State{
		StartTime:       meta.StartTime,
		DestroyOnReboot: meta.DestroyOnReboot,
		GuestEvent:      vdsm.StatusPoweringUp,
		Status:          vdsm.StatusUp,
	}
	if s.StartTime == 0 {
		s.StartTime = now.UnixMilli()
	}
	// As at a start, the guest counts as powering up for a minute after its start time; a VM
	// that booted long ago reads Up at once.
	s.GuestEventTime = time.UnixMilli(s.StartTime)

	if libvirtState == DomainShutoff || libvirtState == DomainCrashed {
		if meta.Exit != nil {
			// Down before the restart, and already reported and persisted then.
			s.Status = vdsm.StatusDown
			s.Exit = *meta.Exit
			return s, nil
		}
		code, exitReason := shutoffExit(libvirtState, reason)
		return down(s, code, exitReason, "")
	}

	switch libvirtState {
	case DomainPaused:
		switch reason {
		case PausedPostcopy:
			s.Status = vdsm.StatusMigrationSource
			s.PostCopy = true
			s.PauseCode = vdsm.PauseCodePostcopy
		case PausedMigration:
			s.Status = vdsm.StatusMigrationDestination
			if outgoingMigration {
				s.Status = vdsm.StatusMigrationSource
			}
		case PausedPostcopyFailed:
			s, effects := down(s, vdsm.ExitCodeError, vdsm.ExitReasonPostcopyMigrationFailed, "")
			return s, append(effects, DestroyDomain{})
		case PausedIOError:
			s.Status = vdsm.StatusPaused
			s.PauseCode = vdsm.PauseCodeEIO
		default:
			s.Status = vdsm.StatusPaused
		}
	case DomainRunning:
		s.CPURunning = true
		switch {
		case reason == RunningPostcopy:
			s.Status = vdsm.StatusMigrationDestination
		case outgoingMigration:
			s.Status = vdsm.StatusMigrationSource
		}
	case DomainBlocked, DomainShutdown:
		// The vCPUs are there, merely idle or busy shutting down.
		s.CPURunning = true
	}
	// Anything else (no state, PM-suspended) stays Up with stopped vCPUs, so it reads Paused.

	var effects []Effect
	if meta.StartTime == 0 {
		effects = append(effects, SaveMetadata{Meta: metadataOf(s)})
	}
	// An incoming migration reports when it completes; everything else says where it is now
	// (the notifier usually drops this while the agent is still recovering; the engine then
	// reads getAllVmStats).
	if s.Status != vdsm.StatusMigrationDestination {
		effects = append(effects, EmitStatus{Kind: PayloadRunning})
	}
	return s, effects
}

// shutoffExit is the exit of a domain found off with no exit record of ours.
func shutoffExit(libvirtState, reason int) (code, exitReason int) {
	if libvirtState == DomainCrashed {
		return vdsm.ExitCodeError, vdsm.ExitReasonGenericError
	}
	switch reason {
	case ShutoffShutdown:
		return vdsm.ExitCodeNormal, vdsm.ExitReasonUserShutdown
	case ShutoffDestroyed:
		return vdsm.ExitCodeNormal, vdsm.ExitReasonAdminShutdown
	case ShutoffMigrated:
		return vdsm.ExitCodeNormal, vdsm.ExitReasonMigrationSucceeded
	case ShutoffSaved:
		return vdsm.ExitCodeNormal, vdsm.ExitReasonSaveStateSucceeded
	case ShutoffFailed:
		return vdsm.ExitCodeError, vdsm.ExitReasonLibvirtStartFailed
	}
	return vdsm.ExitCodeError, vdsm.ExitReasonGenericError
}
