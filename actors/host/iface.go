package host

import "net"

// IfaceForIP names the local interface that owns ip, for the capabilities' lastClientIface: the
// engine learns which NIC carries its management traffic. IPv4-mapped IPv6 addresses match their
// IPv4 form. Any loopback address (all of 127.0.0.0/8 and ::1 are delivered locally) belongs to
// the loopback interface even when only 127.0.0.1 is configured on it. "" when no interface owns it.
func IfaceForIP(ip net.IP) string {
	if ip == nil {
		return ""
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifi := range ifs {
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(ip) {
				return ifi.Name
			}
		}
	}
	if ip.IsLoopback() {
		for _, ifi := range ifs {
			if ifi.Flags&net.FlagLoopback != 0 {
				return ifi.Name
			}
		}
	}
	return ""
}
