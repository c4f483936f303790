package vm

import (
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

// peerAgent is a destination agent on 127.0.0.1 that speaks just enough STOMP and JSON-RPC for
// a source's calls: it records each method, holds VM.migrationCreate until release, and answers
// every call with true.
type peerAgent struct {
	*peerListener
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	methods []string
	creates chan map[string]json.RawMessage // each VM.migrationCreate's VM parameters
}

func newPeerAgent(t *testing.T) *peerAgent {
	p := &peerAgent{release: make(chan struct{}), creates: make(chan map[string]json.RawMessage, 4)}
	p.peerListener = listenPeer(t, p.serve)
	// Cleanups run last-in first-out: the held VM.migrationCreate is let go before hangUp.
	t.Cleanup(p.answerCreate)
	return p
}

// answerCreate lets VM.migrationCreate succeed.
func (p *peerAgent) answerCreate() { p.once.Do(func() { close(p.release) }) }

// called is every method asked so far, in order.
func (p *peerAgent) called() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.methods...)
}

func (p *peerAgent) serve(c net.Conn) {
	r, w := frame.NewReader(c), frame.NewWriter(c)
	subs := map[string]string{} // destination → subscription id
	for n := 0; ; n++ {
		f, err := r.Read()
		if err != nil || f == nil {
			return
		}
		var out *frame.Frame
		switch f.Command {
		case frame.CONNECT, frame.STOMP:
			out = frame.New(frame.CONNECTED, frame.Version, "1.2", frame.HeartBeat, "0,0")
		case frame.SUBSCRIBE:
			subs[f.Header.Get(frame.Destination)] = f.Header.Get(frame.Id)
		case frame.SEND:
			var req struct {
				Method string          `json:"method"`
				ID     json.RawMessage `json:"id"`
				Params struct {
					Params map[string]json.RawMessage `json:"params"`
				} `json:"params"`
			}
			if json.Unmarshal(f.Body, &req) != nil {
				return
			}
			p.mu.Lock()
			p.methods = append(p.methods, req.Method)
			p.mu.Unlock()
			if req.Method == "VM.migrationCreate" {
				select {
				case p.creates <- req.Params.Params:
				default:
				}
				<-p.release
			}
			to := f.Header.Get("reply-to")
			out = frame.New(frame.MESSAGE, frame.Destination, to, frame.Subscription, subs[to],
				frame.MessageId, strconv.Itoa(n), frame.ContentType, "application/json")
			out.Body, _ = json.Marshal(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": true})
		case frame.DISCONNECT:
			if id := f.Header.Get(frame.Receipt); id != "" {
				_ = w.Write(frame.New(frame.RECEIPT, frame.ReceiptId, id))
			}
			return
		}
		if out != nil && w.Write(out) != nil {
			return
		}
	}
}

// A migration whose libvirt call fails once post-copy runs (MigrateToURI3 returns an error after
// the switch) loses the VM as vm.py handle_failed_post_copy(clean_vm=True) does: the source is
// Down with exitCode 1 and reason 12, its domain destroyed and the VM forgotten, and the
// destination is not asked to destroy its VM (migration.py _recover returns before that): it
// holds the only running copy and reports the loss itself.
func TestPostCopyMigrationCallFails(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Migration.PeerTimeout = time.Minute })
	dst := newPeerAgent(t)
	id := "d0000000-0000-4000-8000-0000000000c4"
	postCopyVM(t, h, "postcopy-call-fails", id, dst.addr())

	// migrationStarting goes to the actor right before libvirt's migration is called: its
	// passing proves the failure is the migration call's, not the destination's.
	started := make(chan string, 1)
	h.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.migrationStarting", Action: supervisor.Delay, Fired: started})
	dst.answerCreate() // the test driver's migration then fails at once
	down := h.waitStatus(id, "Down")
	select {
	case <-started:
	default:
		t.Fatal("the VM went Down before libvirt's migration was called")
	}
	if down["exitReason"] != float64(12) || down["exitCode"] != float64(1) || down["exitMessage"] != "Migration failed in post-copy" {
		t.Fatalf("after the migration call failed in post-copy: %v", down)
	}
	// Any VM.destroy to the destination is answered before the migration's end reaches the
	// actor, so it would be recorded by now.
	if got := dst.called(); len(got) != 1 || got[0] != "VM.migrationCreate" {
		t.Fatalf("calls to the destination: %v, want only VM.migrationCreate", got)
	}
	if s := h.listStatus(id); s != "" {
		t.Fatalf("Host.getVMList lists the lost VM: %q", s)
	}
	if _, err := h.lv.XML(id); !errors.Is(err, virt.ErrNoDomain) {
		t.Fatalf("the lost VM's domain is still defined: %v", err)
	}
}

// When libvirt's migration call fails, the domain's state says whether post-copy ran, whatever
// the VM actor has stepped so far (its SUSPENDED/postcopy may still be on the way): in
// post-copy the destination keeps its VM and the end says the VM is lost; before it the
// destination's half is destroyed.
func TestMigrationAttemptFailsInPostCopy(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		stepped, libvirtSays bool
		wantCalls            string
		wantPostCopy         bool
	}{
		{"stepped", true, false, "VM.migrationCreate", true},
		{"libvirt says", false, true, "VM.migrationCreate", true},
		{"pre-copy", false, false, "VM.migrationCreate VM.destroy", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dst := newPeerAgent(t)
			dst.answerCreate()
			gate := newMigrationGate()
			gate.postCopy.Store(tt.stepped)
			run := migrationRun{
				peer:       peerCall{addr: dst.addr(), timeout: time.Minute, vmID: "d0000000-0000-4000-8000-0000000000c5"},
				params:     map[string]any{},
				gate:       gate,
				migrate:    func() error { return errors.New("migration failed") },
				inPostCopy: func() bool { return tt.libvirtSays },
			}
			verr, cause := run.attempt()
			if verr == nil || verr.Code != vdsm.CodeMigrationError {
				t.Errorf("error %+v, want migrateErr", verr)
			}
			if got := errors.Is(cause, errFailedInPostCopy); got != tt.wantPostCopy {
				t.Errorf("failed in post-copy: %v (%v), want %v", got, cause, tt.wantPostCopy)
			}
			if got := strings.Join(dst.called(), " "); got != tt.wantCalls {
				t.Errorf("calls to the destination: %s, want %s", got, tt.wantCalls)
			}
		})
	}
}
