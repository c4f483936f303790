package host

import (
	"testing"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

func TestOSVersion(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  vdsm.OSVersion
	}{
		{
			name: "Rocky is RHEL",
			files: map[string]string{"etc/os-release": `NAME="Rocky Linux"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"`},
			want: vdsm.OSVersion{Name: "RHEL", Version: "9.3", PrettyName: "Rocky Linux 9.3 (Blue Onyx)"},
		},
		{
			name:  "RHEL",
			files: map[string]string{"etc/os-release": "ID=\"rhel\"\nVERSION_ID=\"9.2\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.2 (Plow)\"\n"},
			want:  vdsm.OSVersion{Name: "RHEL", Version: "9.2", PrettyName: "Red Hat Enterprise Linux 9.2 (Plow)"},
		},
		{
			name:  "CentOS Stream",
			files: map[string]string{"etc/os-release": "ID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"9\"\nPRETTY_NAME=\"CentOS Stream 9\"\n"},
			want:  vdsm.OSVersion{Name: "RHEL", Version: "9", PrettyName: "CentOS Stream 9"},
		},
		{
			name:  "Fedora",
			files: map[string]string{"etc/os-release": "NAME=Fedora\nID=fedora\nVERSION_ID=39\nPRETTY_NAME=\"Fedora Linux 39 (Server Edition)\"\n"},
			want:  vdsm.OSVersion{Name: "Fedora", Version: "39", PrettyName: "Fedora Linux 39 (Server Edition)"},
		},
		{
			name: "Debian takes the point release",
			files: map[string]string{
				"etc/os-release":     "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\n",
				"etc/debian_version": "12.7\n",
			},
			want: vdsm.OSVersion{Name: "Debian", Version: "12.7", PrettyName: "Debian GNU/Linux 12 (bookworm)"},
		},
		{
			name:  "Ubuntu is Debian",
			files: map[string]string{"etc/os-release": "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\n"},
			want:  vdsm.OSVersion{Name: "Debian", Version: "22.04", PrettyName: "Ubuntu 22.04.3 LTS"},
		},
		{
			name:  "oVirt Node",
			files: map[string]string{"etc/os-release": "ID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVARIANT_ID=\"ovirt-node\"\nVERSION_ID=\"9\"\nPRETTY_NAME=\"oVirt Node 4.5.5\"\n"},
			want:  vdsm.OSVersion{Name: "oVirt Node", Version: "9", PrettyName: "oVirt Node 4.5.5"},
		},
		{
			name:  "RHV-H",
			files: map[string]string{"etc/os-release": "ID=\"rhel\"\nVARIANT_ID=\"ovirt-node\"\nVERSION_ID=\"8.6\"\nPRETTY_NAME=\"Red Hat Virtualization Host 4.4.10\"\n"},
			want:  vdsm.OSVersion{Name: "RHEV Hypervisor", Version: "8.6", PrettyName: "Red Hat Virtualization Host 4.4.10"},
		},
		{
			name:  "other",
			files: map[string]string{"usr/lib/os-release": "ID=arch\nPRETTY_NAME=\"Arch Linux\"\n"},
			want:  vdsm.OSVersion{Name: "unknown", PrettyName: "Arch Linux"},
		},
		{name: "nothing", files: map[string]string{}, want: vdsm.OSVersion{Name: "unknown"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := readOSVersion(writeFiles(t, c.files)); got != c.want {
				t.Errorf("\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestKernelVersion(t *testing.T) {
	if got := kernelVersion(fixture); got != (vdsm.PackageVersion{Version: "5.14.0", Release: "362.8.1.el9_3.x86_64"}) {
		t.Errorf("%+v", got)
	}
	r := writeFiles(t, map[string]string{"proc/sys/kernel/osrelease": "6.1.0\n"})
	if got := kernelVersion(r); got != (vdsm.PackageVersion{Version: "6.1.0"}) {
		t.Errorf("%+v", got)
	}
}
