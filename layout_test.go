package hostagent_test

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hostagent/hostagent"

// layers says which parts of the module a part may not reach, directly or through other packages
// of the module, test imports included. They keep the pure layers pure: the wire protocol knows
// nothing of actors or libvirt, the libvirt adapter nothing of actors or the wire, the
// supervisor's middleware nothing of what it supervises, and pyrepr is a leaf. The other
// libraries (the engine's XML, host networking, the client, the reply handle, metrics, the load
// generator) stay below the actors, and nothing but the binary reaches cmd/.
var layers = []struct {
	part      string
	forbidden []string
}{
	{"protocol", []string{"actors", "virt"}},
	{"virt", []string{"actors", "protocol"}},
	{"supervisor", []string{"virt", "protocol", "actors"}},
	{"pyrepr", []string{""}},
	{"engine", []string{"actors", "virt", "cmd"}},
	{"hostnet", []string{"actors", "virt", "cmd"}},
	{"client", []string{"actors", "virt", "cmd"}},
	{"reply", []string{"actors", "virt", "cmd"}},
	{"metrics", []string{"actors", "virt", "cmd"}},
	{"actors", []string{"cmd"}},
	{"bench", []string{"cmd"}},
}

// libvirtOwner is the only part that may import libvirt (DESIGN: virt/ is the adapter); tests and
// the lanes' helpers go through it too.
const (
	libvirtOwner = "virt"
	libvirtPkg   = "libvirt.org/go/libvirt"
)

// netlinkOwner is, likewise, the only part that may change or read the host's links.
const (
	netlinkOwner = "hostnet"
	netlinkPkg   = "github.com/vishvananda/netlink"
)

type pkg struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
}

// within reports whether the import path p is part (a top-level directory of the module, with
// its subpackages); part "" is the whole module.
func within(p, part string) bool {
	if part == "" {
		return p == module || strings.HasPrefix(p, module+"/")
	}
	root := module + "/" + part
	return p == root || strings.HasPrefix(p, root+"/")
}

// listModule is every package of the module with its own, test and external-test imports.
func listModule(t *testing.T) map[string]*pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", module+"/...")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("go list: %v\n%s", err, ee.Stderr)
	}
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]*pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		p := &pkg{}
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs[p.ImportPath] = p
	}
	if len(pkgs) < 10 || pkgs[module+"/"+libvirtOwner] == nil {
		t.Fatalf("go list found %d packages, without %s: the test would check nothing", len(pkgs), libvirtOwner)
	}
	return pkgs
}

// reach is every module package p's code or tests reach, each with the import chain that gets
// there (for the failure message). Past p itself only non-test imports count: another
// package's tests are not built into p's.
func reach(pkgs map[string]*pkg, p *pkg) map[string][]string {
	paths := map[string][]string{}
	var queue []string
	for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
		if imp == p.ImportPath || !within(imp, "") || paths[imp] != nil {
			continue
		}
		paths[imp] = []string{p.ImportPath, imp}
		queue = append(queue, imp)
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		q := pkgs[cur]
		if q == nil {
			continue
		}
		for _, imp := range q.Imports {
			if !within(imp, "") || paths[imp] != nil || imp == p.ImportPath {
				continue
			}
			paths[imp] = append(slices.Clone(paths[cur]), imp)
			queue = append(queue, imp)
		}
	}
	return paths
}

// TestImportRules fails on any import, test imports included, that breaks the layering above or
// brings libvirt in anywhere but virt/.
func TestImportRules(t *testing.T) {
	pkgs := listModule(t)
	for _, path := range slices.Sorted(maps.Keys(pkgs)) {
		p := pkgs[path]
		if !within(p.ImportPath, libvirtOwner) {
			for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
				if imp == libvirtPkg || strings.HasPrefix(imp, libvirtPkg+"/") {
					t.Errorf("%s imports %s: only %s/ may; go through virt", p.ImportPath, imp, libvirtOwner)
				}
			}
		}
		if !within(p.ImportPath, netlinkOwner) {
			for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
				if imp == netlinkPkg || strings.HasPrefix(imp, netlinkPkg+"/") {
					t.Errorf("%s imports %s: only %s/ may; go through hostnet", p.ImportPath, imp, netlinkOwner)
				}
			}
		}
		for _, l := range layers {
			if !within(p.ImportPath, l.part) {
				continue
			}
			paths := reach(pkgs, p)
			for _, dep := range slices.Sorted(maps.Keys(paths)) {
				chain := paths[dep]
				for _, f := range l.forbidden {
					if within(dep, f) && !within(dep, l.part) {
						t.Errorf("%s/ may not reach %s: %s", l.part, dep, strings.Join(chain, " -> "))
					}
				}
			}
		}
	}
}
