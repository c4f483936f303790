package host

import (
	"reflect"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	cases := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"0", []int{0}, false},
		{"0-3", []int{0, 1, 2, 3}, false},
		{"0-1,4,6-7\n", []int{0, 1, 4, 6, 7}, false},
		{"8,0-1", []int{0, 1, 8}, false},
		{"", []int{}, false},
		{"a-b", nil, true},
		{"1,", nil, true},
	}
	for _, c := range cases {
		got, err := parseCPUList(c.in)
		if (err != nil) != c.wantErr || (!c.wantErr && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("%q: %v %v", c.in, got, err)
		}
	}
}

func TestNUMAAndTopologyFixture(t *testing.T) {
	nodes, err := readNUMANodes(fixture)
	if err != nil {
		t.Fatal(err)
	}
	want := []numaNode{
		{ID: 0, CPUs: []int{0, 1}, MemTotalKiB: 8192000, MemFreeKiB: 4096000, Distances: []int{10, 21},
			Huge: map[uint64]nodeHugepages{2048: {4, 2}, 1048576: {}}},
		{ID: 1, CPUs: []int{2, 3}, MemTotalKiB: 8192000, MemFreeKiB: 2048000, Distances: []int{21, 10},
			Huge: map[uint64]nodeHugepages{2048: {4, 2}, 1048576: {}}},
	}
	if !reflect.DeepEqual(nodes, want) {
		t.Errorf("\n got %+v\nwant %+v", nodes, want)
	}
	online := readOnlineCPUs(fixture)
	if !reflect.DeepEqual(online, []int{0, 1, 2, 3}) {
		t.Fatalf("online %v", online)
	}
	cpus := readCPUTopology(fixture, online, nodes)
	wantCPUs := []cpuTopo{{0, 0, 0, 0, 0}, {1, 0, 0, 0, 0}, {2, 1, 1, 0, 0}, {3, 1, 1, 0, 0}}
	if !reflect.DeepEqual(cpus, wantCPUs) {
		t.Errorf("cpus %+v", cpus)
	}
	if s, c, th := topologyCounts(cpus); s != 2 || c != 2 || th != 4 {
		t.Errorf("sockets %d cores %d threads %d", s, c, th)
	}
}

func TestTopologyWithoutSysfs(t *testing.T) {
	empty := fsRoot(t.TempDir())
	if nodes, err := readNUMANodes(empty); err != nil || nodes != nil {
		t.Errorf("%v %v", nodes, err)
	}
	if online := readOnlineCPUs(empty); online != nil {
		t.Errorf("%v", online)
	}
	// A CPU whose topology directory vanished (hot-unplug race) is skipped, not placed at 0/0.
	if got := readCPUTopology(fixture, []int{0, 9}, nil); len(got) != 1 || got[0].ID != 0 {
		t.Errorf("%+v", got)
	}
}
