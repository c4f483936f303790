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
