package hostnet

// Golden plans: each testdata/network/<case>.in.json is a host state and a setupNetworks
// request as the engine sends it; <case>.plan.json is the plan (or VDSM's error) the planner must
// produce. `go test ./hostnet -run TestPlanGolden -update` rewrites the expected files from what
// the code does; review the diff before committing it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

var update = flag.Bool("update", false, "rewrite testdata/network/*.plan.json from what the planner does")

type goldenInput struct {
	Current Current `json:"current"`
	Request struct {
		Networks json.RawMessage `json:"networks"`
		Bondings json.RawMessage `json:"bondings"`
		Options  json.RawMessage `json:"options"`
	} `json:"request"`
}

type goldenOutput struct {
	Error *vdsm.Error `json:"error,omitempty"`
	Plan  *Plan       `json:"plan,omitempty"`
}

func TestPlanGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("..", "testdata", "network", "*.in.json"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var gi goldenInput
			if err := json.Unmarshal(raw, &gi); err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			got := runPlanner(gi)
			want := strings.TrimSuffix(in, ".in.json") + ".plan.json"
			gotJSON, _ := json.MarshalIndent(got, "", "  ")
			gotJSON = append(gotJSON, '\n')
			if *update {
				if err := os.WriteFile(want, gotJSON, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantJSON, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Errorf("%s differs from the plan made now:\n%s", want, gotJSON)
			}
			if got.Plan != nil {
				checkInverse(t, gi.Current, *got.Plan)
			}
		})
	}
}

func runPlanner(gi goldenInput) goldenOutput {
	req, err := DecodeRequest(gi.Request.Networks, gi.Request.Bondings, gi.Request.Options)
	if err == nil {
		var p Plan
		if p, err = PlanSetup(gi.Current, req); err == nil {
			return goldenOutput{Plan: &p}
		}
	}
	var ve *vdsm.Error
	if !errors.As(err, &ve) {
		ve = &vdsm.Error{Code: -1, Message: err.Error()}
	}
	return goldenOutput{Error: ve}
}

// checkInverse replays each prefix of a plan (the changes applied before a step failed, the
// whole plan when the change is not confirmed) and then its rollback on the planner's own link
// model, and requires the model to end where it started: an inverse that forgets something, or
// that relies on a later change having been made, shows here.
func checkInverse(t *testing.T, cur Current, p Plan) {
	t.Helper()
	want := newPlanner(cur).snapshot()
	for applied := len(p.Changes); applied >= 0; applied-- {
		m := newPlanner(cur)
		for _, c := range p.Changes[:applied] {
			if err := m.apply(c.Do); err != nil {
				t.Errorf("plan step %s %s: %v", c.Do.Op, c.Do.Link, err)
			}
		}
		for _, s := range p.Rollback(applied) {
			if err := m.apply(s); err != nil {
				t.Errorf("rollback of %d of %d changes, step %s %s: %v", applied, len(p.Changes), s.Op, s.Link, err)
			}
		}
		if got := m.snapshot(); got != want {
			t.Errorf("rollback of %d of %d changes does not restore the state:\nafter rollback %s\nbefore         %s",
				applied, len(p.Changes), got, want)
		}
		if t.Failed() {
			return // one failing prefix says it; the shorter ones would repeat it
		}
	}
}
