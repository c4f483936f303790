#!/usr/bin/env bash
# What building the agent needs beyond Go (every task that builds runs this first): libvirt's C
# headers found through pkg-config, and a C compiler with libc's headers, for cgo. With the
# argument "test" (the test tasks), also genisoimage and mtools, which build VMs' payload images,
# CD-ROM and floppy, and read them back in the tests; an agent without them runs, and a VM with a
# payload disk goes Down saying what to install. As root it installs what is missing with apt;
# otherwise it stops with the one command that installs it.
set -euo pipefail
for_tests=; [ "${1:-}" = test ] && for_tests=1

cc=$(go env CC)
cc=${cc:-gcc}
# check: set missing to the packages that what is missing comes with.
check() {
  missing=()
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  pkg-config --exists libvirt 2>/dev/null || missing+=(libvirt-dev)
  if [ -n "$for_tests" ]; then
    command -v genisoimage >/dev/null && command -v isoinfo >/dev/null || missing+=(genisoimage)
    command -v mformat >/dev/null && command -v mcopy >/dev/null || missing+=(mtools)
  fi
  # A compiler that cannot build a C program is as good as none (gcc without libc6-dev).
  if ! printf 'int main(void) { return 0; }\n' | $cc -x c -o /dev/null - >/dev/null 2>&1; then
    missing+=(gcc libc6-dev)
  fi
}
check
[ ${#missing[@]} -eq 0 ] && exit 0

# Names the packages actually missing, so that the one command is also the shortest.
cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
  echo "setup: building the agent needs ${missing[*]} (libvirt's headers and a C compiler for cgo${for_tests:+; genisoimage and mtools for the payload-image tests}); run:" >&2
  echo "  sudo sh -c '$cmd'" >&2
  exit 1
fi
echo "setup: installing ${missing[*]} (libvirt's headers and a C compiler for cgo${for_tests:+; genisoimage and mtools for the payload-image tests}): $cmd" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
check
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: still missing after apt-get install: ${missing[*]} (is CC=$cc a C compiler?)" >&2
  exit 1
fi
