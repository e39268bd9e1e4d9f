// rebalance.h: where to cut an H chain next, from the times its cuts were
// measured at (runtime.cc `rebalance`, once per run for every chain with
// rebalancing variants). Header-only, no OpenCL or XNNPACK: the tests compile
// it alone (test/native/rebalance.test.ts).
//
// A local search over the chain's cuts (variants, in increasing GPU share)
// with a memory per cut: each cut keeps its CPU and GPU times, smoothed over
// the runs that used it. When the two sides of the current cut are more than
// kBalanced apart, the neighbouring cut that gives the slower side fewer rows
// is tried if it was never measured (or not for kStale runs), and taken if its
// measured max(CPU, GPU) is at least kBetter lower. One step per run, and only
// towards relief of the slower side, so it settles where the sides cross. It
// assumes nothing about how a side's time scales with its rows: PoCL's time on
// fewer rows may drop less than linearly (fewer work-groups for its threads).
// The first controller extrapolated per-row rates from the current cut; in
// closed-loop run 8 (BENCHMARKS.md) its bundles then ran slower than the same
// bundles at their compiled cuts in all six pairs of passes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace codl {

struct CutTimes {
  double cpu_ms = 0, gpu_ms = 0;  // smoothed over the runs that used this cut
  size_t runs = 0;                // how many
  size_t last_run = 0;            // the run that last used it
};

struct RebalancePolicy {
  double smoothing = 0.5;  // weight of the old value: new = s·old + (1 − s)·measured
  double balanced = 0.05;  // |CPU − GPU| within this share of the slower side: stay
  double better = 0.01;    // a measured neighbour must be this much faster to move to it
  size_t stale = 20;       // runs after which a neighbour's times are measured again
};

// Records run `run`'s times at cut `cur` and returns the cut for the next run.
inline int32_t next_cut(std::vector<CutTimes>& cuts, int32_t cur, double cpu_ms, double gpu_ms, size_t run,
                        const RebalancePolicy& p = RebalancePolicy{}) {
  CutTimes& t = cuts[size_t(cur)];
  if (t.runs == 0) {
    t.cpu_ms = cpu_ms, t.gpu_ms = gpu_ms;
  } else {
    t.cpu_ms = p.smoothing * t.cpu_ms + (1 - p.smoothing) * cpu_ms;
    t.gpu_ms = p.smoothing * t.gpu_ms + (1 - p.smoothing) * gpu_ms;
  }
  t.runs++;
  t.last_run = run;
  const double slower = std::max(t.cpu_ms, t.gpu_ms);
  if (std::fabs(t.gpu_ms - t.cpu_ms) <= p.balanced * slower) return cur;
  const int32_t next = t.gpu_ms > t.cpu_ms ? cur - 1 : cur + 1;  // fewer rows for the slower side
  if (next < 0 || size_t(next) >= cuts.size()) return cur;
  const CutTimes& n = cuts[size_t(next)];
  if (n.runs == 0 || run - n.last_run > p.stale) return next;
  return std::max(n.cpu_ms, n.gpu_ms) < (1 - p.better) * slower ? next : cur;
}

}  // namespace codl
