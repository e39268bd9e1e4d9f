// affinity.h: pinning the two sides of co-execution to disjoint CPU cores.
//
// A core list is taskset's syntax: "0", "4-7", "0,2,4-6". On a phone the CPU
// side belongs on the big cores; where the "GPU" is an OpenCL driver that runs
// on the CPU (PoCL), its worker threads belong on other cores than XNNPACK's,
// or the two sides slow each other down. Linux (and Android) only; elsewhere a
// non-empty list is an error.
#pragma once

#include <string>
#include <vector>

namespace codl {

// The cores of `spec` (sorted, unique), checked against the cores this
// process may use. Throws CODL_ERR_INVALID_ARGUMENT naming `what` on a bad list.
std::vector<int> parse_core_list(const std::string& spec, const char* what);

// The calling thread's cores while it lives, then the previous set again.
// An empty list changes nothing.
class PinnedThread {
 public:
  explicit PinnedThread(const std::vector<int>& cores);
  ~PinnedThread();
  PinnedThread(const PinnedThread&) = delete;
  PinnedThread& operator=(const PinnedThread&) = delete;

 private:
  bool pinned_ = false;
  std::vector<unsigned char> saved_;  // the previous cpu_set_t, bytewise
};

// "0-3,6" for {0,1,2,3,6}.
std::string format_core_list(const std::vector<int>& cores);

}  // namespace codl
