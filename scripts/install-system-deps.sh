#!/usr/bin/env bash
# Installs the Debian packages Skiff, its tests and its benchmarks need. Idempotent: a package that is
# already installed is not fetched again, and apt-get runs only when something is missing.
set -euo pipefail

packages=(
  # build of the native shim
  gcc libc6-dev make
  # test images are built from busybox-static; iproute2 for netns/veth checks
  busybox-static iproute2 util-linux procps
  # peers that the runtime suite and the benchmarks run side by side
  runc crun podman conmon docker.io skopeo buildah
  # cgroup v2 suite: a kernel booted under qemu with cgroup_no_v1=all
  qemu-system-x86 linux-image-amd64 cpio
  # image tests: a local registry; docker-py for the SDK tests; docker-compose 1.29 (on docker-py)
  docker-registry python3-docker docker-compose
  # zstd-compressed test layers (Skiff decompresses them itself)
  zstd
  # networking: the CNI plugins skiffd executes (bridge, host-local, portmap, firewall), iptables
  containernetworking-plugins iptables
  # bench/network: container-to-container TCP throughput
  iperf3
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "skiff: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
  exit 1
fi

echo "skiff: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# --no-install-recommends keeps the set small; services that postinst would start (dockerd, the
# registry) are not wanted running on the host: tests start their own on private sockets.
apt-get install -y -q --no-install-recommends "${missing[@]}"
