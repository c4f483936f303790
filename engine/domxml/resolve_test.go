package domxml

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/engine")

const dir = "../../testdata/engine"

// A host like the embedded test host: the ovirtmgmt bridge, no vdsm-ovirtmgmt network yet.
var testHost = Host{
	OSName: "RHEL", OSVersion: "9.4", OSRelease: "1.el9",
	UUID:     "4C4C4544-0042-3510-8052-B4C04F4E3132",
	Networks: []string{"ovirtmgmt"},
	Bridges:  []string{"ovirtmgmt"},
}

// Each case resolves testdata/engine/<in>.in.xml and compares with <name>.out.xml (the XML
// libvirt gets) and <name>.json (everything else Resolve says). go test -update rewrites them.
func TestResolveGolden(t *testing.T) {
	withNetwork := testHost
	withNetwork.Networks = append([]string{"vdsm-ovirtmgmt"}, testHost.Networks...)
	noBridge := testHost
	noBridge.Bridges = nil

	cases := []struct {
		name, in string
		host     Host
		req      Request
	}{
		{"q35-create-display-network", "q35", testHost, Request{}},
		{"q35-display-network-present", "q35", withNetwork, Request{}},
		{"q35-display-network-fallback", "q35", noBridge, Request{}},
		{"q35-serial-from-request", "q35", withNetwork, Request{Serial: "serial<from>engine"}},
		{"volatile-paused-payload", "volatile", testHost, Request{}},
		{"volatile-payload-image", "volatile", testHost, Request{PayloadDir: "/run/hostagent/payload"}},
		{"ppc64le-no-placeholders", "ppc64le", testHost, Request{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, tc.in+".in.xml"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Resolve(string(in), tc.host, tc.req)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			rest := got
			rest.XML = ""
			js, err := json.MarshalIndent(rest, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".out.xml", got.XML)
			golden(t, tc.name+".json", string(js)+"\n")
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// Whatever needs no change is passed through byte for byte: an XML with nothing to resolve comes
// out identical, namespace prefixes, quotes and comments included.
func TestResolveKeepsUntouchedXML(t *testing.T) {
	in := `<?xml version="1.0"?>
<!-- c --><domain type='kvm' xmlns:ovirt-vm="http://ovirt.org/vm/1.0"><name>a</name><uuid>u-1</uuid>
<sysinfo type='smbios'><system><entry name='product'>Fixed</entry></system></sysinfo>
<devices><graphics type='vnc' passwdValidTo='1970-01-01T00:00:01'><listen type='address' address='0'/></graphics></devices>
<metadata><ovirt-vm:vm><ovirt-vm:x>1</ovirt-vm:x></ovirt-vm:vm></metadata></domain>`
	got, err := Resolve(in, testHost, Request{})
	if err != nil {
		t.Fatal(err)
	}
	if got.XML != in || len(got.Changes) != 0 || got.InsecureVNC || got.DummyBridge {
		t.Fatalf("changed an XML with nothing to resolve: %+v", got)
	}
	if got.Meta.Other["x"] != "1" || !got.Meta.BallooningEnabled || got.Meta.ResumeBehavior != ResumeAuto {
		t.Fatalf("metadata defaults or unknown keys lost: %+v", got.Meta)
	}
}

func TestResolveRefusesWhatIsNotAnEngineDomain(t *testing.T) {
	for _, tc := range []struct{ name, xml, want string }{
		{"not XML", `<domain`, "engine domain XML"},
		{"not a domain", `<network><uuid>x</uuid></network>`, "not <domain>"},
		{"no uuid", `<domain type='kvm'><name>a</name></domain>`, "no <uuid>"},
		{"bad integer", `<domain xmlns:v="http://ovirt.org/vm/1.0"><uuid>u</uuid><metadata><v:vm><v:minGuaranteedMemoryMb type="int">lots</v:minGuaranteedMemoryMb></v:vm></metadata></domain>`, "minGuaranteedMemoryMb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(tc.xml, testHost, Request{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
