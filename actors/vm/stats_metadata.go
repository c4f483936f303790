package vm

import (
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The agent keeps what must survive its own restart in the domain's <metadata>, under its own
// namespace, as VDSM does under ovirt-vm. Only MetadataXML writes it; libvirt stores it with
// the domain.
const (
	MetadataNamespace = "https://github.com/hostagent/hostagent/1.0"
	MetadataPrefix    = "hostagent"
	// OVirtVMNamespace is VDSM's and the engine's: read for the engine's settings
	// (launchPaused, destroy_on_reboot) and for VMs VDSM started, never written.
	OVirtVMNamespace = "http://ovirt.org/vm/1.0"
)

// Metadata is the per-VM state kept in the domain.
type Metadata struct {
	StartTime       int64 // unix ms; 0 = unknown
	Exit            *Exit // set once the VM went Down
	DestroyOnReboot bool
}

// MetadataXML renders m as the element to hand to libvirt's SetMetadata (type ELEMENT, key
// MetadataPrefix, URI MetadataNamespace). The element carries no namespace: libvirt puts it and
// its children into MetadataNamespace, and refuses an element that declares the prefix itself.
// Only known values are written.
func MetadataXML(m Metadata) string {
	var b strings.Builder
	b.WriteString("<vm>")
	field := func(name, value string) {
		b.WriteString("<" + name + ">")
		_ = xml.EscapeText(&b, []byte(value))
		b.WriteString("</" + name + ">")
	}
	if m.StartTime != 0 {
		field("startTime", strconv.FormatInt(m.StartTime, 10))
	}
	if m.DestroyOnReboot {
		field("destroyOnReboot", "true")
	}
	if m.Exit != nil {
		field("exitCode", strconv.Itoa(m.Exit.Code))
		field("exitReason", strconv.Itoa(m.Exit.Reason))
		field("exitMessage", m.Exit.Message)
	}
	b.WriteString("</vm>")
	return b.String()
}

// ParseMetadata reads the element MetadataXML wrote, as libvirt's GetMetadata returns it (with
// or without the namespace prefix).
func ParseMetadata(s string) (Metadata, error) {
	var x ourMetadataXML
	if err := xml.Unmarshal([]byte(s), &x); err != nil {
		return Metadata{}, fmt.Errorf("parse %s metadata: %w", MetadataPrefix, err)
	}
	if x.XMLName.Local != "vm" {
		return Metadata{}, fmt.Errorf("parse %s metadata: root element is <%s>, not <vm>", MetadataPrefix, x.XMLName.Local)
	}
	return x.metadata()
}

// ourMetadataXML matches children by local name, so it reads both the namespaced element in a
// domain's XML and GetMetadata's bare copy.
type ourMetadataXML struct {
	XMLName         xml.Name
	StartTime       *string `xml:"startTime"`
	DestroyOnReboot *string `xml:"destroyOnReboot"`
	ExitCode        *string `xml:"exitCode"`
	ExitReason      *string `xml:"exitReason"`
	ExitMessage     *string `xml:"exitMessage"`
}

func (x *ourMetadataXML) metadata() (Metadata, error) {
	var m Metadata
	var err error
	if x.StartTime != nil {
		if m.StartTime, err = strconv.ParseInt(strings.TrimSpace(*x.StartTime), 10, 64); err != nil {
			return Metadata{}, fmt.Errorf("metadata startTime: %w", err)
		}
	}
	if x.DestroyOnReboot != nil {
		m.DestroyOnReboot = parseBool(*x.DestroyOnReboot)
	}
	if m.Exit, err = parseExit(x.ExitCode, x.ExitReason, x.ExitMessage); err != nil {
		return Metadata{}, err
	}
	return m, nil
}

// oVirtMetadataXML is the part of VDSM's ovirt-vm:vm element the agent reads. VDSM writes typed
// values (type="float", "int", "bool") as text; the text is all that is needed.
type oVirtMetadataXML struct {
	LaunchPaused          *string `xml:"launchPaused"`
	DestroyOnReboot       *string `xml:"destroy_on_reboot"`
	MinGuaranteedMemoryMB *string `xml:"minGuaranteedMemoryMb"`
	StartTime             *string `xml:"startTime"` // seconds since the epoch, a float
	ExitCode              *string `xml:"exitCode"`
	ExitReason            *string `xml:"exitReason"`
	ExitMessage           *string `xml:"exitMessage"`
}

// oVirtSettings is what the engine (or a VDSM that ran the VM before) put in ovirt-vm:vm.
type oVirtSettings struct {
	LaunchPaused          bool
	DestroyOnReboot       bool
	MinGuaranteedMemoryMB int64
	StartTime             int64 // unix ms
	Exit                  *Exit
}

func (x *oVirtMetadataXML) settings() (oVirtSettings, error) {
	var o oVirtSettings
	var err error
	if x.LaunchPaused != nil {
		o.LaunchPaused = parseBool(*x.LaunchPaused)
	}
	if x.DestroyOnReboot != nil {
		o.DestroyOnReboot = parseBool(*x.DestroyOnReboot)
	}
	if x.MinGuaranteedMemoryMB != nil {
		if o.MinGuaranteedMemoryMB, err = strconv.ParseInt(strings.TrimSpace(*x.MinGuaranteedMemoryMB), 10, 64); err != nil {
			return oVirtSettings{}, fmt.Errorf("ovirt-vm minGuaranteedMemoryMb: %w", err)
		}
	}
	if x.StartTime != nil {
		secs, err := strconv.ParseFloat(strings.TrimSpace(*x.StartTime), 64)
		if err != nil {
			return oVirtSettings{}, fmt.Errorf("ovirt-vm startTime: %w", err)
		}
		o.StartTime = int64(math.Round(secs * 1000))
	}
	if o.Exit, err = parseExit(x.ExitCode, x.ExitReason, x.ExitMessage); err != nil {
		return oVirtSettings{}, err
	}
	return o, nil
}

// parseExit reads an exit record; there is one when a reason is present.
func parseExit(code, reason, message *string) (*Exit, error) {
	if reason == nil {
		return nil, nil
	}
	var e Exit
	var err error
	if e.Reason, err = strconv.Atoi(strings.TrimSpace(*reason)); err != nil {
		return nil, fmt.Errorf("metadata exitReason: %w", err)
	}
	if code != nil {
		if e.Code, err = strconv.Atoi(strings.TrimSpace(*code)); err != nil {
			return nil, fmt.Errorf("metadata exitCode: %w", err)
		}
	}
	if message != nil {
		e.Message = *message
	}
	return &e, nil
}

// parseBool accepts the spellings VDSM's conv.tobool does ("true", "True", "1", "yes").
func parseBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}
