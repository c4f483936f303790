package vm

// Transcripts of the status machine, replayed by TestStatusTranscripts.
//
// A transcript (testdata/vmstatus/*.txt) is the life of one VM, as text:
//
//	# comment (kept by -update, like blank lines)
//	@1s StartSucceeded
//	  state: status=Up reported="Powering up" cpu=running start=@0s guest="Powering up"@0s
//	  effect: SaveMetadata start=@0s
//	  effect: EmitStatus running status="Powering up"
//
// An input line starts at column 0: "@<offset> <Event> [key=value|flag ...]". The offset is a Go
// duration from the epoch 2024-01-01T00:00:00Z and is the step's "now"; offsets in values
// (start=@-5m) are read the same way. <Event> is an Event type's name, "check" (look at the
// state at that time, no step) or "reset" (forget the VM; the next line starts a new one).
// Values with spaces are double-quoted Go strings; libvirt details and states are written by
// name (detail=shutdown, state=paused reason=postcopy) or as numbers.
//
// The indented lines under an input are its expected output: one "state:" line (the State
// after the step and the status Reported at that time; fields at their zero value are left
// out) and one "effect:" line per effect, in order. EmitStatus shows the payload it would send,
// as JSON, except the long running and guest payloads, which show their status only.
//
// go test ./actors/vm -run TestStatusTranscripts -update rewrites the expected lines from what
// the code does; review the diff before trusting it.

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

var update = flag.Bool("update", false, "rewrite the expected lines of testdata/vmstatus transcripts")

var transcriptEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// The clock of the transcripts: one hour after boot at the epoch.
var transcriptClock = NewClock(transcriptEpoch, time.Hour)

func TestStatusTranscripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "vmstatus", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no transcripts in testdata/vmstatus")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			replayTranscript(t, file)
		})
	}
}

// transcriptBlock is a comment line, or an input line with its expected output.
type transcriptBlock struct {
	line     int
	text     string   // the comment or the input, verbatim
	expected []string // output lines without their indentation
	input    bool
}

func readTranscript(path string) ([]transcriptBlock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var blocks []transcriptBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "  "):
			if len(blocks) == 0 || !blocks[len(blocks)-1].input {
				return nil, fmt.Errorf("%s:%d: output line without an input", path, n)
			}
			b := &blocks[len(blocks)-1]
			b.expected = append(b.expected, strings.TrimPrefix(line, "  "))
		case strings.HasPrefix(line, "@"):
			blocks = append(blocks, transcriptBlock{line: n, text: line, input: true})
		case line == "" || strings.HasPrefix(line, "#"):
			blocks = append(blocks, transcriptBlock{line: n, text: line})
		default:
			return nil, fmt.Errorf("%s:%d: neither a comment, an input nor an output: %q", path, n, line)
		}
	}
	return blocks, sc.Err()
}

func replayTranscript(t *testing.T, path string) {
	blocks, err := readTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	var s State
	downs := 0
	var out strings.Builder
	for i := range blocks {
		b := &blocks[i]
		out.WriteString(b.text + "\n")
		if !b.input {
			continue
		}
		now, name, args, err := parseInput(b.text)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, b.line, err)
		}
		var effects []Effect
		switch name {
		case "check":
		case "reset":
			s, downs = State{}, 0
		default:
			ev, err := parseEvent(name, args)
			if err != nil {
				t.Fatalf("%s:%d: %v", path, b.line, err)
			}
			if _, ok := ev.(Recovered); ok {
				downs = 0
			}
			wasDown := s.Status == vdsm.StatusDown
			s, effects = Step(s, ev, now)
			if _, ok := ev.(Recovered); !ok && wasDown && s.Status != vdsm.StatusDown {
				t.Errorf("%s:%d: left Down: %+v", path, b.line, s)
			}
		}
		got := []string{"state: " + formatState(s, now)}
		for _, e := range effects {
			if es, ok := e.(EmitStatus); ok && es.Kind == PayloadDown {
				if downs++; downs > 1 {
					t.Errorf("%s:%d: Down reported twice", path, b.line)
				}
			}
			got = append(got, "effect: "+formatEffect(e, s, now))
		}
		if !*update && strings.Join(got, "\n") != strings.Join(b.expected, "\n") {
			t.Errorf("%s:%d: %s\n got:\n  %s\nwant:\n  %s", path, b.line, b.text,
				strings.Join(got, "\n  "), strings.Join(b.expected, "\n  "))
		}
		for _, g := range got {
			out.WriteString("  " + g + "\n")
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// parseInput splits "@<offset> <name> args...".
func parseInput(line string) (time.Time, string, map[string]string, error) {
	fields, err := splitFields(line)
	if err != nil {
		return time.Time{}, "", nil, err
	}
	if len(fields) < 2 {
		return time.Time{}, "", nil, fmt.Errorf("want \"@<offset> <event> [args]\", got %q", line)
	}
	now, err := parseOffset(fields[0])
	if err != nil {
		return time.Time{}, "", nil, err
	}
	args := make(map[string]string)
	for _, f := range fields[2:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			v = "true" // a bare word is a flag
		} else if strings.HasPrefix(v, `"`) {
			if v, err = strconv.Unquote(v); err != nil {
				return time.Time{}, "", nil, fmt.Errorf("argument %s: %v", k, err)
			}
		}
		args[k] = v
	}
	return now, fields[1], args, nil
}

// splitFields splits on spaces, keeping double-quoted parts (with Go escapes) together.
func splitFields(line string) ([]string, error) {
	var fields []string
	var cur strings.Builder
	inQuote, escaped := false, false
	for _, r := range line {
		switch {
		case escaped:
			escaped = false
		case inQuote && r == '\\':
			escaped = true
		case r == '"':
			inQuote = !inQuote
		case r == ' ' && !inQuote:
			if cur.Len() > 0 {
				fields = append(fields, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated quote in %q", line)
	}
	if cur.Len() > 0 {
		fields = append(fields, cur.String())
	}
	return fields, nil
}

func parseOffset(s string) (time.Time, error) {
	if !strings.HasPrefix(s, "@") {
		return time.Time{}, fmt.Errorf("time %q does not start with @", s)
	}
	d, err := time.ParseDuration(s[1:])
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %v", s, err)
	}
	return transcriptEpoch.Add(d), nil
}

func formatOffset(t time.Time) string { return "@" + t.Sub(transcriptEpoch).String() }

func formatOffsetMs(ms int64) string { return formatOffset(time.UnixMilli(ms)) }

// Names of libvirt's numbers, per family, as transcripts write them.
var (
	domainStateNames = map[string]int{
		"nostate": DomainNoState, "running": DomainRunning, "blocked": DomainBlocked, "paused": DomainPaused,
		"shutdown": DomainShutdown, "shutoff": DomainShutoff, "crashed": DomainCrashed, "pmsuspended": DomainPMSuspended,
	}
	stateReasonNames = map[int]map[string]int{
		DomainRunning: {"unknown": RunningUnknown, "booted": RunningBooted, "migrated": RunningMigrated, "postcopy": RunningPostcopy},
		DomainPaused: {"unknown": PausedUnknown, "user": PausedUser, "migration": PausedMigration, "ioerror": PausedIOError,
			"postcopy": PausedPostcopy, "postcopy_failed": PausedPostcopyFailed},
		DomainShutoff: {"unknown": ShutoffUnknown, "shutdown": ShutoffShutdown, "destroyed": ShutoffDestroyed, "crashed": ShutoffCrashed,
			"migrated": ShutoffMigrated, "saved": ShutoffSaved, "failed": ShutoffFailed},
	}
	startedNames   = map[string]int{"booted": StartedBooted, "migrated": StartedMigrated, "restored": StartedRestored}
	suspendedNames = map[string]int{"paused": SuspendedPaused, "migrated": SuspendedMigrated, "ioerror": SuspendedIOError,
		"watchdog": SuspendedWatchdog, "restored": SuspendedRestored, "from_snapshot": SuspendedFromSnapshot,
		"api_error": SuspendedAPIError, "postcopy": SuspendedPostcopy, "postcopy_failed": SuspendedPostcopyFailed}
	resumedNames = map[string]int{"unpaused": ResumedUnpaused, "migrated": ResumedMigrated, "from_snapshot": ResumedFromSnapshot,
		"postcopy": ResumedPostcopy, "postcopy_failed": ResumedPostcopyFailed}
	stoppedNames = map[string]int{"shutdown": StoppedShutdown, "destroyed": StoppedDestroyed, "crashed": StoppedCrashed,
		"migrated": StoppedMigrated, "saved": StoppedSaved, "failed": StoppedFailed, "from_snapshot": StoppedFromSnapshot}
	shutdownNames = map[string]int{"finished": ShutdownFinished, "guest": ShutdownGuest, "host": ShutdownHost}
	ioActionNames = map[string]int{"none": IOErrorNone, "pause": IOErrorPause, "report": IOErrorReport}
)

// eventArgs reads an event's arguments and complains about the ones nobody asked for.
type eventArgs struct {
	m    map[string]string
	used map[string]bool
	err  error
}

func (a *eventArgs) str(k string) string {
	a.used[k] = true
	return a.m[k]
}

func (a *eventArgs) flag(k string) bool { return a.str(k) == "true" }

func (a *eventArgs) num(k string, names map[string]int) int {
	v := a.str(k)
	if v == "" {
		return 0
	}
	if n, ok := names[v]; ok {
		return n
	}
	n, err := strconv.Atoi(v)
	if err != nil && a.err == nil {
		a.err = fmt.Errorf("%s=%q is neither a known name nor a number", k, v)
	}
	return n
}

func (a *eventArgs) ms(k string) int64 {
	v := a.str(k)
	if v == "" {
		return 0
	}
	t, err := parseOffset(v)
	if err != nil && a.err == nil {
		a.err = err
	}
	return t.UnixMilli()
}

func parseEvent(name string, m map[string]string) (Event, error) {
	a := &eventArgs{m: m, used: map[string]bool{}}
	var ev Event
	switch name {
	case "Created":
		ev = Created{LaunchPaused: a.flag("launchPaused"), DestroyOnReboot: a.flag("destroyOnReboot")}
	case "StartSucceeded":
		ev = StartSucceeded{}
	case "StartFailed":
		ev = StartFailed{Reason: a.num("reason", nil), Message: a.str("message")}
	case "PauseDone":
		ev = PauseDone{}
	case "ContDone":
		ev = ContDone{}
	case "ShutdownRequested":
		ev = ShutdownRequested{Reboot: a.flag("reboot")}
	case "ResetDone":
		ev = ResetDone{}
	case "DestroyRequested":
		ev = DestroyRequested{}
	case "DestroyDone":
		ev = DestroyDone{}
	case "SetDestroyOnReboot":
		ev = SetDestroyOnReboot{}
	case "DestroyFailed":
		ev = DestroyFailed{}
	case "DomainMissing":
		ev = DomainMissing{}
	case "LibvirtStarted":
		ev = LibvirtStarted{Detail: a.num("detail", startedNames)}
	case "LibvirtSuspended":
		ev = LibvirtSuspended{Detail: a.num("detail", suspendedNames)}
	case "LibvirtResumed":
		ev = LibvirtResumed{Detail: a.num("detail", resumedNames)}
	case "LibvirtStopped":
		ev = LibvirtStopped{Detail: a.num("detail", stoppedNames)}
	case "LibvirtShutdown":
		ev = LibvirtShutdown{Detail: a.num("detail", shutdownNames)}
	case "LibvirtReboot":
		ev = LibvirtReboot{}
	case "LibvirtIOError":
		ev = LibvirtIOError{Alias: a.str("alias"), Name: a.str("name"), Path: a.str("path"),
			Reason: a.str("reason"), Action: a.num("action", ioActionNames)}
	case "LibvirtRTCChange":
		ev = LibvirtRTCChange{Offset: int64(a.num("offset", nil))}
	case "Recovered":
		state := a.num("state", domainStateNames)
		r := Recovered{State: state, Reason: a.num("reason", stateReasonNames[state])}
		r.Meta.StartTime = a.ms("start")
		r.Meta.DestroyOnReboot = a.flag("destroyOnReboot")
		if m["exitReason"] != "" {
			r.Meta.Exit = &Exit{Code: a.num("exitCode", nil), Reason: a.num("exitReason", nil), Message: a.str("exitMessage")}
		}
		ev = r
	default:
		if ev = migrationEvent(name, a); ev == nil { // status_migration_test.go
			if ev = agentEvent(name); ev == nil { // status_agent_test.go
				return nil, fmt.Errorf("unknown event %q", name)
			}
		}
	}
	if a.err != nil {
		return nil, fmt.Errorf("%s: %v", name, a.err)
	}
	var unused []string
	for k := range m {
		if !a.used[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return nil, fmt.Errorf("%s takes no %s", name, strings.Join(unused, ", "))
	}
	return ev, nil
}

// quoteIfNeeded keeps single words bare and quotes the rest.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \"=") {
		return strconv.Quote(s)
	}
	return s
}

func formatState(s State, now time.Time) string {
	if s.Status == "" {
		return "none"
	}
	parts := []string{"status=" + quoteIfNeeded(s.Status)}
	if last := LastStatus(s); last != s.Status {
		parts = append(parts, "last="+quoteIfNeeded(last))
	}
	parts = append(parts, "reported="+quoteIfNeeded(Reported(s, now)))
	if s.CPURunning {
		parts = append(parts, "cpu=running")
	} else {
		parts = append(parts, "cpu=stopped")
	}
	if s.PauseCode != "" {
		parts = append(parts, "pauseCode="+s.PauseCode)
	}
	if s.Status == vdsm.StatusDown {
		parts = append(parts, formatExit(s.Exit))
	}
	if s.ShutdownReason != 0 {
		parts = append(parts, fmt.Sprintf("latched=%d", s.ShutdownReason))
	}
	if s.StartTime != 0 {
		parts = append(parts, "start="+formatOffsetMs(s.StartTime))
	}
	if !s.GuestEventTime.IsZero() {
		parts = append(parts, "guest="+quoteIfNeeded(s.GuestEvent)+formatOffset(s.GuestEventTime))
	}
	for _, f := range []struct {
		on   bool
		name string
	}{
		{s.DestroyOnReboot, "destroyOnReboot"},
		{s.LaunchPaused, "launchPaused"},
		{s.Removing, "removing"},
		{s.PostCopy, "postcopy"},
	} {
		if f.on {
			parts = append(parts, f.name)
		}
	}
	if s.TimeOffset != "" {
		parts = append(parts, "timeOffset="+s.TimeOffset)
	}
	if s.AgentStatus != "" {
		parts = append(parts, "agent="+quoteIfNeeded(s.AgentStatus))
	}
	if s.Guest != nil && s.Guest.GuestFQDN != "" {
		parts = append(parts, "fqdn="+quoteIfNeeded(s.Guest.GuestFQDN))
	}
	return strings.Join(parts, " ")
}

func formatExit(e Exit) string {
	return fmt.Sprintf("exit=%d/%d/%s", e.Code, e.Reason, strconv.Quote(e.Message))
}

func formatEffect(e Effect, s State, now time.Time) string {
	switch e := e.(type) {
	case EmitStatus:
		st := EventStats("vm-1", "vm-1", s, nil, nil, DomainInfo{Type: "kvm"}, now, transcriptClock, 0, true)
		p := e.Payload(st)
		switch e.Kind {
		case PayloadRunning:
			return "EmitStatus running status=" + quoteIfNeeded(p.(vdsm.RunningStatus).Status)
		case PayloadGuest:
			return "EmitStatus guest status=" + quoteIfNeeded(p.(vdsm.GuestStatus).Status)
		}
		b, err := json.Marshal(p)
		if err != nil {
			return "EmitStatus " + e.Kind.String() + " <" + err.Error() + ">"
		}
		return "EmitStatus " + e.Kind.String() + " " + string(b)
	case SaveMetadata:
		parts := []string{"SaveMetadata"}
		if e.Meta.StartTime != 0 {
			parts = append(parts, "start="+formatOffsetMs(e.Meta.StartTime))
		}
		if e.Meta.DestroyOnReboot {
			parts = append(parts, "destroyOnReboot")
		}
		if e.Meta.Exit != nil {
			parts = append(parts, formatExit(*e.Meta.Exit))
		}
		return strings.Join(parts, " ")
	case DestroyDomain:
		return "DestroyDomain"
	case Remove:
		return "Remove"
	}
	return fmt.Sprintf("%T", e)
}
