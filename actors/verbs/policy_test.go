package verbs

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/protocol/vdsm"
)

func policyCall(t *testing.T, method, params string) *Call {
	t.Helper()
	var p map[string]json.RawMessage
	if err := json.Unmarshal([]byte(params), &p); err != nil {
		t.Fatal(err)
	}
	return &Call{Method: method, Params: p}
}

// VM.updateVmPolicy's params read as API.py and vm.py read them: vmId deleted first, the limit
// kept as str() of what came, the ioTune entries' values as Python shows them.
func TestUpdateVMPolicyParams(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name, params string
		want         *vm.UpdateVMPolicy
		code         int
		msg          string
	}{
		{"the engine's", `{"params":{"vmId":"v","vcpuLimit":"50"}}`, &vm.UpdateVMPolicy{VCPULimit: str("50"), Given: true}, 0, ""},
		{"a number", `{"params":{"vmId":"v","vcpuLimit":50}}`, &vm.UpdateVMPolicy{VCPULimit: str("50"), Given: true}, 0, ""},
		{"null is Python's None", `{"params":{"vmId":"v","vcpuLimit":null}}`, &vm.UpdateVMPolicy{VCPULimit: str("None"), Given: true}, 0, ""},
		{"only vmId: empty", `{"params":{"vmId":"v"}}`, &vm.UpdateVMPolicy{}, 0, ""},
		{"unknown keys count as given", `{"params":{"vmId":"v","foo":1}}`, &vm.UpdateVMPolicy{Given: true}, 0, ""},
		{"the engine's ioTune", `{"params":{"vmId":"v","ioTune":[{"domainID":"d","poolID":"p","imageID":"i","volumeID":"u","maximum":{"total_bytes_sec":10}}]}}`,
			&vm.UpdateVMPolicy{Given: true, IoTune: []map[string]string{{"domainID": "'d'", "poolID": "'p'", "imageID": "'i'", "volumeID": "'u'",
				"maximum": "{'total_bytes_sec': 10}"}}}, 0, ""},
		{"no vmId: API.py's KeyError", `{"params":{"vcpuLimit":"50"}}`, nil, vdsm.CodeGeneralException, `General Exception: ("'vmId'",)`},
		{"ioTune not a list", `{"params":{"vmId":"v","ioTune":"x"}}`, nil, vdsm.CodeInvalidParams, ""},
		{"no params", `{}`, nil, vdsm.CodeInternal, ""},
	}
	for _, tt := range tests {
		got, err := updateVMPolicy(nil, policyCall(t, "VM.updateVmPolicy", tt.params))
		if tt.want != nil {
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: %+v, %v; want %+v", tt.name, got, err, tt.want)
			}
			continue
		}
		var e *vdsm.Error
		if !errors.As(err, &e) || e.Code != tt.code || (tt.msg != "" && e.Message != tt.msg) {
			t.Errorf("%s: %+v, %v; want code %d %q", tt.name, got, err, tt.code, tt.msg)
		}
	}
}

// int() of VM.setCpuTuneQuota's quota, as vm.py takes it.
func TestTuneInt(t *testing.T) {
	for in, want := range map[string]int64{`50000`: 50000, `"50000"`: 50000, `" -1 "`: -1, `1.9`: 1} {
		if got, err := tuneInt(policyCall(t, "VM.setCpuTuneQuota", `{"quota":`+in+`}`), "quota"); err != nil || got != want {
			t.Errorf("tuneInt(%s) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{`"many"`, `"1.5"`, `true`, `{}`} {
		_, err := tuneInt(policyCall(t, "VM.setCpuTuneQuota", `{"quota":`+in+`}`), "quota")
		var e *vdsm.Error
		if !errors.As(err, &e) || e.Code != vdsm.CodeCPUTuneError || e.Message != "an integer is required for period" {
			t.Errorf("tuneInt(%s): %v; want 62", in, err)
		}
	}
}
