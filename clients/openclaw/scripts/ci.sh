#!/usr/bin/env bash
# CI for the OpenClaw bridge plugin (clients/openclaw), run by .ci/run after the main suite (which built dist/).
# Installs a real Node 24 (scripts/ci/node24.sh) and the plugin's locked dependencies, openclaw 2026.9.6
# among them; type-checks against the real openclaw package; builds the bundle; runs the plugin's tests (unit,
# integration against a real Coven daemon, end-to-end inside OpenClaw); prints the latency measurement.
set -euo pipefail
plugin="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$plugin/../.." && pwd)"
started=$SECONDS

# The daemon keeps running on the main package's Node: its native modules were built for it.
export COVEN_DAEMON_NODE="${COVEN_DAEMON_NODE:-$(command -v node)}"
if [ ! -f "$repo/dist/bin/coven.js" ]; then
  (cd "$repo" && npm run build)
fi

node24="$(bash "$repo/scripts/ci/node24.sh")"
export PATH="$node24:$PATH"
export NO_COLOR=1
echo "== openclaw plugin: node $(node --version) (daemon on $("$COVEN_DAEMON_NODE" --version)), npm $(npm --version)"

cd "$plugin"
npm ci --no-audit --no-fund
npm run typecheck
npm run build
npx vitest run
# The measurement is printed, not gated: a loaded CI machine should not fail the build on a timing.
node scripts/bench-latency.ts || echo "== latency benchmark above target or failed (see above)"
echo "== openclaw plugin CI took $((SECONDS - started)) s"
