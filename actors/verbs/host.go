package verbs

import (
	"encoding/json"
	"net"

	"github.com/hostagent/hostagent/actors/host"
	netact "github.com/hostagent/hostagent/actors/net"
)

// HostVerbs are the Host namespace verbs that need no VM state.
func HostVerbs() []Verb {
	return []Verb{
		{Name: "Host.ping2", Run: clientSeen},
		{Name: "Host.ping", Run: alwaysTrue},
		{Name: "Host.confirmConnectivity", Run: clientSeen},
		{Name: "Host.getCapabilities", Run: getCapabilities},
		{Name: "Host.getStats", Run: toHost(func(c *Call) any { return &host.GetStats{Reply: c.Reply} })},
		{Name: "Host.getHardwareInfo", Run: toHost(func(c *Call) any { return &host.GetHardwareInfo{Reply: c.Reply} })},
		{Name: "Host.setMOMPolicyParameters", Run: setMOMPolicy},
		{Name: "Host.getLldp", Run: getLldp},
		{Name: "Host.hostdevListByCaps", Run: hostdevListByCaps},
		{Name: "Host.getAllVmIoTunePolicies", Run: emptyMap},
	}
}

func alwaysTrue(*Call) (any, error) { return true, nil }

// emptyMap answers verbs whose honest answer on this host is "nothing": no VM has IO-tune
// policies.
func emptyMap(*Call) (any, error) { return map[string]any{}, nil }

func toHost(msg func(c *Call) any) Handler {
	return func(c *Call) (any, error) {
		c.Env.Root.Send(c.Env.Host, msg(c))
		return Deferred, nil
	}
}

func getCapabilities(c *Call) (any, error) {
	iface := ""
	if ta, ok := c.Local.(*net.TCPAddr); ok {
		iface = host.IfaceForIP(ta.IP)
	}
	if c.Env.Net != nil {
		c.Env.Root.Send(c.Env.Net, &netact.GetCapabilities{Reply: c.Reply, ClientIface: iface})
		return Deferred, nil
	}
	c.Env.Root.Send(c.Env.Host, &host.GetCapabilities{Reply: c.Reply, ClientIface: iface})
	return Deferred, nil
}

// getLldp takes the engine's filter {devices: [...]}; an absent or empty list means every NIC.
func getLldp(c *Call) (any, error) {
	f, err := c.Object("filter")
	if err != nil {
		return nil, err
	}
	var devices []string
	if raw, ok := f["devices"]; ok && string(raw) != "null" {
		if json.Unmarshal(raw, &devices) != nil {
			return nil, badParam(c.Method, "filter", "an object whose devices is a list of names")
		}
	}
	c.Env.Root.Send(c.Env.Host, &host.GetLldp{Reply: c.Reply, Devices: devices})
	return Deferred, nil
}

// hostdevListByCaps takes VDSM's optional caps, a list of capability names; absent or empty
// means every device.
func hostdevListByCaps(c *Call) (any, error) {
	caps, err := c.OptStrings("caps")
	if err != nil {
		return nil, err
	}
	c.Env.Root.Send(c.Env.Host, &host.ListHostDevices{Reply: c.Reply, Caps: caps})
	return Deferred, nil
}

func setMOMPolicy(c *Call) (any, error) {
	kv, err := c.Object("key_value_store")
	if err != nil {
		return nil, err
	}
	c.Env.Root.Send(c.Env.Host, &host.SetMOMPolicy{Reply: c.Reply, Values: kv})
	return Deferred, nil
}
