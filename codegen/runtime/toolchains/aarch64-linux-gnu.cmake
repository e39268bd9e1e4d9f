# Cross-compiling a codl bundle for 64-bit Arm Linux with Debian's GCC cross
# toolchain (g++-aarch64-linux-gnu), the nearest testable thing to an Android
# arm64-v8a build. The arm64 XNNPACK/pthreadpool/cpuinfo/OpenCL-loader
# packages are unpacked into a sysroot (scripts/native-cross-deps.sh):
#
#   cmake -S B -B B/build-arm64 -DCMAKE_TOOLCHAIN_FILE=B/src/runtime/toolchains/aarch64-linux-gnu.cmake \
#         -DCODL_ARM64_SYSROOT=<sysroot> -DCMAKE_BUILD_TYPE=Release
#   qemu-aarch64-static -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=<sysroot>/usr/lib/aarch64-linux-gnu B/build-arm64/codl_run …
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CODL_ARM64_SYSROOT "" CACHE PATH "folder with the arm64 packages unpacked (usr/include, usr/lib/aarch64-linux-gnu)")
# Forwarded to try_compile projects, which re-read this file.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CODL_ARM64_SYSROOT)

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu ${CODL_ARM64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(CODL_ARM64_SYSROOT)
  set(_codl_arm64_lib "${CODL_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
  # libXNNPACK.so needs libcpuinfo.so.0 at link time too.
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_codl_arm64_lib}")
  set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_codl_arm64_lib}")
  # The Khronos headers are architecture-independent (opencl-headers on the host).
  set(OpenCL_INCLUDE_DIR /usr/include CACHE PATH "")
  set(OpenCL_LIBRARY "${_codl_arm64_lib}/libOpenCL.so" CACHE FILEPATH "")
endif()
