package host

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// VMCounts are the VM counters of HostStats, counted by the VMs' internal status: Active is
// "Up", Incoming "Migration Destination", Outgoing "Migration Source", Migrating both.
type VMCounts struct{ Total, Active, Migrating, Incoming, Outgoing int }

// monitoredPaths are the directories whose free space VDSM reports: where guests' temporary
// files, logs and run-time state go. /run/vdsm/ keeps VDSM's trailing slash because the key is
// compared as a string by clients.
var monitoredPaths = []string{"/tmp", "/var/log", "/run/vdsm/"}

// Sampler takes host samples and turns the latest two into HostStats. It keeps no more than two
// samples; the caller decides the interval (VDSM samples every 15 s). It is safe for concurrent use.
type Sampler struct {
	root  fsRoot
	start time.Time

	mu         sync.Mutex
	prev, last *hostSample
}

// NewSampler samples the host under root; start is when the agent started, for elapsedTime.
func NewSampler(root string, start time.Time) *Sampler {
	return &Sampler{root: fsRoot(root), start: start}
}

type hostSample struct {
	at     time.Time
	stat   procStat
	self   procCPU
	selfOK bool
	uptime float64 // seconds since boot
	mem    memInfo
	load   string
	pools  []hugepagePool
	thp    string
	nodes  []numaNode
	disks  map[string]string // path -> free MiB
}

// Sample reads the host once, at now. /proc/stat and /proc/meminfo are required; without them
// the sample is dropped and the previous ones stay. Every other source is best effort: a missing
// file leaves its part of the stats empty rather than losing the sample.
func (s *Sampler) Sample(now time.Time) error {
	hs, err := s.take(now)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.prev, s.last = s.last, hs
	s.mu.Unlock()
	return nil
}

func (s *Sampler) take(now time.Time) (*hostSample, error) {
	r := s.root
	hs := &hostSample{at: now}
	var err1, err2 error
	hs.stat, err1 = readProcStat(r)
	hs.mem, err2 = readMemInfo(r)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("host sample: %w", err)
	}
	hs.self, err1 = readSelfStat(r)
	hs.selfOK = err1 == nil
	if b, err := r.read("/proc/uptime"); err == nil {
		hs.uptime, _ = parseUptime(b)
	}
	hs.load = "0.0"
	if b, err := r.read("/proc/loadavg"); err == nil {
		if l, err := parseLoadAvg(b); err == nil {
			hs.load = l
		}
	}
	hs.pools = readHugepagePools(r)
	hs.thp = readTHPState(r)
	hs.nodes, _ = readNUMANodes(r)
	hs.disks = map[string]string{}
	for _, p := range monitoredPaths {
		var st syscall.Statfs_t
		if err := syscall.Statfs(r.path(p), &st); err == nil {
			hs.disks[p] = strconv.FormatUint(st.Bavail*uint64(st.Bsize)/(1<<20), 10)
		}
	}
	return hs, nil
}

// Stats is HostStats from the two latest samples (the network totals are read now); with only
// one, rates run from boot (for the host) and from process start (for the agent). vms are the VM counters; now stamps dateTime and
// elapsedTime.
func (s *Sampler) Stats(vms VMCounts, now time.Time) vdsm.HostStats {
	s.mu.Lock()
	prev, last := s.prev, s.last
	s.mu.Unlock()

	st := vdsm.HostStats{
		CPUUser: pct(0), CPUSys: pct(0), CPUIdle: pct(100), CPULoad: "0.0",
		CPUUserVdsmd: pct(0), CPUSysVdsmd: pct(0),
		CPUStatistics:   map[string]vdsm.CPUCoreStats{},
		MemUsed:         "0",
		AnonHugePages:   "0",
		Hugepages:       map[string]vdsm.HugepageState{},
		NUMANodeMemFree: map[string]vdsm.NUMANodeMemoryStats{},
		THPState:        "never",
		ElapsedTime:     strconv.FormatInt(int64(max(now.Sub(s.start), 0)/time.Second), 10),
		DateTime:        now.UTC().Format("2006-01-02T15:04:05") + " GMT",
		Network:         map[string]vdsm.InterfaceStats{},
		RxDropped:       "0",
		TxDropped:       "0",
		DiskStats:       map[string]vdsm.PathStats{},
		StorageDomains:  map[string]any{},
		MultipathHealth: map[string]any{},

		VMCount:              vms.Total,
		VMActive:             vms.Active,
		VMMigrating:          vms.Migrating,
		IncomingVMMigrations: vms.Incoming,
		OutgoingVMMigrations: vms.Outgoing,

		// There is no MOM on this host to ask about KSM; these are VDSM's values for that case.
		MOMStatus:           "disabled",
		KSMMergeAcrossNodes: true,

		NetConfigDirty: "False",
		V2VJobs:        map[string]any{},
	}
	netStats(&st, s.root, now)
	if last == nil {
		return st
	}
	cpuStats(&st, prev, last)
	memStats(&st, last)
	st.CPULoad = last.load
	st.THPState = last.thp
	if last.stat.BootTime > 0 {
		st.BootTime = strconv.FormatInt(last.stat.BootTime, 10)
	}
	for p, free := range last.disks {
		st.DiskStats[p] = vdsm.PathStats{Free: free}
	}
	return st
}

// pct formats a percentage as VDSM does ('%.2f').
func pct(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// shares splits a tick delta into user, system and idle percentages of the time that passed.
// iowait and steal count as idle: the CPU was free for this host's work.
func shares(d cpuTimes) (user, sys, idle float64) {
	tot := d.total()
	if tot == 0 {
		return 0, 0, 100
	}
	u, s := d.busy()
	user = float64(u) * 100 / float64(tot)
	sys = float64(s) * 100 / float64(tot)
	return user, sys, math.Max(0, 100-user-sys)
}

func cpuStats(st *vdsm.HostStats, prev, last *hostSample) {
	// Rates are shares of the ticks all CPUs accounted between the samples, so they need no
	// clock and stay right when a CPU goes offline in between.
	total := last.stat.Total
	if prev != nil {
		total = total.minus(prev.stat.Total)
	}
	u, s, i := shares(total)
	st.CPUUser, st.CPUSys, st.CPUIdle = pct(u), pct(s), pct(i)

	nodeOf := nodeOfCPU(last.nodes)
	for id, t := range last.stat.PerCPU {
		if prev != nil {
			pt, ok := prev.stat.PerCPU[id]
			if !ok {
				continue // came online between the samples
			}
			t = t.minus(pt)
		}
		u, s, i := shares(t)
		st.CPUStatistics[strconv.Itoa(id)] = vdsm.CPUCoreStats{NodeIndex: nodeOf[id], CPUUser: pct(u), CPUSys: pct(s), CPUIdle: pct(i)}
	}

	// The agent's own use, as a percentage of one CPU.
	if !last.selfOK {
		return
	}
	du, ds := last.self.UTime, last.self.STime
	secs := last.uptime - float64(last.self.StartTime)/userHZ
	if prev != nil && prev.selfOK {
		du, ds = sub(du, prev.self.UTime), sub(ds, prev.self.STime)
		secs = last.at.Sub(prev.at).Seconds()
	}
	if secs > 0 {
		st.CPUUserVdsmd = pct(float64(du) / userHZ / secs * 100)
		st.CPUSysVdsmd = pct(float64(ds) / userHZ / secs * 100)
	}
}

func memStats(st *vdsm.HostStats, last *hostSample) {
	m := last.mem
	if total := m["MemTotal"]; total > 0 {
		freeOrCached := m["MemFree"] + m["Cached"] + m["Buffers"]
		st.MemUsed = strconv.Itoa(100 - int(100*float64(freeOrCached)/float64(total)))
	}
	st.MemFree = int64((m["MemFree"] + m["Cached"] + m["Buffers"] + m["SReclaimable"]) / 1024)
	st.SwapTotal = int64(m["SwapTotal"] / 1024)
	st.SwapFree = int64(m["SwapFree"] / 1024)
	st.AnonHugePages = strconv.FormatUint(m["AnonHugePages"]/1024, 10)

	for _, p := range last.pools {
		st.Hugepages[strconv.FormatUint(p.SizeKiB, 10)] = vdsm.HugepageState{
			FreeHugepages: p.Free, NrHugepages: p.Nr, NrHugepagesMempolicy: p.NrMempolicy,
			NrOvercommitHugepages: p.Overcommit, ResvHugepages: p.Resv, SurplusHugepages: p.Surplus,
			// The agent reserves no huge pages for itself, so VMs may take every free one.
			VMFreeHugepages: p.Free,
		}
	}

	base := basePageKiB()
	nodes := last.nodes
	if len(nodes) == 0 {
		// Without NUMA the whole host is node 0.
		one := numaNode{MemTotalKiB: m["MemTotal"], MemFreeKiB: m["MemFree"], Huge: map[uint64]nodeHugepages{}}
		for _, p := range last.pools {
			one.Huge[p.SizeKiB] = nodeHugepages{Total: p.Nr, Free: p.Free}
		}
		nodes = []numaNode{one}
	}
	for _, n := range nodes {
		percent := 100 // a node without memory is all used, as VDSM reports it
		if n.MemTotalKiB > 0 {
			percent = 100 - int(100*n.MemFreeKiB/n.MemTotalKiB)
		}
		hp := map[string]vdsm.NUMAHugepageStats{}
		if base > 0 {
			hp[strconv.FormatUint(base, 10)] = vdsm.NUMAHugepageStats{FreePages: int64(n.MemFreeKiB / base)}
		}
		for size, h := range n.Huge {
			hp[strconv.FormatUint(size, 10)] = vdsm.NUMAHugepageStats{FreePages: h.Free}
		}
		st.NUMANodeMemFree[strconv.Itoa(n.ID)] = vdsm.NUMANodeMemoryStats{
			MemFree:    strconv.FormatUint(n.MemFreeKiB/1024, 10),
			MemPercent: percent,
			Hugepages:  hp,
		}
	}
}

// netStats reports every interface's totals, read now rather than from the last sample, as
// VDSM's netstats.report() reads them at each call: a bridge setupNetworks just made is there
// at once. The engine computes rates itself from the totals of two calls and their sampleTime,
// which is why VDSM stopped sending rates.
func netStats(st *vdsm.HostStats, r fsRoot, now time.Time) {
	at := float64(now.UnixNano()) / 1e9
	vlans := readVLANConfig(r)
	var rxDrop, txDrop uint64
	for _, name := range r.names(netDir) {
		c, ok := readCounters(r, name)
		if !ok {
			continue
		}
		speed := statsSpeed(r, name, vlans)
		if speed <= 0 {
			speed = 1000 // netstats.py _normalize_network_stats: "speed or 1000"
		}
		st.Network[name] = vdsm.InterfaceStats{
			Name: name, State: reportedState(readLink(r, name)), Speed: strconv.Itoa(speed),
			Rx: u64(c.RxBytes), Tx: u64(c.TxBytes),
			RxErrors: u64(c.RxErrs), TxErrors: u64(c.TxErrs),
			RxDropped: u64(c.RxDrop), TxDropped: u64(c.TxDrop),
			Duplex: duplex(r, name), SampleTime: at,
		}
		rxDrop += c.RxDrop
		txDrop += c.TxDrop
	}
	// VDSM's netstats.report() returns 'rxDropped': tx_dropped, 'txDropped': rx_dropped, the
	// host totals crossed, and the engine has always shown them so; the per-interface figures
	// are not crossed.
	st.RxDropped, st.TxDropped = u64(txDrop), u64(rxDrop)
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }
