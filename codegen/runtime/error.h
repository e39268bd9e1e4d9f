// error.h: the runtime's one error type. Everything inside the runtime throws
// codl::Error; the C API (api.cc) turns it into a status and a message, so
// no failure escapes as a crash.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "codl.h"

namespace codl {

class Error : public std::runtime_error {
 public:
  Error(codl_status status, std::string message) : std::runtime_error(std::move(message)), status_(status) {}
  codl_status status() const { return status_; }

 private:
  codl_status status_;
};

[[noreturn]] inline void fail(codl_status status, const std::string& message) { throw Error(status, message); }

}  // namespace codl
