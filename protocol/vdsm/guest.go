package vdsm

// What VDSM reports from QEMU's guest agent (qemuguestagent.py, guestagenthelpers.py), in the
// shapes the engine reads (VdsBrokerObjectsBuilder: netIfaces, guestOsInfo, guestTimezone,
// disksUsage).

// NetIface is one of the guest's network interfaces as its agent lists them.
type NetIface struct {
	Name  string   `json:"name"`
	HW    string   `json:"hw"`
	Inet  []string `json:"inet"`
	Inet6 []string `json:"inet6"`
}

// GuestOsInfo is the guest's OS (guestagenthelpers.translate_linux_osinfo /
// translate_windows_osinfo). Arch is one of the few the engine knows, or "unknown".
type GuestOsInfo struct {
	Type         string `json:"type"`
	Arch         string `json:"arch"`
	Kernel       string `json:"kernel"`
	Distribution string `json:"distribution"`
	Version      string `json:"version"`
	Codename     string `json:"codename"`
}

// GuestTimezone is the guest's time zone; Offset is in minutes east of UTC.
type GuestTimezone struct {
	Offset int    `json:"offset"`
	Zone   string `json:"zone"`
}

// DiskUsage is one mounted guest file system; sizes are byte counts as strings.
type DiskUsage struct {
	Path  string `json:"path"`
	Total string `json:"total"`
	Used  string `json:"used"`
	FS    string `json:"fs"`
}
