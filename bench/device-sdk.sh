#!/usr/bin/env bash
# Packs what a bench/e2e or codl profile folder needs to BUILD on another x86-64 Linux
# machine that has g++ and cmake but no XNNPACK and no OpenCL headers (the GPU
# machine): XNNPACK, pthreadpool and cpuinfo (headers and shared libraries), the
# Khronos OpenCL headers, and an OpenCL ICD loader to link against only.
#
#   bash bench/device-sdk.sh OUT
#   # there:
#   cmake -S F -B F/build -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=$PWD/OUT \
#     -DOpenCL_INCLUDE_DIR=$PWD/OUT/include -DOpenCL_LIBRARY=$PWD/OUT/linkonly/libOpenCL.so
#   cmake --build F/build -j16
#   LD_LIBRARY_PATH=$PWD/OUT/lib sh F/run.sh ...
#
# OUT/linkonly is never on LD_LIBRARY_PATH: at run time the binaries load the
# machine's own libOpenCL.so.1 (and its ICDs), as they must.
set -euo pipefail
out="${1:?usage: bash bench/device-sdk.sh OUT}"
arch_lib=/usr/lib/x86_64-linux-gnu
for f in /usr/include/xnnpack.h /usr/include/pthreadpool.h /usr/include/CL/cl.h "$arch_lib/libXNNPACK.so.0" "$arch_lib/libOpenCL.so.1"; do
  [ -e "$f" ] || { echo "device-sdk: $f is missing (apt-get install libxnnpack-dev libpthreadpool-dev ocl-icd-opencl-dev opencl-headers)" >&2; exit 2; }
done
rm -rf "$out"
mkdir -p "$out/include" "$out/lib" "$out/linkonly"
cp /usr/include/xnnpack.h /usr/include/pthreadpool.h "$out/include/"
cp -r /usr/include/CL "$out/include/"
cp -P "$arch_lib"/libXNNPACK.so* "$arch_lib"/libpthreadpool.so* "$out/lib/"
cp -L "$(readlink -f "$arch_lib/libcpuinfo.so.0")" "$out/lib/libcpuinfo.so.0"
cp -L "$arch_lib/libOpenCL.so.1" "$out/linkonly/libOpenCL.so"
du -sh "$out"
