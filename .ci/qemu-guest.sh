#!/usr/bin/env bash
# Builds the QEMU lane's guest: Debian's cloud kernel and a busybox initramfs, from packages fetched
# with `apt-get download` (nothing is installed). Prints the directory holding vmlinuz and
# initrd.img. The result is cached under CACHE (default /var/cache/hostagent/guest), keyed by the
# package versions and this script, so later runs cost nothing.
#
# The guest's /init brings up the virtio devices, starts watching the ACPI power button (it powers
# off when the button is pressed, as a guest OS with acpid would), then prints
# "HOSTAGENT-GUEST: userspace up" on the serial console. With "hostagent.acpi=ignore" on the kernel command line it ignores the button (a guest
# that VM.shutdown cannot reach); with "hostagent.poweroff" it powers off by itself once up (a user
# shutting the guest down from within). A loop prints "HOSTAGENT-GUEST: heartbeat N" and pings the
# (absent) host about every 2 s, which keeps traffic on the guest's network interface. Another reports the guest's NICs on the console: "HOSTAGENT-GUEST:
# ethN added MAC" when one appears (hotplug), "ethN carrier 0|1" when its link changes (the host's
# <link state>), "ethN removed" when it leaves (hot unplug). With "hostagent.qga=NAME" on the kernel
# command line the guest takes the hostname NAME and runs QEMU's guest agent (Debian's
# qemu-guest-agent, with the libraries ldd lists from this machine) on the virtio-serial port
# org.qemu.guest_agent.0 once that port is there; it prints "HOSTAGENT-GUEST: qemu-ga started", and
# "HOSTAGENT-GUEST: qemu-ga exited N" when the agent ends.
# It also onlines hotplugged CPUs and memory, and prints "HOSTAGENT-GUEST: cpus N memtotal M kB"
# (online CPUs, MemTotal) whenever either changes. With "hostagent.watchdog=1" it arms QEMU's
# i6300esb watchdog once up and never feeds it ("HOSTAGENT-GUEST: watchdog armed"): it fires about
# 2 s later and QEMU takes the domain's <watchdog action>.
set -euo pipefail
cache=${CACHE:-/var/cache/hostagent/guest}

. "$(dirname "$0")/guest-kernel.sh"
cloud_kernel
gaver=$(apt-cache policy qemu-guest-agent | sed -n 's/^ *Candidate: //p')
[ -n "$gaver" ] && [ "$gaver" != "(none)" ] || { echo "$(basename "$0"): no qemu-guest-agent in apt's lists (apt-get update?)" >&2; exit 1; }
key=$(printf '%s\n' "$kpkg=$kver" "busybox-static=$bver" "qemu-guest-agent=$gaver" | cat - "$0" "$guest_kernel_lib" | sha256sum | cut -c1-16)
out=$cache/$key
if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then
  echo "$out"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch_kernel "$work"

root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,mods}
cp "$work/b/bin/busybox" "$root/bin/busybox"

copy_modules "$root/mods" virtio_pci virtio_net virtio_balloon virtio_console button evdev

# QEMU's guest agent and every shared library it loads, at the path the loader looks for it.
(cd "$work" && apt-get download -q qemu-guest-agent >/dev/null 2>&1) || (cd "$work" && apt-get download qemu-guest-agent >&2)
dpkg-deb -x "$work"/qemu-guest-agent_*.deb "$work/ga"
cp "$work/ga/usr/sbin/qemu-ga" "$root/bin/qemu-ga"
if ldd "$root/bin/qemu-ga" | grep -q 'not found'; then
  echo "$(basename "$0"): qemu-ga needs libraries this machine lacks:" >&2
  ldd "$root/bin/qemu-ga" | grep 'not found' >&2
  exit 1
fi
ldd "$root/bin/qemu-ga" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

mkdir -p "$root/etc"
printf '%s\n' 'NAME="hostagent guest"' 'ID=hostagent' 'VERSION_ID=1' 'PRETTY_NAME="hostagent busybox guest"' >"$root/etc/os-release"

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /mods/order); do insmod /mods/$m.ko; done
ip link set lo up
ip addr add 192.0.2.2/24 dev eth0 && ip link set eth0 up
qga=$(sed -n 's/.*hostagent\.qga=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$qga" ]; then
  hostname "$qga"
  mkdir -p /run /var && ln -sf /run /var/run
  for n in /sys/class/virtio-ports/*/name; do
    [ "$(cat $n 2>/dev/null)" = org.qemu.guest_agent.0 ] || continue
    p=${n%/name}
    (qemu-ga -m virtio-serial -p /dev/${p##*/} -t /run; echo "HOSTAGENT-GUEST: qemu-ga exited $?") &
    echo "HOSTAGENT-GUEST: qemu-ga started"
  done
fi
if grep -q 'hostagent.acpi=ignore' /proc/cmdline; then
  echo "HOSTAGENT-GUEST: ignoring the power button"
else
  for d in /sys/class/input/event*; do
    [ "$(cat $d/device/name 2>/dev/null)" = "Power Button" ] || continue
    (dd if=/dev/input/${d##*/} of=/dev/null bs=24 count=1 2>/dev/null
     echo "HOSTAGENT-GUEST: power button, powering off"; poweroff -f) &
  done
  sleep 1 # the watchers have the devices open before the guest says it is up
fi
# The NICs as the guest sees them, on the console: each one that appears (brought up, so that its
# carrier can be read), each change of its carrier, each one that leaves. State in /run/nics.
mkdir -p /run/nics
(while :; do
  for d in /sys/class/net/eth*; do
    [ -e "$d/address" ] || continue
    n=${d##*/}
    if [ ! -e /run/nics/$n ]; then
      echo "HOSTAGENT-GUEST: $n added $(cat $d/address)"
      ip link set $n up
      : >/run/nics/$n
    fi
    c=$(cat $d/carrier 2>/dev/null)
    if [ -n "$c" ] && [ "$c" != "$(cat /run/nics/$n)" ]; then
      echo "HOSTAGENT-GUEST: $n carrier $c"
      echo "$c" >/run/nics/$n
    fi
  done
  for f in /run/nics/*; do
    n=${f##*/}
    [ -e "$f" ] && [ ! -e /sys/class/net/$n ] || continue
    echo "HOSTAGENT-GUEST: $n removed"
    rm "$f"
  done
  # Memory the host plugs in arrives offline, and a CPU may (a distribution's udev onlines them):
  # online them, the memory movable so that the host can take it back. Report the online CPUs and
  # MemTotal whenever they change.
  for f in /sys/devices/system/cpu/cpu[0-9]*/online; do
    [ "$(cat $f 2>/dev/null)" = 0 ] && echo 1 >$f 2>/dev/null
  done
  for f in /sys/devices/system/memory/memory[0-9]*/state; do
    [ "$(cat $f 2>/dev/null)" = offline ] && echo online_movable >$f 2>/dev/null
  done
  r="cpus $(grep -c ^processor /proc/cpuinfo) memtotal $(sed -n 's/^MemTotal: *//p' /proc/meminfo)"
  if [ "$r" != "$(cat /run/resources 2>/dev/null)" ]; then
    echo "HOSTAGENT-GUEST: $r"
    echo "$r" >/run/resources
  fi
  sleep 0.2 2>/dev/null || sleep 1
done) &
echo "HOSTAGENT-GUEST: userspace up"
if grep -q 'hostagent.poweroff' /proc/cmdline; then
  echo "HOSTAGENT-GUEST: powering off by itself"
  poweroff -f
fi
# The cloud kernel has no i6300esb driver: its two config registers are written through sysfs,
# each in one access of its width. 0x60 (16 bits): the 1 MHz clock, about a second per stage,
# reboot left enabled; 0x68 (8 bits): enable, which starts stage one. Nothing reloads it after.
if grep -q 'hostagent.watchdog=1' /proc/cmdline; then
  for d in /sys/bus/pci/devices/*; do
    [ "$(cat $d/vendor)$(cat $d/device)" = 0x80860x25ab ] || continue
    printf '\004\000' | dd of=$d/config bs=2 count=1 seek=96 oflag=seek_bytes iflag=fullblock conv=notrunc 2>/dev/null
    printf '\002' | dd of=$d/config bs=1 count=1 seek=104 oflag=seek_bytes conv=notrunc 2>/dev/null
    echo "HOSTAGENT-GUEST: watchdog armed"
  done
fi
# A heartbeat about every 2 s shows where the guest runs (a migrated guest goes on counting on the
# other host); the ping of the absent host keeps traffic on its NIC.
n=0
while :; do
  n=$((n + 1))
  echo "HOSTAGENT-GUEST: heartbeat $n uptime $(cut -d' ' -f1 /proc/uptime)"
  ping -c 1 -W 1 192.0.2.1 >/dev/null 2>&1
  sleep 1
done
EOF
chmod 755 "$root/init"

mkdir -p "$out.tmp"
cp "$work/k/boot/vmlinuz-$release" "$out.tmp/vmlinuz"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$out.tmp/initrd.img"
# QEMU runs as libvirt-qemu: every directory on the way must be searchable, the files readable.
chmod 755 "$out.tmp"
chmod 644 "$out.tmp"/*
rm -rf "$out"
mv "$out.tmp" "$out"
chmod o+x "$cache" "$(dirname "$cache")"
echo "$out"
