package vdsm

import (
	"encoding/json"
	"strings"
	"testing"
)

func decode(t *testing.T, v any) map[string]any {
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

// Every schema-required key is on the wire even when empty: none may hide behind omitempty.
func TestHostCapabilitiesKeys(t *testing.T) {
	m := decode(t, HostCapabilities{})
	required := strings.Fields(`bondings autoNumaBalancing netConfigDirty nics emulatedMachines cpuFlags
		reservedMem onlineCpus cpuTopology cpuSpeed software_version vdsmToCpusAffinity vmTypes
		hostdevPassthrough rngSources version_name numaNodes memSize supportedENGINEs cpuModel selinux
		networks kvmEnabled ISCSIInitiatorName cpuThreads software_revision bridges guestOverhead
		HBAInventory clusterLevels cpuCores cpuSockets lastClientIface uuid operatingSystem vlans
		supportsIPv6 nameservers numaNodeDistance kdumpStatus packages2 additionalFeatures vncEncrypted`)
	for _, k := range required {
		if _, ok := m[k]; !ok {
			t.Errorf("%s missing", k)
		}
	}
	// Wire types where VDSM's differ from what a Go reader might expect.
	if _, ok := m["vncEncrypted"].(bool); !ok {
		t.Error("vncEncrypted must be a bool, as VDSM sends it")
	}
	if _, ok := m["autoNumaBalancing"].(float64); !ok {
		t.Error("autoNumaBalancing must be a number")
	}
	if _, ok := m["memSize"].(string); !ok {
		t.Error("memSize must be a string")
	}
}

func TestNetDevicesFlattenIPConfig(t *testing.T) {
	ip := IPConfig{Addr: "10.0.0.2", IPv4Addrs: []string{"10.0.0.2/24"}, IPv6Addrs: []string{}, IPv6Gateway: "::"}
	cases := map[string]any{
		"nic":    NetInfoNIC{IPConfig: ip, MTU: "1500", Speed: 1000},
		"bridge": NetInfoBridge{IPConfig: ip, MTU: "1500", Ports: []string{}, STP: "off"},
		"bond":   NetInfoBond{IPConfig: ip, MTU: "1500", Slaves: []string{}},
		"vlan":   NetInfoVLAN{IPConfig: ip, MTU: "1500", VLANID: 100},
	}
	for name, v := range cases {
		m := decode(t, v)
		if m["addr"] != "10.0.0.2" || m["ipv6gateway"] != "::" || m["mtu"] != "1500" {
			t.Errorf("%s: %v", name, m)
		}
		if _, nested := m["IPConfig"]; nested {
			t.Errorf("%s: IPConfig not flattened", name)
		}
	}
	if m := decode(t, NetInfoNIC{}); m["permhwaddr"] != nil {
		t.Error("permhwaddr sent for a NIC outside a bond")
	}
	if m := decode(t, NetInfoNIC{Speed: 10000}); m["speed"] != float64(10000) {
		t.Error("nic speed must be a number")
	}
}

func TestHostStatsOptionalKeys(t *testing.T) {
	m := decode(t, HostStats{})
	for _, k := range []string{"bootTime", "haScore"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s sent while unknown", k)
		}
	}
	score := 3400
	m = decode(t, HostStats{BootTime: "1700000000", HAScore: &score})
	if m["bootTime"] != "1700000000" || m["haScore"] != float64(3400) {
		t.Errorf("%v %v", m["bootTime"], m["haScore"])
	}
	if _, ok := decode(t, HugepageState{})["vm.free_hugepages"]; !ok {
		t.Error("vm.free_hugepages key")
	}
}

func TestHardwareInfoKeys(t *testing.T) {
	m := decode(t, HardwareInfo{})
	for _, k := range []string{"systemManufacturer", "systemProductName", "systemVersion", "systemSerialNumber", "systemUUID", "systemFamily"} {
		if v, ok := m[k].(string); !ok || v != "" {
			t.Errorf("%s: %v", k, m[k])
		}
	}
}
