package host

import (
	"reflect"
	"testing"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

func TestHBAInventory(t *testing.T) {
	iqn := iscsiInitiatorName(fixture)
	if iqn != "iqn.1994-05.com.redhat:7d366003913" {
		t.Errorf("iqn %q", iqn)
	}
	want := vdsm.HBAInventory{
		ISCSI: []vdsm.ISCSIHBA{{InitiatorName: iqn}},
		FC: []vdsm.FCHBA{{
			WWPN: "21000024ff4b9a1c", WWNN: "20000024ff4b9a1c",
			Model: "QLE2562 - PCI-Express Dual Channel 8Gb Fibre Channel HBA",
		}},
	}
	if got := readHBAInventory(fixture, iqn); !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}

	empty := fsRoot(t.TempDir())
	got := readHBAInventory(empty, iscsiInitiatorName(empty))
	if got.ISCSI == nil || got.FC == nil || len(got.ISCSI)+len(got.FC) != 0 {
		t.Errorf("empty host %#v", got)
	}
}
