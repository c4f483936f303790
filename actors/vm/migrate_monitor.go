package vm

// The source's migration monitor (VDSM's migration.py MonitorThread): from the moment libvirt's
// migration starts, every MonitorInterval the VM actor reads the job, sends
// |virt|VM_migration_status|<vmId> with the progress, and applies the convergence schedule. It
// runs on the VM actor's timer, not a goroutine of its own, so it sees the migration's record
// without locks and stops with it.

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/protocol/stomp"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// migrationStarting: the goroutine has a slot and the destination is ready; libvirt's migration
// starts now.
type migrationStarting struct{ gen int }

// migrationTick: time to read the job again.
type migrationTick struct{ gen int }

// migrationProgress asks the registry to publish a VM_migration_status event, in order with the
// VM's status events.
type migrationProgress struct {
	id       string
	progress int
	// downtime, in ms, once the migration has completed and libvirt measured it; nil before.
	downtime *uint64
	// postCopy: the migration runs (or ran) in post-copy.
	postCopy bool
}

func (a *vmActor) migrationStarting(c actor.Context, m *migrationStarting) {
	if a.mig == nil || m.gen != a.mig.gen || !a.mig.running {
		return
	}
	a.mig.code, a.mig.message = vdsm.CodeDone, "Migration in progress" // after refusals, if any
	var init []ConvergenceAction
	init, a.mig.conv = a.mig.schedule.start()
	a.converge(init)
	a.armMonitor(c)
}

func (a *vmActor) armMonitor(c actor.Context) {
	root, self, gen := c.ActorSystem().Root, c.Self(), a.mig.gen
	a.mig.tick = time.AfterFunc(a.migCfg.MonitorInterval, func() { root.Send(self, &migrationTick{gen: gen}) })
}

// stopMonitor stops the migration timers, the source's monitor and the destination's wait.
func (a *vmActor) stopMonitor() {
	if a.inTimer != nil {
		a.inTimer.Stop()
		a.inTimer = nil
	}
	if a.mig != nil && a.mig.tick != nil {
		a.mig.tick.Stop()
		a.mig.tick = nil
	}
}

func (a *vmActor) migrationTick(c actor.Context, m *migrationTick) {
	if a.mig == nil || m.gen != a.mig.gen || !a.mig.running || a.mig.tick == nil {
		return // a tick that fired as its migration ended
	}
	a.mig.tick = nil
	j, ok := a.readJob()
	if !ok && a.mig.recovered {
		a.recoveredEnded(c)
		return
	}
	if ok {
		a.publishProgress(c)
		a.converge(a.mig.conv.sample(j.Iteration))
	}
	if a.mig.running && !a.mig.conv.done {
		a.armMonitor(c)
	}
}

// readJob reads libvirt's job and keeps the progress, which only grows (as VDSM's
// _update_progress); ok is false when no outgoing migration job runs (not started yet, or just
// ended).
func (a *vmActor) readJob() (virt.JobInfo, bool) {
	var j virt.JobInfo
	if err := a.call(func(id string) error { var err error; j, err = a.lv.Job(id); return err }); err != nil || !j.Active || !j.Outgoing {
		return j, false
	}
	if p := j.Progress(); p > a.mig.progress {
		a.mig.progress = p
	}
	return j, true
}

func (a *vmActor) publishProgress(c actor.Context) {
	c.Send(a.registry, &migrationProgress{id: a.id, progress: a.mig.progress, postCopy: a.state.PostCopy})
}

// converge carries out the schedule's actions. A failed action is logged and the migration
// carries on, as in VDSM, where the monitor's next pass tries the next step.
func (a *vmActor) converge(actions []ConvergenceAction) {
	for _, act := range actions {
		switch act.Name {
		case ActionSetDowntime:
			err := a.call(func(id string) error { return a.lv.SetMaxDowntime(id, act.DowntimeMs) })
			if err != nil {
				a.log.Warn().Err(err).Uint64("downtime_ms", act.DowntimeMs).Msg("convergence schedule: setting the downtime failed")
				continue
			}
			a.log.Info().Uint64("downtime_ms", act.DowntimeMs).Msg("convergence schedule: downtime raised")
		case ActionAbort:
			a.log.Warn().Msg("convergence schedule: the migration does not converge; aborting it")
			if err := a.call(a.lv.AbortJob); err != nil {
				a.log.Warn().Err(err).Msg("convergence schedule: abort failed")
			}
			a.stopMonitor()
		case ActionPostCopy:
			// vm.py switch_migration_to_post_copy: a refusal leaves the next step for the next
			// pass.
			if err := a.call(a.lv.StartPostCopy); err != nil {
				a.log.Warn().Err(err).Msg("convergence schedule: switching to post-copy failed")
				continue
			}
			a.log.Info().Msg("convergence schedule: switching to post-copy")
			a.mig.postCopy = true
			a.mig.conv.switched()
		}
	}
}

// publishMigration sends a VM_migration_status event (vm.py send_migration_status_event): the
// progress, and whether post-copy runs.
func (r *Registry) publishMigration(c actor.Context, m *migrationProgress) {
	if en, ok := r.vms[m.id]; ok {
		en.progress = m.progress // for VM.getStats (readmodel.go)
	}
	details := map[string]any{"progress": m.progress, "postcopy": m.postCopy}
	if m.downtime != nil {
		details["downtime"] = *m.downtime
	}
	params := vdsm.VMStatusParams{VMID: m.id, Details: details, NotifyTime: r.cfg.Clock.EventTime(time.Now())}
	body, err := jsonrpc.AppendNotification(nil, "|virt|VM_migration_status|"+m.id, params)
	if err != nil {
		r.cfg.Log.Error().Err(err).Str("vm_id", m.id).Msg("encoding a migration status event")
		return
	}
	c.Send(r.cfg.Broker, &broker.Publish{Dest: stomp.EventQueue, Body: body})
}

// jobCompleted: libvirt's JOB_COMPLETED, on the source of a migration that completed, carries
// how long the guest was paused. VDSM (vm.py onJobCompleted) sends it as downtime, libvirt's
// downtime_net, in a last VM_migration_status event with progress 100; the engine takes it as
// the migration's actual downtime (VmMigrationProgressMonitoring). The event follows the
// STOPPED/migrated that made the VM Down and forgotten here, so the registry sends it itself:
// the VM actor may be gone. After post-copy VDSM sends libvirt's downtime instead, as
// downtime_net means nothing then, and says postcopy. Whether the VM was in post-copy is in its
// entry while the VM actor's last report has not arrived (the event usually overtakes it), and
// in postCopied once it has.
func (r *Registry) jobCompleted(c actor.Context, e virt.Event) {
	if !e.Job.Outgoing {
		return
	}
	m := &migrationProgress{id: e.UUID, progress: 100, postCopy: r.postCopied[e.UUID]}
	delete(r.postCopied, e.UUID)
	if en, ok := r.vms[e.UUID]; ok && en.state.PostCopy {
		m.postCopy = true
		r.notePostCopy(e.UUID, false) // the removal that follows has nothing to remember
	}
	d, has := e.Job.DowntimeNetMs, e.Job.HasDowntimeNet
	if m.postCopy {
		d, has = e.Job.DowntimeMs, e.Job.HasDowntime
	}
	if has {
		m.downtime = &d
	}
	r.publishMigration(c, m)
}

// leftInPostCopy notes a VM forgotten because it migrated away in post-copy, for its
// JOB_COMPLETED, unless that came first. A completed migration has both, so the set holds a VM
// only between the two.
func (r *Registry) leftInPostCopy(m *stateChanged) {
	if !m.remove || !m.state.PostCopy || m.state.Exit.Reason != vdsm.ExitReasonMigrationSucceeded {
		return
	}
	if pending, seen := r.postCopied[m.id]; seen && !pending {
		delete(r.postCopied, m.id)
		return
	}
	r.notePostCopy(m.id, true)
}

// notePostCopy: pending, the VM left in post-copy and its JOB_COMPLETED is awaited; not
// pending, its JOB_COMPLETED came while it was still listed.
func (r *Registry) notePostCopy(id string, pending bool) {
	if r.postCopied == nil {
		r.postCopied = map[string]bool{}
	}
	r.postCopied[id] = pending
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
