package vm

// The source's migration off the VM actor (migrate.go starts it): the way to the destination
// agent, the wait for a slot of the host's outgoing limit, VM.migrationCreate on the destination
// (asked again later when it has no room, as VDSM does), libvirt's migration, and the clean-up of
// the destination's half when it fails.

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// maxCreateAttempts bounds how often a destination without room is asked. VDSM asks again every
// migration_retry_timeout until the migration is cancelled; here a source gives up after this
// many refusals (5 minutes at the default interval) and the VM is Up again with the
// destination's error.
const maxCreateAttempts = 30

// peerCall is the way to the destination agent.
type peerCall struct {
	addr     string
	tls      *tls.Config
	timeout  time.Duration
	vmID     string
	incoming int
}

// peer is the way to the destination agent dst ("host:port").
func (a *vmActor) peer(dst string) peerCall {
	p := peerCall{addr: dst, tls: a.migCfg.PeerTLS, timeout: a.migCfg.peerTimeout(), vmID: a.id}
	if p.tls != nil {
		host, _, _ := net.SplitHostPort(dst)
		p.tls = p.tls.Clone()
		p.tls.ServerName = host
	}
	return p
}

func (p peerCall) call(method string, params map[string]any) (json.RawMessage, error) {
	cl, err := client.Dial(client.Options{Addr: p.addr, TLS: p.tls, Timeout: p.timeout})
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	return cl.Call(method, params)
}

// migrationRetrying: the destination had no room; the source asks again after RetryInterval.
type migrationRetrying struct {
	gen int
	err *vdsm.Error
}

// migrationRun is one outgoing migration, as its goroutine sees it.
type migrationRun struct {
	peer   peerCall
	params map[string]any
	gate   *migrationGate
	limit  *OutgoingLimit
	retry  time.Duration
	// refused is told each refusal for lack of room that will be retried.
	refused func(*vdsm.Error)
	// migrate runs libvirt's migration.
	migrate func() error
	// inPostCopy asks libvirt whether the domain is paused for post-copy, after migrate failed.
	inPostCopy func() bool
}

// errFailedInPostCopy marks the cause of a migration that failed in post-copy: the VM is lost.
var errFailedInPostCopy = errors.New("failed in post-copy")

var errCanceled = &vdsm.Error{Code: vdsm.CodeMigrationCancelFailed, Message: "Migration canceled"}

// run is the whole migration. Each attempt holds a slot of the host's outgoing limit; the wait
// before the next one does not (migration.py leaves its semaphore to wait). It returns the
// error VM.getMigrationStatus shows.
func (r migrationRun) run() (*vdsm.Error, error) {
	for attempt := 1; ; attempt++ {
		if !r.limit.Acquire(r.gate.stop) {
			return errCanceled, errors.New("cancelled while waiting for a slot of max_outgoing_migrations")
		}
		verr, err := r.attempt()
		r.limit.Release()
		if verr == nil || verr.Code != vdsm.CodeMigrationLimit || attempt == maxCreateAttempts {
			return verr, err
		}
		r.refused(verr)
		t := time.NewTimer(r.retry)
		select {
		case <-r.gate.stop:
			t.Stop()
			return errCanceled, errors.New("cancelled while waiting to ask a busy destination again")
		case <-t.C:
		}
	}
}

// attempt prepares the destination, migrates, and on failure removes the destination's half.
func (r migrationRun) attempt() (*vdsm.Error, error) {
	p := r.peer
	create := map[string]any{"vmID": p.vmID, "params": r.params}
	if p.incoming > 0 {
		create["incomingLimit"] = p.incoming
	}
	if _, err := p.call("VM.migrationCreate", create); err != nil {
		var rpc *client.Error
		if errors.As(err, &rpc) {
			// The destination refused: its own error, as VDSM passes it on.
			return &vdsm.Error{Code: rpc.Code, Message: rpc.Message}, err
		}
		return vdsm.NewError(vdsm.CodeNoConnectionToPeer), err
	}
	err := errors.New("cancelled before the migration started")
	if r.gate.begin() {
		err = r.migrate()
	}
	if err == nil {
		return nil, nil
	}
	// libvirt's SUSPENDED/postcopy may still be on its way to the VM actor when the call
	// returns, so its domain state has the last word.
	if r.gate.postCopy.Load() || r.inPostCopy() {
		// Failed in post-copy: the VM is lost on both sides, and the destination, whose half
		// runs, reports and destroys it itself (migration.py _recover, handle_failed_post_copy).
		return vdsm.NewError(vdsm.CodeMigrationError), fmt.Errorf("%w: %w", errFailedInPostCopy, err)
	}
	// libvirt tears its half down on the destination; the destination agent's VM goes with it.
	_, _ = p.call("VM.destroy", map[string]any{"vmID": p.vmID})
	if errors.Is(err, virt.ErrMigrationAborted) || r.gate.cancelled() {
		return errCanceled, err
	}
	// migration.py _recover: the bare migrateErr; the cause goes to the log.
	return vdsm.NewError(vdsm.CodeMigrationError), err
}
