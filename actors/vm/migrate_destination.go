package vm

// The destination's side of a live migration: VM.migrationCreate makes a VM actor in "Migration
// Destination" that waits, bounded by the destination time-out, for the domain the source's
// libvirtd sends (migrate.go is the source's side), and the client TLS one agent uses to call
// another.

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// migrationCreate is the destination's side: a VM actor in "Migration Destination" for the
// domain that the source's libvirtd is about to send.
func (r *Registry) migrationCreate(c actor.Context, m *MigrationCreate) {
	if _, exists := r.vms[m.VMID]; exists {
		m.Reply.Error(vdsm.CodeVMExists, vdsm.Message(vdsm.CodeVMExists))
		return
	}
	incoming := 0
	for _, en := range r.vms {
		if en.state.Status == vdsm.StatusMigrationDestination {
			incoming++
		}
	}
	if incoming >= r.cfg.Migration.maxIncoming() {
		m.Reply.Error(vdsm.CodeMigrationLimit, vdsm.Message(vdsm.CodeMigrationLimit))
		return
	}
	var xml string
	for _, k := range []string{"_srcDomXML", "xml"} {
		if raw, ok := m.Params[k]; ok && json.Unmarshal(raw, &xml) == nil && xml != "" {
			break
		}
	}
	info, err := ParseDomainXML(xml)
	if err != nil || info.UUID != m.VMID {
		m.Reply.Error(vdsm.CodeCannotCreateVM, vdsm.WithContext(vdsm.Message(vdsm.CodeCannotCreateVM),
			"reason", fmt.Sprintf("no domain XML of VM %s in the parameters (%v)", m.VMID, err)))
		return
	}
	now := time.Now()
	start := now.UnixMilli()
	var offset float64
	if raw, ok := m.Params["elapsedTimeOffset"]; ok && json.Unmarshal(raw, &offset) == nil && offset > 0 {
		start -= int64(offset * 1000)
	}
	r.spawn(c, m.VMID, &vmActor{incoming: &IncomingCreated{StartTime: start, Guest: migratedGuest(m.Params)}, info: info, xml: xml})
	r.updateCounts(c)
	m.Reply.Result(map[string]any{
		"migrationPort": 0,
		"params": map[string]any{"vmId": m.VMID, "status": vdsm.StatusMigrationDestination,
			"statusTime": r.cfg.Clock.StatusTime(now)},
	})
}

// startIncoming is a destination VM actor's start: nothing to define or start, the domain comes
// with the migration, within DestinationTimeout.
func (a *vmActor) startIncoming(c actor.Context) {
	a.state, _ = Step(State{}, *a.incoming, time.Now())
	a.report(c, nil, true)
	a.awaitIncoming(c)
}

// awaitIncoming bounds the wait for the incoming domain to run here by DestinationTimeout.
func (a *vmActor) awaitIncoming(c actor.Context) {
	root, self := c.ActorSystem().Root, c.Self()
	a.inTimer = time.AfterFunc(a.migCfg.DestinationTimeout, func() { root.Send(self, &incomingTimedOut{}) })
}

// incomingTimedOut: the destination's wait is over.
type incomingTimedOut struct{}

// incomingSettled stops the destination's timer once the VM is no longer waiting (it arrived, or
// went Down): a 6-hour timer must not outlive its reason. was is the status before the event.
func (a *vmActor) incomingSettled(c actor.Context, was string) {
	if a.inTimer != nil && a.state.Status != vdsm.StatusMigrationDestination {
		a.inTimer.Stop()
		a.inTimer = nil
	}
	if was == vdsm.StatusMigrationDestination && a.state.Status != was && a.state.Status != vdsm.StatusDown {
		a.arrived(c)
	}
}

// arrived: the incoming domain runs here. Its guest agent's channel state came in QEMU's
// migration stream; libvirt said "disconnected" when the incoming QEMU started and learns the
// migrated state from QEMU's VSERPORT_CHANGE once the guest's side is loaded (libvirt 9.0 with
// QEMU 7.2, the migration lane: the live XML says connected by RESUMED/migrated and the agent
// event follows it). That event is QEMU's and libvirt's to send or not, so the live XML is read
// here, as VDSM's destination does (_domDependentInit → _updateDomainDescriptor →
// channel_state_hint); a second "connected" costs nothing.
func (a *vmActor) arrived(c actor.Context) {
	x := a.refreshXML(c)
	a.log.Info().Bool("agentConnected", agentConnectedIn(x)).Msg("incoming domain arrived")
	a.agentHint(c, x) // guestagent_actor.go
}

// PeerTLS is the client side of the agent's mutual TLS, for calls to a destination agent: the
// agent's own certificate, and the CA its clients chain to as the peer's root (as VDSM uses its
// host certificate towards the other VDSM). nil for a plain-TCP agent.
func PeerTLS(server *tls.Config) *tls.Config {
	if server == nil {
		return nil
	}
	return &tls.Config{Certificates: server.Certificates, RootCAs: server.ClientCAs, MinVersion: tls.VersionTLS12}
}
