package verbs

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
)

// VMVerbs are the VM namespace verbs and the Host verbs that read the VM registry.
func VMVerbs() []Verb {
	return []Verb{
		{Name: "VM.create", Run: createVM},
		{Name: "VM.destroy", Run: toVM(destroyVM)},
		{Name: "VM.pause", Run: toVM(func(r *reply.Reply, _ *Call) (any, error) { return &vm.Pause{Reply: r}, nil })},
		{Name: "VM.cont", Run: toVM(func(r *reply.Reply, _ *Call) (any, error) { return &vm.Cont{Reply: r}, nil })},
		{Name: "VM.reset", Run: toVM(func(r *reply.Reply, _ *Call) (any, error) { return &vm.Reset{Reply: r}, nil })},
		{Name: "VM.setDestroyOnReboot", Run: toVM(func(r *reply.Reply, _ *Call) (any, error) { return &vm.SetDestroyOnRebootVerb{Reply: r}, nil })},
		{Name: "VM.shutdown", Run: toVM(shutdownVM)},
		{Name: "VM.getStats", Run: vmStats},
		{Name: "VM.getInfo", Run: vmInfo},
		{Name: "Host.getVMList", Run: vmList},
		{Name: "Host.getVMFullList", Run: vmList},
		{Name: "Host.getAllVmStats", Run: func(c *Call) (any, error) {
			return registry(c, &vm.GetStats{Reply: c.Reply, All: true})
		}},
		{Name: "Host.dumpxmls", Run: func(c *Call) (any, error) {
			ids, err := c.OptStrings("vmList")
			if err != nil {
				return nil, err
			}
			return registry(c, &vm.DumpXMLs{Reply: c.Reply, VMIDs: ids})
		}},
	}
}

func registry(c *Call, msg any) (any, error) {
	c.Env.Root.Send(c.Env.VMs, msg)
	return Deferred, nil
}

func createVM(c *Call) (any, error) {
	if _, err := c.String("vmID"); err != nil {
		return nil, err
	}
	params, err := c.Object("vmParams")
	if err != nil {
		return nil, err
	}
	return registry(c, &vm.Create{Reply: c.Reply, Params: params})
}

func vmStats(c *Call) (any, error) {
	id, err := c.String("vmID")
	if err != nil {
		return nil, err
	}
	return registry(c, &vm.GetStats{Reply: c.Reply, VMID: id})
}

func vmInfo(c *Call) (any, error) {
	id, err := c.String("vmID")
	if err != nil {
		return nil, err
	}
	return registry(c, &vm.List{Reply: c.Reply, VMIDs: []string{id}, One: true})
}

func vmList(c *Call) (any, error) {
	ids, err := c.OptStrings("vmList")
	if err != nil {
		return nil, err
	}
	return registry(c, &vm.List{Reply: c.Reply, VMIDs: ids})
}

// shutdownVM takes VM.shutdown as the engine sends it (ShutdownVDSCommand, RebootVmBrokerVDSCommand:
// delay as a string, message, reboot; never timeout or force) and as vdsm-client sends it.
// VDSM replaces a delay, message or timeout that Python finds false ("", 0, absent) by its
// defaults (API.py shutdown), so those are no errors here either; "0" is true to Python and kept.
func shutdownVM(r *reply.Reply, c *Call) (any, error) {
	delay, err := c.truthyInt("delay", vdsm.UserShutdownDelay)
	if err != nil {
		return nil, err
	}
	message := vdsm.UserShutdownMessage
	if !c.falsy("message") {
		if message, err = c.String("message"); err != nil {
			return nil, err
		}
	}
	reboot, err := c.OptBool("reboot", false)
	if err != nil {
		return nil, err
	}
	timeout, err := c.truthyInt("timeout", vdsm.SysShutdownTimeout)
	if err != nil {
		return nil, err
	}
	force, err := c.OptBool("force", false)
	if err != nil {
		return nil, err
	}
	return &vm.Shutdown{Reply: r, Delay: delay, Message: message, Reboot: reboot, Timeout: timeout, Force: force}, nil
}

// destroyVM is VM.destroy: the engine sends only vmID; gracefulAttempts (VDSM's default 1) is how
// often libvirt's graceful destroy is tried before the forceful one, and VDSM iterates
// range(gracefulAttempts), so a string is refused as Python would refuse it.
func destroyVM(r *reply.Reply, c *Call) (any, error) {
	attempts := int64(1)
	if raw, ok := present(c, "gracefulAttempts"); ok {
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, badParam(c.Method, "gracefulAttempts", "an integer")
		}
		attempts = n
	}
	return &vm.Destroy{Reply: r, GracefulAttempts: int(max(attempts, 0))}, nil
}

// toVM sends a verb to the VM's own actor. A VM stuck in a libvirt call, or with a full queue,
// is refused at once: the request must not wait behind a call that may never return.
func toVM(msg func(r *reply.Reply, c *Call) (any, error)) Handler {
	return func(c *Call) (any, error) {
		id, err := c.String("vmID")
		if err != nil {
			return nil, err
		}
		h := c.Env.Index.Lookup(id)
		if h == nil {
			return nil, vdsm.NoSuchVM(id)
		}
		if !c.Env.Libvirt.Alive() {
			return nil, vdsm.ContextError(vdsm.CodeResourceUnavail, "vmId", id, "reason", "the libvirt connection is lost; the agent is reconnecting")
		}
		if h.Dead() {
			return nil, vdsm.ContextError(vdsm.CodeResourceUnavail, "vmId", id,
				"reason", "this VM's actor failed repeatedly and was stopped; the agent needs a restart to recover it")
		}
		if op, d, stuck := h.Stuck(time.Now(), c.Env.StuckAfter); stuck {
			return nil, vdsm.ContextError(vdsm.CodeResourceUnavail, "vmId", id,
				"reason", fmt.Sprintf("libvirt call %q on this VM has not returned for %s", op, d.Round(time.Second)))
		}
		m, err := msg(c.Reply, c)
		if err != nil {
			return nil, err
		}
		if !h.Reserve() {
			if h.Gone() {
				return nil, vdsm.NoSuchVM(id)
			}
			return nil, vdsm.ContextError(vdsm.CodeResourceUnavail, "vmId", id,
				"reason", fmt.Sprintf("%d operations already wait for this VM", vm.MaxPending))
		}
		c.Env.Root.Send(h.PID, m)
		return Deferred, nil
	}
}
