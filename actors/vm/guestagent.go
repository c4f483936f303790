package vm

// QEMU's guest agent, as VDSM's qemuguestagent.py polls it: which qemu-ga commands are due
// (agentDue) and how their answers become VDSM's guest keys (applyAgent). Pure: the VM actor
// makes the calls off its turn (guestagent_actor.go) and feeds the answers here.

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// The qemu-ga commands VDSM asks, by libvirt's guestInfo or directly.
const (
	qgaInfo     = "guest-info"
	qgaHostName = "guest-get-host-name"
	qgaOSInfo   = "guest-get-osinfo"
	qgaTimezone = "guest-get-timezone"
	qgaUsers    = "guest-get-users"
	qgaFSInfo   = "guest-get-fsinfo"
	qgaVCPUs    = "guest-get-vcpus"
	qgaNetwork  = "guest-network-get-interfaces"
)

// VDSM's [guest_agent] defaults: the poller runs every qga_polling_period; each command has its
// own period; in the first qga_initial_info_interval after a start the agent's presence and the
// guest's addresses are asked on every run; after a failure the VM is left alone for
// _THROTTLING_INTERVAL; one command may take qga_command_timeout.
const (
	agentPollPeriod      = 5 * time.Second
	agentInitialInterval = 120 * time.Second
	agentThrottle        = 60 * time.Second
	agentCommandTimeout  = time.Second
)

// agentPeriods are the qga_*_period defaults, per command, in the order they are asked.
var agentPeriods = []struct {
	cmd    string
	period time.Duration
}{
	{qgaVCPUs, 60 * time.Second},     // qga_cpu_info_period
	{qgaNetwork, 120 * time.Second},  // qga_sysinfo_period
	{qgaFSInfo, 300 * time.Second},   // qga_disk_info_period
	{qgaHostName, 120 * time.Second}, // qga_sysinfo_period
	{qgaOSInfo, 120 * time.Second},   // qga_sysinfo_period
	{qgaTimezone, 120 * time.Second}, // qga_sysinfo_period
	{qgaUsers, 10 * time.Second},     // qga_active_users_period
}

const agentInfoPeriod = 300 * time.Second // qga_info_period

// agentPoller is what the VM actor knows about its guest's agent.
type agentPoller struct {
	connected bool
	// version is qemu-ga's, "" until guest-info answered (VDSM's caps['version'] None);
	// commands are the ones it has enabled.
	version  string
	commands map[string]bool
	last     map[string]time.Time // when each command last answered
	failed   time.Time            // the last failure: the VM is throttled for a while after it
}

// agentAnswer is one command's outcome. Raw is qemu-ga's JSON answer; the network command's
// answer comes through libvirt as Interfaces.
type agentAnswer struct {
	Cmd        string
	Raw        string
	Interfaces []virt.AgentInterface
	Err        error
}

// agentDue lists the commands to ask now (VDSM's _poller with _on_boot). started is when the
// guest last booted; haveAddress: the guest reported a global address already.
func agentDue(p agentPoller, now, started time.Time, haveAddress bool) []string {
	if !p.connected {
		return nil // VDSM's call_qga_command sends nothing to a disconnected channel
	}
	var due []string
	onBoot := now.Sub(started) <= agentInitialInterval
	if onBoot && p.version == "" {
		due = append(due, qgaInfo)
	}
	if onBoot && !haveAddress {
		due = append(due, qgaNetwork)
	}
	if now.Sub(p.failed) < agentThrottle && !p.failed.IsZero() {
		return due
	}
	if !contains(due, qgaInfo) && now.Sub(p.last[qgaInfo]) >= agentInfoPeriod {
		due = append(due, qgaInfo)
	}
	if p.version == "" {
		return due // what the agent can do is not known yet
	}
	for _, c := range agentPeriods {
		if p.commands[c.cmd] && !contains(due, c.cmd) && now.Sub(p.last[c.cmd]) >= c.period {
			due = append(due, c.cmd)
		}
	}
	return due
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// applyAgent folds answers into the poller and the guest's info, which it copies: the info
// already reported is never changed in place. agentUp: guest-info answered where the agent
// was not known, which is VDSM's sign that the guest is up.
func applyAgent(p agentPoller, info *vdsm.GuestInfo, answers []agentAnswer, now time.Time) (agentPoller, *vdsm.GuestInfo, bool) {
	g := vdsm.NoGuestInfo()
	if info != nil {
		g = *info
	}
	p.last = copyTimes(p.last)
	agentUp := false
	for _, a := range answers {
		// VDSM stamps the last check of guest-info, the CPUs and the NICs whatever came back;
		// the rest go through libvirt's guestInfo, which fails as a whole on any error. Only
		// guest-info is sent as a raw command, whose error answer is no failure to VDSM; the
		// guest's error anywhere else is a libvirt error to it, and throttles the VM. Either way
		// a guest that answers errors is not asked again on the next run.
		direct := a.Cmd == qgaInfo || a.Cmd == qgaVCPUs || a.Cmd == qgaNetwork
		if direct {
			p.last[a.Cmd] = now
		}
		if a.Err != nil {
			p.failed = now
			if a.Cmd == qgaInfo {
				p.version, p.commands = "", nil
			}
			continue
		}
		ret, err := agentReturn(a)
		if err != nil {
			if a.Cmd == qgaInfo {
				p.version, p.commands = "", nil
			}
			if a.Cmd != qgaInfo {
				p.failed = now
			}
			continue // VDSM logs qemu-ga's errors and keeps what it had
		}
		p.last[a.Cmd] = now
		switch a.Cmd {
		case qgaInfo:
			var r struct {
				Version  string `json:"version"`
				Commands []struct {
					Name    string `json:"name"`
					Enabled bool   `json:"enabled"`
				} `json:"supported_commands"`
			}
			if json.Unmarshal(ret, &r) != nil || r.Version == "" {
				continue
			}
			agentUp = p.version == ""
			if agentUp {
				p.failed = time.Time{} // VDSM's _on_boot: the agent is up, its failures forgotten
			}
			p.version, p.commands = r.Version, map[string]bool{}
			for _, c := range r.Commands {
				if c.Enabled {
					p.commands[c.Name] = true
				}
			}
			if len(g.AppsList) == 0 {
				g.AppsList = []string{"qemu-guest-agent-" + p.version}
			}
		case qgaNetwork:
			ifs := netIfaces(a.Interfaces)
			g.NetIfaces, g.GuestIPs = &ifs, ""
		default:
			translateAgent(&g, a.Cmd, ret, p.version)
		}
	}
	return p, &g, agentUp
}

// agentReturn is the "return" member of qemu-ga's answer; an "error" or no "return" is an error.
func agentReturn(a agentAnswer) (json.RawMessage, error) {
	if a.Cmd == qgaNetwork {
		return nil, nil
	}
	var r struct {
		Return json.RawMessage `json:"return"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal([]byte(a.Raw), &r); err != nil {
		return nil, err
	}
	if r.Error != nil || r.Return == nil {
		return nil, fmt.Errorf("qemu-ga %s: %s", a.Cmd, a.Raw)
	}
	return r.Return, nil
}

// translateAgent sets the keys one command's answer gives (guestagenthelpers.py and
// qemuguestagent.py _libvirt_get_guest_info). An answer that does not parse changes nothing.
func translateAgent(g *vdsm.GuestInfo, cmd string, ret json.RawMessage, version string) {
	switch cmd {
	case qgaHostName:
		var r struct {
			Name string `json:"host-name"`
		}
		if json.Unmarshal(ret, &r) == nil {
			g.GuestName, g.GuestFQDN = r.Name, r.Name
		}
	case qgaOSInfo:
		var r map[string]string
		if json.Unmarshal(ret, &r) != nil {
			return
		}
		g.GuestOs, g.GuestOsInfo = osInfo(r)
		// VDSM's fake_apps_list: the kernel (not on Windows) and the agent, with versions.
		apps := []string{}
		if r["id"] != "mswindows" {
			apps = append(apps, "kernel-"+r["kernel-release"])
		}
		if version != "" {
			apps = append(apps, "qemu-guest-agent-"+version)
		}
		g.AppsList = apps
	case qgaTimezone:
		var r struct {
			Zone   *string `json:"zone"`
			Offset int     `json:"offset"`
		}
		if json.Unmarshal(ret, &r) != nil {
			return
		}
		tz := &vdsm.GuestTimezone{Offset: int(math.Floor(float64(r.Offset) / 60)), Zone: "unknown"}
		if r.Zone != nil {
			tz.Zone = *r.Zone
		}
		g.GuestTimezone = tz
	case qgaUsers:
		var r []struct {
			User   string `json:"user"`
			Domain string `json:"domain"`
		}
		if json.Unmarshal(ret, &r) != nil {
			return
		}
		users := make([]string, 0, len(r))
		for _, u := range r {
			if u.Domain != "" {
				users = append(users, u.User+"@"+u.Domain)
			} else {
				users = append(users, u.User)
			}
		}
		g.Username = strings.Join(users, ", ")
	case qgaFSInfo:
		var r []struct {
			Mountpoint string  `json:"mountpoint"`
			Type       string  `json:"type"`
			Total      *uint64 `json:"total-bytes"`
			Used       *uint64 `json:"used-bytes"`
		}
		if json.Unmarshal(ret, &r) != nil {
			return
		}
		disks := []vdsm.DiskUsage{}
		for _, f := range r {
			// Windows' System Reserved volumes have no sizes: VDSM skips them.
			if f.Total == nil || f.Used == nil {
				continue
			}
			disks = append(disks, vdsm.DiskUsage{Path: f.Mountpoint, Total: strconv.FormatUint(*f.Total, 10),
				Used: strconv.FormatUint(*f.Used, 10), FS: f.Type})
		}
		g.DisksUsage = &disks
	case qgaVCPUs:
		var r []struct {
			Online bool `json:"online"`
		}
		if json.Unmarshal(ret, &r) != nil {
			return
		}
		n := 0
		for _, c := range r {
			if c.Online {
				n++
			}
		}
		g.GuestCPUCount = n
	}
}

// osInfo is guestagenthelpers' translate_linux_osinfo / translate_windows_osinfo.
func osInfo(r map[string]string) (string, *vdsm.GuestOsInfo) {
	if r["id"] == "mswindows" {
		return r["pretty-name"], &vdsm.GuestOsInfo{Type: "windows", Arch: guestArch(r["machine"]),
			Version: r["kernel-version"], Codename: r["pretty-name"]}
	}
	return r["kernel-release"], &vdsm.GuestOsInfo{Type: "linux", Arch: guestArch(r["machine"]),
		Kernel: r["kernel-release"], Distribution: r["name"], Version: r["version-id"], Codename: r["variant"]}
}

// guestArch maps the guest's machine to the architectures the engine knows.
func guestArch(m string) string {
	switch m {
	case "ppc", "ppcle", "ppc64", "ppc64le", "x86", "x86_64":
		return m
	case "i686", "i586", "i386":
		return "x86"
	}
	return "unknown"
}

// netIfaces is qemuguestagent.py's _qga_call_network_interfaces. guestIPs stays "": the
// engine has read netIfaces instead since 4.2, and VDSM does not fill it from qemu-ga.
func netIfaces(ifs []virt.AgentInterface) []vdsm.NetIface {
	out := make([]vdsm.NetIface, 0, len(ifs))
	for _, i := range ifs {
		n := vdsm.NetIface{Name: i.Name, HW: i.HW, Inet: i.Inet, Inet6: i.Inet6}
		if n.Inet == nil {
			n.Inet = []string{}
		}
		if n.Inet6 == nil {
			n.Inet6 = []string{}
		}
		out = append(out, n)
	}
	return out
}

// haveGlobalAddress: a NIC other than lo and docker0 has an address neither loopback nor
// link-local (VDSM's _on_boot stops asking for addresses on every run then).
func haveGlobalAddress(g *vdsm.GuestInfo) bool {
	if g == nil || g.NetIfaces == nil {
		return false
	}
	for _, i := range *g.NetIfaces {
		if i.Name == "lo" || i.Name == "docker0" {
			continue
		}
		for _, a := range append(append([]string{}, i.Inet...), i.Inet6...) {
			if ip := net.ParseIP(a); ip != nil && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
				return true
			}
		}
	}
	return false
}

func copyTimes(m map[string]time.Time) map[string]time.Time {
	c := make(map[string]time.Time, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}
