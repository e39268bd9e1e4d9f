#!/bin/sh
# On the GPU machine (device lease): build and run the x86-nvidia and x86-balanced
# profile harnesses, time-boxed, and leave results in $OUT for `codl profile --collect`.
#
# Carry a folder D (the `carry` argument of the device tool) holding:
#   D/sdk/             bash bench/device-sdk.sh D/sdk
#   D/nv.tar.xz        tar cJf D/nv.tar.xz -C build/prof-nv --exclude=weights.bin CMakeLists.txt cases cases.txt run.sh runtime profile
#   D/bal.tar.xz       the same for build/prof-bal
#   D/<h>-results.tgz  (optional) results of an earlier call: run.sh resumes
# Run:  D=.devcarry BUDGET=555 NV_SHARE=35 sh bench/gpu-machine/run-profile.sh
#       (H="bal" or H="nv": one harness only, with the whole budget; 800 cases take one call each)
#       PASSES=3: every case measured in each of 3 passes over all cases (run.sh --passes)
# Back here: tar xzf $OUT/nv-results.tgz -C build/prof-nv && codl profile --collect build/prof-nv --out …
set -u
D=$(cd "${D:-.devcarry}" && pwd); S=$D/sdk; T0=$(date +%s); BUDGET=${BUDGET:-555}
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
. "$(dirname "$0")/common.sh"
gm_icd
gm_machine
H=${H:-nv bal}
for h in $H; do
  mkdir -p /w/$h; tar xf "$D/$h.tar.xz" -C /w/$h
  [ -f "$D/$h-results.tgz" ] && tar xzf "$D/$h-results.tgz" -C /w/$h
  gm_build /w/$h 16
  echo "$h built $(( $(date +%s) - T0 ))s"
done
export LD_LIBRARY_PATH="$S/lib" CODL_SYNTHETIC_WEIGHTS=1
case "$H" in *bal*) NV_SHARE=${NV_SHARE:-35} ;; *) NV_SHARE=100 ;; esac
if [ -d /w/nv ]; then
  (cd /w/nv && CODL_CL_PLATFORM=NVIDIA timeout $(( ($(left) - 15) * NV_SHARE / 100 )) sh run.sh --threads 8 --rounds 5 --warmup 2 --jobs 8 --passes "${PASSES:-1}" > /w/nv.run.log 2>&1)
  echo "nv ran $(( $(date +%s) - T0 ))s: $(tail -1 /w/nv.run.log)"
fi
if [ -d /w/bal ]; then
  (cd /w/bal && CODL_CL_PLATFORM=Portable timeout $(( $(left) - 15 )) sh run.sh --threads 1 --pocl-threads 12 --rounds 5 --warmup 2 --jobs 16 --passes "${PASSES:-1}" > /w/bal.run.log 2>&1)
  echo "bal ran $(( $(date +%s) - T0 ))s: $(tail -1 /w/bal.run.log)"
fi
for h in $H; do tar czf "$OUT/$h-results.tgz" -C /w/$h results; done
