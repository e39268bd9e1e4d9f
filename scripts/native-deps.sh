#!/usr/bin/env bash
# Prints a CMake prefix that holds the host's XNNPACK and pthreadpool development
# files, or nothing when the system has them.
#
# Debian's libxnnpack-dev and libpthreadpool-dev are not "Multi-Arch: same":
# installing the arm64 ones for the cross-build removes the amd64 ones (and the
# other way round). So when the host's are missing, this downloads the host
# packages with `apt-get download` and unpacks them with `dpkg -x` under
# build/native/deps, without touching the system. libcpuinfo0 is multi-arch
# and stays installed either way.
set -euo pipefail
cd "$(dirname "$0")/.."
triplet=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
have() { [ -e "$1/include/xnnpack.h" ] && [ -e "$1/include/pthreadpool.h" ] && [ -e "$1/lib/$triplet/libXNNPACK.so" ] && [ -e "$1/lib/$triplet/libpthreadpool.so" ]; }
if have /usr; then exit 0; fi
deps="$PWD/build/native/deps"
if ! have "$deps/usr"; then
  arch=$(dpkg --print-architecture)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  pkgs=("libxnnpack-dev:$arch" "libxnnpack0:$arch" "libpthreadpool-dev:$arch" "libpthreadpool0:$arch")
  if ! (cd "$tmp" && apt-get download -q "${pkgs[@]}") >&2; then
    # Fresh machines may have no package lists yet.
    [ "$(id -u)" = 0 ] && apt-get update -qq >&2
    (cd "$tmp" && apt-get download -q "${pkgs[@]}") >&2
  fi
  mkdir -p "$deps"
  for f in "$tmp"/*.deb; do dpkg -x "$f" "$deps"; done
fi
have "$deps/usr" || { echo "native-deps: could not provide XNNPACK for $triplet" >&2; exit 1; }
echo "$deps/usr"
