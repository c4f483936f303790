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

// Graphics event phases (virDomainEventGraphicsPhase): a console client connected, was
// authenticated and initialized, or went away.
const (
	GraphicsConnect    = int(libvirt.DOMAIN_EVENT_GRAPHICS_CONNECT)
	GraphicsInitialize = int(libvirt.DOMAIN_EVENT_GRAPHICS_INITIALIZE)
	GraphicsDisconnect = int(libvirt.DOMAIN_EVENT_GRAPHICS_DISCONNECT)
)

// Graphics is a console client's event: its phase and the client's address.
type Graphics struct {
	Phase      int
	ClientNode string // the client's address
	ClientPort string // the client's port
	AuthScheme string
}

// registerGraphics delivers libvirt's graphics events as KindGraphics.
func registerGraphics(lc *libvirt.Connect, h Handler) (int, error) {
	return lc.DomainEventGraphicsRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, e *libvirt.DomainEventGraphics) {
		if uuid, err := d.GetUUIDString(); err == nil {
			h(Event{UUID: uuid, Kind: KindGraphics, ID: domainID(d), Graphics: Graphics{
				Phase: int(e.Phase), ClientNode: e.Remote.Node, ClientPort: e.Remote.Service, AuthScheme: e.AuthScheme}})
		}
	})
}
