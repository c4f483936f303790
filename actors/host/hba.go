package host

import (
	"strings"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// iscsiInitiatorName is the host's software iSCSI initiator IQN, "" when open-iscsi is not set up.
func iscsiInitiatorName(r fsRoot) string {
	b, _ := r.read("/etc/iscsi/initiatorname.iscsi")
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == "InitiatorName" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// readHBAInventory lists the software iSCSI initiator (when configured) and every
// FibreChannel host adapter the kernel registered, with its port and node names.
func readHBAInventory(r fsRoot, initiator string) vdsm.HBAInventory {
	inv := vdsm.HBAInventory{ISCSI: []vdsm.ISCSIHBA{}, FC: []vdsm.FCHBA{}}
	if initiator != "" {
		inv.ISCSI = append(inv.ISCSI, vdsm.ISCSIHBA{InitiatorName: initiator})
	}
	for _, h := range r.names("/sys/class/fc_host") {
		dir := "/sys/class/fc_host/" + h + "/"
		model := r.str("/sys/class/scsi_host/" + h + "/model_name")
		if desc := r.str("/sys/class/scsi_host/" + h + "/model_desc"); desc != "" {
			model += " - " + desc
		}
		inv.FC = append(inv.FC, vdsm.FCHBA{
			WWPN:  strings.TrimPrefix(r.str(dir+"port_name"), "0x"),
			WWNN:  strings.TrimPrefix(r.str(dir+"node_name"), "0x"),
			Model: model,
		})
	}
	return inv
}
