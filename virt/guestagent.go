package virt

import (
	"time"

	"libvirt.org/go/libvirt"
)

// QEMU's guest agent (qemu-ga), as VDSM's qemuguestagent.py reaches it: libvirt's agent
// lifecycle event says when its channel connects, InterfaceAddresses with the agent source
// lists the guest's NICs, and the rest are qemu-ga commands. Every call here waits for the
// guest: callers make them off any turn that must not block.

// AgentInterface is one guest NIC as the agent lists it.
type AgentInterface struct {
	Name  string
	HW    string
	Inet  []string
	Inet6 []string
}

// AgentCommand sends one qemu-ga command (its JSON text) and returns qemu-ga's JSON answer.
// libvirt gives up on the agent after timeout (whole seconds, at least one).
func (c *Conn) AgentCommand(uuid, command string, timeout time.Duration) (string, error) {
	var out string
	err := c.withDomain("guest agent command", uuid, func(d *libvirt.Domain) error {
		var err error
		out, err = d.QemuAgentCommand(command, libvirt.DomainQemuAgentCommandTimeout(seconds(timeout)), 0)
		return err
	})
	return out, err
}

// AgentInterfaces lists the guest's NICs and addresses through its agent. The agent's response
// timeout is set for the call and put back to blocking after it, as VDSM's qga_context does:
// blocking is what libvirt starts a domain with (qemuDomainObjPrivateAlloc), while its
// "default" is a 5-second wait, which would cut short other agent calls (a filesystem freeze
// for a snapshot, a shutdown through the agent). A driver without that setting still answers.
func (c *Conn) AgentInterfaces(uuid string, timeout time.Duration) ([]AgentInterface, error) {
	var out []AgentInterface
	err := c.withDomain("guest agent interfaces", uuid, func(d *libvirt.Domain) error {
		if d.AgentSetResponseTimeout(seconds(timeout), 0) == nil {
			defer func() { _ = d.AgentSetResponseTimeout(int(libvirt.DOMAIN_AGENT_RESPONSE_TIMEOUT_BLOCK), 0) }()
		}
		ifs, err := d.ListAllInterfaceAddresses(libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)
		if err != nil {
			return err
		}
		for _, i := range ifs {
			ai := AgentInterface{Name: i.Name, HW: i.Hwaddr, Inet: []string{}, Inet6: []string{}}
			for _, a := range i.Addrs {
				switch a.Type {
				case libvirt.IP_ADDR_TYPE_IPV4:
					ai.Inet = append(ai.Inet, a.Addr)
				case libvirt.IP_ADDR_TYPE_IPV6:
					ai.Inet6 = append(ai.Inet6, a.Addr)
				}
			}
			out = append(out, ai)
		}
		return nil
	})
	return out, err
}

func seconds(d time.Duration) int {
	if s := int(d / time.Second); s > 0 {
		return s
	}
	return 1
}

// registerAgentLifecycle delivers libvirt's agent lifecycle events (the guest agent's channel
// connected or disconnected) as KindAgent.
func registerAgentLifecycle(lc *libvirt.Connect, h Handler) (int, error) {
	return lc.DomainEventAgentLifecycleRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, e *libvirt.DomainEventAgentLifecycle) {
		if uuid, err := d.GetUUIDString(); err == nil {
			h(Event{UUID: uuid, Kind: KindAgent, ID: domainID(d),
				AgentConnected: e.State == libvirt.CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED})
		}
	})
}
