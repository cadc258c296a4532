#!/usr/bin/env bash
# The main job, end to end: a busybox root filesystem built from Debian's busybox-static, an OCI
# bundle, and `bin/skiff-runtime run`, which shows from inside the container that it is isolated.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

work=$(mktemp -d /tmp/skiff-demo.XXXXXX)
state=$(mktemp -d /tmp/skiff-demo-state.XXXXXX)
trap 'bin/skiff-runtime --root "$state" delete --force skiff-demo >/dev/null 2>&1 || true; rm -rf "$work" "$state"' EXIT

rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,etc,proc,sys,dev,tmp,root}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$rootfs/etc/group"

cd "$work"
"$repo/bin/skiff-runtime" spec
node -e '
  const fs = require("fs");
  const spec = JSON.parse(fs.readFileSync("config.json", "utf8"));
  spec.process.terminal = false;
  spec.hostname = "skiff-demo";
  spec.process.args = ["sh", "-c", [
    "echo \"hostname inside:  $(hostname)\"",
    "echo \"my pid inside:    $$\"",
    "echo \"processes I see:  $(ps -o pid= | wc -l)\"",
    "echo \"mounts I see:     $(wc -l < /proc/self/mounts)\"",
    "echo \"root is:          $(grep \" / \" /proc/self/mounts | cut -d\" \" -f1-3)\"",
    "touch /probe 2>/dev/null && echo \"root writable:    yes\" || echo \"root writable:    no (read-only)\"",
  ].join("; ")];
  fs.writeFileSync("config.json", JSON.stringify(spec, null, 2));
'
echo "host:             $(hostname), $(wc -l < /proc/self/mounts) mounts"
echo "--- bin/skiff-runtime run skiff-demo ---"
"$repo/bin/skiff-runtime" --root "$state" run skiff-demo
