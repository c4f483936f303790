package host

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// cpuTopo places one online logical CPU.
type cpuTopo struct {
	ID, Node, Socket, Die, Core int
}

// numaNode is one NUMA node as sysfs shows it.
type numaNode struct {
	ID                      int
	CPUs                    []int
	MemTotalKiB, MemFreeKiB uint64
	Distances               []int // to node 0, 1, ... in order, itself included
	Huge                    map[uint64]nodeHugepages
}

type nodeHugepages struct{ Total, Free int64 }

const (
	cpuDir  = "/sys/devices/system/cpu"
	nodeDir = "/sys/devices/system/node"
)

// readOnlineCPUs lists the online CPUs; nil when sysfs does not say.
func readOnlineCPUs(r fsRoot) []int {
	s := r.str(cpuDir + "/online")
	if s == "" {
		return nil
	}
	ids, err := parseCPUList(s)
	if err != nil {
		return nil
	}
	return ids
}

// readNUMANodes reads every node under /sys/devices/system/node. A kernel built without NUMA
// has no such directory: the result is then empty and callers treat the host as one node.
func readNUMANodes(r fsRoot) ([]numaNode, error) {
	var nodes []numaNode
	for _, d := range r.names(nodeDir) {
		idStr, ok := strings.CutPrefix(d, "node")
		if !ok {
			continue
		}
		id, err := strconv.Atoi(idStr)
		if err != nil {
			continue
		}
		dir := nodeDir + "/" + d
		n := numaNode{ID: id, Huge: map[uint64]nodeHugepages{}}
		if n.CPUs, err = parseCPUList(r.str(dir + "/cpulist")); err != nil {
			return nil, fmt.Errorf("%s/cpulist: %w", dir, err)
		}
		if b, err := r.read(dir + "/meminfo"); err == nil {
			if mi, err := parseMemInfo(b); err == nil {
				n.MemTotalKiB, n.MemFreeKiB = mi["MemTotal"], mi["MemFree"]
			}
		}
		for _, f := range strings.Fields(r.str(dir + "/distance")) {
			v, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("%s/distance: %w", dir, err)
			}
			n.Distances = append(n.Distances, v)
		}
		for _, hd := range r.names(dir + "/hugepages") {
			size, ok := hugepageSize(hd)
			if !ok {
				continue
			}
			total, _ := r.int64(dir + "/hugepages/" + hd + "/nr_hugepages")
			free, _ := r.int64(dir + "/hugepages/" + hd + "/free_hugepages")
			n.Huge[size] = nodeHugepages{Total: total, Free: free}
		}
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	return nodes, nil
}

// nodeOfCPU maps CPU ids to their node; CPUs no node lists are on node 0, as on a non-NUMA host.
func nodeOfCPU(nodes []numaNode) map[int]int {
	m := map[int]int{}
	for _, n := range nodes {
		for _, c := range n.CPUs {
			m[c] = n.ID
		}
	}
	return m
}

// readCPUTopology places each online CPU from its topology directory. A CPU whose topology is
// unreadable is left out: reporting it at socket 0, core 0 would invent siblings.
func readCPUTopology(r fsRoot, online []int, nodes []numaNode) []cpuTopo {
	nodeOf := nodeOfCPU(nodes)
	var out []cpuTopo
	for _, id := range online {
		dir := fmt.Sprintf("%s/cpu%d/topology/", cpuDir, id)
		socket, ok1 := r.int64(dir + "physical_package_id")
		core, ok2 := r.int64(dir + "core_id")
		if !ok1 || !ok2 {
			continue
		}
		die, _ := r.int64(dir + "die_id") // absent before Linux 5.2: one die per socket
		out = append(out, cpuTopo{ID: id, Node: nodeOf[id], Socket: int(socket), Die: int(die), Core: int(core)})
	}
	return out
}

// topologyCounts gives sockets, cores (distinct socket/die/core triples) and threads.
func topologyCounts(cpus []cpuTopo) (sockets, cores, threads int) {
	ss := map[int]bool{}
	cs := map[[3]int]bool{}
	for _, c := range cpus {
		ss[c.Socket] = true
		cs[[3]int{c.Socket, c.Die, c.Core}] = true
	}
	return len(ss), len(cs), len(cpus)
}
