package hostnet

import (
	"errors"
	"fmt"
)

// ApplyError is a plan that failed at one step and was rolled back. RollbackErr is set when
// the rollback itself failed somewhere: the host may then differ from where it started.
type ApplyError struct {
	Step        Step
	Err         error
	RollbackErr error
}

func (e *ApplyError) Error() string {
	if e.RollbackErr != nil {
		return fmt.Sprintf("%v; rollback incomplete: %v", e.Err, e.RollbackErr)
	}
	return e.Err.Error()
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Execute applies a plan's changes in order. When one fails, the changes already applied are
// undone, newest first, and the error says which step failed and whether the undo was complete.
func (h *Handle) Execute(p Plan) error {
	for i, c := range p.Changes {
		if err := h.Apply(c.Do); err != nil {
			return &ApplyError{Step: c.Do, Err: err, RollbackErr: h.Run(p.Rollback(i))}
		}
	}
	return nil
}

// Rollback undoes every change of a plan that was applied completely.
func (h *Handle) Rollback(p Plan) error { return h.Run(p.Rollback(len(p.Changes))) }

// Run applies steps in order and goes on past a failing one, so that one stuck step does not
// leave everything after it undone; it returns every failure.
func (h *Handle) Run(steps []Step) error {
	var errs []error
	for _, s := range steps {
		if err := h.Apply(s); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
