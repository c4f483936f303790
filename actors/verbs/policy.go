package verbs

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
)

// PolicyVerbs are the QoS verbs: VM.updateVmPolicy as the engine sends it when a VM with a CPU
// QoS comes Up (VmSlaPolicyCommand, UpdateVmPolicyVDSCommand), and VM.setCpuTuneQuota and
// VM.setCpuTunePeriod, which MoM calls on a VDSM host.
func PolicyVerbs() []Verb {
	return []Verb{
		{Name: "VM.updateVmPolicy", Run: toVM(updateVMPolicy)},
		{Name: "VM.setCpuTuneQuota", Run: toVM(func(r *reply.Reply, c *Call) (any, error) {
			n, err := tuneInt(c, "quota")
			if err != nil {
				return nil, err
			}
			return &vm.SetCPUTune{Reply: r, Quota: &n}, nil
		})},
		{Name: "VM.setCpuTunePeriod", Run: toVM(func(r *reply.Reply, c *Call) (any, error) {
			n, err := tuneInt(c, "period")
			if err != nil {
				return nil, err
			}
			if n < 0 {
				// Python hands a negative int to libvirt's unsigned parameter: OverflowError.
				return nil, vdsm.GeneralException("can't convert negative int to unsigned")
			}
			p := uint64(n)
			return &vm.SetCPUTune{Reply: r, Period: &p}, nil
		})},
	}
}

// updateVMPolicy reads params as API.py and vm.py do: params.vmId is deleted first (a KeyError,
// code 100, when absent), what is left must not be empty, vcpuLimit is kept as str() of what
// came, and ioTune is a list of entries.
func updateVMPolicy(r *reply.Reply, c *Call) (any, error) {
	params, err := c.Object("params")
	if err != nil {
		return nil, err
	}
	if _, ok := params["vmId"]; !ok {
		return nil, vdsm.GeneralException("'vmId'")
	}
	m := &vm.UpdateVMPolicy{Reply: r, Given: len(params) > 1}
	if raw, ok := params["vcpuLimit"]; ok {
		s := pyStr(raw)
		m.VCPULimit = &s
	}
	if raw, ok := params["ioTune"]; ok {
		var entries []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entries); err != nil {
			return nil, badParam(c.Method, "params.ioTune", "a list of objects")
		}
		for _, e := range entries {
			out := make(map[string]string, len(e))
			for k, v := range e {
				out[k] = pyRepr(v)
			}
			m.IoTune = append(m.IoTune, out)
		}
	}
	return m, nil
}

// pyStr is Python's str() of a JSON value as VDSM decoded it.
func pyStr(raw json.RawMessage) string {
	var x any
	if json.Unmarshal(raw, &x) == nil {
		if s, ok := x.(string); ok {
			return s
		}
	}
	return pyRepr(raw)
}

// pyRepr is Python's repr() of a JSON value as VDSM decoded it.
func pyRepr(raw json.RawMessage) string {
	var x any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&x) != nil {
		return string(raw)
	}
	if n, ok := x.(json.Number); ok {
		return n.String()
	}
	return vdsm.PyRepr(x)
}

// tuneInt is int() of the quota or period as vm.py takes it: a number (a float truncated) or
// an integer's text; anything else is cpuTuneErr with VDSM's words (which say "period" for the
// quota too).
func tuneInt(c *Call, name string) (int64, error) {
	raw, ok := present(c, name)
	if !ok {
		return 0, missing(c.Method, name)
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil && !math.IsInf(f, 0) && math.Abs(f) < 1<<63 {
		return int64(f), nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, vdsm.CPUTuneNotInteger()
}
