package domxml

import (
	"encoding/json"
	"strings"
	"testing"
)

// The dimm device built from the engine's parameters (MemoryUtils.createVmMemoryDeviceMap) reads
// as VDSM's memory_xml writes it; what VDSM's Python refuses is refused in its words.
func TestMemoryDeviceXML(t *testing.T) {
	for _, tc := range []struct {
		params string
		want   string
		err    string
	}{
		{params: `{"type":"memory","device":"memory","size":256,"node":0,"alias":"ua-d1","deviceId":"d1","specParams":{"node":"0","size":"256"}}`,
			want: "<memory model='dimm'><target><size unit='KiB'>262144</size><node>0</node></target><alias name='ua-d1'/></memory>"},
		{params: `{"size":"128","node":"1","address":{"type":"dimm","slot":"0","base":"0x100000000"}}`,
			want: "<memory model='dimm'><target><size unit='KiB'>131072</size><node>1</node></target><address base='0x100000000' slot='0' type='dimm'/></memory>"},
		{params: `{"node":0}`, err: "'size'"},
		{params: `{"size":128}`, err: "'node'"},
		{params: `{"size":"1G","node":0}`, err: "invalid literal for int() with base 10: '1G'"},
		{params: `{"size":null,"node":0}`, err: "not 'NoneType'"},
		// Written as they came, these would overflow the KiB figure or break the element.
		{params: `{"size":"9007199254740993","node":0}`, err: "out of range"},
		{params: `{"size":128,"node":0,"address":{"type='dimm' slot":"0"}}`, err: `"type='dimm' slot" is not an XML name`},
		{params: `{"size":128,"node":0,"address":{"1slot":"0"}}`, err: "not an XML name"},
	} {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tc.params), &m); err != nil {
			t.Fatal(err)
		}
		got, err := MemoryDeviceXML(m)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %q %v, want the error %q", tc.params, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s:\n got %s %v\nwant %s", tc.params, got, err, tc.want)
		}
		if a := MemoryAlias(got); strings.Contains(tc.params, "ua-d1") != (a == "ua-d1") {
			t.Errorf("%s: alias %q", got, a)
		}
	}
}

func TestPyInt(t *testing.T) {
	for raw, want := range map[string]int64{`"2"`: 2, `" 3 "`: 3, `4`: 4, `2.9`: 2, `-1`: -1, `"-2"`: -2, `true`: 1} {
		if got, err := PyInt(json.RawMessage(raw)); err != nil || got != want {
			t.Errorf("int(%s) = %d %v, want %d", raw, got, err, want)
		}
	}
	for raw, want := range map[string]string{`"two"`: "invalid literal for int() with base 10: 'two'", `"2.5"`: "'2.5'", `[1]`: "not 'list'"} {
		if _, err := PyInt(json.RawMessage(raw)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("int(%s): %v, want %q", raw, err, want)
		}
	}
}

// The guaranteed memory replaces the one the engine's XML gave, or joins the other settings.
func TestSetMinGuaranteedMemory(t *testing.T) {
	dom := `<domain><uuid>u</uuid><metadata><ovirt-vm:vm xmlns:ovirt-vm="http://ovirt.org/vm/1.0">` +
		`<ovirt-vm:clusterVersion>4.7</ovirt-vm:clusterVersion>%s</ovirt-vm:vm></metadata></domain>`
	for _, has := range []string{`<ovirt-vm:minGuaranteedMemoryMb type="int">512</ovirt-vm:minGuaranteedMemoryMb>`, ""} {
		got, err := SetMinGuaranteedMemory(strings.Replace(dom, "%s", has, 1), 768)
		want := `<vm><clusterVersion>4.7</clusterVersion><minGuaranteedMemoryMb type="int">768</minGuaranteedMemoryMb></vm>`
		if err != nil || got != want {
			t.Errorf("with %q:\n got %s %v\nwant %s", has, got, err, want)
		}
	}
}
