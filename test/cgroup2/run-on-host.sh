#!/usr/bin/env bash
# Runs the cgroup v2 suite on a hybrid host: a private mount namespace with a fresh cgroup2 mount as
# SKIFF_CGROUP2_ROOT. Only the controllers the host's v1 hierarchies leave to cgroup2 (hugetlb on this
# host) can bite; tests needing others skip, naming the controller. Needs root and a built dist/.
#   test/cgroup2/run-on-host.sh [test files...]   (default dist/test/cgroup2/*.test.js)
set -euo pipefail
cd "$(dirname "$0")/../.."
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(dist/test/cgroup2/*.test.js)
exec unshare --mount --propagation private -- bash -c '
  set -euo pipefail
  mnt=$(mktemp -d /tmp/skiff-cgroup2.XXXXXX)
  mount -t cgroup2 cgroup2 "$mnt"
  rc=0
  SKIFF_CGROUP2_ROOT=$mnt node --test "$@" || rc=$?
  umount "$mnt"; rmdir "$mnt"
  exit $rc
' run-on-host "${files[@]}"
