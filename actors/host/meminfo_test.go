package host

import (
	"reflect"
	"testing"
)

func TestParseMemInfo(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    memInfo
		wantErr bool
	}{
		{
			name: "host",
			in:   "MemTotal:       16384000 kB\nMemFree:         8192000 kB\nHugePages_Total:       8\nHugepagesize:       2048 kB\n",
			want: memInfo{"MemTotal": 16384000, "MemFree": 8192000, "HugePages_Total": 8, "Hugepagesize": 2048},
		},
		{
			name: "node, prefixed",
			in:   "Node 1 MemTotal:        8192000 kB\nNode 1 MemFree:         2048000 kB\nNode 1 HugePages_Free:      2\n",
			want: memInfo{"MemTotal": 8192000, "MemFree": 2048000, "HugePages_Free": 2},
		},
		{name: "no total", in: "MemFree: 1 kB\n", wantErr: true},
		{name: "bad number", in: "MemTotal: lots kB\n", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseMemInfo([]byte(c.in))
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v", err)
			}
			if !c.wantErr && !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v", got)
			}
		})
	}
}

func TestHugepagePoolsFixture(t *testing.T) {
	got := readHugepagePools(fixture)
	want := []hugepagePool{
		{SizeKiB: 2048, Free: 4, Nr: 8, NrMempolicy: 8, Resv: 1},
		{SizeKiB: 1048576},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
	if got := readHugepagePools(fsRoot(t.TempDir())); got != nil {
		t.Errorf("no hugetlb: %+v", got)
	}
}

func TestHugepageSizeName(t *testing.T) {
	for in, want := range map[string]uint64{"hugepages-2048kB": 2048, "hugepages-1048576kB": 1048576, "hugepages-x": 0, "other": 0} {
		got, ok := hugepageSize(in)
		if got != want || ok != (want != 0) {
			t.Errorf("%s: %d %v", in, got, ok)
		}
	}
}

func TestTHPState(t *testing.T) {
	cases := map[string]map[string]string{
		"madvise": {"sys/kernel/mm/transparent_hugepage/enabled": "always [madvise] never\n"},
		"always":  {"sys/kernel/mm/redhat_transparent_hugepage/enabled": "[always] madvise never\n"},
		"never":   {"sys/kernel/mm/transparent_hugepage/enabled": "garbage\n"},
	}
	for want, files := range cases {
		if got := readTHPState(writeFiles(t, files)); got != want {
			t.Errorf("%v: %q", files, got)
		}
	}
	if got := readTHPState(fsRoot(t.TempDir())); got != "never" {
		t.Errorf("no THP: %q", got)
	}
}
