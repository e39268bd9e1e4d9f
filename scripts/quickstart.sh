#!/usr/bin/env bash
# The main job on a fresh machine: install, build, generate the full-size
# YOLOv2 fixture (416×416, about 190 MB) and compile it for the Snapdragon 888
# profile into build/yolov2-sd888/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
node node_modules/typescript/bin/tsc -p .
node dist/fixtures/cli.js --out build/fixtures --size full --only yolov2
node bin/codl.js compile build/fixtures/yolov2.onnx --device sd888 --out build/yolov2-sd888 "$@"
