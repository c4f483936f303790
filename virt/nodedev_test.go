package virt

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

func nodeDeviceNames(t *testing.T, c *Conn, caps []string) []string {
	t.Helper()
	ds, err := c.NodeDevices(caps)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range ds {
		if !strings.Contains(d.XML, "<name>"+d.Name+"</name>") {
			t.Errorf("%s: XML is not its own: %s", d.Name, d.XML)
		}
		names = append(names, d.Name)
	}
	sort.Strings(names)
	return names
}

// The test driver's default node has the root device and three FC SCSI hosts, one a vHBA.
func TestNodeDevicesFilter(t *testing.T) {
	c := openTest(t)
	for _, tc := range []struct {
		caps []string
		want []string
	}{
		{nil, []string{"computer", "scsi_host1", "scsi_host11", "scsi_host2"}},
		{[]string{"scsi_host"}, []string{"scsi_host1", "scsi_host11", "scsi_host2"}},
		{[]string{"pci"}, nil},
		// hostdev.py treats a name it does not know as "system".
		{[]string{"mdev"}, []string{"computer"}},
		{[]string{"system", "scsi_host"}, []string{"computer", "scsi_host1", "scsi_host11", "scsi_host2"}},
	} {
		if got := nodeDeviceNames(t, c, tc.caps); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("caps %v: got %v, want %v", tc.caps, got, tc.want)
		}
	}
}
