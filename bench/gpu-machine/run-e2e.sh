#!/bin/sh
# On the GPU machine (device lease): build bench/e2e folders and run them time-boxed:
# parallel program builds, then passes of 20 iterations (mulayer, far slower, 2),
# per-operator traces of the cpu and gpu cases (the measured ideal), and ONNX Runtime
# on 16 threads. Results go to $OUT/e2e-<h>-results.tgz for
# `node dist/bench/e2e-table.js <folder>` here.
#
# Folders (H, space-separated, in the order they run):
#   nv    x86-nvidia: 8 XNNPACK threads + the NVIDIA GPU (CODL_CL_PLATFORM=NVIDIA)
#   nv16  the same with --gpu-precision fp16 (strategies gpu,codl): p1 only
#   bal   x86-balanced: 1 XNNPACK thread + PoCL on 12 threads (CODL_CL_PLATFORM=Portable)
# Carry a folder D holding D/sdk (bash bench/device-sdk.sh D/sdk) and D/e2e-<h>.tar.xz:
#   node dist/bench/e2e.js --device profiles/x86-nvidia.json --size full --carry --out build/e2e-nv
#   node dist/bench/e2e.js --device profiles/x86-nvidia.json --size full --carry --gpu-precision fp16 \
#     --strategies gpu,codl --out build/e2e-nv16
#   node dist/bench/e2e.js --device profiles/x86-balanced.json --size full --carry --out build/e2e-bal
#   tar cJf D/e2e-nv.tar.xz -C build/e2e-nv CMakeLists.txt cases cases.txt inputs meta.json models ort_bench.py run.sh runtime
# Run:  D=.devcarry H="nv nv16" sh bench/gpu-machine/run-e2e.sh
#       D=.devcarry H=bal SEL_bal='^(yolov2|vgg16|fst)_' sh bench/gpu-machine/run-e2e.sh
# (SEL_<h>: an extended regular expression selecting cases.txt lines; unset = all.
#  PASSES: round-robin passes of the timed cases, p1..pN (default 1); ITER_bal: iterations
#  per pass on bal (default 20); TRACE_RE: the cases traced (default '_(cpu|gpu)$').
#  PIN_bal: run.sh pinning flags, e.g. "--cpu-cores 15 --gpu-cores 1-12"; then every bal pass
#  and the traces run twice, unpinned into passes/ and traces/, pinned into pinned/passes/ and
#  pinned/traces/. ALWAYS_PIN_bal: pinning flags for every bal run instead (passes, mulayer and
#  traces all pinned, into passes/ and traces/), as run-closed-loop.sh runs them. PROBE=1: bench/gpu-machine/probe-contention.sh after the preparation.)
set -u
D=$(cd "${D:-.devcarry}" && pwd); S=$D/sdk; T0=$(date +%s); BUDGET=${BUDGET:-585}; H=${H:-nv nv16 bal}
PASSES=${PASSES:-1}; ITER_bal=${ITER_bal:-20}; TRACE_RE=${TRACE_RE:-'_(cpu|gpu)$'}
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
stamp() { echo "$1 $(( $(date +%s) - T0 ))s"; }
save() { for h in $H; do [ -d /w/$h/passes ] && tar czf "$OUT/e2e-$h-results.tgz" -C /w/$h passes traces $(cd /w/$h && ls -d logs ort.txt pinned 2>/dev/null); done; }
PIN_bal=${PIN_bal:-}; HERE=$(cd "$(dirname "$0")" && pwd)
# platform and thread flags of a folder
plat() { case $1 in bal*) echo Portable ;; *) echo NVIDIA ;; esac; }
flags() { case $1 in bal*) echo "--threads 1 --pocl-threads 12 ${ALWAYS_PIN_bal:-}" ;; *) echo "--threads 8" ;; esac; }
SIDE_bal=${SIDE_bal:-}
# Even passes run the cases in the opposite order (run.sh --reverse): one program's median moved 1.6x within
# two minutes, whatever ran before it (probe-order.sh: ResNet-50's cpu program 92-145 ms), so that a slow
# minute does not always land on the same strategy.
order() { [ $(( $1 % 2 )) = 0 ] && echo --reverse; }
. "$HERE/common.sh"
gm_icd
gm_machine
for h in $H; do
  mkdir -p /w/$h/passes /w/$h/traces; tar xf "$D/e2e-$h.tar.xz" -C /w/$h
  eval "P=\${SEL_$h:-}"
  if [ -n "$P" ]; then grep -E "$P" /w/$h/cases.txt > /w/$h/c; mv /w/$h/c /w/$h/cases.txt; fi
  gm_build /w/$h 8 &
done
wait; stamp built
export LD_LIBRARY_PATH="$S/lib"
for h in $H; do
  case $h in bal*) J=12; T=${PREP_bal:-150} ;; *) J=6; T=${PREP_nv:-100} ;; esac
  (cd /w/$h && CODL_CL_PLATFORM=$(plat $h) timeout $T sh run.sh --threads 1 --iterations 1 --warmup 0 --jobs $J > /dev/null 2>&1) &
done
wait; stamp prepared
if [ "${PROBE:-0}" = 1 ]; then LD_LIBRARY_PATH="$S/lib" sh "$HERE/probe-contention.sh"; stamp probed; fi
for h in $H; do
  cd /w/$h; export CODL_CL_PLATFORM=$(plat $h); F=$(flags $h)
  case $h in
    nv)
      for p in $(seq 1 "$PASSES"); do
        timeout 150 sh run.sh $F $(order $p) --iterations 20 --warmup 3 --match '_(cpu|gpu|codl|codl_greedy)$' > passes/p$p.txt 2>&1; stamp "$h p$p"
      done
      if grep -q '_mulayer ' cases.txt; then timeout 45 sh run.sh $F --iterations 2 --warmup 1 --match '_mulayer$' > passes/m1.txt 2>&1; stamp "$h mulayer"; fi
      timeout 60 sh run.sh $F --iterations 3 --warmup 1 --trace --match "$TRACE_RE" > passes/trace.log 2>&1; stamp "$h traced"
      timeout 60 python3 ort_bench.py 16 > ort.txt 2>&1; stamp ort ;;
    nv16)
      timeout 90 sh run.sh $F --iterations 20 --warmup 3 > passes/p1.txt 2>&1; stamp "$h p1"
      [ -f /w/nv/ort.txt ] && cp /w/nv/ort.txt ort.txt ;;
    bal)
      for p in $(seq 1 "$PASSES"); do
        timeout $(( $(left) - 60 )) sh run.sh $F $(order $p) --iterations "$ITER_bal" --warmup 2 --match '_(cpu|gpu|codl|codl_greedy)$' > passes/p$p.txt 2>&1; stamp "$h p$p"
        for sd in $SIDE_bal; do
          (cd /w/$sd && timeout $(( $(left) - 60 )) sh run.sh $F $(order $p) --iterations "$ITER_bal" --warmup 2 > passes/p$p.txt 2>&1); stamp "$sd p$p"
        done
        if [ -n "$PIN_bal" ]; then
          mkdir -p pinned/passes pinned/traces
          timeout $(( $(left) - 60 )) sh run.sh $F $PIN_bal --iterations "$ITER_bal" --warmup 2 --match '_(cpu|gpu|codl|codl_greedy)$' > pinned/passes/p$p.txt 2>&1; stamp "$h pinned p$p"
        fi
      done
      if grep -q '_mulayer ' cases.txt; then timeout $(( $(left) - 30 )) sh run.sh $F --iterations 2 --warmup 1 --match '_mulayer$' > passes/m1.txt 2>&1; stamp "$h mulayer"; fi
      if [ -n "$PIN_bal" ]; then
        timeout $(( ($(left) - 8) / 2 )) sh run.sh $F $PIN_bal --iterations 1 --warmup 1 --trace --match "$TRACE_RE" > pinned/passes/trace.log 2>&1
        mv traces pinned/traces-all && mkdir traces && mv pinned/traces-all/* pinned/traces/ 2>/dev/null; rmdir pinned/traces-all; stamp "$h pinned traced"
      fi
      timeout $(( $(left) - 8 )) sh run.sh $F --iterations 1 --warmup 1 --trace --match "$TRACE_RE" > passes/trace.log 2>&1; stamp "$h traced" ;;
    *) ;;  # a SIDE_bal folder: its passes ran beside bal's
  esac
  save
done
stamp end
