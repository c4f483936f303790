package host

import (
	"strconv"
	"strings"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// parseOSRelease reads os-release(5): KEY=value lines, values optionally quoted.
func parseOSRelease(b []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		} else {
			v = strings.Trim(v, `"'`)
		}
		out[k] = v
	}
	return out
}

// readOSVersion describes the host OS in VDSM's terms. The name is VDSM's OSName enum, so
// distributions are folded into the family the engine knows: RHEL rebuilds are "RHEL", Debian
// derivatives (Ubuntu included) are "Debian", oVirt Node images are recognised by their
// variant. VDSM's release is an RPM release it asks rpm for; without a package database query
// it is left empty rather than guessed.
func readOSVersion(r fsRoot) vdsm.OSVersion {
	b, err := r.read("/etc/os-release")
	if err != nil {
		b, _ = r.read("/usr/lib/os-release")
	}
	osr := parseOSRelease(b)
	v := vdsm.OSVersion{
		Name:       osName(r, osr),
		Version:    osr["VERSION_ID"],
		PrettyName: osr["PRETTY_NAME"],
	}
	// Debian's own point release ("12.7") is in debian_version; VERSION_ID is only "12".
	if v.Name == vdsm.OSDebian && osr["ID"] == "debian" {
		if dv := r.str("/etc/debian_version"); dv != "" {
			v.Version = dv
		}
	}
	return v
}

func osName(r fsRoot, osr map[string]string) string {
	id := osr["ID"]
	like := strings.Fields(osr["ID_LIKE"])
	isLike := func(d string) bool {
		if id == d {
			return true
		}
		for _, l := range like {
			if l == d {
				return true
			}
		}
		return false
	}
	switch {
	case r.exists("/etc/rhev-hypervisor-release"):
		return vdsm.OSRHEVH
	case osr["VARIANT_ID"] == "ovirt-node" || id == "ovirt-node":
		if id == "rhel" {
			return vdsm.OSRHEVH
		}
		return vdsm.OSOVirtNode
	case id == "fedora":
		return vdsm.OSFedora
	case isLike("rhel") || isLike("centos"):
		return vdsm.OSRHEL
	case isLike("debian") || isLike("ubuntu"):
		return vdsm.OSDebian
	}
	return vdsm.OSUnknown
}

// kernelVersion splits the running kernel's release ("5.14.0-362.8.1.el9_3.x86_64") into
// VDSM's version ("5.14.0") and release ("362.8.1.el9_3.x86_64").
func kernelVersion(r fsRoot) vdsm.PackageVersion {
	rel := r.str("/proc/sys/kernel/osrelease")
	v, rest, _ := strings.Cut(rel, "-")
	return vdsm.PackageVersion{Version: v, Release: rest}
}
