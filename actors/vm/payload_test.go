package vm

import (
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/engine/domxml"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// isoinfo reads an image with genisoimage's own reader, not ours: path "" gives the volume
// header, otherwise the file's content through its Joliet name.
func isoinfo(t *testing.T, img, path string) string {
	t.Helper()
	args := []string{"-d", "-i", img}
	if path != "" {
		args = []string{"-J", "-x", path, "-i", img}
	}
	out, err := exec.Command("isoinfo", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("isoinfo %v: %v: %s", args, err, out)
	}
	return string(out)
}

// A cloud-init payload becomes an ISO 9660 image labelled with its volume id, holding every file
// under its path (Joliet names keep case and length), readable by owner and group only.
func TestBuildPayloadISO(t *testing.T) {
	img := filepath.Join(t.TempDir(), "payload", "vm.sdb.img")
	userData := "#cloud-config\nssh_pwauth: true\n"
	d := domxml.PayloadDisk{Name: "sdb", Device: "cdrom", Path: img, Payload: &domxml.Payload{
		VolID: "config-2",
		Files: map[string]string{
			"openstack/latest/meta_data.json": b64(`{"uuid": "7a1b2c3d"}`),
			// The engine's base64 may be wrapped.
			"openstack/latest/user_data": b64(userData)[:8] + "\n" + b64(userData)[8:],
		},
	}}
	if err := os.MkdirAll(filepath.Dir(img), 0o755); err != nil {
		t.Fatal(err)
	}
	// A stale image from an earlier VM under the same id is replaced.
	if err := os.WriteFile(img, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := buildPayload(d); err != nil {
		t.Fatalf("buildPayload: %v", err)
	}
	if got := isoinfo(t, img, "/openstack/latest/user_data"); got != userData {
		t.Errorf("user_data in the image: %q", got)
	}
	if got := isoinfo(t, img, "/openstack/latest/meta_data.json"); got != `{"uuid": "7a1b2c3d"}` {
		t.Errorf("meta_data.json in the image: %q", got)
	}
	if hdr := isoinfo(t, img, ""); !strings.Contains(hdr, "Volume id: config-2") || !strings.Contains(hdr, "Joliet") {
		t.Errorf("image header:\n%s", hdr)
	}
	if st, err := os.Stat(img); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("image mode: %v %v", st.Mode(), err)
	}
}

// What cannot be built is refused with the reason, and leaves no image behind.
func TestBuildPayloadRefused(t *testing.T) {
	dir := t.TempDir()
	disk := func(device string, files map[string]string) domxml.PayloadDisk {
		return domxml.PayloadDisk{Name: "hdc", Device: device, Path: filepath.Join(dir, "vm.hdc.img"), Payload: &domxml.Payload{Files: files}}
	}
	for _, tc := range []struct {
		name string
		d    domxml.PayloadDisk
		want string
	}{
		{"neither cdrom nor floppy", disk("disk", map[string]string{"unattend.xml": b64("<x/>")}), "only cdrom and floppy payloads exist"},
		{"not base64", disk("cdrom", map[string]string{"user_data": "#cloud-config"}), "content is not base64"},
		{"leaves the tree", disk("cdrom", map[string]string{"../../etc/passwd": b64("x")}), "not a path inside the image"},
		{"absolute", disk("cdrom", map[string]string{"/etc/passwd": b64("x")}), "not a path inside the image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := buildPayload(tc.d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("buildPayload: %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(tc.d.Path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("an image was left: %v", err)
			}
		})
	}
	t.Run("no ISO tool", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		err := buildPayload(disk("cdrom", map[string]string{"user_data": b64("x")}))
		if !errors.Is(err, ErrNoISOTool) || !strings.Contains(err.Error(), "install the genisoimage package") {
			t.Fatalf("buildPayload without a tool: %v", err)
		}
	})
	t.Run("no floppy tool", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		err := buildPayload(disk("floppy", map[string]string{"unattend.xml": b64("x")}))
		if !errors.Is(err, ErrNoFloppyTool) || !strings.Contains(err.Error(), "install the mtools package") {
			t.Fatalf("buildPayload without a tool: %v", err)
		}
	})
}

// A sysprep payload becomes a 1.44 MB FAT floppy holding every file under its long name.
func TestBuildPayloadFloppy(t *testing.T) {
	img := filepath.Join(t.TempDir(), "vm.fda.img")
	unattend := "<?xml version=\"1.0\"?><unattend/>\n"
	d := domxml.PayloadDisk{Name: "fda", Device: "floppy", Path: img, Payload: &domxml.Payload{
		VolID: "SYSPREP",
		Files: map[string]string{"unattend.xml": b64(unattend), "scripts/first-logon.cmd": b64("echo hi\r\n")},
	}}
	if err := buildPayload(d); err != nil {
		t.Fatalf("buildPayload: %v", err)
	}
	mtype := func(path string) string {
		t.Helper()
		cmd := exec.Command("mtype", "-i", img, "::/"+path)
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("mtype %s: %v: %s", path, err, out)
		}
		return string(out)
	}
	if got := mtype("unattend.xml"); got != unattend {
		t.Errorf("unattend.xml on the floppy: %q", got)
	}
	if got := mtype("scripts/first-logon.cmd"); got != "echo hi\r\n" {
		t.Errorf("scripts/first-logon.cmd on the floppy: %q", got)
	}
	st, err := os.Stat(img)
	if err != nil || st.Size() != 1474560 || st.Mode().Perm() != 0o640 {
		t.Fatalf("floppy image: %v %v", st, err)
	}
	cmd := exec.Command("mlabel", "-s", "-i", img, "::")
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Volume label is SYSPREP") {
		t.Errorf("floppy label: %s %v", out, err)
	}
}

// A VM's images go with it, and only its own.
func TestRemovePayloads(t *testing.T) {
	dir := t.TempDir()
	mine := []string{domxml.PayloadPath(dir, "vm1", "hdc"), domxml.PayloadPath(dir, "vm1", "sdb")}
	other := domxml.PayloadPath(dir, "vm10", "hdc")
	for _, p := range append(mine, other) {
		if err := os.WriteFile(p, nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := removePayloads(dir, "vm1"); err != nil {
		t.Fatal(err)
	}
	for _, p := range mine {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left: %v", p, err)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another VM's image removed: %v", err)
	}
}
