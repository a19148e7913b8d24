#!/usr/bin/env bash
# Builds the S3-compatible server that the backup upload tests start
# (SeaweedFS, Apache-2.0; MinIO's server is AGPL and is not used) from the
# version pinned in tools/seaweedfs/go.mod, in a module of its own so that
# the portal's go.mod does not gain its dependencies. The binary goes to the
# user's cache, where the tests look for it, and is rebuilt only when the
# pin changes. Prints the binary's path. The first build takes minutes.
set -euo pipefail
cd "$(dirname "$0")/../tools/seaweedfs"
out="${PORTAL_S3_TEST_SERVER:-${XDG_CACHE_HOME:-$HOME/.cache}/portal-test-bin/weed}"
stamp="$out.stamp"
mkdir -p "$(dirname "$out")"
# .ci/run starts this build in the background while it installs packages;
# the test script's own call then waits here for it instead of building twice.
exec 9>"$out.lock"
flock 9
want=$(sha256sum go.mod go.sum | sha256sum | cut -d' ' -f1)
if [ ! -x "$out" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "building the S3 test server (SeaweedFS) into $out" >&2
  start=$(date +%s)
  go build -o "$out.tmp" github.com/seaweedfs/seaweedfs/weed
  mv "$out.tmp" "$out"
  echo "$want" > "$stamp"
  echo "built in $(( $(date +%s) - start )) s" >&2
fi
echo "$out"
