// profile_run: the measuring loop of `codl profile`. Linked with one
// generated model.cc (and the codl runtime), it runs the model through the
// C API exactly as codl_run does, with tracing on, and writes the runtime's
// own trace of every measured round alone, so the caller can take medians
// and spreads per operator, per chain and end to end.
//
//   profile_run --bundle DIR [--warmup N] [--rounds N] [--min-ms T] [--max-rounds M]
//               [--threads N] --out result.json
//
// --min-ms T: after --rounds rounds, keep measuring until the measured rounds'
// wall times add up to T ms, up to --max-rounds rounds in all (default 50).
// In one interleaved run on host-pocl, a sub-3 µs CPU operator timed 5 times
// landed within 10 % of the next launch's median 69 % of the time; timed 50
// times, 81 % (BENCHMARKS.md; how often varies with the VM's hour).
//
// result.json: {"format": "codl-profile-rounds", "version": 1, "warmup": W,
//               "rounds": [<trace of round 1>, ...], "wall_ms": [...]}
// Each trace is codl_trace_json of that round alone (codegen/runtime/README.md).
// Exit codes as codl_run: 0 ok, 2 bad arguments or bundle, 3 no device, 1 otherwise.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "codl.h"

namespace {

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

int fail(codl_status s, char* err) {
  std::fprintf(stderr, "profile_run: error: %s\n", err ? err : codl_status_string(s));
  codl_free(err);
  return exit_code(s);
}

int usage(const char* why) {
  std::fprintf(stderr, "profile_run: error: %s\nusage: profile_run --bundle DIR [--warmup N] [--rounds N] [--min-ms T] [--max-rounds M] [--threads N] --out result.json\n", why);
  return 2;
}

// The whole argument as a number, or NaN ("abc", "5x" and "" are not numbers).
double number(const char* v) {
  char* end = nullptr;
  double x = std::strtod(v, &end);
  return end != v && *end == '\0' ? x : NAN;
}

// The whole argument as a count, or -1 (which every count's check below rejects).
int count(const char* v) {
  double x = number(v);
  return x == std::floor(x) && x >= 0 && x <= 1e9 ? int(x) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bundle = ".", out;
  int warmup = 2, rounds = 5, max_rounds = 50, threads = 0;
  double min_ms = 0;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage((a + " needs a value").c_str());
    const char* v = argv[++i];
    if (a == "--bundle") bundle = v;
    else if (a == "--out") out = v;
    else if (a == "--warmup") warmup = count(v);
    else if (a == "--rounds") rounds = count(v);
    else if (a == "--min-ms") min_ms = number(v);
    else if (a == "--max-rounds") max_rounds = count(v);
    else if (a == "--threads") threads = count(v);
    else return usage(("unknown argument " + a).c_str());
  }
  if (out.empty() || rounds < 1 || warmup < 0 || threads < 0 || !(min_ms >= 0) || max_rounds < rounds)
    return usage("--out is required; --rounds ≥ 1, --warmup ≥ 0, --min-ms ≥ 0, --max-rounds ≥ --rounds");

  codl_options opt;
  codl_options_init(&opt);
  opt.num_threads = threads;
  opt.trace = 1;
  codl_model* model = nullptr;
  char* err = nullptr;
  codl_status st = codl_create(bundle.c_str(), &opt, &model, &err);
  if (st != CODL_OK) return fail(st, err);

  // Inputs: a fixed pattern of small values (no denormals, no data-dependent paths in these kernels).
  std::vector<std::vector<float>> in_data, out_data;
  std::vector<std::vector<int64_t>> in_shapes, out_shapes;
  std::vector<std::string> in_names, out_names;
  std::vector<codl_tensor> ins, outs;
  for (int pass = 0; pass < 2; pass++) {
    bool input = pass == 0;
    size_t n = input ? codl_num_inputs(model) : codl_num_outputs(model);
    auto& data = input ? in_data : out_data;
    auto& shapes = input ? in_shapes : out_shapes;
    auto& names = input ? in_names : out_names;
    data.resize(n);
    shapes.resize(n);
    names.resize(n);
    for (size_t i = 0; i < n; i++) {
      codl_tensor_info info;
      (input ? codl_input_info : codl_output_info)(model, i, &info);
      names[i] = info.name;
      shapes[i].assign(info.shape, info.shape + info.rank);
      int64_t count = 1;
      for (int64_t d : shapes[i]) count *= d;
      data[i].resize(size_t(count));
      for (int64_t k = 0; k < count; k++) data[i][size_t(k)] = input ? 0.25f * float(int((k * 7 + i) % 9) - 4) : 0.0f;
    }
    for (size_t i = 0; i < n; i++) {
      (input ? ins : outs).push_back({names[i].c_str(), CODL_FLOAT32, uint32_t(shapes[i].size()), shapes[i].data(), data[i].data()});
    }
  }

  std::vector<std::string> traces;
  std::vector<double> wall;
  double measured_ms = 0;
  for (int it = 0; it < warmup + max_rounds; it++) {
    int done = it - warmup;  // measured rounds so far
    if (done >= rounds && measured_ms >= min_ms) break;
    auto t0 = std::chrono::steady_clock::now();
    st = codl_run(model, ins.data(), ins.size(), outs.data(), outs.size(), &err);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (st != CODL_OK) {
      int code = fail(st, err);
      codl_destroy(model);
      return code;
    }
    if (it < warmup) continue;
    wall.push_back(ms);
    measured_ms += ms;
    char* json = nullptr;
    st = codl_trace_json(model, size_t(it), &json, &err);  // this round alone
    if (st != CODL_OK) {
      int code = fail(st, err);
      codl_destroy(model);
      return code;
    }
    traces.emplace_back(json);
    codl_free(json);
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << "{\"format\": \"codl-profile-rounds\", \"version\": 1, \"device\": \"";
  for (const char* p = codl_device_string(model); *p; p++) {
    if (*p == '"' || *p == '\\') f << '\\';
    if (static_cast<unsigned char>(*p) >= 0x20) f << *p;
  }
  f << "\", \"warmup\": " << warmup << ", \"min_ms\": " << min_ms << ", \"threads\": " << threads << ", \"wall_ms\": [";
  for (size_t i = 0; i < wall.size(); i++) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", wall[i]);
    f << (i ? ", " : "") << buf;
  }
  f << "],\n\"rounds\": [\n";
  for (size_t i = 0; i < traces.size(); i++) f << (i ? ",\n" : "") << traces[i];
  f << "]}\n";
  codl_destroy(model);
  if (!f) {
    std::fprintf(stderr, "profile_run: error: cannot write %s\n", out.c_str());
    return 2;
  }
  return 0;
}
