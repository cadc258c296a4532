#!/usr/bin/env bash
# Builds the TypeScript (tsc, incremental), the native shim (make, static), and the skiff-runtime CLI
# as one bundled module (esbuild): podman and containerd start it several times per container, and
# one file loads ~60 ms faster than the ~100 modules tsc emits (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
make -s -C native
npx tsc -p tsconfig.json
npx esbuild dist/src/cli/skiff-runtime/main.js --bundle --platform=node --format=esm --target=node20 \
  --external:koffi --sourcemap --log-level=warning --outfile=dist/src/cli/skiff-runtime/bundle.mjs
