package host

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// userHZ is the tick of every time counter in /proc. The kernel fixes it at 100 for user space
// on all architectures the agent runs on, whatever its internal HZ.
const userHZ = 100

// cpuTimes is one "cpu" line of /proc/stat, in ticks. Guest time is already part of user and
// nice, so it is not kept apart.
type cpuTimes struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal uint64
}

func (t cpuTimes) total() uint64 {
	return t.User + t.Nice + t.System + t.Idle + t.IOWait + t.IRQ + t.SoftIRQ + t.Steal
}

// busy splits the non-idle time the way the engine reads it: user work (nice included) and
// kernel work (interrupt handling included).
func (t cpuTimes) busy() (user, sys uint64) {
	return t.User + t.Nice, t.System + t.IRQ + t.SoftIRQ
}

func (t cpuTimes) minus(o cpuTimes) cpuTimes {
	return cpuTimes{
		User: sub(t.User, o.User), Nice: sub(t.Nice, o.Nice), System: sub(t.System, o.System),
		Idle: sub(t.Idle, o.Idle), IOWait: sub(t.IOWait, o.IOWait), IRQ: sub(t.IRQ, o.IRQ),
		SoftIRQ: sub(t.SoftIRQ, o.SoftIRQ), Steal: sub(t.Steal, o.Steal),
	}
}

// sub is a difference of kernel counters; a counter that went backwards (CPU offlined and back,
// iowait is known to do it) counts as no progress rather than a huge wrap.
func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// procStat is what the agent takes from /proc/stat.
type procStat struct {
	Total    cpuTimes
	PerCPU   map[int]cpuTimes
	BootTime int64 // epoch seconds; 0 when absent
}

func parseProcStat(b []byte) (procStat, error) {
	ps := procStat{PerCPU: map[int]cpuTimes{}}
	seenTotal := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024) // the intr line is long on big hosts
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "cpu":
			t, err := parseCPUTimes(f[1:])
			if err != nil {
				return procStat{}, fmt.Errorf("/proc/stat cpu line: %w", err)
			}
			ps.Total, seenTotal = t, true
		case strings.HasPrefix(f[0], "cpu"):
			id, err := strconv.Atoi(f[0][3:])
			if err != nil {
				continue
			}
			t, err := parseCPUTimes(f[1:])
			if err != nil {
				return procStat{}, fmt.Errorf("/proc/stat %s line: %w", f[0], err)
			}
			ps.PerCPU[id] = t
		case f[0] == "btime" && len(f) > 1:
			ps.BootTime, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return procStat{}, err
	}
	if !seenTotal {
		return procStat{}, fmt.Errorf("/proc/stat has no cpu line")
	}
	return ps, nil
}

func parseCPUTimes(f []string) (cpuTimes, error) {
	if len(f) < 4 {
		return cpuTimes{}, fmt.Errorf("%d fields, want at least 4", len(f))
	}
	var v [8]uint64
	for i := 0; i < len(v) && i < len(f); i++ {
		n, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return cpuTimes{}, err
		}
		v[i] = n
	}
	return cpuTimes{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]}, nil
}

func readProcStat(r fsRoot) (procStat, error) {
	b, err := r.read("/proc/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(b)
}

// procCPU is the CPU use of one process, from /proc/<pid>/stat: user and system ticks, and its
// start in ticks after boot.
type procCPU struct {
	UTime, STime, StartTime uint64
}

func parseProcPidStat(b []byte) (procCPU, error) {
	// The command name is in parentheses and may hold spaces or ')' itself; fields are counted
	// from after the last ')'. There, field 3 (state) is index 0, utime (14) index 11, stime (15)
	// index 12 and starttime (22) index 19.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procCPU{}, fmt.Errorf("no command name in process stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return procCPU{}, fmt.Errorf("process stat has %d fields after the name", len(f))
	}
	var out procCPU
	var err error
	for _, p := range []struct {
		dst *uint64
		idx int
	}{{&out.UTime, 11}, {&out.STime, 12}, {&out.StartTime, 19}} {
		if *p.dst, err = strconv.ParseUint(f[p.idx], 10, 64); err != nil {
			return procCPU{}, err
		}
	}
	return out, nil
}

func readSelfStat(r fsRoot) (procCPU, error) {
	b, err := r.read("/proc/self/stat")
	if err != nil {
		return procCPU{}, err
	}
	return parseProcPidStat(b)
}

// parseLoadAvg returns the 5-minute load average exactly as the kernel prints it.
func parseLoadAvg(b []byte) (string, error) {
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "", fmt.Errorf("loadavg has %d fields", len(f))
	}
	if _, err := strconv.ParseFloat(f[1], 64); err != nil {
		return "", err
	}
	return f[1], nil
}

// parseUptime returns the seconds since boot.
func parseUptime(b []byte) (float64, error) {
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return 0, fmt.Errorf("empty uptime")
	}
	return strconv.ParseFloat(f[0], 64)
}
