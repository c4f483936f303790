package domxml

import (
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"
)

// PayloadSource is the source file the engine writes for a cloud-init or sysprep payload disk;
// the image it stands for is built on the host (VDSM's storagexml _PAYLOAD_PATH).
const PayloadSource = "PAYLOAD:"

// PayloadDisk is a disk whose source is PayloadSource: the image to build for it, and where.
type PayloadDisk struct {
	Name   string // the disk's target dev, the ovirt-vm:device name its payload is under
	Device string // cdrom (an ISO 9660 image) or floppy
	// Payload is the metadata's payload for this disk; nil when the metadata has none, and the
	// source is then left as the engine wrote it.
	Payload *Payload
	// Path is where the image goes (PayloadPath), "" when the request named no directory.
	Path string
}

// PayloadPath is the image of a VM's payload disk under dir: one per VM and disk, so that a
// VM's images can be found and removed by its id alone.
func PayloadPath(dir, vmID, disk string) string {
	return filepath.Join(dir, vmID+"."+disk+".img")
}

// payloadDisk follows one <disk> through walk: its device, target and, if its source is a
// payload, that source's bytes.
type payloadDisk struct {
	device, target string
	from, to       int64 // the <source> start tag, when its file is PayloadSource
}

// end is the disk's closing tag: a payload disk is listed and, when there is a directory to put
// its image in, its source file is spliced to the image's path.
func (res *Resolved) endPayloadDisk(s string, p payloadDisk, req Request) []splice {
	if p.to == 0 {
		return nil
	}
	d := PayloadDisk{Name: p.target, Device: p.device}
	for i := range res.Meta.Devices {
		m := &res.Meta.Devices[i]
		if m.DevType == "disk" && m.Name == p.target && m.Payload != nil {
			d.Payload = m.Payload
		}
	}
	if d.Payload == nil {
		res.Changes = append(res.Changes, fmt.Sprintf("disk %s: source %s without a payload in the metadata, left as is", p.target, PayloadSource))
		res.Payloads = append(res.Payloads, d)
		return nil
	}
	if req.PayloadDir == "" {
		res.Payloads = append(res.Payloads, d)
		return nil
	}
	d.Path = PayloadPath(req.PayloadDir, res.UUID, p.target)
	res.Payloads = append(res.Payloads, d)
	res.Changes = append(res.Changes, fmt.Sprintf("disk %s: payload image %s", p.target, d.Path))
	tag := s[p.from:p.to]
	i := strings.Index(tag, PayloadSource)
	return []splice{{p.from + int64(i), p.from + int64(i+len(PayloadSource)), escapeAttr(d.Path)}}
}

func escapeAttr(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return strings.ReplaceAll(b.String(), "'", "&#39;")
}
