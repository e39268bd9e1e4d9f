// cl_env.cc: OpenCL device selection and the program binary cache.
#ifndef CODL_CPU_ONLY
#include "cl_env.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <fstream>
#include <iterator>
#include <vector>

#include "error.h"
#include "hash.h"

namespace codl {
namespace {

std::string platform_info(cl_platform_id p, cl_platform_info what) {
  size_t n = 0;
  if (clGetPlatformInfo(p, what, 0, nullptr, &n) != CL_SUCCESS || n == 0) return "";
  std::string s(n, '\0');
  clGetPlatformInfo(p, what, n, s.data(), nullptr);
  s.resize(std::strlen(s.c_str()));
  return s;
}

std::string device_info(cl_device_id d, cl_device_info what) {
  size_t n = 0;
  if (clGetDeviceInfo(d, what, 0, nullptr, &n) != CL_SUCCESS || n == 0) return "";
  std::string s(n, '\0');
  clGetDeviceInfo(d, what, n, s.data(), nullptr);
  s.resize(std::strlen(s.c_str()));
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// An index ("1") or a case-insensitive substring of the name.
bool selector_matches(const std::string& selector, size_t index, const std::string& name) {
  bool numeric = !selector.empty() && std::all_of(selector.begin(), selector.end(), ::isdigit);
  if (numeric) return std::stoul(selector) == index;
  return lower(name).find(lower(selector)) != std::string::npos;
}

std::vector<cl_device_id> devices_of(cl_platform_id p) {
  cl_uint n = 0;
  if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &n) != CL_SUCCESS || n == 0) return {};
  std::vector<cl_device_id> ds(n);
  clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n, ds.data(), nullptr);
  return ds;
}

bool is_gpu(cl_device_id d) {
  cl_device_type t = 0;
  clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, nullptr);
  return (t & CL_DEVICE_TYPE_GPU) != 0;
}

std::string read_file(const std::string& path, bool* ok) {
  std::ifstream f(path, std::ios::binary);
  *ok = bool(f);
  if (!f) return "";
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

const char* cl_error_name(cl_int e) {
  switch (e) {
    case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND";
    case CL_DEVICE_NOT_AVAILABLE: return "CL_DEVICE_NOT_AVAILABLE";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
    case CL_IMAGE_FORMAT_NOT_SUPPORTED: return "CL_IMAGE_FORMAT_NOT_SUPPORTED";
    case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE";
    case CL_MAP_FAILURE: return "CL_MAP_FAILURE";
    case CL_INVALID_VALUE: return "CL_INVALID_VALUE";
    case CL_INVALID_DEVICE: return "CL_INVALID_DEVICE";
    case CL_INVALID_CONTEXT: return "CL_INVALID_CONTEXT";
    case CL_INVALID_MEM_OBJECT: return "CL_INVALID_MEM_OBJECT";
    case CL_INVALID_IMAGE_SIZE: return "CL_INVALID_IMAGE_SIZE";
    case CL_INVALID_BINARY: return "CL_INVALID_BINARY";
    case CL_INVALID_BUILD_OPTIONS: return "CL_INVALID_BUILD_OPTIONS";
    case CL_INVALID_PROGRAM_EXECUTABLE: return "CL_INVALID_PROGRAM_EXECUTABLE";
    case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME";
    case CL_INVALID_ARG_INDEX: return "CL_INVALID_ARG_INDEX";
    case CL_INVALID_ARG_VALUE: return "CL_INVALID_ARG_VALUE";
    case CL_INVALID_ARG_SIZE: return "CL_INVALID_ARG_SIZE";
    case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS";
    case CL_INVALID_WORK_DIMENSION: return "CL_INVALID_WORK_DIMENSION";
    case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE";
    case CL_INVALID_GLOBAL_WORK_SIZE: return "CL_INVALID_GLOBAL_WORK_SIZE";
    case CL_INVALID_OPERATION: return "CL_INVALID_OPERATION";
    case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE";
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "CL error";
  }
}

void cl_check(cl_int status, const char* what) {
  if (status != CL_SUCCESS) {
    fail(CODL_ERR_RUNTIME, std::string(what) + " failed: " + cl_error_name(status) + " (" + std::to_string(status) + ")");
  }
}

ClEnv::~ClEnv() {
  if (queue) clReleaseCommandQueue(queue);
  if (context) clReleaseContext(context);
}

void open_cl(ClEnv& env, bool profiling) {
  cl_uint np = 0;
  cl_int st = clGetPlatformIDs(0, nullptr, &np);
  if (st != CL_SUCCESS || np == 0) {
    fail(CODL_ERR_DEVICE, "no OpenCL platform found (" + std::string(cl_error_name(st)) +
                              "); install an OpenCL driver (ICD), e.g. pocl-opencl-icd on Linux");
  }
  std::vector<cl_platform_id> platforms(np);
  clGetPlatformIDs(np, platforms.data(), nullptr);

  const char* psel = std::getenv("CODL_CL_PLATFORM");
  const char* dsel = std::getenv("CODL_CL_DEVICE");
  std::string available;
  cl_platform_id chosen_p = nullptr;
  cl_device_id chosen_d = nullptr;
  bool chosen_gpu = false;
  for (size_t pi = 0; pi < platforms.size(); pi++) {
    std::string pname = platform_info(platforms[pi], CL_PLATFORM_NAME);
    auto ds = devices_of(platforms[pi]);
    available += "\n  platform " + std::to_string(pi) + ": " + pname;
    for (size_t di = 0; di < ds.size(); di++) {
      std::string dname = device_info(ds[di], CL_DEVICE_NAME);
      available += "\n    device " + std::to_string(di) + ": " + dname + (is_gpu(ds[di]) ? " (GPU)" : "");
      if (psel && *psel && !selector_matches(psel, pi, pname)) continue;
      if (dsel && *dsel && !selector_matches(dsel, di, dname)) continue;
      bool explicit_choice = (psel && *psel) || (dsel && *dsel);
      if (!chosen_d || (!explicit_choice && !chosen_gpu && is_gpu(ds[di]))) {
        chosen_p = platforms[pi];
        chosen_d = ds[di];
        chosen_gpu = is_gpu(ds[di]);
      }
    }
  }
  if (!chosen_d) {
    std::string why = (psel && *psel) || (dsel && *dsel)
                          ? "no OpenCL device matches CODL_CL_PLATFORM='" + std::string(psel ? psel : "") +
                                "' CODL_CL_DEVICE='" + std::string(dsel ? dsel : "") + "'"
                          : "no OpenCL device found";
    fail(CODL_ERR_DEVICE, why + "; available:" + (available.empty() ? std::string(" none") : available));
  }
  env.platform = chosen_p;
  env.device = chosen_d;
  cl_bool images = CL_FALSE;
  clGetDeviceInfo(chosen_d, CL_DEVICE_IMAGE_SUPPORT, sizeof images, &images, nullptr);
  std::string pname = platform_info(chosen_p, CL_PLATFORM_NAME);
  std::string dname = device_info(chosen_d, CL_DEVICE_NAME);
  std::string driver = device_info(chosen_d, CL_DRIVER_VERSION);
  env.description = pname + " / " + dname + " / driver " + driver;
  env.cache_key = pname + "|" + platform_info(chosen_p, CL_PLATFORM_VERSION) + "|" + dname + "|" +
                  device_info(chosen_d, CL_DEVICE_VERSION) + "|" + driver;
  if (!images) env.description += " (no image support)";

  cl_context_properties props[] = {CL_CONTEXT_PLATFORM, reinterpret_cast<cl_context_properties>(chosen_p), 0};
  env.context = clCreateContext(props, 1, &chosen_d, nullptr, nullptr, &st);
  if (st != CL_SUCCESS) fail(CODL_ERR_DEVICE, "cannot create an OpenCL context on " + env.description + ": " + cl_error_name(st));
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
  env.queue = clCreateCommandQueue(env.context, chosen_d, profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &st);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
  if (st != CL_SUCCESS) fail(CODL_ERR_DEVICE, "cannot create an OpenCL queue on " + env.description + ": " + cl_error_name(st));
}

cl_program build_program(const ClEnv& env, const std::string& source, const std::string& options,
                         const std::string& cache_dir, const std::string& what) {
  std::string path;
  if (!cache_dir.empty()) {
    uint64_t h = fnv1a64(source, fnv1a64(options, fnv1a64(env.cache_key)));
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.clbin", static_cast<unsigned long long>(h));
    path = cache_dir + "/" + name;
    bool ok = false;
    std::string bin = read_file(path, &ok);
    if (ok && !bin.empty()) {
      const unsigned char* ptr = reinterpret_cast<const unsigned char*>(bin.data());
      size_t size = bin.size();
      cl_int bst = CL_SUCCESS, st = CL_SUCCESS;
      cl_program p = clCreateProgramWithBinary(env.context, 1, &env.device, &size, &ptr, &bst, &st);
      if (st == CL_SUCCESS && bst == CL_SUCCESS) {
        if (clBuildProgram(p, 1, &env.device, options.c_str(), nullptr, nullptr) == CL_SUCCESS) return p;
      }
      if (p) clReleaseProgram(p);
      // A stale or corrupt cache entry: fall through to a source build, which overwrites it.
    }
  }

  const char* src = source.c_str();
  size_t len = source.size();
  cl_int st = CL_SUCCESS;
  cl_program p = clCreateProgramWithSource(env.context, 1, &src, &len, &st);
  cl_check(st, "clCreateProgramWithSource");
  st = clBuildProgram(p, 1, &env.device, options.c_str(), nullptr, nullptr);
  if (st != CL_SUCCESS) {
    size_t n = 0;
    clGetProgramBuildInfo(p, env.device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &n);
    std::string log(n, '\0');
    if (n) clGetProgramBuildInfo(p, env.device, CL_PROGRAM_BUILD_LOG, n, log.data(), nullptr);
    log.resize(std::strlen(log.c_str()));
    if (log.size() > 8000) log = log.substr(0, 8000) + "\n... (log truncated)";
    clReleaseProgram(p);
    fail(CODL_ERR_KERNEL_BUILD, what + ": OpenCL build failed (" + cl_error_name(st) + ") on " + env.description +
                                    "; build log:\n" + log);
  }
  if (!path.empty()) {
    size_t size = 0;
    if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, nullptr) == CL_SUCCESS && size > 0) {
      std::string bin(size, '\0');
      unsigned char* ptr = reinterpret_cast<unsigned char*>(bin.data());
      if (clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof ptr, &ptr, nullptr) == CL_SUCCESS) {
        // Write then rename, so concurrent runs never read half a file.
        std::string tmp = path + ".tmp" + std::to_string(getpid());
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (f && f.write(bin.data(), std::streamsize(bin.size()))) {
          f.close();
          std::rename(tmp.c_str(), path.c_str());
        } else {
          std::remove(tmp.c_str());
        }
      }
    }
  }
  return p;
}

}  // namespace codl
#endif  // CODL_CPU_ONLY
