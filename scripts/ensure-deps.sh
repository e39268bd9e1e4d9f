#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than the lock file.
# onnxruntime-node's install script would try to download CUDA binaries; the
# CPU binaries it ships are all codl needs, so that step is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
