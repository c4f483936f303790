// Package vdsm holds the VDSM API's wire vocabulary: error codes and their exact messages, VM
// status strings, exit reasons, and the shapes of verb results. Everything a test compares
// against VDSM's own texts lives here, in one place. It does no I/O.
package vdsm
