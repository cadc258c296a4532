#!/usr/bin/env bash
# The main job, end to end: a busybox image built from Debian's busybox-static, a private skiffd
# (temp socket and data root), and containers run through bin/skiff — the daemon, the image store,
# the default bridge network, a published port and a volume — then everything cleaned up.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

work=$(mktemp -d /tmp/skd.XXXXXX) # short: the shims' socket paths live under it
sock="$work/skiff.sock"
skiff() { "$repo/bin/skiff" -H "unix://$sock" "$@"; }
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then
    ids=$(skiff ps -aq 2>/dev/null || true)
    [ -z "$ids" ] || skiff rm -f $ids >/dev/null 2>&1 || true
    skiff volume rm demo-data >/dev/null 2>&1 || true
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  ip link del skiffdemo0 2>/dev/null || true
  for c in /sys/fs/cgroup/*/skiff-demo; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done; true
  grep -q " $work/" /proc/mounts && awk -v w="$work/" '$2 ~ "^"w {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
  rm -rf "$work"
}
trap cleanup EXIT

rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,etc,tmp,root,srv}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$rootfs/etc/group"
tar -C "$rootfs" -cf "$work/rootfs.tar" .

printf '{"bridge":"skiffdemo0","cgroup-parent":"skiff-demo"}\n' > "$work/daemon.json"
"$repo/bin/skiffd" -H "unix://$sock" --data-root "$work/data" --exec-root "$work/x" --config-file "$work/daemon.json" \
  --log-level warn 2>"$work/skiffd.log" &
daemon_pid=$!
for _ in $(seq 1 200); do skiff version >/dev/null 2>&1 && break; sleep 0.05; done
skiff version >/dev/null || { echo "skiffd did not start:" >&2; cat "$work/skiffd.log" >&2; exit 1; }

echo "--- skiff import (a busybox image) ---"
skiff import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' "$work/rootfs.tar" busybox:demo
skiff images

echo "--- skiff run --rm busybox:demo: isolation seen from inside ---"
echo "host:             $(hostname), $(wc -l < /proc/self/mounts) mounts"
skiff run --rm --hostname skiff-demo busybox:demo sh -c '
  echo "hostname inside:  $(hostname)"
  echo "my pid inside:    $$"
  echo "processes I see:  $(ps -o pid= | wc -l)"
  echo "mounts I see:     $(wc -l < /proc/self/mounts)"
  echo "my address:       $(ip -4 -o addr show eth0 | awk "{print \$4}")"
  echo "capabilities:     $(grep CapEff /proc/self/status | cut -f2)"'

echo "--- a detached server with a published port and a volume ---"
skiff volume create demo-data >/dev/null
skiff run -d --name web -p 127.0.0.1:18099:80 -v demo-data:/srv busybox:demo \
  sh -c 'echo "hello from a container" > /srv/index.html; httpd -f -p 80 -h /srv' >/dev/null
skiff ps --format 'table {{.Names}}\t{{.Status}}\t{{.Ports}}'
for _ in $(seq 1 100); do reply=$(exec 3<>/dev/tcp/127.0.0.1/18099 && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && cat <&3 | tail -1) && [ -n "$reply" ] && break; sleep 0.05; done
echo "GET http://127.0.0.1:18099/ -> ${reply:-no answer}"
skiff exec web cat /srv/index.html
skiff stop -t 1 web >/dev/null
skiff logs web | tail -2 || true
skiff rm web >/dev/null
echo "--- done: daemon, containers, volume, bridge and data root are removed on exit ---"
