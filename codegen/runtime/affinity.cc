// affinity.cc: core lists and thread pinning (affinity.h).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "affinity.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "error.h"

#ifdef __linux__
#include <sched.h>
#endif

namespace codl {
namespace {

[[noreturn]] void bad(const char* what, const std::string& spec, const std::string& why) {
  fail(CODL_ERR_INVALID_ARGUMENT, std::string(what) + " '" + spec + "': " + why + " (a core list such as 0, 4-7 or 0,2,4-6)");
}

int parse_core(const char* what, const std::string& spec, const std::string& s) {
  if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    bad(what, spec, "'" + s + "' is not a core number");
  }
  return std::atoi(s.c_str());
}

}  // namespace

std::string format_core_list(const std::vector<int>& cores) {
  std::string out;
  for (size_t i = 0; i < cores.size();) {
    size_t j = i;
    while (j + 1 < cores.size() && cores[j + 1] == cores[j] + 1) j++;
    if (!out.empty()) out += ",";
    out += std::to_string(cores[i]);
    if (j > i) out += "-" + std::to_string(cores[j]);
    i = j + 1;
  }
  return out;
}

#ifdef __linux__

std::vector<int> parse_core_list(const std::string& spec, const char* what) {
  std::vector<int> cores;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t dash = item.find('-');
    int lo = parse_core(what, spec, item.substr(0, dash));
    int hi = dash == std::string::npos ? lo : parse_core(what, spec, item.substr(dash + 1));
    if (hi < lo) bad(what, spec, "the range " + item + " runs backwards");
    for (int c = lo; c <= hi; c++) cores.push_back(c);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::sort(cores.begin(), cores.end());
  cores.erase(std::unique(cores.begin(), cores.end()), cores.end());
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) fail(CODL_ERR_RUNTIME, "sched_getaffinity failed");
  std::vector<int> usable;
  for (int c = 0; c < CPU_SETSIZE; c++) if (CPU_ISSET(c, &allowed)) usable.push_back(c);
  for (int c : cores) {
    if (c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed)) {
      bad(what, spec, "core " + std::to_string(c) + " is not one this process may use (" + format_core_list(usable) + ")");
    }
  }
  return cores;
}

PinnedThread::PinnedThread(const std::vector<int>& cores) {
  if (cores.empty()) return;
  cpu_set_t saved, set;
  CPU_ZERO(&saved);
  if (sched_getaffinity(0, sizeof saved, &saved) != 0) fail(CODL_ERR_RUNTIME, "sched_getaffinity failed");
  CPU_ZERO(&set);
  for (int c : cores) CPU_SET(c, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    fail(CODL_ERR_RUNTIME, "sched_setaffinity to cores " + format_core_list(cores) + " failed: " + std::strerror(errno));
  }
  saved_.assign(reinterpret_cast<unsigned char*>(&saved), reinterpret_cast<unsigned char*>(&saved) + sizeof saved);
  pinned_ = true;
}

PinnedThread::~PinnedThread() {
  if (pinned_) sched_setaffinity(0, saved_.size(), reinterpret_cast<cpu_set_t*>(saved_.data()));
}

#else

std::vector<int> parse_core_list(const std::string& spec, const char* what) {
  bad(what, spec, "pinning threads to cores needs Linux or Android");
}

PinnedThread::PinnedThread(const std::vector<int>& cores) {
  if (!cores.empty()) fail(CODL_ERR_UNSUPPORTED, "pinning threads to cores needs Linux or Android");
}

PinnedThread::~PinnedThread() {}

#endif

}  // namespace codl
