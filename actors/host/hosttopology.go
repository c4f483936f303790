package host

import (
	"sort"
	"strconv"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// topology is the host's CPUs and NUMA nodes, from whichever source knows them.
type topology struct {
	cpus  []cpuTopo
	nodes []topoNode
}

type topoNode struct {
	id        int
	cpus      []int
	memKiB    uint64
	distances []int
	pages     map[uint64]uint64 // page size KiB -> total pages
}

// hostTopology prefers sysfs: the agent runs on the host it describes, /sys is the kernel's own
// view, and /proc/stat, which the stats sample, numbers CPUs the same way. libvirt's view is the
// fallback (a root without sysfs); on the test driver it describes an imaginary host that would
// contradict the stats. With neither, the host is one node holding every CPU /proc/cpuinfo lists.
func hostTopology(r fsRoot, lv libvirtFacts, mem memInfo) topology {
	nodes, _ := readNUMANodes(r)
	online := readOnlineCPUs(r)
	var t topology
	if len(online) > 0 {
		t.cpus = readCPUTopology(r, online, nodes)
	}
	if len(t.cpus) == 0 && lv.ok && len(lv.caps.Cells) > 0 {
		return libvirtTopology(lv.caps)
	}
	base := basePageKiB()
	for _, n := range nodes {
		tn := topoNode{id: n.ID, cpus: n.CPUs, memKiB: n.MemTotalKiB, distances: n.Distances, pages: map[uint64]uint64{}}
		if base > 0 {
			tn.pages[base] = n.MemTotalKiB / base
		}
		for size, h := range n.Huge {
			tn.pages[size] = uint64(h.Total)
		}
		t.nodes = append(t.nodes, tn)
	}
	if len(t.nodes) == 0 {
		ids := make([]int, 0, len(t.cpus))
		for _, c := range t.cpus {
			ids = append(ids, c.ID)
		}
		tn := topoNode{id: 0, cpus: ids, memKiB: mem["MemTotal"], distances: []int{10}, pages: map[uint64]uint64{}}
		if base > 0 {
			tn.pages[base] = mem["MemTotal"] / base
		}
		for _, p := range readHugepagePools(r) {
			tn.pages[p.SizeKiB] = uint64(p.Nr)
		}
		t.nodes = []topoNode{tn}
	}
	return t
}

func libvirtTopology(hc virt.HostCaps) topology {
	var t topology
	ids := make([]int, 0, len(hc.Cells))
	for _, c := range hc.Cells {
		ids = append(ids, c.ID)
	}
	sort.Ints(ids)
	for _, c := range hc.Cells {
		tn := topoNode{id: c.ID, memKiB: c.MemoryKiB, pages: map[uint64]uint64{}}
		for _, p := range c.Pages {
			tn.pages[p.SizeKiB] = p.Count
		}
		if len(c.Distances) > 0 {
			for _, id := range ids {
				tn.distances = append(tn.distances, c.Distances[id])
			}
		}
		for _, cpu := range c.CPUs {
			tn.cpus = append(tn.cpus, cpu.ID)
			t.cpus = append(t.cpus, cpuTopo{ID: cpu.ID, Node: c.ID, Socket: cpu.SocketID, Die: cpu.DieID, Core: cpu.CoreID})
		}
		sort.Ints(tn.cpus)
		t.nodes = append(t.nodes, tn)
	}
	sort.Slice(t.cpus, func(i, j int) bool { return t.cpus[i].ID < t.cpus[j].ID })
	return t
}

func (t topology) cpuIDs() []int {
	out := make([]int, len(t.cpus))
	for i, c := range t.cpus {
		out[i] = c.ID
	}
	return out
}

func (t topology) cpuInfos() []vdsm.CPUInfo {
	out := make([]vdsm.CPUInfo, len(t.cpus))
	for i, c := range t.cpus {
		out[i] = vdsm.CPUInfo{CPUID: c.ID, NUMACellID: c.Node, SocketID: c.Socket, DieID: c.Die, CoreID: c.Core}
	}
	return out
}

func (t topology) numaNodes() map[string]vdsm.NUMANode {
	out := map[string]vdsm.NUMANode{}
	for _, n := range t.nodes {
		hp := map[string]vdsm.NUMAHugepages{}
		for size, count := range n.pages {
			hp[strconv.FormatUint(size, 10)] = vdsm.NUMAHugepages{TotalPages: strconv.FormatUint(count, 10)}
		}
		cpus := n.cpus
		if cpus == nil {
			cpus = []int{}
		}
		out[strconv.Itoa(n.id)] = vdsm.NUMANode{
			TotalMemory: strconv.FormatUint(n.memKiB/1024, 10),
			CPUs:        cpus,
			Hugepages:   hp,
		}
	}
	return out
}

func (t topology) distances() map[string][]int {
	out := map[string][]int{}
	for _, n := range t.nodes {
		d := n.distances
		if d == nil {
			d = []int{}
		}
		out[strconv.Itoa(n.id)] = d
	}
	return out
}
