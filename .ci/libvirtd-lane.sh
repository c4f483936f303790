#!/usr/bin/env bash
# The libvirtd lane (`go tool task test:libvirtd`): the end-to-end tests against a real libvirt
# daemon instead of the test driver embedded in the agent.
#
# It starts Debian's libvirtd (package libvirt-daemon) as an unprivileged user (nobody when run as
# root, as in CI; otherwise the calling user) in session mode, with its own config, sockets,
# XDG dirs and logs in a private temporary directory (nothing under /run, /etc or /var), serving
# libvirt's test driver on a unix socket. Then it runs:
#   1. against test+unix:///default?socket=...: the VM lifecycle, VM verb, Host verb and RPC tests
#      that create what they use, and the tests of cmd/agent/libvirtd_test.go, which need a daemon
#      (recovery across an agent restart, a frozen daemon and the reconnect);
#   2. against the daemon serving testdata/host.xml (test+unix:///<dir>/host.xml?socket=...): the
#      tests that use that host's VMs (each connection to a file URI gets its own fresh copy).
# Whatever happens, the daemon is stopped by its PID and the directory removed.
#
# As root it installs libvirt-daemon when libvirtd is missing. When libvirtd is still missing or
# cannot run, this lane fails under CI=true, and otherwise prints a loud SKIPPED line and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests of each pass (go test -run patterns). Left out: tests that do not go through
# startAgent's HOSTAGENT_TEST_LIBVIRT_URI (TestRecoveryGate, TestRecoveryAfterAgentRestart, ...),
# TestRecoveredVMsOfTheEmbeddedHost (about the embedded host), and long ones that prove nothing
# more here (TestThousandVMs, TestVMActorCrashLoop, TestChaos).
DEFAULT_TESTS='^(TestLibvirtd.*|TestVMLifecycle|TestUnknownVM|TestVMShutdown|TestVMForcedShutdown|TestVMResetAndDestroyOnReboot|TestVMRecreatedWithTheSameUUID|TestPing2|TestUnknownMethodAndNotImplemented|TestHostGetCapabilities|TestHostGetStats|TestHostGetHardwareInfoAndMOM|TestAgentCall)$'
HOST_TESTS='^(TestHungVMCostsOneVM|TestVMStatsFromSamples)$'
READY_SECONDS=30

LANE=test:libvirtd NEEDS="root/libvirtd"
. .ci/lane.sh

# LIBVIRTD: another libvirtd binary (default: the one on PATH, /usr/sbin included).
libvirtd=${LIBVIRTD:-$(PATH="$PATH:/usr/sbin:/sbin" command -v libvirtd || true)}
if [ -z "${LIBVIRTD:-}" ] && [ -z "$libvirtd" ] && [ "$(id -u)" = 0 ]; then
  say "libvirtd is missing: apt-get update && apt-get install -y --no-install-recommends libvirt-daemon"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || cannot "apt-get update failed"
  apt-get install -y -qq --no-install-recommends libvirt-daemon >/dev/null || cannot "apt-get install libvirt-daemon failed"
  libvirtd=$(PATH="$PATH:/usr/sbin:/sbin" command -v libvirtd || true)
fi
if [ -z "$libvirtd" ] || [ ! -x "$libvirtd" ]; then
  cannot "libvirtd${LIBVIRTD:+ ($LIBVIRTD)} is not installed; run the lane as root, which installs it, or: sudo apt-get install -y --no-install-recommends libvirt-daemon"
fi

# libvirtd refuses to run as root without the libvirt-qemu user and would use /run; run it as
# nobody. A user other than root runs it as itself.
runas=()
base=${TMPDIR:-/tmp}
if [ "$(id -u)" = 0 ]; then
  uid=$(id -u nobody 2>/dev/null) || fail "no user nobody to run libvirtd as"
  gid=$(id -g nobody)
  if command -v setpriv >/dev/null; then
    runas=(setpriv --reuid="$uid" --regid="$gid" --clear-groups)
  elif command -v runuser >/dev/null; then
    runas=(runuser -u nobody --)
  else
    fail "neither setpriv nor runuser (util-linux) is installed: cannot drop root to run libvirtd"
  fi
  base=/tmp # nobody must reach it
fi

dir=$(mktemp -d "$base/hostagent-libvirtd.XXXXXX")
pid=
logs_shown=
# alive: the daemon runs (a zombie, dead but not yet reaped, does not).
alive() {
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] && [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}
cleanup() {
  local rc=$?
  set +e
  if [ -n "$pid" ]; then
    if alive; then
      kill -CONT "$pid" 2>/dev/null # a test may have left it frozen (SIGSTOP)
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 100); do
        alive || break
        sleep 0.1
      done
      if alive; then
        say "libvirtd (pid $pid) still runs 10 s after SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null
      fi
    fi
    wait "$pid" 2>/dev/null
    say "libvirtd (pid $pid) stopped"
    if [ -e "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ]; then
      say "FAILED: libvirtd (pid $pid) is still running"
      rc=1
    fi
  fi
  if [ "$rc" != 0 ] && [ -z "$logs_shown" ] && [ -s "$dir/libvirtd.log" ]; then
    say "libvirtd's log (last 40 lines):"
    tail -n 40 "$dir/libvirtd.log" >&2
  fi
  if [ "$rc" != 0 ] && [ -z "$logs_shown" ] && [ -s "$dir/stderr.log" ]; then
    say "libvirtd's stderr (last 20 lines):"
    tail -n 20 "$dir/stderr.log" >&2
  fi
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sock=$dir/sock/libvirt-sock
if [ "${#sock}" -ge 108 ]; then
  fail "socket path $sock is too long for a unix socket (set TMPDIR to a shorter directory)"
fi
mkdir -p "$dir/bin" "$dir/sock" "$dir/run" "$dir/config" "$dir/cache" "$dir/data" "$dir/home"
sed "s|@DIR@|$dir|g" testdata/libvirtd/libvirtd.conf.in >"$dir/libvirtd.conf"
cp testdata/host.xml "$dir/host.xml"
if [ "$(id -u)" = 0 ]; then
  chown -R "$uid:$gid" "$dir"
fi

# The test binary, built before the daemon starts: each pass runs it as go test would (from the
# package's directory), which spares a link per pass.
say "building the tests of ./cmd/agent"
go test -c -o "$dir/bin/agent.test" ./cmd/agent/
say "built"
# tests NAME URI PATTERN [VAR=VALUE...]: run the tests matching PATTERN against URI, the same as
# `HOSTAGENT_TEST_LIBVIRT_URI=URI go test -count=1 -v -run PATTERN ./cmd/agent/`; fails when one
# fails, is skipped, or none ran.
tests() {
  local name=$1 u=$2 pattern=$3
  shift 3
  local out=$dir/$name.out
  say "$name: HOSTAGENT_TEST_LIBVIRT_URI='$u' go test -count=1 -v -run '$pattern' ./cmd/agent/"
  if ! (cd cmd/agent && env HOSTAGENT_TEST_LIBVIRT_URI="$u" "$@" "$dir/bin/agent.test" \
    -test.count=1 -test.v -test.run "$pattern") >"$out" 2>&1; then
    cat "$out" >&2
    say "$name: tests failed against libvirtd"
    return 1
  fi
  grep -E -- '^(--- |PASS|FAIL)' "$out" >&2 || true
  if grep -q -- '--- SKIP' "$out"; then
    cat "$out" >&2
    say "$name: tests were skipped against libvirtd"
    return 1
  fi
  if ! grep -q -- '--- PASS' "$out"; then
    cat "$out" >&2
    say "$name: no test ran"
    return 1
  fi
}

# --timeout: should this script be killed outright (no trap), the daemon exits by itself once it
# has had no client for 5 minutes.
"${runas[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME="$dir/home" \
  XDG_RUNTIME_DIR="$dir/run" XDG_CONFIG_HOME="$dir/config" XDG_CACHE_HOME="$dir/cache" \
  XDG_DATA_HOME="$dir/data" \
  "$libvirtd" --config "$dir/libvirtd.conf" --pid-file "$dir/run/libvirtd.pid" --timeout 300 \
  </dev/null >"$dir/stderr.log" 2>&1 &
pid=$!
say "libvirtd pid $pid (user $(if [ ${#runas[@]} -gt 0 ]; then echo nobody; else id -un; fi)), directory $dir"

# Its socket first (a daemon that dies at start is reported at once), then an answer.
now() { echo "${EPOCHREALTIME/./}"; }
deadline=$(($(now) + READY_SECONDS * 1000000))
until [ -S "$sock" ]; do
  if ! alive; then
    wait "$pid" && status=0 || status=$?
    pid=
    logs_shown=1
    cat "$dir/libvirtd.log" "$dir/stderr.log" >&2 2>/dev/null || true
    if [ "$(id -u)" != 0 ]; then
      cannot "libvirtd exited at start with status $status (its log is above)"
    fi
    fail "libvirtd exited at start with status $status (its log is above)"
  fi
  if [ "$(now)" -gt "$deadline" ]; then
    fail "libvirtd (pid $pid) did not create its socket $sock within ${READY_SECONDS} s"
  fi
  sleep 0.1
done

uri="test+unix:///default?socket=$sock"
# The readiness check is a Go test: it connects as the agent does, bounded at 30 s.
if ! tests ready "$uri" '^TestLibvirtdAnswers$'; then
  fail "libvirtd (pid $pid) did not answer at $uri (the check's output is above)"
fi
say "libvirtd answers at $uri"

tests default "$uri" "$DEFAULT_TESTS" HOSTAGENT_TEST_LIBVIRTD_PID="$pid" || fail "the tests against $uri"
tests host "test+unix://$dir/host.xml?socket=$sock" "$HOST_TESTS" || fail "the tests against the daemon's testdata/host.xml"
if ! alive; then
  fail "libvirtd (pid $pid) is gone: it died during the tests"
fi
say "PASSED"
