// npy.h: reads and writes NumPy .npy files (float32, C order), for codl_run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace codl {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Throws codl::Error (CODL_ERR_INVALID_ARGUMENT) naming the file and the cause.
NpyArray read_npy(const std::string& path);
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data);

}  // namespace codl
