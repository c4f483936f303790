package host

import (
	"reflect"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    procStat
		wantErr bool
	}{
		{
			name: "full",
			in: "cpu  10 1 20 300 4 5 6 7 2 0\ncpu0 5 1 10 150 2 3 3 4 1 0\ncpu1 5 0 10 150 2 2 3 3 1 0\n" +
				"intr 1 2 3\nctxt 99\nbtime 1700000000\nprocesses 4\n",
			want: procStat{
				Total: cpuTimes{10, 1, 20, 300, 4, 5, 6, 7},
				PerCPU: map[int]cpuTimes{
					0: {5, 1, 10, 150, 2, 3, 3, 4},
					1: {5, 0, 10, 150, 2, 2, 3, 3},
				},
				BootTime: 1700000000,
			},
		},
		{
			// Kernels before 2.6.11 had no steal, before 2.6 no iowait/irq/softirq.
			name: "old kernel, four columns",
			in:   "cpu 1 2 3 4\ncpu0 1 2 3 4\n",
			want: procStat{Total: cpuTimes{User: 1, Nice: 2, System: 3, Idle: 4}, PerCPU: map[int]cpuTimes{0: {User: 1, Nice: 2, System: 3, Idle: 4}}},
		},
		{
			name: "offline CPUs are simply absent",
			in:   "cpu 1 0 1 8 0 0 0 0\ncpu0 1 0 1 8 0 0 0 0\ncpu5 0 0 0 0 0 0 0 0\n",
			want: procStat{Total: cpuTimes{User: 1, System: 1, Idle: 8}, PerCPU: map[int]cpuTimes{0: {User: 1, System: 1, Idle: 8}, 5: {}}},
		},
		{name: "no cpu line", in: "btime 5\n", wantErr: true},
		{name: "short cpu line", in: "cpu 1 2 3\n", wantErr: true},
		{name: "garbage number", in: "cpu 1 2 x 4\n", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(c.in))
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v", err)
			}
			if !c.wantErr && !reflect.DeepEqual(got, c.want) {
				t.Errorf("\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestCPUTimesArithmetic(t *testing.T) {
	a := cpuTimes{User: 10, Nice: 2, System: 5, Idle: 80, IOWait: 1, IRQ: 1, SoftIRQ: 1, Steal: 0}
	if a.total() != 100 {
		t.Errorf("total %d", a.total())
	}
	if u, s := a.busy(); u != 12 || s != 7 {
		t.Errorf("busy %d %d", u, s)
	}
	// iowait may go backwards on some kernels: that is no progress, not a wrap to 2^64.
	d := cpuTimes{IOWait: 0, Idle: 90}.minus(cpuTimes{IOWait: 5, Idle: 80})
	if d.IOWait != 0 || d.Idle != 10 {
		t.Errorf("minus %+v", d)
	}
}

func TestParseProcPidStat(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    procCPU
		wantErr bool
	}{
		{
			name: "plain",
			in:   "4321 (agent) S 1 4321 4321 0 -1 4194560 5000 0 0 0 200 100 0 0 20 0 12 0 1224567 1048576000 20000",
			want: procCPU{UTime: 200, STime: 100, StartTime: 1224567},
		},
		{
			name: "name with spaces and parentheses",
			in:   "4321 (a (b) c) R 1 4321 4321 0 -1 4194560 5000 0 0 0 7 8 0 0 20 0 12 0 99 1048576000 20000",
			want: procCPU{UTime: 7, STime: 8, StartTime: 99},
		},
		{name: "truncated", in: "4321 (agent) S 1 2 3", wantErr: true},
		{name: "no name", in: "4321 agent S", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseProcPidStat([]byte(c.in))
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v", err)
			}
			if got != c.want {
				t.Errorf("got %+v want %+v", got, c.want)
			}
		})
	}
}

func TestParseLoadAvgAndUptime(t *testing.T) {
	if l, err := parseLoadAvg([]byte("0.52 0.58 0.59 2/467 12345\n")); err != nil || l != "0.58" {
		t.Errorf("loadavg %q %v", l, err)
	}
	for _, bad := range []string{"", "0.5 0.6", "0.5 x 0.7 1/2 3"} {
		if _, err := parseLoadAvg([]byte(bad)); err == nil {
			t.Errorf("loadavg %q accepted", bad)
		}
	}
	if u, err := parseUptime([]byte("12345.67 45678.90\n")); err != nil || u != 12345.67 {
		t.Errorf("uptime %v %v", u, err)
	}
	if _, err := parseUptime([]byte("")); err == nil {
		t.Error("empty uptime accepted")
	}
}

func TestReadProcStatFixture(t *testing.T) {
	ps, err := readProcStat(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.PerCPU) != 4 || ps.BootTime != 1700000000 || ps.Total.total() != 10000 {
		t.Errorf("%+v", ps)
	}
	self, err := readSelfStat(fixture)
	if err != nil || self != (procCPU{UTime: 200, STime: 100, StartTime: 1224567}) {
		t.Errorf("self %+v %v", self, err)
	}
}
