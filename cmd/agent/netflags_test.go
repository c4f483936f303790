package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/actors/agent"
)

func TestNetFlagsDefaultsLeaveLinksAlone(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	n := registerNetFlags(fs)
	fs.Parse(nil)
	var cfg agent.Config
	n.apply(&cfg)
	if cfg.ManageNetworks || cfg.NetStateDir != "/var/lib/hostagent/network" || cfg.NetNamespace != "" ||
		!reflect.DeepEqual(cfg.FakeNICs, []string{"dummy_*", "veth_*"}) {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestNetConfigKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.conf")
	os.WriteFile(path, []byte("manage-networks = true\nnet-state-dir = /srv/net\nnet-namespace = hostA\nfake-nics = veth_*, dummy_*, eth9\n"), 0o600)
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	n := registerNetFlags(fs)
	if err := fs.Parse([]string{"--net-state-dir", "/cli/wins"}); err != nil {
		t.Fatal(err)
	}
	if err := applyConfigFile(fs, path); err != nil {
		t.Fatal(err)
	}
	var cfg agent.Config
	n.apply(&cfg)
	if !cfg.ManageNetworks || cfg.NetStateDir != "/cli/wins" || cfg.NetNamespace != "hostA" ||
		!reflect.DeepEqual(cfg.FakeNICs, []string{"veth_*", "dummy_*", "eth9"}) {
		t.Fatalf("from file: %+v", cfg)
	}
	var out bytes.Buffer
	printConfig(fs, &out)
	if !strings.Contains(out.String(), "fake-nics = veth_*,dummy_*,eth9\n") || !strings.Contains(out.String(), "manage-networks = true\n") {
		t.Fatal(out.String())
	}

	// An empty list means no fake NICs at all, not VDSM's default.
	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	n = registerNetFlags(fs)
	fs.Parse([]string{"--fake-nics="})
	n.apply(&cfg)
	if cfg.FakeNICs == nil || len(cfg.FakeNICs) != 0 {
		t.Fatalf("empty fake-nics: %#v", cfg.FakeNICs)
	}

	for _, bad := range []string{"fake-nics = veth_[\n", "manage-networks = maybe\n"} {
		os.WriteFile(path, []byte(bad), 0o600)
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		registerNetFlags(fs)
		if err := applyConfigFile(fs, path); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
