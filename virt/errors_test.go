package virt

import (
	"errors"
	"fmt"
	"testing"
)

// libvirt's failures come back typed: the code and libvirt's own message (what VDSM shows the
// engine), with the sentinels callers branch on.
func TestErrorsAreTyped(t *testing.T) {
	c := openPrivate(t)
	uuid := "6a1f0b8e-0000-4000-8000-0000000000e1"
	if _, err := c.Define(fmt.Sprintf(testDomain, "vme", uuid, "vme", "vme")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		op       string
		call     func(string) error
		code     int
		msg      string
		sentinel error
	}{
		// The test driver refuses to suspend a domain that is not running as an internal error.
		{"suspend", c.Suspend, CodeInternal, "internal error: domain 'vme' not running", nil},
		{"reset", c.Reset, CodeOperationInvalid, "Requested operation is not valid: domain is not running", ErrNotRunning},
		{"state", func(string) error { _, _, err := c.State("6a1f0b8e-0000-4000-8000-0000000000e2"); return err }, CodeNoDomain, "", ErrNoDomain},
	}
	for _, tc := range cases {
		err := tc.call(uuid)
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code || (tc.msg != "" && e.Message != tc.msg) {
			t.Errorf("%s: %#v, want code %d %q", tc.op, err, tc.code, tc.msg)
			continue
		}
		if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
			t.Errorf("%s: %v is not %v", tc.op, err, tc.sentinel)
		}
		if tc.msg != "" && Reason(err) != tc.msg {
			t.Errorf("%s: Reason %q, want libvirt's message %q", tc.op, Reason(err), tc.msg)
		}
	}
	if got := Reason(errors.New("plain")); got != "plain" {
		t.Errorf("Reason of a plain error: %q", got)
	}
	if err := disconnected("destroy", uuid); !errors.Is(err, ErrDisconnected) {
		t.Errorf("a call while disconnected: %v", err)
	}
}
