#!/usr/bin/env bash
# Runs the cgroup v2 tests (default: dist/test/cgroup2/**/*.test.js) inside a qemu VM that boots
# this machine's Debian kernel with cgroup_no_v1=all, since the host's cgroups are hybrid.
#   scripts/test-cgroup2.sh [--tap FILE] [--timeout SECONDS] [--log FILE] [test files...]
# The VM sees the host root read-only over virtio-9p with a tmpfs overlay on top, so the repo is at
# the same path and node and its libraries come from the host. Software emulation (TCG): no KVM.
# Needs root (reads /boot and qemu's 9p export of /). The TypeScript must be built (npx tsc -p .).
# Env: SKIFF_VM_KERNEL (path to a vmlinuz, default the newest /boot/vmlinuz-*), SKIFF_VM_MEM (MiB,
# 2048), SKIFF_VM_SMP (2), SKIFF_VM_TIMEOUT (seconds, 900).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shopt -s globstar nullglob

tap_out='' log_out='' timeout=${SKIFF_VM_TIMEOUT:-900}
while [ $# -gt 0 ]; do
  case $1 in
    --tap) tap_out=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --log) log_out=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) echo "test-cgroup2: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
files=()
for f in "$@"; do files+=("$(realpath -m -- "$f")"); done # the VM runs node in the repo
cd "$repo"
[ ${#files[@]} -gt 0 ] || files=(dist/test/cgroup2/**/*.test.js)
if [ ${#files[@]} -eq 0 ]; then
  echo "test-cgroup2: no test files (dist/test/cgroup2/**/*.test.js; build with npx tsc -p .), nothing to run"
  [ -z "$tap_out" ] || : >"$tap_out"
  exit 0
fi
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "test-cgroup2: no such file: $f" >&2; exit 2; }
  case $f in *[[:space:]]*) echo "test-cgroup2: file names with spaces are not supported: $f" >&2; exit 2 ;; esac
done

kernel=${SKIFF_VM_KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)}
[ -r "$kernel" ] || { echo "test-cgroup2: no readable kernel in /boot (apt-get install linux-image-amd64)" >&2; exit 1; }
kver=${kernel##*/vmlinuz-}
moddir=/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || { echo "test-cgroup2: $moddir/modules.dep missing" >&2; exit 1; }
for tool in qemu-system-x86_64 cpio; do
  command -v "$tool" >/dev/null || { echo "test-cgroup2: $tool not found (scripts/install-system-deps.sh)" >&2; exit 1; }
done
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 \
  || { echo "test-cgroup2: a static busybox is needed (apt-get install busybox-static)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/skiff-cgroup2-vm.XXXXXX)
qemu_pid=''
cleanup() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- initramfs: busybox, /init, the modules for 9p + overlay in load order, the run's config --------
root=$tmp/initramfs
mkdir -p "$root/bin" "$root/modules"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$repo/scripts/vm/init.sh" "$root/init"
chmod 755 "$root/init"
quote() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }
{
  echo "export SKIFF_VM_REPO=$(quote "$repo")"
  for name in $(compgen -e SKIFF_); do # the host's SKIFF_* settings reach the tests
    case $name in SKIFF_VM_* | SKIFF_CGROUP2_ROOT) ;; *) echo "export $name=$(quote "${!name}")" ;; esac
  done
} >"$root/vm.env"
printf '%s\n' "${files[@]}" >"$root/vm.files"

# modules.dep: "kernel/x/a.ko: kernel/y/b.ko kernel/z/c.ko" lists every dependency of a.ko; modprobe
# loads them from last to first, then a.ko itself. Built-in modules are listed in modules.builtin.
declare -A queued=()
add_module() { # NAME: adds the module and, first, its dependencies to modules/order
  local name=${1//-/_} entry deps dep file out i
  [ -z "${queued[$name]:-}" ] || return 0
  queued[$name]=1
  if tr - _ <"$moddir/modules.builtin" | grep -q "/$name\.ko\$"; then return 0; fi
  entry=$(awk -v n="$name" '{ b = $1; sub(/.*\//, "", b); sub(/\.ko.*/, "", b); gsub(/-/, "_", b) }
    b == n { print; exit }' "$moddir/modules.dep")
  [ -n "$entry" ] || { echo "test-cgroup2: module $name is not in $moddir/modules.dep" >&2; exit 1; }
  read -ra deps <<<"${entry#*:}"
  for ((i = ${#deps[@]} - 1; i >= 0; i--)); do dep=${deps[i]##*/}; add_module "${dep%%.ko*}"; done
  file=$moddir/${entry%%:*} out=${entry%%:*}
  out=${out##*/}; out=${out%%.ko*}.ko
  case $file in
    *.ko) cp "$file" "$root/modules/$out" ;;
    *.ko.xz) xz -dc "$file" >"$root/modules/$out" ;;
    *.ko.zst) zstd -qdc "$file" >"$root/modules/$out" ;;
    *.ko.gz) gzip -dc "$file" >"$root/modules/$out" ;;
  esac
  echo "$out" >>"$root/modules/order"
}
: >"$root/modules/order"
for m in virtio_pci 9pnet_virtio 9p overlay; do add_module "$m"; done
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$tmp/initramfs.cpio"

# --- boot ---------------------------------------------------------------------------------------
log=$tmp/console.log
cmdline="console=ttyS0 panic=-1 cgroup_no_v1=all random.trust_cpu=on"
echo "test-cgroup2: booting $kernel (TCG, ${SKIFF_VM_SMP:-2} vCPUs, ${SKIFF_VM_MEM:-2048} MiB) for ${#files[@]} test file(s), timeout ${timeout}s"
start=$(date +%s.%N)
qemu-system-x86_64 -accel tcg -cpu max -smp "${SKIFF_VM_SMP:-2}" -m "${SKIFF_VM_MEM:-2048}" \
  -nographic -no-reboot -nic none -monitor none -serial "file:$log" \
  -kernel "$kernel" -initrd "$tmp/initramfs.cpio" -append "$cmdline" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  </dev/null >"$tmp/qemu.out" 2>&1 &
qemu_pid=$!

elapsed() { echo "$(date +%s.%N) $1" | awk '{printf "%.1f", $1 - $2}'; }
snapshot() { # the complete lines on the console so far, without the serial line's \r
  cp "$log" "$tmp/snap" 2>/dev/null || : >"$tmp/snap"
  if [ -n "$(tail -c 1 "$tmp/snap")" ]; then sed '$d' "$tmp/snap"; else cat "$tmp/snap"; fi | tr -d '\r' >"$tmp/console.txt"
}
section() { awk -v b="^@@SKIFF-$1-BEGIN@@" -v e="^@@SKIFF-$1-END@@" '$0 ~ e {p=0} p {print} $0 ~ b {p=1}' "$tmp/console.txt"; }
printed=0
stream() { # prints the TAP lines that arrived since the last call
  section TAP >"$tmp/result.tap"
  local n; n=$(wc -l <"$tmp/result.tap")
  if [ "$n" -gt "$printed" ]; then sed -n "$((printed + 1)),${n}p" "$tmp/result.tap"; printed=$n; fi
}

booted='' finished='' timed_out=''
while kill -0 "$qemu_pid" 2>/dev/null; do
  snapshot
  if [ -z "$booted" ] && grep -q '^@@SKIFF-VM-BOOTED@@' "$tmp/console.txt"; then
    booted=$(elapsed "$start"); echo "test-cgroup2: booted in ${booted}s, running the tests"
  fi
  [ -z "$booted" ] || stream
  if [ -z "$finished" ] && grep -q '^@@SKIFF-TAP-END@@' "$tmp/console.txt"; then finished=$(elapsed "$start"); fi
  if awk -v e="$(elapsed "$start")" -v t="$timeout" 'BEGIN { exit !(e > t) }'; then
    timed_out=1; kill "$qemu_pid" 2>/dev/null; break
  fi
  sleep 0.5
done
wait "$qemu_pid" 2>/dev/null || true
pid=$qemu_pid qemu_pid=''
total=$(elapsed "$start")
: "${booted:=$total}" "${finished:=$total}"

# --- results --------------------------------------------------------------------------------------
echo >>"$log" # a last line cut short still counts
snapshot
stream
[ -z "$tap_out" ] || cp "$tmp/result.tap" "$tap_out"
[ -z "$log_out" ] || cp "$tmp/console.txt" "$log_out"
if grep -q '^@@SKIFF-STDERR-BEGIN@@' "$tmp/console.txt"; then
  echo "--- stderr of the test run:"; section STDERR
fi
fail() {
  echo "test-cgroup2: $*" >&2
  echo "--- last lines of the VM console:" >&2
  tail -n 40 "$tmp/console.txt" >&2
  [ ! -s "$tmp/qemu.out" ] || { echo "--- qemu:" >&2; cat "$tmp/qemu.out" >&2; }
  exit 1
}
[ -z "$timed_out" ] || fail "timed out after ${timeout}s (killed qemu, pid $pid)${booted:+; the tests had started after ${booted}s}"
err=$(sed -n 's/^@@SKIFF-VM-ERROR@@ //p' "$tmp/console.txt")
[ -z "$err" ] || fail "VM set-up failed: $err"
status=$(sed -n 's/^@@SKIFF-TAP-END@@ status \([0-9]*\).*/\1/p' "$tmp/console.txt")
[ -n "$status" ] || fail "the VM stopped before the tests finished (after ${total}s)"
echo "test-cgroup2: boot ${booted}s, tests $(awk -v a="$finished" -v b="$booted" 'BEGIN {printf "%.1f", a - b}')s, total ${total}s; exit status $status"
exit "$status"
