#!/bin/sh
# On the GPU machine (device lease): build two bench/e2e folders (x86-nvidia, x86-balanced)
# and run them time-boxed: parallel program builds, then passes of 20 iterations (mulayer,
# far slower, 2), per-operator traces of the cpu and gpu cases (the measured ideal), and
# ONNX Runtime on 16 threads. Results go to $OUT/e2e-<h>-results.tgz for
# `node dist/bench/e2e-table.js <folder>` here.
#
# Carry a folder D holding D/sdk (bash bench/device-sdk.sh D/sdk) and D/e2e-nv.tar.xz,
# D/e2e-bal.tar.xz:
#   node dist/bench/e2e.js --device profiles/x86-nvidia.json --size full --carry --out build/e2e-nv
#   tar cJf D/e2e-nv.tar.xz -C build/e2e-nv CMakeLists.txt cases cases.txt inputs meta.json models ort_bench.py run.sh runtime
# Run:  D=.devcarry NV='' BAL='^(yolov2|vgg16|fst)_' sh bench/gpu-machine/run-e2e.sh
# (NV, BAL: extended regular expressions selecting cases.txt lines; empty = all.)
set -u
D=$(cd "${D:-.devcarry}" && pwd); S=$D/sdk; T0=$(date +%s); BUDGET=${BUDGET:-585}
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
stamp() { echo "$1 $(( $(date +%s) - T0 ))s"; }
save() { for h in nv bal; do [ -d /w/$h/passes ] && tar czf "$OUT/e2e-$h-results.tgz" -C /w/$h passes traces $(cd /w/$h && ls -d logs ort.txt 2>/dev/null); done; }
mkdir -p /tmp/icd && echo libnvidia-opencl.so.1 > /tmp/icd/nvidia.icd && cp /etc/OpenCL/vendors/pocl.icd /tmp/icd/ && export OCL_ICD_VENDORS=/tmp/icd
for h in nv bal; do
  mkdir -p /w/$h/passes /w/$h/traces; tar xf "$D/e2e-$h.tar.xz" -C /w/$h
  if [ $h = nv ]; then P="${NV:-}"; else P="${BAL:-}"; fi
  if [ -n "$P" ]; then grep -E "$P" /w/$h/cases.txt > /w/$h/c; mv /w/$h/c /w/$h/cases.txt; fi
  cmake -S /w/$h -B /w/$h/build -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$S" -DOpenCL_INCLUDE_DIR="$S/include" \
    -DOpenCL_LIBRARY="$S/linkonly/libOpenCL.so" > /w/$h.cfg.log 2>&1 || tail -20 /w/$h.cfg.log
done
(cmake --build /w/nv/build -j8 > /w/nv.build.log 2>&1 || tail -30 /w/nv.build.log) &
(cmake --build /w/bal/build -j8 > /w/bal.build.log 2>&1 || tail -30 /w/bal.build.log) &
wait; stamp built
export LD_LIBRARY_PATH="$S/lib"
(cd /w/nv && CODL_CL_PLATFORM=NVIDIA timeout 100 sh run.sh --threads 8 --iterations 1 --warmup 0 --jobs 6 > /dev/null 2>&1) &
(cd /w/bal && CODL_CL_PLATFORM=Portable timeout 150 sh run.sh --threads 1 --iterations 1 --warmup 0 --jobs 10 > /dev/null 2>&1) &
wait; stamp prepared
cd /w/nv; export CODL_CL_PLATFORM=NVIDIA
timeout 130 sh run.sh --threads 8 --iterations 20 --warmup 3 --match '_(cpu|gpu|codl|codl_greedy)$' > passes/p1.txt 2>&1; stamp "nv p1"
timeout 45 sh run.sh --threads 8 --iterations 2 --warmup 1 --match '_mulayer$' > passes/m1.txt 2>&1; stamp "nv mulayer"
timeout 35 sh run.sh --threads 8 --iterations 3 --warmup 1 --trace --match '_(cpu|gpu)$' > passes/trace.log 2>&1; stamp "nv traced"
timeout 40 python3 ort_bench.py 16 > ort.txt 2>&1; cp ort.txt /w/bal/ort.txt; stamp ort
save
cd /w/bal; export CODL_CL_PLATFORM=Portable
timeout $(( $(left) - 55 )) sh run.sh --threads 1 --pocl-threads 12 --iterations 20 --warmup 2 --match '_(cpu|gpu|codl|codl_greedy)$' > passes/p1.txt 2>&1; stamp "bal p1"
timeout $(( $(left) - 20 )) sh run.sh --threads 1 --pocl-threads 12 --iterations 2 --warmup 1 --match '_mulayer$' > passes/m1.txt 2>&1; stamp "bal mulayer"
timeout $(( $(left) - 5 )) sh run.sh --threads 1 --pocl-threads 12 --iterations 1 --warmup 1 --trace --match '_(cpu|gpu)$' > passes/trace.log 2>&1; stamp "bal traced"
save; stamp end
