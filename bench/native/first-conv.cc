// first-conv.cc: a network's first convolution (few input channels) on one
// XNNPACK thread, two ways side by side: XNNPACK's convolution (indirect GEMM,
// a GEMM step of only Cin values per kernel tap), and im2col into a band of
// output rows followed by XNNPACK's fully connected operator (one GEMM of
// depth KH·KW·Cin). Methods alternate order every repetition; medians are
// reported, and the im2col result is compared with the convolution's.
// It also times a LeakyRelu pass over the convolution's output written as the
// runtime's post pass wrote it until the fifteenth session (a select per element)
// and branch-free, as it writes it now: the post pass, not the convolution, was
// where the runtime's first conv lost its time.
//
//   g++ -O3 -std=c++17 bench/native/first-conv.cc -o build/first-conv -lXNNPACK -lpthreadpool
//   build/first-conv [repetitions]
#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "bench-util.h"

namespace {

struct Shape {
  const char* name;
  int h, w, cin, cout, k, stride, pad;
};

const Shape kShapes[] = {
    {"yolov2 3x3/1 3->32 416", 416, 416, 3, 32, 3, 1, 1},
    {"resnet50 7x7/2 3->64 224", 224, 224, 3, 64, 7, 2, 3},
    {"fst 9x9/1 3->32 256", 256, 256, 3, 32, 9, 1, 4},
    {"mobilenetv2 3x3/2 3->32 224", 224, 224, 3, 32, 3, 2, 1},
};
const int kBands[] = {4, 8, 16, 32, 64};

// A LeakyRelu as cpu_ops.cc's post_row wrote it: GCC keeps the select as a branch, which
// mispredicts on outputs of mixed sign.
__attribute__((noinline)) void leaky_select(float* v, size_t n, float alpha) {
  for (size_t i = 0; i < n; i++) v[i] = v[i] < 0.f ? alpha * v[i] : v[i];
}

// The same values without a branch (exact: one of the two terms is zero), which vectorises.
__attribute__((noinline)) void leaky_minmax(float* v, size_t n, float alpha) {
  for (size_t i = 0; i < n; i++) v[i] = std::max(v[i], 0.f) + alpha * std::min(v[i], 0.f);
}

// Output rows [oy0, oy0 + rows) as a [rows·OW, K·K·Cin] matrix, zeros where a tap falls in the padding.
void im2col(const Shape& s, int ow, const float* in, int oy0, int rows, float* col) {
  const int taps = s.k * s.cin;
  for (int oy = oy0; oy < oy0 + rows; oy++) {
    for (int ox = 0; ox < ow; ox++) {
      float* dst = col + (size_t(oy - oy0) * ow + ox) * s.k * taps;
      const int ix0 = ox * s.stride - s.pad;
      for (int ky = 0; ky < s.k; ky++, dst += taps) {
        const int iy = oy * s.stride - s.pad + ky;
        if (iy < 0 || iy >= s.h) {
          std::memset(dst, 0, sizeof(float) * taps);
          continue;
        }
        const float* src = in + (size_t(iy) * s.w) * s.cin;
        if (ix0 >= 0 && ix0 + s.k <= s.w) {
          std::memcpy(dst, src + size_t(ix0) * s.cin, sizeof(float) * taps);
          continue;
        }
        for (int kx = 0; kx < s.k; kx++) {
          const int ix = ix0 + kx;
          if (ix < 0 || ix >= s.w) std::memset(dst + kx * s.cin, 0, sizeof(float) * s.cin);
          else std::memcpy(dst + kx * s.cin, src + size_t(ix) * s.cin, sizeof(float) * s.cin);
        }
      }
    }
  }
}

void bench(const Shape& s, int reps) {
  const int oh = (s.h + 2 * s.pad - s.k) / s.stride + 1, ow = (s.w + 2 * s.pad - s.k) / s.stride + 1;
  const size_t kdim = size_t(s.k) * s.k * s.cin;
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> in(size_t(s.h) * s.w * s.cin), weights(s.cout * kdim), bias(s.cout);
  for (float& v : in) v = u(rng);
  for (float& v : weights) v = u(rng) * 0.2f;
  for (float& v : bias) v = u(rng);
  std::vector<float> out_conv(size_t(oh) * ow * s.cout), out_fc(out_conv.size());

  xnn_operator_t conv = nullptr;
  need(xnn_create_convolution2d_nhwc_f32(s.pad, s.pad, s.pad, s.pad, s.k, s.k, s.stride, s.stride, 1, 1, 1, s.cin, s.cout, s.cin, s.cout,
                                         weights.data(), bias.data(), -INFINITY, INFINITY, 0, &conv),
       "create convolution");
  xnn_operator_t fc = nullptr;
  need(xnn_create_fully_connected_nc_f32(kdim, s.cout, kdim, s.cout, weights.data(), bias.data(), -INFINITY, INFINITY, 0, &fc),
       "create fully connected");
  std::vector<std::vector<float>> cols;
  for (int band : kBands) cols.emplace_back(size_t(band) * ow * kdim);

  auto run_conv = [&] {
    need(xnn_setup_convolution2d_nhwc_f32(conv, 1, s.h, s.w, in.data(), out_conv.data(), nullptr), "setup convolution");
    need(xnn_run_operator(conv, nullptr), "run convolution");
  };
  auto run_fc = [&](size_t b) {
    const int band = kBands[b];
    for (int oy = 0; oy < oh; oy += band) {
      const int rows = std::min(band, oh - oy);
      im2col(s, ow, in.data(), oy, rows, cols[b].data());
      need(xnn_setup_fully_connected_nc_f32(fc, size_t(rows) * ow, cols[b].data(), out_fc.data() + size_t(oy) * ow * s.cout, nullptr),
           "setup fully connected");
      need(xnn_run_operator(fc, nullptr), "run fully connected");
    }
  };

  const size_t nb = sizeof(kBands) / sizeof(kBands[0]);
  std::vector<double> t_conv;
  std::vector<std::vector<double>> t_fc(nb);
  run_conv();
  for (size_t b = 0; b < nb; b++) run_fc(b);
  for (int r = 0; r < reps; r++) {
    // Alternate: even repetitions run the convolution first, odd ones last.
    if (r % 2 == 0) {
      double t0 = now_ms();
      run_conv();
      t_conv.push_back(now_ms() - t0);
    }
    for (size_t i = 0; i < nb; i++) {
      size_t b = r % 2 == 0 ? i : nb - 1 - i;
      double t0 = now_ms();
      run_fc(b);
      t_fc[b].push_back(now_ms() - t0);
    }
    if (r % 2 == 1) {
      double t0 = now_ms();
      run_conv();
      t_conv.push_back(now_ms() - t0);
    }
  }

  const double gflop = 2.0 * oh * ow * s.cout * kdim * 1e-9;
  std::printf("%s: out %dx%dx%d, K=%zu, %.3f GFLOP\n", s.name, oh, ow, s.cout, kdim, gflop);
  const double tc = median(t_conv);
  std::printf("  convolution (igemm)      %8.3f ms  %6.1f GFLOP/s\n", tc, gflop / tc * 1e3);
  for (size_t b = 0; b < nb; b++) {
    const double tf = median(t_fc[b]);
    std::printf("  im2col+FC band %3d rows  %8.3f ms  %6.1f GFLOP/s  x%.2f (scratch %zu KiB)\n", kBands[b], tf, gflop / tf * 1e3, tc / tf,
                cols[b].size() * sizeof(float) / 1024);
  }
  double max_abs = 0, max_ref = 0;
  for (size_t i = 0; i < out_conv.size(); i++) {
    max_abs = std::max(max_abs, double(std::fabs(out_conv[i] - out_fc[i])));
    max_ref = std::max(max_ref, double(std::fabs(out_conv[i])));
  }
  std::printf("  numerics: max |diff| %.3g, relative to max |out| %.3g: %.3g\n", max_abs, max_ref, max_abs / max_ref);

  // The post pass over the same output, both forms, alternating; out_fc is the scratch copy.
  std::vector<double> t_post[2];
  void (*const post[2])(float*, size_t, float) = {leaky_select, leaky_minmax};
  std::vector<float> ref_post[2];
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < 2; i++) {
      const int f = r % 2 == 0 ? i : 1 - i;
      out_fc = out_conv;
      double t0 = now_ms();
      post[f](out_fc.data(), out_fc.size(), 0.1f);
      t_post[f].push_back(now_ms() - t0);
      if (r == 0) ref_post[f] = out_fc;
    }
  }
  std::printf("  LeakyRelu post pass: select %.3f ms, branch-free %.3f ms, outputs %s\n", median(t_post[0]), median(t_post[1]),
              ref_post[0] == ref_post[1] ? "identical" : "DIFFER");
  xnn_delete_operator(conv);
  xnn_delete_operator(fc);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2) {
    std::fprintf(stderr, "usage: first-conv [repetitions]\n");
    return 2;
  }
  const int reps = count_arg(argc, argv, 1, 9, "first-conv [repetitions]");
  need(xnn_initialize(nullptr), "initialize");
  for (const Shape& s : kShapes) bench(s, reps);
  return 0;
}
