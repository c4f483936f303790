package vm

import "github.com/hostagent/hostagent/protocol/vdsm"

// The status machine's live-migration rows (VDSM's vm.py and migration.py), kept apart from
// status.go: the source goes Up → Migration Source → Down (reason 4, then forgotten) or back to
// Up; the destination is Migration Destination until the domain arrives and runs (Up), or goes
// away (Down, reason 8).
//
// Post-copy: once libvirt says the source entered it (SUSPENDED/postcopy) the source's lastStatus
// stays Migration Source (Host.getVMList), but VM_status events and VM.getStats say Paused with
// pauseCode POSTCOPY, as VDSM's _getVmStatus does: the engine (VmAnalyzer) hands the VM over to
// the destination on exactly that. There is no way back: a failure from then on loses the VM
// (vm.py handle_failed_post_copy), Down with exitCode 1 and reason 12 on both sides, the
// source's domain destroyed and the VM forgotten, the destination's destroyed and listed until
// the engine destroys it. The destination stays Migration Destination while its guest already
// runs (RESUMED/postcopy), until RESUMED/migrated.

// IncomingCreated: VM.migrationCreate admitted a VM whose domain will arrive with a migration.
// StartTime is the source's start time, unix ms, so elapsedTime carries on; Guest is what the
// source's guest agent had said (migratedGuest), nil when nothing.
type IncomingCreated struct {
	StartTime int64
	Guest     *vdsm.GuestInfo
}

// MigrateRequested: VM.migrate accepted; the outgoing migration starts.
type MigrateRequested struct{}

// MigrationSucceeded: the outgoing migration completed; the VM runs on the destination.
type MigrationSucceeded struct{}

// MigrationFailed: the outgoing migration failed or was cancelled; the VM keeps running here,
// unless it failed in post-copy. PostCopy is libvirt's word that it did (the domain paused for
// post-copy), which may come before its SUSPENDED/postcopy has been stepped.
type MigrationFailed struct{ PostCopy bool }

// IncomingTimedOut: a destination VM's domain did not arrive and run within
// migration_destination_timeout.
type IncomingTimedOut struct{}

// OutgoingRecovered: a restarted agent found the VM's domain in an outgoing migration
// (libvirt's job goes on without the agent that started it).
type OutgoingRecovered struct{}

func (IncomingCreated) isEvent()    {}
func (OutgoingRecovered) isEvent()  {}
func (MigrateRequested) isEvent()   {}
func (MigrationSucceeded) isEvent() {}
func (MigrationFailed) isEvent()    {}
func (IncomingTimedOut) isEvent()   {}

// outgoingAllowed: a VM that has not started, is Down, or is already moving cannot leave.
func outgoingAllowed(s State) bool {
	switch s.Status {
	case vdsm.StatusUp, vdsm.StatusPaused, vdsm.StatusPoweringDown, vdsm.StatusRebootInProgress:
		return true
	}
	return false
}

// migrationStep applies the migration events; ok is false for any other event.
func migrationStep(s State, e Event) (State, []Effect, bool) {
	switch e := e.(type) {
	case MigrateRequested:
		if !outgoingAllowed(s) {
			return s, nil, true
		}
		s.Status = vdsm.StatusMigrationSource
		return s, []Effect{EmitStatus{Kind: PayloadStatus}}, true
	case OutgoingRecovered:
		// Recovery reads a domain paused for a migration as its incoming half; a source in its
		// last pass is paused so too.
		if !outgoingAllowed(s) && s.Status != vdsm.StatusMigrationDestination {
			return s, nil, true
		}
		s.Status = vdsm.StatusMigrationSource
		return s, []Effect{EmitStatus{Kind: PayloadStatus}}, true
	case MigrationSucceeded:
		if s.Status != vdsm.StatusMigrationSource {
			return s, nil, true
		}
		st, fx := migratedAway(s)
		return st, fx, true
	case MigrationFailed:
		if postCopySource(s) || e.PostCopy && s.Status == vdsm.StatusMigrationSource {
			st, fx := postCopyFailed(s, true)
			return st, fx, true
		}
		st, fx := outgoingFailed(s)
		return st, fx, true
	case IncomingTimedOut:
		if s.Status != vdsm.StatusMigrationDestination {
			return s, nil, true
		}
		// vm.py: the MigrationError of a destination that waited in vain is Down with
		// "Migration failed" (8), listed until the engine destroys it; whatever half of the
		// domain did arrive is destroyed.
		st, fx := down(s, vdsm.ExitCodeError, vdsm.ExitReasonMigrationFailed, "")
		return st, append(fx, DestroyDomain{}), true
	case DestroyRequested:
		if s.Status != vdsm.StatusMigrationDestination {
			return s, nil, false
		}
		// The source's clean-up after a failed migration, or the engine's: the domain may not
		// be here (yet, or any more), so like a VM still starting it is Down and removed at
		// once, and whatever did arrive is destroyed first.
		s.Removing = true
		st, fx := down(s, vdsm.ExitCodeNormal, vdsm.ExitReasonAdminShutdown, "")
		return st, append(fx, DestroyDomain{}), true
	}
	return s, nil, false
}

// migratedAway: Down with "Migration succeeded", reported once, and forgotten in the same
// report (the VM lives on the destination now).
func migratedAway(s State) (State, []Effect) {
	s.Removing = true
	return down(s, vdsm.ExitCodeNormal, vdsm.ExitReasonMigrationSucceeded, "")
}

// postCopySource: the VM's outgoing migration runs in post-copy.
func postCopySource(s State) bool { return s.PostCopy && s.Status == vdsm.StatusMigrationSource }

// postCopyFailed: the migration failed in post-copy, so neither side has the whole guest: Down
// with "Migration failed in post-copy" and its domain destroyed. The source forgets the VM at
// once (VDSM destroys it: the engine sends no VM.destroy after post-copy); the destination lists
// it until the engine destroys it.
func postCopyFailed(s State, forget bool) (State, []Effect) {
	st, fx := down(s, vdsm.ExitCodeError, vdsm.ExitReasonPostcopyMigrationFailed, "")
	if forget {
		// Destroyed before it is undefined and dropped, as a VM still starting is.
		st.Removing = true
		return st, append(fx, DestroyDomain{}, Remove{})
	}
	return st, append(fx, DestroyDomain{})
}

// outgoingFailed puts the VM back to Up; if its vCPUs were stopped before, it still reads
// Paused.
func outgoingFailed(s State) (State, []Effect) {
	if s.Status != vdsm.StatusMigrationSource {
		return s, nil
	}
	s.Status = vdsm.StatusUp
	return s, []Effect{EmitStatus{Kind: PayloadStatus}}
}

// incomingCreated is a destination VM before its domain arrives.
func incomingCreated(c IncomingCreated) State {
	return State{Status: vdsm.StatusMigrationDestination, StartTime: c.StartTime, GuestEvent: vdsm.StatusPoweringUp, Guest: c.Guest}
}

// migrationLibvirt applies libvirt's lifecycle events to a migrating VM; ok is false when the
// VM is not migrating and the ordinary rows apply.
func migrationLibvirt(s State, e Event) (State, []Effect, bool) {
	switch s.Status {
	case vdsm.StatusMigrationSource:
		switch e := e.(type) {
		case LibvirtStopped:
			if e.Detail == StoppedMigrated {
				st, fx := migratedAway(s)
				return st, fx, true
			}
		case LibvirtSuspended:
			// The last pass: the vCPUs stop here before they run there.
			s.CPURunning = false
			switch e.Detail {
			case SuspendedPostcopy:
				if s.PostCopy {
					return s, nil, true
				}
				s.PostCopy, s.PauseCode = true, vdsm.PauseCodePostcopy
				return s, []Effect{EmitStatus{Kind: PayloadPauseCode}}, true
			case SuspendedPostcopyFailed:
				st, fx := postCopyFailed(s, true)
				return st, fx, true
			}
			return s, nil, true
		case LibvirtResumed:
			s.CPURunning = true
			if e.Detail == ResumedMigrated {
				// The migration failed and the VM carries on here.
				st, fx := outgoingFailed(s)
				return st, fx, true
			}
			return s, nil, true
		}
	case vdsm.StatusMigrationDestination:
		switch e := e.(type) {
		case LibvirtStarted:
			// QEMU is up to receive: not complete yet.
			return s, nil, true
		case LibvirtResumed:
			s.CPURunning = true
			if e.Detail == ResumedMigrated {
				st, fx := reachedUp(s)
				return st, fx, true
			}
			return s, nil, true
		case LibvirtSuspended:
			s.CPURunning = false
			switch e.Detail {
			case SuspendedPaused:
				// A paused VM arrived: the incoming migration is complete.
				st, fx := reachedUp(s)
				return st, fx, true
			case SuspendedPostcopyFailed:
				st, fx := postCopyFailed(s, false)
				return st, fx, true
			}
			return s, nil, true
		case LibvirtStopped:
			// The incoming domain went away before it ran here: the migration failed or was
			// cancelled on the source.
			st, fx := down(s, vdsm.ExitCodeError, vdsm.ExitReasonMigrationFailed, "")
			return st, fx, true
		}
	}
	return s, nil, false
}
