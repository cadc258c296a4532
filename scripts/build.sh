#!/usr/bin/env bash
# Builds the TypeScript (tsc, incremental), the native shim (make, static), and each CLI as one
# bundled module (esbuild): podman and containerd start skiff-runtime several times per container,
# and one file loads ~60 ms faster than the ~100 modules tsc emits (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
make -s -C native
npx tsc -p tsconfig.json
for cli in skiff-runtime skiff skiffd; do
  dir=dist/src/cli/$cli
  [ "$cli" = skiffd ] && dir=dist/src/daemon
  [ -f "$dir/main.js" ] || continue
  npx esbuild "$dir/main.js" --bundle --platform=node --format=esm --target=node20 \
    --external:koffi --external:better-sqlite3 --sourcemap --log-level=warning --outfile="$dir/bundle.mjs"
done
