package main

import (
	"flag"
	"fmt"
	"path"
	"strings"

	"github.com/hostagent/hostagent/actors/agent"
	"github.com/hostagent/hostagent/hostnet"
)

// netFlags are `agent serve`'s network management settings. Management is off unless asked
// for: the flag's default serves the embedded test host, tests and development machines, where
// the agent must never touch the machine's links. The shipped agent.conf, written for a real
// qemu:///system host the engine installs, turns it on, as VDSM always manages a host's networks.
type netFlags struct {
	manage    *bool
	stateDir  *string
	namespace *string
	fakeNICs  patternsFlag
}

func registerNetFlags(fs *flag.FlagSet) *netFlags {
	n := &netFlags{fakeNICs: patternsFlag(append([]string(nil), hostnet.DefaultFakeNICs...))}
	n.manage = fs.Bool("manage-networks", false, "own the host's network configuration (Host.setupNetworks and friends); off, those verbs answer 44 and no link is touched")
	n.stateDir = fs.String("net-state-dir", "/var/lib/hostagent/network", "where the running and safe network configurations are kept")
	n.namespace = fs.String("net-namespace", "", "manage this named network namespace (ip netns) instead of the agent's own")
	fs.Var(&n.fakeNICs, "fake-nics", "comma-separated name patterns of virtual devices reported and used as NICs (VDSM's fake_nics)")
	return n
}

func (n *netFlags) apply(cfg *agent.Config) {
	cfg.ManageNetworks = *n.manage
	cfg.NetStateDir = *n.stateDir
	cfg.NetNamespace = *n.namespace
	cfg.FakeNICs = []string(n.fakeNICs)
}

// patternsFlag is a comma-separated list of path.Match patterns; an empty value means none.
type patternsFlag []string

func (p *patternsFlag) String() string { return strings.Join(*p, ",") }

func (p *patternsFlag) Set(s string) error {
	out := []string{} // not nil: an empty value means no fake NICs, not the default
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if _, err := path.Match(f, ""); err != nil {
			return fmt.Errorf("bad pattern %q", f)
		}
		out = append(out, f)
	}
	*p = out
	return nil
}
