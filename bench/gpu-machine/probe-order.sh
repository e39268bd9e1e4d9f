#!/bin/sh
# On the GPU machine (device lease): does a case run slower right after a PoCL-heavy case, and for how long?
# In the final-nv call (BENCHMARKS.md, issue 7, fourteenth session) ResNet-50's cpu program, one XNNPACK
# thread on core 15, ran 95 ms first in a pass and 133 ms last, right after the gpu and codl-greedy cases. This
# times the cpu case alone, then right after the gpu case (PoCL on cores 1-12), then after the gpu case and
# a pause of 5 and 20 s, ROUNDS times over (default 3). Lines "PROBE <what> <median ms>" in $OUT/probe.txt.
# Its answer there (bench/results/gpu-machine-2026-11-28-probe-order): no; the cpu case ran 92-145 ms
# whatever came before it, twice in a row alone included.
# Carry a folder D with D/sdk and D/e2e-bal.tar.xz (a bench/e2e.ts x86-balanced folder holding CPU and GPU
# cases of one model, named by CPU and GPU below); run:
#   D=.devcarry CPU=resnet50_cpu GPU=resnet50_gpu sh bench/gpu-machine/probe-order.sh
set -u
D=$(cd "${D:-.devcarry}" && pwd); S=$D/sdk; HERE=$(cd "$(dirname "$0")" && pwd)
CPU=${CPU:-resnet50_cpu}; GPU=${GPU:-resnet50_gpu}; ROUNDS=${ROUNDS:-3}
. "$HERE/common.sh"
gm_icd
gm_machine
mkdir -p /w/p && tar xf "$D/e2e-bal.tar.xz" -C /w/p
gm_build /w/p 16
export LD_LIBRARY_PATH="$S/lib" CODL_CL_PLATFORM=Portable
cd /w/p
F="--threads 1 --pocl-threads 12 --cpu-cores 15 --gpu-cores 1-12 --iterations 10 --warmup 2"
sh run.sh --threads 1 --iterations 1 --warmup 0 --jobs 12 --match "^($CPU|$GPU)\$" > /dev/null 2>&1
one() { sh run.sh $F --match "^$1\$" | sed -n 's/^RESULT [^ ]* //p'; }
for r in $(seq 1 "$ROUNDS"); do
  echo "PROBE alone $(one $CPU)"
  echo "PROBE alone-again $(one $CPU)"
  one $GPU > /dev/null; echo "PROBE after-gpu $(one $CPU)"
  one $GPU > /dev/null; sleep 5; echo "PROBE after-gpu+5s $(one $CPU)"
  one $GPU > /dev/null; sleep 20; echo "PROBE after-gpu+20s $(one $CPU)"
done | tee "$OUT/probe.txt"
