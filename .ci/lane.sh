# Shared by the test lanes' scripts (sourced): set LANE (the log's prefix) and NEEDS (what a
# skipped lane lacks) first.
#   say MSG     a line of the lane's log, with the seconds since the lane started
#   fail MSG    say FAILED and exit 1
#   cannot MSG  this machine cannot run the lane: a failure under CI, a loud skip elsewhere (and,
#               when LANE_RESULT names a file, the reason written there for .ci/test.sh's summary)
#   guest_host WHY   a lane that boots the x86_64 test guest: root (WHY says what for) and
#               x86_64, or cannot
#   qemu_guest [CMD PKG]...  install what running QEMU guests under libvirtd needs (and the
#               commands given with their packages) when missing, then build the test guest
#               (.ci/qemu-guest.sh, cached) and set guest to what it printed
t0=${EPOCHREALTIME/./}
say() {
  local t=$((${EPOCHREALTIME/./} - t0))
  printf '%s: [%d.%ds] %s\n' "$LANE" $((t / 1000000)) $((t / 100000 % 10)) "$*" >&2
}
fail() {
  say "FAILED: $*"
  exit 1
}
cannot() {
  case "${CI:-}" in
  "" | 0 | false | False | FALSE) ;;
  *) fail "$* (CI=${CI}: this lane never skips in CI)" ;;
  esac
  echo "################################################################################" >&2
  say "SKIPPED: needs $NEEDS: $*"
  echo "################################################################################" >&2
  if [ -n "${LANE_RESULT:-}" ]; then
    echo "needs $NEEDS: $*" >"$LANE_RESULT"
  fi
  exit 0
}

guest_host() {
  [ "$(id -u)" = 0 ] || cannot "$1"
  [ "$(uname -m)" = x86_64 ] || cannot "the guest is x86_64 ($(uname -m) here)"
}

qemu_guest() {
  local cmds=(libvirtd virtlogd virsh qemu-system-x86_64 tini cpio)
  local pkgs=(libvirt-daemon-system libvirt-clients qemu-system-x86 tini cpio)
  while [ $# -ge 2 ]; do
    cmds+=("$1")
    pkgs+=("$2")
    shift 2
  done
  local c missing=()
  for c in "${cmds[@]}"; do
    command -v "$c" >/dev/null || missing+=("$c")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    local uniq
    uniq=$(printf '%s\n' "${pkgs[@]}" | awk '!seen[$0]++' | tr '\n' ' ')
    say "missing ${missing[*]}: installing $uniq"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || cannot "apt-get update failed"
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $uniq >/dev/null || cannot "apt-get install failed"
  fi
  if ! apt-cache policy linux-image-cloud-amd64 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    say "apt knows no linux-image-cloud-amd64 (empty package lists): apt-get update"
    apt-get update -qq || cannot "apt-get update failed"
  fi
  say "building the guest"
  guest=$(bash .ci/qemu-guest.sh) || fail "could not build the guest"
}
