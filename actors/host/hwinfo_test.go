package host

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

func TestHardwareInfoFixture(t *testing.T) {
	hw, err := HardwareInfo(string(fixture))
	if err != nil {
		t.Fatal(err)
	}
	want := vdsm.HardwareInfo{
		SystemManufacturer: "Dell Inc.",
		SystemProductName:  "PowerEdge R640",
		SystemVersion:      "", // "Not Specified" in the firmware
		SystemSerialNumber: "J8K2LM2",
		SystemUUID:         "4C4C4544-0038-4B10-8032-CAC04F4C4D32",
		SystemFamily:       "PowerEdge",
	}
	if hw != want {
		t.Errorf("\n got %+v\nwant %+v", hw, want)
	}
	b, _ := json.Marshal(hw)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"systemManufacturer", "systemProductName", "systemVersion", "systemSerialNumber", "systemUUID", "systemFamily"} {
		if _, ok := m[k].(string); !ok {
			t.Errorf("%s missing or not a string in %s", k, b)
		}
	}
}

func TestHardwareInfoWithoutDMI(t *testing.T) {
	hw, err := HardwareInfo(t.TempDir())
	if err != nil || hw != (vdsm.HardwareInfo{}) {
		t.Errorf("%+v %v", hw, err)
	}
	// Some fields readable, others not (root-only files read by an unprivileged agent).
	r := writeFiles(t, map[string]string{"sys/class/dmi/id/sys_vendor": "QEMU\n"})
	hw, err = HardwareInfo(string(r))
	if err != nil || hw != (vdsm.HardwareInfo{SystemManufacturer: "QEMU"}) {
		t.Errorf("%+v %v", hw, err)
	}
}

func TestHardwareInfoBrokenDMIIsError57(t *testing.T) {
	r := writeFiles(t, map[string]string{"sys/class/dmi/id": "not a directory"})
	_, err := HardwareInfo(string(r))
	var ve *vdsm.Error
	if !errors.As(err, &ve) || ve.Code != vdsm.CodeHWInfoFailed {
		t.Errorf("%v", err)
	}
}
