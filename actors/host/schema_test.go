package host

import (
	"encoding/json"
	"testing"
)

// JSON kinds as VDSM puts them on the wire: s string, n number, b bool, o object, a array.
// The lists are vdsm-api.yml's required properties (no defaultvalue) plus what VDSM always
// sends; where VDSM departs from the schema (vncEncrypted) the wire wins.

var capsKinds = map[string]string{
	"bondings": "o", "autoNumaBalancing": "n", "netConfigDirty": "s", "nics": "o",
	"emulatedMachines": "a", "cpuFlags": "s", "reservedMem": "s", "onlineCpus": "s",
	"cpuTopology": "a", "cpuSpeed": "s", "software_version": "s", "vdsmToCpusAffinity": "a",
	"vmTypes": "a", "hostdevPassthrough": "s", "rngSources": "a", "version_name": "s",
	"numaNodes": "o", "memSize": "s", "supportedENGINEs": "a", "cpuModel": "s", "selinux": "o",
	"networks": "o", "kvmEnabled": "s", "ISCSIInitiatorName": "s", "cpuThreads": "s",
	"software_revision": "s", "bridges": "o", "guestOverhead": "s", "HBAInventory": "o",
	"clusterLevels": "a", "cpuCores": "s", "cpuSockets": "s", "lastClientIface": "s", "uuid": "s",
	"operatingSystem": "o", "vlans": "o", "supportsIPv6": "b", "nameservers": "a",
	"numaNodeDistance": "o", "kdumpStatus": "n", "packages2": "o", "additionalFeatures": "a",
	"vncEncrypted": "b",
	// optional, but sent
	"liveSnapshot": "s", "liveMerge": "s", "hooks": "o", "kernelArgs": "s", "realtimeKernel": "b",
	"nestedVirtualization": "b", "hostedEngineDeployed": "b", "hugepages": "a", "backupEnabled": "b",
	"fipsEnabled": "b", "tscFrequency": "s", "tscScaling": "b",
}

var statsKinds = map[string]string{
	"cpuUserVdsmd": "s", "swapTotal": "n", "incomingVmMigrations": "n", "cpuLoad": "s",
	"ksmPages": "n", "memUsed": "s", "cpuIdle": "s", "txDropped": "s", "ksmState": "b",
	"elapsedTime": "s", "netConfigDirty": "s", "vmActive": "n", "vmMigrating": "n", "network": "o",
	"outgoingVmMigrations": "n", "cpuSys": "s", "dateTime": "s", "cpuStatistics": "o",
	"swapFree": "n", "cpuUser": "s", "ksmCpu": "n", "numaNodeMemFree": "o", "momStatus": "s",
	"memFree": "n", "memShared": "n", "storageDomains": "o", "vmCount": "n", "diskStats": "o",
	"cpuSysVdsmd": "s", "haStats": "o", "thpState": "s", "rxDropped": "s", "anonHugePages": "s",
	"ksmMergeAcrossNodes": "b",
	// optional, but sent
	"v2vJobs": "o", "multipathHealth": "o", "hugepages": "o",
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

func checkKinds(t *testing.T, where string, m map[string]any, kinds map[string]string) {
	t.Helper()
	for k, want := range kinds {
		v, ok := m[k]
		if !ok {
			t.Errorf("%s: %q missing", where, k)
			continue
		}
		if got := kindOf(v); got != want {
			t.Errorf("%s: %q is %s (%v), want %s", where, k, got, v, want)
		}
	}
}

// checkEach applies checkKinds to every value of the object at m[key].
func checkEach(t *testing.T, m map[string]any, key string, kinds map[string]string) {
	t.Helper()
	obj, _ := m[key].(map[string]any)
	for name, v := range obj {
		sub, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s.%s is %s", key, name, kindOf(v))
			continue
		}
		checkKinds(t, key+"."+name, sub, kinds)
	}
}

var ipKinds = map[string]string{
	"addr": "s", "netmask": "s", "gateway": "s", "ipv4addrs": "a", "ipv6addrs": "a",
	"ipv6gateway": "s", "ipv4defaultroute": "b", "dhcpv4": "b", "dhcpv6": "b", "ipv6autoconf": "b",
}

func with(base map[string]string, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// checkCapsWire checks a capabilities answer key by key and type by type, nested shapes
// included.
func checkCapsWire(t *testing.T, caps any) map[string]any {
	t.Helper()
	m := toJSON(t, caps)
	checkKinds(t, "caps", m, capsKinds)
	checkEach(t, m, "nics", with(ipKinds, map[string]string{"hwaddr": "s", "speed": "n", "mtu": "s"}))
	checkEach(t, m, "bridges", with(ipKinds, map[string]string{"mtu": "s", "ports": "a", "stp": "s", "opts": "o"}))
	checkEach(t, m, "bondings", with(ipKinds, map[string]string{"hwaddr": "s", "mtu": "s", "slaves": "a", "active_slave": "s", "opts": "o"}))
	checkEach(t, m, "vlans", with(ipKinds, map[string]string{"iface": "s", "vlanid": "n", "mtu": "s"}))
	checkEach(t, m, "numaNodes", map[string]string{"totalMemory": "s", "cpus": "a", "hugepages": "o"})
	checkEach(t, m, "packages2", map[string]string{"version": "s", "release": "s"})
	for _, n := range m["numaNodes"].(map[string]any) {
		for size, hp := range n.(map[string]any)["hugepages"].(map[string]any) {
			checkKinds(t, "numaNodes hugepages "+size, hp.(map[string]any), map[string]string{"totalPages": "s"})
		}
	}
	for i, c := range m["cpuTopology"].([]any) {
		checkKinds(t, "cpuTopology", c.(map[string]any), map[string]string{"cpu_id": "n", "numa_cell_id": "n", "socket_id": "n", "die_id": "n", "core_id": "n"})
		if i > 512 {
			break
		}
	}
	checkKinds(t, "selinux", m["selinux"].(map[string]any), map[string]string{"mode": "s"})
	checkKinds(t, "operatingSystem", m["operatingSystem"].(map[string]any), map[string]string{"name": "s", "version": "s", "release": "s", "pretty_name": "s"})
	checkKinds(t, "HBAInventory", m["HBAInventory"].(map[string]any), map[string]string{"iSCSI": "a", "FC": "a"})
	switch m["operatingSystem"].(map[string]any)["name"] {
	case "RHEL", "Fedora", "Debian", "oVirt Node", "RHEV Hypervisor", "unknown":
	default:
		t.Errorf("operatingSystem.name %v is not in the OSName enum", m["operatingSystem"])
	}
	return m
}

// checkStatsWire checks a HostStats answer the same way.
func checkStatsWire(t *testing.T, stats any) map[string]any {
	t.Helper()
	m := toJSON(t, stats)
	checkKinds(t, "stats", m, statsKinds)
	checkEach(t, m, "cpuStatistics", map[string]string{"nodeIndex": "n", "cpuUser": "s", "cpuSys": "s", "cpuIdle": "s"})
	checkEach(t, m, "numaNodeMemFree", map[string]string{"memFree": "s", "memPercent": "n", "hugepages": "o"})
	checkEach(t, m, "network", map[string]string{
		"name": "s", "state": "s", "speed": "s", "rx": "s", "tx": "s", "rxErrors": "s",
		"txErrors": "s", "rxDropped": "s", "txDropped": "s", "sampleTime": "n",
	})
	checkEach(t, m, "diskStats", map[string]string{"free": "s"})
	checkEach(t, m, "hugepages", map[string]string{
		"free_hugepages": "n", "nr_hugepages": "n", "nr_hugepages_mempolicy": "n",
		"nr_overcommit_hugepages": "n", "resv_hugepages": "n", "surplus_hugepages": "n", "vm.free_hugepages": "n",
	})
	checkKinds(t, "haStats", m["haStats"].(map[string]any), map[string]string{
		"configured": "b", "active": "b", "score": "n", "globalMaintenance": "b", "localMaintenance": "b",
	})
	for name, v := range m["network"].(map[string]any) {
		switch s := v.(map[string]any)["state"]; s {
		case "up", "down", "unknown":
		default:
			t.Errorf("network.%s.state %v is not in the enum", name, s)
		}
	}
	switch m["thpState"] {
	case "always", "madvise", "never":
	default:
		t.Errorf("thpState %v", m["thpState"])
	}
	return m
}
