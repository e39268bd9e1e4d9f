// codl_run: runs a bundle's model on .npy inputs and prints the median latency.
//
//   codl_run [--bundle DIR] --input in.npy|name=in.npy ... [--output out.npy|name=out.npy ...]
//            [--warmup N] [--iterations N] [--threads N] [--trace trace.json]
//            [--cpu-cores LIST] [--gpu-cores LIST] [--no-rebalance] [--variant-offset N]
//
// --no-rebalance keeps every split chain at its compiled cut (bundles
// compiled with --rebalance-steps otherwise move it run by run);
// --variant-offset N runs each such chain N variants away from it (N may be
// negative; implies --no-rebalance).
// --cpu-cores / --gpu-cores pin the CPU side and the OpenCL driver's threads
// (codl.h, codl_options); LIST is taskset's syntax, e.g. 0 or 2-13.
//
// Exit codes: 0 ok; 2 bad arguments, input files or bundle; 3 no usable
// device or an unsupported model; 1 anything else (kernel build failure,
// runtime failure). Errors are one "codl_run: error: CODL-R00x: ..." message.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "codl.h"
#include "error.h"
#include "npy.h"

#ifndef CODL_BUNDLE_DIR
#define CODL_BUNDLE_DIR "."
#endif

namespace {

const char kUsage[] =
    "usage: codl_run [--bundle DIR] --input in.npy|name=in.npy ... [--output out.npy|name=out.npy ...]\n"
    "                [--warmup N] [--iterations N] [--threads N] [--trace trace.json]\n"
    "                [--cpu-cores LIST] [--gpu-cores LIST] [--no-rebalance] [--variant-offset N]\n";

int exit_code(codl_status s) {
  switch (s) {
    case CODL_OK: return 0;
    case CODL_ERR_INVALID_ARGUMENT:
    case CODL_ERR_BUNDLE: return 2;
    case CODL_ERR_DEVICE:
    case CODL_ERR_UNSUPPORTED: return 3;
    default: return 1;
  }
}

int die(codl_status s, const std::string& message) {
  std::fprintf(stderr, "codl_run: error: %s\n", message.c_str());
  return exit_code(s);
}

bool file_exists(const std::string& p) { return std::ifstream(p).good(); }

// The bundle is where weights.bin is: beside the binary (as pushed to a
// phone), else the source tree this binary was built from.
std::string default_bundle(const char* argv0) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string exe = n > 0 ? std::string(buf, size_t(n)) : std::string(argv0);
  std::string dir = exe.substr(0, exe.find_last_of('/') == std::string::npos ? 0 : exe.find_last_of('/'));
  if (!dir.empty() && file_exists(dir + "/weights.bin")) return dir;
  return CODL_BUNDLE_DIR;
}

struct Binding {
  std::string name;  // empty: by position
  std::string path;
};

int parse_count(const char* flag, const char* v, int min) {
  char* end = nullptr;
  long x = v ? std::strtol(v, &end, 10) : 0;
  if (!v || !*v || *end || x < min || x > 1000000) {
    throw codl::Error(CODL_ERR_INVALID_ARGUMENT, std::string(flag) + " needs an integer" + (min > -1000000 ? " ≥ " + std::to_string(min) : std::string()));
  }
  return int(x);
}

}  // namespace

int main(int argc, char** argv) {
  std::string bundle, trace_path, cpu_cores, gpu_cores;
  std::vector<std::string> in_args, out_args;
  int warmup = 2, iterations = 10, threads = 0, rebalance = 1, variant_offset = 0;
  try {
    for (int i = 1; i < argc; i++) {
      std::string a = argv[i];
      const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
      auto need = [&]() {
        if (!v) throw codl::Error(CODL_ERR_INVALID_ARGUMENT, a + " needs a value\n" + kUsage);
        i++;
        return std::string(v);
      };
      if (a == "--bundle") bundle = need();
      else if (a == "--input") in_args.push_back(need());
      else if (a == "--output") out_args.push_back(need());
      else if (a == "--trace") trace_path = need();
      else if (a == "--warmup") warmup = parse_count("--warmup", need().c_str(), 0);
      else if (a == "--iterations") iterations = parse_count("--iterations", need().c_str(), 1);
      else if (a == "--threads") threads = parse_count("--threads", need().c_str(), 1);
      else if (a == "--cpu-cores") cpu_cores = need();
      else if (a == "--gpu-cores") gpu_cores = need();
      else if (a == "--no-rebalance") rebalance = 0;
      else if (a == "--variant-offset") {
        variant_offset = parse_count("--variant-offset", need().c_str(), -1000000);
        rebalance = 0;
      }
      else if (a == "--help" || a == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
      } else {
        throw codl::Error(CODL_ERR_INVALID_ARGUMENT, "unknown argument '" + a + "'\n" + kUsage);
      }
    }
  } catch (const codl::Error& e) {
    return die(e.status(), e.what());
  }
  if (bundle.empty()) bundle = default_bundle(argv[0]);

  codl_options opt;
  codl_options_init(&opt);
  opt.num_threads = threads;
  opt.trace = trace_path.empty() ? 0 : 1;
  opt.rebalance = rebalance;
  opt.variant_offset = variant_offset;
  if (!cpu_cores.empty()) opt.cpu_cores = cpu_cores.c_str();
  if (!gpu_cores.empty()) opt.gpu_cores = gpu_cores.c_str();
  codl_model* model = nullptr;
  char* err = nullptr;
  // Initialisation: weights.bin read and checked, XNNPACK operators created
  // (weights packed), OpenCL programs built or loaded from the cache, buffers allocated.
  const auto init_start = std::chrono::steady_clock::now();
  codl_status st = codl_create(bundle.c_str(), &opt, &model, &err);
  const double init_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - init_start).count();
  if (st != CODL_OK) {
    int code = die(st, err ? err : codl_status_string(st));
    codl_free(err);
    return code;
  }
  struct Guard {
    codl_model* m;
    ~Guard() { codl_destroy(m); }
  } guard{model};

  auto names_of = [&](bool input) {
    std::vector<std::string> names;
    size_t n = input ? codl_num_inputs(model) : codl_num_outputs(model);
    for (size_t i = 0; i < n; i++) {
      codl_tensor_info info;
      (input ? codl_input_info : codl_output_info)(model, i, &info);
      names.push_back(info.name);
    }
    return names;
  };
  // "name=path" when the text before '=' names a graph tensor, else a path taken by position.
  auto bind = [&](const std::vector<std::string>& args, bool input) {
    std::vector<std::string> names = names_of(input);
    std::vector<Binding> out;
    for (size_t i = 0; i < args.size(); i++) {
      size_t eq = args[i].find('=');
      std::string prefix = eq == std::string::npos ? "" : args[i].substr(0, eq);
      if (eq != std::string::npos && std::find(names.begin(), names.end(), prefix) != names.end()) {
        out.push_back({prefix, args[i].substr(eq + 1)});
      } else {
        if (i >= names.size()) {
          throw codl::Error(CODL_ERR_INVALID_ARGUMENT, std::string("more ") + (input ? "--input" : "--output") + " files than the model has " +
                                                           (input ? "inputs" : "outputs") + " (" + std::to_string(names.size()) + ")");
        }
        out.push_back({names[i], args[i]});
      }
    }
    return out;
  };

  try {
    std::vector<Binding> ins = bind(in_args, true), outs = bind(out_args, false);
    std::vector<codl::NpyArray> in_data;
    std::vector<codl_tensor> in_tensors;
    in_data.reserve(ins.size());
    for (const Binding& b : ins) in_data.push_back(codl::read_npy(b.path));
    for (size_t i = 0; i < ins.size(); i++) {
      in_tensors.push_back({ins[i].name.c_str(), CODL_FLOAT32, uint32_t(in_data[i].shape.size()), in_data[i].shape.data(),
                            in_data[i].data.data()});
    }
    // Every output is computed; those without --output go to scratch memory.
    std::vector<std::string> out_names = names_of(false);
    std::vector<std::vector<int64_t>> out_shapes(out_names.size());
    std::vector<std::vector<float>> out_data(out_names.size());
    std::vector<codl_tensor> out_tensors;
    for (size_t i = 0; i < out_names.size(); i++) {
      codl_tensor_info info;
      codl_output_info(model, i, &info);
      out_shapes[i].assign(info.shape, info.shape + info.rank);
      int64_t count = 1;
      for (int64_t d : out_shapes[i]) count *= d;
      out_data[i].resize(size_t(count));
      out_tensors.push_back({info.name, CODL_FLOAT32, info.rank, out_shapes[i].data(), out_data[i].data()});
    }

    std::vector<double> times;
    for (int it = 0; it < warmup + iterations; it++) {
      auto t0 = std::chrono::steady_clock::now();
      st = codl_run(model, in_tensors.data(), in_tensors.size(), out_tensors.data(), out_tensors.size(), &err);
      if (st != CODL_OK) {
        std::string msg = err ? err : codl_status_string(st);
        codl_free(err);
        throw codl::Error(st, msg);
      }
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (it >= warmup) times.push_back(ms);
    }
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    size_t n = sorted.size();
    double med = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);

    for (const Binding& b : outs) {
      size_t i = size_t(std::find(out_names.begin(), out_names.end(), b.name) - out_names.begin());
      codl::write_npy(b.path, out_shapes[i], out_data[i].data());
    }
    if (!trace_path.empty()) {
      char* json = nullptr;
      st = codl_trace_json(model, size_t(warmup), &json, &err);
      if (st != CODL_OK) {
        std::string msg = err ? err : codl_status_string(st);
        codl_free(err);
        throw codl::Error(st, msg);
      }
      std::ofstream f(trace_path, std::ios::binary | std::ios::trunc);
      f << json;
      codl_free(json);
      if (!f) throw codl::Error(CODL_ERR_INVALID_ARGUMENT, trace_path + ": cannot write the trace");
    }
    std::printf("device: %s\n", codl_device_string(model));
    std::printf("median latency: %.3f ms (%d iterations, %d warm-up)\n", med, iterations, warmup);
    char* cuts = nullptr;
    if (codl_cuts(model, &cuts, nullptr) == CODL_OK && cuts && *cuts) std::printf("cuts (GPU share, compiled->now): %s\n", cuts);
    codl_free(cuts);
    std::printf("initialisation: %.3f ms (weights, XNNPACK operators, OpenCL programs, buffers)\n", init_ms);
    return 0;
  } catch (const codl::Error& e) {
    std::string msg = e.what();
    if (msg.rfind("CODL-R", 0) != 0) msg = std::string(codl_status_string(e.status())).substr(0, 9) + ": " + msg;
    return die(e.status(), msg);
  } catch (const std::exception& e) {
    return die(CODL_ERR_INTERNAL, std::string("CODL-R007: ") + e.what());
  }
}
