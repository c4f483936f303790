// Package hostnet is the host-networking adapter and planner.
//
// The planner is pure: DecodeRequest turns Host.setupNetworks' parameters into a Request,
// Validate answers VDSM's network error codes, and PlanSetup turns (current state, request)
// into an ordered Plan whose every change carries its inverse, computed before it runs. Golden
// cases in testdata/network pin the plans.
//
// Handle is the only code in the agent that imports a netlink library. It reads a namespace's
// links (Read) and carries out steps (Apply, Execute, Rollback), one netlink call per step but
// for a link's IPv6 settings, which netlink cannot set: those are writes to the namespace's
// /proc/sys/net/ipv6/conf. It never decides anything: what to change is the plan's business,
// when is the network actor's.
package hostnet
