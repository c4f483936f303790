#!/usr/bin/env bash
# Builds the netkernel lane's guest: Debian's cloud kernel, which has the bonding, 8021q, dummy,
# veth and bridge drivers as modules (the machines the lanes run on have none of them), and a busybox
# initramfs that runs one Go test binary against the agent binary and powers off.
#
#   netkernel-guest.sh OUT AGENT TESTBIN RUN
#
# writes OUT/vmlinuz and OUT/initrd.img. In the guest /init loads the modules, mounts what
# `ip netns` and the tests need, runs `TESTBIN -test.run RUN -test.v` with HOSTAGENT_NETKERNEL_LANE=1
# and HOSTAGENT_AGENT_BIN set, and prints its output and then one line
# "HOSTAGENT-NETKERNEL: PASS" or "HOSTAGENT-NETKERNEL: FAIL (exit status N)" on the serial
# console, then powers off.
#
# The kernel, its modules and busybox come from packages fetched with `apt-get download` (nothing
# is installed) and are cached under CACHE (default /var/cache/hostagent/netkernel), keyed by the
# package versions and this script. The binaries, iproute2's `ip` and the shared libraries they
# all load (read with ldd, with the dynamic loader) are copied from this machine on every run: the
# guest runs this machine's userland on Debian's kernel.
set -euo pipefail
[ $# = 4 ] || { echo "usage: $0 OUT AGENT TESTBIN RUN" >&2; exit 2; }
out=$1 agent=$2 testbin=$3 run=$4
cache=${CACHE:-/var/cache/hostagent/netkernel}

. "$(dirname "$0")/guest-kernel.sh"
cloud_kernel
key=$(printf '%s\n' "$kpkg=$kver" "busybox-static=$bver" | cat - "$0" "$guest_kernel_lib" | sha256sum | cut -c1-16)
base=$cache/$key

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The cached part: vmlinuz, busybox, and mods/ with the modules and mods/order.
if ! [ -s "$base/vmlinuz" ] || ! [ -s "$base/mods/order" ]; then
  fetch_kernel "$work"
  # xfrm_user and nfnetlink: the netlink library opens XFRM and netfilter sockets beside the route
  # one, and without modprobe in the guest nothing loads their modules on demand as on a host.
  copy_modules "$base.tmp/mods" bonding 8021q dummy veth bridge xfrm_user nfnetlink
  cp "$work/k/boot/vmlinuz-$release" "$base.tmp/vmlinuz"
  cp "$work/b/bin/busybox" "$base.tmp/busybox"
  rm -rf "$base"
  mv "$base.tmp" "$base"
  rm -rf "$work"/*
fi

root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,etc,mods,var} "$out"
ln -s /run "$root/var/run" # where the netns library looks for `ip netns`' names
cp "$base/busybox" "$root/bin/busybox"
cp "$base"/mods/* "$root/mods/"
cp "$agent" "$root/bin/agent"
cp "$testbin" "$root/bin/agent.test"
ipbin=$(command -v ip)
cp "$ipbin" "$root/bin/ip"
printf '%s\n' "$run" >"$root/etc/netkernel-run"

# Every shared library the binaries load, at the path the loader looks for it (as a file, not a
# symlink), and the loader itself at the path written in the binaries.
for bin in "$agent" "$testbin" "$ipbin"; do
  ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
for m in $(cat /mods/order); do insmod /mods/$m.ko || echo "HOSTAGENT-NETKERNEL: insmod $m failed"; done
ip link set lo up
echo "HOSTAGENT-NETKERNEL: kernel $(uname -r), running $(cat /etc/netkernel-run)"
cd /tmp
HOME=/tmp PATH=/bin LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu \
  HOSTAGENT_NETKERNEL_LANE=1 HOSTAGENT_AGENT_BIN=/bin/agent \
  /bin/agent.test -test.run "$(cat /etc/netkernel-run)" -test.v -test.count=1 -test.timeout=5m </dev/null 2>&1
rc=$?
if [ "$rc" = 0 ]; then
  echo "HOSTAGENT-NETKERNEL: PASS"
else
  echo "HOSTAGENT-NETKERNEL: FAIL (exit status $rc)"
fi
sync
poweroff -f
EOF
chmod 755 "$root/init"

cp "$base/vmlinuz" "$out/vmlinuz"
# Not compressed: under TCG the guest would spend longer inflating it than QEMU spends loading it.
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out/initrd.img"
