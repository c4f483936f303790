#!/usr/bin/env bash
# twohosts.sh: two libvirt "hosts", A and B, on one machine, so that a real QEMU guest can be
# live-migrated from one to the other; the migration lane (.ci/migration-lane.sh) runs on it.
#
#   twohosts.sh up DIR              create both hosts; all their state lives under DIR
#   twohosts.sh down DIR            tear everything down, by PID (domains, QEMU, daemons, namespaces)
#   twohosts.sh env DIR             print shell assignments (URIs, addresses, PIDs) for `eval`
#   twohosts.sh exec DIR A|B CMD... run CMD inside host A or B (its network, mount, UTS, cgroup ns)
#   twohosts.sh guest DIR NAME [MiB] print a domain XML for the test guest (TCG, direct kernel boot)
#   twohosts.sh status DIR          say what runs
#   twohosts.sh restart DIR A|B     restart that host's libvirtd (its domains keep running)
#
# Each host has:
#   * its own network namespace; a veth pair joins them (A 10.99.0.1/24, B 10.99.0.2/24;
#     TH_NET=10.99.0 picks the /24), and nothing else: no route leaves the pair; a second pair,
#     up and without addresses (TH_VMIF, veth_1 on both), is a NIC for a VM network an agent
#     makes on both hosts (both pairs are reported as NICs: VDSM's fake_nics match veth_*);
#   * its own mount and UTS namespace (hostname hosta / hostb, both in a private /etc/hosts),
#     with private copies of /etc/libvirt, /run/libvirt (= /var/run/libvirt), /var/lib/libvirt,
#     /var/log/libvirt and /var/cache/libvirt bind-mounted from DIR/A/... or DIR/B/...;
#   * on a cgroup v1 machine, its own cgroup namespace rooted at a child cgroup of ours, so the
#     two libvirtds' /machine/qemu-N-NAME cgroups never collide (TH_CGROUPS=none: no cgroups);
#   * its own virtlogd, and a libvirtd under `tini -s` (child subreaper: QEMU's orphans are reaped
#     at once), listening on TCP 16509 without authentication (tests only), with its own host_uuid;
#   * where /dev/kvm is root's alone, a private /dev/kvm node (group kvm, 0660) in its mount
#     namespace: without it libvirt re-probes QEMU on every look-up (~9 s per domain start).
# `up` also copies the QEMU lane's guest (built or found in its cache by .ci/qemu-guest.sh, or
# TH_GUEST=dir) to DIR/guest, with an /init that prints a heartbeat on the serial console; `guest` prints its XML.
# Knobs for `up`: TH_NET (10.99.0), TH_GUEST, TH_CGROUPS (auto|none), TH_MIGRATION_HOST (yes|no:
# leave qemu.conf's migration_host out, so a destination offers its hostname).
# Clients outside the namespaces reach a libvirtd through its socket under DIR:
#   qemu+unix:///system?socket=DIR/A/run/libvirt-sock
# Inside a host, the peer is qemu+tcp://hostb/system (or 10.99.0.2).
#
# Needs root, iproute2, util-linux (nsenter, unshare), tini, libvirt-daemon-system, qemu-system-x86.
# Another libvirtd on the default sockets is never touched.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
self=$(readlink -f "$0")
HOSTS="A B"
# The link's name on both hosts; VDSM reports veth devices matching veth_* (its fake_nics) as NICs.
TH_IF=${TH_IF:-veth_0}
# The second link's name on both hosts: a VM network's NIC, so a migrated guest finds its bridge.
TH_VMIF=${TH_VMIF:-veth_1}
READY_SECONDS=90

say() { echo "twohosts: $*" >&2; }
die() {
  say "$*"
  exit 1
}

alive() { # PID: the process exists and is not a zombie
  local p=${1:-}
  [ -n "$p" ] && [ -r "/proc/$p/stat" ] && [ "$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}

pidof_file() { cat "$1" 2>/dev/null || true; }

# setdir DIR: dir (absolute) and the state recorded by `up`, when there is some.
setdir() {
  [ -n "${1:-}" ] || die "no DIR given"
  dir=$(realpath -m "$1")
  tag=$(printf '%s' "$dir" | sha256sum | cut -c1-6)
  net=${TH_NET:-10.99.0}
  cgmode=
  if [ -r "$dir/state" ]; then
    # shellcheck disable=SC1091
    . "$dir/state"
  fi
}

lower() { echo "$1" | tr 'AB' 'ab'; }
ip_of() { [ "$1" = A ] && echo "$net.1" || echo "$net.2"; }
ns_of() { echo "th$tag-$1"; }
uri_of() { echo "qemu+unix:///system?socket=$dir/$1/run/libvirt-sock"; }

# cg_hierarchies: one line per cgroup v1 hierarchy we are in: "MOUNTPOINT|CONTROLLERS|PLACEMENT".
cg_hierarchies() {
  local id ctrls path mp
  while IFS=: read -r id ctrls path; do
    [ "$id" != 0 ] && [ -n "$ctrls" ] || continue
    mp=$(awk -v c="$ctrls" '$3 == "cgroup" {
        n = split($4, o, ","); m = split(c, w, ","); ok = 1
        for (i = 1; i <= m; i++) { f = 0; for (j = 1; j <= n; j++) if (o[j] == w[i]) f = 1; if (!f) ok = 0 }
        if (ok) { print $2; exit } }' /proc/self/mounts)
    [ -n "$mp" ] && echo "$mp|$ctrls|$path"
  done </proc/self/cgroup
}

# cg_create X: a child cgroup of ours in every v1 hierarchy; prints "MOUNTPOINT|CONTROLLERS|DIR ...".
cg_create() {
  local mp ctrls path d out=()
  while IFS='|' read -r mp ctrls path; do
    d=$mp${path%/}/th$tag-$1
    mkdir -p "$d"
    if [[ ",$ctrls," == *,cpuset,* ]]; then
      cat "$(dirname "$d")/cpuset.cpus" >"$d/cpuset.cpus"
      cat "$(dirname "$d")/cpuset.mems" >"$d/cpuset.mems"
    fi
    out+=("$mp|$ctrls|$d")
  done < <(cg_hierarchies)
  echo "${out[*]}"
}

cg_list() { # X: the recorded cgroups of host X
  local v="cg_$1"
  echo "${!v:-}"
}

# cg_join X: move the calling (sub)shell into host X's cgroups.
cg_join() {
  local e
  for e in $(cg_list "$1"); do
    echo "$BASHPID" >"${e##*|}/cgroup.procs"
  done
}

# cg_pids X: every process in host X's cgroups.
cg_pids() {
  local e
  for e in $(cg_list "$1"); do
    find "${e##*|}" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

holder_of() { pidof_file "$dir/$1/holder.pid"; }

# enter X CMD...: exec CMD inside host X (call in a subshell).
enter() {
  local X=$1 h
  shift
  h=$(holder_of "$X")
  alive "$h" || die "host $X is not up (no holder process; run: $self up $dir)"
  cg_join "$X"
  if [ "$cgmode" = v1 ]; then
    exec nsenter -t "$h" -n -m -u -C -- "$@"
  else
    exec nsenter -t "$h" -n -m -u -- "$@"
  fi
}

# Runs inside the new namespaces (ip netns exec + unshare): private mounts, then hold them.
nsinit() {
  local X=$1 e mp ctrls
  hostname "host$(lower "$X")"
  mount --bind "$dir/$X/etc" /etc/libvirt
  mkdir -p /run/libvirt
  mount --bind "$dir/$X/run" /run/libvirt
  mount --bind "$dir/$X/lib" /var/lib/libvirt
  mount --bind "$dir/$X/log" /var/log/libvirt
  mount --bind "$dir/$X/cache" /var/cache/libvirt
  mount --bind "$dir/$X/hosts" /etc/hosts
  if [ -c /dev/kvm ] && [ "$(stat -c %G:%a /dev/kvm)" != kvm:660 ] && getent group kvm >/dev/null; then
    # Without udev /dev/kvm is root's alone (0600). libvirt 9.0 probes QEMU as root (KVM works)
    # but then checks that the QEMU user can open /dev/kvm, finds it cannot ("KVM was enabled
    # when probing ..., but it is not available now"), drops its capability cache and probes
    # again on every look-up: ~9 s per domain start. A node of our own, group kvm 0660, seen
    # only in this mount namespace, keeps the cache valid (the domains still use TCG).
    rm -f "$dir/$X/kvm"
    mknod -m 0660 "$dir/$X/kvm" c "$((16#$(stat -c %t /dev/kvm)))" "$((16#$(stat -c %T /dev/kvm)))"
    chgrp kvm "$dir/$X/kvm"
    mount --bind "$dir/$X/kvm" /dev/kvm
  fi
  if [ "$cgmode" = v1 ]; then
    # `ip netns exec` remounted /sys (so it shows this namespace's devices) and dropped the cgroup
    # mounts; mount the v1 hierarchies again: in this cgroup namespace their root is our cgroup.
    mount -t tmpfs -o mode=755 cgroup_root /sys/fs/cgroup
    for e in $(cg_list "$X"); do
      IFS='|' read -r mp ctrls _ <<<"$e"
      mkdir -p "$mp"
      mount -t cgroup -o "$ctrls" cgroup "$mp"
    done
  fi
  echo $$ >"$dir/$X/holder.pid"
  exec sleep infinity
}

# copy_tree SRC DST: the directories of SRC (owner, group, mode), no files; skips live state.
copy_tree() {
  local src=$1 dst=$2 rel
  mkdir -p "$dst"
  chown --reference="$src" "$dst"
  chmod --reference="$src" "$dst"
  (cd "$src" && find . -mindepth 1 -type d ! -path '*/domain-*' ! -path '*/qmp-*' \
    ! -path './dnsmasq*' -print) | while read -r rel; do
    mkdir -p "$dst/$rel"
    chown --reference="$src/$rel" "$dst/$rel"
    chmod --reference="$src/$rel" "$dst/$rel"
  done
}

prepare_host() {
  local X=$1 d=$dir/$1 uuid
  rm -rf "$d"
  mkdir -p "$d"
  # /etc/libvirt: a copy without domain definitions or autostart links of the machine's libvirtd.
  cp -a /etc/libvirt "$d/etc"
  rm -f "$d/etc/qemu/"*.xml "$d/etc/qemu/autostart/"* "$d/etc/qemu/networks/autostart/"* \
    "$d/etc/storage/autostart/"* 2>/dev/null || true
  uuid=$(cat /proc/sys/kernel/random/uuid)
  cat >>"$d/etc/libvirtd.conf" <<EOF

# --- twohosts.sh (test only) ---
listen_tls = 0
listen_tcp = 1
tcp_port = "16509"
auth_tcp = "none"
host_uuid = "$uuid"
EOF
  {
    echo
    echo "# --- twohosts.sh (test only) ---"
    # The address the source's QEMU connects to when the migration names no URI. Without it the
    # destination offers its hostname (hosta/hostb, in both hosts' /etc/hosts).
    [ "${TH_MIGRATION_HOST:-yes}" = no ] || echo "migration_host = \"$(ip_of "$X")\""
    echo "migration_port_min = 49152"
    echo "migration_port_max = 49215"
    # Post-copy needs userfaultfd, which the kernel gives a process with CAP_SYS_PTRACE or everyone
    # when vm.unprivileged_userfaultfd=1. Rather than relax that sysctl for the whole machine, the
    # test hosts' QEMU runs as root and keeps its capabilities.
    echo 'user = "root"'
    echo 'group = "root"'
    echo "clear_emulator_capabilities = 0"
  } >>"$d/etc/qemu.conf"
  if [ "$cgmode" = none ]; then
    echo 'cgroup_controllers = [ ]' >>"$d/etc/qemu.conf"
  fi
  echo "uuid_$X=$uuid" >>"$dir/state"
  mkdir -m 755 "$d/run"
  copy_tree /var/lib/libvirt "$d/lib"
  copy_tree /var/log/libvirt "$d/log"
  copy_tree /var/cache/libvirt "$d/cache"
  # QEMU's capabilities cache: without it the first start probes QEMU for ~12 s.
  cp -a /var/cache/libvirt/qemu/capabilities/. "$d/cache/qemu/capabilities/" 2>/dev/null || true
  cat >"$d/hosts" <<EOF
127.0.0.1 localhost
$(ip_of A) hosta
$(ip_of B) hostb
EOF
}

# The guest: the QEMU lane's kernel and initramfs (built by the project's .ci/qemu-guest.sh), whose
# /init prints a heartbeat on the serial console about every 2 s, so a migrated guest can be seen
# running on the other host.
prepare_guest() {
  local src=${TH_GUEST:-}
  if [ -z "$src" ]; then
    # The QEMU lane's builder answers from its cache when the packages have not changed.
    src=$(bash "$(dirname "$self")/qemu-guest.sh") || src=
  fi
  src=${src%/}
  if [ -z "$src" ] || [ ! -s "$src/vmlinuz" ] || [ ! -s "$src/initrd.img" ]; then
    say "no guest (TH_GUEST=DIR with vmlinuz and initrd.img, or build it with the project's .ci/qemu-guest.sh); 'guest' will not work"
    return 0
  fi
  mkdir -p "$dir/guest"
  cp "$src/vmlinuz" "$src/initrd.img" "$dir/guest/"
  chmod 755 "$dir/guest"
  chmod 644 "$dir/guest/"*
  echo "guest=$dir/guest" >>"$dir/state"
}

wait_libvirtd() { # X
  local deadline=$((SECONDS + READY_SECONDS))
  until virsh -q -c "$(uri_of "$1")" version >/dev/null 2>&1; do
    if [ $SECONDS -gt $deadline ]; then
      tail -n 20 "$dir/$1/libvirtd.out" >&2 || true
      die "libvirtd of host $1 did not answer within $READY_SECONDS s"
    fi
    if ! alive "$(pidof_file "$dir/$1/tini.pid")"; then
      tail -n 20 "$dir/$1/libvirtd.out" >&2 || true
      die "libvirtd of host $1 exited"
    fi
    sleep 0.2
  done
}

start_host() {
  local X=$1 ns
  ns=$(ns_of "$X")
  # The holder: enters the new namespaces, mounts, and sleeps; daemons and clients join it.
  (
    cg_join "$X"
    if [ "$cgmode" = v1 ]; then
      exec setsid ip netns exec "$ns" unshare --mount --uts --cgroup --propagation private -- "$self" _nsinit "$dir" "$X"
    else
      exec setsid ip netns exec "$ns" unshare --mount --uts --propagation private -- "$self" _nsinit "$dir" "$X"
    fi
  ) </dev/null >>"$dir/$X/holder.out" 2>&1 &
  local deadline=$((SECONDS + 10))
  until alive "$(holder_of "$X")"; do
    [ $SECONDS -le $deadline ] || {
      cat "$dir/$X/holder.out" >&2
      die "host $X: the namespace holder did not start"
    }
    sleep 0.05
  done
  (enter "$X" virtlogd -d --pid-file /run/libvirt/virtlogd.pid) </dev/null >>"$dir/$X/virtlogd.out" 2>&1 ||
    die "host $X: virtlogd did not start: $(cat "$dir/$X/virtlogd.out")"
  start_libvirtd "$X"
}

# start_libvirtd X: libvirtd under a child subreaper, TCP listener on (--listen, libvirtd.conf).
start_libvirtd() {
  (enter "$1" setsid tini -s -- libvirtd --listen --pid-file /run/libvirt/libvirtd.pid) \
    </dev/null >>"$dir/$1/libvirtd.out" 2>&1 &
  echo $! >"$dir/$1/tini.pid"
}

cmd_up() {
  [ "$(id -u)" = 0 ] || die "needs root"
  local c X
  for c in ip nsenter unshare tini libvirtd virtlogd virsh setsid; do
    command -v "$c" >/dev/null || die "missing $c (apt-get install libvirt-daemon-system libvirt-clients qemu-system-x86 tini cpio iproute2)"
  done
  if [ -e "$dir/state" ]; then
    say "$dir holds an earlier setup: taking it down first"
    cmd_down || true
    setdir "$dir"
  fi
  for X in $HOSTS; do
    if ip netns list | grep -qw "$(ns_of "$X")"; then
      # Left by a run whose state file is gone: the name is derived from DIR, so it is ours.
      say "network namespace $(ns_of "$X") is left from an earlier run of $dir: removing it"
      for c in $(ip netns pids "$(ns_of "$X")"); do stop_pid "process in $(ns_of "$X")" "$c"; done
      ip netns del "$(ns_of "$X")"
    fi
  done
  mkdir -p "$dir"
  chmod 755 "$dir" # QEMU (libvirt-qemu) reads the guest's kernel under it
  cgmode=${TH_CGROUPS:-auto}
  if [ "$cgmode" = auto ]; then
    if [ -n "$(cg_hierarchies)" ]; then cgmode=v1; else cgmode=none; fi
  fi
  {
    echo "tag=$tag"
    echo "net=$net"
    echo "cgmode=$cgmode"
  } >"$dir/state"
  if [ "$cgmode" = v1 ]; then
    for X in $HOSTS; do
      c=$(cg_create "$X")
      echo "cg_$X='$c'" >>"$dir/state"
    done
  fi
  for X in $HOSTS; do prepare_host "$X"; done
  prepare_guest
  setdir "$dir"

  ip netns add "$(ns_of A)"
  ip netns add "$(ns_of B)"
  ip link add "$TH_IF" netns "$(ns_of A)" type veth peer name "$TH_IF" netns "$(ns_of B)"
  ip link add "$TH_VMIF" netns "$(ns_of A)" type veth peer name "$TH_VMIF" netns "$(ns_of B)"
  for X in $HOSTS; do
    ip -n "$(ns_of "$X")" link set lo up
    ip -n "$(ns_of "$X")" addr add "$(ip_of "$X")/24" dev "$TH_IF"
    ip -n "$(ns_of "$X")" link set "$TH_IF" up
    ip -n "$(ns_of "$X")" link set "$TH_VMIF" up
  done
  for X in $HOSTS; do start_host "$X"; done
  for X in $HOSTS; do wait_libvirtd "$X"; done
  # Each libvirtd must answer the other over TCP, as a peer-to-peer migration will use it.
  [ "$( (enter A virsh -q -c qemu+tcp://hostb/system hostname) 2>&1)" = hostb ] ||
    die "host A cannot reach host B's libvirtd at qemu+tcp://hostb/system"
  [ "$( (enter B virsh -q -c qemu+tcp://hosta/system hostname) 2>&1)" = hosta ] ||
    die "host B cannot reach host A's libvirtd at qemu+tcp://hosta/system"
  for X in $HOSTS; do
    say "host $X: hostname host$(lower "$X"), $(ip_of "$X"), libvirtd pid $(pidof_file "$dir/$X/run/libvirtd.pid"), $(uri_of "$X")"
  done
  say "run a command inside a host: $self exec $dir A|B CMD... (e.g. virsh -c qemu:///system list)"
  say "from outside: eval \"\$($self env $dir)\"; virsh -c \"\$TH_A_URI\" list"
  say "peer URIs (inside the hosts): qemu+tcp://hosta/system, qemu+tcp://hostb/system"
}

# stop_pid NAME PID: SIGTERM, SIGKILL after 15 s.
stop_pid() {
  local name=$1 p=$2 t0
  alive "$p" || return 0
  kill -CONT "$p" 2>/dev/null || true
  kill -TERM "$p" 2>/dev/null || true
  t0=$(date +%s%N)
  while alive "$p" && [ $(($(date +%s%N) - t0)) -lt 15000000000 ]; do
    sleep 0.1
  done
  if alive "$p"; then
    say "$name (pid $p, state $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)) still runs $((($(date +%s%N) - t0) / 1000000)) ms after SIGTERM: SIGKILL"
    kill -KILL "$p" 2>/dev/null || true
    sleep 0.3
  fi
  alive "$p" && {
    say "FAILED: $name (pid $p) still runs"
    return 1
  }
  return 0
}

# host_pids X: every process of host X (its cgroups, its network namespace), never ourselves.
host_pids() {
  local X=$1 ns
  ns=$(ns_of "$X")
  {
    cg_pids "$X"
    ip netns pids "$ns" 2>/dev/null || true
  } | sort -un | while read -r p; do
    [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] || ! alive "$p" || echo "$p"
  done
}

cmd_down() {
  [ "$(id -u)" = 0 ] || die "needs root"
  [ -e "$dir/state" ] || {
    say "nothing set up in $dir"
    return 0
  }
  local X rc=0 d p pids
  for X in $HOSTS; do
    [ -d "$dir/$X" ] || continue
    p=$(pidof_file "$dir/$X/run/libvirtd.pid")
    if alive "$p" && virsh -q -c "$(uri_of "$X")" version >/dev/null 2>&1; then
      for d in $(virsh -q -c "$(uri_of "$X")" list --name --state-running --state-paused --state-other 2>/dev/null); do
        say "host $X: destroying domain $d"
        virsh -q -c "$(uri_of "$X")" destroy "$d" >/dev/null 2>&1 || true
      done
      for d in $(virsh -q -c "$(uri_of "$X")" list --all --name 2>/dev/null); do
        say "host $X: undefining domain $d"
        virsh -q -c "$(uri_of "$X")" undefine "$d" >/dev/null 2>&1 || rc=1
      done
    fi
    stop_pid "host $X libvirtd" "$p" || rc=1
    stop_pid "host $X tini" "$(pidof_file "$dir/$X/tini.pid")" || rc=1
    stop_pid "host $X virtlogd" "$(pidof_file "$dir/$X/run/virtlogd.pid")" || rc=1
  done
  for X in $HOSTS; do
    [ -d "$dir/$X" ] || continue
    pids=$(host_pids "$X" | grep -vx "$(holder_of "$X")" || true)
    if [ -n "$pids" ]; then
      say "host $X: processes left: $(for p in $pids; do echo "$p:$(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-60)"; done | tr '\n' ';')"
      for p in $pids; do stop_pid "host $X process" "$p" || rc=1; done
    fi
    stop_pid "host $X namespace holder" "$(holder_of "$X")" || rc=1
  done
  # Daemons that detached (virtlogd -d, tini) are reaped by PID 1, which can take seconds here:
  # wait until their zombies are gone too, so that nothing of ours shows in `ps` afterwards.
  for _ in $(seq 50); do
    pids=
    for X in $HOSTS; do
      for p in "$(pidof_file "$dir/$X/run/libvirtd.pid")" "$(pidof_file "$dir/$X/tini.pid")" \
        "$(pidof_file "$dir/$X/run/virtlogd.pid")" "$(holder_of "$X")"; do
        [ -n "$p" ] && [ -e "/proc/$p" ] && pids="$pids $p"
      done
    done
    [ -n "$pids" ] || break
    sleep 0.1
  done
  for X in $HOSTS; do
    if ip netns list | grep -qw "$(ns_of "$X")"; then
      ip netns del "$(ns_of "$X")" || rc=1
    fi
  done
  for X in $HOSTS; do
    local e c
    for e in $(cg_list "$X"); do
      c=${e##*|}
      [ -d "$c" ] || continue
      for _ in $(seq 50); do
        find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
        [ -d "$c" ] || break
        sleep 0.1
      done
      [ -d "$c" ] && {
        say "FAILED: cgroup $c is left"
        rc=1
      }
    done
    rm -rf "$dir/$X/run" "$dir/$X/lib" "$dir/$X/cache"
    rm -f "$dir/$X/holder.pid" "$dir/$X/tini.pid"
  done
  if [ $rc = 0 ]; then
    rm -f "$dir/state"
    say "down: nothing of $dir runs any more"
  else
    say "down: FAILED (see above); run it again"
  fi
  return $rc
}

cmd_env() {
  [ -e "$dir/state" ] || die "nothing set up in $dir"
  local X
  echo "TH_DIR='$dir'"
  for X in $HOSTS; do
    echo "TH_${X}_URI='$(uri_of "$X")'"
    echo "TH_${X}_TCP_URI='qemu+tcp://host$(lower "$X")/system'"
    echo "TH_${X}_IP='$(ip_of "$X")'"
    echo "TH_${X}_HOSTNAME='host$(lower "$X")'"
    echo "TH_${X}_NETNS='$(ns_of "$X")'"
    echo "TH_${X}_LIBVIRTD_PID='$(pidof_file "$dir/$X/run/libvirtd.pid")'"
    echo "TH_${X}_VIRTLOGD_PID='$(pidof_file "$dir/$X/run/virtlogd.pid")'"
    echo "TH_${X}_HOST_UUID='$(v="uuid_$X"; echo "${!v:-}")'"
    echo "TH_${X}_EXEC='$self exec $dir $X'"
    echo "TH_${X}_LOGDIR='$dir/$X/log'"
  done
  [ -z "${guest:-}" ] || echo "TH_GUEST='$guest'"
}

cmd_guest() {
  local name=${1:-} mem=${2:-128}
  [ -n "$name" ] || die "usage: $0 guest DIR NAME [MiB]"
  [ -n "${guest:-}" ] && [ -s "$guest/vmlinuz" ] || die "no guest in $dir (see up's output)"
  cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$guest/vmlinuz</kernel>
    <initrd>$guest/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <interface type='ethernet'><model type='virtio'/></interface>
    <serial type='pty'>
      <log file='/var/log/libvirt/qemu/$name-serial.log' append='on'/>
      <target port='0'/>
    </serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='virtio'><stats period='2'/></memballoon>
  </devices>
</domain>
EOF
}

cmd_status() {
  [ -e "$dir/state" ] || {
    echo "down"
    return 0
  }
  local X
  for X in $HOSTS; do
    echo "host $X: holder $(holder_of "$X") libvirtd $(pidof_file "$dir/$X/run/libvirtd.pid") virtlogd $(pidof_file "$dir/$X/run/virtlogd.pid"); processes: $(host_pids "$X" | tr '\n' ' ')"
  done
}

sub=${1:-}
shift || true
case "$sub" in
up)
  setdir "${1:-}"
  # A failed `up` takes down what it started (its logs stay under DIR).
  trap 'rc=$?; trap - EXIT; if [ $rc != 0 ]; then say "up failed: taking down what it started"; setdir "$dir"; cmd_down || true; fi; exit $rc' EXIT
  cmd_up
  ;;
down)
  setdir "${1:-}"
  cmd_down
  ;;
env)
  setdir "${1:-}"
  cmd_env
  ;;
exec)
  setdir "${1:-}"
  X=${2:-}
  [ "$X" = A ] || [ "$X" = B ] || die "usage: $0 exec DIR A|B CMD..."
  shift 2
  [ $# -gt 0 ] || set -- bash
  enter "$X" "$@"
  ;;
guest)
  setdir "${1:-}"
  shift
  cmd_guest "$@"
  ;;
status)
  setdir "${1:-}"
  cmd_status
  ;;
restart)
  # restart DIR A|B: stop host X's libvirtd by PID and start it again (its domains keep running).
  setdir "${1:-}"
  X=${2:-}
  [ "$X" = A ] || [ "$X" = B ] || die "usage: $0 restart DIR A|B"
  [ -e "$dir/state" ] || die "nothing set up in $dir"
  stop_pid "host $X libvirtd" "$(pidof_file "$dir/$X/run/libvirtd.pid")"
  stop_pid "host $X tini" "$(pidof_file "$dir/$X/tini.pid")"
  start_libvirtd "$X"
  wait_libvirtd "$X"
  say "host $X: libvirtd pid $(pidof_file "$dir/$X/run/libvirtd.pid")"
  ;;
_nsinit)
  setdir "$1"
  nsinit "$2"
  ;;
*)
  sed -n '2,11p' "$self" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
