package host

import (
	"fmt"
	"slices"
)

// LLDPInfo is one device's entry in Host.getLldp's answer (VDSM's lldp/info.py).
type LLDPInfo struct {
	Enabled bool  `json:"enabled"`
	TLVs    []any `json:"tlvs"`
}

// lldpInfo answers Host.getLldp for devices, or for every NIC caps report when devices is empty
// (network/api.py get_lldp_info). VDSM reads what lldpad received on the devices it told lldpad
// to listen on; this agent runs no LLDP agent, so no device listens: each reads enabled false with
// no TLVs, as VDSM reports a device lldpad does not serve. A device that does not exist fails the
// call, as VDSM's link lookup does.
func lldpInfo(r fsRoot, fakeNICs, devices []string) (map[string]LLDPInfo, error) {
	if len(devices) == 0 {
		for name := range readNetCaps(r, hostAddrs(r), fakeNICs).NICs {
			devices = append(devices, name)
		}
		slices.Sort(devices)
	}
	out := make(map[string]LLDPInfo, len(devices))
	for _, d := range devices {
		if d == "" || !r.exists(netDir+"/"+d) {
			return nil, fmt.Errorf("no such network device: %q", d)
		}
		out[d] = LLDPInfo{TLVs: []any{}}
	}
	return out, nil
}
