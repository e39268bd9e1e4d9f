#!/bin/sh
# On the GPU machine, after run-e2e.sh has built and prepared /w/bal (x86-balanced):
# what slows one XNNPACK thread down while PoCL runs beside it (issue 7's contention).
# It times the cpu plan of YOLOv2 (1 XNNPACK thread pinned to core $CORE) alone and under loads
# pinned with taskset: 12 cores of scalar work (a core taken, no memory traffic), of AVX2 FMAs
# (vector units, the frequency licence), of memory copies (bandwidth, L3 evictions), PoCL
# itself (the gpu plan of FST on 12 worker threads), and one FMA load on each other core in
# turn (does any core share execution resources with $CORE?). Writes $OUT/probe.txt:
# "<load> <median ms over 3 iterations>".
set -u
HERE=$(cd "$(dirname "$0")" && pwd); W=${W:-/w/bal}; CORE=${CORE:-15}
cc -O2 -mavx2 -mfma -o /tmp/spin "$HERE/spin.c" || exit 1
cd "$W" || exit 1
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" CODL_CL_PLATFORM=Portable CODL_SYNTHETIC_WEIGHTS=1 CODL_CACHE_DIR="$W/cl-cache"
ins() { grep "^$1 " cases.txt | cut -d' ' -f2- | sed 's/[^ ]*/--input &/g'; }
YIN=$(ins yolov2_cpu); FIN=$(ins fst_gpu)
t() { build/codl_run_yolov2_cpu --bundle cases/yolov2_cpu $YIN --warmup 1 --iterations 3 --threads 1 --cpu-cores "$CORE" |
  sed -n 's/^median latency: \([0-9.]*\) ms.*/\1/p'; }
PIDS=""
load() { m=$1; shift; for c in "$@"; do taskset -c "$c" /tmp/spin "$m" & PIDS="$PIDS $!"; done; sleep 0.5; }
stop() { [ -n "$PIDS" ] && kill $PIDS 2>/dev/null; wait 2>/dev/null; PIDS=""; }
others() { seq 0 15 | grep -vx "$CORE" | head -"$1" | tr '\n' ' '; }
P=$OUT/probe.txt; : > "$P"
{ grep -m1 "MHz" /proc/cpuinfo; } >> "$P"
echo "alone $(t)" >> "$P"
for m in scalar fma stream; do load $m $(others 12); echo "$m-x12 $(t)" >> "$P"; stop; done
for m in fma stream; do load $m $(others 4); echo "$m-x4 $(t)" >> "$P"; stop; done
echo "alone $(t)" >> "$P"
POCL_MAX_PTHREAD_COUNT=12 build/codl_run_fst_gpu --bundle cases/fst_gpu $FIN --warmup 0 --iterations 200 --gpu-cores "$(others 12 | tr ' ' ',' | sed 's/,$//')" > /dev/null 2>&1 &
PIDS="$!"; sleep 3; echo "pocl12-pinned-away $(t)" >> "$P"; stop
POCL_MAX_PTHREAD_COUNT=12 build/codl_run_fst_gpu --bundle cases/fst_gpu $FIN --warmup 0 --iterations 200 > /dev/null 2>&1 &
PIDS="$!"; sleep 3; echo "pocl12-unpinned $(t)" >> "$P"; stop
for k in $(others 15); do load fma "$k"; echo "fma-on-$k $(t)" >> "$P"; stop; done
echo "alone $(t)" >> "$P"
cat "$P"
