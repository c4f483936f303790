package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/hostagent/hostagent/client"
)

const statusUsage = `usage: agent status [--host H] [--port P] [--insecure | --cert C --key K --ca A]
                    [--metrics HOST:PORT] [--interval D] [--count N]

A live view of the host, refreshed every --interval until Ctrl-C: its VMs (Host.getAllVmStats)
with status, CPU and memory, the host's CPU and memory (Host.getStats), and, with --metrics (the
address the agent was given with --metrics-listen), the agent's request rate and its 1100
(admission full) and deadline counts. Off a terminal, or with --count, it prints frames one after
the other instead of redrawing.
`

func status(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, statusUsage); fs.PrintDefaults() }
	var cf connFlags
	cf.register(fs, 10*time.Second)
	metricsAddr := fs.String("metrics", "", "the agent's metrics endpoint, HOST:PORT (its --metrics-listen)")
	interval := fs.Duration("interval", 2*time.Second, "time between refreshes")
	count := fs.Int("count", 0, "stop after this many frames (0: until Ctrl-C)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *interval <= 0 {
		fs.Usage()
		return 2
	}
	redraw := *count == 0 && isTerminal(stdout)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)
	tick := time.NewTicker(*interval)
	defer tick.Stop()

	w := &statusWatch{cf: cf, metrics: *metricsAddr, http: &http.Client{Timeout: cf.timeout}}
	defer w.close()
	var prev *statusFrame
	for n := 1; ; n++ {
		cur := w.frame()
		var b strings.Builder
		if redraw {
			b.WriteString("\x1b[H\x1b[2J") // home, clear: the frame replaces the last one
		} else if n > 1 {
			b.WriteString("\n")
		}
		render(&b, cf.addr(), *interval, prev, cur)
		io.WriteString(stdout, b.String())
		prev = cur
		if *count > 0 && n >= *count {
			if cur.err != nil {
				return 1
			}
			return 0
		}
		select {
		case <-tick.C:
		case <-stop:
			return 0
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// statusWatch holds the connection across frames, and dials again after the agent went away.
type statusWatch struct {
	cf      connFlags
	c       *client.Client
	metrics string
	http    *http.Client
}

func (w *statusWatch) close() {
	if w.c != nil {
		w.c.Close()
	}
}

// statusFrame is what one frame shows.
type statusFrame struct {
	at      time.Time
	vms     []map[string]any
	host    map[string]any
	metrics map[string]float64 // sums over labels, by metric name; nil without --metrics
	vmsBy   map[string]float64 // hostagent_vms by status
	err     error              // the agent could not be asked
	merr    error              // the metrics could not be read
}

func (w *statusWatch) frame() *statusFrame {
	s := &statusFrame{at: time.Now()}
	if w.c == nil {
		if w.c, s.err = w.cf.dial(); s.err != nil {
			w.c = nil
		}
	}
	if w.c != nil {
		if s.err = callInto(w.c, "Host.getAllVmStats", &s.vms); s.err == nil {
			s.err = callInto(w.c, "Host.getStats", &s.host)
		}
		if _, ok := s.err.(*client.Error); s.err != nil && !ok {
			w.c.Close() // a broken connection: dial again next frame
			w.c = nil
		}
	}
	if w.metrics != "" {
		s.metrics, s.vmsBy, s.merr = w.scrape()
	}
	return s
}

func callInto(c *client.Client, method string, v any) error {
	res, err := c.Call(method, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if err := json.Unmarshal(res, v); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

// scrape reads the Prometheus text the agent serves: each metric summed over its labels, and
// hostagent_vms by its status label. Only the plain "name{labels} value" lines matter here.
func (w *statusWatch) scrape() (map[string]float64, map[string]float64, error) {
	resp, err := w.http.Get("http://" + w.metrics + "/metrics")
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	sums, vms := map[string]float64{}, map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		name, labels, _ := strings.Cut(line[:i], "{")
		sums[name] += v
		if name == "hostagent_vms" {
			if _, st, ok := strings.Cut(labels, `status="`); ok {
				st, _, _ = strings.Cut(st, `"`)
				vms[st] += v
			}
		}
	}
	return sums, vms, sc.Err()
}

// render writes one frame. Rates are over the time between prev and cur.
func render(w io.Writer, addr string, every time.Duration, prev, cur *statusFrame) {
	fmt.Fprintf(w, "hostagent at %s   %s   every %s (Ctrl-C quits)\n", addr, cur.at.Format("15:04:05"), every)
	if cur.metrics != nil {
		m := cur.metrics
		rate := "-"
		if prev != nil && prev.metrics != nil {
			if dt := cur.at.Sub(prev.at).Seconds(); dt > 0 {
				rate = fmt.Sprintf("%.1f/s", (m["hostagent_requests_total"]-prev.metrics["hostagent_requests_total"])/dt)
			}
		}
		libvirt := "up"
		if m["hostagent_libvirt_connected"] == 0 {
			libvirt = "DOWN"
		}
		fmt.Fprintf(w, "agent   requests %s (%.0f in all), in flight %.0f, connections %.0f; 1100 (admission full) %.0f, deadline expired %.0f, stuck calls %.0f; libvirt %s\n",
			rate, m["hostagent_requests_total"], m["hostagent_requests_in_flight"], m["hostagent_connections"],
			m["hostagent_rejected_total"], m["hostagent_deadline_expired_total"], m["hostagent_stuck_calls_total"], libvirt)
	} else if cur.merr != nil {
		fmt.Fprintf(w, "agent   metrics: %v\n", cur.merr)
	} else {
		fmt.Fprintf(w, "agent   request rate, 1100 and deadline counts: give --metrics HOST:PORT (the agent's --metrics-listen)\n")
	}
	if cur.err != nil {
		fmt.Fprintf(w, "ERROR   %v\n", cur.err)
		return
	}
	h := cur.host
	fmt.Fprintf(w, "host    CPU user %s%% sys %s%% idle %s%%, load %s; memory used %s%%, free %v MiB; VMs %v (%v active)\n",
		str(h["cpuUser"]), str(h["cpuSys"]), str(h["cpuIdle"]), str(h["cpuLoad"]), str(h["memUsed"]), h["memFree"], h["vmCount"], h["vmActive"])

	vms := append([]map[string]any(nil), cur.vms...)
	sort.Slice(vms, func(i, j int) bool { return str(vms[i]["vmName"]) < str(vms[j]["vmName"]) })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nNAME\tVM ID\tSTATUS\tCPU%\tVCPUS\tMEMORY MiB\tMEM USED%\tUP")
	for _, vm := range vms {
		mem := "-"
		if bi, ok := vm["balloonInfo"].(map[string]any); ok {
			if kib, err := strconv.ParseFloat(str(bi["balloon_cur"]), 64); err == nil {
				mem = strconv.FormatFloat(kib/1024, 'f', 0, 64)
			}
		}
		status := str(vm["status"])
		if vm["monitorResponse"] == "-1" {
			status += " (not responding)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", orDash(str(vm["vmName"])), str(vm["vmId"]), status,
			cpuPercent(vm), orDash(str(vm["vcpuCount"])), mem, orDash(str(vm["memUsage"])), uptime(str(vm["elapsedTime"]), status))
	}
	tw.Flush()
	if len(vms) == 0 {
		fmt.Fprintln(w, "(no VMs)")
	}
}

// str is a JSON value as VDSM's string-typed numbers print it.
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cpuPercent is the VM's CPU over the last sample interval: VDSM splits it into cpuUser and
// cpuSys (percent of one host CPU, over the VM's vCPUs).
func cpuPercent(vm map[string]any) string {
	u, err1 := strconv.ParseFloat(str(vm["cpuUser"]), 64)
	s, err2 := strconv.ParseFloat(str(vm["cpuSys"]), 64)
	if err1 != nil || err2 != nil {
		return "-"
	}
	return strconv.FormatFloat(u+s, 'f', 1, 64)
}

func uptime(elapsed, status string) string {
	secs, err := strconv.ParseInt(elapsed, 10, 64)
	if err != nil || status == "Down" {
		return "-"
	}
	d := time.Duration(secs) * time.Second
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	default:
		return d.String()
	}
}
