package vm

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/host"
	netact "github.com/hostagent/hostagent/actors/net"
	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/hostnet/nstest"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
)

// withHostActor gives the harness a real host actor over the harness's libvirt, as the agent
// wires them: VM actors ask it for the networks their domains name. The registry's config is
// made before the harness's actor system runs anything, so it names the host actor's PID ahead
// and spawnHost spawns the actor under that name.
func withHostActor(log *syncBuffer, wait time.Duration) func(*Config) {
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
	log := &syncBuffer{}
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
	log := &syncBuffer{}
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

// netNamespace makes a network namespace for a network actor to manage, removed by name when the
// test ends: the dummy bridge the VM actors have made goes there, never into the machine's own.
func netNamespace(t *testing.T) string {
	t.Helper()
	name := nstest.New(t, "vm")
	return name
}

// withNetActor names the network actor ahead, as withHostActor names the host actor.
func withNetActor(cfg *Config) { cfg.Net = actor.NewPID("nonhost", "net") }

// spawnNet spawns a real network actor managing the namespace ns, under the name withNetActor
// gave the VM actors.
func (h *harness) spawnNet(ns string) {
	h.t.Helper()
	props := actor.PropsFromProducer(netact.New(netact.Config{Namespace: ns, Host: actor.NewPID("nonhost", "host"), Log: zerolog.Nop()}),
		actor.WithReceiverMiddleware(h.faults.Middleware("net")))
	pid, err := h.sys.Root.SpawnNamed(props, "net")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = h.sys.Root.StopFuture(pid).Wait() })
}

// hasDummyBridge says whether the namespace has the dummy bridge, a bridge.
func hasDummyBridge(t *testing.T, ns string) bool {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-d", "link", "show", "dev", domxml.DummyBridge).CombinedOutput()
	if err != nil {
		return false
	}
	return strings.Contains(string(out), "bridge")
}

func cableXML(name, id, bridge string) string {
	return fmt.Sprintf(`<domain type='test'><name>%s</name><uuid>%s</uuid><memory unit='MiB'>512</memory>
<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>
<interface type='bridge'><mac address='56:6f:5b:0c:00:05'/><source bridge='%s'/><model type='virtio'/>
<alias name='ua-nic0'/></interface></devices></domain>`, name, id, bridge)
}

// A NIC's cable pulled out (updateDevice to no network) puts it on the dummy bridge, which the
// VM actor has the network actor make first, as VM.create does: with the network actor silent,
// the update fails within the bound instead of naming a bridge nobody made; answering, it makes
// the bridge in the namespace it manages.
func TestUnpluggedCableAsksTheNetworkActorForTheDummyBridge(t *testing.T) {
	ns := netNamespace(t)
	log := &syncBuffer{}
	h := newHarness(t, withHostActor(log, 100*time.Millisecond), withNetActor)
	h.spawnHost()
	h.spawnNet(ns)
	id := "5b0c6a3e-1f2d-4c5b-8a9e-000000000005"
	h.createXML(id, cableXML("cable", id, "ovirtmgmt"))
	asked := make(chan string, 1)
	h.faults.Set(supervisor.Rule{Kind: "net", Message: "*net.EnsureDummyBridge", Action: supervisor.Drop, Times: 1, Fired: asked})
	none := ""
	a := h.verb(id, func(r *reply.Reply) any { return &UpdateNic{Reply: r, Alias: "ua-nic0", Network: &none} })
	select {
	case <-asked:
	case <-time.After(20 * time.Second): // a hang detector
		t.Fatal("the VM actor never asked the network actor for the dummy bridge")
	}
	if a.Error == nil || a.Error.Code != vdsm.CodeUpdateDeviceFailed {
		t.Fatalf("answer: %+v", a)
	}
	if log.count("no bridge for the unplugged cable") != 1 || hasDummyBridge(t, ns) {
		t.Fatal("the update did not stop at the missing bridge")
	}

	// Answering, the network actor makes the bridge in its namespace, and the update goes on to
	// libvirt, whose test driver cannot update a device.
	a = h.verb(id, func(r *reply.Reply) any { return &UpdateNic{Reply: r, Alias: "ua-nic0", Network: &none} })
	if a.Error == nil || log.count("updateDevice: NIC update failed") != 1 || log.count("no bridge for the unplugged cable") != 1 {
		t.Fatalf("answer: %+v; the update did not get past the bridge", a)
	}
	if !hasDummyBridge(t, ns) || log.count("the network actor created "+domxml.DummyBridge) != 1 {
		t.Fatal("the network actor did not make the dummy bridge in its namespace")
	}
}

// VM.create of a domain with a NIC on the dummy bridge has the network actor make it before
// the domain is defined; a network actor that does not answer costs that VM its start, with the
// bridge named in the reason, and the next one starts.
func TestCreateOnTheDummyBridgeAsksTheNetworkActor(t *testing.T) {
	ns := netNamespace(t)
	log := &syncBuffer{}
	h := newHarness(t, withHostActor(log, 100*time.Millisecond), withNetActor)
	h.spawnHost()
	h.spawnNet(ns)
	dropped := make(chan string, 1)
	h.faults.Set(supervisor.Rule{Kind: "net", Message: "*net.EnsureDummyBridge", Action: supervisor.Drop, Times: 1, Fired: dropped})
	lost := "5b0c6a3e-1f2d-4c5b-8a9e-000000000006"
	if a := h.sendCreate(cableXML("lost", lost, domxml.DummyBridge))(); a.Error != nil {
		t.Fatalf("create: %+v", a.Error)
	}
	down := h.waitStatus(lost, "Down")
	<-dropped
	if msg, _ := down["exitMessage"].(string); !strings.Contains(msg, "dummy bridge: the network actor did not answer") {
		t.Fatalf("Down event: %v", down)
	}
	if hasDummyBridge(t, ns) {
		t.Fatal("the dummy bridge exists though its request was dropped")
	}

	next := "5b0c6a3e-1f2d-4c5b-8a9e-000000000007"
	h.createXML(next, cableXML("next", next, domxml.DummyBridge))
	if !hasDummyBridge(t, ns) {
		t.Fatal("the network actor did not make the dummy bridge in its namespace")
	}
}

// Without a network actor nothing makes links; on the test driver the domain is a file, so a
// VM or a NIC on the dummy bridge needs nothing of the machine, and nobody is asked for it.
func TestDummyBridgeOnTheTestDriverWithoutNetworkActor(t *testing.T) {
	log := &syncBuffer{}
	h := newHarness(t, withHostActor(log, time.Minute))
	h.spawnHost()
	id := "5b0c6a3e-1f2d-4c5b-8a9e-000000000008"
	h.createXML(id, cableXML("plain", id, domxml.DummyBridge))
	asked := make(chan string, 1)
	h.faults.Set(supervisor.Rule{Kind: "host", Message: "*host.DomainNetworks", Action: supervisor.Drop, Fired: asked})
	nic := `<hotplug><devices><interface type='bridge'><mac address='56:6f:5b:0c:00:18'/><source bridge=';vdsmdummy;'/><model type='virtio'/><alias name='ua-nic1'/></interface></devices></hotplug>`
	// The test driver cannot attach a device: libvirt's refusal says the plug got past the bridge.
	a := h.verb(id, func(r *reply.Reply) any { return &HotplugNic{Reply: r, XML: nic} })
	if a.Error == nil || !strings.Contains(a.Error.Message, "virDomainAttachDeviceFlags") {
		t.Fatalf("answer: %+v", a.Error)
	}
	select {
	case m := <-asked:
		t.Fatalf("the host actor was asked %s for the dummy bridge", m)
	default:
	}
}

// Off the test driver and without a network actor, the dummy bridge must exist already; the
// error when it does not names the bridge and the flag that would have made it.
func TestDummyBridgeListed(t *testing.T) {
	if err := dummyBridgeListed([]string{"ovirtmgmt", domxml.DummyBridge}); err != nil {
		t.Fatal(err)
	}
	err := dummyBridgeListed([]string{"ovirtmgmt"})
	if err == nil || !strings.Contains(err.Error(), "bridge ;vdsmdummy; does not exist") || !strings.Contains(err.Error(), "--manage-networks") {
		t.Fatalf("error %v", err)
	}
}

func TestTestDriver(t *testing.T) {
	for uri, want := range map[string]bool{"test:///default": true, "test+unix:///default?socket=/run/x": true,
		"qemu:///system": false, "qemu+tls://h/system": false, "testing:///": false} {
		if testDriver(uri) != want {
			t.Errorf("testDriver(%q) = %v", uri, !want)
		}
	}
}
