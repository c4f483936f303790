package host

import (
	"os"
	"path/filepath"
	"testing"
)

// fixture is a trimmed host tree: 2 sockets × 1 core × 2 threads on 2 NUMA nodes, a bridge
// (ovirtmgmt over eth0), an active-backup bond (eth1, eth2) with a VLAN on it, a hidden Wi-Fi
// NIC, DMI data and a FibreChannel HBA. fixtureLater holds the files that differ 10 s later.
const (
	fixture      fsRoot = "../../testdata/proc/host"
	fixtureLater        = "../../testdata/proc/host-later"
)

// copyTree copies a fixture into a fresh directory, so a test can lay a later sample over it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// overlay copies src's files over dst.
func overlay(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeFiles makes a small root from path -> content.
func writeFiles(t *testing.T, files map[string]string) fsRoot {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return fsRoot(dir)
}

func writeTo(t *testing.T, root, rel, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, rel), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
