// Package virt is the agent's narrow adapter over libvirt (libvirt.org/go/libvirt). It is the
// only package that imports libvirt. It owns the one shared connection, the event loop and the
// conversion of libvirt objects to plain Go values; it never holds agent state and never calls
// into actors except by the callbacks its caller registers, which must only hand off.
package virt
