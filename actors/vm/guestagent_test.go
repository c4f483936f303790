package vm

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// qgaAnswer reads a real qemu-ga 7.2 answer from testdata/qga (asked on a Debian 12 machine).
func qgaAnswer(t *testing.T, cmd string) agentAnswer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "qga", cmd+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if cmd != qgaNetwork {
		return agentAnswer{Cmd: cmd, Raw: string(b)}
	}
	// libvirt's InterfaceAddresses with the agent source is this command's answer, reduced.
	var r struct {
		Return []struct {
			Name  string `json:"name"`
			HW    string `json:"hardware-address"`
			Addrs []struct {
				Type string `json:"ip-address-type"`
				Addr string `json:"ip-address"`
			} `json:"ip-addresses"`
		} `json:"return"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	a := agentAnswer{Cmd: cmd}
	for _, i := range r.Return {
		ai := virt.AgentInterface{Name: i.Name, HW: i.HW, Inet: []string{}, Inet6: []string{}}
		for _, ad := range i.Addrs {
			if ad.Type == "ipv4" {
				ai.Inet = append(ai.Inet, ad.Addr)
			} else {
				ai.Inet6 = append(ai.Inet6, ad.Addr)
			}
		}
		a.Interfaces = append(a.Interfaces, ai)
	}
	return a
}

// Every answer qemu-ga gives, turned into VDSM's keys, as qemuguestagent.py and
// guestagenthelpers.py turn them.
func TestAgentAnswersInVDSMShapes(t *testing.T) {
	now := time.Unix(1e9, 0)
	p := agentPoller{connected: true}
	p, g, up := applyAgent(p, nil, []agentAnswer{qgaAnswer(t, qgaInfo)}, now)
	if !up || p.version != "7.2.22" || !p.commands[qgaOSInfo] || !p.commands[qgaNetwork] || p.commands["guest-no-such"] {
		t.Fatalf("after guest-info: up %v version %q commands %v", up, p.version, p.commands)
	}
	if want := []string{"qemu-guest-agent-7.2.22"}; !reflect.DeepEqual(g.AppsList, want) {
		t.Fatalf("appsList %v, want %v (VDSM's fake_apps_list)", g.AppsList, want)
	}
	var answers []agentAnswer
	for _, c := range []string{qgaHostName, qgaOSInfo, qgaTimezone, qgaUsers, qgaFSInfo, qgaVCPUs, qgaNetwork} {
		answers = append(answers, qgaAnswer(t, c))
	}
	p, g, up = applyAgent(p, g, answers, now)
	if up {
		t.Fatal("the agent was reported up twice")
	}
	got, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"username":"","session":"Unknown","memUsage":"0","guestCPUCount":2,` +
		`"appsList":["kernel-6.18.44-fc-v1300","qemu-guest-agent-7.2.22"],"guestIPs":"","guestFQDN":"vm",` +
		`"guestName":"vm","guestOs":"6.18.44-fc-v1300",` +
		`"guestOsInfo":{"type":"linux","arch":"x86_64","kernel":"6.18.44-fc-v1300","distribution":"Debian GNU/Linux","version":"12","codename":""},` +
		`"guestTimezone":{"offset":0,"zone":"UTC"},` +
		`"netIfaces":[{"name":"lo","hw":"00:00:00:00:00:00","inet":["127.0.0.1"],"inet6":["::1"]},` +
		`{"name":"ifb0","hw":"d2:79:09:9f:6b:d3","inet":[],"inet6":[]},{"name":"ifb1","hw":"c6:b0:1f:07:da:ee","inet":[],"inet6":[]},` +
		`{"name":"eth0","hw":"02:fc:00:00:00:01","inet":["192.0.2.2"],"inet6":["fd00::2","fe80::fc:ff:fe00:1"]}],` +
		`"disksUsage":[{"path":"/run/netns","total":"97793294336","used":"26586157056","fs":"ext4"},` +
		`{"path":"/","total":"97793294336","used":"26586157056","fs":"ext4"}]}`
	if string(got) != want {
		t.Fatalf("guest info\n got %s\nwant %s", got, want)
	}
	for _, c := range append([]string{qgaInfo}, qgaHostName, qgaOSInfo, qgaTimezone, qgaUsers, qgaFSInfo, qgaVCPUs, qgaNetwork) {
		if !p.last[c].Equal(now) {
			t.Errorf("%s not marked answered", c)
		}
	}
	if !haveGlobalAddress(g) {
		t.Error("eth0's 192.0.2.2 is a global address")
	}
}

// The translations' corners, from qemu-ga's documented answers (qga/qapi-schema.json).
func TestAgentTranslate(t *testing.T) {
	for _, tc := range []struct {
		name, cmd, ret string
		check          func(g vdsm.GuestInfo) bool
	}{
		{"windows", qgaOSInfo, `{"id":"mswindows","kernel-release":"10240","kernel-version":"10.0","machine":"x86_64","name":"Microsoft Windows","pretty-name":"Windows 10 Enterprise","variant":"client","variant-id":"client","version":"Microsoft Windows 10","version-id":"10"}`,
			func(g vdsm.GuestInfo) bool {
				return g.GuestOs == "Windows 10 Enterprise" && *g.GuestOsInfo == vdsm.GuestOsInfo{Type: "windows", Arch: "x86_64", Version: "10.0", Codename: "Windows 10 Enterprise"} &&
					reflect.DeepEqual(g.AppsList, []string{"qemu-guest-agent-7.2.22"})
			}},
		{"i686 reads x86", qgaOSInfo, `{"id":"fedora","machine":"i686","kernel-release":"4.13","name":"Fedora","version-id":"27","variant":"Cloud Edition"}`,
			func(g vdsm.GuestInfo) bool {
				return *g.GuestOsInfo == vdsm.GuestOsInfo{Type: "linux", Arch: "x86", Kernel: "4.13", Distribution: "Fedora", Version: "27", Codename: "Cloud Edition"}
			}},
		{"unknown arch", qgaOSInfo, `{"id":"x","machine":"riscv64"}`, func(g vdsm.GuestInfo) bool { return g.GuestOsInfo.Arch == "unknown" }},
		{"timezone west, floor minutes", qgaTimezone, `{"zone":"NST","offset":-12630}`,
			func(g vdsm.GuestInfo) bool { return *g.GuestTimezone == vdsm.GuestTimezone{Offset: -211, Zone: "NST"} }},
		{"timezone without zone", qgaTimezone, `{"offset":3600}`,
			func(g vdsm.GuestInfo) bool {
				return *g.GuestTimezone == vdsm.GuestTimezone{Offset: 60, Zone: "unknown"}
			}},
		{"users with a domain", qgaUsers, `[{"user":"Administrator","domain":"WIN","login-time":1.5e9},{"user":"root","login-time":1.5e9}]`,
			func(g vdsm.GuestInfo) bool { return g.Username == "Administrator@WIN, root" }},
		{"file system without sizes", qgaFSInfo, `[{"name":"a","mountpoint":"System Reserved","type":"NTFS","disk":[]},{"name":"b","mountpoint":"C:\\","type":"NTFS","total-bytes":10,"used-bytes":4,"disk":[]}]`,
			func(g vdsm.GuestInfo) bool {
				return reflect.DeepEqual(*g.DisksUsage, []vdsm.DiskUsage{{Path: "C:\\", Total: "10", Used: "4", FS: "NTFS"}})
			}},
		{"no file system with sizes: [] all the same", qgaFSInfo, `[]`,
			func(g vdsm.GuestInfo) bool {
				b, _ := json.Marshal(g)
				return strings.Contains(string(b), `"disksUsage":[]`)
			}},
		{"offline vCPU", qgaVCPUs, `[{"online":true,"logical-id":0},{"online":false,"logical-id":1}]`,
			func(g vdsm.GuestInfo) bool { return g.GuestCPUCount == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := vdsm.NoGuestInfo()
			translateAgent(&g, tc.cmd, json.RawMessage(tc.ret), "7.2.22")
			if !tc.check(g) {
				b, _ := json.Marshal(g)
				t.Fatalf("%s", b)
			}
		})
	}
}

// A failure, an error answer or a malformed one changes nothing already reported.
func TestAgentFailuresKeepInfo(t *testing.T) {
	now := time.Unix(1e9, 0)
	p, g, _ := applyAgent(agentPoller{connected: true}, nil, []agentAnswer{qgaAnswer(t, qgaInfo), qgaAnswer(t, qgaHostName)}, now)
	before, _ := json.Marshal(g)
	later := now.Add(time.Minute)
	p2, g2, up := applyAgent(p, g, []agentAnswer{
		{Cmd: qgaHostName, Err: errors.New("guest agent is not responding")},
		{Cmd: qgaOSInfo, Raw: `{"error":{"class":"GenericError","desc":"x"}}`},
		{Cmd: qgaTimezone, Raw: `not json`},
		{Cmd: qgaNetwork, Err: errors.New("timeout")},
	}, later)
	after, _ := json.Marshal(g2)
	if up || string(after) != string(before) {
		t.Fatalf("info changed by failures:\n%s\n%s", before, after)
	}
	if !p2.failed.Equal(later) || p2.version != "7.2.22" || !p2.last[qgaHostName].Equal(now) {
		t.Fatalf("poller after failures: %+v", p2)
	}
	if g2 == g || !reflect.DeepEqual(p.last[qgaHostName], now) {
		t.Fatal("the reported info or the poller was changed in place")
	}
	// guest-info failing forgets what the agent can do: its next answer is a new agent.
	p3, _, _ := applyAgent(p2, g2, []agentAnswer{{Cmd: qgaInfo, Err: errors.New("gone")}}, later)
	if p3.version != "" || p3.commands != nil {
		t.Fatalf("poller after guest-info failed: %+v", p3)
	}
	if _, _, up := applyAgent(p3, g2, []agentAnswer{qgaAnswer(t, qgaInfo)}, later); !up {
		t.Fatal("the agent answering again is not reported up")
	}
}

// What is asked when, as VDSM's poller asks it with its default periods.
func TestAgentDue(t *testing.T) {
	boot := time.Unix(1e9, 0)
	all := map[string]bool{}
	for _, c := range agentPeriods {
		all[c.cmd] = true
	}
	at := func(d time.Duration) map[string]time.Time {
		m := map[string]time.Time{qgaInfo: boot.Add(d)}
		for _, c := range agentPeriods {
			m[c.cmd] = boot.Add(d)
		}
		return m
	}
	known := agentPoller{connected: true, version: "7.2", commands: all, last: at(10 * time.Second)}
	for _, tc := range []struct {
		name    string
		p       agentPoller
		now     time.Duration // since boot
		address bool
		want    []string
	}{
		{"disconnected", agentPoller{}, time.Second, false, nil},
		{"booting, agent unknown", agentPoller{connected: true}, time.Second, false, []string{qgaInfo, qgaNetwork}},
		{"booting, agent unknown, throttled", agentPoller{connected: true, failed: boot}, 5 * time.Second, false, []string{qgaInfo, qgaNetwork}},
		{"long up, agent unknown", agentPoller{connected: true}, time.Hour, true, []string{qgaInfo}},
		{"long up, agent unknown, throttled", agentPoller{connected: true, failed: boot.Add(time.Hour - time.Second)}, time.Hour, true, nil},
		{"just known: everything", agentPoller{connected: true, version: "7.2", commands: all, last: map[string]time.Time{qgaInfo: boot}}, time.Second, true,
			[]string{qgaVCPUs, qgaNetwork, qgaFSInfo, qgaHostName, qgaOSInfo, qgaTimezone, qgaUsers}},
		{"only what the agent has", agentPoller{connected: true, version: "7.2", commands: map[string]bool{qgaHostName: true}, last: map[string]time.Time{qgaInfo: boot}}, time.Second, true,
			[]string{qgaHostName}},
		{"5 s later, addressless boot", known, 15 * time.Second, false, []string{qgaNetwork}},
		{"5 s later, with an address", known, 15 * time.Second, true, nil},
		{"users every 10 s", known, 20 * time.Second, true, []string{qgaUsers}},
		{"CPUs every minute", known, 70 * time.Second, true, []string{qgaVCPUs, qgaUsers}},
		{"system info every 2 min", known, 130 * time.Second, true, []string{qgaVCPUs, qgaNetwork, qgaHostName, qgaOSInfo, qgaTimezone, qgaUsers}},
		{"agent and disks every 5 min", known, 310 * time.Second, true, []string{qgaInfo, qgaVCPUs, qgaNetwork, qgaFSInfo, qgaHostName, qgaOSInfo, qgaTimezone, qgaUsers}},
		{"throttled a minute after a failure", agentPoller{connected: true, version: "7.2", commands: all, last: at(10 * time.Second), failed: boot.Add(20 * time.Second)}, 79 * time.Second, true, nil},
		{"throttle over", agentPoller{connected: true, version: "7.2", commands: all, last: at(10 * time.Second), failed: boot.Add(20 * time.Second)}, 80 * time.Second, true, []string{qgaVCPUs, qgaUsers}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := agentDue(tc.p, boot.Add(tc.now), boot, tc.address); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("due %v, want %v", got, tc.want)
			}
		})
	}
}

// The guest controls what its agent answers. An error (or garbage) where an answer belongs
// makes VDSM wait as it would after any answer for guest-info, the CPUs and the NICs (it stamps
// their last check whatever came back), and throttles the VM for a minute for the commands it
// asks through libvirt's guestInfo, which fails as a whole: it is not asked again on the next
// 5-second run, for ever.
func TestAgentErrorAnswersAreNotAskedAgainAtOnce(t *testing.T) {
	boot := time.Unix(1e9, 0)
	now := boot.Add(time.Hour) // long after the boot: no boot-time asking
	p, g, _ := applyAgent(agentPoller{connected: true}, nil, []agentAnswer{qgaAnswer(t, qgaInfo)}, now)
	bad := `{"error":{"class":"GenericError","desc":"no"}}`
	for _, cmd := range []string{qgaVCPUs, qgaUsers, qgaHostName} {
		// Everything else answered just now; cmd was last answered long ago.
		q := p
		q.last = map[string]time.Time{qgaInfo: now}
		for _, c := range agentPeriods {
			q.last[c.cmd] = now
		}
		delete(q.last, cmd)
		p2, _, _ := applyAgent(q, g, []agentAnswer{{Cmd: cmd, Raw: bad}}, now)
		if due := agentDue(p2, now.Add(agentPollPeriod), boot, true); contains(due, cmd) {
			t.Errorf("%s answered an error: asked again on the next run (%v)", cmd, due)
		}
		if !p2.failed.Equal(now) {
			t.Errorf("%s answered an error: the VM is not throttled", cmd)
		}
	}
	q := p
	q.last = map[string]time.Time{} // guest-info last answered long ago
	p2, _, _ := applyAgent(q, g, []agentAnswer{{Cmd: qgaInfo, Raw: `not json`}}, now)
	if due := agentDue(p2, now.Add(agentPollPeriod), boot, true); contains(due, qgaInfo) {
		t.Errorf("guest-info answered garbage: asked again on the next run (%v)", due)
	}
	if due := agentDue(p2, now.Add(agentInfoPeriod), boot, true); !contains(due, qgaInfo) {
		t.Errorf("guest-info not asked again after its period (%v)", due)
	}
}

// The agent coming up clears an earlier failure (VDSM's _on_boot resets it once the
// capabilities are known), so what it can tell is asked at once, not a minute later.
func TestAgentUpClearsFailure(t *testing.T) {
	boot := time.Unix(1e9, 0)
	now := boot.Add(30 * time.Second)
	failed := agentPoller{connected: true, failed: now.Add(-10 * time.Second)}
	p, _, up := applyAgent(failed, nil, []agentAnswer{qgaAnswer(t, qgaInfo)}, now)
	if !up {
		t.Fatal("the agent is not reported up")
	}
	if due := agentDue(p, now, boot, true); !contains(due, qgaHostName) || !contains(due, qgaOSInfo) {
		t.Fatalf("just up after a failure: due %v, want its commands", due)
	}
}
