#!/usr/bin/env bash
# The network namespace lane (`go tool task test:netns`): cmd/agent's TestNetnsLane, the engine's
# host install flow against a real agent process that manages the links of a namespace of its own
# (setupNetworks onto the ovirtmgmt bridge with a connectivity check, confirmConnectivity,
# setSafeNetworkConfig, an unconfirmed change rolled back, an unsaved one undone by a restart).
# Two namespaces, <prefix>-agent and <prefix>-engine, joined by a veth; the machine's own network
# namespace is never changed. Whatever happens, the agent is killed by its PID and both
# namespaces are removed by name.
#
# This kernel has no dummy, bonding or 8021q drivers, so the bond and VLAN steps of the install
# flow run in a QEMU guest on a kernel that has them: .ci/netkernel-lane.sh (test:netkernel).
#
# Needs root and iproute2: without them it fails under CI=true and skips loudly elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

LANE=test:netns NEEDS="root and iproute2 (network namespaces)"
. .ci/lane.sh

[ "$(id -u)" = 0 ] || cannot "not root"
if ! command -v ip >/dev/null; then
  command -v apt-get >/dev/null || cannot "iproute2 is not installed"
  say "installing iproute2"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null
fi
ip netns list >/dev/null 2>&1 || cannot "ip netns does not work here"

prefix=hal$$
work=$(mktemp -d "${TMPDIR:-/tmp}/hostagent-netns.XXXXXX")
cleanup() {
  if [ -s "$work/agent.pid" ]; then
    kill -KILL "$(cat "$work/agent.pid")" 2>/dev/null || true
  fi
  for ns in "$prefix-agent" "$prefix-engine"; do
    if ip netns list | grep -qx "$ns\( .*\)\?"; then
      ip netns del "$ns" || say "could not remove namespace $ns"
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

say "building the agent"
go build -o "$work/agent" ./cmd/agent
say "running TestNetnsLane in namespaces $prefix-agent and $prefix-engine"
HOSTAGENT_NETNS_LANE=1 HOSTAGENT_AGENT_BIN="$work/agent" HOSTAGENT_NETNS_PREFIX="$prefix" HOSTAGENT_NETNS_PIDDIR="$work" \
  go test -count=1 -run '^TestNetnsLane(IPv6)?$' -v ./cmd/agent/ || fail "TestNetnsLane"
say "passed"
