package host

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// memInfo is /proc/meminfo (or a NUMA node's meminfo): sizes in KiB, page counts as counts.
type memInfo map[string]uint64

// parseMemInfo reads "Key:   value [kB]" lines. A node's meminfo prefixes each line with
// "Node N"; that prefix is dropped so both files read alike.
func parseMemInfo(b []byte) (memInfo, error) {
	m := memInfo{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Node ") {
			if f := strings.SplitN(line, " ", 3); len(f) == 3 {
				line = f[2]
			}
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("meminfo %s: %w", k, err)
		}
		m[strings.TrimSpace(k)] = n
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if _, ok := m["MemTotal"]; !ok {
		return nil, fmt.Errorf("meminfo has no MemTotal")
	}
	return m, nil
}

func readMemInfo(r fsRoot) (memInfo, error) {
	b, err := r.read("/proc/meminfo")
	if err != nil {
		return nil, err
	}
	return parseMemInfo(b)
}

// hugepagePool is one page size of the kernel's hugepage pool.
type hugepagePool struct {
	SizeKiB                                          uint64
	Free, Nr, NrMempolicy, Overcommit, Resv, Surplus int64
}

const hugepagesDir = "/sys/kernel/mm/hugepages"

// hugepageSize parses a "hugepages-2048kB" directory name.
func hugepageSize(dir string) (uint64, bool) {
	s, ok := strings.CutPrefix(dir, "hugepages-")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "kB")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// readHugepagePools lists the pools by size; an absent directory (no hugetlbfs support) is no
// pools.
func readHugepagePools(r fsRoot) []hugepagePool {
	var out []hugepagePool
	for _, d := range r.names(hugepagesDir) {
		size, ok := hugepageSize(d)
		if !ok {
			continue
		}
		dir := hugepagesDir + "/" + d + "/"
		num := func(f string) int64 { n, _ := r.int64(dir + f); return n }
		out = append(out, hugepagePool{
			SizeKiB: size, Free: num("free_hugepages"), Nr: num("nr_hugepages"),
			NrMempolicy: num("nr_hugepages_mempolicy"), Overcommit: num("nr_overcommit_hugepages"),
			Resv: num("resv_hugepages"), Surplus: num("surplus_hugepages"),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SizeKiB < out[j].SizeKiB })
	return out
}

// readTHPState returns the bracketed choice of the transparent hugepage setting. RHEL 6 kernels
// used a redhat_ prefixed path; a kernel without THP is reported as "never".
func readTHPState(r fsRoot) string {
	for _, p := range []string{"/sys/kernel/mm/transparent_hugepage/enabled", "/sys/kernel/mm/redhat_transparent_hugepage/enabled"} {
		s := r.str(p)
		if i, j := strings.IndexByte(s, '['), strings.IndexByte(s, ']'); i >= 0 && j > i {
			return s[i+1 : j]
		}
	}
	return "never"
}

// basePageKiB is the size of an ordinary page, which libvirt and VDSM list next to the huge
// sizes.
func basePageKiB() uint64 { return uint64(os.Getpagesize()) / 1024 }
