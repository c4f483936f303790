package verbs

import (
	"encoding/json"
	"fmt"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
)

// HotplugResourceVerbs change a running VM's CPUs and memory: the engine's
// SetNumberOfCpusVDSCommand, SetAmountOfMemoryVDSCommand and HotUnplugMemoryVDSCommand.
func HotplugResourceVerbs() []Verb {
	return []Verb{
		{Name: "VM.setNumberOfCpus", Run: toVM(setNumberOfCpus)},
		{Name: "VM.hotplugMemory", Run: toVM(func(r *reply.Reply, c *Call) (any, error) {
			p, err := memoryParams(c)
			if err != nil {
				return nil, err
			}
			m := &vm.HotplugMemory{Reply: r, XML: p.xml, Memory: p.memory, MinGuaranteedMiB: p.guaranteed}
			if m.Memory == nil {
				m.Memory = map[string]json.RawMessage{} // params.get('memory', {})
			}
			return m, nil
		})},
		{Name: "VM.hotunplugMemory", Run: toVM(func(r *reply.Reply, c *Call) (any, error) {
			p, err := memoryParams(c)
			if err != nil {
				return nil, err
			}
			return &vm.HotunplugMemory{Reply: r, XML: p.xml, Memory: p.memory, MinGuaranteedMiB: p.guaranteed}, nil
		})},
	}
}

// msgMissingCpuParams is API.py setNumberOfCpus' own answer to a null count, with MissParam's
// code (11).
const msgMissingCpuParams = "Missing one of required parameters: vmId, numberOfCpus"

// setNumberOfCpus reads numberOfCpus as API.py does: the engine sends it as a string, and
// int() takes a string or a number; what int() refuses surfaces as an internal error with
// Python's words (API.setNumberOfCpus is no api.method).
func setNumberOfCpus(r *reply.Reply, c *Call) (any, error) {
	raw, ok := c.Params["numberOfCpus"]
	if !ok {
		return nil, missing(c.Method, "numberOfCpus")
	}
	if _, ok := present(c, "numberOfCpus"); !ok {
		return nil, &vdsm.Error{Code: vdsm.CodeMissingParameter, Message: msgMissingCpuParams}
	}
	n, err := domxml.PyInt(raw)
	if err != nil {
		return nil, vdsm.Internal(err.Error())
	}
	if _, ok := present(c, "cpusets"); ok {
		sets, err := c.OptStrings("cpusets")
		if err != nil {
			return nil, err
		}
		if int64(len(sets)) != n {
			return nil, vdsm.ContextError(vdsm.CodeInvalidParameter, "reason",
				fmt.Sprintf("length of cpusets (%d) must match numberOfCpus (%d)", len(sets), n))
		}
		// Pinning the vCPUs to the sets is not done here; the engine's own call never sends them.
		return nil, vdsm.NotImplemented()
	}
	return &vm.SetNumberOfCpus{Reply: r, Count: n}, nil
}

type memoryRequest struct {
	xml        string
	memory     map[string]json.RawMessage
	guaranteed *int64
}

// memoryParams is params of the memory verbs, checked as API.py checks it (vmId required); the
// device is params.xml, else params.memory, which the VM actor turns into XML in VDSM's order.
func memoryParams(c *Call) (memoryRequest, error) {
	raw, err := c.Object("params")
	if err != nil {
		return memoryRequest{}, err
	}
	p := &Call{Method: c.Method, Params: raw}
	if _, ok := present(p, "vmId"); !ok {
		return memoryRequest{}, vdsm.ContextError(vdsm.CodeMissingParameter, "missing", []any{"vmId"}, "params", redacted(raw))
	}
	var req memoryRequest
	if req.xml, err = p.OptString("xml", ""); err != nil {
		return memoryRequest{}, err
	}
	if _, ok := present(p, "memory"); ok {
		if req.memory, err = p.Object("memory"); err != nil {
			return memoryRequest{}, err
		}
	}
	if _, ok := present(p, "memGuaranteedSize"); ok {
		mb, err := p.OptInt("memGuaranteedSize", 0)
		if err != nil {
			return memoryRequest{}, err
		}
		req.guaranteed = &mb
	}
	return req, nil
}
