#!/usr/bin/env bash
# The migration lane (`go tool task test:migration`): live migration of a real QEMU guest between
# two agents, each on its own libvirt host. As root it:
#   1. installs what it needs when missing (as the QEMU lane does) and builds the guest
#      (.ci/qemu-guest.sh, cached);
#   2. brings up two hosts, A and B (.ci/twohosts.sh: network, mount, UTS and cgroup namespaces,
#      a libvirtd in each, listening on TCP without authentication: tests only);
#   3. starts one agent inside each host (plain TCP on the host's address, qemu:///system of that
#      host, destination libvirtd URI qemu+tcp://%s/system);
#   4. runs cmd/agent/migration_test.go (TestMigrationLane) inside host A, driving both agents over
#      STOMP as the engine would: create on A, migrate A→B, back B→A, a cancelled slow migration;
#   5. whatever happens, stops both agents by PID and takes both hosts down (twohosts.sh down:
#      domains, QEMU, daemons, namespaces, cgroups), and fails if anything is left.
#
# Do not run it while the QEMU lane's daemons run (qemu-daemons.sh refuses to start beside another
# libvirtd). Without root it fails under CI=true, and otherwise prints a loud SKIPPED line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

LANE=test:migration NEEDS="root, libvirtd, QEMU and network namespaces"
. .ci/lane.sh

if [ "$(id -u)" != 0 ]; then
  cannot "runs two system libvirtds in namespaces, which needs root; run it as root: sudo go tool task test:migration"
fi
if [ "$(uname -m)" != x86_64 ]; then
  cannot "the guest is x86_64 ($(uname -m) here)"
fi

missing=()
for c in libvirtd virtlogd virsh qemu-system-x86_64 tini cpio ip nsenter unshare; do
  command -v "$c" >/dev/null || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "missing ${missing[*]}: installing libvirt-daemon-system libvirt-clients qemu-system-x86 tini cpio iproute2"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || cannot "apt-get update failed"
  apt-get install -y -qq --no-install-recommends libvirt-daemon-system libvirt-clients qemu-system-x86 tini cpio iproute2 >/dev/null ||
    cannot "apt-get install failed"
fi
if ! apt-cache policy linux-image-cloud-amd64 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  say "apt knows no linux-image-cloud-amd64 (empty package lists): apt-get update"
  apt-get update -qq || cannot "apt-get update failed"
fi
say "building the guest"
guest=$(bash .ci/qemu-guest.sh) || fail "could not build the guest"

state=$(mktemp -d /run/hostagent-migration-lane.XXXXXX)
chmod 755 "$state"
hosts=$state/hosts
th() { bash .ci/twohosts.sh "$@"; }
agent_pids=()
hosts_up=
cleanup() {
  local rc=$? p
  set +e
  for p in "${agent_pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p"
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$p" 2>/dev/null && { say "agent $p ignored SIGTERM: SIGKILL"; kill -KILL "$p"; }
    fi
  done
  wait 2>/dev/null
  if [ -n "$hosts_up" ]; then
    th down "$hosts" || rc=1
  fi
  if [ "$rc" != 0 ]; then
    for f in "$state"/agent-*.log; do
      [ -s "$f" ] || continue
      say "$(basename "$f") (last 30 lines):"
      tail -n 30 "$f" >&2
    done
  fi
  rm -rf "$state"
  [ "$rc" = 0 ] && say "PASSED" || say "FAILED"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building the agent and the tests of ./cmd/agent"
go build -o "$state/agent" ./cmd/agent
go test -c -o "$state/agent.test" ./cmd/agent/

say "bringing up hosts A and B"
hosts_up=1
TH_GUEST=$guest th up "$hosts"
eval "$(th env "$hosts")"
th guest "$hosts" @NAME@ 128 >"$state/guest.xml"

# start_agent X ADDR: an agent inside host X, its output in agent-X.log.
start_agent() {
  # Not through th: $! must be the agent itself (twohosts.sh exec execs nsenter, which execs it).
  bash .ci/twohosts.sh exec "$hosts" "$1" "$state/agent" serve --tls=false --listen "$2:54321" --libvirt-uri qemu:///system \
    --migration-uri 'qemu+tcp://%s/system' --log-format json --log-level debug \
    </dev/null >"$state/agent-$1.log" 2>&1 &
  agent_pids+=($!)
}
start_agent A "$TH_A_IP"
start_agent B "$TH_B_IP"
# An agent serves once recovery is done; from inside host A both addresses are reachable.
for addr in "$TH_A_IP" "$TH_B_IP"; do
  deadline=$((SECONDS + 60))
  until th exec "$hosts" A bash -c "exec 3<>/dev/tcp/$addr/54321" 2>/dev/null; do
    [ $SECONDS -le $deadline ] || fail "the agent on $addr:54321 did not listen within 60 s"
    for p in "${agent_pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "an agent exited (pid $p)"; done
    sleep 0.2
  done
done
say "agents: A $TH_A_IP:54321 (pid ${agent_pids[0]}), B $TH_B_IP:54321 (pid ${agent_pids[1]})"

out=$state/migration.out
say "go test -count=1 -v -run '^TestMigrationLane' ./cmd/agent/ (inside host A)"
if ! th exec "$hosts" A env -C "$PWD/cmd/agent" \
  HOSTAGENT_TEST_MIGRATION_A="$TH_A_IP:54321" HOSTAGENT_TEST_MIGRATION_B="$TH_B_IP:54321" \
  HOSTAGENT_TEST_MIGRATION_XML="$state/guest.xml" \
  HOSTAGENT_TEST_MIGRATION_LOG_A="$TH_A_LOGDIR/qemu" HOSTAGENT_TEST_MIGRATION_LOG_B="$TH_B_LOGDIR/qemu" \
  "$state/agent.test" -test.count=1 -test.v -test.run '^TestMigrationLane' -test.timeout 5m >"$out" 2>&1; then
  cat "$out" >&2
  fail "migration tests failed"
fi
grep -E -- '^(--- |PASS|FAIL)|migration_test.go' "$out" >&2 || true
if grep -q -- '--- SKIP' "$out"; then
  cat "$out" >&2
  fail "tests were skipped"
fi
grep -q -- '--- PASS' "$out" || fail "no test ran"
