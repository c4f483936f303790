package main

// TestNetnsLane is the engine's host install flow against a real agent process that manages the
// networks of a namespace of its own, run by .ci/netns-lane.sh (go tool task test:netns), which
// sets HOSTAGENT_NETNS_LANE=1; `go test ./...` skips it. Two namespaces stand for two machines:
//
//	<prefix>-agent   lo, veth_0 10.77.0.2/24 (default route via 10.77.0.1), veth_1 with its peer
//	                 peer1 beside it; the agent runs here under `ip netns exec`, which also gives it
//	                 its own /sys, so its caps see these links and nothing of the machine's
//	<prefix>-engine  eng0 10.77.0.1/24, the other end of veth_0; the test's client dials from here
//
// The client reaches the agent only over the veth. Nothing touches the machine's own namespace;
// both namespaces are removed by name when the test ends (and by the lane's trap if it dies).
// This kernel has no dummy, bonding or 8021q drivers, so the issue's "VLAN network on a bond of
// two dummy NICs" step is TestNetnsLaneBonds (netns_bond_test.go), which .ci/netkernel-lane.sh
// runs in a QEMU guest on a kernel that has them.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/hostnet"
)

const (
	laneAgentAddr = "10.77.0.2"
	lanePort      = "54321"
	// answerWait bounds every wait for the agent; it detects a hang, it synchronises nothing.
	answerWait = time.Minute
)

type netLane struct {
	t        *testing.T
	bin      string
	agentNS  string
	engineNS string
	stateDir string
	pidDir   string
	agent    *exec.Cmd
	logs     *os.File
}

// newNetLane makes the two namespaces; the caller starts the agent. It skips unless run by the lane.
func newNetLane(t *testing.T) *netLane {
	if os.Getenv("HOSTAGENT_NETNS_LANE") != "1" {
		t.Skip("run by .ci/netns-lane.sh (go tool task test:netns): it needs root and makes network namespaces")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the network namespace lane needs root")
	}
	prefix := os.Getenv("HOSTAGENT_NETNS_PREFIX")
	if prefix == "" {
		prefix = fmt.Sprintf("hal%d", os.Getpid())
	}
	l := &netLane{t: t, bin: os.Getenv("HOSTAGENT_AGENT_BIN"), agentNS: prefix + "-agent", engineNS: prefix + "-engine",
		stateDir: t.TempDir(), pidDir: os.Getenv("HOSTAGENT_NETNS_PIDDIR")}
	if l.bin == "" {
		l.bin = filepath.Join(t.TempDir(), "agent")
		if out, err := exec.Command("go", "build", "-o", l.bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
	}
	if l.pidDir == "" {
		l.pidDir = t.TempDir()
	}
	l.namespaces()
	return l
}

func TestNetnsLane(t *testing.T) {
	l := newNetLane(t)
	l.start()

	// The host as the engine first finds it: a NIC carrying the address, no networks.
	c := l.dial()
	caps := laneCapsAs[laneCaps](l, c)
	if len(caps.Networks) != 0 || caps.LastClientIface != "veth_0" || caps.NICs["veth_0"] == nil || caps.NetConfigDirty != "False" {
		t.Fatalf("caps before install: %+v", caps)
	}

	// An install nobody confirms is undone: the NIC has its address, its default route and its
	// IPv6 again, which it had given up as the bridge's port.
	start := l.kernel()
	if c := l.links()["veth_0"].IPv6Conf; c["disable_ipv6"] != "0" {
		t.Fatalf("veth_0's IPv6 settings before install: %v", c)
	}
	_, err := c.Call("Host.setupNetworks", map[string]any{
		"networks": map[string]any{"ovirtmgmt": map[string]any{"nic": "veth_0", "bridged": "true", "STP": "no", "mtu": 1500,
			"ipaddr": laneAgentAddr, "netmask": "255.255.255.0", "gateway": "10.77.0.1", "defaultRoute": true}},
		"bondings": map[string]any{},
		"options":  map[string]any{"connectivityCheck": "true", "connectivityTimeout": 1},
	})
	if err == nil || !strings.Contains(err.Error(), "code 10:") {
		t.Fatalf("unconfirmed install: %v; the agent's log:\n%s", err, l.log())
	}
	if got := l.kernelLines(); got != sortLines(start) {
		t.Fatalf("after the install's rollback:\n%s\nbefore the install:\n%s", got, start)
	}

	// setupNetworks moves the address onto the ovirtmgmt bridge and waits for a client. The
	// confirmation goes out once the address is on the bridge: the agent handles network
	// messages one at a time, so it cannot overtake the change it confirms.
	onBridge := l.watchAddr("ovirtmgmt", laneAgentAddr)
	pending := l.send(c, "Host.setupNetworks", map[string]any{
		"networks": map[string]any{"ovirtmgmt": map[string]any{"nic": "veth_0", "bridged": "true", "STP": "no", "mtu": 1500,
			"ipaddr": laneAgentAddr, "netmask": "255.255.255.0", "gateway": "10.77.0.1", "defaultRoute": true}},
		"bondings": map[string]any{},
		"options":  map[string]any{"connectivityCheck": "true", "connectivityTimeout": 120},
	})
	l.wait(onBridge, "10.77.0.2 on ovirtmgmt")
	confirm := l.dial() // a new connection, over the bridge now
	if res, err := confirm.Call("Host.confirmConnectivity", nil); err != nil || string(res) != "true" {
		t.Fatalf("confirmConnectivity: %s %v", res, err)
	}
	res, err := c.Wait(pending)
	if err != nil || !strings.Contains(string(res), `"code":0`) {
		t.Fatalf("setupNetworks over the connection that sent it: %s %v", res, err)
	}
	caps = laneCapsAs[laneCaps](l, confirm)
	mgmt, ok := caps.Networks["ovirtmgmt"]
	if !ok || !mgmt.Bridged || mgmt.Addr != laneAgentAddr || caps.LastClientIface != "ovirtmgmt" ||
		caps.Bridges["ovirtmgmt"] == nil || caps.NetConfigDirty != "True" || strings.Join(mgmt.Ports, ",") != "veth_0" {
		t.Fatalf("caps after install: %+v", caps)
	}
	// The bridge port's IP stacks are off, as VDSM has them: not even a link-local address.
	l.ipv6Off("veth_0")
	l.statsDirty(confirm, "True")
	l.call(confirm, "Host.setSafeNetworkConfig", nil)
	l.statsDirty(confirm, "False")
	safe := l.kernel()
	t.Logf("the safe configuration in the kernel:\n%s", safe)
	if c := l.links()["veth_1"].IPv6Conf; c["disable_ipv6"] != "0" {
		t.Fatalf("veth_1's IPv6 settings before vmnet: %v", c)
	}

	// A change nobody confirms is undone, exactly, and answered with VDSM's connectivity error.
	vmnet := map[string]any{"networks": map[string]any{"vmnet": map[string]any{"nic": "veth_1", "bridged": "true",
		"ipaddr": "10.78.0.2", "netmask": "255.255.255.0"}}, "bondings": map[string]any{}}
	vmnet["options"] = map[string]any{"connectivityCheck": "true", "connectivityTimeout": 1}
	if _, err := confirm.Call("Host.setupNetworks", vmnet); err == nil || !strings.Contains(err.Error(), "code 10:") {
		t.Fatalf("unconfirmed setupNetworks: %v", err)
	}
	// In sorted lines: veth_1's IPv6, off while it was vmnet's port and on again, lists its
	// link-local route after the other links', which is no difference in the state.
	if got := l.kernelLines(); got != sortLines(safe) {
		t.Fatalf("after the rollback:\n%s\nbefore the change:\n%s", got, safe)
	}

	// Applied without a check and never saved: an agent killed now comes back to the safe
	// configuration.
	vmnet["options"] = map[string]any{"connectivityCheck": "false"}
	l.call(confirm, "Host.setupNetworks", vmnet)
	if got := l.kernel(); !strings.Contains(got, "vmnet") {
		t.Fatalf("vmnet not applied:\n%s", got)
	}
	l.ipv6Off("veth_1")
	c.Close()
	confirm.Close()
	l.stop(syscall.SIGKILL)
	l.start()
	c = l.dial()
	caps = laneCapsAs[laneCaps](l, c) // answered once the network actor's start, and its restore, is done
	if _, ok := caps.Networks["vmnet"]; ok || caps.Networks["ovirtmgmt"].Addr != laneAgentAddr || caps.NetConfigDirty != "False" {
		t.Fatalf("caps after the restart: %+v", caps)
	}
	if got := l.kernelLines(); got != sortLines(safe) {
		t.Fatalf("after the restart:\n%s\nthe safe configuration:\n%s", got, safe)
	}
	c.Close()
	l.stop(syscall.SIGTERM)
}

// ipv6Off fails the test unless dev has IPv6 disabled, with autoconfiguration off, and no IPv6
// address at all, link-local ones included (which the agent's reading leaves out).
func (l *netLane) ipv6Off(dev string) {
	l.t.Helper()
	if c := l.links()[dev].IPv6Conf; c["disable_ipv6"] != "1" || c["accept_ra"] != "0" || c["autoconf"] != "0" {
		l.t.Fatalf("%s's IPv6 settings: %v, want IPv6 disabled", dev, c)
	}
	out, err := exec.Command("ip", "-n", l.agentNS, "-6", "-o", "addr", "show", "dev", dev).CombinedOutput()
	if err != nil || len(out) != 0 {
		l.t.Fatalf("%s's IPv6 addresses: %v: %s", dev, err, out)
	}
}

func (l *netLane) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func (l *netLane) namespaces() {
	for _, ns := range []string{l.agentNS, l.engineNS} {
		_ = exec.Command("ip", "netns", "del", ns).Run() // a leftover of a killed run with the same prefix
		l.ip("netns", "add", ns)
		l.t.Cleanup(func() {
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				l.t.Errorf("ip netns del %s: %v: %s", ns, err, out)
			}
		})
		l.ip("-n", ns, "link", "set", "lo", "up")
	}
	a, e := l.agentNS, l.engineNS
	l.ip("-n", a, "link", "add", "veth_0", "type", "veth", "peer", "name", "eng0", "netns", e)
	l.ip("-n", a, "link", "add", "veth_1", "type", "veth", "peer", "name", "peer1")
	for _, dev := range []string{"veth_0", "veth_1", "peer1"} {
		l.ip("-n", a, "link", "set", dev, "up")
	}
	l.ip("-n", a, "addr", "add", laneAgentAddr+"/24", "dev", "veth_0")
	l.ip("-n", a, "route", "add", "default", "via", "10.77.0.1", "dev", "veth_0")
	l.ip("-n", e, "link", "set", "eng0", "up")
	l.ip("-n", e, "addr", "add", "10.77.0.1/24", "dev", "eng0")
}

// start runs the agent in the agent namespace and returns once it answers every verb.
func (l *netLane) start() {
	t := l.t
	t.Helper()
	logs, err := os.OpenFile(filepath.Join(l.stateDir, "agent.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	l.logs = logs
	cmd := exec.Command("ip", "netns", "exec", l.agentNS, l.bin, "serve", "--tls=false", "--listen", "[::]:"+lanePort,
		"--manage-networks", "--net-state-dir", filepath.Join(l.stateDir, "net"), "--log-format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l.agent = cmd
	pidFile := filepath.Join(l.pidDir, "agent.pid")
	os.WriteFile(pidFile, []byte(fmt.Sprint(cmd.Process.Pid)), 0o600)
	t.Cleanup(func() {
		if l.agent == cmd {
			l.stop(syscall.SIGKILL)
		}
	})
	ready := make(chan bool, 1)
	go func() {
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			fmt.Fprintln(logs, lines.Text())
			var m struct{ Message string }
			json.Unmarshal(lines.Bytes(), &m)
			// Logged once the agent answers every verb (before, all but pings answer 99).
			if m.Message == "agent ready" && ready != nil {
				ready <- true
				ready = nil
			}
		}
		if ready != nil {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("the agent exited before serving; its log:\n%s", l.log())
		}
	case <-time.After(answerWait):
		t.Fatalf("the agent is not serving; its log:\n%s", l.log())
	}
}

func (l *netLane) stop(sig syscall.Signal) {
	cmd := l.agent
	l.agent = nil
	cmd.Process.Signal(sig)
	cmd.Wait()
	os.Remove(filepath.Join(l.pidDir, "agent.pid"))
}

func (l *netLane) log() string {
	b, _ := os.ReadFile(filepath.Join(l.stateDir, "agent.log"))
	return string(b)
}

// dial connects from the engine namespace to the agent's IPv4 address.
func (l *netLane) dial() *client.Client { return l.dialTo(laneAgentAddr) }

// dialTo connects from the engine namespace to host. The socket is made by a goroutine that
// enters the namespace on a locked thread and ends without unlocking it, so the Go runtime
// discards that thread rather than let another goroutine run in the wrong namespace.
func (l *netLane) dialTo(host string) *client.Client {
	l.t.Helper()
	type dialed struct {
		c   *client.Client
		err error
	}
	ch := make(chan dialed, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.GetFromName(l.engineNS)
		if err != nil {
			ch <- dialed{err: err}
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			ch <- dialed{err: err}
			return
		}
		c, err := client.Dial(client.Options{Addr: net.JoinHostPort(host, lanePort), Timeout: answerWait})
		ch <- dialed{c, err}
	}()
	d := <-ch
	if d.err != nil {
		l.t.Fatalf("dial from %s: %v", l.engineNS, d.err)
	}
	return d.c
}

func (l *netLane) send(c *client.Client, method string, params any) <-chan *client.Response {
	l.t.Helper()
	ch, err := c.Send(json.RawMessage(`"`+client.UUID()+`"`), method, params)
	if err != nil {
		l.t.Fatalf("%s: %v", method, err)
	}
	return ch
}

func (l *netLane) call(c *client.Client, method string, params any) json.RawMessage {
	l.t.Helper()
	res, err := c.Call(method, params)
	if err != nil {
		l.t.Fatalf("%s: %v; the agent's log:\n%s", method, err, l.log())
	}
	return res
}

type laneCaps struct {
	Networks map[string]struct {
		Bridged bool     `json:"bridged"`
		Addr    string   `json:"addr"`
		Ports   []string `json:"ports"`
	} `json:"networks"`
	Bridges         map[string]any `json:"bridges"`
	NICs            map[string]any `json:"nics"`
	LastClientIface string         `json:"lastClientIface"`
	NetConfigDirty  string         `json:"netConfigDirty"`
}

// laneCapsAs is Host.getCapabilities read into the fields a lane test looks at.
func laneCapsAs[T any](l *netLane, c *client.Client) T {
	l.t.Helper()
	var caps T
	if err := json.Unmarshal(l.call(c, "Host.getCapabilities", nil), &caps); err != nil {
		l.t.Fatal(err)
	}
	return caps
}

func (l *netLane) statsDirty(c *client.Client, want string) {
	l.t.Helper()
	var st struct {
		NetConfigDirty string         `json:"netConfigDirty"`
		Network        map[string]any `json:"network"`
	}
	json.Unmarshal(l.call(c, "Host.getStats", nil), &st)
	if st.NetConfigDirty != want || st.Network["veth_0"] == nil {
		l.t.Fatalf("getStats: netConfigDirty %q (want %q), network %v", st.NetConfigDirty, want, st.Network)
	}
}

// kernel is the agent namespace's links, addresses and routes (IPv4 and IPv6) as iproute2 prints
// them, and the IPv6 settings of each link the agent changes, which iproute2 does not show.
func (l *netLane) kernel() string {
	l.t.Helper()
	var b strings.Builder
	for _, args := range [][]string{{"-o", "link"}, {"-br", "addr"}, {"route"}, {"-6", "route"}} {
		out, err := exec.Command("ip", append([]string{"-n", l.agentNS}, args...)...).CombinedOutput()
		if err != nil {
			l.t.Fatalf("ip %v: %v: %s", args, err, out)
		}
		b.Write(out)
	}
	h, err := hostnet.OpenNamespace(l.agentNS, nil)
	if err != nil {
		l.t.Fatal(err)
	}
	defer h.Close()
	cur, err := h.Read()
	if err != nil {
		l.t.Fatal(err)
	}
	for _, link := range cur.Links {
		fmt.Fprintf(&b, "%s ipv6 %v\n", link.Name, link.IPv6Conf)
	}
	return b.String()
}

// watchAddr reports when addr appears on dev in the agent namespace.
func (l *netLane) watchAddr(dev, addr string) <-chan struct{} {
	l.t.Helper()
	seen, stop, err := hostnet.WatchAddr(l.agentNS, dev, addr)
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(stop)
	return seen
}

func (l *netLane) wait(ch <-chan struct{}, what string) {
	l.t.Helper()
	select {
	case <-ch:
	case <-time.After(answerWait):
		l.t.Fatalf("no %s; the agent's log:\n%s", what, l.log())
	}
}
