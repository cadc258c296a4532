#!/usr/bin/env bash
# The whole suite: lint + layer rules, unit tests, conformance and integration tests on the real
# kernel (root), and the cgroup v2 suite inside a qemu VM. Prints one closing line
# "total: N passed, N failed" over all groups. `scripts/test.sh unit` runs only the unit tests.
set -uo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob

only="${1:-all}"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0

run_group() { # name concurrency files...
  local name=$1 concurrency=$2; shift 2
  if [ "$#" -eq 0 ]; then return 0; fi
  echo "== $name ($# files)"
  node --test --test-concurrency="$concurrency" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$results/$name.tap" "$@" || status=1
}

if [ "$only" = all ]; then
  echo "== lint"
  npm run -s lint || status=1
fi

run_group unit 2 dist/test/unit/**/*.test.js
if [ "$only" = all ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "skiff: integration and conformance tests need root" >&2
    status=1
  else
    run_group conformance 1 dist/test/conformance/**/*.test.js
    run_group integration 1 dist/test/integration/**/*.test.js
    run_group e2e 1 dist/test/e2e/**/*.test.js
    if [ -x scripts/test-cgroup2.sh ]; then
      echo "== cgroup2 (qemu)"
      bash scripts/test-cgroup2.sh --tap "$results/cgroup2.tap" || status=1
    fi
  fi
fi

pass=0; fail=0
for f in "$results"/*.tap; do
  p=$(grep -E '^# pass [0-9]+' "$f" | tail -1 | awk '{print $3}')
  x=$(grep -E '^# fail [0-9]+' "$f" | tail -1 | awk '{print $3}')
  pass=$((pass + ${p:-0})); fail=$((fail + ${x:-0}))
done
if [ "$fail" -gt 0 ]; then status=1; fi
echo "total: $pass passed, $fail failed"
exit "$status"
