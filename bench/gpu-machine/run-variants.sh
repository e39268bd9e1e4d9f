#!/bin/sh
# On the GPU machine: the same models under several profile variants, side by side
# (e.g. gpu.fcSplitK 1/16/64/256 for the FC kernel). Each variant V is a bench/e2e
# folder carried as D/e2e-V.tar.xz (made like run-e2e.sh's):
#   node dist/bench/e2e.js --device <variant profile> --size full --carry --models … --strategies gpu --out build/e2e-V
# Builds them in parallel, compiles their OpenCL programs once, then PASSES passes in which
# every variant runs in turn (20 iterations), then one traced run of each (3 iterations).
# Results: $OUT/variants-results.tgz (V/passes/p*.txt, V/traces/*.json) for e2e-table.
# Run:  D=.devcarry V="sk1 sk16 sk64 sk256" PASSES=3 sh bench/gpu-machine/run-variants.sh
# PLATFORM (default NVIDIA) and FLAGS (default "--threads 8") select the pair.
set -u
D=$(cd "${D:-.devcarry}" && pwd); S=$D/sdk; T0=$(date +%s); PASSES=${PASSES:-3}
PLATFORM=${PLATFORM:-NVIDIA}; FLAGS=${FLAGS:---threads 8}; V=${V:?name the variants}
stamp() { echo "$1 $(( $(date +%s) - T0 ))s"; }
. "$(dirname "$0")/common.sh"
gm_icd
gm_machine
for v in $V; do
  mkdir -p /w/$v/passes /w/$v/traces; tar xf "$D/e2e-$v.tar.xz" -C /w/$v
  gm_build /w/$v 4 &
done
wait; stamp built
export LD_LIBRARY_PATH="$S/lib" CODL_CL_PLATFORM=$PLATFORM
for v in $V; do (cd /w/$v && timeout 120 sh run.sh --threads 1 --iterations 1 --warmup 0 --jobs 4 > /dev/null 2>&1) & done
wait; stamp prepared
for p in $(seq 1 "$PASSES"); do
  for v in $V; do (cd /w/$v && timeout 100 sh run.sh $FLAGS --iterations 20 --warmup 3 > passes/p$p.txt 2>&1); done; stamp "pass $p"
done
for v in $V; do (cd /w/$v && timeout 60 sh run.sh $FLAGS --iterations 3 --warmup 1 --trace > passes/trace.log 2>&1); done; stamp traced
tar czf "$OUT/variants-results.tgz" -C /w $(for v in $V; do echo $v/passes $v/traces; done)
for v in $V; do echo "== $v"; cat /w/$v/passes/p*.txt | grep -E "RESULT|FAILED"; done
stamp end
