#!/usr/bin/env bash
# The QEMU lane (`go tool task test:qemu`): the agent against real QEMU guests through a real
# system libvirtd, qemu:///system. As root it:
#   1. installs what it needs when missing (Debian: libvirt-daemon-system, libvirt-clients,
#      qemu-system-x86, tini, cpio; --no-install-recommends);
#   2. builds the guest (.ci/qemu-guest.sh: Debian's cloud kernel and a busybox initramfs, cached);
#   3. picks the domain type: kvm only where KVM is really usable (/dev/kvm, a CPU with vmx or svm,
#      and not the kvm_pvm module, under which a stock kernel never boots), else qemu (TCG);
#   4. starts virtlogd and libvirtd (.ci/qemu-daemons.sh: libvirtd under a child-subreaper);
#   5. runs the tests of cmd/agent/qemu_test.go (TestQEMU*), at most two guests at once;
#   6. whatever happens, destroys and undefines any guest left, stops the daemons by PID, and
#      fails if a daemon, a QEMU process or a domain definition is left.
#
# Without root (or on a machine that cannot run it) this lane fails under CI=true, and otherwise
# prints a loud SKIPPED line and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

LANE=test:qemu NEEDS="root, libvirtd and QEMU"
. .ci/lane.sh

guest_host "runs a system libvirtd (qemu:///system), which needs root; run it as root: sudo go tool task test:qemu"

qemu_guest
say "guest: $guest"

. .ci/guest-kernel.sh
type=qemu
if kvm_usable; then
  type=kvm
  # QEMU runs as libvirt-qemu:kvm; without udev /dev/kvm is root's alone.
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi
why=$kvm_why
say "domain type $type ($why)"

state=$(mktemp -d /run/hostagent-qemu-lane.XXXXXX)
export STATE=$state
daemons_up=
cleanup() {
  local rc=$?
  set +e
  if [ -n "$daemons_up" ]; then
    bash .ci/qemu-daemons.sh stop || rc=1
  fi
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
