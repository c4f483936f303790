package host

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The key lists and JSON kinds the answers are checked against are VDSM's API schema, copied
// into testdata/schema (one file per schema type, the source and its commit at the top), never
// derived from this package's structs: a key the structs lose or misspell fails here.

const schemaDir = "../../testdata/schema"

type schemaProp struct {
	name     string
	kind     string // as VDSM sends it: s string, n number, b bool, o object, a array
	optional bool
}

// loadSchema reads testdata/schema/<name>.txt.
func loadSchema(t *testing.T, name string) []schemaProp {
	t.Helper()
	f, err := os.Open(filepath.Join(schemaDir, name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var props []schemaProp
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 2 {
			t.Fatalf("%s: bad line %q", name, line)
		}
		p := schemaProp{name: fs[0], kind: fs[1]}
		for _, w := range fs[2:] {
			switch {
			case w == "optional":
				p.optional = true
			case strings.HasPrefix(w, "wire="):
				p.kind = strings.TrimPrefix(w, "wire=")
			case w == "extra":
			default:
				t.Fatalf("%s: bad word %q in %q", name, w, line)
			}
		}
		props = append(props, p)
	}
	if err := sc.Err(); err != nil || len(props) == 0 {
		t.Fatalf("%s: %v, %d properties", name, err, len(props))
	}
	return props
}

// loadEnum is the values of one enumeration in testdata/schema/enums.txt.
func loadEnum(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(schemaDir, "enums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		t.Fatalf("enum %s is not in enums.txt", name)
	}
	return vals
}

func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "s"
	case float64:
		return "n"
	case bool:
		return "b"
	case map[string]any:
		return "o"
	case []any:
		return "a"
	case nil:
		return "null"
	}
	return "?"
}

// toJSON marshals v as the wire would carry it and decodes it back generically.
func toJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkType checks the object m against schema type typ: every required property is there, every
// property there has its kind, and no key is sent that the schema (with VDSM's known extras) does
// not name. alsoSent are optional properties this agent always sends, as VDSM does.
func checkType(t *testing.T, where string, m any, typ string, alsoSent ...string) map[string]any {
	t.Helper()
	obj, ok := m.(map[string]any)
	if !ok {
		t.Errorf("%s is %s, want an object (%s)", where, kindOf(m), typ)
		return nil
	}
	props := loadSchema(t, typ)
	known := map[string]bool{}
	for _, p := range props {
		known[p.name] = true
		v, ok := obj[p.name]
		if !ok {
			if !p.optional || slices.Contains(alsoSent, p.name) {
				t.Errorf("%s: %q missing (%s)", where, p.name, typ)
			}
			continue
		}
		if got := kindOf(v); got != p.kind {
			t.Errorf("%s: %q is %s (%v), want %s (%s)", where, p.name, got, v, p.kind, typ)
		}
	}
	for _, k := range alsoSent {
		if !known[k] {
			t.Fatalf("%s: %q is not a property of %s", where, k, typ)
		}
	}
	for k := range obj {
		if !known[k] {
			t.Errorf("%s: %q is not a property of %s", where, k, typ)
		}
	}
	return obj
}

// checkEach applies checkType to every value of the object (a map in the schema) at m[key].
func checkEach(t *testing.T, m map[string]any, key, typ string) {
	t.Helper()
	obj, _ := m[key].(map[string]any)
	for name, v := range obj {
		checkType(t, key+"."+name, v, typ)
	}
}

func checkEnum(t *testing.T, where string, v any, enum string) {
	t.Helper()
	s, _ := v.(string)
	if !slices.Contains(loadEnum(t, enum), s) {
		t.Errorf("%s: %v is not in the enum %s", where, v, enum)
	}
}

// capsAlsoSent are optional VdsmCapabilities properties VDSM always sends (host/caps.py get),
// so the engine may rely on them.
var capsAlsoSent = []string{
	"liveSnapshot", "liveMerge", "hooks", "kernelArgs", "realtimeKernel", "nestedVirtualization",
	"hostedEngineDeployed", "hugepages", "backupEnabled", "fipsEnabled", "tscFrequency", "tscScaling",
}

// checkCapsWire checks a capabilities answer against VdsmCapabilities, nested types included.
func checkCapsWire(t *testing.T, caps any) map[string]any {
	t.Helper()
	m := checkType(t, "caps", toJSON(t, caps), "VdsmCapabilities", capsAlsoSent...)
	if m == nil {
		return nil
	}
	checkEach(t, m, "nics", "NetInfoNic")
	checkEach(t, m, "bridges", "NetInfoBridgedNetwork")
	checkEach(t, m, "bondings", "NetInfoBond")
	checkEach(t, m, "vlans", "NetInfoVlan")
	checkEach(t, m, "numaNodes", "NumaNode")
	checkEach(t, m, "packages2", "SoftwarePackageInfo")
	for _, n := range m["numaNodes"].(map[string]any) {
		checkEach(t, n.(map[string]any), "hugepages", "NumaNodeHugePages")
	}
	for i, c := range m["cpuTopology"].([]any) {
		checkType(t, "cpuTopology", c, "CpuInfo")
		if i > 512 {
			break
		}
	}
	checkType(t, "selinux", m["selinux"], "SELinuxStatus")
	checkType(t, "HBAInventory", m["HBAInventory"], "HbaInventory")
	if os := checkType(t, "operatingSystem", m["operatingSystem"], "OsVersion"); os != nil {
		checkEnum(t, "operatingSystem.name", os["name"], "OSName")
	}
	return m
}

// checkStatsWire checks a Host.getStats answer against HostStats the same way.
func checkStatsWire(t *testing.T, stats any) map[string]any {
	t.Helper()
	m := checkType(t, "stats", toJSON(t, stats), "HostStats", "v2vJobs", "multipathHealth", "hugepages")
	if m == nil {
		return nil
	}
	checkEach(t, m, "cpuStatistics", "CpuCoreStats")
	checkEach(t, m, "numaNodeMemFree", "NumaNodeMemoryStats")
	for _, n := range m["numaNodeMemFree"].(map[string]any) {
		checkEach(t, n.(map[string]any), "hugepages", "NumaNodeHugePagesStats")
	}
	checkEach(t, m, "network", "HostNetworkInterfaceStats")
	checkEach(t, m, "diskStats", "PathStats")
	checkType(t, "haStats", m["haStats"], "HostedEngineStatus")
	for name, v := range m["network"].(map[string]any) {
		checkEnum(t, "network."+name+".state", v.(map[string]any)["state"], "NetworkInterfaceState")
	}
	checkEnum(t, "thpState", m["thpState"], "THPStates")
	checkEnum(t, "momStatus", m["momStatus"], "MOMStatus")
	// hugepages is not in the schema; its members are the sysfs files VDSM reads for each page
	// size (hugepages.py).
	hp, _ := m["hugepages"].(map[string]any)
	for size, v := range hp {
		page, _ := v.(map[string]any)
		for _, k := range []string{"free_hugepages", "nr_hugepages", "nr_hugepages_mempolicy",
			"nr_overcommit_hugepages", "resv_hugepages", "surplus_hugepages", "vm.free_hugepages"} {
			if kindOf(page[k]) != "n" {
				t.Errorf("hugepages.%s.%s is %v, want a number", size, k, page[k])
			}
		}
	}
	return m
}
