#!/usr/bin/env bash
# The main job on a fresh machine: install, build, generate the full-size
# YOLOv2 fixture (416×416, about 190 MB) and run codl on it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
node node_modules/typescript/bin/tsc -p .
node dist/fixtures/cli.js --out build/fixtures --size full --only yolov2
node bin/codl.js inspect build/fixtures/yolov2.onnx "$@"
