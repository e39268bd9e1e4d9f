// cpu_ops.cc: the CPU half of an operator on XNNPACK (or a custom kernel).
// Operators are created once (XNNPACK packs the weights then) and set up on
// every run, because mapped pointers may move between runs. A view that is a
// row slab of a batch of more than one item is not contiguous, so it runs
// one batch item at a time.
#include <algorithm>
#include <cmath>
#include <pthreadpool.h>
#include <xnnpack.h>

#include <string>

#include "error.h"
#include "runtime.h"

namespace codl {
namespace {

struct ViewGeom {
  const TensorDesc* t;
  int32_t row0, rows, ch0, chs;
  size_t batch_stride() const { return size_t(t->h) * t->w * t->c; }
  size_t offset() const { return (size_t(row0) * t->w) * t->c + ch0; }
  bool whole_rows() const { return rows == t->h; }
};

ViewGeom geom(const ModelDesc& m, const CpuView& v) {
  const TensorDesc& t = m.tensors[v.tensor];
  return {&t, v.row0, v.rows ? v.rows : t.h, v.ch0, v.chs ? v.chs : t.c};
}

[[noreturn]] void bad(const OpDesc& op, const std::string& why) {
  fail(CODL_ERR_BUNDLE, std::string("operator '") + op.id + "' (CPU half): " + why);
}

void check(xnn_status st, const OpDesc& op, const char* what) {
  if (st != xnn_status_success) {
    fail(CODL_ERR_RUNTIME, std::string("operator '") + op.id + "': XNNPACK " + what + " failed (status " + std::to_string(int(st)) + ")");
  }
}

uint32_t conv_out(uint32_t in, uint32_t pad_a, uint32_t pad_b, uint32_t k, uint32_t dil, uint32_t stride) {
  int64_t eff = int64_t(k - 1) * dil + 1, padded = int64_t(in) + pad_a + pad_b;
  return padded < eff ? 0 : uint32_t((padded - eff) / stride + 1);
}

const float* weights_ptr(const ModelDesc& m, int32_t id, const uint8_t* blob) {
  return id < 0 ? nullptr : reinterpret_cast<const float*>(blob + m.weights[id].offset);
}

void expect_count(const OpDesc& op, uint32_t n) {
  if (op.cpu.num_inputs != n) bad(op, "expects " + std::to_string(n) + " input view(s), has " + std::to_string(op.cpu.num_inputs));
}

// A convolution's operators: one, or one per chunk of chunk_oc output channels, each with its channels'
// weights (OHWI: consecutive) and bias, writing its channels of the output view. The compiler chunks a
// convolution whose weights would not stay in cache (profile cpu.convChunks): XNNPACK's indirect GEMM
// walks tiles of output pixels outside tiles of output channels, so it reads such weights once per pixel
// tile (bench/native/oc-chunks.cc: YOLOv2's 13×13 layers, 19–47 MB, 1.3–2.7× faster in chunks here).
CpuOp create_conv(const ModelDesc& m, const OpDesc& op, const ViewGeom& in, const ViewGeom& out, const uint8_t* blob) {
  const CpuOpDesc& c = op.cpu;
  if (c.chunk_oc != 0 && (c.groups != 1 || c.chunk_oc >= c.group_oc)) bad(op, "chunks of output channels need one group and more than one chunk");
  CpuOp ops;
  const uint32_t step = c.chunk_oc ? c.chunk_oc : c.group_oc;
  const size_t per_oc = size_t(c.kernel_h) * c.kernel_w * c.group_ic;
  const float* weights = weights_ptr(m, c.weights, blob);
  const float* bias = weights_ptr(m, c.bias, blob);
  for (uint32_t c0 = 0; c0 < c.group_oc; c0 += step) {
    xnn_operator_t x = nullptr;
    xnn_status st = xnn_create_convolution2d_nhwc_f32(
        c.pad_top, c.pad_right, c.pad_bottom, c.pad_left, c.kernel_h, c.kernel_w, c.stride_h, c.stride_w, c.dilation_h, c.dilation_w,
        c.groups, c.group_ic, std::min(step, c.group_oc - c0), in.t->c, out.t->c, weights + c0 * per_oc,
        bias ? bias + c0 : nullptr, c.out_min, c.out_max, c.flags, &x);
    if (st != xnn_status_success) {
      for (xnn_operator* done : ops) xnn_delete_operator(done);
      check(st, op, "create");
    }
    ops.push_back(x);
  }
  return ops;
}

}  // namespace

CpuOp create_cpu_op(const ModelDesc& m, const OpDesc& op, const uint8_t* blob) {
  const CpuOpDesc& c = op.cpu;
  xnn_operator_t x = nullptr;
  xnn_status st = xnn_status_success;
  switch (c.kind) {
    case CpuKind::kNone:
    case CpuKind::kCustom:
      return {};
    case CpuKind::kConv2d:
    case CpuKind::kDeconv2d: {
      expect_count(op, 1);
      ViewGeom in = geom(m, c.inputs[0]), out = geom(m, c.output);
      if (c.weights < 0) bad(op, "convolution without weights");
      if (c.groups * c.group_ic != uint32_t(in.chs) || c.groups * c.group_oc != uint32_t(out.chs)) {
        bad(op, "groups × channels per group do not match the views' channels");
      }
      uint32_t oh, ow;
      if (c.kind == CpuKind::kConv2d) {
        oh = conv_out(in.rows, c.pad_top, c.pad_bottom, c.kernel_h, c.dilation_h, c.stride_h);
        ow = conv_out(in.t->w, c.pad_left, c.pad_right, c.kernel_w, c.dilation_w, c.stride_w);
      } else {
        oh = (in.rows - 1) * c.stride_h + c.adj_h + (c.kernel_h - 1) * c.dilation_h + 1 - c.pad_top - c.pad_bottom;
        ow = (in.t->w - 1) * c.stride_w + c.adj_w + (c.kernel_w - 1) * c.dilation_w + 1 - c.pad_left - c.pad_right;
      }
      if (oh != uint32_t(out.rows) || ow != uint32_t(out.t->w)) {
        bad(op, "input slab of " + std::to_string(in.rows) + " rows gives " + std::to_string(oh) + "×" + std::to_string(ow) +
                    " outputs, the output view has " + std::to_string(out.rows) + "×" + std::to_string(out.t->w));
      }
      if (in.t->n != out.t->n) bad(op, "batch sizes differ");
      if (c.kind == CpuKind::kConv2d) return create_conv(m, op, in, out, blob);
      st = xnn_create_deconvolution2d_nhwc_f32(c.pad_top, c.pad_right, c.pad_bottom, c.pad_left, c.kernel_h, c.kernel_w, c.stride_h,
                                               c.stride_w, c.dilation_h, c.dilation_w, c.groups, c.group_ic, c.group_oc, in.t->c, out.t->c,
                                               weights_ptr(m, c.weights, blob), weights_ptr(m, c.bias, blob), c.out_min, c.out_max,
                                               c.flags, &x);
      break;
    }
    case CpuKind::kMaxPool2d:
    case CpuKind::kAvgPool2d: {
      expect_count(op, 1);
      ViewGeom in = geom(m, c.inputs[0]), out = geom(m, c.output);
      if (in.chs != out.chs) bad(op, "pooling changes the channel count");
      uint32_t dh = c.kind == CpuKind::kMaxPool2d ? c.dilation_h : 1, dw = c.kind == CpuKind::kMaxPool2d ? c.dilation_w : 1;
      uint32_t oh = conv_out(in.rows, c.pad_top, c.pad_bottom, c.kernel_h, dh, c.stride_h);
      uint32_t ow = conv_out(in.t->w, c.pad_left, c.pad_right, c.kernel_w, dw, c.stride_w);
      if (oh != uint32_t(out.rows) || ow != uint32_t(out.t->w)) bad(op, "input slab does not give the output view's rows and width");
      if (c.kind == CpuKind::kMaxPool2d) {
        st = xnn_create_max_pooling2d_nhwc_f32(c.pad_top, c.pad_right, c.pad_bottom, c.pad_left, c.kernel_h, c.kernel_w, c.stride_h,
                                               c.stride_w, c.dilation_h, c.dilation_w, in.chs, in.t->c, out.t->c, c.out_min, c.out_max,
                                               c.flags, &x);
      } else {
        st = xnn_create_average_pooling2d_nhwc_f32(c.pad_top, c.pad_right, c.pad_bottom, c.pad_left, c.kernel_h, c.kernel_w, c.stride_h,
                                                   c.stride_w, in.chs, in.t->c, out.t->c, c.out_min, c.out_max, c.flags, &x);
      }
      break;
    }
    case CpuKind::kGlobalAvgPool: {
      expect_count(op, 1);
      ViewGeom in = geom(m, c.inputs[0]), out = geom(m, c.output);
      if (!in.whole_rows() || in.chs != out.chs) bad(op, "global pooling needs the whole input and the same channels");
      st = xnn_create_global_average_pooling_nwc_f32(in.chs, in.t->c, out.t->c, c.out_min, c.out_max, c.flags, &x);
      break;
    }
    case CpuKind::kFullyConnected: {
      expect_count(op, 1);
      ViewGeom in = geom(m, c.inputs[0]), out = geom(m, c.output);
      if (!in.whole_rows() || in.chs != in.t->c || out.t->h != 1 || out.t->w != 1) bad(op, "fully connected needs a whole input and a [N, C] output");
      size_t k = size_t(in.t->h) * in.t->w * in.t->c;
      st = xnn_create_fully_connected_nc_f32(k, out.chs, k, out.t->c, weights_ptr(m, c.weights, blob), weights_ptr(m, c.bias, blob),
                                             c.out_min, c.out_max, c.flags, &x);
      break;
    }
    case CpuKind::kAdd:
    case CpuKind::kSubtract:
    case CpuKind::kMultiply:
    case CpuKind::kDivide: {
      expect_count(op, c.const_operand == 0 ? 2 : 1);
      for (uint32_t i = 0; i <= c.num_inputs; i++) {
        ViewGeom g = geom(m, i < c.num_inputs ? c.inputs[i] : c.output);
        if (g.chs != g.t->c) bad(op, "element-wise views must cover all channels");
      }
      if (c.const_operand > 2) bad(op, "const_operand must be 0, 1 or 2");
      if (c.const_operand != 0) {
        const uint32_t* s = c.const_shape;
        if (c.weights < 0 || m.weights[c.weights].bytes != sizeof(float) * size_t(s[0]) * s[1] * s[2] * s[3]) bad(op, "the constant operand's weights do not match const_shape");
      }
      switch (c.kind) {
        case CpuKind::kAdd: st = xnn_create_add_nd_f32(c.out_min, c.out_max, c.flags, &x); break;
        case CpuKind::kSubtract: st = xnn_create_subtract_nd_f32(c.out_min, c.out_max, c.flags, &x); break;
        case CpuKind::kMultiply: st = xnn_create_multiply_nd_f32(c.out_min, c.out_max, c.flags, &x); break;
        default: st = xnn_create_divide_nd_f32(c.out_min, c.out_max, c.flags, &x); break;
      }
      break;
    }
    case CpuKind::kClamp:
    case CpuKind::kSigmoid:
    case CpuKind::kLeakyRelu:
    case CpuKind::kHardSwish:
    case CpuKind::kPRelu: {
      expect_count(op, 1);
      ViewGeom in = geom(m, c.inputs[0]), out = geom(m, c.output);
      if (in.chs != out.chs || in.rows != out.rows || in.t->w != out.t->w) bad(op, "unary views differ in shape");
      switch (c.kind) {
        case CpuKind::kClamp: st = xnn_create_clamp_nc_f32(in.chs, in.t->c, out.t->c, c.out_min, c.out_max, c.flags, &x); break;
        case CpuKind::kSigmoid: st = xnn_create_sigmoid_nc_f32(in.chs, in.t->c, out.t->c, c.flags, &x); break;
        case CpuKind::kLeakyRelu: st = xnn_create_leaky_relu_nc_f32(in.chs, in.t->c, out.t->c, c.post_alpha, c.flags, &x); break;
        case CpuKind::kPRelu:
          if (c.weights < 0 || m.weights[c.weights].bytes != sizeof(float) * size_t(in.chs)) bad(op, "PRelu needs one slope per channel");
          st = xnn_create_prelu_nc_f32(in.chs, in.t->c, out.t->c, weights_ptr(m, c.weights, blob), c.flags, &x);
          break;
        default: st = xnn_create_hardswish_nc_f32(in.chs, in.t->c, out.t->c, c.flags, &x); break;
      }
      break;
    }
    case CpuKind::kSoftmax: {
      expect_count(op, 1);
      ViewGeom in = geom(m, c.inputs[0]), out = geom(m, c.output);
      size_t total = size_t(in.t->n) * in.t->h * in.t->w * in.t->c;
      if (!in.whole_rows() || in.chs != in.t->c || !out.whole_rows() || out.chs != out.t->c) bad(op, "softmax needs whole tensors");
      if (c.softmax_len == 0 || total % c.softmax_len != 0) bad(op, "softmax_len does not divide the tensor");
      st = xnn_create_softmax_nc_f32(c.softmax_len, c.softmax_len, c.softmax_len, c.flags, &x);
      break;
    }
    case CpuKind::kResizeBilinear: {
      expect_count(op, 1);
      ViewGeom in = geom(m, c.inputs[0]), out = geom(m, c.output);
      if (!in.whole_rows() || !out.whole_rows() || in.chs != in.t->c || out.chs != out.t->c || in.t->c != out.t->c || in.t->n != out.t->n) {
        bad(op, "bilinear resize needs whole tensors with the same batch and channels");
      }
      st = xnn_create_resize_bilinear2d_nhwc_f32(in.chs, in.t->c, out.t->c, c.flags, &x);
      break;
    }
    case CpuKind::kConstantPad: {
      expect_count(op, 1);
      ViewGeom in = geom(m, c.inputs[0]), out = geom(m, c.output);
      if (in.chs != in.t->c || out.chs != out.t->c || in.t->n != out.t->n || c.pad_top + in.rows + c.pad_bottom != uint32_t(out.rows) ||
          c.pad_left + in.t->w + c.pad_right != uint32_t(out.t->w) || c.pad_ch_begin + in.t->c + c.pad_ch_end != uint32_t(out.t->c)) {
        bad(op, "padding does not take the input view to the output view");
      }
      static_assert(sizeof(float) == sizeof(uint32_t), "x32 padding value");
      st = xnn_create_constant_pad_nd_x32(&c.pad_value, c.flags, &x);
      break;
    }
  }
  check(st, op, "create");
  return CpuOp{x};
}

namespace {

struct PostArgs {
  float* base;
  ViewGeom out;
  PostAct act;
  float alpha;
};

// Applies f to every value of one output row (of one batch item) of the view, in place. The
// activation is chosen once per row, outside the loops, so that each loop is one straight-line
// body the compiler vectorizes; a row of a view that covers every channel is one contiguous run.
template <typename F>
void each_in_row(const PostArgs& p, size_t index, F f) {
  const size_t n = index / size_t(p.out.rows), y = index % size_t(p.out.rows);
  const size_t w = size_t(p.out.t->w), c = size_t(p.out.t->c), chs = size_t(p.out.chs);
  float* row = p.base + n * p.out.batch_stride() + p.out.offset() + y * w * c;
  if (chs == c) {
    for (size_t i = 0; i < w * c; i++) row[i] = f(row[i]);
    return;
  }
  for (size_t x = 0; x < w; x++) {
    float* v = row + x * c;
    for (size_t ch = 0; ch < chs; ch++) v[ch] = f(v[ch]);
  }
}

void post_row(void* context, size_t index) {
  const PostArgs& p = *static_cast<const PostArgs*>(context);
  switch (p.act) {
    case PostAct::kLeakyRelu: {
      // max(a, 0) + alpha·min(a, 0), not a < 0 ? alpha·a : a: one of the two terms is always zero, so the
      // values are the same, and it has no branch. As a branch, about half of a first convolution's
      // outputs mispredicted it: YOLOv2's first LeakyRelu took 28 ms of one thread, its convolution 2.7.
      const float alpha = p.alpha;
      each_in_row(p, index, [alpha](float a) { return std::max(a, 0.f) + alpha * std::min(a, 0.f); });
      break;
    }
    case PostAct::kHardSwish:
      each_in_row(p, index, [](float a) { return a * std::min(std::max(a / 6.f + 0.5f, 0.f), 1.f); });
      break;
    case PostAct::kSigmoid:
      each_in_row(p, index, [](float a) { return 1.f / (1.f + std::exp(-a)); });
      break;
    case PostAct::kTanh:
      each_in_row(p, index, [](float a) { return std::tanh(a); });
      break;
    case PostAct::kNone:
      break;
  }
}

}  // namespace

void run_cpu_op_xnn(const ModelDesc& m, const OpDesc& op, const CpuOp& xop, float* const* ptr, const uint8_t* blob, pthreadpool* pool);

void run_cpu_op(const ModelDesc& m, const OpDesc& op, const CpuOp& xop, float* const* ptr, const uint8_t* blob, pthreadpool* pool) {
  run_cpu_op_xnn(m, op, xop, ptr, blob, pool);
  const CpuOpDesc& c = op.cpu;
  if (c.post == PostAct::kNone || c.kind == CpuKind::kCustom) return;
  PostArgs args{ptr[c.output.tensor], geom(m, c.output), c.post, c.post_alpha};
  pthreadpool_parallelize_1d(pool, post_row, &args, size_t(args.out.t->n) * args.out.rows, 0);
}

void run_cpu_op_xnn(const ModelDesc& m, const OpDesc& op, const CpuOp& xop, float* const* ptr, const uint8_t* blob, pthreadpool* pool) {
  const CpuOpDesc& c = op.cpu;
  xnn_operator* x = xop.empty() ? nullptr : xop[0];
  if (c.kind == CpuKind::kCustom) {
    const float* ins[8] = {};
    if (c.num_inputs > 8) bad(op, "a custom kernel takes at most 8 inputs");
    for (uint32_t i = 0; i < c.num_inputs; i++) ins[i] = ptr[c.inputs[i].tensor];
    c.custom(CpuCall{&m, &op, ins, ptr[c.output.tensor], blob, pool});
    return;
  }
  ViewGeom out = geom(m, c.output);
  float* out_base = ptr[c.output.tensor];
  const int32_t N = out.t->n;
  switch (c.kind) {
    case CpuKind::kConv2d:
    case CpuKind::kDeconv2d:
    case CpuKind::kMaxPool2d:
    case CpuKind::kAvgPool2d: {
      ViewGeom in = geom(m, c.inputs[0]);
      const float* in_base = ptr[c.inputs[0].tensor];
      // Whole-row views of the batch are one call; row slabs go item by item.
      bool whole = in.whole_rows() && out.whole_rows();
      int32_t calls = whole ? 1 : N;
      size_t batch = whole ? size_t(N) : 1;
      for (int32_t n = 0; n < calls; n++) {
        const float* ip = in_base + n * in.batch_stride() + in.offset();
        float* op_ = out_base + n * out.batch_stride() + out.offset();
        if (c.kind == CpuKind::kConv2d) {
          // One operator, or one per chunk of output channels (create_conv).
          for (size_t i = 0; i < xop.size(); i++) {
            check(xnn_setup_convolution2d_nhwc_f32(xop[i], batch, in.rows, in.t->w, ip, op_ + i * c.chunk_oc, pool), op, "setup");
            check(xnn_run_operator(xop[i], pool), op, "run");
          }
          continue;
        }
        xnn_status st;
        switch (c.kind) {
          case CpuKind::kDeconv2d:
            st = xnn_setup_deconvolution2d_nhwc_f32(x, batch, in.rows, in.t->w, c.adj_h, c.adj_w, ip, op_, pool);
            break;
          case CpuKind::kMaxPool2d: st = xnn_setup_max_pooling2d_nhwc_f32(x, batch, in.rows, in.t->w, ip, op_, pool); break;
          default: st = xnn_setup_average_pooling2d_nhwc_f32(x, batch, in.rows, in.t->w, ip, op_, pool); break;
        }
        check(st, op, "setup");
        check(xnn_run_operator(x, pool), op, "run");
      }
      return;
    }
    case CpuKind::kGlobalAvgPool: {
      ViewGeom in = geom(m, c.inputs[0]);
      check(xnn_setup_global_average_pooling_nwc_f32(x, N, size_t(in.t->h) * in.t->w, ptr[c.inputs[0].tensor] + in.ch0,
                                                     out_base + out.offset(), pool),
            op, "setup");
      check(xnn_run_operator(x, pool), op, "run");
      return;
    }
    case CpuKind::kFullyConnected: {
      check(xnn_setup_fully_connected_nc_f32(x, N, ptr[c.inputs[0].tensor], out_base + out.ch0, pool), op, "setup");
      check(xnn_run_operator(x, pool), op, "run");
      return;
    }
    case CpuKind::kAdd:
    case CpuKind::kSubtract:
    case CpuKind::kMultiply:
    case CpuKind::kDivide: {
      // Each operand is a view, or the constant (already the CPU's rows, contiguous) that const_operand names.
      struct Operand {
        size_t shape[4];
        const float* base;
        size_t batch_stride;
      } operand[2];
      bool whole = out.whole_rows();
      for (uint32_t i = 0, v = 0; i < 2; i++) {
        if (c.const_operand == i + 1) {
          const uint32_t* s = c.const_shape;
          operand[i] = {{s[0], s[1], s[2], s[3]}, weights_ptr(m, c.weights, blob), size_t(s[1]) * s[2] * s[3]};
          continue;
        }
        ViewGeom g = geom(m, c.inputs[v]);
        operand[i] = {{size_t(g.t->n), size_t(g.rows), size_t(g.t->w), size_t(g.t->c)}, ptr[c.inputs[v].tensor] + g.offset(), g.batch_stride()};
        whole = whole && g.whole_rows();
        v++;
      }
      int32_t calls = whole ? 1 : N;
      for (int32_t n = 0; n < calls; n++) {
        const Operand &a = operand[0], &b = operand[1];
        size_t sa[4] = {whole ? a.shape[0] : 1, a.shape[1], a.shape[2], a.shape[3]};
        size_t sb[4] = {whole ? b.shape[0] : 1, b.shape[1], b.shape[2], b.shape[3]};
        const float* pa = a.base + (a.shape[0] > 1 ? n * a.batch_stride : 0);
        const float* pb = b.base + (b.shape[0] > 1 ? n * b.batch_stride : 0);
        float* po = out_base + n * out.batch_stride() + out.offset();
        xnn_status st;
        switch (c.kind) {
          case CpuKind::kAdd: st = xnn_setup_add_nd_f32(x, 4, sa, 4, sb, pa, pb, po, pool); break;
          case CpuKind::kSubtract: st = xnn_setup_subtract_nd_f32(x, 4, sa, 4, sb, pa, pb, po, pool); break;
          case CpuKind::kMultiply: st = xnn_setup_multiply_nd_f32(x, 4, sa, 4, sb, pa, pb, po, pool); break;
          default: st = xnn_setup_divide_nd_f32(x, 4, sa, 4, sb, pa, pb, po, pool); break;
        }
        check(st, op, "setup");
        check(xnn_run_operator(x, pool), op, "run");
      }
      return;
    }
    case CpuKind::kClamp:
    case CpuKind::kSigmoid:
    case CpuKind::kLeakyRelu:
    case CpuKind::kHardSwish:
    case CpuKind::kPRelu: {
      ViewGeom in = geom(m, c.inputs[0]);
      bool whole = in.whole_rows();
      int32_t calls = whole ? 1 : N;
      size_t pixels = size_t(whole ? N : 1) * in.rows * in.t->w;
      for (int32_t n = 0; n < calls; n++) {
        const float* ip = ptr[c.inputs[0].tensor] + n * in.batch_stride() + in.offset();
        float* op_ = out_base + n * out.batch_stride() + out.offset();
        xnn_status st;
        switch (c.kind) {
          case CpuKind::kClamp: st = xnn_setup_clamp_nc_f32(x, pixels, ip, op_, pool); break;
          case CpuKind::kSigmoid: st = xnn_setup_sigmoid_nc_f32(x, pixels, ip, op_, pool); break;
          case CpuKind::kLeakyRelu: st = xnn_setup_leaky_relu_nc_f32(x, pixels, ip, op_, pool); break;
          case CpuKind::kPRelu: st = xnn_setup_prelu_nc_f32(x, pixels, ip, op_, pool); break;
          default: st = xnn_setup_hardswish_nc_f32(x, pixels, ip, op_, pool); break;
        }
        check(st, op, "setup");
        check(xnn_run_operator(x, pool), op, "run");
      }
      return;
    }
    case CpuKind::kSoftmax: {
      ViewGeom in = geom(m, c.inputs[0]);
      size_t rows = size_t(in.t->n) * in.t->h * in.t->w * in.t->c / c.softmax_len;
      check(xnn_setup_softmax_nc_f32(x, rows, ptr[c.inputs[0].tensor], out_base, pool), op, "setup");
      check(xnn_run_operator(x, pool), op, "run");
      return;
    }
    case CpuKind::kResizeBilinear: {
      ViewGeom in = geom(m, c.inputs[0]);
      check(xnn_setup_resize_bilinear2d_nhwc_f32(x, N, in.t->h, in.t->w, out.t->h, out.t->w, ptr[c.inputs[0].tensor], out_base, pool), op,
            "setup");
      check(xnn_run_operator(x, pool), op, "run");
      return;
    }
    case CpuKind::kConstantPad: {
      // The output view is the CPU's rows; pad_top/pad_bottom are the padded rows inside it.
      ViewGeom in = geom(m, c.inputs[0]);
      bool whole = in.whole_rows() && out.whole_rows();
      int32_t calls = whole ? 1 : N;
      const size_t shape[4] = {whole ? size_t(N) : 1, size_t(in.rows), size_t(in.t->w), size_t(in.t->c)};
      const size_t pre[4] = {0, c.pad_top, c.pad_left, c.pad_ch_begin};
      const size_t post[4] = {0, c.pad_bottom, c.pad_right, c.pad_ch_end};
      for (int32_t n = 0; n < calls; n++) {
        const float* ip = ptr[c.inputs[0].tensor] + n * in.batch_stride() + in.offset();
        float* op_ = out_base + n * out.batch_stride() + out.offset();
        check(xnn_setup_constant_pad_nd_x32(x, 4, shape, pre, post, ip, op_, pool), op, "setup");
        check(xnn_run_operator(x, pool), op, "run");
      }
      return;
    }
    default:
      fail(CODL_ERR_INTERNAL, std::string("operator '") + op.id + "': unknown CPU kind");
  }
}

}  // namespace codl
