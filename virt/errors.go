package virt

import (
	"errors"
	"fmt"

	"libvirt.org/go/libvirt"
)

// ErrNoDomain is what an Error wraps when libvirt has no domain with the given UUID.
var ErrNoDomain = errors.New("no such domain")

// ErrNotRunning is what an Error wraps when an operation needs a running domain.
var ErrNotRunning = errors.New("domain is not running")

// Error is a failed libvirt call, typed so callers can answer as VDSM does without importing
// libvirt: VDSM shows libvirt's own message (str(libvirtError)), so Message is kept apart from
// the operation and UUID this agent adds for its logs.
type Error struct {
	Op   string // what the agent was doing: "suspend", "destroy", ...
	UUID string // the domain's, "" for host-wide calls
	// Code is libvirt's virErrorNumber (CodeInternal, CodeOperationInvalid, ...); 0 when the
	// call never reached libvirt (the connection is lost).
	Code    int
	Message string
	kind    error // ErrNoDomain, ErrNotRunning, ErrDisconnected, ErrClosed or nil
}

// libvirt error numbers callers tell apart.
const (
	CodeInternal         = int(libvirt.ERR_INTERNAL_ERROR)
	CodeNoDomain         = int(libvirt.ERR_NO_DOMAIN)
	CodeOperationInvalid = int(libvirt.ERR_OPERATION_INVALID)
	CodeOperationFailed  = int(libvirt.ERR_OPERATION_FAILED)
	CodeSystemError      = int(libvirt.ERR_SYSTEM_ERROR)
)

func (e *Error) Error() string {
	if e.UUID == "" {
		return fmt.Sprintf("%s: %s", e.Op, e.Message)
	}
	return fmt.Sprintf("%s %s: %s", e.Op, e.UUID, e.Message)
}

// Unwrap lets errors.Is match ErrNoDomain, ErrNotRunning, ErrDisconnected and ErrClosed.
func (e *Error) Unwrap() error { return e.kind }

// Reason is the text VDSM would show for this failure: libvirt's own message.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// wrap turns libvirt's errors into *Error.
func wrap(op, uuid string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	var le libvirt.Error
	if !errors.As(err, &le) {
		return &Error{Op: op, UUID: uuid, Message: err.Error()}
	}
	out := &Error{Op: op, UUID: uuid, Code: int(le.Code), Message: le.Message}
	switch le.Code {
	case libvirt.ERR_NO_DOMAIN:
		out.kind = ErrNoDomain
	case libvirt.ERR_OPERATION_INVALID:
		out.kind = ErrNotRunning
	}
	return out
}

// closedErr is the error of a call made after Close.
func closedErr(op, uuid string) error {
	return &Error{Op: op, UUID: uuid, Message: ErrClosed.Error(), kind: ErrClosed}
}

// disconnected is the error of a call made while the connection is down.
func disconnected(op, uuid string) error {
	return &Error{Op: op, UUID: uuid, Message: ErrDisconnected.Error(), kind: ErrDisconnected}
}
