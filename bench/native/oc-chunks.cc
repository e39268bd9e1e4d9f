// oc-chunks.cc: a convolution with few output pixels and many weights (YOLOv2's 13×13
// layers with 1024 output channels, VGG-16's 14×14 ones) on one XNNPACK thread, whole
// and as consecutive output-channel chunks, each its own XNNPACK operator writing its
// channels of the same output (output pixel stride = all channels), as the CPU part of
// an OC split does. XNNPACK's indirect GEMM walks output-pixel tiles outside output-
// channel tiles, so a layer whose weights do not stay in cache reads them once per
// pixel tile; a chunk's weights can stay. Ways alternate order every repetition; medians
// are reported and every chunked output is compared with the whole one.
//
//   g++ -O3 -std=c++17 bench/native/oc-chunks.cc -o build/oc-chunks -lXNNPACK -lpthreadpool
//   build/oc-chunks [repetitions] [threads]
#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "bench-util.h"

namespace {

struct Shape {
  const char* name;
  int hw, cin, cout, k;
};

const Shape kShapes[] = {
    {"yolov2 13x13 3x3 1024->1024", 13, 1024, 1024, 3},
    {"yolov2 13x13 3x3 1280->1024", 13, 1280, 1024, 3},
    {"yolov2 13x13 3x3 512->1024", 13, 512, 1024, 3},
    {"yolov2 26x26 3x3 256->512", 26, 256, 512, 3},
    {"vgg16 14x14 3x3 512->512", 14, 512, 512, 3},
    {"vgg16 28x28 3x3 512->512", 28, 512, 512, 3},
};
const int kChunks[] = {16, 32, 64, 128, 256};

// One convolution over output channels [c0, c1) of an OHWI weight tensor, writing those channels of a
// [hw, hw, cout] output.
xnn_operator_t make(const Shape& s, const std::vector<float>& w, const std::vector<float>& b, int c0, int c1) {
  const int pad = s.k / 2;
  xnn_operator_t op = nullptr;
  const size_t per = size_t(s.k) * s.k * s.cin;
  need(xnn_create_convolution2d_nhwc_f32(pad, pad, pad, pad, s.k, s.k, 1, 1, 1, 1, 1, s.cin, c1 - c0, s.cin, s.cout, w.data() + c0 * per,
                                         b.data() + c0, -INFINITY, INFINITY, 0, &op),
       "create convolution");
  return op;
}

pthreadpool_t pool = nullptr;  // one thread when null

void run(const std::vector<xnn_operator_t>& ops, const Shape& s, const float* in, float* out, int chunk) {
  for (size_t i = 0; i < ops.size(); i++) {
    need(xnn_setup_convolution2d_nhwc_f32(ops[i], 1, s.hw, s.hw, in, out + i * chunk, pool), "setup");
    need(xnn_run_operator(ops[i], pool), "run");
  }
}

void bench(const Shape& s, int reps) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  const size_t per = size_t(s.k) * s.k * s.cin;
  std::vector<float> in(size_t(s.hw) * s.hw * s.cin), w(s.cout * per), b(s.cout);
  for (float& v : in) v = u(rng);
  for (float& v : w) v = u(rng) * 0.05f;
  for (float& v : b) v = u(rng);
  const size_t nout = size_t(s.hw) * s.hw * s.cout;
  std::vector<float> ref(nout), out(nout);

  // way 0: whole; way 1 + i: chunks of kChunks[i] output channels
  const size_t nways = 1 + sizeof(kChunks) / sizeof(kChunks[0]);
  std::vector<std::vector<xnn_operator_t>> ops(nways);
  std::vector<int> chunk(nways, s.cout);
  ops[0].push_back(make(s, w, b, 0, s.cout));
  for (size_t i = 1; i < nways; i++) {
    chunk[i] = std::min(kChunks[i - 1], s.cout);
    for (int c0 = 0; c0 < s.cout; c0 += chunk[i]) ops[i].push_back(make(s, w, b, c0, std::min(c0 + chunk[i], s.cout)));
  }
  run(ops[0], s, in.data(), ref.data(), chunk[0]);
  std::vector<std::vector<double>> t(nways);
  double max_diff = 0;
  for (int r = 0; r < reps; r++) {
    for (size_t k = 0; k < nways; k++) {
      const size_t way = r % 2 == 0 ? k : nways - 1 - k;
      const double t0 = now_ms();
      run(ops[way], s, in.data(), out.data(), chunk[way]);
      t[way].push_back(now_ms() - t0);
      for (size_t i = 0; i < nout; i++) max_diff = std::max(max_diff, double(std::fabs(out[i] - ref[i])));
    }
  }
  const double gflop = 2.0 * s.hw * s.hw * s.cout * per * 1e-9;
  std::printf("%s: %.3f GFLOP, weights %.1f MB\n", s.name, gflop, s.cout * per * 4e-6);
  const double whole = median(t[0]);
  std::printf("  whole                  %8.3f ms  %6.1f GFLOP/s\n", whole, gflop / whole * 1e3);
  for (size_t i = 1; i < nways; i++) {
    const double m = median(t[i]);
    std::printf("  chunks of %4d channels %8.3f ms  %6.1f GFLOP/s  x%.2f (weights a chunk %.2f MB)\n", chunk[i], m, gflop / m * 1e3, whole / m,
                chunk[i] * per * 4e-6);
  }
  std::printf("  max |chunked - whole| %.3g\n", max_diff);
  for (auto& v : ops)
    for (xnn_operator_t op : v) xnn_delete_operator(op);
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage = "oc-chunks [repetitions] [threads]";
  if (argc > 3) {
    std::fprintf(stderr, "usage: %s\n", usage);
    return 2;
  }
  const int reps = count_arg(argc, argv, 1, 7, usage);
  const int threads = count_arg(argc, argv, 2, 1, usage);
  need(xnn_initialize(nullptr), "initialize");
  if (threads > 1) pool = pthreadpool_create(size_t(threads));
  std::printf("%d thread(s), %d repetitions\n", threads, reps);
  for (const Shape& s : kShapes) bench(s, reps);
  if (pool) pthreadpool_destroy(pool);
  return 0;
}
