// bench-util.h: what the XNNPACK micro-benchmarks in bench/native share: stop on a failed
// XNNPACK call, a millisecond clock, the median of a run's timings, and a count argument.
#pragma once

#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

inline void need(xnn_status st, const char* what) {
  if (st != xnn_status_success) {
    std::fprintf(stderr, "%s failed (status %d)\n", what, int(st));
    std::exit(1);
  }
}

inline double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// argv[i] as a count in [1, 1000], default when absent; anything else prints usage and exits 2.
inline int count_arg(int argc, char** argv, int i, int fallback, const char* usage) {
  if (argc <= i) return fallback;
  char* end = nullptr;
  const long v = std::strtol(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0' || v < 1 || v > 1000) {
    std::fprintf(stderr, "%s: '%s' is not a count from 1 to 1000\nusage: %s\n", argv[0], argv[i], usage);
    std::exit(2);
  }
  return int(v);
}
