// bench-util.h: what the XNNPACK micro-benchmarks in bench/native share: stop on a failed
// XNNPACK call, a millisecond clock, and the median of a run's timings.
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
