package bench

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Target resolves host and refuses it unless every address is loopback (or remote targets
// are allowed). It returns the address to dial: an address it checked, so that a second lookup
// cannot land somewhere else.
func Target(host string, port int, allowRemote bool,
	lookup func(context.Context, string) ([]net.IPAddr, error)) (string, error) {
	if port < 1 || port > 65535 {
		return "", fmt.Errorf("bad port %d", port)
	}
	if allowRemote {
		return net.JoinHostPort(host, strconv.Itoa(port)), nil
	}
	var addrs []net.IPAddr
	if ip := net.ParseIP(host); ip != nil {
		addrs = []net.IPAddr{{IP: ip}}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		if addrs, err = lookup(ctx, host); err != nil {
			return "", fmt.Errorf("resolving %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return "", fmt.Errorf("%s resolves to no address", host)
		}
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return "", fmt.Errorf("refusing %s: %s is not a loopback address (--allow-remote to benchmark another host)", host, a.IP)
		}
	}
	return net.JoinHostPort(addrs[0].String(), strconv.Itoa(port)), nil
}
