package agent_test

// The network verbs through the router, a worker and the network actor, as the engine calls
// them, against a network namespace the test creates and removes by name. The machine's own
// network is never managed: the agent is told which namespace is its host network.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/agent"
	"github.com/hostagent/hostagent/actors/router"
	"github.com/hostagent/hostagent/hostnet"
	"github.com/hostagent/hostagent/hostnet/nstest"
	"github.com/hostagent/hostagent/reply"
)

func netAgent(t *testing.T, cfg agent.Config) (*agent.Agent, collect) {
	t.Helper()
	cfg.Listen, cfg.SampleInterval, cfg.Log = "127.0.0.1:0", time.Hour, zerolog.Nop()
	a, err := agent.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Shutdown(10 * time.Second) })
	select {
	case <-a.Ready():
	case <-time.After(time.Minute):
		t.Fatal("the agent did not finish recovery")
	}
	return a, make(collect, 16)
}

func request(t *testing.T, a *agent.Agent, answers collect, id int, method string, params any) {
	t.Helper()
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	r := reply.New(answers, codec, nil, "", json.RawMessage(fmt.Sprint(id)))
	a.Gate().Submit(&router.Request{Reply: r, Method: method, Params: raw})
}

func next(t *testing.T, answers collect) string {
	t.Helper()
	select {
	case b := <-answers:
		return string(b)
	case <-time.After(time.Minute):
		t.Fatal("no answer")
		return ""
	}
}

func mustContain(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("answer %s, want %s in it", got, want)
	}
}

func TestNetworkVerbsNotImplementedWithoutManagement(t *testing.T) {
	a, answers := netAgent(t, agent.Config{})
	request(t, a, answers, 1, "Host.setupNetworks", map[string]any{"networks": map[string]any{}, "bondings": map[string]any{}, "options": map[string]any{}})
	mustContain(t, next(t, answers), `"error":{"code":44,"message":"Not implemented"}`)
	request(t, a, answers, 2, "Host.confirmConnectivity", map[string]any{})
	mustContain(t, next(t, answers), `"result":true`)
	request(t, a, answers, 3, "Host.getNetworkCapabilities", map[string]any{})
	mustContain(t, next(t, answers), `"error":{"code":44,"message":"Not implemented"}`)
}

func TestNetworkVerbsInNamespace(t *testing.T) {
	ns := nstest.New(t, "agent")
	ip := func(args ...string) { t.Helper(); nstest.IP(t, args...) }
	ip("-n", ns, "link", "add", "veth_nic0", "type", "veth", "peer", "name", "peer0")
	ip("-n", ns, "link", "set", "veth_nic0", "up")
	ip("-n", ns, "addr", "add", "10.9.0.2/24", "dev", "veth_nic0")

	a, answers := netAgent(t, agent.Config{ManageNetworks: true, NetNamespace: ns, NetStateDir: t.TempDir()})
	request(t, a, answers, 1, "Host.setupNetworks", map[string]any{
		"networks": map[string]any{"ovirtmgmt": map[string]any{"nic": "veth_nic0", "mtu": 1500, "bridged": "true",
			"STP": "no", "ipaddr": "10.9.0.2", "netmask": "255.255.255.0", "switch": "legacy"}},
		"bondings": map[string]any{},
		"options":  map[string]any{"connectivityCheck": "true", "connectivityTimeout": 120},
	})
	// The engine polls while setupNetworks is in progress; its confirmations count once the
	// change is applied, so poll the same way until setupNetworks answers.
	for id := 100; ; id++ {
		request(t, a, answers, id, "Host.confirmConnectivity", map[string]any{})
		got := next(t, answers)
		if strings.Contains(got, `"id":1,`) {
			mustContain(t, got, `"result":{"code":0,"message":"Done"}`)
			mustContain(t, next(t, answers), fmt.Sprintf(`"id":%d,"result":true`, id))
			break
		}
		mustContain(t, got, `"result":true`)
	}
	cur, err := hostnet.ReadNamespace(ns, hostnet.DefaultFakeNICs)
	if err != nil {
		t.Fatal(err)
	}
	var bridged bool
	for _, l := range cur.Links {
		if l.Name == "veth_nic0" && l.Master == "ovirtmgmt" {
			bridged = true
		}
	}
	if !bridged {
		t.Fatalf("veth_nic0 is not a port of ovirtmgmt: %+v", cur.Links)
	}

	request(t, a, answers, 2, "Host.setSafeNetworkConfig", map[string]any{})
	mustContain(t, next(t, answers), `"id":2,"result":true`)
	request(t, a, answers, 5, "Host.getNetworkCapabilities", map[string]any{})
	caps := next(t, answers)
	for _, key := range []string{`"networks":`, `"bridges":`, `"nics":`, `"bondings":`, `"vlans":`, `"netConfigDirty":"False"`} {
		mustContain(t, caps, key)
	}
	request(t, a, answers, 3, "Host.setupNetworks", map[string]any{
		"networks": map[string]any{"vmnet": map[string]any{"nic": "eth9"}}, "bondings": map[string]any{}, "options": map[string]any{}})
	mustContain(t, next(t, answers), `"id":3,"error":{"code":23,"message":"Nic eth9 does not exist"}`)
	request(t, a, answers, 4, "Host.setupNetworks", map[string]any{"networks": map[string]any{}, "bondings": map[string]any{}})
	mustContain(t, next(t, answers), `"id":4,"error":{"code":-32603`)

	// A VM with a NIC on no network: the VM actor has the network actor make the dummy bridge in
	// the namespace it manages before the domain is defined, in the VM actor's first turn, which
	// a verb for that VM (a plug with no device) waits behind.
	id := "d0d0d0d0-0000-4000-8000-000000000001"
	xml := `<domain type='test'><name>dummy</name><uuid>` + id + `</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os><devices><interface type='bridge'><mac address='56:6f:d0:d0:00:01'/>
<source bridge=';vdsmdummy;'/><model type='virtio'/></interface></devices></domain>`
	request(t, a, answers, 6, "VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": xml}})
	mustContain(t, next(t, answers), `"id":6,"result":`)
	request(t, a, answers, 7, "VM.hotplugNic", map[string]any{"vmID": id, "params": map[string]any{"vmId": id, "xml": "<hotplug><devices/></hotplug>"}})
	mustContain(t, next(t, answers), `"id":7,"error":{"code":49`)
	cur, err = hostnet.ReadNamespace(ns, hostnet.DefaultFakeNICs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(cur.Links, func(l hostnet.Link) bool { return l.Name == ";vdsmdummy;" && l.Kind == hostnet.KindBridge }) {
		t.Fatalf("no dummy bridge in the namespace: %+v", cur.Links)
	}
}
