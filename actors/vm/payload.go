package vm

// Payload images: the cloud-init or sysprep files an engine puts in a payload disk's metadata,
// made into the image the disk's source points at before the domain is defined, and removed
// with the VM (VDSM's mkimage.mkIsoFs and releaseVm).

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hostagent/hostagent/engine/domxml"
)

// isoTools are the ISO 9660 writers tried in turn, each with the words that make it take
// mkisofs' options: VDSM runs mkisofs (genisoimage) -R -J -V.
var isoTools = [][]string{{"genisoimage"}, {"mkisofs"}, {"xorriso", "-as", "mkisofs"}}

// ErrNoISOTool is a payload that cannot be built because no ISO 9660 writer is installed.
var ErrNoISOTool = errors.New("no ISO 9660 image tool found (genisoimage, mkisofs or xorriso); install the genisoimage package")

func isoTool() ([]string, error) {
	for _, t := range isoTools {
		if p, err := exec.LookPath(t[0]); err == nil {
			return append([]string{p}, t[1:]...), nil
		}
	}
	return nil, ErrNoISOTool
}

// ErrNoFloppyTool is a floppy payload that cannot be built because mtools is not installed.
var ErrNoFloppyTool = errors.New("no FAT floppy image tool found (mformat and mcopy); install the mtools package")

// buildPayload writes the image of one payload disk at its Path, from the files the metadata
// holds base64-encoded, laid out in a scratch tree: a CD-ROM (cloud-init) becomes an ISO 9660
// image with Rock Ridge and Joliet names, labelled with the payload's volume id (cloud-init
// finds config-2 or cidata by it), as VDSM's mkIsoFs makes it; a floppy (sysprep) a 1.44 MB
// FAT image, as its mkFloppyFs does, made with mtools instead of a loop mount. The image is
// readable by its owner and group only, as VDSM keeps it, for it may hold passwords.
func buildPayload(d domxml.PayloadDisk) error {
	if err := buildPayloadImage(d); err != nil {
		return fmt.Errorf("payload disk %s: %w", d.Name, err)
	}
	return nil
}

func buildPayloadImage(d domxml.PayloadDisk) error {
	var build func(tree string) error
	switch d.Device {
	case "cdrom":
		tool, err := isoTool()
		if err != nil {
			return err
		}
		build = func(tree string) error {
			args := append(tool[1:], "-R", "-J", "-quiet", "-o", d.Path)
			if d.Payload.VolID != "" {
				args = append(args, "-V", d.Payload.VolID)
			}
			return run(tool[0], append(args, tree)...)
		}
	case "floppy":
		mformat, err1 := exec.LookPath("mformat")
		mcopy, err2 := exec.LookPath("mcopy")
		if err1 != nil || err2 != nil {
			return ErrNoFloppyTool
		}
		build = func(tree string) error {
			args := []string{"-C", "-f", "1440", "-i", d.Path}
			if d.Payload.VolID != "" {
				args = append(args, "-v", d.Payload.VolID)
			}
			if err := run(mformat, append(args, "::")...); err != nil {
				return err
			}
			top, err := filepath.Glob(filepath.Join(tree, "*"))
			if err != nil || len(top) == 0 {
				return err
			}
			return run(mcopy, append(append([]string{"-s", "-i", d.Path}, top...), "::/")...)
		}
	default:
		return fmt.Errorf("a %q payload disk: only cdrom and floppy payloads exist", d.Device)
	}
	tree, err := os.MkdirTemp("", "hostagent-payload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tree)
	for name, content := range d.Payload.Files {
		if err := writePayloadFile(tree, name, content); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(d.Path), 0o755); err != nil {
		return err
	}
	// A stale image (a VM defined again under the same id) goes first; creating the file before
	// the tool runs fixes its mode, which the tools keep when they truncate.
	_ = os.Remove(d.Path)
	f, err := os.OpenFile(d.Path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	f.Close()
	if err := build(tree); err != nil {
		_ = os.Remove(d.Path)
		return err
	}
	return nil
}

// run runs one image tool; its error says which tool and what it printed.
func run(tool string, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.Command(tool, args...)
	cmd.Stderr = &stderr
	// mtools checks a floppy image's geometry against its own table; the images made here are
	// standard 1.44 MB ones.
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(tool), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// writePayloadFile puts one file of the payload under tree. Its name is a path inside the image;
// one that would leave the tree is refused.
func writePayloadFile(tree, name, content string) error {
	rel := filepath.Clean(name)
	if filepath.IsAbs(rel) || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("file %q: not a path inside the image", name)
	}
	data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(content), ""))
	if err != nil {
		return fmt.Errorf("file %q: content is not base64: %w", name, err)
	}
	path := filepath.Join(tree, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o640)
}

// removePayloads removes every payload image of a VM under dir.
func removePayloads(dir, vmID string) error {
	if dir == "" {
		return nil
	}
	imgs, err := filepath.Glob(domxml.PayloadPath(dir, vmID, "*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, img := range imgs {
		if err := os.Remove(img); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
