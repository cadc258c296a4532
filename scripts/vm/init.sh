#!/bin/sh
# PID 1 of the cgroup v2 test VM (busybox sh). scripts/test-cgroup2.sh packs it as /init into an
# initramfs together with busybox, the kernel modules listed in /modules/order, /vm.env (exports
# SKIFF_VM_REPO, the repo path, the same in the VM as on the host, and the host's other SKIFF_*
# variables) and /vm.files (the test files, one a line).
# It mounts the host root (virtio-9p, read-only) under a tmpfs-backed overlay, mounts cgroup2 at
# /sys/fs/cgroup, runs node's test runner there and writes the TAP between markers to the console.
export PATH=/bin
/bin/busybox --install -s /bin

stop() { # poweroff; if that fails, init exits and the kernel panics (panic=-1 + -no-reboot: qemu ends)
  sync
  poweroff -f
  echo o >/proc/sysrq-trigger
  sleep 5
  exit 1
}
die() {
  echo "@@SKIFF-VM-ERROR@@ $*"
  stop
}

mkdir -p /proc /sys /dev /lower /rw /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
  insmod "/modules/$m" || die "insmod $m failed"
done </modules/order

mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower \
  || die "mount of the host root (9p) failed"
mount -t tmpfs -o mode=755 rw /rw && mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \
  || die "overlay mount failed"
r=/newroot
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t cgroup2 -o nsdelegate cgroup2 $r/sys/fs/cgroup || die "cgroup2 mount failed"
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
mount -t tmpfs -o mode=1777 tmpfs $r/tmp
mount -t tmpfs -o mode=755 tmpfs $r/run
# A checkout under one of those fresh tmpfs (CI may clone into /tmp) is put back, writable above
# the read-only host copy.
repo=$(. /vm.env && printf %s "$SKIFF_VM_REPO")
case "$repo" in
  /tmp/* | /run/*)
    mkdir -p /rw/repo-upper /rw/repo-work "$r$repo"
    mount -t overlay -o "lowerdir=/lower$repo,upperdir=/rw/repo-upper,workdir=/rw/repo-work" overlay "$r$repo" \
      || die "overlay mount of the checkout $repo failed"
    ;;
esac
hostname skiff-cgroup2-vm
# Like systemd on a v2 host: every controller is available to the children of the root cgroup.
for c in $(cat $r/sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" >$r/sys/fs/cgroup/cgroup.subtree_control
done
mkdir -p $r/run/skiff-vm && cp /vm.env /vm.files $r/run/skiff-vm/
echo 1 >/proc/sys/kernel/printk # keep kernel messages (e.g. OOM kills) out of the TAP on the console

echo "@@SKIFF-VM-BOOTED@@ uptime $(cut -d' ' -f1 /proc/uptime) kernel $(uname -r)"
echo "@@SKIFF-TAP-BEGIN@@"
# The file names have no white space (checked by the host side).
chroot $r /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 \
  /bin/sh -c '. /run/skiff-vm/vm.env && export SKIFF_CGROUP2_ROOT=/sys/fs/cgroup && cd "$SKIFF_VM_REPO" &&
    exec node --test --test-concurrency=1 --test-reporter=tap $(cat /run/skiff-vm/vm.files)' 2>/rw/stderr
status=$?
echo "@@SKIFF-TAP-END@@ status $status uptime $(cut -d' ' -f1 /proc/uptime)"
if [ -s /rw/stderr ]; then
  echo "@@SKIFF-STDERR-BEGIN@@"
  cat /rw/stderr
  echo "@@SKIFF-STDERR-END@@"
fi
stop
