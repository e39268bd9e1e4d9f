// npy.cc: the .npy format, version 1.0 to 3.0 headers: magic, version, header
// length, then a Python dict literal with 'descr', 'fortran_order', 'shape'.
#include "npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "error.h"

namespace codl {
namespace {

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  fail(CODL_ERR_INVALID_ARGUMENT, path + ": " + why);
}

// The value after 'key': in the header dict, up to the next top-level comma.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) bad(path, "npy header has no '" + key + "'");
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) bad(path, "malformed npy header");
  size_t i = colon + 1;
  while (i < header.size() && header[i] == ' ') i++;
  size_t end = i;
  int depth = 0;
  while (end < header.size()) {
    char ch = header[end];
    if (ch == '(') depth++;
    if (ch == ')') depth--;
    if ((ch == ',' || ch == '}') && depth == 0) break;
    end++;
  }
  return header.substr(i, end - i);
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) bad(path, "cannot open file");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) bad(path, "not a .npy file (bad magic)");
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    if (!f.read(reinterpret_cast<char*>(b), 2)) bad(path, "truncated npy header");
    header_len = b[0] | (b[1] << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    unsigned char b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) bad(path, "truncated npy header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  } else {
    bad(path, "unsupported npy version " + std::to_string(int(magic[6])));
  }
  if (header_len > (1u << 20)) bad(path, "npy header too large");
  std::string header(header_len, '\0');
  if (!f.read(header.data(), header_len)) bad(path, "truncated npy header");

  std::string descr = dict_value(header, "descr", path);
  if (descr != "'<f4'" && descr != "'|f4'" && descr != "'f4'") {
    bad(path, "dtype " + descr + " is not supported; codl takes float32 ('<f4') arrays");
  }
  if (dict_value(header, "fortran_order", path) != "False") bad(path, "Fortran-order arrays are not supported");
  std::string shape_text = dict_value(header, "shape", path);
  NpyArray out;
  {
    std::string inner = shape_text;
    if (inner.size() < 2 || inner.front() != '(' || inner.back() != ')') bad(path, "malformed shape " + shape_text);
    inner = inner.substr(1, inner.size() - 2);
    std::stringstream ss(inner);
    std::string item;
    while (std::getline(ss, item, ',')) {
      size_t a = item.find_first_not_of(' ');
      if (a == std::string::npos) continue;
      char* end = nullptr;
      long long v = std::strtoll(item.c_str() + a, &end, 10);
      if (v < 0 || v > (1LL << 40)) bad(path, "bad dimension in shape " + shape_text);
      out.shape.push_back(v);
    }
  }
  int64_t count = 1;
  for (int64_t d : out.shape) {
    count *= d;
    if (count > (int64_t(1) << 34)) bad(path, "array too large");
  }
  out.data.resize(size_t(count));
  if (!f.read(reinterpret_cast<char*>(out.data.data()), std::streamsize(count * 4))) {
    bad(path, "truncated data: expected " + std::to_string(count * 4) + " bytes after the header");
  }
  return out;
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); i++) {
    dict += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
    count *= shape[i];
  }
  dict += "), }";
  // magic(6) + version(2) + len(2) + dict + padding + '\n' is a multiple of 64.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) fail(CODL_ERR_INVALID_ARGUMENT, path + ": cannot open for writing");
  f.write("\x93NUMPY\x01\x00", 8);
  unsigned char len[2] = {static_cast<unsigned char>(dict.size() & 0xff), static_cast<unsigned char>(dict.size() >> 8)};
  f.write(reinterpret_cast<const char*>(len), 2);
  f.write(dict.data(), std::streamsize(dict.size()));
  f.write(reinterpret_cast<const char*>(data), std::streamsize(count * 4));
  if (!f) fail(CODL_ERR_INVALID_ARGUMENT, path + ": write failed");
}

}  // namespace codl
