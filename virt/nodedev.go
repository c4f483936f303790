package virt

import (
	"libvirt.org/go/libvirt"
)

// NodeDevice is one libvirt node device: its name (pci_0000_00_1f_2, net_eth0_52_54_00_..., computer)
// and its nodedev XML.
type NodeDevice struct {
	Name string
	XML  string
}

// nodeDeviceFlags maps VDSM's capability names to libvirt's listing filter, as hostdev.py's
// _LIBVIRT_DEVICE_FLAGS does: any other name (mdev among them) stands for "system", so it picks
// the root device "computer".
var nodeDeviceFlags = map[string]libvirt.ConnectListAllNodeDeviceFlags{
	"system":       libvirt.CONNECT_LIST_NODE_DEVICES_CAP_SYSTEM,
	"pci":          libvirt.CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV,
	"usb_device":   libvirt.CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV,
	"usb":          libvirt.CONNECT_LIST_NODE_DEVICES_CAP_USB_INTERFACE,
	"net":          libvirt.CONNECT_LIST_NODE_DEVICES_CAP_NET,
	"scsi_host":    libvirt.CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST,
	"scsi_target":  libvirt.CONNECT_LIST_NODE_DEVICES_CAP_SCSI_TARGET,
	"scsi":         libvirt.CONNECT_LIST_NODE_DEVICES_CAP_SCSI,
	"storage":      libvirt.CONNECT_LIST_NODE_DEVICES_CAP_STORAGE,
	"fc_host":      libvirt.CONNECT_LIST_NODE_DEVICES_CAP_FC_HOST,
	"vports":       libvirt.CONNECT_LIST_NODE_DEVICES_CAP_VPORTS,
	"scsi_generic": libvirt.CONNECT_LIST_NODE_DEVICES_CAP_SCSI_GENERIC,
}

// NodeDevices lists the host's node devices with their XML, those with one of caps only when caps
// is not empty. A device that vanishes between the listing and its XML is left out: for the
// caller it is gone too.
func (c *Conn) NodeDevices(caps []string) ([]NodeDevice, error) {
	var flags libvirt.ConnectListAllNodeDeviceFlags
	for _, cp := range caps {
		f, ok := nodeDeviceFlags[cp]
		if !ok {
			f = libvirt.CONNECT_LIST_NODE_DEVICES_CAP_SYSTEM
		}
		flags |= f
	}
	lc, err := c.hold("list node devices", "")
	if err != nil {
		return nil, err
	}
	ds, err := lc.ListAllNodeDevices(flags)
	c.use.RUnlock()
	if err != nil {
		return nil, wrap("list node devices", "", err)
	}
	out := make([]NodeDevice, 0, len(ds))
	for i := range ds {
		d := &ds[i]
		name, err := d.GetName()
		var x string
		if err == nil {
			x, err = d.GetXMLDesc(0)
		}
		d.Free()
		if err == nil {
			out = append(out, NodeDevice{Name: name, XML: x})
		}
	}
	return out, nil
}
