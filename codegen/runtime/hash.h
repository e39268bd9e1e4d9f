// hash.h: CRC-32 (IEEE, zlib's: checks weights.bin against the model table)
// and FNV-1a 64 (names program-cache files).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace codl {

uint32_t crc32(const uint8_t* data, size_t size);
uint64_t fnv1a64(const std::string& text, uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace codl
