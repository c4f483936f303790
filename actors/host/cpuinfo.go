package host

import (
	"bufio"
	"bytes"
	"strings"
)

// cpuInfo is what /proc/cpuinfo says about the first processor (the host's CPUs are one model)
// and how many processors it lists.
type cpuInfo struct {
	Model string
	Flags []string
	MHz   string // as printed, e.g. "2100.000"
	Count int
}

func parseCPUInfo(b []byte) cpuInfo {
	var ci cpuInfo
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "processor" {
			ci.Count++
		}
		if seen[k] {
			continue
		}
		switch k {
		case "model name":
			ci.Model = v
		case "cpu MHz":
			ci.MHz = v
		case "flags":
			ci.Flags = strings.Fields(v)
		default:
			continue
		}
		seen[k] = true
	}
	return ci
}

func readCPUInfo(r fsRoot) (cpuInfo, error) {
	b, err := r.read("/proc/cpuinfo")
	if err != nil {
		return cpuInfo{}, err
	}
	return parseCPUInfo(b), nil
}
