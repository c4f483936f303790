package vm

import (
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// RecoveredState is the status of a domain found at agent start, from libvirt's state and reason
// (virDomainGetState) and the domain's metadata.
// It follows VDSM's recovery table, with two corrections: a SHUTOFF domain whose reason is
// SHUTDOWN is a user shutdown (VDSM compares the reason with the wrong constant and reports
// MIGRATED ones as user shutdowns instead), and a CRASHED domain is Down, not Up.
func RecoveredState(libvirtState, reason int, meta Metadata, now time.Time) State {
	s, _ := recoverState(libvirtState, reason, meta, now)
	return s
}

// recovered is Step's handling of Recovered: the recovered state and what it implies.
func recovered(r Recovered, now time.Time) (State, []Effect) {
	return recoverState(r.State, r.Reason, r.Meta, now)
}

// recoverState reads a domain paused for a migration as its incoming half: the VM actor then
// reads libvirt's job to tell an outgoing migration (migrate_recovery.go). Post-copy as VDSM's
// recovery reads it: paused for post-copy is the source (Migration Source, reported Paused with
// pauseCode POSTCOPY), running in post-copy the destination, and paused after a failed
// post-copy a lost VM (Down 1/12, its domain destroyed).
func recoverState(libvirtState, reason int, meta Metadata, now time.Time) (State, []Effect) {
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
		s.Status = vdsm.StatusPaused
		if reason == PausedMigration {
			// The incoming half of a migration, which libvirt keeps paused until its last pass
			// (a source is paused so only during its last pass): the VM actor confirms it from
			// libvirt's job before its first report (migrate_recovery.go).
			s.Status = vdsm.StatusMigrationDestination
		}
		if reason == PausedIOError {
			s.PauseCode = vdsm.PauseCodeEIO
		}
		switch reason {
		case PausedPostcopy:
			s.Status, s.PostCopy, s.PauseCode = vdsm.StatusMigrationSource, true, vdsm.PauseCodePostcopy
		case PausedPostcopyFailed:
			// Listed Down until the engine destroys it (VDSM forgets it at once, before the
			// engine may have seen why); the VM actor destroys the domain (migrate_recovery.go).
			st, fx := down(s, vdsm.ExitCodeError, vdsm.ExitReasonPostcopyMigrationFailed, "")
			return st, append(fx, DestroyDomain{})
		}
	case DomainRunning, DomainBlocked, DomainShutdown:
		// The vCPUs are there, merely idle or busy shutting down.
		s.CPURunning = true
		if libvirtState == DomainRunning && reason == RunningPostcopy {
			// The destination of a post-copy migration: it runs here, the migration goes on.
			s.Status = vdsm.StatusMigrationDestination
		}
	}
	// Anything else (no state, PM-suspended) stays Up with stopped vCPUs, so it reads Paused.

	var effects []Effect
	if meta.StartTime == 0 {
		effects = append(effects, SaveMetadata{Meta: metadataOf(s)})
	}
	// Say where it is now (announced once the agent is ready; the engine also reads
	// getAllVmStats).
	return s, append(effects, EmitStatus{Kind: PayloadRunning})
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
