package net

// The network actor driven through its messages against a network namespace each test creates
// (hostagent-test-<pid>-<n>, a fake NIC veth_nic0 holding 10.9.0.2/24 and the default route via
// 10.9.0.1) and removes by name when it ends. The machine's own namespace is never touched.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/host"
	"github.com/hostagent/hostagent/hostnet"
	"github.com/hostagent/hostagent/hostnet/nstest"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/reply"
)

func namespace(t *testing.T) string {
	t.Helper()
	name := nstest.New(t, "net")
	nstest.IP(t, "-n", name, "link", "set", "lo", "up")
	nstest.IP(t, "-n", name, "link", "add", "veth_nic0", "type", "veth", "peer", "name", "peer0")
	nstest.IP(t, "-n", name, "link", "set", "veth_nic0", "up")
	nstest.IP(t, "-n", name, "link", "set", "peer0", "up")
	nstest.IP(t, "-n", name, "addr", "add", "10.9.0.2/24", "dev", "veth_nic0")
	nstest.IP(t, "-n", name, "route", "add", "default", "via", "10.9.0.1", "dev", "veth_nic0")
	return name
}

// kernel renders the namespace's links and default route, for comparing states.
func kernel(t *testing.T, ns string) string {
	t.Helper()
	cur, err := hostnet.ReadNamespace(ns, hostnet.DefaultFakeNICs)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(cur, "", " ")
	return string(b)
}

type answers chan []byte

func (a answers) Send(_ *actor.PID, m interface{}) { a <- m.(*reply.Response).Body }

var codec = reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}

type rig struct {
	t    *testing.T
	sys  *actor.ActorSystem
	pid  *actor.PID
	ans  answers
	host chan *host.GetCapabilities
	// changed has room for every NetworksChanged a test causes, read or not.
	changed chan *host.NetworksChanged
	id      int
}

func start(t *testing.T, ns, stateDir string) *rig {
	t.Helper()
	r := &rig{t: t, sys: actor.NewActorSystem(), ans: make(answers, 16), host: make(chan *host.GetCapabilities, 4),
		changed: make(chan *host.NetworksChanged, 32)}
	hostPID := r.sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *host.GetCapabilities:
			r.host <- m
		case *host.NetworksChanged:
			r.changed <- m
		}
	}))
	r.pid = r.sys.Root.Spawn(actor.PropsFromProducer(New(Config{Namespace: ns, StateDir: stateDir, Host: hostPID, Log: zerolog.Nop()})))
	t.Cleanup(r.stop)
	return r
}

func (r *rig) stop() {
	if r.pid != nil {
		if err := r.sys.Root.StopFuture(r.pid).Wait(); err != nil {
			r.t.Error(err)
		}
		r.pid = nil
	}
}

func (r *rig) reply() *reply.Reply {
	r.id++
	return reply.New(r.ans, codec, nil, "", json.RawMessage(fmt.Sprint(r.id)))
}

// answer waits for the next answer; the minute is a hang detector, not a synchronisation.
func (r *rig) answer() string {
	r.t.Helper()
	select {
	case b := <-r.ans:
		return string(b)
	case <-time.After(time.Minute):
		r.t.Fatal("no answer")
		return ""
	}
}

const install = `{"ovirtmgmt": {"nic": "veth_nic0", "mtu": 1500, "bridged": "true", "STP": "no",
	"ipaddr": "10.9.0.2", "netmask": "255.255.255.0", "gateway": "10.9.0.1", "defaultRoute": true}}`

func (r *rig) setup(networks, options string) {
	r.sys.Root.Send(r.pid, &SetupNetworks{Reply: r.reply(), Networks: json.RawMessage(networks),
		Bondings: json.RawMessage(`{}`), Options: json.RawMessage(options)})
}

func want(t *testing.T, got, substr string) {
	t.Helper()
	if !strings.Contains(got, substr) {
		t.Fatalf("answer %s, want it to contain %s", got, substr)
	}
}

// TestInstallConfirmSaveRestart is the engine's install flow: setupNetworks moving the host's
// address onto the ovirtmgmt bridge, confirmed by a client, reported in caps, made safe; then
// an agent restart finds the bridge gone and creates it again.
func TestInstallConfirmSaveRestart(t *testing.T) {
	ns, dir := namespace(t), t.TempDir()
	r := start(t, ns, dir)
	r.setup(install, `{"connectivityCheck": "true", "connectivityTimeout": 120}`)
	r.sys.Root.Send(r.pid, &SetupNetworks{Reply: r.reply(), Networks: json.RawMessage(`{}`), Bondings: json.RawMessage(`{}`), Options: json.RawMessage(`{}`)})
	want(t, r.answer(), `"id":2,"error":{"code":40,"message":"Resource unavailable"}`)
	r.sys.Root.Send(r.pid, &ClientSeen{})
	want(t, r.answer(), `"id":1,"result":{"code":0,"message":"Done"}`)
	applied := kernel(t, ns)
	want(t, applied, `"name": "ovirtmgmt"`)

	r.sys.Root.Send(r.pid, &GetCapabilities{Reply: r.reply()})
	caps := <-r.host
	if n := caps.Networks.Networks["ovirtmgmt"]; !caps.Networks.Dirty || !n.Bridged || n.Device != "ovirtmgmt" {
		t.Fatalf("caps report = %+v, want ovirtmgmt bridged and the config dirty", caps.Networks)
	}
	r.sys.Root.Send(r.pid, &SetSafeNetworkConfig{Reply: r.reply()})
	want(t, r.answer(), `"result":true`)
	b, err := os.ReadFile(filepath.Join(dir, safeFile))
	if err != nil || !strings.Contains(string(b), `"ovirtmgmt"`) {
		t.Fatalf("safe config %s: %v", b, err)
	}
	r.stop()

	// The bridge vanishes while the agent is down (the address and route go with it): the next
	// start recreates the safe configuration.
	nstest.IP(t, "-n", ns, "link", "del", "ovirtmgmt")
	nstest.IP(t, "-n", ns, "addr", "add", "10.9.0.2/24", "dev", "veth_nic0")
	nstest.IP(t, "-n", ns, "route", "add", "default", "via", "10.9.0.1", "dev", "veth_nic0")
	r2 := start(t, ns, dir)
	r2.sys.Root.Send(r2.pid, &SetSafeNetworkConfig{Reply: r2.reply()}) // answered once start is done
	want(t, r2.answer(), `"result":true`)
	if got := kernel(t, ns); got != applied {
		t.Errorf("after restart:\n%s\nwant:\n%s", got, applied)
	}
}

// TestUnconfirmedChangeRollsBack: nobody confirms within the timeout (0 s, as VDSM: the check
// fails at once unless a client already showed up), so the previous state comes back exactly
// and the call answers VDSM's connectivity error.
func TestUnconfirmedChangeRollsBack(t *testing.T) {
	ns := namespace(t)
	before := kernel(t, ns)
	r := start(t, ns, t.TempDir())
	r.setup(install, `{"connectivityCheck": "true", "connectivityTimeout": 0}`)
	want(t, r.answer(), `"error":{"code":10,"message":"connectivity check failed"}`)
	if got := kernel(t, ns); got != before {
		t.Errorf("after rollback:\n%s\nbefore:\n%s", got, before)
	}
}

// TestUnsavedConfigRestoredAtStart: a change applied but never made safe is undone when the agent
// starts again, as VDSM does after a reboot.
func TestUnsavedConfigRestoredAtStart(t *testing.T) {
	ns, dir := namespace(t), t.TempDir()
	before := kernel(t, ns)
	r := start(t, ns, dir)
	r.setup(install, `{"connectivityCheck": "false"}`)
	want(t, r.answer(), `"result":{"code":0,"message":"Done"}`)
	r.stop()
	r2 := start(t, ns, dir)
	r2.sys.Root.Send(r2.pid, &SetSafeNetworkConfig{Reply: r2.reply()})
	want(t, r2.answer(), `"result":true`)
	if got := kernel(t, ns); got != before {
		t.Errorf("after restart:\n%s\nbefore the unsaved change:\n%s", got, before)
	}
}

// TestInvalidRequestChangesNothing answers VDSM's code and leaves the kernel alone.
func TestInvalidRequestChangesNothing(t *testing.T) {
	ns := namespace(t)
	before := kernel(t, ns)
	r := start(t, ns, t.TempDir())
	r.setup(`{"net1": {"nic": "eth9"}}`, `{}`)
	want(t, r.answer(), `"error":{"code":23,"message":"Nic eth9 does not exist"}`)
	if got := kernel(t, ns); got != before {
		t.Errorf("after a refused request:\n%s\nbefore:\n%s", got, before)
	}
}

// The host actor hears every outcome: the VM networks it keeps libvirt networks for, and whether
// they are unsaved (Host.getStats' netConfigDirty), at start, after a change, after saving it,
// and after an unconfirmed change is rolled back.
func TestHostHearsVMNetworksAndDirty(t *testing.T) {
	ns := namespace(t)
	r := start(t, ns, t.TempDir())
	next := func(dirty bool, nets string) {
		t.Helper()
		m := <-r.changed
		if got := fmt.Sprint(m.VMNetworks); m.Dirty != dirty || got != nets {
			t.Fatalf("NetworksChanged dirty=%v %s, want dirty=%v %s", m.Dirty, got, dirty, nets)
		}
	}
	next(false, "map[]")
	r.setup(install, `{"connectivityCheck": "false"}`)
	want(t, r.answer(), `"result":{"code":0,"message":"Done"}`)
	next(true, "map[ovirtmgmt:ovirtmgmt]")
	r.sys.Root.Send(r.pid, &SetSafeNetworkConfig{Reply: r.reply()})
	want(t, r.answer(), `"result":true`)
	next(false, "map[ovirtmgmt:ovirtmgmt]")
	r.setup(`{"ovirtmgmt": {"remove": true}}`, `{"connectivityCheck": "true", "connectivityTimeout": 0}`)
	next(true, "map[]")
	want(t, r.answer(), `"error":{"code":10`)
	// Still dirty, as VDSM: any setupNetworks since the last save counts, rolled back or not.
	next(true, "map[ovirtmgmt:ovirtmgmt]")
}
