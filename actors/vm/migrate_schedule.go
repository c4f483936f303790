package vm

// The convergence schedule of VM.migrate (the engine's migration policy), as VDSM's migration
// monitor runs it (migration.py MonitorThread): the init actions once the migration starts, then
// on each new memory pass the first stalling step whose limit the pass count exceeds, one step per
// pass. VDSM's stalling count is the number of passes since the monitor first saw the job (the
// iteration libvirt reports may include passes of an earlier, cancelled migration), not a count
// of samples without progress.
//
// Post-copy as VDSM runs it: a schedule with a "postcopy" stalling step starts the migration with
// VIR_MIGRATE_POSTCOPY (allowed, not yet switched); reaching that step asks libvirt to switch. A
// switch libvirt accepts ends the schedule (post-copy either completes or loses the VM, nothing
// is left to tune); a refused one leaves the next step for the next pass, which is why the
// engine puts an abort after it.

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Convergence actions.
const (
	ActionSetDowntime = "setDowntime"
	ActionAbort       = "abort"
	ActionPostCopy    = "postcopy"
)

// ConvergenceAction is one action of the schedule: setDowntime with its downtime in ms, or abort.
type ConvergenceAction struct {
	Name       string
	DowntimeMs uint64
}

func (a ConvergenceAction) String() string {
	if a.Name == ActionSetDowntime {
		return fmt.Sprintf("%s(%d)", a.Name, a.DowntimeMs)
	}
	return a.Name
}

// ConvergenceStep is a stalling step: its action runs on the first new pass past Limit.
type ConvergenceStep struct {
	Limit  int64
	Action ConvergenceAction
}

// ConvergenceSchedule is the engine's convergenceSchedule parameter.
type ConvergenceSchedule struct {
	Init     []ConvergenceAction
	Stalling []ConvergenceStep
}

// ParseConvergenceSchedule reads the engine's JSON:
// {"init": [{"name": "setDowntime", "params": ["100"]}],
// "stalling": [{"limit": 1, "action": {"name": "setDowntime", "params": ["150"]}}, ...]}.
func ParseConvergenceSchedule(raw json.RawMessage) (*ConvergenceSchedule, error) {
	type action struct {
		Name   string            `json:"name"`
		Params []json.RawMessage `json:"params"`
	}
	var in struct {
		Init     []action `json:"init"`
		Stalling []struct {
			Limit  json.Number `json:"limit"`
			Action action      `json:"action"`
		} `json:"stalling"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("convergenceSchedule: %w", err)
	}
	conv := func(a action) (ConvergenceAction, error) {
		switch a.Name {
		case ActionAbort, ActionPostCopy:
			return ConvergenceAction{Name: a.Name}, nil
		case ActionSetDowntime:
			if len(a.Params) != 1 {
				return ConvergenceAction{}, fmt.Errorf("convergenceSchedule: setDowntime takes one parameter, got %d", len(a.Params))
			}
			// VDSM: int(params[0]); the engine sends a string, a number is as good.
			var s string
			if json.Unmarshal(a.Params[0], &s) != nil {
				s = string(a.Params[0])
			}
			ms, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return ConvergenceAction{}, fmt.Errorf("convergenceSchedule: setDowntime %s: %w", a.Params[0], err)
			}
			return ConvergenceAction{Name: ActionSetDowntime, DowntimeMs: ms}, nil
		}
		return ConvergenceAction{}, fmt.Errorf("convergenceSchedule: unknown action %q", a.Name)
	}
	out := &ConvergenceSchedule{}
	for _, a := range in.Init {
		c, err := conv(a)
		if err != nil {
			return nil, err
		}
		out.Init = append(out.Init, c)
	}
	for _, st := range in.Stalling {
		limit, err := st.Limit.Int64()
		if err != nil {
			return nil, fmt.Errorf("convergenceSchedule: limit %q: %w", st.Limit, err)
		}
		c, err := conv(st.Action)
		if err != nil {
			return nil, err
		}
		out.Stalling = append(out.Stalling, ConvergenceStep{Limit: limit, Action: c})
	}
	return out, nil
}

// convergence runs one migration's schedule: fed libvirt's memory pass at each sample, it says
// what to do. The zero value of seen means no sample yet.
type convergence struct {
	steps   []ConvergenceStep
	seen    bool
	initial uint64
	last    uint64
	done    bool // aborted: nothing more to do
	// postCopy: the switch to post-copy was accepted; the monitor goes on reporting progress
	// but applies no further step.
	postCopy bool
}

// wantsPostCopy: the schedule has a postcopy stalling step, so the migration must start with
// post-copy allowed (migration.py _migration_flags; an init action does not count).
func (s *ConvergenceSchedule) wantsPostCopy() bool {
	if s == nil {
		return false
	}
	for _, st := range s.Stalling {
		if st.Action.Name == ActionPostCopy {
			return true
		}
	}
	return false
}

// switched records that libvirt accepted the switch to post-copy.
func (c *convergence) switched() { c.postCopy = true }

// start returns the init actions and arms the stalling steps.
func (s *ConvergenceSchedule) start() ([]ConvergenceAction, *convergence) {
	if s == nil {
		return nil, &convergence{}
	}
	return s.Init, &convergence{steps: append([]ConvergenceStep(nil), s.Stalling...)}
}

// sample takes the memory pass of a job-info sample of the running outgoing migration.
func (c *convergence) sample(iteration uint64) []ConvergenceAction {
	if c.done {
		return nil
	}
	if !c.seen {
		c.seen, c.initial, c.last = true, iteration, iteration
		return nil
	}
	if iteration <= c.last || c.postCopy {
		return nil
	}
	c.last = iteration
	if len(c.steps) == 0 {
		return nil
	}
	head := c.steps[0]
	if head.Limit >= int64(iteration-c.initial) {
		return nil
	}
	c.steps = c.steps[1:]
	if head.Action.Name == ActionAbort {
		c.done = true
	}
	return []ConvergenceAction{head.Action}
}
