#!/usr/bin/env bash
# `go tool task test`: every test lane in order (or the lanes named as arguments: unit race
# libvirtd qemu netns netkernel migration), each through its own task (`go tool task test:LANE`). A failing lane does not
# stop the lanes after it; the run ends with a summary of every lane (passed, failed or skipped,
# with its time) and fails if one failed. Ctrl-C stops the run: the lanes not run yet are listed
# as such.
set -uo pipefail
cd "$(dirname "$0")/.."

lanes=("$@")
[ ${#lanes[@]} -gt 0 ] || lanes=(unit race libvirtd qemu netns netkernel migration)

now() { echo "${EPOCHREALTIME/./}"; }
secs() { printf '%d.%d s' $(($1 / 1000000)) $(($1 / 100000 % 10)); }

results=()
failed=0
interrupted=
t0=$(now)
result=$(mktemp)
trap 'rm -f "$result"' EXIT
trap 'interrupted=1' INT TERM

summary() {
  echo >&2
  echo "test lanes:" >&2
  local i
  for i in "${!lanes[@]}"; do
    printf '  %-14s %s\n' "test:${lanes[$i]}" "${results[$i]:-not run (interrupted)}" >&2
  done
  echo "  total          $(secs $(($(now) - t0)))" >&2
}

for i in "${!lanes[@]}"; do
  lane=${lanes[$i]}
  echo "==> test:$lane" >&2
  : >"$result"
  start=$(now)
  LANE_RESULT=$result go tool task "test:$lane"
  rc=$?
  took=$(secs $(($(now) - start)))
  if [ -n "$interrupted" ]; then
    results[$i]="interrupted after $took"
    summary
    exit 130
  fi
  if [ "$rc" != 0 ]; then
    results[$i]="FAILED  $took (exit status $rc)"
    failed=1
  elif [ -s "$result" ]; then
    results[$i]="SKIPPED $took ($(cat "$result"))"
  else
    results[$i]="passed  $took"
  fi
done
summary
exit "$failed"
