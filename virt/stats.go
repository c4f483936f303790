package virt

import (
	"encoding/xml"
	"time"

	"libvirt.org/go/libvirt"
)

// DomainStats is one domain's counters at one moment, as plain values.
type DomainStats struct {
	UUID   string
	Time   time.Time
	State  int
	HasCPU bool
	// CPU times in nanoseconds, cumulative.
	CPUTime, CPUUser, CPUSystem uint64
	VCPUs                       int
	// Balloon sizes in KiB; HasBalloon is false when the domain reports none.
	HasBalloon             bool
	BalloonCur, BalloonMax uint64
	// Mem holds the guest memory statistics the balloon driver reports, by libvirt's names
	// (unused, available, usable, swap_in, swap_out, major_fault, minor_fault, ...), KiB or counts.
	Mem    map[string]uint64
	Nets   []NetStats
	Blocks []BlockStats
}

// NetStats is one interface's cumulative counters.
type NetStats struct {
	Name                            string
	RxBytes, RxPkts, RxErrs, RxDrop uint64
	TxBytes, TxPkts, TxErrs, TxDrop uint64
}

// BlockStats is one disk's cumulative counters and sizes.
type BlockStats struct {
	Name, Path                     string
	RdBytes, RdReqs, RdTimes       uint64
	WrBytes, WrReqs, WrTimes       uint64
	FlReqs, FlTimes                uint64
	Capacity, Allocation, Physical uint64
}

const bulkStats = libvirt.DOMAIN_STATS_STATE | libvirt.DOMAIN_STATS_CPU_TOTAL | libvirt.DOMAIN_STATS_BALLOON |
	libvirt.DOMAIN_STATS_VCPU | libvirt.DOMAIN_STATS_INTERFACE | libvirt.DOMAIN_STATS_BLOCK

// AllStats samples every domain with one bulk call. Drivers whose bulk call fills only the state
// (libvirt's test driver) are completed with per-domain calls for the running domains, so the
// sample is real either way.
func (c *Conn) AllStats() ([]DomainStats, error) {
	if !c.up.Load() {
		return nil, disconnected("bulk stats", "")
	}
	now := time.Now()
	recs, err := c.lc().GetAllDomainStats(nil, bulkStats, 0)
	if err != nil {
		return nil, wrap("bulk stats", "", err)
	}
	out := make([]DomainStats, 0, len(recs))
	for i := range recs {
		r := &recs[i]
		s := DomainStats{Time: now}
		s.UUID, _ = r.Domain.GetUUIDString()
		fromBulk(&s, r)
		if !s.HasCPU && (s.State == StateRunning || s.State == StatePaused) {
			perDomain(&s, r.Domain)
		}
		r.Domain.Free()
		out = append(out, s)
	}
	return out, nil
}

func fromBulk(s *DomainStats, r *libvirt.DomainStats) {
	if r.State != nil && r.State.StateSet {
		s.State = int(r.State.State)
	}
	if c := r.Cpu; c != nil && c.TimeSet {
		s.HasCPU = true
		s.CPUTime, s.CPUUser, s.CPUSystem = c.Time, c.User, c.System
	}
	if b := r.Balloon; b != nil && b.CurrentSet {
		s.HasBalloon = true
		s.BalloonCur, s.BalloonMax = b.Current, b.Maximum
		s.Mem = map[string]uint64{}
		put := func(name string, set bool, v uint64) {
			if set {
				s.Mem[name] = v
			}
		}
		put("unused", b.UnusedSet, b.Unused)
		put("available", b.AvailableSet, b.Available)
		put("usable", b.UsableSet, b.Usable)
		put("swap_in", b.SwapInSet, b.SwapIn)
		put("swap_out", b.SwapOutSet, b.SwapOut)
		put("major_fault", b.MajorFaultSet, b.MajorFault)
		put("minor_fault", b.MinorFaultSet, b.MinorFault)
		put("disk_caches", b.DiskCachesSet, b.DiskCaches)
	}
	// vcpu.current: the binding lists every vCPU up to the maximum, those libvirt did not
	// report (not plugged in) as offline.
	s.VCPUs = 0
	for _, v := range r.Vcpu {
		if v.State != libvirt.VCPU_OFFLINE {
			s.VCPUs++
		}
	}
	for _, n := range r.Net {
		s.Nets = append(s.Nets, NetStats{Name: n.Name, RxBytes: n.RxBytes, RxPkts: n.RxPkts, RxErrs: n.RxErrs, RxDrop: n.RxDrop,
			TxBytes: n.TxBytes, TxPkts: n.TxPkts, TxErrs: n.TxErrs, TxDrop: n.TxDrop})
	}
	for _, b := range r.Block {
		s.Blocks = append(s.Blocks, BlockStats{Name: b.Name, Path: b.Path, RdBytes: b.RdBytes, RdReqs: b.RdReqs, RdTimes: b.RdTimes,
			WrBytes: b.WrBytes, WrReqs: b.WrReqs, WrTimes: b.WrTimes, FlReqs: b.FlReqs, FlTimes: b.FlTimes,
			Capacity: b.Capacity, Allocation: b.Allocation, Physical: b.Physical})
	}
}

// devices is the part of a domain's XML the per-domain fallback needs.
type devices struct {
	Interfaces []struct {
		Target struct {
			Dev string `xml:"dev,attr"`
		} `xml:"target"`
		MAC struct {
			Address string `xml:"address,attr"`
		} `xml:"mac"`
	} `xml:"devices>interface"`
	Disks []struct {
		Target struct {
			Dev string `xml:"dev,attr"`
		} `xml:"target"`
		Source struct {
			File string `xml:"file,attr"`
			Dev  string `xml:"dev,attr"`
		} `xml:"source"`
	} `xml:"devices>disk"`
}

// perDomain fills what the bulk call left out. Every call may fail on a driver that lacks it;
// what succeeds is kept.
func perDomain(s *DomainStats, d *libvirt.Domain) {
	if info, err := d.GetInfo(); err == nil {
		s.HasCPU = true
		s.CPUTime = info.CpuTime
		if s.VCPUs == 0 {
			s.VCPUs = int(info.NrVirtCpu)
		}
		if !s.HasBalloon {
			s.HasBalloon = true
			s.BalloonCur, s.BalloonMax = info.Memory, info.MaxMem
		}
	}
	if cs, err := d.GetCPUStats(-1, 1, 0); err == nil && len(cs) == 1 {
		if cs[0].UserTimeSet {
			s.CPUUser = cs[0].UserTime
		}
		if cs[0].SystemTimeSet {
			s.CPUSystem = cs[0].SystemTime
		}
	}
	if ms, err := d.MemoryStats(uint32(libvirt.DOMAIN_MEMORY_STAT_NR), 0); err == nil && len(ms) > 0 {
		if s.Mem == nil {
			s.Mem = map[string]uint64{}
		}
		for _, m := range ms {
			if name, ok := memStatNames[libvirt.DomainMemoryStatTags(m.Tag)]; ok {
				s.Mem[name] = m.Val
			}
		}
	}
	if len(s.Nets) > 0 || len(s.Blocks) > 0 {
		return
	}
	x, err := d.GetXMLDesc(0)
	if err != nil {
		return
	}
	var dev devices
	if xml.Unmarshal([]byte(x), &dev) != nil {
		return
	}
	for _, i := range dev.Interfaces {
		name := i.Target.Dev
		if name == "" {
			name = i.MAC.Address
		}
		if name == "" {
			continue
		}
		if st, err := d.InterfaceStats(name); err == nil {
			s.Nets = append(s.Nets, NetStats{Name: name, RxBytes: uint64(st.RxBytes), RxPkts: uint64(st.RxPackets),
				RxErrs: uint64(st.RxErrs), RxDrop: uint64(st.RxDrop), TxBytes: uint64(st.TxBytes), TxPkts: uint64(st.TxPackets),
				TxErrs: uint64(st.TxErrs), TxDrop: uint64(st.TxDrop)})
		}
	}
	for _, k := range dev.Disks {
		if k.Target.Dev == "" {
			continue
		}
		b := BlockStats{Name: k.Target.Dev, Path: k.Source.File + k.Source.Dev}
		if st, err := d.BlockStats(k.Target.Dev); err == nil {
			b.RdBytes, b.RdReqs, b.WrBytes, b.WrReqs = uint64(st.RdBytes), uint64(st.RdReq), uint64(st.WrBytes), uint64(st.WrReq)
		}
		if bi, err := d.GetBlockInfo(k.Target.Dev, 0); err == nil {
			b.Capacity, b.Allocation, b.Physical = bi.Capacity, bi.Allocation, bi.Physical
		}
		s.Blocks = append(s.Blocks, b)
	}
}

var memStatNames = map[libvirt.DomainMemoryStatTags]string{
	libvirt.DOMAIN_MEMORY_STAT_SWAP_IN:        "swap_in",
	libvirt.DOMAIN_MEMORY_STAT_SWAP_OUT:       "swap_out",
	libvirt.DOMAIN_MEMORY_STAT_MAJOR_FAULT:    "major_fault",
	libvirt.DOMAIN_MEMORY_STAT_MINOR_FAULT:    "minor_fault",
	libvirt.DOMAIN_MEMORY_STAT_UNUSED:         "unused",
	libvirt.DOMAIN_MEMORY_STAT_AVAILABLE:      "available",
	libvirt.DOMAIN_MEMORY_STAT_USABLE:         "usable",
	libvirt.DOMAIN_MEMORY_STAT_ACTUAL_BALLOON: "actual",
	libvirt.DOMAIN_MEMORY_STAT_RSS:            "rss",
	libvirt.DOMAIN_MEMORY_STAT_DISK_CACHES:    "disk_caches",
}
