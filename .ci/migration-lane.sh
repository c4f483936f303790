#!/usr/bin/env bash
# The migration lane (`go tool task test:migration`): live migration of a real QEMU guest between
# two agents, each on its own libvirt host. As root it:
#   1. installs what it needs when missing (as the QEMU lane does) and builds the guest
#      (.ci/qemu-guest.sh, cached);
#   2. brings up two hosts, A and B (.ci/twohosts.sh: network, mount, UTS and cgroup namespaces,
#      a libvirtd in each, listening on TCP without authentication: tests only);
#   3. starts one agent inside each host (plain TCP on the host's address, qemu:///system of that
#      host, destination libvirtd URI qemu+tcp://%s/system, managing the host's networks with its
#      state under the lane's directory);
#   4. runs cmd/agent/migration_test.go (TestMigrationLane) inside host A, driving both agents over
#      STOMP as the engine would: create on A, migrate A→B, back B→A, a cancelled slow migration;
#      and cmd/agent/migration_net_test.go (TestMigrationLaneNetworks): the VM network vmnet made
#      on both hosts with Host.setupNetworks, a guest on it migrated A→B and still answering;
#      and cmd/agent/migration_restart_test.go (TestMigrationLaneDestinationRestart): B's agent
#      killed and restarted while the domain arrives, then the migration cancelled, or completed
#      (also while B's agent is down); and cmd/agent/migration_guestagent_test.go
#      (TestMigrationLaneGuestAgent): a guest running qemu-ga migrated A→B→A, each destination
#      reporting the agent's keys from the arrival on and then asking the agent itself;
#   4b. then the engine's VM (engine_vm_test below): A's agent stopped, the bridges ovirtmgmt,
#      ;vdsmdummy; and blue (a second VM network) made inside host A's network namespace (never on
#      the machine's own), and
#      cmd/agent/qemu_engine_test.go (TestEngineVM) run inside host A with an agent of its own;
#   5. whatever happens, stops both agents by PID and takes both hosts down (twohosts.sh down:
#      domains, QEMU, daemons, namespaces, cgroups), and fails if anything is left.
#
# MIGRATION_LANE_RUN=REGEXP runs only the migration tests it matches (go test -run), and not the
# engine's VM (step 4b): for working on one of them.
# cmd/agent/migration_postcopy_test.go (TestMigrationPostcopy): a migration switched to post-copy
# by the engine's schedule; QEMU needs userfaultfd, which twohosts.sh's qemu.conf gives it (QEMU as
# root with its capabilities, on the test hosts only).
#
# Do not run it while the QEMU lane's daemons run (qemu-daemons.sh refuses to start beside another
# libvirtd). Without root it fails under CI=true, and otherwise prints a loud SKIPPED line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

LANE=test:migration NEEDS="root, libvirtd, QEMU and network namespaces"
. .ci/lane.sh

guest_host "runs two system libvirtds in namespaces, which needs root; run it as root: sudo go tool task test:migration"

qemu_guest ip iproute2 nsenter util-linux unshare util-linux

state=$(mktemp -d /run/hostagent-migration-lane.XXXXXX)
chmod 755 "$state"
hosts=$state/hosts
# The agents' --shutdown-grace, in seconds: short, so the lane's end waits little for a request
# left in flight by a failed test.
AGENT_GRACE=5
th() { bash .ci/twohosts.sh "$@"; }
hosts_up=
ctl_pid=
# agent_pids: the agents running now, from their PID files (the controller restarts them).
agent_pids() { cat "$state"/pid-A "$state"/pid-B 2>/dev/null; }
# running P: P has not exited. An agent the controller restarted is an orphan once the controller
# is killed, and this machine's init reaps orphans only every few seconds: a zombie has exited.
running() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
cleanup() {
  local rc=$? p termed
  set +e
  if [ -n "$ctl_pid" ]; then
    # KILL: it may be blocked opening its FIFO, where bash would hold a TERM back.
    kill -KILL "$ctl_pid" 2>/dev/null
    wait "$ctl_pid" 2>/dev/null
  fi
  for p in $(agent_pids); do
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p"
      termed=$(date +%s%N)
      # The agent exits within its grace plus 5 s (agent.SettleTime) whatever it is doing;
      # past that and a margin it is wedged.
      for _ in $(seq $(((AGENT_GRACE + 5 + 5) * 10))); do running "$p" || break; sleep 0.1; done
      if running "$p"; then
        # SIGQUIT makes Go print every goroutine's stack into the agent's log: what it hangs on.
        say "agent $p ignored SIGTERM for $((AGENT_GRACE + 10)) s: SIGQUIT (stacks in its log)"
        kill -QUIT "$p"
        for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$p" 2>/dev/null && kill -KILL "$p"
        rc=1
      else
        say "agent $p exited $((($(date +%s%N) - termed) / 1000000)) ms after SIGTERM"
      fi
    fi
  done
  wait 2>/dev/null
  if [ -n "$hosts_up" ]; then
    th down "$hosts" || rc=1
  fi
  if [ "$rc" != 0 ]; then
    keep=$(mktemp -d /tmp/hostagent-migration-lane-logs.XXXXXX)
    cp "$state"/agent-*.log "$keep"/ 2>/dev/null
    say "the agents' whole logs are kept in $keep"
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

addr_of() { if [ "$1" = A ]; then echo "$TH_A_IP"; else echo "$TH_B_IP"; fi; }

# start_agent X: an agent inside host X, its output appended to agent-X.log, its PID in pid-X.
start_agent() {
  # Not through th: $! must be the agent itself (twohosts.sh exec execs nsenter, which execs it).
  bash .ci/twohosts.sh exec "$hosts" "$1" "$state/agent" serve --tls=false --listen "$(addr_of "$1"):54321" --libvirt-uri qemu:///system \
    --migration-uri 'qemu+tcp://%s/system' --migration-monitor-interval 1s --migration-retry-timeout 1s --shutdown-grace "${AGENT_GRACE}s" --log-format json --log-level debug \
    --manage-networks --net-state-dir "$state/net-$1" \
    </dev/null >>"$state/agent-$1.log" 2>&1 &
  echo $! >"$state/pid-$1"
}

# await_agent X: until X's agent listens (it serves once recovery is done); from inside host A
# both addresses are reachable. Prints an error and returns 1 after 60 s or if it exits.
await_agent() {
  local deadline=$((SECONDS + 60)) addr pid
  addr=$(addr_of "$1") pid=$(cat "$state/pid-$1")
  until th exec "$hosts" A bash -c "exec 3<>/dev/tcp/$addr/54321" 2>/dev/null; do
    [ $SECONDS -le $deadline ] || { echo "the agent on $addr:54321 did not listen within 60 s"; return 1; }
    kill -0 "$pid" 2>/dev/null || { echo "agent $1 exited (pid $pid)"; return 1; }
    sleep 0.2
  done
}

start_agent A
start_agent B
for X in A B; do
  msg=$(await_agent $X) || fail "$msg"
done
say "agents: A $TH_A_IP:54321 (pid $(cat "$state/pid-A")), B $TH_B_IP:54321 (pid $(cat "$state/pid-B"))"

# The controller: the test (inside host A) asks for an agent to be killed or started by writing
# "kill X" or "start X" into the FIFO ctl, and reads the answer ("ok" or an error) from ctl.ack.
# Agents are this script's to start and stop, by PID, so cleanup finds every one of them.
mkfifo "$state/ctl" "$state/ctl.ack"
(
  while true; do
    read -r cmd X <"$state/ctl" || continue
    case "$cmd $X" in
    "kill A" | "kill B")
      # Answered once the process has exited (gone, or a zombie: its sockets are closed); its
      # PID file goes, so no one signals that PID once it is reused.
      p=$(cat "$state/pid-$X")
      if kill -KILL "$p"; then
        while [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; do sleep 0.05; done
        rm -f "$state/pid-$X"
        echo ok
      else
        echo "kill $X ($p) failed"
      fi
      ;;
    "start A" | "start B")
      start_agent "$X"
      await_agent "$X" && echo ok
      ;;
    *) echo "unknown request: $cmd $X" ;;
    esac >"$state/ctl.ack"
  done
) &
ctl_pid=$!

# in_host_a OUT SHOWN RUN TIMEOUT [VAR=VALUE]...: runs the tests of ./cmd/agent matching RUN inside
# host A with the environment given, their output in OUT; fails the lane unless they pass and none
# is skipped, and shows the lines of OUT matching SHOWN.
in_host_a() {
  local out=$1 shown=$2 run=$3 timeout=$4
  shift 4
  say "go test -count=1 -v -run '$run' ./cmd/agent/ (inside host A)"
  if ! th exec "$hosts" A env -C "$PWD/cmd/agent" "$@" \
    "$state/agent.test" -test.count=1 -test.v -test.run "$run" -test.timeout "$timeout" >"$out" 2>&1; then
    cat "$out" >&2
    fail "tests $run failed"
  fi
  grep -E -- "^(--- |PASS|FAIL)|$shown" "$out" >&2 || true
  if grep -q -- '--- SKIP' "$out"; then
    cat "$out" >&2
    fail "tests $run were skipped"
  fi
  grep -q -- '--- PASS' "$out" || fail "no test of $run ran"
}

in_host_a "$state/migration.out" 'migration[a-z_]*_test.go' "${MIGRATION_LANE_RUN:-^TestMigration(Lane|Postcopy)}" 8m \
  HOSTAGENT_TEST_MIGRATION_A="$TH_A_IP:54321" HOSTAGENT_TEST_MIGRATION_B="$TH_B_IP:54321" \
  HOSTAGENT_TEST_MIGRATION_XML="$state/guest.xml" HOSTAGENT_TEST_MIGRATION_CTL="$state/ctl" \
  HOSTAGENT_TEST_MIGRATION_LOG_A="$TH_A_LOGDIR/qemu" HOSTAGENT_TEST_MIGRATION_LOG_B="$TH_B_LOGDIR/qemu" \
  HOSTAGENT_TEST_MIGRATION_NETNS_A="$TH_A_NETNS" HOSTAGENT_TEST_MIGRATION_NETNS_B="$TH_B_NETNS"

# engine_vm_test: TestEngineVM (cmd/agent/qemu_engine_test.go), the engine's VM on host A with the
# bridges a VDSM host has. They are made in host A's network namespace only: twohosts.sh down
# deletes that namespace, and them with it, whatever happens; on success they are removed here by
# name, with the vdsm-ovirtmgmt libvirt network the test's agent made.
engine_vm_test() {
  local br ack
  # Host A's agent would adopt the test's domain (a resync adopts unknown domains): the
  # controller stops it, by PID, and forgets its PID file.
  if [ -e "$state/pid-A" ]; then
    say "stopping host A's agent for the engine's VM (SIGKILL through the controller: bash reports it Killed)"
    echo "kill A" >"$state/ctl"
    read -r ack <"$state/ctl.ack"
    [ "$ack" = ok ] || fail "stopping host A's agent: $ack"
  fi
  for br in ovirtmgmt ';vdsmdummy;' blue; do
    th exec "$hosts" A ip link add "$br" type bridge || fail "ip link add $br type bridge (host A)"
  done
  # No IPv6 link-local address: the bridge sends nothing of its own.
  th exec "$hosts" A sh -c 'f=/proc/sys/net/ipv6/conf/ovirtmgmt/disable_ipv6; [ ! -e $f ] || echo 1 >$f' ||
    fail "disable IPv6 on ovirtmgmt (host A)"
  th exec "$hosts" A ip addr add 127.0.0.2/32 dev ovirtmgmt || fail "ip addr add 127.0.0.2/32 dev ovirtmgmt (host A)"
  th exec "$hosts" A ip link set ovirtmgmt up || fail "ip link set ovirtmgmt up (host A)"
  say "the engine's VM inside host A, its bridges ovirtmgmt 127.0.0.2/32, ;vdsmdummy; and blue"
  in_host_a "$state/engine.out" 'qemu_engine_test.go' '^TestEngineVM$' 5m \
    HOSTAGENT_TEST_ENGINE_VM=1 HOSTAGENT_TEST_QEMU_GUEST="$guest" HOSTAGENT_TEST_QEMU_TYPE=qemu
  if th exec "$hosts" A virsh -q -c qemu:///system net-info vdsm-ovirtmgmt >/dev/null 2>&1; then
    th exec "$hosts" A virsh -q -c qemu:///system net-destroy vdsm-ovirtmgmt >/dev/null 2>&1
    th exec "$hosts" A virsh -q -c qemu:///system net-undefine vdsm-ovirtmgmt >/dev/null ||
      fail "virsh net-undefine vdsm-ovirtmgmt (host A)"
  fi
  for br in ovirtmgmt ';vdsmdummy;' blue; do
    th exec "$hosts" A ip link del "$br" type bridge || fail "ip link del $br (host A)"
  done
}
[ -n "${MIGRATION_LANE_RUN:-}" ] || engine_vm_test
