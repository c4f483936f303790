package net

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hostagent/hostagent/hostnet"
)

// store keeps the running and the safe configuration as JSON files in one directory. Each write
// goes to a temporary file renamed over the old one, so a crash leaves either the old or the new
// configuration, never half of one.
type store struct{ dir string }

const (
	runningFile = "running.json"
	safeFile    = "safe.json"
	// unsavedFile is the undo journal: the steps that take the kernel back to where it was at
	// the last setSafeNetworkConfig, newest change's first. Replaying it restores what no
	// configuration records, such as the address a NIC had before a network took it over.
	unsavedFile = "unsaved.json"
)

func emptyConfig() hostnet.Config {
	return hostnet.Config{Networks: map[string]hostnet.Network{}, Bonds: map[string]hostnet.Bond{}}
}

// load reads one configuration; a missing file is the empty configuration.
func (s store) load(name string) (hostnet.Config, error) {
	c := emptyConfig()
	if s.dir == "" {
		return c, nil
	}
	b, err := os.ReadFile(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", filepath.Join(s.dir, name), err)
	}
	if c.Networks == nil {
		c.Networks = map[string]hostnet.Network{}
	}
	if c.Bonds == nil {
		c.Bonds = map[string]hostnet.Bond{}
	}
	for k, n := range c.Networks {
		n.Name = k
		c.Networks[k] = n
	}
	for k, b := range c.Bonds {
		b.Name = k
		c.Bonds[k] = b
	}
	return c, nil
}

func (s store) save(name string, c hostnet.Config) error {
	if s.dir == "" {
		return nil
	}
	return s.saveJSON(name, c)
}

func (s store) saveJSON(name string, v any) error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, name+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(s.dir, name))
}

func (s store) loadJournal() ([]hostnet.Step, error) {
	if s.dir == "" {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(s.dir, unsavedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var steps []hostnet.Step
	if err := json.Unmarshal(b, &steps); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(s.dir, unsavedFile), err)
	}
	return steps, nil
}

func (s store) saveJournal(steps []hostnet.Step) error {
	if s.dir == "" {
		return nil
	}
	if len(steps) == 0 {
		err := os.Remove(filepath.Join(s.dir, unsavedFile))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return s.saveJSON(unsavedFile, steps)
}
