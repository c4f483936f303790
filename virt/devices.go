package virt

import "libvirt.org/go/libvirt"

// Device hotplug: VM.hotplugNic, VM.hotunplugNic and VM.updateDevice for NICs.

// liveAndConfig: a device plugged into or out of a running domain is changed in its persistent
// definition too. The agent's domains are persistent (VDSM's are transient, so its plain
// attachDevice is the same thing there): without CONFIG the next start would undo the change.
const liveAndConfig = libvirt.DOMAIN_DEVICE_MODIFY_LIVE | libvirt.DOMAIN_DEVICE_MODIFY_CONFIG

// AttachDevice plugs a device into the running domain and its definition
// (virDomainAttachDeviceFlags). The test driver cannot: it answers an *Error in libvirt's words.
func (c *Conn) AttachDevice(uuid, deviceXML string) error {
	return c.withDomain("attach device", uuid, func(d *libvirt.Domain) error {
		return d.AttachDeviceFlags(deviceXML, liveAndConfig)
	})
}

// DetachDevice asks the guest to let the device go and drops it from the definition
// (virDomainDetachDeviceFlags). For most devices the guest's part is asynchronous: the device is
// gone from the running domain once libvirt's device-removed event (KindDeviceRemoved) says so.
func (c *Conn) DetachDevice(uuid, deviceXML string) error {
	return c.withDomain("detach device", uuid, func(d *libvirt.Domain) error {
		return d.DetachDeviceFlags(deviceXML, liveAndConfig)
	})
}

// registerDeviceRemoved delivers libvirt's device-removed events as KindDeviceRemoved.
func registerDeviceRemoved(lc *libvirt.Connect, h Handler) (int, error) {
	return lc.DomainEventDeviceRemovedRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, e *libvirt.DomainEventDeviceRemoved) {
		if uuid, err := d.GetUUIDString(); err == nil {
			h(Event{UUID: uuid, Kind: KindDeviceRemoved, ID: domainID(d), Alias: e.DevAlias})
		}
	})
}
