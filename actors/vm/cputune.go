package vm

// The CPU limit of a VM's CPU QoS, as a VDSM host keeps and enforces it. VDSM records the
// engine's vcpuLimit (a percentage of the host's CPU power) in the domain's metadata
// (<ovirt-tune:qos><vcpuLimit>) and reports it; MoM's CPU-tune rule (vdsm's
// static/etc/vdsm/mom.d/04-cputune.policy) turns it into libvirt's vcpu_quota and vcpu_period.
// This agent runs no MoM: VCPUBandwidthFor is that rule, applied when the limit is set.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// The ovirt-tune metadata of VDSM (virt/xmlconstants.py) and the engine's domain XML.
const (
	TuneNamespace = "http://ovirt.org/vm/tune/1.0"
	TunePrefix    = "ovirt-tune"
	tuneElement   = "qos"
)

// MoM's 04-cputune.policy constants: the period it measures in (µs), the quota that lifts a
// limit, and the smallest quota it lets a vCPU have before it stretches the period.
const (
	momPeriod   = 100000
	momNoQuota  = -1
	momMinQuota = 1000
)

// VCPUBandwidthFor is MoM's rule for a VM limited to limit percent of the host's hostCPUs
// CPUs, spread over its vcpus: the VM may use limit% of (period × host CPUs) per period, split
// evenly between its vCPUs; when a vCPU's share falls to 1000 µs or below, quota and period grow
// by the same factor so the share stays measurable (and within libvirt's bounds). A limit of 100
// or more is no limit (quota -1, period 100000). MoM's Controller truncates both to integers.
func VCPUBandwidthFor(limit, hostCPUs, vcpus int) (quota int64, period uint64, err error) {
	if limit >= 100 {
		return momNoQuota, momPeriod, nil
	}
	if limit <= 0 || hostCPUs <= 0 || vcpus <= 0 {
		return 0, 0, fmt.Errorf("no CPU bandwidth for a limit of %d%% with %d host CPUs and %d vCPUs", limit, hostCPUs, vcpus)
	}
	maxCPUTime := float64(limit) / 100.0 * float64(momPeriod*hostCPUs)
	perVCPU := maxCPUTime / float64(vcpus)
	mult := 1.0
	if !(perVCPU > momMinQuota) {
		mult = 1 + momMinQuota/perVCPU
	}
	return int64(mult * perVCPU), uint64(mult * momPeriod), nil
}

// ParseVCPULimit reads vcpuLimit as MoM does (int() of VDSM's reported text): an integer
// percentage, surrounding blanks allowed.
func ParseVCPULimit(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("vcpuLimit %q is not an integer percentage", s)
	}
	return n, nil
}

// WithVCPULimit is the qos element (as libvirt's GetMetadata returns it; "" when the domain has
// none) with its vcpuLimit replaced by limit and every other child kept, as vm.py
// updateVmPolicy edits it. The result carries no namespace: SetMetadata puts it, and all its
// children, into TuneNamespace.
func WithVCPULimit(qos, limit string) (string, error) {
	var b bytes.Buffer
	enc := xml.NewEncoder(&b)
	root := xml.StartElement{Name: xml.Name{Local: tuneElement}}
	if err := enc.EncodeToken(root); err != nil {
		return "", err
	}
	if strings.TrimSpace(qos) != "" {
		if err := copyChildren(enc, qos, "vcpuLimit"); err != nil {
			return "", err
		}
	}
	v := xml.StartElement{Name: xml.Name{Local: "vcpuLimit"}}
	for _, t := range []xml.Token{v, xml.CharData(limit), v.End(), root.End()} {
		if err := enc.EncodeToken(t); err != nil {
			return "", err
		}
	}
	if err := enc.Flush(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// copyChildren re-encodes the children of the root element of doc, without namespaces, leaving
// out the direct children named drop.
func copyChildren(enc *xml.Encoder, doc, drop string) error {
	dec := xml.NewDecoder(strings.NewReader(doc))
	depth, skip := 0, 0
	for {
		t, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return errors.New("qos metadata: unexpected end")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("qos metadata: %w", err)
		}
		switch x := t.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				if x.Name.Local != tuneElement {
					return fmt.Errorf("qos metadata: root element is <%s>, not <%s>", x.Name.Local, tuneElement)
				}
				continue
			}
			if depth == 2 && x.Name.Local == drop {
				skip = depth
			}
			if skip != 0 {
				continue
			}
			if err := enc.EncodeToken(bare(x)); err != nil {
				return err
			}
		case xml.EndElement:
			depth--
			if depth == 0 {
				continue
			}
			if skip != 0 {
				if depth < skip {
					skip = 0
				}
				continue
			}
			if err := enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: x.Name.Local}}); err != nil {
				return err
			}
		case xml.CharData:
			if depth >= 2 && skip == 0 {
				if err := enc.EncodeToken(x.Copy()); err != nil {
					return err
				}
			}
		}
	}
}

// bare is s without namespaces: no prefix and no xmlns declarations.
func bare(s xml.StartElement) xml.StartElement {
	out := xml.StartElement{Name: xml.Name{Local: s.Name.Local}}
	for _, a := range s.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		out.Attr = append(out.Attr, xml.Attr{Name: xml.Name{Local: a.Name.Local}, Value: a.Value})
	}
	return out
}

// tuneQoSXML is the part of ovirt-tune:qos the agent reads: the limit as text, as vm.py
// _updateVcpuLimit reads it.
type tuneQoSXML struct {
	VCPULimit *string `xml:"vcpuLimit"`
}

// cputuneXML is the domain's <cputune>: the vCPUs' bandwidth, 0 when not set.
type cputuneXML struct {
	Period uint64 `xml:"period"`
	Quota  int64  `xml:"quota"`
}

// readTune fills the CPU limit and the vCPU bandwidth in from the domain XML.
func (d *DomainInfo) readTune(qos *tuneQoSXML, ct cputuneXML) {
	if qos != nil && qos.VCPULimit != nil {
		d.VCPULimit = *qos.VCPULimit
	}
	d.VCPUQuota, d.VCPUPeriod = ct.Quota, ct.Period
}

// processorLine is how MoM's HostCpu collector counts the host's CPUs in /proc/cpuinfo.
var processorLine = regexp.MustCompile(`(?m)^processor.*:.*`)

// countProcessors is MoM's Host.cpu_count from the text of /proc/cpuinfo.
func countProcessors(cpuinfo string) int { return len(processorLine.FindAllString(cpuinfo, -1)) }

// hostCPUs is the host's CPU count as MoM sees it, read once; the CPUs this process may use
// when /proc/cpuinfo says nothing.
var hostCPUs = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if n := countProcessors(string(b)); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU()
})

// tuneStats are the CPU QoS keys of a running VM's stats, as vm.py reports them.
func tuneStats(d DomainInfo) (limit, quota string, period uint64) {
	if d.VCPUQuota != 0 {
		quota = strconv.FormatInt(d.VCPUQuota, 10)
	}
	return d.VCPULimit, quota, d.VCPUPeriod
}
