#!/usr/bin/env bash
# Builds the TypeScript (tsc, incremental) and the native shim (make, static).
set -euo pipefail
cd "$(dirname "$0")/.."
make -s -C native
npx tsc -p tsconfig.json
