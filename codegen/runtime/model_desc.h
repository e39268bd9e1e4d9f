// model_desc.h: the contract between the code generator and the runtime.
//
// The emitter (src/emit/) writes one `src/model.cc` per bundle that defines
// `codl::bundled_model()`, returning constant tables of the structs below. The
// runtime (the other files in this folder, copied verbatim into every bundle)
// reads those tables, checks them, and executes them. Nothing here is
// model-specific, and nothing in model.cc is executable except optional small
// CPU kernels (CpuKind::kCustom).
//
// Layouts (all float32 unless a GPU tensor asks for fp16 image storage):
//  - Shapes are NCHW: every tensor has n, c, h, w (rank < 4 pads with 1s).
//  - CPU tensors: one host-visible NHWC buffer of the whole tensor
//    (N·H·W·C floats). A processor that owns only rows [a, b) or channels
//    [c0, c1) writes only that part; nothing else in the buffer is meaningful.
//  - GPU image tensors: image2d RGBA, channels packed by 4,
//    width = W·ceil(C/4), height = N·H; pixel (cb·W + x, n·H + y) holds
//    channels 4cb..4cb+3 at (n, y, x). Lanes past C hold arbitrary finite
//    values: every consumer must ignore them (zero weights, or skip them).
//  - GPU buffer tensors: NHWC float32, like the CPU buffer but a separate
//    cl_mem; slab copies between the two are clEnqueueCopyBufferRect.
//
// Execution: chains in order. A chain is a run of consecutive operators
// sharing one split dimension and ratio (a single operator is a chain of one;
// a CPU-only or GPU-only operator is a chain with ratio 0 or 1). Per chain,
// the runtime does what CoDL §4 describes:
//   1. enqueue `in` transforms (usually GPU tensor slab → CPU buffer);
//   2. map every CPU buffer the chain's CPU halves touch (this waits for 1);
//   3. enqueue the GPU kernels of every operator of the chain, flush, and
//      meanwhile run each operator's CPU half on the thread pool;
//   4. unmap;
//   5. enqueue `out` transforms (usually CPU buffer slab → GPU tensor);
//   6. flush; the next chain's map (step 2) is the synchronisation point.
// The emitter is responsible for the halo arithmetic: every side must only
// read rows that it computed itself or that an `in` transform brought over.
//
// Rebalancing (version 2): an H chain may come with variants, the same
// operators cut at other ratios (src/emit/variants.ts). They differ from the
// compiled tables only in rows: output and input ranges, CPU view rows, GPU
// global sizes and integer kernel arguments, transform ranges. The runtime
// times both sides of such a chain on every run and moves to the variant that
// balances them (runtime.cc `rebalance`); XNNPACK operators and OpenCL kernels
// are created once, from the compiled tables.
//
// Memory: the runtime derives each tensor's liveness from these tables (the
// first and last chain that references it, counting transforms and CPU
// views), then shares one image / buffer between tensors whose chain
// intervals do not overlap. Graph inputs and outputs are never shared.
#pragma once

#include <cstddef>
#include <cstdint>

namespace codl {

constexpr uint32_t kModelDescVersion = 2;

enum class Proc : uint8_t { kCpu = 0, kGpu = 1 };

enum class GpuStorage : uint8_t {
  kNone = 0,  // no GPU copy of this tensor
  kImage,     // image2d RGBA, channels packed by 4 (see above)
  kBuffer,    // NHWC float32 buffer
};

enum class DType : uint8_t { kF32 = 0, kF16 = 1 };

enum class SplitDim : uint8_t { kNone = 0, kH, kOC };

enum class Placement : uint8_t { kCpu = 0, kGpu, kSplit };

// Half-open [begin, end) along a split dimension (rows, or channels).
struct Range {
  int32_t begin;
  int32_t end;
};

struct TensorDesc {
  const char* name;        // graph tensor name; graph inputs/outputs are addressed by it
  uint32_t rank;           // logical rank of the graph tensor (1..4); shape = {n,c,h,w}[0..rank)
  int32_t n, c, h, w;      // NCHW
  GpuStorage gpu;          // GPU storage, kNone if the GPU never touches it
  DType gpu_dtype;         // kF16 only with kImage (CL_HALF_FLOAT, transparent to read_imagef)
  bool cpu;                // has a host-visible NHWC buffer
  Proc home;               // graph inputs/outputs: where the whole tensor is written / read
};

// Weights live in one aligned file, weights.bin. Each entry is a byte range
// already arranged for the processor that reads it (XNNPACK's layout for the
// CPU, the generated kernel's layout for the GPU, only the slice each side
// needs). Offsets must be multiples of 64.
enum class WeightsKind : uint8_t {
  kHost = 0,   // read by the CPU (XNNPACK packs it at create time; custom kernels read it in place)
  kGpuBuffer,  // uploaded to a read-only cl_mem buffer
  kGpuImage,   // uploaded to a read-only RGBA float image of image_width × image_height pixels
};

struct WeightsDesc {
  uint64_t offset;
  uint64_t bytes;
  WeightsKind kind;
  uint32_t image_width;   // kGpuImage only
  uint32_t image_height;  // kGpuImage only
};

// ---- GPU side -----------------------------------------------------------

enum class ArgKind : uint8_t {
  kTensor = 0,  // index = tensor id; binds its GPU storage (image or buffer)
  kWeights,     // index = weights id; binds its GPU buffer or image
  kInt,         // i
  kFloat,       // f
  kLocal,       // i = bytes of __local memory
};

struct KernelArg {
  ArgKind kind;
  int32_t index;
  int32_t i;
  float f;
};

struct GpuKernelDesc {
  const char* file;     // relative to the bundle's kernels/ folder, e.g. "conv2d_0123456789ab.cl"
  const char* entry;    // kernel function name
  const char* options;  // extra build options ("" for none)
  uint32_t work_dim;    // 1..3
  size_t global[3];     // exact global size (a multiple of local when local is set)
  size_t local[3];      // local[0] == 0: let the driver choose
  const KernelArg* args;
  uint32_t num_args;
};

// ---- CPU side -----------------------------------------------------------

enum class CpuKind : uint8_t {
  kNone = 0,
  kConv2d,          // xnn convolution2d_nhwc (groups cover depthwise and grouped)
  kDeconv2d,        // xnn deconvolution2d_nhwc
  kMaxPool2d,       // xnn max_pooling2d_nhwc
  kAvgPool2d,       // xnn average_pooling2d_nhwc
  kGlobalAvgPool,   // xnn global_average_pooling_nwc (over H·W)
  kFullyConnected,  // xnn fully_connected_nc (input: N × (H·W·C) in NHWC order)
  kAdd,             // xnn add_nd with broadcast (NHWC shapes of the two views, or a view and a constant)
  kMultiply,        // xnn multiply_nd with broadcast
  kClamp,           // xnn clamp_nc (out_min, out_max)
  kSigmoid,         // xnn sigmoid_nc
  kCustom,          // a small C++ kernel generated into model.cc
  kSubtract,        // xnn subtract_nd with broadcast
  kDivide,          // xnn divide_nd with broadcast
  kLeakyRelu,       // xnn leaky_relu_nc (post_alpha is the slope)
  kHardSwish,       // xnn hardswish_nc
  kSoftmax,         // xnn softmax_nc over runs of softmax_len contiguous elements of the whole tensor
  kResizeBilinear,  // xnn resize_bilinear2d_nhwc, whole tensors (flags: XNN_FLAG_ALIGN_CORNERS / _TENSORFLOW_LEGACY_MODE)
  kConstantPad,     // xnn constant_pad_nd_x32: pad_top/bottom/left/right rows and columns, pad_ch_* channels
  kPRelu,           // xnn prelu_nc (weights: one slope per channel)
};

// A slab of an NHWC CPU tensor: rows [row0, row0 + rows) of every batch item,
// channels [ch0, ch0 + chs). rows == 0 means all rows; chs == 0 means all channels.
struct CpuView {
  int32_t tensor;
  int32_t row0, rows;
  int32_t ch0, chs;
};

// An activation XNNPACK cannot fuse into an operator (it fuses only clamps),
// applied in place to the operator's output view right after it runs.
enum class PostAct : uint8_t {
  kNone = 0,
  kLeakyRelu,  // x < 0 ? post_alpha·x : x
  kHardSwish,  // x · min(max(x/6 + 1/2, 0), 1)
  kSigmoid,    // 1 / (1 + e^−x)
  kTanh,       // tanh x
};

struct OpDesc;
struct ModelDesc;

// What a custom kernel receives: base pointers of whole NHWC tensors (index
// them with op->cpu.inputs[i] / op->cpu.output views), the weights blob, and
// the pthreadpool (a pthreadpool_t, or null for one thread).
struct CpuCall {
  const ModelDesc* model;
  const OpDesc* op;
  const float* const* inputs;
  float* output;
  const uint8_t* weights;
  void* threadpool;
};
using CustomKernelFn = void (*)(const CpuCall& call);

struct CpuOpDesc {
  CpuKind kind;
  const CpuView* inputs;
  uint32_t num_inputs;
  CpuView output;
  // Convolution / deconvolution / pooling geometry of this slab. For an H
  // split the emitter gives the slab's own padding (pad_top = 0 unless the
  // slab starts at the top), so XNNPACK's output height equals output.rows.
  uint32_t pad_top, pad_right, pad_bottom, pad_left;
  uint32_t kernel_h, kernel_w;
  uint32_t stride_h, stride_w;
  uint32_t dilation_h, dilation_w;
  uint32_t groups, group_ic, group_oc;  // conv/deconv; group_oc is this side's slice for an OC split
  uint32_t chunk_oc;                    // conv: output channels per XNNPACK operator, in consecutive chunks
                                        // (profile cpu.convChunks); 0: one operator
  uint32_t adj_h, adj_w;                // deconv output adjustment
  int32_t weights;                      // weights id (kHost), -1 none
  int32_t bias;                         // weights id (kHost), -1 none
  float out_min, out_max;               // fused activation as a clamp; ±INFINITY for none
  uint32_t flags;                       // XNNPACK flags (e.g. XNN_FLAG_DEPTHWISE_CONVOLUTION)
  CustomKernelFn custom;                // kCustom only
  const float* params;                  // constants for a custom kernel
  uint32_t num_params;
  PostAct post;                         // applied after an XNNPACK operator (kNone: nothing)
  float post_alpha;                     // kLeakyRelu's slope (PostAct and CpuKind)
  uint32_t softmax_len;                 // kSoftmax: elements per softmax row
  uint32_t pad_ch_begin, pad_ch_end;    // kConstantPad: channels before and after the input's
  float pad_value;                      // kConstantPad
  uint32_t const_operand;               // kAdd … kDivide: 0, or which operand (1, 2) is `weights` instead of a view
  uint32_t const_shape[4];              // ... its NHWC shape (n, rows, w, c), broadcast like a view's
};

// ---- operators and chains -------------------------------------------------

struct OpDesc {
  const char* id;    // the plan's operator id: the trace is keyed by it
  const char* kind;  // informative ("conv2d", "maxpool", ...)
  Placement placement;
  SplitDim dim;      // kNone unless placement == kSplit
  Range gpu_out;     // output rows (H) or channels (OC) the GPU computes
  Range cpu_out;     // ... and the CPU
  Range gpu_in;      // input rows each side reads, halo included (H split; informative)
  Range cpu_in;
  const int32_t* inputs;
  uint32_t num_inputs;
  const int32_t* outputs;
  uint32_t num_outputs;
  const GpuKernelDesc* gpu_kernels;  // run in order; none when placement == kCpu
  uint32_t num_gpu_kernels;
  CpuOpDesc cpu;                     // kind == kNone when placement == kGpu
};

// Moves a slab between a tensor's GPU storage and its CPU buffer, towards
// `to` (kCpu: GPU storage → CPU buffer; kGpu: CPU buffer → GPU storage). dim kH:
// range is rows (of every batch item), all channels. dim kOC: range is
// channels, all rows; begin must be a multiple of 4 and end a multiple of 4
// or C (images pack channels by 4).
struct TransformDesc {
  int32_t tensor;
  Proc to;
  SplitDim dim;
  Range range;
};

struct ChainDesc {
  const char* id;
  int32_t first_op;
  int32_t num_ops;
  SplitDim dim;
  float ratio;                 // the GPU's share (informative)
  const TransformDesc* in;     // before the chain (usually GPU → CPU: the CPU's input slab)
  uint32_t num_in;
  const TransformDesc* out;    // after the chain (usually CPU → GPU: the CPU's output slab)
  uint32_t num_out;
};

// One way to cut an H chain. A chain's variants are consecutive in
// ModelDesc::variants, in increasing GPU share; one of them is the compiled
// cut itself (ops == &ModelDesc::ops[first_op], in/out == the chain's).
struct ChainVariantDesc {
  int32_t chain;
  float ratio;                 // the GPU's share of the chain's last operator
  const OpDesc* ops;           // the chain's num_ops operators, in order
  const TransformDesc* in;
  uint32_t num_in;
  const TransformDesc* out;
  uint32_t num_out;
};

struct ModelDesc {
  uint32_t version;  // kModelDescVersion
  const char* name;
  const TensorDesc* tensors;
  uint32_t num_tensors;
  const int32_t* inputs;   // tensor ids of the graph inputs, in order
  uint32_t num_inputs;
  const int32_t* outputs;  // tensor ids of the graph outputs, in order
  uint32_t num_outputs;
  const WeightsDesc* weights;
  uint32_t num_weights;
  uint64_t weights_file_bytes;  // exact size of weights.bin
  uint32_t weights_crc32;       // CRC-32 (IEEE, as zlib) of weights.bin
  const OpDesc* ops;
  uint32_t num_ops;
  const ChainDesc* chains;  // cover ops [0, num_ops) in order, without gaps
  uint32_t num_chains;
  uint32_t default_threads;  // CPU threads when the caller does not say (0: hardware)
  const ChainVariantDesc* variants;  // rebalancing variants, grouped by chain in chain order (none: nullptr)
  uint32_t num_variants;
};

// Defined by the generated model.cc.
const ModelDesc& bundled_model();

}  // namespace codl
