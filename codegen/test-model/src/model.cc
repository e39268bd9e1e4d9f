// The runtime's hand-written test model: the tables the emitter will generate,
// written out for a small graph that exercises every schedule shape.
// test/native/test-model.ts writes weights.bin and src/weights_table.inc
// (the weights ids, offsets, size and CRC) and computes the reference.
//
//   x [1,3,20,18] (GPU)          y [1,8,1,1] (CPU)
//   op0 conv 3x3 3→8 relu           H split 10/10 rows      → t1 [1,8,20,18]   chain c0
//   op1 conv 3x3 s2 8→12 relu       OC split 8/4 channels   → t2 [1,12,10,9]   chain c1 (output "t2")
//   op2 conv 3x3 12→8 relu     ┐    H split 5/5 rows,       → t3 [1,8,10,9]    chain c2
//   op3 conv 3x3 8→8           ┘    halo grows backwards    → t4 [1,8,10,9]
//   op4 maxpool 2x2 s2              H split 3/2 rows        → t5 [1,8,5,4]     chain c3
//   op5 conv 1x1 8→8                GPU only                → t6               chain c4
//   op6 add t6 + y (broadcast) ┐    CPU only (XNNPACK)      → t7 (CPU only)    chain c5
//   op7 silu (custom kernel)   ┘    CPU only (C++)          → silu (output)
//   op8 add silu + t5               GPU only, buffer output → out (output)     chain c6
//   op9 global average pool    ┐    CPU only; `out` comes over by a buffer copy → g [1,8,1,1]
//   op10 fully connected 8→10  │    CPU only                → f [1,10]          chain c7
//   op11 sigmoid               ┘    CPU only                → prob [1,10] (output)
//
// src/model_cpu.cc is the same graph with every operator on the CPU, for the
// CODL_CPU_ONLY build; src/model_b2.cc is this file with a batch of 2 (y
// stays [1,8,1,1] and broadcasts), the kernels getting -DN=2.
#include <cmath>

#include "model_desc.h"

#ifndef CODL_TEST_BATCH
#define CODL_TEST_BATCH 1
#endif
#define CODL_STR2(x) #x
#define CODL_STR(x) CODL_STR2(x)

namespace codl {
namespace {

#include "weights_table.inc"

constexpr int32_t kN = CODL_TEST_BATCH;
constexpr size_t kNs = size_t(kN);
const char kOptions[] = "-DN=" CODL_STR(CODL_TEST_BATCH);

enum TensorId : int32_t { X, Y, T1, T2, T3, T4, T5, T6, T7, SILU, OUT, G, F, PROB };

constexpr GpuStorage IMG = GpuStorage::kImage;
constexpr GpuStorage BUF = GpuStorage::kBuffer;
constexpr GpuStorage NOGPU = GpuStorage::kNone;
constexpr DType F32 = DType::kF32;

const TensorDesc kTensors[] = {
    {"x", 4, kN, 3, 20, 18, IMG, F32, true, Proc::kGpu},
    {"y", 4, 1, 8, 1, 1, NOGPU, F32, true, Proc::kCpu},
    {"t1", 4, kN, 8, 20, 18, IMG, F32, true, Proc::kGpu},
    {"t2", 4, kN, 12, 10, 9, IMG, F32, true, Proc::kGpu},
    {"t3", 4, kN, 8, 10, 9, IMG, F32, true, Proc::kGpu},
    {"t4", 4, kN, 8, 10, 9, IMG, F32, true, Proc::kGpu},
    {"t5", 4, kN, 8, 5, 4, IMG, F32, true, Proc::kGpu},
    {"t6", 4, kN, 8, 5, 4, IMG, F32, true, Proc::kGpu},
    {"t7", 4, kN, 8, 5, 4, NOGPU, F32, true, Proc::kCpu},
    {"silu", 4, kN, 8, 5, 4, IMG, F32, true, Proc::kCpu},
    {"out", 4, kN, 8, 5, 4, BUF, F32, true, Proc::kGpu},
    {"g", 4, kN, 8, 1, 1, NOGPU, F32, true, Proc::kCpu},
    {"f", 2, kN, 10, 1, 1, NOGPU, F32, true, Proc::kCpu},
    {"prob", 2, kN, 10, 1, 1, NOGPU, F32, true, Proc::kCpu},
};
const int32_t kInputs[] = {X, Y};
const int32_t kOutputs[] = {T2, SILU, OUT, PROB};

KernelArg T(int32_t tensor) { return {ArgKind::kTensor, tensor, 0, 0.0f}; }
KernelArg Wt(int32_t weights) { return {ArgKind::kWeights, weights, 0, 0.0f}; }

// ---- GPU kernels: global = (OW, output channel blocks, N * rows) ----
const KernelArg kArgs0[] = {T(X), Wt(W_op0_gpu_w), Wt(W_op0_gpu_b), T(T1)};
const KernelArg kArgs1[] = {T(T1), Wt(W_op1_gpu_w), Wt(W_op1_gpu_b), T(T2)};
const KernelArg kArgs2[] = {T(T2), Wt(W_op2_gpu_w), Wt(W_op2_gpu_b), T(T3)};
const KernelArg kArgs3[] = {T(T3), Wt(W_op3_gpu_w), Wt(W_op3_gpu_b), T(T4)};
const KernelArg kArgs4[] = {T(T4), T(T5)};
const KernelArg kArgs5[] = {T(T5), Wt(W_op5_gpu_w), Wt(W_op5_gpu_b), T(T6)};
const KernelArg kArgs8[] = {T(SILU), T(T5), T(OUT)};
const GpuKernelDesc kGpu0[] = {{"op0_conv.cl", "conv2d", kOptions, 3, {18, 2, kNs * 10}, {0, 0, 0}, kArgs0, 4}};
const GpuKernelDesc kGpu1[] = {{"op1_conv.cl", "conv2d", kOptions, 3, {9, 2, kNs * 10}, {0, 0, 0}, kArgs1, 4}};
const GpuKernelDesc kGpu2[] = {{"op2_conv.cl", "conv2d", kOptions, 3, {9, 2, kNs * 6}, {0, 0, 0}, kArgs2, 4}};
const GpuKernelDesc kGpu3[] = {{"op3_conv.cl", "conv2d", kOptions, 3, {9, 2, kNs * 5}, {0, 0, 0}, kArgs3, 4}};
const GpuKernelDesc kGpu4[] = {{"op4_pool.cl", "maxpool", kOptions, 3, {4, 2, kNs * 3}, {0, 0, 0}, kArgs4, 2}};
const GpuKernelDesc kGpu5[] = {{"op5_conv.cl", "conv2d", kOptions, 3, {4, 2, kNs * 5}, {0, 0, 0}, kArgs5, 4}};
const GpuKernelDesc kGpu8[] = {{"op8_add.cl", "add", kOptions, 3, {4, 2, kNs * 5}, {0, 0, 0}, kArgs8, 3}};

// ---- CPU halves: views of the NHWC buffers {tensor, row0, rows, ch0, chs} ----
const CpuView kIn0[] = {{X, 9, 11, 0, 0}};    // output rows [10, 20) need input rows [9, 20)
const CpuView kIn1[] = {{T1, 0, 0, 0, 0}};    // OC split: the whole input
const CpuView kIn2[] = {{T2, 3, 7, 0, 0}};    // t3 rows [4, 10) need t2 rows [3, 10)
const CpuView kIn3[] = {{T3, 4, 6, 0, 0}};    // t4 rows [5, 10) need t3 rows [4, 10)
const CpuView kIn4[] = {{T4, 6, 4, 0, 0}};    // t5 rows [3, 5) need t4 rows [6, 10)
const CpuView kIn6[] = {{T6, 0, 0, 0, 0}, {Y, 0, 0, 0, 0}};
const CpuView kIn7[] = {{T7, 0, 0, 0, 0}};
const CpuView kIn9[] = {{OUT, 0, 0, 0, 0}};
const CpuView kIn10[] = {{G, 0, 0, 0, 0}};
const CpuView kIn11[] = {{F, 0, 0, 0, 0}};

constexpr float kInf = INFINITY;

CpuOpDesc conv_cpu(const CpuView* in, CpuView out, uint32_t pt, uint32_t pb, uint32_t k, uint32_t s, uint32_t p, uint32_t ic,
                   uint32_t oc, int32_t w, int32_t b, bool relu) {
  CpuOpDesc d{};
  d.kind = CpuKind::kConv2d;
  d.inputs = in;
  d.num_inputs = 1;
  d.output = out;
  d.pad_top = pt;
  d.pad_bottom = pb;
  d.pad_left = d.pad_right = p;
  d.kernel_h = d.kernel_w = k;
  d.stride_h = d.stride_w = s;
  d.dilation_h = d.dilation_w = 1;
  d.groups = 1;
  d.group_ic = ic;
  d.group_oc = oc;
  d.weights = w;
  d.bias = b;
  d.out_min = relu ? 0.0f : -kInf;
  d.out_max = kInf;
  return d;
}

CpuOpDesc pool_cpu() {
  CpuOpDesc d{};
  d.kind = CpuKind::kMaxPool2d;
  d.inputs = kIn4;
  d.num_inputs = 1;
  d.output = {T5, 3, 2, 0, 0};
  d.kernel_h = d.kernel_w = 2;
  d.stride_h = d.stride_w = 2;
  d.dilation_h = d.dilation_w = 1;
  d.weights = d.bias = -1;
  d.out_min = -kInf;
  d.out_max = kInf;
  return d;
}

CpuOpDesc add_cpu() {
  CpuOpDesc d{};
  d.kind = CpuKind::kAdd;
  d.inputs = kIn6;
  d.num_inputs = 2;
  d.output = {T7, 0, 0, 0, 0};
  d.weights = d.bias = -1;
  d.out_min = -kInf;
  d.out_max = kInf;
  return d;
}

// A CPU kernel XNNPACK lacks (x · sigmoid(x)), as the emitter writes them.
void silu_kernel(const CpuCall& call) {
  const TensorDesc& t = call.model->tensors[call.op->cpu.output.tensor];
  const size_t count = size_t(t.n) * t.h * t.w * t.c;
  const float* in = call.inputs[0];
  for (size_t i = 0; i < count; i++) call.output[i] = in[i] / (1.0f + std::exp(-in[i]));
}

CpuOpDesc silu_cpu() {
  CpuOpDesc d{};
  d.kind = CpuKind::kCustom;
  d.inputs = kIn7;
  d.num_inputs = 1;
  d.output = {SILU, 0, 0, 0, 0};
  d.weights = d.bias = -1;
  d.custom = silu_kernel;
  return d;
}

CpuOpDesc unary_cpu(CpuKind kind, const CpuView* in, int32_t out, int32_t w, int32_t b) {
  CpuOpDesc d{};
  d.kind = kind;
  d.inputs = in;
  d.num_inputs = 1;
  d.output = {out, 0, 0, 0, 0};
  d.weights = w;
  d.bias = b;
  d.out_min = -kInf;
  d.out_max = kInf;
  return d;
}

const int32_t kOpIn0[] = {X}, kOpOut0[] = {T1};
const int32_t kOpIn1[] = {T1}, kOpOut1[] = {T2};
const int32_t kOpIn2[] = {T2}, kOpOut2[] = {T3};
const int32_t kOpIn3[] = {T3}, kOpOut3[] = {T4};
const int32_t kOpIn4[] = {T4}, kOpOut4[] = {T5};
const int32_t kOpIn5[] = {T5}, kOpOut5[] = {T6};
const int32_t kOpIn6[] = {T6, Y}, kOpOut6[] = {T7};
const int32_t kOpIn7[] = {T7}, kOpOut7[] = {SILU};
const int32_t kOpIn8[] = {SILU, T5}, kOpOut8[] = {OUT};
const int32_t kOpIn9[] = {OUT}, kOpOut9[] = {G};
const int32_t kOpIn10[] = {G}, kOpOut10[] = {F};
const int32_t kOpIn11[] = {F}, kOpOut11[] = {PROB};

constexpr Placement SPLIT = Placement::kSplit;
constexpr SplitDim H = SplitDim::kH;
constexpr SplitDim OC = SplitDim::kOC;
constexpr SplitDim NONE = SplitDim::kNone;

const OpDesc kOps[] = {
    {"op0", "conv2d", SPLIT, H, {0, 10}, {10, 20}, {0, 11}, {9, 20}, kOpIn0, 1, kOpOut0, 1, kGpu0, 1,
     conv_cpu(kIn0, {T1, 10, 10, 0, 0}, 0, 1, 3, 1, 1, 3, 8, W_op0_cpu_w, W_op0_cpu_b, true)},
    {"op1", "conv2d", SPLIT, OC, {0, 8}, {8, 12}, {0, 20}, {0, 20}, kOpIn1, 1, kOpOut1, 1, kGpu1, 1,
     conv_cpu(kIn1, {T2, 0, 0, 8, 4}, 1, 1, 3, 2, 1, 8, 4, W_op1_cpu_w, W_op1_cpu_b, true)},
    {"op2", "conv2d", SPLIT, H, {0, 6}, {4, 10}, {0, 7}, {3, 10}, kOpIn2, 1, kOpOut2, 1, kGpu2, 1,
     conv_cpu(kIn2, {T3, 4, 6, 0, 0}, 0, 1, 3, 1, 1, 12, 8, W_op2_cpu_w, W_op2_cpu_b, true)},
    {"op3", "conv2d", SPLIT, H, {0, 5}, {5, 10}, {0, 6}, {4, 10}, kOpIn3, 1, kOpOut3, 1, kGpu3, 1,
     conv_cpu(kIn3, {T4, 5, 5, 0, 0}, 0, 1, 3, 1, 1, 8, 8, W_op3_cpu_w, W_op3_cpu_b, false)},
    {"op4", "maxpool", SPLIT, H, {0, 3}, {3, 5}, {0, 6}, {6, 10}, kOpIn4, 1, kOpOut4, 1, kGpu4, 1, pool_cpu()},
    {"op5", "conv2d", Placement::kGpu, NONE, {0, 5}, {0, 0}, {0, 5}, {0, 0}, kOpIn5, 1, kOpOut5, 1, kGpu5, 1, CpuOpDesc{}},
    {"op6", "add", Placement::kCpu, NONE, {0, 0}, {0, 5}, {0, 0}, {0, 5}, kOpIn6, 2, kOpOut6, 1, nullptr, 0, add_cpu()},
    {"op7", "silu", Placement::kCpu, NONE, {0, 0}, {0, 5}, {0, 0}, {0, 5}, kOpIn7, 1, kOpOut7, 1, nullptr, 0, silu_cpu()},
    {"op8", "add", Placement::kGpu, NONE, {0, 5}, {0, 0}, {0, 5}, {0, 0}, kOpIn8, 2, kOpOut8, 1, kGpu8, 1, CpuOpDesc{}},
    {"op9", "global_avg_pool", Placement::kCpu, NONE, {0, 0}, {0, 1}, {0, 0}, {0, 5}, kOpIn9, 1, kOpOut9, 1, nullptr, 0,
     unary_cpu(CpuKind::kGlobalAvgPool, kIn9, G, -1, -1)},
    {"op10", "fc", Placement::kCpu, NONE, {0, 0}, {0, 1}, {0, 0}, {0, 1}, kOpIn10, 1, kOpOut10, 1, nullptr, 0,
     unary_cpu(CpuKind::kFullyConnected, kIn10, F, W_op10_cpu_w, W_op10_cpu_b)},
    {"op11", "sigmoid", Placement::kCpu, NONE, {0, 0}, {0, 1}, {0, 0}, {0, 1}, kOpIn11, 1, kOpOut11, 1, nullptr, 0,
     unary_cpu(CpuKind::kSigmoid, kIn11, PROB, -1, -1)},
};

// ---- chains: {tensor, towards, dim, range} ----
const TransformDesc kC0In[] = {{X, Proc::kCpu, H, {9, 20}}};
const TransformDesc kC0Out[] = {{T1, Proc::kGpu, H, {10, 20}}};
const TransformDesc kC1In[] = {{T1, Proc::kCpu, H, {0, 10}}};  // the CPU already has rows [10, 20)
const TransformDesc kC1Out[] = {{T2, Proc::kGpu, OC, {8, 12}}};
const TransformDesc kC2In[] = {{T2, Proc::kCpu, H, {3, 10}}};
const TransformDesc kC2Out[] = {{T4, Proc::kGpu, H, {5, 10}}};
const TransformDesc kC3Out[] = {{T5, Proc::kGpu, H, {3, 5}}};  // the CPU already has t4 rows [6, 10)
const TransformDesc kC5In[] = {{T6, Proc::kCpu, NONE, {0, 0}}};
const TransformDesc kC5Out[] = {{SILU, Proc::kGpu, NONE, {0, 0}}};
const TransformDesc kC7In[] = {{OUT, Proc::kCpu, NONE, {0, 0}}};  // GPU buffer → CPU buffer: a rectangle copy

const ChainDesc kChains[] = {
    {"c0", 0, 1, H, 0.5f, kC0In, 1, kC0Out, 1},
    {"c1", 1, 1, OC, 0.67f, kC1In, 1, kC1Out, 1},
    {"c2", 2, 2, H, 0.5f, kC2In, 1, kC2Out, 1},
    {"c3", 4, 1, H, 0.6f, nullptr, 0, kC3Out, 1},
    {"c4", 5, 1, NONE, 1.0f, nullptr, 0, nullptr, 0},
    {"c5", 6, 2, NONE, 0.0f, kC5In, 1, kC5Out, 1},
    {"c6", 8, 1, NONE, 1.0f, nullptr, 0, nullptr, 0},
    {"c7", 9, 3, NONE, 0.0f, kC7In, 1, nullptr, 0},
};

const ModelDesc kModel = {
    kModelDescVersion,
    CODL_TEST_BATCH == 1 ? "test-model" : "test-model-b2",
    kTensors, sizeof kTensors / sizeof kTensors[0],
    kInputs, sizeof kInputs / sizeof kInputs[0],
    kOutputs, sizeof kOutputs / sizeof kOutputs[0],
    kWeights, sizeof kWeights / sizeof kWeights[0],
    kWeightsBytes,
    kWeightsCrc32,
    kOps, sizeof kOps / sizeof kOps[0],
    kChains, sizeof kChains / sizeof kChains[0],
    2,
    nullptr, 0,  // no rebalancing variants
};

}  // namespace

const ModelDesc& bundled_model() { return kModel; }

}  // namespace codl
