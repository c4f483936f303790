package main

// Memory benchmarks (issue 5, "Performance"): what an idle connection, an idle VM actor and a
// loaded agent cost. They measure an agent in a process of its own, so the clients' memory is
// not counted:
//
//	go test -run '^$' -bench 'Memory|RSS' -benchtime 1x ./cmd/agent/
//
// BenchmarkIdleConnMemory and BenchmarkIdleVMActorMemory re-execute this test binary as a
// "memory agent" (see memAgentMain): the same agent.Start that `agent serve` runs, driven over
// stdin so it can be told to collect garbage, sample, and write heap profiles. Each reports the
// difference between a measurement before and one after N connections or VMs, divided by N.
// BenchmarkRSS1000VMs100Conns runs the real `agent serve` binary and reads what an admin sees:
// VmRSS from /proc and the Go runtime's numbers from the --metrics-listen endpoint.
//
// HOSTAGENT_MEM_PROFILE_DIR=dir also writes heap profiles of the memory agent before and after
// (with a fine MemProfileRate); compare them with
//
//	go tool pprof -sample_index=inuse_space -top -diff_base dir/conn-before.pb.gz dir/conn-after.pb.gz

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/agent"
	"github.com/hostagent/hostagent/client"
)

// memAgentEnv makes this test binary a memory agent instead of running tests.
const memAgentEnv = "HOSTAGENT_MEMAGENT"

func init() {
	if os.Getenv(memAgentEnv) != "" {
		os.Exit(memAgentMain())
	}
}

// memSnapshot is one measurement of the memory agent, taken after two forced collections.
type memSnapshot struct {
	RSS        int64  // VmRSS, bytes, after the collections (what ps shows)
	RSSFreed   int64  // VmRSS after debug.FreeOSMemory: the floor, free spans given back
	HeapInuse  uint64 // spans holding live objects (after GC), including their fragmentation
	HeapAlloc  uint64 // live objects
	StackInuse uint64 // goroutine stacks
	Runtime    uint64 // HeapInuse + StackInuse + span, mcache, GC, profiling and other runtime metadata
	Goroutines int
}

func readRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

func snapshot() memSnapshot {
	runtime.GC()
	runtime.GC() // the second one frees what the first one's finalizers released
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := memSnapshot{RSS: readRSS(os.Getpid()), HeapInuse: ms.HeapInuse, HeapAlloc: ms.HeapAlloc,
		StackInuse: ms.StackInuse, Goroutines: runtime.NumGoroutine(),
		Runtime: ms.HeapInuse + ms.StackInuse + ms.MSpanInuse + ms.MCacheInuse + ms.GCSys + ms.OtherSys + ms.BuckHashSys}
	debug.FreeOSMemory()
	s.RSSFreed = readRSS(os.Getpid())
	return s
}

// memAgentMain runs an agent as `agent serve` would (production defaults, plain TCP, the
// embedded test-driver host) and obeys one command per stdin line: "measure" (answers a
// memSnapshot as JSON), "sample" (takes a VM stats sample), "profile PATH" (heap profile),
// "quit". Every answer is one stdout line.
func memAgentMain() int {
	if os.Getenv("HOSTAGENT_MEM_PROFILE_DIR") != "" {
		runtime.MemProfileRate = 4096
	}
	a, err := agent.Start(agent.Config{Listen: "127.0.0.1:0", Workers: 8, Queue: 80, Deadline: 60 * time.Second,
		SampleInterval: time.Hour, StuckAfter: 15 * time.Second, Log: zerolog.Nop()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "memory agent:", err)
		return 1
	}
	<-a.Ready()
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
	}
	say("READY %s", a.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		switch cmd {
		case "measure":
			b, _ := json.Marshal(snapshot())
			say("%s", b)
		case "sample":
			a.SampleNow()
			say("OK")
		case "profile":
			runtime.GC()
			f, err := os.Create(arg)
			if err == nil {
				err = pprof.WriteHeapProfile(f)
				f.Close()
			}
			say("OK %v", err)
		case "quit":
			a.Shutdown(10 * time.Second)
			return 0
		}
	}
	a.Shutdown(10 * time.Second)
	return 0
}

// memAgent is the parent's handle on a memory agent process.
type memAgent struct {
	b    *testing.B
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	addr string
}

func startMemAgent(b *testing.B) *memAgent {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), memAgentEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	m := &memAgent{b: b, cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	m.out.Buffer(make([]byte, 0, 1<<16), 1<<20)
	b.Cleanup(m.stop)
	line := m.line()
	addr, ok := strings.CutPrefix(line, "READY ")
	if !ok {
		b.Fatalf("memory agent: %q", line)
	}
	m.addr = addr
	return m
}

func (m *memAgent) line() string {
	m.b.Helper()
	if !m.out.Scan() {
		m.b.Fatalf("memory agent ended: %v", m.out.Err())
	}
	return m.out.Text()
}

func (m *memAgent) do(cmd string) string {
	m.b.Helper()
	if _, err := io.WriteString(m.in, cmd+"\n"); err != nil {
		m.b.Fatal(err)
	}
	return m.line()
}

func (m *memAgent) measure() memSnapshot {
	m.b.Helper()
	var s memSnapshot
	if err := json.Unmarshal([]byte(m.do("measure")), &s); err != nil {
		m.b.Fatal(err)
	}
	return s
}

// profile writes a heap profile to HOSTAGENT_MEM_PROFILE_DIR/name.pb.gz when that is set.
func (m *memAgent) profile(name string) {
	m.b.Helper()
	dir := os.Getenv("HOSTAGENT_MEM_PROFILE_DIR")
	if dir == "" {
		return
	}
	path := filepath.Join(dir, name+".pb.gz")
	if r := m.do("profile " + path); r != "OK <nil>" {
		m.b.Fatalf("profile: %s", r)
	}
	m.b.Logf("heap profile: %s", path)
}

func (m *memAgent) stop() {
	io.WriteString(m.in, "quit\n")
	m.in.Close()
	done := make(chan struct{})
	go func() { m.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		m.cmd.Process.Kill()
		<-done
	}
}

// reportDelta reports after-before per unit.
func reportDelta(b *testing.B, before, after memSnapshot, n int, unit string) {
	per := func(a, b int64) float64 { return float64(a-b) / float64(n) }
	b.ReportMetric(per(int64(after.Runtime), int64(before.Runtime)), "runtime-B/"+unit)
	b.ReportMetric(per(int64(after.HeapInuse), int64(before.HeapInuse)), "heapinuse-B/"+unit)
	b.ReportMetric(per(int64(after.HeapAlloc), int64(before.HeapAlloc)), "live-B/"+unit)
	b.ReportMetric(per(int64(after.StackInuse), int64(before.StackInuse)), "stack-B/"+unit)
	b.ReportMetric(per(after.RSS, before.RSS), "rss-B/"+unit)
	b.ReportMetric(per(after.RSSFreed, before.RSSFreed), "rssfreed-B/"+unit)
	b.ReportMetric(per(int64(after.Goroutines), int64(before.Goroutines)), "goroutines/"+unit)
	b.ReportMetric(float64(after.RSS)/(1<<20), "rss-MiB")
	b.ReportMetric(0, "ns/op") // a duration means nothing here
	b.Logf("before %+v", before)
	b.Logf("after  %+v", after)
}

// engineConn is one connection as the engine makes it: CONNECT (with the given heart-beats),
// SUBSCRIBE to a fresh reply queue, and requests with reply-to set to it.
type engineConn struct {
	sc      *stomp.Conn
	sub     *stomp.Subscription
	replyTo string
}

func dialEngine(addr string, send, recv time.Duration) (*engineConn, error) {
	nc, err := net.DialTimeout("tcp", addr, 20*time.Second)
	if err != nil {
		return nil, err
	}
	sc, err := stomp.Connect(nc, stomp.ConnOpt.AcceptVersion(stomp.V12), stomp.ConnOpt.HeartBeat(send, recv),
		stomp.ConnOpt.Logger(quietLog{}))
	if err != nil {
		nc.Close()
		return nil, err
	}
	e := &engineConn{sc: sc, replyTo: client.UUID()}
	if e.sub, err = sc.Subscribe(e.replyTo, stomp.AckAuto, stomp.SubscribeOpt.Id(client.UUID())); err != nil {
		sc.MustDisconnect()
		return nil, err
	}
	return e, nil
}

// call sends one request and waits for its answer; the reply queue is private, so the next
// MESSAGE is it.
func (e *engineConn) call(method string) ([]byte, error) {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","method":%q,"params":{},"id":%q}`, method, client.UUID())
	if err := e.sc.Send("jms.topic.vdsm_requests", "application/json", []byte(body),
		stomp.SendOpt.Header("reply-to", e.replyTo)); err != nil {
		return nil, err
	}
	select {
	case m, ok := <-e.sub.C:
		if !ok {
			return nil, fmt.Errorf("subscription closed")
		}
		if m.Err != nil {
			return nil, m.Err
		}
		return m.Body, nil
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("%s: no answer in 60 s", method)
	}
}

func (e *engineConn) close() { e.sc.Disconnect() }

type quietLog struct{}

func (quietLog) Debugf(string, ...interface{})   {}
func (quietLog) Infof(string, ...interface{})    {}
func (quietLog) Warningf(string, ...interface{}) {}
func (quietLog) Errorf(string, ...interface{})   {}
func (quietLog) Debug(string)                    {}
func (quietLog) Info(string)                     {}
func (quietLog) Warning(string)                  {}
func (quietLog) Error(string)                    {}

// openConns opens n engine-like connections, 50 at a time, each answering one Host.ping2 so its
// buffers are as warm as in real life.
func openConns(b *testing.B, addr string, n int, send, recv time.Duration) []*engineConn {
	b.Helper()
	conns := make([]*engineConn, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			e, err := dialEngine(addr, send, recv)
			if err == nil {
				var res []byte
				if res, err = e.call("Host.ping2"); err == nil && !strings.Contains(string(res), `"result":true`) {
					err = fmt.Errorf("ping2: %s", res)
				}
			}
			conns[i] = e
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() {
		for _, e := range conns {
			if e != nil {
				e.close()
			}
		}
	})
	return conns
}

// An idle STOMP connection, connected and subscribed to its reply queue as the engine does, after
// one Host.ping2. Target: under 64 KiB (runtime-B/conn; rss-B/conn is what an admin sees).
// "hb=0,0" is vdsm-client's CONNECT; "hb=10000,8000" the engine's, which adds the heart-beat
// ticker and read deadlines.
func BenchmarkIdleConnMemory(b *testing.B) {
	const n = 1000
	for _, hb := range []struct{ send, recv time.Duration }{{0, 0}, {10 * time.Second, 8 * time.Second}} {
		b.Run(fmt.Sprintf("hb=%d,%d", hb.send.Milliseconds(), hb.recv.Milliseconds()), func(b *testing.B) {
			for range b.N {
				m := startMemAgent(b)
				// One connection first, so what the first connection ever costs (pools, the
				// dispatcher's goroutines, the router's first request) is in the baseline.
				warm := openConns(b, m.addr, 1, hb.send, hb.recv)
				before := m.measure()
				m.profile("conn-before")
				conns := openConns(b, m.addr, n, hb.send, hb.recv)
				after := m.measure()
				m.profile("conn-after")
				reportDelta(b, before, after, n, "conn")
				_ = warm
				_ = conns
			}
		})
	}
}

// vmXML is the test-driver domain of testdata/domains/minimal.xml with its own name and uuid,
// and a <description> of pad bytes when pad > 0: the minimal domain is 207 bytes, an engine's is
// several KiB (devices, oVirt metadata), and the agent keeps the XML.
func vmXML(b testing.TB, name, uuid string, pad int) string {
	x, err := os.ReadFile("../../testdata/domains/minimal.xml")
	if err != nil {
		b.Fatal(err)
	}
	s := strings.Replace(string(x), "<name>minimal</name>", "<name>"+name+"</name>", 1)
	u := "<uuid>" + uuid + "</uuid>"
	if pad > 0 {
		u += "\n  <description>" + strings.Repeat("x", pad) + "</description>"
	}
	return strings.Replace(s, "<uuid>a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d</uuid>", u, 1)
}

func memVMID(i int) string { return fmt.Sprintf("%08d-0000-4000-8000-00000000beef", i) }

// createVMs creates n VMs through VM.create, at most 50 in flight (within the default admission
// of 8 workers + 80 queued), and waits until none is WaitForLaunch any more: every VM actor has
// defined and started its domain and is idle.
func createVMs(b *testing.B, c *client.Client, n, pad int) {
	b.Helper()
	var chans []<-chan *client.Response
	wait := func() {
		for _, ch := range chans {
			if _, err := c.Wait(ch); err != nil {
				b.Fatal(err)
			}
		}
		chans = chans[:0]
	}
	for i := 0; i < n; i++ {
		id := memVMID(i)
		params := map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": vmXML(b, "mem"+strconv.Itoa(i), id, pad)}}
		ch, err := c.Send(json.RawMessage(strconv.Itoa(i)), "VM.create", params)
		if err != nil {
			b.Fatal(err)
		}
		if chans = append(chans, ch); len(chans) == 50 {
			wait()
		}
	}
	wait()
	for {
		res, err := c.Call("Host.getVMList", nil)
		if err != nil {
			b.Fatal(err)
		}
		var vms []struct{ VMID, Status string }
		if err := json.Unmarshal(res, &vms); err != nil {
			b.Fatal(err)
		}
		ours, launching := 0, 0
		for _, v := range vms {
			if strings.HasSuffix(v.VMID, "-00000000beef") {
				ours++
				if v.Status == "WaitForLaunch" {
					launching++
				}
			}
		}
		if ours == n && launching == 0 {
			return
		}
	}
}

// An idle VM actor: 1000 VMs created through VM.create on the test driver, started, sampled
// twice (so the read model holds two samples per VM, as after 30 s in production), idle. Target:
// under 16 KiB. runtime-B/vm is the Go side (VM actors, registry read model, protoactor, the
// handle index); rss-B/vm adds what libvirt's test driver keeps per domain in C, which a real
// host keeps in libvirtd instead.
func BenchmarkIdleVMActorMemory(b *testing.B) {
	const n = 1000
	for _, pad := range []int{0, 8 << 10} {
		b.Run(fmt.Sprintf("xmlpad=%d", pad), func(b *testing.B) {
			for range b.N {
				m := startMemAgent(b)
				c, err := client.Dial(client.Options{Addr: m.addr, Timeout: 60 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { c.Close() })
				if _, err := c.Call("Host.getAllVmStats", nil); err != nil {
					b.Fatal(err)
				}
				m.do("sample")
				m.do("sample")
				before := m.measure()
				m.profile(fmt.Sprintf("vm%d-before", pad))
				createVMs(b, c, n, pad)
				m.do("sample")
				m.do("sample")
				if _, err := c.Call("Host.getAllVmStats", nil); err != nil {
					b.Fatal(err)
				}
				after := m.measure()
				m.profile(fmt.Sprintf("vm%d-after", pad))
				reportDelta(b, before, after, n, "vm")
			}
		})
	}
}

// 1000 VMs and 100 engine-like connections, each of which has asked Host.getAllVmStats once.
// Target: RSS under 200 MiB. "binary" runs the real `agent serve` (production defaults, plain
// TCP) and forces no collection: this is what ps shows. "memagent" is the same load on the memory
// agent, measured after forced collections, with heap profiles when asked for.
func BenchmarkRSS1000VMs100Conns(b *testing.B) {
	b.Run("binary", func(b *testing.B) {
		bin := filepath.Join(b.TempDir(), "agent")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			b.Fatalf("build: %v\n%s", err, out)
		}
		for range b.N {
			cmd := exec.Command(bin, "serve", "--tls=false", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
				"--log-format", "json", "--sample-interval", "2s")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			lines := bufio.NewScanner(stderr)
			var addr, maddr string
			for (addr == "" || maddr == "") && lines.Scan() {
				var l struct{ Message, Listen, Metrics string }
				if json.Unmarshal(lines.Bytes(), &l) == nil {
					switch l.Message {
					case "agent serving":
						addr = l.Listen
					case "metrics endpoint serving":
						maddr = l.Metrics
					}
				}
			}
			if addr == "" || maddr == "" {
				b.Fatal("no 'agent serving' or 'metrics endpoint serving' line")
			}
			go func() {
				for lines.Scan() {
				}
			}()
			startRSS := readStatus(cmd.Process.Pid, "VmRSS:")
			size := loadVMsAndConns(b, addr, func(since time.Time) { waitSamples(b, maddr, since, 2) })
			rss := readStatus(cmd.Process.Pid, "VmRSS:")
			mt := scrape(b, maddr)
			b.ReportMetric(float64(rss)/(1<<20), "rss-MiB")
			b.ReportMetric(float64(readStatus(cmd.Process.Pid, "VmHWM:"))/(1<<20), "rsspeak-MiB")
			b.ReportMetric(float64(startRSS)/(1<<20), "rss-at-start-MiB")
			b.ReportMetric(mt["go_memstats_heap_inuse_bytes"]/(1<<20), "heapinuse-MiB")
			b.ReportMetric(mt["go_memstats_stack_inuse_bytes"]/(1<<20), "stack-MiB")
			b.ReportMetric(mt["go_memstats_sys_bytes"]/(1<<20), "gosys-MiB")
			b.ReportMetric(mt["go_goroutines"], "goroutines")
			b.ReportMetric(float64(size)/(1<<10), "getAllVmStats-KiB")
			b.ReportMetric(0, "ns/op")
		}
	})
	b.Run("memagent", func(b *testing.B) {
		for range b.N {
			m := startMemAgent(b)
			before := m.measure()
			m.profile("rss-before")
			loadVMsAndConns(b, m.addr, func(time.Time) { m.do("sample"); m.do("sample") })
			after := m.measure()
			m.profile("rss-after")
			b.ReportMetric(float64(after.RSS)/(1<<20), "rss-MiB")
			b.ReportMetric(float64(after.RSSFreed)/(1<<20), "rssfreed-MiB")
			b.ReportMetric(float64(before.RSS)/(1<<20), "rss-at-start-MiB")
			b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heapinuse-MiB")
			b.ReportMetric(float64(after.HeapAlloc)/(1<<20), "live-MiB")
			b.ReportMetric(float64(after.StackInuse)/(1<<20), "stack-MiB")
			b.ReportMetric(float64(after.Runtime)/(1<<20), "runtime-MiB")
			b.ReportMetric(float64(after.Goroutines), "goroutines")
			b.ReportMetric(0, "ns/op")
		}
	})
}

// loadVMsAndConns creates 1000 VMs, lets sample (told when the VMs were all up) take two stats
// samples, opens 100 engine-like connections and has each ask Host.getAllVmStats once. It
// returns the size of that answer.
func loadVMsAndConns(b *testing.B, addr string, sample func(since time.Time)) int {
	b.Helper()
	c, err := client.Dial(client.Options{Addr: addr, Timeout: 60 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	for {
		// Recovery of the embedded host's VMs takes a moment; until then the answer is 99.
		_, err := c.Call("Host.ping2", nil)
		if e, ok := err.(*client.Error); !ok || e.Code != 99 {
			break
		}
	}
	createVMs(b, c, 1000, 0)
	c.Close()
	sample(time.Now())
	conns := openConns(b, addr, 100, 10*time.Second, 8*time.Second)
	// Eight at a time: all hundred at once would be more than admission takes (8 workers + 80
	// queued), and the rest would be answered 1100.
	sizes := make([]int, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, e := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := e.call("Host.getAllVmStats")
			if err == nil && !strings.Contains(string(res), `"result":[`) {
				err = fmt.Errorf("getAllVmStats: %.300s", res)
			}
			sizes[i], errs[i] = len(res), err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return sizes[0]
}

func readStatus(pid int, key string) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == key {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

// scrape reads the unlabelled samples of the metrics endpoint.
func scrape(b *testing.B, addr string) map[string]float64 {
	b.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				m[f[0]] = v
			}
		}
	}
	return m
}

// waitSamples waits until the agent has taken k VM stats samples after since, as its
// hostagent_vm_sample_age_seconds gauge tells.
func waitSamples(b *testing.B, maddr string, since time.Time, k int) {
	b.Helper()
	var last time.Time
	deadline := time.Now().Add(2 * time.Minute)
	for seen := 0; seen < k; {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d samples", seen, k)
		}
		now := time.Now()
		age := scrape(b, maddr)["hostagent_vm_sample_age_seconds"]
		at := now.Add(-time.Duration(age * float64(time.Second))).Truncate(10 * time.Millisecond)
		if age >= 0 && at.After(since) && at.Sub(last) > 500*time.Millisecond {
			last = at
			seen++
		}
		time.Sleep(100 * time.Millisecond) // polling a gauge: nothing can tell us sooner
	}
}
