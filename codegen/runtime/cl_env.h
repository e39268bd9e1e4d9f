// cl_env.h: the OpenCL side of the runtime: device selection, the command
// queue, and programs built through a binary cache. Absent in a CODL_CPU_ONLY build.
#pragma once
#ifndef CODL_CPU_ONLY

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include <string>

namespace codl {

struct ClEnv {
  cl_platform_id platform = nullptr;
  cl_device_id device = nullptr;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  std::string description;  // "platform / device / driver"
  std::string cache_key;    // what identifies compiled binaries for this device and driver

  ClEnv() = default;
  ClEnv(const ClEnv&) = delete;
  ClEnv& operator=(const ClEnv&) = delete;
  ~ClEnv();
};

// Picks the device named by CODL_CL_PLATFORM / CODL_CL_DEVICE (an index or a
// case-insensitive substring of the name); by default the first GPU, else the
// first device. Throws CODL_ERR_DEVICE listing what exists.
void open_cl(ClEnv& env, bool profiling);

// Builds `source` for env's device, through `cache_dir` when it is not empty
// (file name: hash of cache_key, options and source). `what` names the source
// in errors, e.g. "kernels/conv2d_0123456789ab.cl".
cl_program build_program(const ClEnv& env, const std::string& source, const std::string& options,
                         const std::string& cache_dir, const std::string& what);

// Throws CODL_ERR_RUNTIME naming the call and the OpenCL error.
void cl_check(cl_int status, const char* what);
const char* cl_error_name(cl_int status);

}  // namespace codl

#endif  // CODL_CPU_ONLY
