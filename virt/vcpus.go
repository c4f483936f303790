package virt

import "libvirt.org/go/libvirt"

// CPU hotplug: VM.setNumberOfCpus.

// SetVCPUs sets how many vCPUs the running domain has online, and its definition with it
// (virDomainSetVcpusFlags). VDSM sets the current state only, which for its transient domains is
// all there is; the agent's are persistent, and without CONFIG the next start would undo the
// change, as for devices (liveAndConfig). n is unsigned as libvirt's: VDSM's binding passes
// Python's int unchecked, so a negative count reaches libvirt as a huge one, and libvirt refuses.
func (c *Conn) SetVCPUs(uuid string, n uint32) error {
	return c.withDomain("set vcpus", uuid, func(d *libvirt.Domain) error {
		return d.SetVcpusFlags(uint(n), libvirt.DOMAIN_VCPU_LIVE|libvirt.DOMAIN_VCPU_CONFIG)
	})
}

// InactiveXML is the domain's persistent definition (what the next start would run), as tests
// check that a live change reached it.
func (c *Conn) InactiveXML(uuid string) (string, error) {
	var out string
	err := c.withDomain("dumpxml --inactive", uuid, func(d *libvirt.Domain) error {
		var err error
		out, err = d.GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE)
		return err
	})
	return out, err
}
