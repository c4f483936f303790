package host

import (
	"fmt"
	"os"
	"strings"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

const dmiDir = "/sys/class/dmi/id"

// HardwareInfo describes the machine from the SMBIOS data the kernel exports under
// /sys/class/dmi/id.
//
// A file that cannot be read gives an empty field: product_serial and product_uuid are
// readable by root only, and firmware often leaves fields unset ("Not Specified", which VDSM
// also drops). A host without DMI at all (many ARM boards, some micro-VMs) is not a failure
// either: VDSM's dmidecode reader returns an empty description there, and the engine shows the
// hardware as unknown. Error 57 is kept for a DMI directory that exists but cannot be read,
// where the data is there and the agent failed to get it.
func HardwareInfo(root string) (vdsm.HardwareInfo, error) {
	r := fsRoot(root)
	if _, err := os.ReadDir(r.path(dmiDir)); err != nil && !isNotExist(err) {
		return vdsm.HardwareInfo{}, &vdsm.Error{
			Code:    vdsm.CodeHWInfoFailed,
			Message: fmt.Sprintf("%s: %v", vdsm.Message(vdsm.CodeHWInfoFailed), err),
		}
	}
	field := func(name string) string {
		v := r.str(dmiDir + "/" + name)
		if v == "Not Specified" {
			return ""
		}
		return v
	}
	return vdsm.HardwareInfo{
		SystemManufacturer: field("sys_vendor"),
		SystemProductName:  field("product_name"),
		SystemVersion:      field("product_version"),
		SystemSerialNumber: field("product_serial"),
		SystemUUID:         strings.ToUpper(field("product_uuid")), // as dmidecode prints it
		SystemFamily:       field("product_family"),
	}, nil
}
