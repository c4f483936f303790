package bench

import (
	"context"
	"errors"
	"net"
	"testing"
)

// A name passes only when every address it resolves to is loopback, and the address returned is
// one that was checked; --allow-remote takes the name as given.
func TestTarget(t *testing.T) {
	lookup := func(addrs ...string) func(context.Context, string) ([]net.IPAddr, error) {
		return func(context.Context, string) ([]net.IPAddr, error) {
			var out []net.IPAddr
			for _, a := range addrs {
				out = append(out, net.IPAddr{IP: net.ParseIP(a)})
			}
			return out, nil
		}
	}
	if _, err := Target("sneaky", 1, false, lookup("127.0.0.1", "198.51.100.7")); err == nil {
		t.Error("a name with one remote address among loopback ones was accepted")
	}
	if _, err := Target("nowhere", 1, false, lookup()); err == nil {
		t.Error("a name with no address was accepted")
	}
	failing := func(context.Context, string) ([]net.IPAddr, error) { return nil, errors.New("no such host") }
	if _, err := Target("nowhere", 1, false, failing); err == nil {
		t.Error("a name that does not resolve was accepted")
	}
	if addr, err := Target("localhost", 54321, false, lookup("::1", "127.0.0.1")); err != nil || addr != "[::1]:54321" {
		t.Errorf("localhost: %q %v", addr, err)
	}
	if addr, err := Target("example.org", 54321, true, failing); err != nil || addr != "example.org:54321" {
		t.Errorf("--allow-remote: %q %v", addr, err)
	}
}
