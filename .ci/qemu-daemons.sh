#!/usr/bin/env bash
# The QEMU lane's daemons: virtlogd and a system libvirtd (qemu:///system), as root, without
# systemd. Usage: qemu-daemons.sh start|stop|restart-libvirtd. State (pid files, logs) lives in
# STATE (default /run/hostagent-qemu-lane).
#
# libvirtd runs under `tini -s`, a child-subreaper: QEMU double-forks, and its orphan would
# otherwise wait for PID 1 to reap it, which on a machine whose PID 1 is not an init takes seconds
# and holds up every destroy and power-off.
#
# stop destroys and undefines every domain the lane's tests may have left (names starting
# hostagent-qemu-), then stops libvirtd and virtlogd by their PIDs, and fails if one survives.
set -euo pipefail
state=${STATE:-/run/hostagent-qemu-lane}
export PATH="$PATH:/usr/sbin:/sbin"
uri=qemu:///system
READY_SECONDS=90 # the first start probes QEMU's capabilities (~12 s); later ones take 0.1 s

say() { echo "qemu-daemons: $*" >&2; }

# running PIDFILE: the process in PIDFILE runs (and is not a zombie).
running() {
  local p
  p=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$p" ] && [ -r "/proc/$p/stat" ] && [ "$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}

# stop_pid NAME PIDFILE: SIGTERM, then SIGKILL after 15 s; fails if it still runs.
stop_pid() {
  local name=$1 file=$2 p
  running "$file" || { rm -f "$file"; return 0; }
  p=$(cat "$file")
  kill -CONT "$p" 2>/dev/null || true
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 150); do
    running "$file" || break
    sleep 0.1
  done
  if running "$file"; then
    say "$name (pid $p) still runs 15 s after SIGTERM: SIGKILL"
    kill -KILL "$p" 2>/dev/null || true
    sleep 0.5
  fi
  if running "$file"; then
    say "FAILED: $name (pid $p) is still running"
    return 1
  fi
  rm -f "$file"
  say "$name (pid $p) stopped"
}

start_libvirtd() {
  # setsid: a signal meant for the test run (Ctrl-C) must not reach the daemon.
  setsid tini -s -- libvirtd --pid-file "$state/libvirtd.pid" </dev/null >>"$state/libvirtd.out" 2>&1 &
  local deadline=$((SECONDS + READY_SECONDS))
  until virsh -q -c "$uri" version >/dev/null 2>&1; do
    if [ $SECONDS -gt $deadline ]; then
      tail -n 20 "$state/libvirtd.out" >&2 || true
      say "FAILED: libvirtd did not answer at $uri within $READY_SECONDS s"
      return 1
    fi
    sleep 0.2
  done
  say "libvirtd (pid $(cat "$state/libvirtd.pid")) answers at $uri"
}

case "${1:-}" in
start)
  [ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
  for d in libvirtd virtlogd; do
    if p=$(pgrep -x "$d"); then
      say "FAILED: a $d runs already (pid $(echo $p)); the lane starts and stops its own"
      exit 1
    fi
  done
  mkdir -p "$state"
  virtlogd -d --pid-file "$state/virtlogd.pid"
  start_libvirtd
  ;;
restart-libvirtd)
  stop_pid libvirtd "$state/libvirtd.pid"
  start_libvirtd
  ;;
stop)
  rc=0
  if running "$state/libvirtd.pid"; then
    for d in $(virsh -q -c "$uri" list --all --name 2>/dev/null | grep '^hostagent-qemu-' || true); do
      say "left behind: domain $d; destroying and undefining it"
      virsh -q -c "$uri" destroy "$d" >/dev/null 2>&1 || true
      virsh -q -c "$uri" undefine "$d" >/dev/null 2>&1 || true
      rc=1
    done
  fi
  stop_pid libvirtd "$state/libvirtd.pid" || rc=1
  stop_pid virtlogd "$state/virtlogd.pid" || rc=1
  if p=$(pgrep -f '^/usr/bin/qemu-system-x86_64 -name guest=hostagent-qemu-'); then
    say "FAILED: QEMU processes left: $(echo $p); killing them"
    kill -KILL $p || true
    rc=1
  fi
  if ls /etc/libvirt/qemu/hostagent-qemu-*.xml >/dev/null 2>&1; then
    say "FAILED: domain definitions left: $(ls /etc/libvirt/qemu/hostagent-qemu-*.xml)"
    rm -f /etc/libvirt/qemu/hostagent-qemu-*.xml
    rc=1
  fi
  exit $rc
  ;;
*)
  echo "usage: $0 start|stop|restart-libvirtd" >&2
  exit 2
  ;;
esac
