package verbs

import (
	"encoding/json"

	"github.com/hostagent/hostagent/actors/net"
	"github.com/hostagent/hostagent/protocol/vdsm"
)

// NetVerbs are the verbs the network actor answers. Without one (an agent not told to manage the
// host's networks) they are honestly not implemented.
func NetVerbs() []Verb {
	return []Verb{
		{Name: "Host.setupNetworks", Run: setupNetworks},
		{Name: "Host.setSafeNetworkConfig", Run: toNet(func(c *Call) any { return &net.SetSafeNetworkConfig{Reply: c.Reply} })},
		{Name: "Host.getNetworkCapabilities", Run: toNet(func(c *Call) any { return &net.GetNetworkCapabilities{Reply: c.Reply} })},
	}
}

func toNet(msg func(c *Call) any) Handler {
	return func(c *Call) (any, error) {
		if c.Env.Net == nil {
			return nil, vdsm.NotImplemented()
		}
		c.Env.Root.Send(c.Env.Net, msg(c))
		return Deferred, nil
	}
}

func setupNetworks(c *Call) (any, error) {
	var raws [3]json.RawMessage
	for i, name := range []string{"networks", "bondings", "options"} {
		raw, ok := present(c, name)
		if !ok {
			return nil, missing(c.Method, name)
		}
		raws[i] = raw
	}
	return toNet(func(*Call) any {
		return &net.SetupNetworks{Reply: c.Reply, Networks: raws[0], Bondings: raws[1], Options: raws[2]}
	})(c)
}

// clientSeen answers true, and tells the network actor a client got through: that confirms a
// setupNetworks waiting for its connectivity check, as VDSM counts any such call.
func clientSeen(c *Call) (any, error) {
	if c.Env.Net != nil {
		c.Env.Root.Send(c.Env.Net, &net.ClientSeen{})
	}
	return true, nil
}
