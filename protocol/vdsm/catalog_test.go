package vdsm

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestCatalogSortedAndUnique(t *testing.T) {
	if len(Catalog) < 200 {
		t.Fatalf("Catalog has %d methods; vdsm-api.yml has about 200", len(Catalog))
	}
	if !sort.SliceIsSorted(Catalog, func(i, j int) bool { return Catalog[i].Name < Catalog[j].Name }) {
		t.Error("Catalog is not sorted by name")
	}
	seen := make(map[string]bool, len(Catalog))
	for _, m := range Catalog {
		if seen[m.Name] {
			t.Errorf("duplicate method %q", m.Name)
		}
		seen[m.Name] = true
		ns, verb, ok := strings.Cut(m.Name, ".")
		if !ok || ns == "" || verb == "" || strings.Contains(verb, ".") {
			t.Errorf("method name %q is not Namespace.verb", m.Name)
		}
		if strings.HasPrefix(ns, "Gluster") {
			t.Errorf("Gluster method %q should not be in the catalogue", m.Name)
		}
		params := make(map[string]bool, len(m.Params))
		for _, p := range m.Params {
			if p.Name == "" || params[p.Name] {
				t.Errorf("%s: empty or repeated param name %q", m.Name, p.Name)
			}
			params[p.Name] = true
		}
	}
	if len(catalogIndex) != len(Catalog) {
		t.Errorf("index has %d entries, Catalog %d", len(catalogIndex), len(Catalog))
	}
}

// Every VM verb takes the VM's ID first (the constructor argument of VDSM's VM object).
func TestCatalogVMVerbsTakeVMIDFirst(t *testing.T) {
	n := 0
	for _, m := range Catalog {
		if !strings.HasPrefix(m.Name, "VM.") {
			continue
		}
		n++
		if len(m.Params) == 0 || m.Params[0] != (Param{Name: "vmID"}) {
			t.Errorf("%s: first param is not a required vmID: %+v", m.Name, m.Params)
		}
	}
	if n == 0 {
		t.Fatal("no VM verbs in Catalog")
	}
}

// schemaParams builds a param list from "name" (required) and "name?" (optional) words.
func schemaParams(words ...string) []Param {
	out := []Param{}
	for _, w := range words {
		if name, ok := strings.CutSuffix(w, "?"); ok {
			out = append(out, Param{Name: name, Optional: true})
		} else {
			out = append(out, Param{Name: w})
		}
	}
	return out
}

func TestCatalogKnownMethods(t *testing.T) {
	cases := []struct {
		name   string
		params []Param
	}{
		{"Host.ping", schemaParams()},
		{"Host.ping2", schemaParams()},
		{"Host.getVMList", schemaParams("fullStatus?", "vmList?", "onlyUUID?")},
		{"Host.getAllVmStats", schemaParams()},
		{"Host.setMOMPolicyParameters", schemaParams("key_value_store")},
		{"Host.dumpxmls", schemaParams("vmList?")},
		{"Host.getCapabilities", schemaParams()},
		{"Host.getStats", schemaParams()},
		{"Host.getHardwareInfo", schemaParams()},
		{"Host.getVMFullList", schemaParams("vmList?")},
		{"Host.setLogLevel", schemaParams("level", "name?")},
		{"VM.create", schemaParams("vmID", "vmParams")},
		{"VM.destroy", schemaParams("vmID", "gracefulAttempts?")},
		{"VM.shutdown", schemaParams("vmID", "delay?", "message?", "reboot?", "timeout?", "force?")},
		{"VM.getStats", schemaParams("vmID")},
		{"VM.cont", schemaParams("vmID")},
		{"VM.pause", schemaParams("vmID")},
		{"VM.reset", schemaParams("vmID")},
		{"VM.migrate", schemaParams("vmID", "params")},
		{"VM.migrationCreate", schemaParams("vmID", "params", "incomingLimit")},
		{"VM.setTicket", schemaParams("vmID", "password", "ttl", "existingConnAction", "params")},
		{"Image.delete", schemaParams("imageID", "storagepoolID", "storagedomainID", "postZero", "force", "discard?")},
		{"Image.prepare", schemaParams("storagepoolID", "storagedomainID", "imageID", "volumeID", "allowIllegal?")},
		{"Volume.getInfo", schemaParams("volumeID", "storagepoolID", "storagedomainID", "imageID")},
		{"StorageDomain.getInfo", schemaParams("storagedomainID")},
		{"StoragePool.connect", schemaParams("storagepoolID", "hostID", "scsiKey", "masterSdUUID", "masterVersion", "domainDict?")},
		{"Task.getStatus", schemaParams("taskID")},
		{"SDM.copy_data", schemaParams("job_id", "source", "destination", "copy_bitmaps?")},
	}
	for _, c := range cases {
		m, ok := Lookup(c.name)
		if !ok {
			t.Errorf("Lookup(%q): not found", c.name)
			continue
		}
		if m.Name != c.name {
			t.Errorf("Lookup(%q) returned %q", c.name, m.Name)
		}
		if !reflect.DeepEqual(append([]Param{}, m.Params...), c.params) {
			t.Errorf("%s params = %+v, want %+v", c.name, m.Params, c.params)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, name := range []string{"", "VM", "VM.", "vm.getStats", "VM.getstats", "Host.noSuchVerb", "GlusterVolume.list", "Host.getStats.x"} {
		if m, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) = %+v, want not found", name, m)
		}
	}
}

func TestParamNames(t *testing.T) {
	m, _ := Lookup("VM.shutdown")
	want := []string{"vmID", "delay", "message", "reboot", "timeout", "force"}
	if got := m.ParamNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("ParamNames = %q, want %q", got, want)
	}
	m, _ = Lookup("Host.ping2")
	if got := m.ParamNames(); len(got) != 0 {
		t.Errorf("Host.ping2 ParamNames = %q, want none", got)
	}
	// The result is the caller's own: changing it leaves the catalogue alone.
	m, _ = Lookup("VM.getStats")
	m.ParamNames()[0] = "changed"
	if again, _ := Lookup("VM.getStats"); again.Params[0].Name != "vmID" {
		t.Error("ParamNames shares storage with the catalogue")
	}
}

// The catalogue must say exactly what the extracted schema data in testdata says.
func TestCatalogMatchesExtractedSchema(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "vdsm-api", "methods.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string][]Param{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		if _, dup := want[name]; dup {
			t.Errorf("methods.txt lists %q twice", name)
		}
		want[name] = schemaParams(strings.Fields(rest)...)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(Catalog) {
		t.Errorf("methods.txt has %d methods, Catalog %d", len(want), len(Catalog))
	}
	for _, m := range Catalog {
		w, ok := want[m.Name]
		if !ok {
			t.Errorf("%s is in Catalog but not in methods.txt", m.Name)
			continue
		}
		if !reflect.DeepEqual(append([]Param{}, m.Params...), w) {
			t.Errorf("%s: Catalog params %+v, methods.txt %+v", m.Name, m.Params, w)
		}
	}
}
