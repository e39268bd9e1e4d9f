// The test model's graph (drawn in src/model.cc) with every operator on the
// CPU, as `codl compile --strategy cpu` emits it: no GPU storage, no
// transforms, one chain per operator. Built with -DCODL_CPU_ONLY=ON.
#include <cmath>

#include "model_desc.h"

namespace codl {
namespace {

#include "weights_table.inc"

enum TensorId : int32_t { X, Y, T1, T2, T3, T4, T5, T6, T7, SILU, OUT, G, F, PROB };

constexpr GpuStorage NOGPU = GpuStorage::kNone;
constexpr DType F32 = DType::kF32;
constexpr Proc CPU = Proc::kCpu;

const TensorDesc kTensors[] = {
    {"x", 4, 1, 3, 20, 18, NOGPU, F32, true, CPU},  {"y", 4, 1, 8, 1, 1, NOGPU, F32, true, CPU},
    {"t1", 4, 1, 8, 20, 18, NOGPU, F32, true, CPU}, {"t2", 4, 1, 12, 10, 9, NOGPU, F32, true, CPU},
    {"t3", 4, 1, 8, 10, 9, NOGPU, F32, true, CPU},  {"t4", 4, 1, 8, 10, 9, NOGPU, F32, true, CPU},
    {"t5", 4, 1, 8, 5, 4, NOGPU, F32, true, CPU},   {"t6", 4, 1, 8, 5, 4, NOGPU, F32, true, CPU},
    {"t7", 4, 1, 8, 5, 4, NOGPU, F32, true, CPU},   {"silu", 4, 1, 8, 5, 4, NOGPU, F32, true, CPU},
    {"out", 4, 1, 8, 5, 4, NOGPU, F32, true, CPU},  {"g", 4, 1, 8, 1, 1, NOGPU, F32, true, CPU},
    {"f", 2, 1, 10, 1, 1, NOGPU, F32, true, CPU},   {"prob", 2, 1, 10, 1, 1, NOGPU, F32, true, CPU},
};
const int32_t kInputs[] = {X, Y};
const int32_t kOutputs[] = {T2, SILU, OUT, PROB};

constexpr float kInf = INFINITY;

// Whole-tensor views: {tensor, row0, rows, ch0, chs} with 0 = all.
const CpuView kV[] = {{X, 0, 0, 0, 0},  {Y, 0, 0, 0, 0},  {T1, 0, 0, 0, 0},   {T2, 0, 0, 0, 0},  {T3, 0, 0, 0, 0},
                      {T4, 0, 0, 0, 0}, {T5, 0, 0, 0, 0}, {T6, 0, 0, 0, 0},   {T7, 0, 0, 0, 0},  {SILU, 0, 0, 0, 0},
                      {OUT, 0, 0, 0, 0}, {G, 0, 0, 0, 0}, {F, 0, 0, 0, 0},    {PROB, 0, 0, 0, 0}};
const CpuView kAdd6[] = {{T6, 0, 0, 0, 0}, {Y, 0, 0, 0, 0}};
const CpuView kAdd8[] = {{SILU, 0, 0, 0, 0}, {T5, 0, 0, 0, 0}};

CpuOpDesc base(CpuKind kind, const CpuView* in, uint32_t n_in, int32_t out) {
  CpuOpDesc d{};
  d.kind = kind;
  d.inputs = in;
  d.num_inputs = n_in;
  d.output = {out, 0, 0, 0, 0};
  d.weights = d.bias = -1;
  d.out_min = -kInf;
  d.out_max = kInf;
  return d;
}

CpuOpDesc conv(int32_t in, int32_t out, uint32_t k, uint32_t s, uint32_t p, uint32_t ic, uint32_t oc, int32_t w, int32_t b, bool relu) {
  CpuOpDesc d = base(CpuKind::kConv2d, &kV[in], 1, out);
  d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = p;
  d.kernel_h = d.kernel_w = k;
  d.stride_h = d.stride_w = s;
  d.dilation_h = d.dilation_w = 1;
  d.groups = 1;
  d.group_ic = ic;
  d.group_oc = oc;
  d.weights = w;
  d.bias = b;
  if (relu) d.out_min = 0.0f;
  return d;
}

CpuOpDesc maxpool() {
  CpuOpDesc d = base(CpuKind::kMaxPool2d, &kV[T4], 1, T5);
  d.kernel_h = d.kernel_w = d.stride_h = d.stride_w = 2;
  d.dilation_h = d.dilation_w = 1;
  return d;
}

void silu_kernel(const CpuCall& call) {
  const TensorDesc& t = call.model->tensors[call.op->cpu.output.tensor];
  const size_t count = size_t(t.n) * t.h * t.w * t.c;
  const float* in = call.inputs[0];
  for (size_t i = 0; i < count; i++) call.output[i] = in[i] / (1.0f + std::exp(-in[i]));
}

CpuOpDesc silu() {
  CpuOpDesc d = base(CpuKind::kCustom, &kV[T7], 1, SILU);
  d.custom = silu_kernel;
  return d;
}

CpuOpDesc fc() {
  CpuOpDesc d = base(CpuKind::kFullyConnected, &kV[G], 1, F);
  d.weights = W_op10_cpu_w;
  d.bias = W_op10_cpu_b;
  return d;
}

// Operator inputs/outputs, for liveness: {in..., out} per operator.
const int32_t kIo[][3] = {{X, T1, -1}, {T1, T2, -1}, {T2, T3, -1}, {T3, T4, -1}, {T4, T5, -1},   {T5, T6, -1},
                          {T6, Y, T7}, {T7, SILU, -1}, {SILU, T5, OUT}, {OUT, G, -1}, {G, F, -1}, {F, PROB, -1}};

constexpr Placement P = Placement::kCpu;
constexpr SplitDim NONE = SplitDim::kNone;
#define CPU_OP(i, id, kind, nin, cpu) \
  {id, kind, P, NONE, {0, 0}, {0, 0}, {0, 0}, {0, 0}, kIo[i], nin, &kIo[i][nin], 1, nullptr, 0, cpu}

const OpDesc kOps[] = {
    CPU_OP(0, "op0", "conv2d", 1, conv(X, T1, 3, 1, 1, 3, 8, W_op0_cpu_w, W_op0_cpu_b, true)),
    CPU_OP(1, "op1", "conv2d", 1, conv(T1, T2, 3, 2, 1, 8, 12, W_op1_cpu_full_w, W_op1_cpu_full_b, true)),
    CPU_OP(2, "op2", "conv2d", 1, conv(T2, T3, 3, 1, 1, 12, 8, W_op2_cpu_w, W_op2_cpu_b, true)),
    CPU_OP(3, "op3", "conv2d", 1, conv(T3, T4, 3, 1, 1, 8, 8, W_op3_cpu_w, W_op3_cpu_b, false)),
    CPU_OP(4, "op4", "maxpool", 1, maxpool()),
    CPU_OP(5, "op5", "conv2d", 1, conv(T5, T6, 1, 1, 0, 8, 8, W_op5_cpu_w, W_op5_cpu_b, false)),
    CPU_OP(6, "op6", "add", 2, base(CpuKind::kAdd, kAdd6, 2, T7)),
    CPU_OP(7, "op7", "silu", 1, silu()),
    CPU_OP(8, "op8", "add", 2, base(CpuKind::kAdd, kAdd8, 2, OUT)),
    CPU_OP(9, "op9", "global_avg_pool", 1, base(CpuKind::kGlobalAvgPool, &kV[OUT], 1, G)),
    CPU_OP(10, "op10", "fc", 1, fc()),
    CPU_OP(11, "op11", "sigmoid", 1, base(CpuKind::kSigmoid, &kV[F], 1, PROB)),
};

#define CHAIN(i) {"c" #i, i, 1, NONE, 0.0f, nullptr, 0, nullptr, 0}
const ChainDesc kChains[] = {CHAIN(0), CHAIN(1), CHAIN(2), CHAIN(3), CHAIN(4),  CHAIN(5),
                             CHAIN(6), CHAIN(7), CHAIN(8), CHAIN(9), CHAIN(10), CHAIN(11)};

const ModelDesc kModel = {
    kModelDescVersion,
    "test-model-cpu",
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
