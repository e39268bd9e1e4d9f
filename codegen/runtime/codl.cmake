# codl.cmake: the build of a codl bundle, included by the bundle's CMakeLists.txt:
#
#   cmake_minimum_required(VERSION 3.16)
#   project(codl_bundle CXX)
#   include(${CMAKE_CURRENT_SOURCE_DIR}/src/runtime/codl.cmake)
#   codl_add_bundle(SOURCES src/model.cc)
#
# Targets: codl_run (the runner) and, with -DCODL_BUILD_SHARED=ON, libcodl.so
# (the C API of codl.h, for apps).
#
# Options:
#   CODL_CPU_ONLY=ON          build without OpenCL; a model with GPU operators fails
#                             at codl_create with CODL-R005 (compile it with --strategy cpu).
#   CODL_XNNPACK_SOURCE_DIR   build XNNPACK (and its pthreadpool/cpuinfo) from source,
#                             as the Android preset does; otherwise the system's
#                             libXNNPACK/libpthreadpool are used (Debian: libxnnpack-dev,
#                             libpthreadpool-dev, which ship no CMake config; a private copy
#                             is found through CMAKE_PREFIX_PATH, see scripts/native-deps.sh).
#   OpenCL_INCLUDE_DIR / OpenCL_LIBRARY   as CMake's FindOpenCL (on Android, Khronos
#                             headers and a libOpenCL.so pulled from the phone's /vendor/lib64).
cmake_minimum_required(VERSION 3.16)

option(CODL_CPU_ONLY "Build without OpenCL" OFF)
option(CODL_BUILD_SHARED "Also build libcodl.so" OFF)
set(CODL_XNNPACK_SOURCE_DIR "" CACHE PATH "XNNPACK source tree to build instead of the system library")
set(CODL_RUNTIME_DIR "${CMAKE_CURRENT_LIST_DIR}")

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "" FORCE)
endif()

find_package(Threads REQUIRED)

if(CODL_XNNPACK_SOURCE_DIR)
  set(XNNPACK_BUILD_TESTS OFF CACHE BOOL "" FORCE)
  set(XNNPACK_BUILD_BENCHMARKS OFF CACHE BOOL "" FORCE)
  set(XNNPACK_LIBRARY_TYPE static CACHE STRING "" FORCE)
  add_subdirectory("${CODL_XNNPACK_SOURCE_DIR}" "${CMAKE_BINARY_DIR}/xnnpack" EXCLUDE_FROM_ALL)
  set(CODL_XNNPACK_LIBS XNNPACK pthreadpool)
  set(CODL_XNNPACK_INCLUDES "")
else()
  # Forget cached paths that no longer exist (e.g. the host package was swapped for another architecture's).
  foreach(_v CODL_XNNPACK_INCLUDE_DIR CODL_XNNPACK_LIBRARY CODL_PTHREADPOOL_INCLUDE_DIR CODL_PTHREADPOOL_LIBRARY)
    if(${_v} AND NOT EXISTS "${${_v}}")
      unset(${_v} CACHE)
    endif()
  endforeach()
  find_path(CODL_XNNPACK_INCLUDE_DIR xnnpack.h)
  find_library(CODL_XNNPACK_LIBRARY XNNPACK)
  find_path(CODL_PTHREADPOOL_INCLUDE_DIR pthreadpool.h)
  find_library(CODL_PTHREADPOOL_LIBRARY pthreadpool)
  if(NOT CODL_XNNPACK_INCLUDE_DIR OR NOT CODL_XNNPACK_LIBRARY OR NOT CODL_PTHREADPOOL_INCLUDE_DIR OR NOT CODL_PTHREADPOOL_LIBRARY)
    message(FATAL_ERROR "codl: XNNPACK or pthreadpool not found. On Debian/Ubuntu: "
                        "apt-get install libxnnpack-dev libpthreadpool-dev; or pass -DCODL_XNNPACK_SOURCE_DIR=<XNNPACK source>.")
  endif()
  set(CODL_XNNPACK_LIBS "${CODL_XNNPACK_LIBRARY}" "${CODL_PTHREADPOOL_LIBRARY}")
  set(CODL_XNNPACK_INCLUDES "${CODL_XNNPACK_INCLUDE_DIR}" "${CODL_PTHREADPOOL_INCLUDE_DIR}")
endif()

if(NOT CODL_CPU_ONLY)
  find_package(OpenCL)
  if(NOT OpenCL_FOUND)
    message(FATAL_ERROR "codl: OpenCL not found. On Debian/Ubuntu: apt-get install ocl-icd-opencl-dev opencl-headers "
                        "(and a driver, e.g. pocl-opencl-icd); or configure with -DCODL_CPU_ONLY=ON.")
  endif()
endif()

# The runtime's own kernels are compiled into the binary as a raw string.
set(CODL_GEN_DIR "${CMAKE_BINARY_DIR}/codl_gen")
file(READ "${CODL_RUNTIME_DIR}/kernels/transform.cl" _codl_transform_src)
file(WRITE "${CODL_GEN_DIR}/codl_transform_cl.inc.tmp" "R\"CODLCL(${_codl_transform_src})CODLCL\"\n")
configure_file("${CODL_GEN_DIR}/codl_transform_cl.inc.tmp" "${CODL_GEN_DIR}/codl_transform_cl.inc" COPYONLY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CODL_RUNTIME_DIR}/kernels/transform.cl")

set(CODL_RUNTIME_SOURCES
    "${CODL_RUNTIME_DIR}/affinity.cc"
    "${CODL_RUNTIME_DIR}/api.cc"
    "${CODL_RUNTIME_DIR}/cl_env.cc"
    "${CODL_RUNTIME_DIR}/cpu_ops.cc"
    "${CODL_RUNTIME_DIR}/hash.cc"
    "${CODL_RUNTIME_DIR}/runtime.cc")

function(_codl_configure target)
  target_compile_features(${target} PUBLIC cxx_std_17)
  target_include_directories(${target} PUBLIC "${CODL_RUNTIME_DIR}" "${CODL_GEN_DIR}" ${CODL_XNNPACK_INCLUDES})
  target_link_libraries(${target} PUBLIC ${CODL_XNNPACK_LIBS} Threads::Threads)
  if(CODL_CPU_ONLY)
    target_compile_definitions(${target} PUBLIC CODL_CPU_ONLY=1)
  else()
    target_compile_definitions(${target} PUBLIC CL_TARGET_OPENCL_VERSION=120)
    target_link_libraries(${target} PUBLIC OpenCL::OpenCL)
  endif()
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra)
  endif()
endfunction()

# codl_add_bundle(SOURCES src/model.cc ... [NAME n]): the generated model plus the runtime.
# Targets: codl_run (codl_run_<n> with NAME) and, with CODL_BUILD_SHARED, libcodl.so
# (libcodl_<n>.so). The runtime itself is compiled once, as codl_runtime.
function(codl_add_bundle)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES" ${ARGN})
  if(NOT TARGET codl_runtime)
    add_library(codl_runtime STATIC ${CODL_RUNTIME_SOURCES})
    _codl_configure(codl_runtime)
  endif()
  set(suffix "")
  if(ARG_NAME)
    set(suffix "_${ARG_NAME}")
  endif()
  # The model's sources go into each binary (not a static library), so that the
  # runtime's reference to codl::bundled_model() always resolves.
  add_executable(codl_run${suffix} "${CODL_RUNTIME_DIR}/codl_run.cc" "${CODL_RUNTIME_DIR}/npy.cc" ${ARG_SOURCES})
  target_link_libraries(codl_run${suffix} PRIVATE codl_runtime)
  target_compile_definitions(codl_run${suffix} PRIVATE CODL_BUNDLE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(codl_run${suffix} PRIVATE -Wall -Wextra)
  endif()
  if(CODL_BUILD_SHARED)
    add_library(codl${suffix} SHARED ${CODL_RUNTIME_SOURCES} ${ARG_SOURCES})
    _codl_configure(codl${suffix})
  endif()
endfunction()
