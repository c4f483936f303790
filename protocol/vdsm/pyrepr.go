package vdsm

import "github.com/hostagent/hostagent/pyrepr"

// PyRepr is pyrepr.Repr, kept under the name the protocol packages use.
func PyRepr(v any) string { return pyrepr.Repr(v) }
