#!/bin/sh
# On the GPU machine (device lease): the cases of a profile harness measured
# under several variants side by side, in alternating passes: pinned or not (to
# see whether where XNNPACK's threads run explains the CPU rows' spread), and
# with a fixed 5 rounds or more rounds up to a total time (run.sh --min-ms) (issue 6).
#
# Carry a folder D holding:
#   D/sdk/               bash bench/device-sdk.sh D/sdk
#   D/<h>.tar.xz         tar cJf D/nv.tar.xz -C build/prof-nvc --exclude=weights.bin CMakeLists.txt cases cases.txt run.sh runtime profile
#                        (a harness whose cases.txt lists its CPU cases only)
# Run:  D=.devcarry H="nv bal" PASSES=3 PINS_nv="- 0,2,4,6,8,10,12,14 0-7" PINS_bal="- 15" sh bench/gpu-machine/run-pin-ab.sh
#       A variant is CORES[:MS]. CORES is CODL_CPU_CORES for that variant ("-" leaves the threads
#       unpinned); MS is run.sh's --min-ms (default 0: exactly 5 rounds), e.g. PINS_bal="-:0 -:20".
#       Threads and OpenCL platform as run-profile.sh: 8 and NVIDIA for nv, 1 and PoCL for bal.
# Out:  $OUT/<h>-pin<i>-results.tgz per variant i (its core list in $OUT/<h>-pins.txt);
#       back here: mkdir -p X && cp -r build/prof-nvc/{cases.json,cases.txt} X && tar xzf … -C X && codl profile --collect X
set -u
D=$(cd "${D:-.devcarry}" && pwd); S=$D/sdk; T0=$(date +%s); BUDGET=${BUDGET:-560}; PASSES=${PASSES:-3}
. "$(dirname "$0")/common.sh"
gm_machine
H=${H:-nv}
for h in $H; do
  mkdir -p /w/$h; tar xf "$D/$h.tar.xz" -C /w/$h
  gm_build /w/$h 16
  echo "$h built $(( $(date +%s) - T0 ))s"
done
gm_icd
export LD_LIBRARY_PATH="$S/lib" CODL_SYNTHETIC_WEIGHTS=1
pass=1
while [ "$pass" -le "$PASSES" ]; do
  for h in $H; do
    eval "pins=\${PINS_$h:--}"
    if [ "$h" = nv ]; then threads=8; export CODL_CL_PLATFORM=NVIDIA; else threads=1; export CODL_CL_PLATFORM=Portable; fi
    i=0
    for variant in $pins; do
      pin=${variant%%:*}; ms=0; case "$variant" in *:*) ms=${variant#*:} ;; esac
      i=$((i + 1)); v=/w/$h-pin$i
      if [ ! -d "$v" ]; then mkdir -p "$v"; cp /w/$h/run.sh /w/$h/cases.txt "$v/"; ln -s /w/$h/cases "$v/cases"; echo "pin$i $variant" >> "$OUT/$h-pins.txt"; fi
      [ $(( BUDGET - ($(date +%s) - T0) )) -gt 30 ] || break 3
      if [ "$pin" = "-" ]; then unset CODL_CPU_CORES; else export CODL_CPU_CORES="$pin"; fi
      (cd "$v" && sh run.sh --bin /w/$h/build --threads $threads --rounds 5 --min-ms "$ms" --warmup 2 --passes $pass > "$v.run.log" 2>&1)
      echo "$h pin$i ($variant) pass $pass done $(( $(date +%s) - T0 ))s"
    done
  done
  pass=$((pass + 1))
done
unset CODL_CPU_CORES
for v in /w/*-pin*; do [ -d "$v" ] && tar czf "$OUT/$(basename "$v")-results.tgz" -C "$v" results; done
