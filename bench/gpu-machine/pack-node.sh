#!/bin/sh
# Pack this machine's Node.js and codl's compiled code (dist, bin, codegen, profiles and the
# runtime dependencies, no dev tools) into D/node-app.tar.xz, so that the GPU machine, which has
# no Node, can run `codl train` and `codl compile` (bench/gpu-machine/run-closed-loop.sh).
# About 28 MB. Run after `npm run build`:  sh bench/gpu-machine/pack-node.sh .devcarry
set -eu
D=${1:?usage: pack-node.sh DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$ROOT/dist/src/cli/main.js" ] || { echo "pack-node.sh: run npm run build first" >&2; exit 2; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/app/node_modules"
cp "$(command -v node)" "$T/bin/node"
cd "$ROOT"
cp -r dist bin codegen profiles package.json "$T/app/"
rm -rf "$T/app/dist/test"
# What dist/ imports at run time: package.json's dependencies and theirs, as npm resolved them
# (a nested node_modules comes with the package that holds it).
npm ls --omit=dev --all --parseable 2>/dev/null | sed "s|^$ROOT/||" | grep -E '^node_modules/(@[^/]+/)?[^/@][^/]*$' | sort -u > "$T/deps"
[ -s "$T/deps" ] || { echo "pack-node.sh: npm ls found no runtime dependencies (run npm ci)" >&2; exit 2; }
while read -r m; do
  mkdir -p "$T/app/$(dirname "$m")" && cp -r "$m" "$T/app/$(dirname "$m")/"
done < "$T/deps"
mkdir -p "$D"
tar cf - -C "$T" bin app | xz -T2 -6 > "$D/node-app.tar.xz.tmp"
mv "$D/node-app.tar.xz.tmp" "$D/node-app.tar.xz"
echo "wrote $D/node-app.tar.xz ($(du -h "$D/node-app.tar.xz" | cut -f1))"
