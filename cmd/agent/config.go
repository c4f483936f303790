package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// A configuration file is `key = value` lines, the keys being `agent serve`'s flag names
// (without dashes); `#` starts a comment, and a key may repeat where its flag does
// (verb-deadline). Flags given on the command line win over the file. --print-config writes the
// effective configuration in the same format, so it can be saved and read back.

// notInFile are the flags that only make sense on a command line.
var notInFile = map[string]bool{"config": true, "print-config": true}

func applyConfigFile(fs *flag.FlagSet, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || key == "" {
			return fmt.Errorf("%s:%d: want key = value", path, n)
		}
		if notInFile[key] || fs.Lookup(key) == nil {
			return fmt.Errorf("%s:%d: unknown key %q", path, n, key)
		}
		if given[key] {
			continue
		}
		if err := fs.Set(key, value); err != nil {
			return fmt.Errorf("%s:%d: %s: %w", path, n, key, err)
		}
	}
	return sc.Err()
}

func printConfig(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, "# agent serve configuration (agent serve --print-config)")
	var names []string
	fs.VisitAll(func(fl *flag.Flag) {
		if !notInFile[fl.Name] {
			names = append(names, fl.Name)
		}
	})
	sort.Strings(names)
	for _, name := range names {
		fl := fs.Lookup(name)
		if vd, ok := fl.Value.(verbDeadlineFlag); ok {
			keys := make([]string, 0, len(vd))
			for k := range vd {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if len(keys) == 0 {
				fmt.Fprintf(w, "# %s = VERB=DURATION\n", name)
			}
			for _, k := range keys {
				fmt.Fprintf(w, "%s = %s=%s\n", name, k, vd[k])
			}
			continue
		}
		fmt.Fprintf(w, "%s = %s\n", name, fl.Value.String())
	}
}
