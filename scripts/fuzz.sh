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
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fuzz() {
  go test -run='^$' -fuzz="^${2}\$" -fuzztime="$fuzztime" -fuzzminimizetime="$minimize" "$1" >"$out" 2>&1
}
count=0
while IFS=: read -r file name; do
  pkg="$(dirname "$file")"
  echo "fuzz $pkg $name ($fuzztime)"
  if ! fuzz "$pkg" "$name"; then
    # A finding always writes its input under testdata/fuzz and fails at
    # once. Without one, the failure is Go's own at the end of -fuzztime
    # ("context deadline exceeded" with a worker mid-input, golang/go#51484):
    # the target runs once more, and a second failure fails the run.
    if grep -q 'Failing input written to' "$out"; then
      cat "$out"
      exit 1
    fi
    echo "  no input written; as Go's fuzzer sometimes fails at the time limit, once more:"
    tail -n 4 "$out" | sed 's/^/  /'
    if ! fuzz "$pkg" "$name"; then
      cat "$out"
      exit 1
    fi
  fi
  tail -n 3 "$out"
  count=$((count + 1))
done < <(grep -rHoE --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)' . | grep -v node_modules | sed -E 's/func //')
echo "$count fuzz targets ran for $fuzztime each"
