package vm

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Each testdata/migration/schedule_*.txt is a schedule and the samples of one migration:
//
//	schedule JSON           the engine's convergenceSchedule (none: no schedule)
//	error MESSAGE           the schedule is refused with this error
//	start -> ACTIONS        what the monitor does as the migration starts
//	pass N -> ACTIONS       what it does on a job-info sample reporting memory pass N
//	switched -> -           libvirt accepted the switch to post-copy
//	flags -> postcopy|-     whether the migration starts with post-copy allowed
//
// ACTIONS are comma-separated, "-" for none.
func TestConvergenceScheduleTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/migration/schedule_*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var sched *ConvergenceSchedule
			var conv *convergence
			var parseErr error
			for n, line := range strings.Split(string(b), "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				verb, rest, _ := strings.Cut(line, " ")
				if verb == "schedule" {
					sched, parseErr = ParseConvergenceSchedule([]byte(rest))
					continue
				}
				if verb == "error" {
					if parseErr == nil || parseErr.Error() != rest {
						t.Fatalf("line %d: error %v, want %q", n+1, parseErr, rest)
					}
					return
				}
				if parseErr != nil {
					t.Fatalf("line %d: %v", n+1, parseErr)
				}
				what, want, ok := strings.Cut(line, " -> ")
				if !ok {
					t.Fatalf("line %d: no ' -> ': %q", n+1, line)
				}
				var got []ConvergenceAction
				switch {
				case what == "start":
					got, conv = sched.start()
				case strings.HasPrefix(what, "pass "):
					pass, err := strconv.ParseUint(strings.TrimPrefix(what, "pass "), 10, 64)
					if err != nil || conv == nil {
						t.Fatalf("line %d: %q (started: %v)", n+1, what, conv != nil)
					}
					got = conv.sample(pass)
				case what == "switched":
					conv.switched()
				case what == "flags":
					if sched.wantsPostCopy() {
						got = []ConvergenceAction{{Name: ActionPostCopy}}
					}
				default:
					t.Fatalf("line %d: unknown %q", n+1, what)
				}
				if s := actionsString(got); s != want {
					t.Errorf("line %d: %s -> %s, want %s", n+1, what, s, want)
				}
			}
		})
	}
}

func actionsString(as []ConvergenceAction) string {
	if len(as) == 0 {
		return "-"
	}
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	return strings.Join(s, ",")
}
