# Shared by the test lanes' scripts (sourced): set LANE (the log's prefix) and NEEDS (what a
# skipped lane lacks) first.
#   say MSG     a line of the lane's log, with the seconds since the lane started
#   fail MSG    say FAILED and exit 1
#   cannot MSG  this machine cannot run the lane: a failure under CI, a loud skip elsewhere (and,
#               when LANE_RESULT names a file, the reason written there for .ci/test.sh's summary)
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
