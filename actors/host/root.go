package host

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// fsRoot is the directory that stands for "/" when reading /proc, /sys, /etc and /dev. Every
// reader goes through it so that tests run the same code against a fixture tree.
type fsRoot string

func (r fsRoot) path(p string) string { return filepath.Join(string(r), p) }

// isHost reports whether r is the real root, where facts that live outside the filesystem
// (addresses from the kernel, the agent's own process) belong to the same host.
func (r fsRoot) isHost() bool { return filepath.Clean(string(r)) == "/" }

func (r fsRoot) read(p string) ([]byte, error) { return os.ReadFile(r.path(p)) }

// str reads a one-value file such as a sysfs attribute, trimmed; "" when unreadable.
func (r fsRoot) str(p string) string {
	b, err := r.read(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// int64 reads a one-number file; ok is false when it is missing or not a number (sysfs answers
// EINVAL for a link speed it does not know, for instance).
func (r fsRoot) int64(p string) (int64, bool) {
	n, err := strconv.ParseInt(r.str(p), 10, 64)
	return n, err == nil
}

func (r fsRoot) exists(p string) bool {
	_, err := os.Stat(r.path(p))
	return err == nil
}

// names lists a directory's entries, sorted; nil when the directory is missing.
func (r fsRoot) names(p string) []string {
	es, err := os.ReadDir(r.path(p))
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// parseCPUList expands the kernel's list format ("0-3,8,10-11") into sorted ids.
func parseCPUList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	out := []int{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, err
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out, nil
}

func joinInts(xs []int, sep string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, sep)
}
