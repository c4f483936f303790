package host

import (
	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/virt"
)

// EngineHost is what resolving an engine's domain XML takes from this host and does not change
// while the agent runs: the OS VDSM's sysinfo placeholders name and the host's identity. An
// unreadable libvirt only costs the libvirt-derived UUID fallback.
func EngineHost(root string, lv *virt.Conn) domxml.Host {
	r := fsRoot(root)
	var f libvirtFacts
	if lv != nil {
		f.caps, _ = lv.Capabilities()
	}
	osv := readOSVersion(r)
	return domxml.Host{OSName: osv.Name, OSVersion: osv.Version, OSRelease: osv.Release, UUID: hostUUID(r, f)}
}

// testDriverMachines stands in for the machine types of the test driver, which has none: the
// engine refuses a host whose emulatedMachines match none of its cluster level's
// ClusterEmulatedMachines (VirtMonitoringStrategy), so the embedded host reports what RHEL 8.6's
// qemu-kvm 6.2 offers, libvirt's aliases next to their canonical names. That list matches every
// level the test driver reports, 4.2 (pc-i440fx-rhel7.3.0) to 4.7 (pc-q35-rhel8.6.0).
var testDriverMachines = []string{
	"pc-i440fx-rhel7.6.0", "pc",
	"pc-i440fx-rhel7.5.0", "pc-i440fx-rhel7.4.0", "pc-i440fx-rhel7.3.0", "pc-i440fx-rhel7.2.0",
	"pc-i440fx-rhel7.1.0", "pc-i440fx-rhel7.0.0",
	"pc-q35-rhel8.6.0", "q35",
	"pc-q35-rhel8.5.0", "pc-q35-rhel8.4.0", "pc-q35-rhel8.3.0", "pc-q35-rhel8.2.0", "pc-q35-rhel8.1.0",
	"pc-q35-rhel8.0.0", "pc-q35-rhel7.6.0", "pc-q35-rhel7.5.0", "pc-q35-rhel7.4.0", "pc-q35-rhel7.3.0",
}

// emulatedMachines is the capabilities' machine list: libvirt's, or the stand-in on the test
// driver. A real driver with no machines (no QEMU installed) reports none, truthfully.
func emulatedMachines(lv libvirtFacts) []string {
	if len(lv.dom.Machines) == 0 && lv.driver == "TEST" {
		return append([]string(nil), testDriverMachines...)
	}
	return lv.dom.Machines
}
