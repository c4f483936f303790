package verbs

import (
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
		{Name: "VM.destroy", Run: toVM(func(r *reply.Reply, _ *Call) (any, error) { return &vm.Destroy{Reply: r}, nil })},
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

func shutdownVM(r *reply.Reply, c *Call) (any, error) {
	if _, err := c.OptInt("delay", 30); err != nil {
		return nil, err
	}
	if _, err := c.OptString("message", "System going down"); err != nil {
		return nil, err
	}
	reboot, err := c.OptBool("reboot", false)
	if err != nil {
		return nil, err
	}
	timeout, err := c.OptInt("timeout", 120)
	if err != nil {
		return nil, err
	}
	force, err := c.OptBool("force", false)
	if err != nil {
		return nil, err
	}
	return &vm.Shutdown{Reply: r, Reboot: reboot, Timeout: timeout, Force: force}, nil
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
			return nil, vdsm.ContextError(vdsm.CodeResourceUnavail, "vmId", id,
				"reason", fmt.Sprintf("%d operations already wait for this VM", vm.MaxPending))
		}
		c.Env.Root.Send(h.PID, m)
		return Deferred, nil
	}
}
