#!/usr/bin/env bash
# Runs every Go fuzz target in the repository for a bounded time each
# (FUZZTIME, default 10s). The seed corpora run in the ordinary test suite;
# this explores beyond them. .ci/run calls it after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
# Go minimises every new interesting input for up to 60 s by default, which
# eats a short run whole (FuzzSniff ran 37 inputs in 10 s, 1,769 with this).
# A failure is still reported with its input, only less minimised.
minimize=${FUZZMINIMIZE:-100x}
count=0
while IFS=: read -r file name; do
  pkg="$(dirname "$file")"
  echo "fuzz $pkg $name ($fuzztime)"
  go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" -fuzzminimizetime="$minimize" "$pkg" | tail -n 3
  count=$((count + 1))
done < <(grep -rHoE --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)' . | grep -v node_modules | sed -E 's/func //')
echo "$count fuzz targets ran for $fuzztime each"
