package hostnet

import (
	"errors"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

func TestBondOptionsCanonical(t *testing.T) {
	links := func(name string) bool { return name == "eth1" || name == "eth2" }
	for _, c := range []struct{ in, want string }{
		{"", "mode=0"},
		// The engine's defaults: 802.3ad starts MII monitoring at 100 ms by itself.
		{"mode=4 miimon=100 xmit_hash_policy=2", "mode=4 xmit_hash_policy=2"},
		{"xmit_hash_policy=layer2+3 mode=802.3ad miimon=100", "mode=4 xmit_hash_policy=2"},
		{"mode=1 miimon=100", "mode=1 miimon=100"},
		{"mode=active-backup miimon=100 primary=eth1 primary_reselect=better", "mode=1 miimon=100 primary=eth1 primary_reselect=1"},
		{"mode=4 miimon=200 lacp_rate=fast ad_select=bandwidth ad_actor_sys_prio=100 ad_user_port_key=5 ad_actor_system=02:AA:00:00:00:01",
			"mode=4 miimon=200 lacp_rate=1 ad_select=1 ad_actor_sys_prio=100 ad_user_port_key=5 ad_actor_system=02:aa:00:00:00:01"},
		{"mode=1 arp_interval=100 arp_ip_target=10.0.0.1,10.0.0.2 arp_validate=all arp_all_targets=all",
			"mode=1 arp_interval=100 arp_ip_target=10.0.0.1,10.0.0.2 arp_validate=3 arp_all_targets=1"},
		{"mode=2 updelay=200 downdelay=200 min_links=1 use_carrier=0 all_slaves_active=1 fail_over_mac=follow",
			"mode=2 updelay=200 downdelay=200 use_carrier=0 fail_over_mac=2 all_slaves_active=1 min_links=1"},
		{"num_unsol_na=3 resend_igmp=0 lp_interval=5 packets_per_slave=0", "mode=0 resend_igmp=0 num_grat_arp=3 lp_interval=5 packets_per_slave=0"},
		{"mode=6 tlb_dynamic_lb=0", "mode=6 tlb_dynamic_lb=0"},
		// A value at the kernel's default is no difference, in its mode or not.
		{"mode=1 miimon=0 updelay=0 lacp_rate=slow", "mode=1"},
	} {
		got, err := parseBondOptions("bond0", c.in, links)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got.String() != c.want {
			t.Errorf("%q is %q, want %q", c.in, got.String(), c.want)
		}
		// What the adapter sends the kernel reads back as the same options.
		b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
		index := map[string]int{"eth1": 7, "eth2": 8}
		if err := toNetlink(b, got.full(), func(n string) (int, error) { return index[n], nil }); err != nil {
			t.Errorf("%q to netlink: %v", c.in, err)
			continue
		}
		back := fromNetlink(b, func(i int) string { return map[int]string{7: "eth1", 8: "eth2"}[i] })
		if back.String() != c.want {
			t.Errorf("%q through netlink reads back as %q, want %q", c.in, back.String(), c.want)
		}
	}
}

func TestBondOptionsRefused(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"mode=1 miimon", "Error parsing bonding options: 'mode=1 miimon'"},
		{"mode=1 miimon=-1", "Error parsing bonding options: 'mode=1 miimon=-1'"},
		{"mode=1 miimon=often", "Error parsing bonding options: 'mode=1 miimon=often'"},
		{"mode=4 xmit_hash_policy=layer9", "Error parsing bonding options: 'mode=4 xmit_hash_policy=layer9'"},
		{"mode=1 primary=eth9", "Error parsing bonding options: 'mode=1 primary=eth9'"},
		{"mode=4 ad_actor_system=01:00:5e:00:00:01", "Error parsing bonding options: 'mode=4 ad_actor_system=01:00:5e:00:00:01'"},
		{"mode=1 arp_ip_target=10.0.0.300", "Error parsing bonding options: 'mode=1 arp_ip_target=10.0.0.300'"},
		{"mode=4 ad_user_port_key=1024", "Error parsing bonding options: 'mode=4 ad_user_port_key=1024'"},
		{"mode=1 speed=fast", "'speed' is not a valid bonding option"},
		{"mode=1 peer_notif_delay=100", "bond bond0: bonding option peer_notif_delay is not supported by this host"},
		{"mode=1 active_slave=eth1", "bond bond0: bonding option active_slave is not supported by this host"},
		{"mode=1 lacp_rate=fast", "bond bond0: bonding option lacp_rate does not apply in mode 1"},
		{"mode=4 arp_interval=100", "bond bond0: bonding option arp_interval does not apply in mode 4"},
		{"mode=4 primary=eth1", "bond bond0: bonding option primary does not apply in mode 4"},
		{"mode=1 miimon=100 arp_interval=100", "bond bond0: bonding options miimon and arp_interval cannot be used together"},
	} {
		err := validateBondOptions(Current{Links: []Link{{Name: "eth1", Kind: KindNIC}}}, Bond{Name: "bond0", Options: c.in})
		if err == nil {
			t.Errorf("%q accepted", c.in)
			continue
		}
		var ve *vdsm.Error
		if !errors.As(err, &ve) || ve.Code != vdsm.CodeNetBadBonding || ve.Message != c.want {
			t.Errorf("%q: %v, want code %d %q", c.in, err, vdsm.CodeNetBadBonding, c.want)
		}
	}
}
