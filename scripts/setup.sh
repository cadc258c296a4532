#!/usr/bin/env bash
# Brings a fresh Debian machine (as root) to a built Skiff: system packages, npm packages from the
# lockfile, TypeScript and the native shim. Idempotent: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh

# npm ci only when node_modules does not match the lockfile.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s <(sha256sum < package-lock.json) node_modules/.skiff-lock-sha256 2>/dev/null; then
  npm ci --no-audit --no-fund
  sha256sum < package-lock.json > node_modules/.skiff-lock-sha256
fi

bash scripts/build.sh
