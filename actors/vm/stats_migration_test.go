package vm

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// A migration's source reports its progress among the running stats (vm.py _getRunningVmStats,
// isMigrating) until post-copy starts; then only the configuration, the progress and the pause
// code (vm.py getStats), with samples at hand or not. The post-copy destination and a source
// whose post-copy failed are ordinary.
func TestBuildStatsMigration(t *testing.T) {
	prev, cur := statsSamples()
	now := t0.Add(15 * time.Second)
	start := t0.Add(-time.Hour).UnixMilli()
	postCopy := State{Status: vdsm.StatusMigrationSource, StartTime: start, PostCopy: true, PauseCode: vdsm.PauseCodePostcopy}
	postCopyKeys := "acpiEnable kvmEnable migrationProgress pauseCode status statusTime vmId vmName vmType"
	tests := []struct {
		name       string
		s          State
		prev, cur  *Sample
		progress   int
		wantKeys   string // exactly these, sorted, when set
		want       map[string]any
		wantAbsent []string
	}{
		{name: "pre-copy source", s: State{Status: vdsm.StatusMigrationSource, CPURunning: true, StartTime: start},
			prev: prev, cur: cur, progress: 37,
			want:       map[string]any{"status": "Migration Source", "migrationProgress": float64(37), "cpuUser": "14.00", "elapsedTime": "3615"},
			wantAbsent: []string{"pauseCode"}},
		{name: "pre-copy source before any progress", s: State{Status: vdsm.StatusMigrationSource, CPURunning: true, StartTime: start},
			want: map[string]any{"status": "Migration Source", "migrationProgress": float64(0)}},
		{name: "post-copy source", s: postCopy, prev: prev, cur: cur, progress: 81,
			wantKeys: postCopyKeys,
			want: map[string]any{"status": "Paused", "pauseCode": "POSTCOPY", "migrationProgress": float64(81),
				"vmId": "vm-1", "vmName": "web1", "vmType": "kvm", "kvmEnable": "true", "acpiEnable": "true", "statusTime": "2147598647"}},
		{name: "post-copy source without samples", s: postCopy,
			wantKeys: postCopyKeys,
			want:     map[string]any{"status": "Paused", "migrationProgress": float64(0)}},
		{name: "post-copy destination", s: State{Status: vdsm.StatusMigrationDestination, CPURunning: true, StartTime: start},
			prev: prev, cur: cur, progress: 50,
			want:       map[string]any{"status": "Migration Destination", "cpuUser": "14.00"},
			wantAbsent: []string{"migrationProgress", "pauseCode"}},
		{name: "post-copy failed on the source", s: State{Status: vdsm.StatusDown, PostCopy: true, PauseCode: vdsm.PauseCodePostcopy,
			Exit: Exit{Code: vdsm.ExitCodeError, Reason: vdsm.ExitReasonPostcopyMigrationFailed, Message: "Migration failed in post-copy"}},
			prev: prev, cur: cur, progress: 90,
			wantKeys: "exitCode exitMessage exitReason status statusTime vmId",
			want:     map[string]any{"status": "Down", "exitReason": float64(12)}},
		{name: "back up after a failed pre-copy", s: State{Status: vdsm.StatusUp, CPURunning: true, StartTime: start},
			prev: prev, cur: cur,
			want:       map[string]any{"status": "Up"},
			wantAbsent: []string{"migrationProgress", "pauseCode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := BuildStats("vm-1", statsDomain.Name, tt.s, tt.prev, tt.cur, statsDomain, now, statsClock, tt.progress, true)
			b, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if tt.wantKeys != "" {
				keys := make([]string, 0, len(got))
				for k := range got {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				if strings.Join(keys, " ") != tt.wantKeys {
					t.Errorf("keys:\n got %s\nwant %s", strings.Join(keys, " "), tt.wantKeys)
				}
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
			for _, k := range tt.wantAbsent {
				if _, ok := got[k]; ok {
					t.Errorf("%s present: %v", k, got[k])
				}
			}
			if st.Status() != got["status"] || st.VMID() != "vm-1" {
				t.Errorf("Status() %q, VMID() %q", st.Status(), st.VMID())
			}
		})
	}
}

// VM_status events are cut from the running stats (vm.py builds them from _getRunningVmStats),
// which a source in post-copy keeps: recovery's event of a post-copy source carries them.
func TestEventStatsPostCopy(t *testing.T) {
	prev, cur := statsSamples()
	s := State{Status: vdsm.StatusMigrationSource, PostCopy: true, PauseCode: vdsm.PauseCodePostcopy, StartTime: t0.Add(-time.Hour).UnixMilli()}
	st := EventStats("vm-1", "n", s, prev, cur, statsDomain, t0.Add(15*time.Second), statsClock, 5, true)
	r, ok := EmitStatus{Kind: PayloadRunning}.Payload(st).(vdsm.RunningStatus)
	if !ok || r.Status != vdsm.StatusPaused || r.PauseCode != vdsm.PauseCodePostcopy || r.ElapsedTime != "3615" || r.CPUUser != "14.00" ||
		r.MigrationProgress == nil || *r.MigrationProgress != 5 {
		t.Errorf("running payload of a post-copy source: %+v", r)
	}
	b, err := json.Marshal(EmitStatus{Kind: PayloadPauseCode}.Payload(st))
	if want := `{"status":"Paused","pauseCode":"POSTCOPY"}`; err != nil || string(b) != want {
		t.Errorf("pause code payload: %s %v, want %s", b, err, want)
	}
}
