# Shared by the scripts that boot a QEMU guest on Debian's cloud kernel (sourced):
#   cloud_kernel       set kpkg (the cloud kernel's versioned package), kver and bver (its and
#                      busybox-static's candidate versions), or fail when apt's lists know neither
#   fetch_kernel DIR   apt-get download the kernel and busybox-static into DIR and unpack them:
#                      DIR/k (the kernel package), DIR/b (busybox); set release and mods (the
#                      kernel's module tree)
#   copy_modules DEST MODULE...  copy each module and what it depends on into DEST, each after its
#                      dependencies, and write their names in that order to DEST/order. The
#                      package ships no modules.dep (depmod writes it on installation), so the
#                      dependencies are read from each module's own .modinfo "depends=" entry,
#                      which is what depmod reads too.
#   kvm_usable         whether a guest can run under KVM here; kvm_why says why or why not. A
#                      /dev/kvm is not enough: under the kvm_pvm module a stock guest kernel never
#                      boots, and without vmx or svm KVM cannot run a guest at all.
# A script that caches what it builds keys the cache with this file too (guest_kernel_lib).
guest_kernel_lib=${BASH_SOURCE[0]}

cloud_kernel() {
  kpkg=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n1)
  [ -n "$kpkg" ] || { echo "$(basename "$0"): no linux-image-*-cloud-amd64 in apt's lists (apt-get update?)" >&2; exit 1; }
  kver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
  bver=$(apt-cache policy busybox-static | sed -n 's/^ *Candidate: //p')
}

fetch_kernel() {
  local dir=$1
  (cd "$dir" && apt-get download -q "$kpkg" busybox-static >/dev/null 2>&1) ||
    (cd "$dir" && apt-get download "$kpkg" busybox-static >&2)
  dpkg-deb -x "$dir"/linux-image-*.deb "$dir/k"
  dpkg-deb -x "$dir"/busybox-static_*.deb "$dir/b"
  release=${kpkg#linux-image-}
  mods=$dir/k/lib/modules/$release
}

copy_modules() {
  local dest=$1 m
  shift
  local order=()
  add_module() {
    local m=$1 f d
    for d in "${order[@]}"; do [ "$d" = "$m" ] && return 0; done
    f=$(find "$mods" -name "$m.ko" | head -n1)
    [ -n "$f" ] || { echo "$(basename "$0"): module $m not in $kpkg" >&2; exit 1; }
    for d in $(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | head -n1 | tr ',' ' '); do
      add_module "$d"
    done
    cp "$f" "$dest/"
    order+=("$m")
  }
  mkdir -p "$dest"
  for m in "$@"; do add_module "$m"; done
  printf '%s\n' "${order[@]}" >"$dest/order"
}

kvm_usable() {
  if ! [ -e /dev/kvm ]; then
    kvm_why="no /dev/kvm"
  elif [ -e /sys/module/kvm_pvm ]; then
    kvm_why="/dev/kvm is kvm_pvm (PVM): a stock guest kernel does not boot under it"
  elif ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
    kvm_why="the CPU has neither vmx nor svm"
  else
    kvm_why="/dev/kvm with hardware virtualization"
    return 0
  fi
  return 1
}
