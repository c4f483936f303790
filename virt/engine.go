package virt

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"libvirt.org/go/libvirt"
)

// Network is a libvirt network and the bridge it sits on ("" for one without).
type Network struct {
	Name   string
	Bridge string
}

// Networks lists the libvirt networks, defined or running, by name.
func (c *Conn) Networks() ([]Network, error) {
	if !c.up.Load() {
		return nil, fmt.Errorf("list networks: %w", ErrDisconnected)
	}
	ns, err := c.lc().ListAllNetworks(0)
	if err != nil {
		return nil, wrap("list networks", "", err)
	}
	out := make([]Network, 0, len(ns))
	for i := range ns {
		n := &ns[i]
		name, err := n.GetName()
		if err == nil {
			// A network without a bridge of its own (forward mode passthrough) has none to report.
			br, _ := n.GetBridgeName()
			out = append(out, Network{Name: name, Bridge: br})
		}
		n.Free()
	}
	// libvirt lists them in no set order.
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// EnsureBridgeNetwork makes the libvirt network name in bridge mode over bridge, defined,
// running and started with libvirt, as VDSM makes a vdsm-<net> display network. A network that
// already exists is left as it is: two VMs starting at once may both ask for it.
func (c *Conn) EnsureBridgeNetwork(name, bridge string) error {
	if !c.up.Load() {
		return fmt.Errorf("create network %s: %w", name, ErrDisconnected)
	}
	lc := c.lc()
	if n, err := lc.LookupNetworkByName(name); err == nil {
		n.Free()
		return nil
	}
	var b strings.Builder
	b.WriteString("<network><name>")
	writeEscaped(&b, name)
	b.WriteString("</name><forward mode='bridge'/><bridge name='")
	writeEscaped(&b, bridge)
	b.WriteString("'/></network>")
	n, err := lc.NetworkDefineXML(b.String())
	if err != nil {
		if exists(err) {
			return nil
		}
		return wrap("define network", name, err)
	}
	defer n.Free()
	if err := n.Create(); err != nil && !exists(err) {
		return wrap("start network", name, err)
	}
	// Autostart keeps the network across a libvirt restart; a driver without it (the test
	// driver keeps nothing across restarts anyway) is no reason to fail the VM.
	_ = n.SetAutostart(true)
	return nil
}

// exists reports libvirt saying the object is already there (defined or running).
func exists(err error) bool {
	var le libvirt.Error
	return errors.As(err, &le) && (le.Code == libvirt.ERR_NETWORK_EXIST || le.Code == libvirt.ERR_OPERATION_INVALID)
}

func writeEscaped(b *strings.Builder, s string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;")
	b.WriteString(r.Replace(s))
}

// startThenSuspend starts a domain and stops its CPUs at once, for a driver that cannot start
// one paused (the test driver refuses VIR_DOMAIN_START_PAUSED). QEMU starts paused for real; this
// only stands in for it, with a guest that may run an instant first.
func startThenSuspend(d *libvirt.Domain) error {
	if err := d.Create(); err != nil {
		return err
	}
	return d.Suspend()
}

// SecureXML is the domain's live XML with its secrets (graphics passwords), as a device update
// must start from what the device has.
func (c *Conn) SecureXML(uuid string) (string, error) {
	var out string
	err := c.withDomain("dumpxml", uuid, func(d *libvirt.Domain) error {
		var err error
		out, err = d.GetXMLDesc(libvirt.DOMAIN_XML_SECURE)
		return err
	})
	return out, err
}

// UpdateDevice changes a device of the domain in place (virDomainUpdateDeviceFlags, affecting
// the domain as it is now, as VDSM calls it). A driver that cannot (the test driver has no device
// update) answers with an *Error in libvirt's words.
func (c *Conn) UpdateDevice(uuid, deviceXML string) error {
	if !c.up.Load() {
		return fmt.Errorf("update device %s: %w", uuid, ErrDisconnected)
	}
	d, err := c.lc().LookupDomainByUUIDString(uuid)
	if err != nil {
		return wrap("update device", uuid, err)
	}
	defer d.Free()
	if err := d.UpdateDeviceFlags(deviceXML, libvirt.DOMAIN_DEVICE_MODIFY_CURRENT); err != nil {
		return wrap("update device", uuid, err)
	}
	return nil
}
