package host

import (
	"encoding/json"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// Config is what the host actor needs.
type Config struct {
	Root           string // filesystem root for /proc, /sys, /etc ("/" in production)
	Libvirt        *virt.Conn
	AgentVersion   string
	Start          time.Time
	SampleInterval time.Duration
	FakeNICs       []string // device name patterns reported as NICs; nil: VDSM's default
	Log            zerolog.Logger
}

// Actor owns the host-wide view: capabilities, the /proc sampler, the MOM policy. It is the only
// actor that makes host-wide libvirt calls.
//
// Owns: the capabilities (read once), the last two /proc samples, the VM counts the registry
// reports, the MOM policy, the host's libvirt networks (what VM actors define domains on, and
// the vdsm-<net> networks of configured networks). Links, VDSM's dummy bridge among them, are
// the network actor's.
// Takes: *sampleTick (its coalesced timer), *GetCapabilities, *GetNetworkCapabilities,
// *GetStats, *GetHardwareInfo, *ListHostDevices, *SetMOMPolicy (each answered through its
// Reply), *VMCountsUpdate, *NetworksChanged, *DomainNetworks and *ProvideDomainNetworks (answered with Respond:
// domainnets.go).
// Sends: nothing but answers.
type Actor struct {
	cfg     Config
	sampler *Sampler
	counts  VMCounts
	mom     map[string]json.RawMessage
	// netDirty is the network actor's word: a setupNetworks since the last setSafeNetworkConfig.
	netDirty bool
	// vmNets is the VM networks (logical name → bridge) the network actor last reported.
	vmNets map[string]string
	stop   chan struct{}
}

// New makes the host actor's producer.
func New(cfg Config) actor.Producer {
	return func() actor.Actor { return &Actor{cfg: cfg} }
}

func (a *Actor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		a.sampler = NewSampler(a.cfg.Root, a.cfg.Start)
		a.sample()
		a.stop = make(chan struct{})
		system.Tick(c.ActorSystem().Root, c.Self(), a.cfg.SampleInterval, &sampleTick{}, a.stop)
	case *actor.Stopping, *actor.Restarting:
		if a.stop != nil {
			close(a.stop)
			a.stop = nil
		}
	case *sampleTick:
		m.Take()
		a.sample()
	case *GetCapabilities:
		caps, err := BuildCapabilities(Sources{Root: a.cfg.Root, Libvirt: a.cfg.Libvirt, AgentVersion: a.cfg.AgentVersion, FakeNICs: a.cfg.FakeNICs}, m.ClientIface)
		if err != nil {
			a.cfg.Log.Error().Err(err).Msg("host capabilities")
			// API.py getCapabilities is not an api.method: its exception reaches yajsonrpc,
			// which answers JsonRpcInternalError(str(e)), -32603.
			e := vdsm.Internal(err.Error())
			m.Reply.Error(e.Code, e.Message)
			return
		}
		ApplyNetworkReport(&caps, m.Networks)
		m.Reply.Result(caps)
	case *GetNetworkCapabilities:
		m.Reply.Result(buildNetworkCapabilities(fsRoot(a.cfg.Root), a.cfg.FakeNICs, m.Networks))
	case *GetStats:
		st := a.sampler.Stats(a.counts, time.Now())
		if a.netDirty {
			st.NetConfigDirty = "True"
		}
		m.Reply.Result(st)
	case *GetHardwareInfo:
		hw, err := HardwareInfo(a.cfg.Root)
		if err != nil {
			m.Reply.Error(vdsm.CodeHWInfoFailed, vdsm.Message(vdsm.CodeHWInfoFailed))
			return
		}
		m.Reply.Result(hw)
	case *GetLldp:
		info, err := lldpInfo(fsRoot(a.cfg.Root), a.cfg.FakeNICs, m.Devices)
		if err != nil {
			// API.py getLldp is not an api.method either: the lookup's exception is -32603.
			e := vdsm.Internal(err.Error())
			m.Reply.Error(e.Code, e.Message)
			return
		}
		m.Reply.Result(info)
	case *ListHostDevices:
		// A hung daemon holds this actor as long as it holds a capabilities read: the connection's
		// keepalive closes it, and the call fails.
		var devs []virt.NodeDevice
		err := errNoLibvirt
		if a.cfg.Libvirt != nil {
			devs, err = a.cfg.Libvirt.NodeDevices(m.Caps)
		}
		var out map[string]any
		if err == nil {
			out, err = HostDevices(fsRoot(a.cfg.Root), devs)
		}
		if err != nil {
			a.cfg.Log.Error().Err(err).Msg("host devices")
			// API.py hostdevListByCaps is not an api.method: its exception is -32603.
			e := vdsm.Internal(err.Error())
			m.Reply.Error(e.Code, e.Message)
			return
		}
		m.Reply.Result(out)
	case *SetMOMPolicy:
		// There is no MOM on this host to pass them to; they are kept so a later MOM integration
		// (and the logs) see what the engine asked for.
		a.mom = m.Values
		a.cfg.Log.Info().Int("keys", len(m.Values)).Msg("MOM policy parameters stored")
		m.Reply.Result(true)
	case *VMCountsUpdate:
		a.counts = m.Counts
	case *NetworksChanged:
		a.netDirty = m.Dirty
		a.syncLibvirtNetworks(m.VMNetworks)
	case *DomainNetworks:
		c.Respond(a.domainNetworks())
	case *ProvideDomainNetworks:
		c.Respond(a.provideDomainNetworks(m))
	}
}

func (a *Actor) sample() {
	if err := a.sampler.Sample(time.Now()); err != nil {
		a.cfg.Log.Warn().Err(err).Msg("host sample")
	}
}
