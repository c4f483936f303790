#!/usr/bin/env bash
# The QEMU lane (`go tool task test:qemu`): the agent against real QEMU guests through a real
# system libvirtd, qemu:///system. As root it:
#   1. installs what it needs when missing (Debian: libvirt-daemon-system, libvirt-clients,
#      qemu-system-x86, tini, cpio; --no-install-recommends);
#   2. builds the guest (.ci/qemu-guest.sh: Debian's cloud kernel and a busybox initramfs, cached);
#   3. picks the domain type: kvm only where KVM is really usable (/dev/kvm, a CPU with vmx or svm,
#      and not the kvm_pvm module, under which a stock kernel never boots), else qemu (TCG);
#   4. starts virtlogd and libvirtd (.ci/qemu-daemons.sh: libvirtd under a child-subreaper);
#   5. makes the bridges an engine's VM needs (qemu_engine_test.go), as a VDSM host has them: the
#      networks issue's lane does not run here, so this lane makes them on the machine's own
#      namespace, by name, and removes them: ovirtmgmt (down to no ports, up, 127.0.0.2/32: the
#      address the vdsm-ovirtmgmt display network listens on stays on this machine) and
#      ;vdsmdummy; (a bridge with no ports, down, as vdsm-tool makes it; the agent's own creation
#      of it is tested in a namespace, hostnet/ensure_test.go);
#   6. runs the tests of cmd/agent/qemu_test.go (TestQEMU*), at most two guests at once;
#   7. whatever happens, destroys and undefines any guest left, removes the vdsm-ovirtmgmt libvirt
#      network the agent made and the lane's bridges, stops the daemons by PID, and fails if a
#      daemon, a QEMU process, a domain definition, that network or those bridges are left.
#
# Without root (or on a machine that cannot run it) this lane fails under CI=true, and otherwise
# prints a loud SKIPPED line and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

LANE=test:qemu NEEDS="root, libvirtd and QEMU"
. .ci/lane.sh

if [ "$(id -u)" != 0 ]; then
  cannot "runs a system libvirtd (qemu:///system), which needs root; run it as root: sudo go tool task test:qemu"
fi
if [ "$(uname -m)" != x86_64 ]; then
  cannot "the guest is x86_64 ($(uname -m) here)"
fi

missing=()
for c in libvirtd virtlogd virsh qemu-system-x86_64 tini cpio; do
  command -v "$c" >/dev/null || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "missing ${missing[*]}: installing libvirt-daemon-system libvirt-clients qemu-system-x86 tini cpio"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || cannot "apt-get update failed"
  apt-get install -y -qq --no-install-recommends libvirt-daemon-system libvirt-clients qemu-system-x86 tini cpio >/dev/null ||
    cannot "apt-get install failed"
fi

if ! apt-cache policy linux-image-cloud-amd64 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  say "apt knows no linux-image-cloud-amd64 (empty package lists): apt-get update"
  apt-get update -qq || cannot "apt-get update failed"
fi
say "building the guest"
guest=$(bash .ci/qemu-guest.sh) || fail "could not build the guest"
say "guest: $guest"

type=qemu
why="no /dev/kvm"
if [ -e /dev/kvm ]; then
  if [ -e /sys/module/kvm_pvm ]; then
    why="/dev/kvm is kvm_pvm (PVM): a stock guest kernel does not boot under it"
  elif ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
    why="the CPU has neither vmx nor svm"
  else
    type=kvm
    why="/dev/kvm with hardware virtualization"
    # QEMU runs as libvirt-qemu:kvm; without udev /dev/kvm is root's alone.
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
  fi
fi
say "domain type $type ($why)"

state=$(mktemp -d /run/hostagent-qemu-lane.XXXXXX)
export STATE=$state
daemons_up=
bridges=() # the bridges this lane made, removed by name when it ends
cleanup() {
  local rc=$?
  set +e
  if [ -n "$daemons_up" ]; then
    if virsh -q -c qemu:///system net-info vdsm-ovirtmgmt >/dev/null 2>&1; then
      virsh -q -c qemu:///system net-destroy vdsm-ovirtmgmt >/dev/null 2>&1
      virsh -q -c qemu:///system net-undefine vdsm-ovirtmgmt >/dev/null || rc=1
      if virsh -q -c qemu:///system net-info vdsm-ovirtmgmt >/dev/null 2>&1; then
        say "FAILED: the libvirt network vdsm-ovirtmgmt is left"
        rc=1
      fi
    fi
    bash .ci/qemu-daemons.sh stop || rc=1
  fi
  for br in "${bridges[@]}"; do
    ip link del "$br" type bridge || rc=1
    if [ -e "/sys/class/net/$br" ]; then
      say "FAILED: the bridge $br is left"
      rc=1
    fi
  done
  if [ "$rc" != 0 ] && [ -s "$state/libvirtd.out" ]; then
    say "libvirtd's output (last 20 lines):"
    tail -n 20 "$state/libvirtd.out" >&2
  fi
  rm -rf "$state"
  [ "$rc" = 0 ] && say "PASSED" || say "FAILED"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building the tests of ./cmd/agent"
go test -c -o "$state/agent.test" ./cmd/agent/

daemons_up=1
bash .ci/qemu-daemons.sh start || fail "the daemons did not start"

for br in ovirtmgmt ';vdsmdummy;'; do
  # A bridge by that name that this lane did not make is someone else's: leave it and stop.
  [ -e "/sys/class/net/$br" ] && fail "a link named $br exists already; this lane makes and removes its own"
  ip link add "$br" type bridge || fail "ip link add $br type bridge"
  bridges+=("$br")
done
# No IPv6 link-local address: the bridge sends nothing of its own.
if [ -e /proc/sys/net/ipv6/conf/ovirtmgmt/disable_ipv6 ]; then
  echo 1 >/proc/sys/net/ipv6/conf/ovirtmgmt/disable_ipv6
fi
ip addr add 127.0.0.2/32 dev ovirtmgmt || fail "ip addr add 127.0.0.2/32 dev ovirtmgmt"
ip link set ovirtmgmt up || fail "ip link set ovirtmgmt up"
say "made the bridges ovirtmgmt (127.0.0.2/32) and ;vdsmdummy; for the engine's VM (removed at the end)"

out=$state/qemu.out
say "go test -count=1 -v -run '^TestQEMU' ./cmd/agent/ (guest $guest, type $type)"
# The tests' -v output streams as it comes (the guests take a while to boot), and is kept in $out
# for the checks below.
if ! (cd cmd/agent && env HOSTAGENT_TEST_QEMU_GUEST="$guest" HOSTAGENT_TEST_QEMU_TYPE="$type" \
  HOSTAGENT_TEST_QEMU_RESTART="STATE=$state bash $PWD/../../.ci/qemu-daemons.sh restart-libvirtd" \
  "$state/agent.test" -test.count=1 -test.v -test.run '^TestQEMU' -test.timeout 15m) 2>&1 | tee "$out" >&2; then
  fail "tests failed against QEMU"
fi
if grep -q -- '--- SKIP' "$out"; then
  fail "tests were skipped (see SKIP above)"
fi
grep -q -- '--- PASS' "$out" || fail "no test ran"
