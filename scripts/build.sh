#!/usr/bin/env bash
# Builds the TypeScript (tsc, incremental), the native shim (make, static), and each CLI as one
# bundled module (esbuild): podman and containerd start skiff-runtime several times per container,
# and one file loads ~60 ms faster than the ~100 modules tsc emits (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
make -s -C native
npx tsc -p tsconfig.json
# skiffd is long-lived: it loads its modules unbundled (bin/skiffd), start-up time does not matter.
for cli in skiff-runtime skiff; do
  dir=dist/src/cli/$cli
  [ -f "$dir/main.js" ] || continue
  npx esbuild "$dir/main.js" --bundle --platform=node --format=esm --target=node20 \
    --external:koffi --external:better-sqlite3 --sourcemap --log-level=warning --outfile="$dir/bundle.mjs" \
    --banner:js="import { createRequire as __skiffRequire } from 'node:module'; const require = __skiffRequire(import.meta.url);"
done
