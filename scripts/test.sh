#!/usr/bin/env bash
# The whole test suite: formatting, vet, and every test with the race
# detector against the embedded database. README.md and .ci/run both call this.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step says when it starts, so a slow run shows where its time went.
t0=$(date +%s)
step() { echo "== $* (at $(( $(date +%s) - t0 )) s)"; }

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
# The browser tests (e2e/) inject axe-core from node_modules and validate
# pages with vnu-jar's vnu.jar. --ignore-scripts: vnu-jar's install script
# would download a Java runtime when none is found; the system's Java
# (.ci/run installs it) is what the tests use.
if [ -f package.json ] && { [ ! -d node_modules/axe-core ] || [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ]; }; then
  npm ci --no-audit --no-fund --ignore-scripts
fi
step go vet
go vet ./...
# The backup upload tests run against a real S3-compatible server; build it
# (once, cached) and make its absence a failure rather than a skip.
step S3 test server
PORTAL_S3_TEST_SERVER=$(./scripts/s3-test-server.sh)
export PORTAL_S3_TEST_SERVER PORTAL_REQUIRE_S3=1
# staticcheck comes from the Go module proxy at a fixed version.
step staticcheck
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
# The race detector checks the portal's code and every Go library it calls,
# except the SQLite engine under the embedded database: modernc.org's SQLite
# is SQLite's C source translated to Go, which a cgo build would never
# instrument, and its pointer arithmetic under -race's checkptr and the
# detector's shadow memory cost a third of the suite's CPU (docs/benchmarks.md,
# "Test suite time"). Its locks are Go's sync primitives, which stay
# instrumented, so the portal's own accesses are checked as before.
racefree='modernc.org/...=-d=checkptr=0 -race=false'
# 45 minutes keeps a slow run on loaded cores from failing as a hang would.
# The server and browser packages are named first so that they, the longest,
# start first: listed in path order they started last and ran alone at the end.
step go test -race
go test -race -gcflags="$racefree" -count=1 -timeout 45m "$@" ./server/ ./e2e/ ./...
# The search relevance set measures ranking, not concurrency: it is built
# without the race detector (relevance/relevance_test.go says why).
step relevance
go test -count=1 -timeout 10m "$@" ./relevance/
step done
