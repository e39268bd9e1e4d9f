#!/bin/sh
# On the GPU machine (device lease), pair (a) in one call on one machine: trace the committed
# x86-balanced plans, calibrate the profile on those traces (`codl train --runtime-only
# --calibrate`: every traced operator, runtime overhead, contention, copies), plan again with it
# (`codl compile` through bench/e2e.ts), and time old and new plans side by side, every run
# pinned. Each call may land on a different machine (runs M, X, Z: 1.3-1.6x apart), so a profile
# from another call prices this one's processors wrongly; here the plans are made for the
# machine that runs them.
#
# Carry a folder D holding:
#   D/sdk/               bash bench/device-sdk.sh D/sdk
#   D/node-app.tar.xz    sh bench/gpu-machine/pack-node.sh D
#   D/e2e-bal.tar.xz     node dist/bench/e2e.js --device profiles/x86-balanced.json --size full --carry \
#                          --models yolov2,vgg16,fst --strategies cpu,gpu,codl-greedy,codl --out build/e2e-bal
#                        tar cJf D/e2e-bal.tar.xz -C build/e2e-bal CMakeLists.txt cases cases.txt inputs meta.json models ort_bench.py run.sh runtime
# Run:  D=.devcarry sh bench/gpu-machine/run-closed-loop.sh
#   E2E (default e2e-bal: D/$E2E.tar.xz holds the committed cases; its models must be MODELS, and
#   it may hold mulayer cases, timed when OLD_MATCH selects them),
#   MODELS (default yolov2,vgg16,fst: those of e2e-bal), PASSES (2; OLD_PASSES of them, default all,
#   also time the committed cases), ITER (8 timed iterations a
#   case and pass), PIN (run.sh pinning, default "--cpu-cores 15 --gpu-cores 1-12"; "" = none),
#   BUDGET (seconds, 575), STEPS (the planner's ratio steps to re-plan with, default "0.1": one
#   folder new-<step> each, codl and codl-greedy), OLD_MATCH (the committed cases timed in each
#   pass, an extended regular expression; default all four strategies), TRACE_PASSES (1) and
#   TRACE_ITER (3): passes over every committed case with --trace, and timed iterations in each
#   (after TRACE_WARMUP warm-ups, default 2 as in the timed passes: until the twelfth session 1, and
#   the traced cpu programs then ran 1.12-1.40x slower than the timed ones in three calls of four);
#   codl train calibrates on all of them (each operator's median). TRACE_MATCH (default all): the
#   committed cases traced, an extended regular expression. ROUNDS (1): with 2 or more, each
#   round's new plans are traced (ROUND_TRACE_PASSES passes, default 2, of TRACE_ITER iterations),
#   the profile calibrated again on every trace so far (the split operators' parts now measured
#   where the last round put them: profile.calibration.parts), and planned again into
#   new-<step>-r<round>; the timed passes then run every round's folders (TIMED=last: only the last
#   round's, beside the committed cases). REBALANCE=N: the new folders also hold codl-rebalanced,
#   codl's plan compiled with --rebalance-steps N (the runtime moves each H chain's cut run by run),
#   timed beside codl in the same passes, and right after it the same bundle at its compiled cuts
#   (case <case>_static, strategy codl-rebalanced-static), so that rebalancing itself and what such
#   bundles add (transfers, profiling) are apart. (Runs 8 and 9 timed the compiled cuts in a pass of
#   their own, after or before the others; the position in the call moved them by 11-39 %.)
# Back here: tar xzf $OUT/closed-loop.tgz -C build/closed-loop, then
#   node dist/bench/closed-loop-table.js build/closed-loop
set -u
D=$(cd "${D:-.devcarry}" && pwd); S=$D/sdk; T0=$(date +%s); BUDGET=${BUDGET:-575}
MODELS=${MODELS:-yolov2,vgg16,fst}; PASSES=${PASSES:-2}; ITER=${ITER:-8}
PIN=${PIN-"--cpu-cores 15 --gpu-cores 1-12"}; STEPS=${STEPS:-0.1}
TRACE_PASSES=${TRACE_PASSES:-1}; TRACE_ITER=${TRACE_ITER:-3}; TRACE_WARMUP=${TRACE_WARMUP:-2}
ROUNDS=${ROUNDS:-1}; ROUND_TRACE_PASSES=${ROUND_TRACE_PASSES:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
stamp() { echo "$1 $(( $(date +%s) - T0 ))s" | tee -a /w/stamps.txt; }
save() {
  cp /w/stamps.txt /w/cal*.json /w/train.txt "$OUT/" 2>/dev/null
  tar czf "$OUT/closed-loop.tgz" -C /w $(cd /w && ls -d old/passes old/traces old/traces-* old/logs old/meta.json new-*/passes new-*/traces new-*/traces-* new-*/logs new-*/meta.json new-*/cases/*/plan.json cal*.json train.txt stamps.txt 2>/dev/null)
}
. "$HERE/common.sh"
gm_icd
gm_machine
mkdir -p /w/old/passes /w/old/traces /w/node; : > /w/stamps.txt
tar xf "$D/${E2E:-e2e-bal}.tar.xz" -C /w/old
tar xJf "$D/node-app.tar.xz" -C /w/node &
gm_build /w/old 16
wait; stamp built
export LD_LIBRARY_PATH="$S/lib" CODL_CL_PLATFORM=Portable
F="--threads 1 --pocl-threads 12"
prepare() { (cd "$1" && timeout "$2" sh run.sh --threads 1 --iterations 1 --warmup 0 --jobs 12 > /dev/null 2>&1); }
prepare /w/old 150; stamp prepared

# 1. Per-operator traces of every committed plan on this machine, TRACE_PASSES passes over all
#    cases (a minute's slowdown then moves one pass, not every trace of a case); pass i is kept
#    in traces-<i>/ and the last one also stays in traces/.
cd /w/old
for tp in $(seq 1 "$TRACE_PASSES"); do
  timeout $(( 150 / TRACE_PASSES + 20 )) sh run.sh $F $PIN --iterations "$TRACE_ITER" --warmup "$TRACE_WARMUP" --trace --match "${TRACE_MATCH:-.}" > passes/trace-$tp.log 2>&1
  mkdir -p traces-$tp && cp traces/*.json traces-$tp/
done
stamp traced

# 2. Calibrate x86-balanced on them (the fixtures regenerated here: codl train reads each trace's model).
N=/w/node/bin/node; A=/w/node/app
"$N" "$A/dist/fixtures/cli.js" --out /w/fx --size full --only "$MODELS" > /w/fx.log 2>&1
TR=""; MO=""
# add_traces GLOB...: every trace file into codl train's --from-trace list, with its model.
add_traces() {
  for t in "$@"; do
    [ -f "$t" ] || continue
    m=$(basename "$t" .json); m=${m%%_*}
    TR="$TR${TR:+,}$t"; MO="$MO${MO:+,}/w/fx/$m.onnx"
  done
}
# calibrate OUT: codl train on every trace listed so far.
calibrate() {
  "$N" "$A/bin/codl.js" train --base "$A/profiles/x86-balanced.json" --runtime-only --calibrate \
    --from-trace "$TR" --model "$MO" --out "$1" >> /w/train.txt 2>&1 || tail -5 /w/train.txt
}
add_traces /w/old/traces-*/*.json
calibrate /w/cal.json
stamp calibrated

# 3. Plan again with the calibrated profile, once per ratio step; build; prepare.
# replan PROFILE SUFFIX: new-<step><SUFFIX> for every step in STEPS, built and prepared; their folders in NEW.
replan() {
  NEW=""
  for st in $STEPS; do
    n=/w/new-$st$2
    "$N" "$A/dist/bench/e2e.js" --device "$1" --size full --carry --models "$MODELS" \
      --strategies codl,codl-greedy${REBALANCE:+,codl-rebalanced} ${REBALANCE:+--rebalance-steps $REBALANCE} \
      --ratio-step "$st" --out $n > $n.log 2>&1 || tail -5 $n.log
    cat $n.log >> /w/train.txt
    [ -f $n/run.sh ] || continue
    mkdir -p $n/passes $n/traces; NEW="$NEW $n"
    gm_build $n 16 &
  done
  wait
  for n in $NEW; do prepare $n 100; done
  ALL="$ALL$NEW"
}
ALL=""
[ -f /w/cal.json ] && replan /w/cal.json ""
stamp "planned and built"

# 3b. Further rounds: trace the last round's plans, calibrate on every trace so far, plan again.
r=2
while [ "$r" -le "$ROUNDS" ] && [ -n "$NEW" ]; do
  for n in $NEW; do
    for tp in $(seq 1 "$ROUND_TRACE_PASSES"); do
      (cd $n && timeout 60 sh run.sh $F $PIN --iterations "$TRACE_ITER" --warmup "$TRACE_WARMUP" --trace > passes/trace-$tp.log 2>&1)
      mkdir -p $n/traces-$tp && cp $n/traces/*.json $n/traces-$tp/ 2>/dev/null
      add_traces $n/traces-$tp/*.json
    done
  done
  stamp "round $r traced"
  calibrate /w/cal-r$r.json
  [ -f /w/cal-r$r.json ] || break
  replan /w/cal-r$r.json "-r$r"
  stamp "round $r planned and built"
  r=$((r + 1))
done
[ "${TIMED:-all}" = last ] || NEW=$ALL

# 4. Timed passes, old folder (cpu, gpu, codl-greedy, codl) then each new one (codl-greedy, codl).
# run_pass DIR NAME ARGS...: one timed pass in DIR into passes/NAME.txt, unless fewer than 50 s of the budget are left.
run_pass() {
  d=$1; f=$2; shift 2
  [ "$(left)" -gt 50 ] || { echo "skipped: budget spent" > "$d/passes/$f.txt"; return; }
  (cd "$d" && timeout $(( $(left) - 40 )) sh run.sh "$@" > "passes/$f.txt" 2>&1)
}
# Even passes run everything in the opposite order (run.sh --reverse, the new folders before the old):
# one program's median moved 1.6x within two minutes on the GPU machine (probe-order.sh), and a slow minute
# should not always land on the same plans.
for p in $(seq 1 "$PASSES"); do
  R=""; [ $(( p % 2 )) = 1 ] || R=--reverse
  old_pass() { [ "$p" -gt "${OLD_PASSES:-$PASSES}" ] || { run_pass /w/old p$p $F $PIN $R --iterations "$ITER" --warmup 2 --match "${OLD_MATCH:-.}"; stamp "old p$p"; }; }
  [ -n "$R" ] || old_pass
  for n in $( [ -n "$R" ] && echo $NEW | tr ' ' '\n' | tac || echo $NEW ); do
    run_pass $n p$p $F $PIN $R --iterations "$ITER" --warmup 2; stamp "$(basename $n) p$p"
  done
  [ -z "$R" ] || old_pass
  save
done

# 5. The new plans traced once (where the time goes).
for n in $NEW; do
  [ "$(left)" -gt 20 ] || break
  (cd $n && timeout $(( ($(left) - 8) / 2 )) sh run.sh $F $PIN --iterations 1 --warmup 1 --trace > passes/trace.log 2>&1)
done
stamp end
save
