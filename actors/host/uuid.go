package host

import (
	"regexp"
	"strconv"
	"strings"
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// hostUUID is the host's stable identity, which the engine uses to tell hosts apart. An
// administrator's /etc/vdsm/vdsm.id wins, as in VDSM (it lets a host keep its identity when this
// agent replaces VDSM); then the SMBIOS system UUID, upper-cased as VDSM's dmidecode reader
// reports it; then libvirt's host UUID (SMBIOS-derived too, and readable without root); then
// systemd's machine id, for hosts without SMBIOS. Firmware placeholders (all zeros, all ones)
// are skipped.
func hostUUID(r fsRoot, lv libvirtFacts) string {
	if id := firstLine(r.str("/etc/vdsm/vdsm.id")); id != "" {
		return id
	}
	for _, u := range []string{r.str(dmiDir + "/product_uuid"), lv.caps.UUID} {
		if uuidRE.MatchString(u) && !placeholderUUID(u) {
			return strings.ToUpper(u)
		}
	}
	id := r.str("/etc/machine-id")
	if len(id) == 32 {
		if _, err := strconv.ParseUint(id[:16], 16, 64); err == nil {
			return strings.ToUpper(id[0:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:32])
		}
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

func placeholderUUID(u string) bool {
	s := strings.ToLower(strings.ReplaceAll(u, "-", ""))
	return strings.Trim(s, "0") == "" || strings.Trim(s, "f") == ""
}
