package host

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/reply"
)

type answers chan []byte

func (a answers) Send(_ *actor.PID, m interface{}) { a <- m.(*reply.Response).Body }

// The network actor's word reaches Host.getStats (netConfigDirty) and the libvirt networks: one
// vdsm-<name> per VM network over its bridge, one over another bridge remade, one of a network
// the agent configured and then removed removed; a vdsm-* network the agent never configured
// (a host taken over from VDSM) and libvirt's own networks are left alone.
func TestNetworksChangedReachesStatsAndLibvirt(t *testing.T) {
	lv := openTestDriver(t)
	for _, n := range [][2]string{{"vdsm-stale", "stale"}, {"vdsm-blue", "elsewhere"}} {
		if err := lv.EnsureBridgeNetwork(n[0], n[1]); err != nil {
			t.Fatal(err)
		}
	}
	sys := actor.NewActorSystem()
	pid := sys.Root.Spawn(actor.PropsFromProducer(New(Config{Root: string(fixture), Libvirt: lv, Start: time.Now(),
		SampleInterval: time.Hour, Log: zerolog.New(zerolog.NewTestWriter(t))})))
	defer func() { sys.Root.StopFuture(pid).Wait() }()
	ans := make(answers, 1)
	codec := reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}
	dirty := func() string {
		t.Helper()
		sys.Root.Send(pid, &GetStats{Reply: reply.New(ans, codec, nil, "", json.RawMessage("1"))})
		var b []byte
		select {
		case b = <-ans:
		case <-time.After(time.Minute): // a hang detector, not a synchronisation
			t.Fatal("no answer")
		}
		var resp struct {
			Result struct {
				NetConfigDirty string `json:"netConfigDirty"`
			} `json:"result"`
		}
		if err := json.Unmarshal(b, &resp); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return resp.Result.NetConfigDirty
	}
	nets := func() string {
		t.Helper()
		ns, err := lv.Networks()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			out = append(out, n.Name+"/"+n.Bridge)
		}
		return strings.Join(out, " ")
	}

	sys.Root.Send(pid, &NetworksChanged{Dirty: true, VMNetworks: map[string]string{"red": "red", "blue": "blue"}})
	if d := dirty(); d != "True" { // answered after NetworksChanged: one mailbox, in order
		t.Fatalf("netConfigDirty %q after a setupNetworks", d)
	}
	if got, want := nets(), "default/virbr0 vdsm-blue/blue vdsm-red/red vdsm-stale/stale"; got != want {
		t.Fatalf("libvirt networks %q, want %q", got, want)
	}
	sys.Root.Send(pid, &NetworksChanged{Dirty: false, VMNetworks: map[string]string{}})
	if d := dirty(); d != "False" {
		t.Fatalf("netConfigDirty %q after setSafeNetworkConfig", d)
	}
	if got, want := nets(), "default/virbr0 vdsm-stale/stale"; got != want {
		t.Fatalf("libvirt networks %q, want %q", got, want)
	}
}
