package vm

import (
	"errors"
	"testing"

	"github.com/hostagent/hostagent/virt"
)

// destroyWith follows vm.py _destroyVm: graceful tries up to the count, the forceful destroy
// only when no graceful one was tried or the last failed as a stuck process fails.
func TestDestroyWith(t *testing.T) {
	stuckErr := &virt.Error{Op: "destroy", Code: virt.CodeOperationFailed, Message: "Failed to terminate process with SIGTERM"}
	sysErr := &virt.Error{Op: "destroy", Code: virt.CodeSystemError, Message: "kill: permission denied"}
	offErr := &virt.Error{Op: "destroy", Code: virt.CodeOperationInvalid, Message: "domain is not running"}
	for _, tc := range []struct {
		name              string
		attempts          int
		graceful          []error // what each graceful try returns, in order
		wantTries, wantFo int
		wantErr           error
	}{
		{"no graceful try: forceful at once", 0, nil, 0, 1, nil},
		{"first graceful try works", 1, []error{nil}, 1, 0, nil},
		{"third of three works", 3, []error{stuckErr, stuckErr, nil}, 3, 0, nil},
		{"stuck every time: forceful after the last", 2, []error{stuckErr, stuckErr}, 2, 1, nil},
		{"system error: forceful", 1, []error{sysErr}, 1, 1, nil},
		{"domain off: no forceful, the error stands", 1, []error{offErr}, 1, 0, offErr},
		{"stuck then off: the last decides", 2, []error{stuckErr, offErr}, 2, 0, offErr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tries, forceful := 0, 0
			err := destroyWith(tc.attempts,
				func() error { tries++; return tc.graceful[tries-1] },
				func() error { forceful++; return nil })
			if tries != tc.wantTries || forceful != tc.wantFo || !errors.Is(err, tc.wantErr) {
				t.Fatalf("tries %d forceful %d err %v; want %d %d %v", tries, forceful, err, tc.wantTries, tc.wantFo, tc.wantErr)
			}
		})
	}
}
