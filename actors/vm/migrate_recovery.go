package vm

// A migration found by a restarted agent (or a VM actor restarted after a panic): libvirt goes on
// with it without the agent that started it. The source needs to know where the VM is going, to
// remove the destination's half when the migration fails, so it writes the destination agent's
// address into the domain's metadata before libvirt's migration starts (libvirt refuses to change
// a domain's metadata while its migration job runs), and clears it when the migration failed.
// VDSM keeps nothing of the kind and leaves that half to the engine after a restart.

import (
	"encoding/xml"
	"errors"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// The metadata element of an outgoing migration, apart from the VM's own (MetadataXML), which
// SaveMetadata replaces whole.
const (
	migrationMetaNamespace = "https://github.com/hostagent/hostagent/migration/1.0"
	migrationMetaPrefix    = "hostagent-migration"
)

// migrationDestXML is the element naming the destination agent ("host:port").
func migrationDestXML(dst string) string {
	var b strings.Builder
	b.WriteString(`<migration dst="`)
	_ = xml.EscapeText(&b, []byte(dst))
	b.WriteString(`"/>`)
	return b.String()
}

// migrationDest reads the destination agent from a domain's XML; "" when none is recorded.
func migrationDest(domainXML string) string {
	var d struct {
		Metadata struct {
			Items []struct {
				XMLName xml.Name
				Dst     string `xml:"dst,attr"`
			} `xml:",any"`
		} `xml:"metadata"`
	}
	if xml.Unmarshal([]byte(domainXML), &d) != nil {
		return ""
	}
	for _, it := range d.Metadata.Items {
		if it.XMLName.Space == migrationMetaNamespace && it.XMLName.Local == "migration" {
			return it.Dst
		}
	}
	return ""
}

// recordDest writes (dst set) or clears (dst "") the destination in the domain's metadata. A
// failure costs only the clean-up after a restart, so it is logged, not fatal. Cleared only
// after a failure: after a success the domain is gone, and the element that went with it to the
// destination is read there only while an outgoing job runs, which a new migration's rewrites.
func (a *vmActor) recordDest(dst string) {
	x := ""
	if dst != "" {
		x = migrationDestXML(dst)
	}
	err := a.call(func(id string) error { return a.lv.SetMetadata(id, x, migrationMetaPrefix, migrationMetaNamespace) })
	if err != nil && !errors.Is(err, virt.ErrNoDomain) {
		a.log.Warn().Err(err).Str("dst", dst).Msg("recording the migration's destination")
	}
}

// recoverMigration runs before the recovered VM's first report, and only sets the state, so that
// report already says where the VM stands.
//
// An outgoing job makes the VM Migration Source, as VDSM's recovery does: the monitor reads the
// job, VM.migrateCancel aborts it, and when it fails the destination recorded in the metadata is
// asked to remove its half.
//
// A domain paused for a migration with no outgoing job is the incoming half, which libvirt
// starts paused until the last pass has arrived: the VM stays Migration Destination, as the
// recovered state already reads it (the registry's list shows it so from the start), waiting,
// within the destination time-out, for libvirt's RESUMED/migrated (Up) or STOPPED/failed (Down).
// VDSM reads every domain paused for a migration as its source, the incoming half included, and
// then waits for a job that never comes from that side.
func (a *vmActor) recoverMigration(c actor.Context) {
	if a.rec != nil && a.state.Status == vdsm.StatusDown && a.state.Exit.Reason == vdsm.ExitReasonPostcopyMigrationFailed {
		// Found paused after a failed post-copy (status_recover.go): nobody may resume what is
		// left of it. Its exit first, so that a later recovery still reads why.
		a.saveMetadata(metadataOf(a.state))
		if err := a.call(a.lv.Destroy); err != nil && !errors.Is(err, virt.ErrNoDomain) {
			a.log.Warn().Err(err).Msg("destroying a VM lost in post-copy")
		}
		return
	}
	incoming := a.state.Status == vdsm.StatusMigrationDestination // status_recover.go
	post := postCopySource(a.state)                               // likewise
	if a.rec == nil || (!outgoingAllowed(a.state) && !incoming && !post) {
		return
	}
	var j virt.JobInfo
	err := a.call(func(id string) error { var err error; j, err = a.lv.Job(id); return err })
	switch {
	case err == nil && j.Active && j.Outgoing:
		dst := migrationDest(a.xml)
		a.log.Info().Str("dst", dst).Msg("recovered an outgoing migration in progress")
		gate := newMigrationGate()
		gate.begin() // libvirt's job runs: a cancel aborts it
		gate.postCopy.Store(post)
		a.mig = &outgoingMigration{gen: 1, running: true, recovered: true, gate: gate, conv: &convergence{},
			code: vdsm.CodeDone, message: "Migration in progress", progress: j.Progress(), dst: dst}
		a.state, _ = Step(a.state, OutgoingRecovered{}, time.Now())
		a.armMonitor(c)
	case incoming:
		a.log.Info().Msg("recovered an incoming migration in progress")
		a.awaitIncoming(c)
	}
}

// recoveredEnded: a recovered migration's job is over. Had it succeeded, the domain would be
// gone (libvirt's STOPPED/migrated takes the VM down); still here, it failed or was cancelled,
// and the VM carries on: Up, once the destination recorded, if any, was asked to remove its
// half (off the actor: the call may wait for the peer's time-out), as runMigration does.
func (a *vmActor) recoveredEnded(c actor.Context) {
	var state int
	err := a.call(func(id string) error { var err error; state, _, err = a.lv.State(id); return err })
	if err != nil || state == virt.StateShutoff {
		// Gone or going: the lifecycle event decides.
		return
	}
	verr := vdsm.NewError(vdsm.CodeMigrationError)
	if a.mig.gate.cancelled() {
		verr = &vdsm.Error{Code: vdsm.CodeMigrationCancelFailed, Message: "Migration canceled"}
	}
	if a.mig.dst == "" || a.mig.gate.postCopy.Load() {
		// In post-copy the destination takes care of its half itself (migration.py _recover).
		a.migrationEnded(c, &migrationEnded{gen: a.mig.gen, err: verr})
		return
	}
	peer := a.peer(a.mig.dst)
	root, self, gen, log := c.ActorSystem().Root, c.Self(), a.mig.gen, a.log
	go func() {
		if _, err := peer.call("VM.destroy", map[string]any{"vmID": peer.vmID}); err != nil {
			log.Warn().Err(err).Str("dst", peer.addr).Msg("removing the destination's half of a recovered migration")
		}
		root.Send(self, &migrationEnded{gen: gen, err: verr})
	}()
}
