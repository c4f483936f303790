package virt

// Domain capabilities: what a guest of the host's architecture can be given (machine types,
// CPU models, features), from libvirt's domain capabilities XML.

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
)

// DomainCaps is what the hypervisor can run for the host's architecture.
type DomainCaps struct {
	Arch string
	// VirtType is the accelerator that answered ("kvm", else "qemu"); "" when the driver has no
	// domain capabilities at all.
	VirtType string
	// Machines are the emulated machine types (from the capabilities' guest list, which holds
	// them all, plus the default one domain capabilities names).
	Machines []string
	// HostModel is the CPU model libvirt's host-model mode would give a guest, and
	// HostModelFeatures the features that mode requires on top of it.
	HostModel         string
	HostModelFeatures []string
	// UsableModels are the named CPU models libvirt says a guest can use on this host.
	UsableModels []string
}

type domCapsXML struct {
	Domain  string `xml:"domain"`
	Machine string `xml:"machine"`
	Arch    string `xml:"arch"`
	Modes   []struct {
		Name      string `xml:"name,attr"`
		Supported string `xml:"supported,attr"`
		Models    []struct {
			Name   string `xml:",chardata"`
			Usable string `xml:"usable,attr"`
		} `xml:"model"`
		Features []struct {
			Policy string `xml:"policy,attr"`
			Name   string `xml:"name,attr"`
		} `xml:"feature"`
	} `xml:"cpu>mode"`
}

// DomainCapabilities asks libvirt what a guest of the host's own architecture can be given,
// with KVM, or plain QEMU emulation when KVM is unavailable. A driver that has no domain
// capabilities (the test driver) is not an error: the result then holds only the machine types
// the plain capabilities list, if any.
func (c *Conn) DomainCapabilities() (DomainCaps, error) {
	hc, err := c.Capabilities()
	if err != nil {
		return DomainCaps{}, err
	}
	arch := hc.CPU.Arch
	var (
		s        string
		virtType string
		lastErr  error
	)
	for _, vt := range []string{"kvm", "qemu"} {
		if vt == "kvm" && hc.HasDomainType(arch, "qemu") && !hc.HasDomainType(arch, "kvm") {
			// libvirt already says there is no KVM here; asking would only log an error in
			// libvirtd at each call.
			continue
		}
		s, lastErr = c.lc().GetDomainCapabilities("", arch, "", vt, 0)
		if lastErr == nil {
			virtType = vt
			break
		}
		if isNoSupport(lastErr) {
			// The driver has no such API; asking again with another accelerator cannot help.
			break
		}
	}
	if virtType == "" {
		if lastErr != nil && !isNoSupport(lastErr) {
			return DomainCaps{}, fmt.Errorf("libvirt domain capabilities for %s: %w", arch, lastErr)
		}
		return DomainCaps{Arch: arch, Machines: hc.EmulatedMachines(arch, "kvm")}, nil
	}
	dc, err := parseDomainCapabilities(s)
	if err != nil {
		return DomainCaps{}, err
	}
	dc.Arch, dc.VirtType = arch, virtType
	dc.Machines = mergeMachines(hc.EmulatedMachines(arch, virtType), dc.Machines)
	return dc, nil
}

func parseDomainCapabilities(s string) (DomainCaps, error) {
	var x domCapsXML
	if err := xml.Unmarshal([]byte(s), &x); err != nil {
		return DomainCaps{}, fmt.Errorf("parse libvirt domain capabilities: %w", err)
	}
	dc := DomainCaps{Arch: x.Arch, VirtType: x.Domain, Machines: []string{}, UsableModels: []string{}, HostModelFeatures: []string{}}
	if m := strings.TrimSpace(x.Machine); m != "" {
		dc.Machines = append(dc.Machines, m)
	}
	for _, mode := range x.Modes {
		if mode.Supported != "yes" {
			continue
		}
		switch mode.Name {
		case "host-model":
			if len(mode.Models) > 0 {
				dc.HostModel = strings.TrimSpace(mode.Models[0].Name)
			}
			for _, f := range mode.Features {
				if f.Policy == "require" {
					dc.HostModelFeatures = append(dc.HostModelFeatures, f.Name)
				}
			}
		case "custom":
			for _, m := range mode.Models {
				if name := strings.TrimSpace(m.Name); name != "" && m.Usable == "yes" {
					dc.UsableModels = append(dc.UsableModels, name)
				}
			}
		}
	}
	return dc, nil
}

func mergeMachines(lists ...[]string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, l := range lists {
		for _, m := range l {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}

func isNoSupport(err error) bool {
	var le libvirt.Error
	return errors.As(err, &le) && le.Code == libvirt.ERR_NO_SUPPORT
}
