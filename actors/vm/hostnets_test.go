package vm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/host"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
)

// lockedBuffer is a log sink many actors write at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// withHostActor gives the harness a real host actor over the harness's libvirt, as the agent
// wires them: VM actors ask it for the networks their domains name. The registry's config is
// made before the harness's actor system runs anything, so it names the host actor's PID ahead
// and spawnHost spawns the actor under that name.
func withHostActor(log *lockedBuffer, wait time.Duration) func(*Config) {
	return func(cfg *Config) {
		cfg.Host = actor.NewPID("nonhost", "host")
		cfg.HostWait = wait
		cfg.Log = zerolog.New(log)
	}
}

func (h *harness) spawnHost() {
	h.t.Helper()
	props := actor.PropsFromProducer(host.New(host.Config{Root: "../../testdata/proc/host", Libvirt: h.lv,
		Start: time.Now(), SampleInterval: time.Hour, Log: zerolog.Nop()}),
		actor.WithReceiverMiddleware(h.faults.Middleware("host")))
	pid, err := h.sys.Root.SpawnNamed(props, "host")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = h.sys.Root.StopFuture(pid).Wait() })
}

// displayXML is a domain whose VNC display listens on the display network of the test host's
// ovirtmgmt bridge, a network libvirt does not have until one is made for it.
func displayXML(name, id string) string {
	return fmt.Sprintf(`<domain type='test'><name>%s</name><uuid>%s</uuid><memory unit='MiB'>512</memory>
<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>
<graphics type='vnc' port='-1' autoport='yes' passwd='x' passwdValidTo='1970-01-01T00:00:01'>
<listen type='network' network='vdsm-ovirtmgmt'/></graphics></devices></domain>`, name, id)
}

// sendCreate sends VM.create without waiting for the VM to start.
func (h *harness) sendCreate(xml string) func() answer {
	h.t.Helper()
	raw, _ := json.Marshal(xml)
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &Create{Reply: r, Params: map[string]json.RawMessage{"xml": raw}})
	return wait
}

// Two VMs created at once both need the same display network: the host actor makes it once,
// and both start on it.
func TestDisplayNetworkSharedByTwoCreates(t *testing.T) {
	log := &lockedBuffer{}
	h := newHarness(t, withHostActor(log, time.Minute))
	h.spawnHost()
	ids := []string{"5b0c6a3e-1f2d-4c5b-8a9e-000000000001", "5b0c6a3e-1f2d-4c5b-8a9e-000000000002"}
	waits := []func() answer{h.sendCreate(displayXML("disp1", ids[0])), h.sendCreate(displayXML("disp2", ids[1]))}
	for _, w := range waits {
		if a := w(); a.Error != nil {
			t.Fatalf("create: %+v", a.Error)
		}
	}
	up := map[string]bool{}
	for len(up) < len(ids) {
		select {
		case e := <-h.events:
			if e.vmID != ids[0] && e.vmID != ids[1] {
				continue
			}
			switch e.params["status"] {
			case "Up", "Powering up":
				up[e.vmID] = true
			case "Down":
				t.Fatalf("%s went Down: %v", e.vmID, e.params)
			}
		case <-time.After(20 * time.Second): // a hang detector, not a synchronisation
			t.Fatalf("started: %v", up)
		}
	}
	if n := log.count("the host actor created vdsm-ovirtmgmt"); n != 1 {
		t.Fatalf("display network made %d times, want once", n)
	}
	nets, err := h.lv.Networks()
	if err != nil {
		t.Fatal(err)
	}
	var made []string
	for _, n := range nets {
		if n.Name == "vdsm-ovirtmgmt" {
			made = append(made, n.Bridge)
		}
	}
	if len(made) != 1 || made[0] != "ovirtmgmt" {
		t.Fatalf("libvirt's networks: %+v", nets)
	}
}

// A host actor that does not answer costs the VM being defined a start failure, within the
// bound, and nothing else: the next VM needing the same network starts.
func TestHostActorSilentCostsOneVM(t *testing.T) {
	log := &lockedBuffer{}
	h := newHarness(t, withHostActor(log, 100*time.Millisecond))
	h.spawnHost()
	dropped := make(chan string, 1)
	h.faults.Set(supervisor.Rule{Kind: "host", Message: "*host.ProvideDomainNetworks", Action: supervisor.Drop, Times: 1, Fired: dropped})

	lost := "5b0c6a3e-1f2d-4c5b-8a9e-000000000003"
	if a := h.sendCreate(displayXML("lost", lost))(); a.Error != nil {
		t.Fatalf("create: %+v", a.Error)
	}
	down := h.waitStatus(lost, "Down")
	<-dropped
	if msg, _ := down["exitMessage"].(string); !strings.Contains(msg, "host networks: the host actor did not answer") {
		t.Fatalf("Down event: %v", down)
	}

	h.createXML("5b0c6a3e-1f2d-4c5b-8a9e-000000000004", displayXML("next", "5b0c6a3e-1f2d-4c5b-8a9e-000000000004"))
}

// A NIC's cable pulled out (updateDevice to no network) puts it on the dummy bridge, which the
// VM actor has the host actor provide first, as VM.create does: with the host actor silent, the
// update fails within the bound instead of naming a bridge nobody made.
func TestUnpluggedCableAsksTheHostForTheDummyBridge(t *testing.T) {
	log := &lockedBuffer{}
	h := newHarness(t, withHostActor(log, 100*time.Millisecond))
	h.spawnHost()
	id := "5b0c6a3e-1f2d-4c5b-8a9e-000000000005"
	h.createXML(id, fmt.Sprintf(`<domain type='test'><name>cable</name><uuid>%s</uuid><memory unit='MiB'>512</memory>
<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>
<interface type='bridge'><mac address='56:6f:5b:0c:00:05'/><source bridge='ovirtmgmt'/><model type='virtio'/>
<alias name='ua-nic0'/></interface></devices></domain>`, id))
	asked := make(chan string, 1)
	h.faults.Set(supervisor.Rule{Kind: "host", Message: "*host.ProvideDomainNetworks", Action: supervisor.Drop, Times: 1, Fired: asked})
	none := ""
	a := h.verb(id, func(r *reply.Reply) any { return &UpdateNic{Reply: r, Alias: "ua-nic0", Network: &none} })
	select {
	case <-asked:
	case <-time.After(20 * time.Second): // a hang detector
		t.Fatal("the VM actor never asked the host actor for the dummy bridge")
	}
	if a.Error == nil || a.Error.Code != vdsm.CodeUpdateDeviceFailed {
		t.Fatalf("answer: %+v", a)
	}
	if log.count("no bridge for the unplugged cable") != 1 {
		t.Fatal("the update did not stop at the missing bridge")
	}
}
