// Package hostagent is the root of the agent's module. It holds only what must sit at the top of
// the tree to be embedded: the libvirt test-driver host the agent runs on by default.
package hostagent

import _ "embed"

// DefaultHost is testdata/host.xml: a libvirt test-driver node (CPUs, memory, a network and a few
// VMs in different states), so `agent serve` with no hypervisor still shows a host with VMs.
//
//go:embed testdata/host.xml
var DefaultHost []byte
