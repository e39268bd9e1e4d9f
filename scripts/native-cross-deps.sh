#!/usr/bin/env bash
# Prints a sysroot folder holding Debian's arm64 XNNPACK, pthreadpool, cpuinfo
# and OpenCL ICD loader (headers and libraries), for the aarch64 cross-build.
#
# The packages are downloaded with `apt-get download` and unpacked with
# `dpkg -x` under build/native/sysroot-arm64: installing them system-wide
# would remove the host's libxnnpack-dev (not "Multi-Arch: same"). Needs the
# arm64 package lists, so as root it adds the arm64 architecture and updates
# the lists once when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
sysroot="$PWD/build/native/sysroot-arm64"
lib="$sysroot/usr/lib/aarch64-linux-gnu"
have() { [ -e "$sysroot/usr/include/xnnpack.h" ] && [ -e "$lib/libXNNPACK.so" ] && [ -e "$lib/libpthreadpool.so" ] && [ -e "$lib/libcpuinfo.so.0" ] && [ -e "$lib/libOpenCL.so" ]; }
if ! have; then
  pkgs=(libxnnpack-dev:arm64 libxnnpack0:arm64 libpthreadpool-dev:arm64 libpthreadpool0:arm64 libcpuinfo0:arm64
        ocl-icd-opencl-dev:arm64 ocl-icd-libopencl1:arm64)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if ! (cd "$tmp" && apt-get download -q "${pkgs[@]}") >&2; then
    [ "$(id -u)" = 0 ] || { echo "native-cross-deps: arm64 package lists missing; run as root once" >&2; exit 1; }
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    apt-get update -qq >&2
    (cd "$tmp" && apt-get download -q "${pkgs[@]}") >&2
  fi
  mkdir -p "$sysroot"
  for f in "$tmp"/*.deb; do dpkg -x "$f" "$sysroot"; done
fi
have || { echo "native-cross-deps: could not assemble the arm64 sysroot" >&2; exit 1; }
echo "$sysroot"
