// Package host is the agent's view of the machine it runs on: the data behind Host.getCapabilities,
// Host.getStats and Host.getHardwareInfo, read from /proc, /sys, /etc and libvirt. Every reader
// takes the filesystem root as a parameter so tests run the same code against fixture trees
// (testdata/proc). The functions here do no messaging; the host actor owns when they run.
package host
