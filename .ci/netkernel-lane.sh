#!/usr/bin/env bash
# The netkernel lane (`go tool task test:netkernel`): cmd/agent's TestNetnsLaneBonds, the install
# flow's "VLAN network on a bond of two dummy NICs", run in a QEMU guest. The machines the lanes run
# on have no bonding, 8021q or dummy drivers, so the guest boots Debian's cloud kernel, which has
# them, on an initramfs holding this machine's agent, the compiled tests of ./cmd/agent and
# iproute2's ip (.ci/netkernel-guest.sh). In the guest the test makes its own network namespaces
# as the netns lane does and drives the agent over STOMP; nothing in it touches this machine's
# network, and the guest has no network device at all.
#
# QEMU runs under KVM where it is really usable (as .ci/qemu-lane.sh decides), else TCG; it is
# killed by PID if it outlives the lane's time-out or the lane. The lane passes only when the
# serial console shows the guest's PASS line.
#
# Needs root (the guest's kernel comes from apt-get download, qemu-system-x86 and cpio are
# installed when missing): without it it fails under CI=true and skips loudly elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

LANE=test:netkernel NEEDS="root and QEMU (a guest kernel with bonding, 8021q and dummy drivers)"
. .ci/lane.sh

guest_host "installs QEMU and fetches the guest kernel with apt, which needs root; run it as root: sudo go tool task test:netkernel"
missing=()
for c in qemu-system-x86_64:qemu-system-x86 cpio:cpio ip:iproute2; do
  command -v "${c%%:*}" >/dev/null || missing+=("${c#*:}")
done
kpolicy=$(apt-cache policy linux-image-cloud-amd64 2>/dev/null || true)
if ! grep -q 'Candidate: [0-9]' <<<"$kpolicy" || [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || cannot "no apt-get to fetch the guest's kernel and ${missing[*]}"
  say "apt-get update"
  apt-get update -qq || cannot "apt-get update failed"
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    cannot "apt-get install ${missing[*]} failed"
fi

. .ci/guest-kernel.sh
accel=tcg
if kvm_usable; then
  accel=kvm
fi
why=$kvm_why

work=$(mktemp -d "${TMPDIR:-/tmp}/hostagent-netkernel.XXXXXX")
qemu_pid=
cleanup() {
  if [ -n "$qemu_pid" ]; then
    kill -TERM "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building the agent and the tests of ./cmd/agent"
go build -o "$work/agent" ./cmd/agent
go test -c -o "$work/agent.test" ./cmd/agent
say "building the guest"
bash .ci/netkernel-guest.sh "$work/guest" "$work/agent" "$work/agent.test" '^TestNetnsLaneBonds$' ||
  fail "could not build the guest"
say "booting it ($accel: $why)"

console=$work/console.log
timeout=${NETKERNEL_TIMEOUT:-300}
# timeout(1) stops QEMU (TERM, then KILL) if the guest hangs; the trap's TERM to timeout's PID is
# passed on to QEMU when the lane itself ends first.
timeout -k 10 "$timeout" qemu-system-x86_64 -accel "$accel" -cpu max -smp 2 -m 1024 -nodefaults -no-user-config \
  -display none -nic none -no-reboot -serial "file:$console" \
  -kernel "$work/guest/vmlinuz" -initrd "$work/guest/initrd.img" \
  -append "console=ttyS0 panic=-1 quiet" &
qemu_pid=$!
rc=0
wait "$qemu_pid" || rc=$?
qemu_pid=
[ "$rc" != 124 ] && [ "$rc" != 137 ] || say "the guest was stopped after ${timeout}s"

sed -n '/^HOSTAGENT-NETKERNEL: kernel/,$p' "$console" | tr -d '\r' >&2
if ! grep -q '^HOSTAGENT-NETKERNEL: PASS' "$console"; then
  grep -q '^HOSTAGENT-NETKERNEL: kernel' "$console" || tail -n 40 "$console" >&2
  fail "TestNetnsLaneBonds in the guest (QEMU exit status $rc)"
fi
say "passed"
