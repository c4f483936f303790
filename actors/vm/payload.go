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

// buildPayload writes the image of one payload disk at its Path: the files, base64 in the
// metadata, laid out in a scratch tree, then an ISO 9660 image with Rock Ridge and Joliet names
// and the payload's volume id as its label (cloud-init finds config-2 or cidata by that label).
// Only CD-ROM payloads are built; the image is readable by its owner and group only, as VDSM
// keeps it, for it may hold passwords.
func buildPayload(d domxml.PayloadDisk) error {
	if d.Device != "cdrom" {
		return fmt.Errorf("payload disk %s: %s payloads are not supported, only cdrom", d.Name, d.Device)
	}
	tool, err := isoTool()
	if err != nil {
		return fmt.Errorf("payload disk %s: %w", d.Name, err)
	}
	tree, err := os.MkdirTemp("", "hostagent-payload-")
	if err != nil {
		return fmt.Errorf("payload disk %s: %w", d.Name, err)
	}
	defer os.RemoveAll(tree)
	for name, content := range d.Payload.Files {
		if err := writePayloadFile(tree, name, content); err != nil {
			return fmt.Errorf("payload disk %s: %w", d.Name, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(d.Path), 0o755); err != nil {
		return fmt.Errorf("payload disk %s: %w", d.Name, err)
	}
	// A stale image (a VM defined again under the same id) goes first; creating the file before
	// the tool runs fixes its mode, which the tool keeps when it truncates.
	_ = os.Remove(d.Path)
	f, err := os.OpenFile(d.Path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("payload disk %s: %w", d.Name, err)
	}
	f.Close()
	args := append(tool[1:], "-R", "-J", "-quiet", "-o", d.Path)
	if d.Payload.VolID != "" {
		args = append(args, "-V", d.Payload.VolID)
	}
	args = append(args, tree)
	var stderr bytes.Buffer
	cmd := exec.Command(tool[0], args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		_ = os.Remove(d.Path)
		return fmt.Errorf("payload disk %s: %s: %v: %s", d.Name, filepath.Base(tool[0]), err, strings.TrimSpace(stderr.String()))
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
