package hostnet

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// goldenFixtures are the golden cases' host states and requests, as raw JSON: each use decodes
// its own copy of the state, so a planner that wrote into its input could not hide behind it.
func goldenFixtures(tb testing.TB) (currents []json.RawMessage, inputs []goldenInput) {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "network", "*.in.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no golden cases: %v", err)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		var gi goldenInput
		var top struct {
			Current json.RawMessage `json:"current"`
		}
		if err := json.Unmarshal(raw, &gi); err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		if err := json.Unmarshal(raw, &top); err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		currents = append(currents, top.Current)
		inputs = append(inputs, gi)
	}
	return currents, inputs
}

// FuzzSetupNetworks feeds any bytes as setupNetworks' three parameters against the host states
// of the golden cases (state picks one). The engine's input must end in VDSM's error, with a
// code, or in a plan whose every step the kernel model takes and whose rollback gives back the
// starting state exactly.
func FuzzSetupNetworks(f *testing.F) {
	currents, inputs := goldenFixtures(f)
	for i, gi := range inputs {
		r := gi.Request
		f.Add(uint8(i), []byte(r.Networks), []byte(r.Bondings), []byte(r.Options))
	}
	f.Add(uint8(0), []byte(`null`), []byte(`null`), []byte(`null`))
	f.Add(uint8(0), []byte(`{"n":{"nic":"eth1","vlan":"4095","ipaddr":"1.2.3.4","netmask":"255.0.255.0"}}`), []byte(`{}`), []byte(`{}`))
	f.Add(uint8(0), []byte(`{"n":{"remove":"true"}}`), []byte(`{"bond0":{"remove":true}}`), []byte(`[]`))

	f.Fuzz(func(t *testing.T, state uint8, networks, bondings, options []byte) {
		curRaw := currents[int(state)%len(currents)]
		fresh := func() Current {
			var c Current
			if err := json.Unmarshal(curRaw, &c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		req, err := DecodeRequest(networks, bondings, options)
		var p Plan
		if err == nil {
			p, err = PlanSetup(fresh(), req)
		}
		if err != nil {
			var ve *vdsm.Error
			if !errors.As(err, &ve) || ve.Code == 0 || ve.Message == "" {
				t.Fatalf("error without VDSM's code: %#v", err)
			}
			return
		}
		checkInverse(t, fresh(), p)
	})
}

// FuzzBondOptions: any option string is VDSM's bonding error or options whose canonical form
// reads back as itself, through the parser and through the netlink Bond the adapter sends.
func FuzzBondOptions(f *testing.F) {
	for _, s := range []string{
		"", "mode=4 miimon=100 xmit_hash_policy=2", "xmit_hash_policy=layer2+3 mode=802.3ad miimon=100",
		"mode=active-backup miimon=100 primary=eth1 primary_reselect=better",
		"mode=4 miimon=200 lacp_rate=fast ad_select=bandwidth ad_actor_sys_prio=100 ad_user_port_key=5 ad_actor_system=02:AA:00:00:00:01",
		"mode=1 arp_interval=100 arp_ip_target=10.0.0.1,10.0.0.2 arp_validate=all arp_all_targets=all",
		"mode=2 updelay=200 downdelay=200 min_links=1 use_carrier=0 all_slaves_active=1 fail_over_mac=follow",
		"num_unsol_na=3 resend_igmp=0 lp_interval=5 packets_per_slave=0", "mode=6 tlb_dynamic_lb=0",
		"mode=1 miimon=0 updelay=0 lacp_rate=slow", "mode=1 miimon=100 arp_interval=100", "mode=1 mode=4",
		"mode=+1 miimon=0x10", "mode=1 arp_ip_target=", "mode=1 primary=", "mode=1 peer_notif_delay=100",
	} {
		f.Add(s)
	}
	links := func(name string) bool { return name == "eth1" || name == "eth2" }
	index := map[string]int{"eth1": 7, "eth2": 8}
	names := map[int]string{7: "eth1", 8: "eth2"}
	cur := Current{Links: []Link{{Name: "eth1", Kind: KindNIC}, {Name: "eth2", Kind: KindNIC}}}

	f.Fuzz(func(t *testing.T, opts string) {
		if err := validateBondOptions(cur, Bond{Name: "bond0", Options: opts}); err != nil {
			var ve *vdsm.Error
			if !errors.As(err, &ve) || ve.Code != vdsm.CodeNetBadBonding {
				t.Fatalf("%q: %#v, want code %d", opts, err, vdsm.CodeNetBadBonding)
			}
			return
		}
		got, err := parseBondOptions("bond0", opts, links)
		if err != nil {
			t.Fatalf("%q validated but does not parse: %v", opts, err)
		}
		canon := got.String()
		again, err := parseBondOptions("bond0", canon, links)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, opts, err)
		}
		if again.String() != canon {
			t.Fatalf("%q: canonical %q, then %q", opts, canon, again.String())
		}
		if back := parseCanonical(canon).String(); back != canon {
			t.Fatalf("%q: canonical %q reads back as %q", opts, canon, back)
		}
		b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
		if err := toNetlink(b, got.full(), func(n string) (int, error) { return index[n], nil }); err != nil {
			t.Fatalf("%q to netlink: %v", opts, err)
		}
		if back := fromNetlink(b, func(i int) string { return names[i] }).String(); back != canon {
			t.Fatalf("%q through netlink reads back as %q, want %q", opts, back, canon)
		}
	})
}
