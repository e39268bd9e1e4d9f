// runtime.cc: loading a model (tables → weights, memory, programs, XNNPACK
// operators) and running it chain by chain. The schedule of one chain is in
// run_chain(); model_desc.h describes it.
#include "runtime.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "error.h"
#include "hash.h"

namespace codl {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int64_t numel(const TensorDesc& t) { return int64_t(t.n) * t.c * t.h * t.w; }
int32_t blocks4(int32_t c) { return (c + 3) / 4; }

std::string shape_text(const int64_t* shape, uint32_t rank) {
  std::string s = "[";
  for (uint32_t i = 0; i < rank; i++) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void logical_shape(const TensorDesc& t, int64_t out[4]) {
  out[0] = t.n;
  out[1] = t.c;
  out[2] = t.h;
  out[3] = t.w;
}

const char* dim_name(SplitDim d) { return d == SplitDim::kH ? "H" : d == SplitDim::kOC ? "OC" : "none"; }
const char* placement_name(Placement p) {
  return p == Placement::kCpu ? "cpu" : p == Placement::kGpu ? "gpu" : "split";
}

// Tensors each chain references: operator inputs/outputs, kernel arguments, CPU views, transforms.
std::vector<std::set<int32_t>> tensors_by_chain(const ModelDesc& m) {
  std::vector<std::set<int32_t>> out(m.num_chains);
  for (uint32_t k = 0; k < m.num_chains; k++) {
    const ChainDesc& c = m.chains[k];
    for (int32_t o = c.first_op; o < c.first_op + c.num_ops; o++) {
      const OpDesc& op = m.ops[o];
      for (uint32_t i = 0; i < op.num_inputs; i++) out[k].insert(op.inputs[i]);
      for (uint32_t i = 0; i < op.num_outputs; i++) out[k].insert(op.outputs[i]);
      for (uint32_t g = 0; g < op.num_gpu_kernels; g++) {
        const GpuKernelDesc& kd = op.gpu_kernels[g];
        for (uint32_t a = 0; a < kd.num_args; a++) if (kd.args[a].kind == ArgKind::kTensor) out[k].insert(kd.args[a].index);
      }
      if (op.cpu.kind != CpuKind::kNone) {
        for (uint32_t i = 0; i < op.cpu.num_inputs; i++) out[k].insert(op.cpu.inputs[i].tensor);
        out[k].insert(op.cpu.output.tensor);
      }
    }
    for (uint32_t i = 0; i < c.num_in; i++) out[k].insert(c.in[i].tensor);
    for (uint32_t i = 0; i < c.num_out; i++) out[k].insert(c.out[i].tensor);
  }
  return out;
}

// CPU tensors the CPU halves of a chain read or write: mapped around the chain.
std::vector<int32_t> cpu_tensors_of_chain(const ModelDesc& m, const ChainDesc& c) {
  std::set<int32_t> s;
  for (int32_t o = c.first_op; o < c.first_op + c.num_ops; o++) {
    const OpDesc& op = m.ops[o];
    if (op.cpu.kind == CpuKind::kNone) continue;
    for (uint32_t i = 0; i < op.cpu.num_inputs; i++) s.insert(op.cpu.inputs[i].tensor);
    s.insert(op.cpu.output.tensor);
  }
  return {s.begin(), s.end()};
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      o += '\\';
      o += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      o += buf;
    } else {
      o += ch;
    }
  }
  return o;
}

// Milliseconds to the nanosecond: many single-operator times are below a microsecond.
std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

// ---- storage ------------------------------------------------------------

struct Runtime::Slot {
  enum Kind { kImage, kGpuBuffer, kCpuBuffer } kind;
  DType dtype = DType::kF32;
  size_t width = 0, height = 0;  // images
  size_t bytes = 0;              // buffers
  int32_t owner = -1;            // tensor that holds it now (planning only)
#ifndef CODL_CPU_ONLY
  cl_mem mem = nullptr;
#endif
  float* host = nullptr;   // CPU-only build: the allocation
  float* mapped = nullptr;  // while mapped
  ~Slot() {
#ifndef CODL_CPU_ONLY
    if (mem) clReleaseMemObject(mem);
#endif
    std::free(host);
  }
};

struct Runtime::CommandEvent {
#ifndef CODL_CPU_ONLY
  cl_event event;
#endif
  int32_t op;     // -1 for chain-level commands
  int32_t chain;
  const char* what;  // "gpu", "transform_in", "transform_out", "unmap"
};

struct Runtime::Iteration {
  double latency_ms = 0;
  std::vector<double> op_cpu_ms;        // per op; NAN: no CPU half
  std::vector<double> op_cpu_start_ms;  // relative to the run's start
  std::vector<std::vector<double>> op_gpu_ms;  // per op, per kernel
  std::vector<double> chain_map_ms, chain_wall_ms, chain_start_ms;
  std::vector<double> chain_transform_in_ms, chain_transform_out_ms, chain_unmap_ms;
  std::vector<CommandEvent> events;
  std::vector<int32_t> chain_variant;  // per chain: the variant it ran (relative to its first; 0 without variants)
  struct Span {
    int32_t op, chain;
    const char* what;
    double start, end;
  };
  std::vector<Span> timeline;
};

// ---- validation -----------------------------------------------------------

void validate_model(const ModelDesc& m) {
  auto bad = [&](const std::string& why) { fail(CODL_ERR_BUNDLE, "model table of '" + std::string(m.name ? m.name : "?") + "': " + why); };
  if (m.version != kModelDescVersion) {
    bad("version " + std::to_string(m.version) + ", this runtime reads version " + std::to_string(kModelDescVersion));
  }
  auto tensor_ok = [&](int32_t t) { return t >= 0 && uint32_t(t) < m.num_tensors; };
  for (uint32_t i = 0; i < m.num_tensors; i++) {
    const TensorDesc& t = m.tensors[i];
    std::string name = "tensor '" + std::string(t.name ? t.name : "?") + "'";
    if (t.n <= 0 || t.c <= 0 || t.h <= 0 || t.w <= 0 || t.rank < 1 || t.rank > 4) bad(name + ": bad shape");
    if (t.gpu_dtype == DType::kF16 && t.gpu != GpuStorage::kImage) bad(name + ": fp16 storage needs an image");
  }
  auto check_ids = [&](const int32_t* ids, uint32_t n, const char* what) {
    for (uint32_t i = 0; i < n; i++) if (!tensor_ok(ids[i])) bad(std::string(what) + " refers to a missing tensor");
  };
  check_ids(m.inputs, m.num_inputs, "graph inputs");
  check_ids(m.outputs, m.num_outputs, "graph outputs");
  for (uint32_t i = 0; i < m.num_inputs + m.num_outputs; i++) {
    const TensorDesc& t = m.tensors[i < m.num_inputs ? m.inputs[i] : m.outputs[i - m.num_inputs]];
    if (t.home == Proc::kCpu ? !t.cpu : t.gpu == GpuStorage::kNone) {
      bad("graph tensor '" + std::string(t.name) + "' lives on a processor that has no storage for it");
    }
  }
  for (uint32_t i = 0; i < m.num_weights; i++) {
    const WeightsDesc& w = m.weights[i];
    if (w.offset % 64 != 0 || w.offset + w.bytes > m.weights_file_bytes) bad("weights " + std::to_string(i) + " out of the file or unaligned");
    if (w.kind == WeightsKind::kGpuImage && uint64_t(w.image_width) * w.image_height * 16 != w.bytes) {
      bad("weights " + std::to_string(i) + ": image size does not match its bytes");
    }
  }
  auto weights_ok = [&](int32_t w) { return w == -1 || (w >= 0 && uint32_t(w) < m.num_weights); };
  auto check_op = [&](const OpDesc& op) {
    std::string name = "operator '" + std::string(op.id ? op.id : "?") + "'";
    check_ids(op.inputs, op.num_inputs, name.c_str());
    check_ids(op.outputs, op.num_outputs, name.c_str());
    bool has_gpu = op.placement != Placement::kCpu, has_cpu = op.placement != Placement::kGpu;
    if (has_gpu != (op.num_gpu_kernels > 0)) bad(name + ": GPU kernels do not match its placement");
    if (has_cpu != (op.cpu.kind != CpuKind::kNone)) bad(name + ": CPU half does not match its placement");
    if ((op.placement == Placement::kSplit) == (op.dim == SplitDim::kNone)) bad(name + ": split dimension does not match its placement");
    for (uint32_t k = 0; k < op.num_gpu_kernels; k++) {
      const GpuKernelDesc& g = op.gpu_kernels[k];
      if (!g.file || !g.entry || g.work_dim < 1 || g.work_dim > 3) bad(name + ": bad GPU kernel description");
      for (uint32_t d = 0; d < g.work_dim; d++) {
        if (g.global[d] == 0) bad(name + ": zero global work size");
        if (g.local[0] && (g.local[d] == 0 || g.global[d] % g.local[d])) bad(name + ": global work size is not a multiple of the local size");
      }
      for (uint32_t a = 0; a < g.num_args; a++) {
        const KernelArg& arg = g.args[a];
        if (arg.kind == ArgKind::kTensor && (!tensor_ok(arg.index) || m.tensors[arg.index].gpu == GpuStorage::kNone)) {
          bad(name + ": kernel argument " + std::to_string(a) + " binds a tensor without GPU storage");
        }
        if (arg.kind == ArgKind::kWeights && (!weights_ok(arg.index) || arg.index < 0 || m.weights[arg.index].kind == WeightsKind::kHost)) {
          bad(name + ": kernel argument " + std::to_string(a) + " binds weights that are not on the GPU");
        }
      }
    }
    if (has_cpu) {
      const CpuOpDesc& c = op.cpu;
      std::vector<CpuView> views(c.inputs, c.inputs + c.num_inputs);
      views.push_back(c.output);
      for (const CpuView& v : views) {
        if (!tensor_ok(v.tensor) || !m.tensors[v.tensor].cpu) bad(name + ": CPU view of a tensor without a CPU buffer");
        const TensorDesc& t = m.tensors[v.tensor];
        if (v.row0 < 0 || v.rows < 0 || v.row0 + (v.rows ? v.rows : t.h) > t.h || (v.rows == 0 && v.row0 != 0)) bad(name + ": CPU view rows out of '" + t.name + "'");
        if (v.ch0 < 0 || v.chs < 0 || v.ch0 + (v.chs ? v.chs : t.c) > t.c || (v.chs == 0 && v.ch0 != 0)) bad(name + ": CPU view channels out of '" + t.name + "'");
      }
      if (!weights_ok(c.weights) || !weights_ok(c.bias)) bad(name + ": CPU weights id out of range");
      for (int32_t w : {c.weights, c.bias}) {
        if (w >= 0 && m.weights[w].kind != WeightsKind::kHost) bad(name + ": CPU half refers to GPU weights");
      }
      if (c.kind == CpuKind::kCustom && !c.custom) bad(name + ": custom CPU kernel without a function");
    }
  };
  for (uint32_t o = 0; o < m.num_ops; o++) check_op(m.ops[o]);
  auto check_transforms = [&](const std::string& name, const TransformDesc* list, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
      const TransformDesc& tr = list[i];
      if (!tensor_ok(tr.tensor)) bad(name + ": transform of a missing tensor");
      const TensorDesc& t = m.tensors[tr.tensor];
      if (!t.cpu || t.gpu == GpuStorage::kNone) bad(name + ": transform of '" + t.name + "', which is not on both processors");
      int32_t extent = tr.dim == SplitDim::kOC ? t.c : t.h;
      if (tr.dim != SplitDim::kNone && (tr.range.begin < 0 || tr.range.end > extent || tr.range.begin > tr.range.end)) {
        bad(name + ": transform range out of '" + t.name + "'");
      }
      if (tr.dim == SplitDim::kOC && t.gpu == GpuStorage::kImage &&
          (tr.range.begin % 4 != 0 || (tr.range.end % 4 != 0 && tr.range.end != t.c))) {
        bad(name + ": channel transform of image '" + t.name + "' must start at a multiple of 4");
      }
    }
  };
  int32_t next = 0;
  for (uint32_t k = 0; k < m.num_chains; k++) {
    const ChainDesc& c = m.chains[k];
    std::string name = "chain '" + std::string(c.id ? c.id : "?") + "'";
    if (c.first_op != next || c.num_ops <= 0) bad(name + ": chains must cover the operators in order");
    next += c.num_ops;
    check_transforms(name, c.in, c.num_in);
    check_transforms(name, c.out, c.num_out);
  }
  if (uint32_t(next) != m.num_ops) bad("chains do not cover every operator");
  // Variants: grouped by chain, the compiled cut among them, and the same operators but for rows.
  std::vector<int> compiled(m.num_chains, 0);
  for (uint32_t v = 0; v < m.num_variants; v++) {
    const ChainVariantDesc& cv = m.variants[v];
    if (cv.chain < 0 || uint32_t(cv.chain) >= m.num_chains || (v > 0 && cv.chain < m.variants[v - 1].chain)) bad("variants out of chain order");
    const ChainDesc& c = m.chains[cv.chain];
    std::string name = "variant " + std::to_string(v) + " of chain '" + std::string(c.id ? c.id : "?") + "'";
    if (c.dim != SplitDim::kH || !cv.ops) bad(name + ": only H chains have variants");
    if (v > 0 && cv.chain == m.variants[v - 1].chain && !(cv.ratio > m.variants[v - 1].ratio)) bad(name + ": variants must grow in GPU share");
    compiled[cv.chain] += cv.ops == m.ops + c.first_op;
    check_transforms(name, cv.in, cv.num_in);
    check_transforms(name, cv.out, cv.num_out);
    for (int32_t i = 0; i < c.num_ops; i++) {
      const OpDesc& a = m.ops[c.first_op + i];
      const OpDesc& b = cv.ops[i];
      check_op(b);
      bool same = std::strcmp(a.id, b.id) == 0 && a.placement == b.placement && a.dim == b.dim && a.num_inputs == b.num_inputs &&
                  a.num_outputs == b.num_outputs && a.num_gpu_kernels == b.num_gpu_kernels && a.cpu.kind == b.cpu.kind &&
                  a.cpu.num_inputs == b.cpu.num_inputs && a.cpu.weights == b.cpu.weights && a.cpu.bias == b.cpu.bias &&
                  a.cpu.pad_top == b.cpu.pad_top && a.cpu.pad_bottom == b.cpu.pad_bottom && a.cpu.flags == b.cpu.flags &&
                  a.cpu.custom == b.cpu.custom;
      for (uint32_t j = 0; same && j < a.num_inputs; j++) same = a.inputs[j] == b.inputs[j];
      for (uint32_t j = 0; same && j < a.num_outputs; j++) same = a.outputs[j] == b.outputs[j];
      for (uint32_t j = 0; same && j < a.cpu.num_inputs; j++) same = a.cpu.inputs[j].tensor == b.cpu.inputs[j].tensor;
      for (uint32_t g = 0; same && g < a.num_gpu_kernels; g++) {
        const GpuKernelDesc& ga = a.gpu_kernels[g];
        const GpuKernelDesc& gb = b.gpu_kernels[g];
        same = std::strcmp(ga.file, gb.file) == 0 && std::strcmp(ga.entry, gb.entry) == 0 && ga.num_args == gb.num_args && ga.work_dim == gb.work_dim;
        for (uint32_t k = 0; same && k < ga.num_args; k++) {
          same = ga.args[k].kind == gb.args[k].kind && (ga.args[k].kind == ArgKind::kInt || (ga.args[k].index == gb.args[k].index && ga.args[k].i == gb.args[k].i));
        }
      }
      if (!same) bad(name + ": operator '" + a.id + "' differs from the compiled one in more than rows");
    }
  }
  for (uint32_t v = 0; v < m.num_variants; v++) {
    if (compiled[m.variants[v].chain] != 1) bad("chain '" + std::string(m.chains[m.variants[v].chain].id) + "': its variants must include the compiled cut once");
  }
}

// ---- construction -----------------------------------------------------------

Runtime::Runtime(const ModelDesc& model, const std::string& bundle_dir, const codl_options& options)
    : m_(model), bundle_dir_(bundle_dir.empty() ? "." : bundle_dir), trace_(options.trace != 0) {
  validate_model(m_);
  if (options.cache_dir) {
    cache_dir_ = options.cache_dir;
  } else if (const char* env = std::getenv("CODL_CACHE_DIR")) {
    cache_dir_ = env;
  }
  threads_ = options.num_threads > 0 ? options.num_threads
             : m_.default_threads > 0 ? int(m_.default_threads)
                                      : int(std::max(1u, std::thread::hardware_concurrency()));
  auto cores = [](const char* given, const char* env, const char* what) {
    const char* spec = given ? given : std::getenv(env);
    return spec && *spec ? parse_core_list(spec, what) : std::vector<int>{};
  };
  cpu_cores_ = cores(options.cpu_cores, "CODL_CPU_CORES", "CPU cores");
  gpu_cores_ = cores(options.gpu_cores, "CODL_GPU_CORES", "GPU driver cores");
  // Without an explicit thread count, the default fits the pinned cores.
  if (!cpu_cores_.empty() && options.num_threads <= 0) threads_ = std::min(threads_, int(cpu_cores_.size()));
  if (!cpu_cores_.empty() && size_t(threads_) > cpu_cores_.size()) {
    // XNNPACK's pool spins while it waits: more threads than cores stalls it.
    fail(CODL_ERR_INVALID_ARGUMENT, std::to_string(threads_) + " CPU threads do not fit CPU cores " + format_core_list(cpu_cores_) + " (" +
                                        std::to_string(cpu_cores_.size()) + "); use at most one thread per core");
  }
  op_.resize(m_.num_ops);
  for (uint32_t o = 0; o < m_.num_ops; o++) op_[o] = &m_.ops[o];
  chains_.resize(m_.num_chains);
  for (uint32_t k = 0; k < m_.num_chains; k++) {
    const ChainDesc& c = m_.chains[k];
    chains_[k].in = c.in, chains_[k].num_in = c.num_in, chains_[k].out = c.out, chains_[k].num_out = c.num_out;
  }
  for (uint32_t v = 0; v < m_.num_variants; v++) {
    ChainState& st = chains_[m_.variants[v].chain];
    if (st.first < 0) st.first = int32_t(v);
    if (m_.variants[v].ops == m_.ops + m_.chains[m_.variants[v].chain].first_op) st.cur = st.count;
    st.count++;
  }
  const char* no_rebalance = std::getenv("CODL_REBALANCE");
  rebalance_ = options.rebalance != 0 && !(no_rebalance && std::strcmp(no_rebalance, "0") == 0) && options.variant_offset == 0 &&
               m_.num_variants > 0;
  load_weights();
  plan_memory();
  setup_gpu();
  setup_cpu();
  if (options.variant_offset != 0) {
    for (size_t k = 0; k < chains_.size(); k++) {
      if (chains_[k].first >= 0) set_variant(k, std::min(chains_[k].count - 1, std::max(0, chains_[k].cur + options.variant_offset)));
    }
  }
}

Runtime::~Runtime() {
  for (const CpuOp& op : xops_) for (xnn_operator* x : op) xnn_delete_operator(x);
  if (pool_) pthreadpool_destroy(pool_);
#ifndef CODL_CPU_ONLY
  for (size_t t = 0; t < cpu_ptr_.size(); t++) {
    if (cpu_slot_[t] >= 0 && slots_[cpu_slot_[t]]->mapped) unmap_cpu(int32_t(t));
  }
  if (cl_.queue) clFinish(cl_.queue);
  for (auto& it : iterations_) for (auto& e : it.events) clReleaseEvent(e.event);
  for (auto& ks : kernels_) for (cl_kernel k : ks) clReleaseKernel(k);
  if (image_to_buffer_) clReleaseKernel(image_to_buffer_);
  if (buffer_to_image_) clReleaseKernel(buffer_to_image_);
  for (cl_program p : programs_) clReleaseProgram(p);
  for (cl_mem w : gpu_weights_) if (w) clReleaseMemObject(w);
#endif
  slots_.clear();
  std::free(blob_);
}

void Runtime::load_weights() {
  std::string path = bundle_dir_ + "/weights.bin";
  // Benchmarking aid: CODL_SYNTHETIC_WEIGHTS=1 runs a bundle whose weights.bin was
  // left behind (full-size weights are too large to carry to a test machine).
  // Latency does not depend on weight values; the outputs are meaningless.
  const char* synthetic = std::getenv("CODL_SYNTHETIC_WEIGHTS");
  if (synthetic != nullptr && std::string(synthetic) == "1" && !std::ifstream(path)) {
    size_t alloc = (m_.weights_file_bytes + XNN_EXTRA_BYTES + 63) / 64 * 64;
    blob_ = static_cast<uint8_t*>(std::aligned_alloc(64, alloc));
    if (!blob_) fail(CODL_ERR_RUNTIME, "out of memory for synthetic weights");
    std::memset(blob_, 0, alloc);
    float* w = reinterpret_cast<float*>(blob_);
    uint32_t state = 0x9e3779b9u;
    for (uint64_t i = 0; i < m_.weights_file_bytes / 4; i++) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      w[i] = (float(state) / 4294967296.0f - 0.5f) * 0.04f;  // small, finite, never denormal-heavy
    }
    std::fprintf(stderr, "codl: CODL_SYNTHETIC_WEIGHTS=1: %s is absent, running on synthetic weights (timing only)\n", path.c_str());
    return;
  }
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) fail(CODL_ERR_BUNDLE, path + ": cannot open the weights file (is --bundle the bundle directory?)");
  uint64_t size = uint64_t(f.tellg());
  if (size != m_.weights_file_bytes) {
    fail(CODL_ERR_BUNDLE, path + ": " + std::to_string(size) + " bytes, the model expects " +
                              std::to_string(m_.weights_file_bytes) + " (truncated, or from another compile)");
  }
  size_t alloc = (size + XNN_EXTRA_BYTES + 63) / 64 * 64;
  blob_ = static_cast<uint8_t*>(std::aligned_alloc(64, alloc ? alloc : 64));
  if (!blob_) fail(CODL_ERR_RUNTIME, "out of memory loading " + path);
  std::memset(blob_ + size, 0, alloc - size);
  f.seekg(0);
  if (size && !f.read(reinterpret_cast<char*>(blob_), std::streamsize(size))) fail(CODL_ERR_BUNDLE, path + ": read failed");
  uint32_t crc = crc32(blob_, size);
  if (crc != m_.weights_crc32) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "CRC-32 %08x, the model expects %08x", crc, m_.weights_crc32);
    fail(CODL_ERR_BUNDLE, path + ": corrupt weights (" + buf + "); rebuild or re-copy the bundle");
  }
}

// Liveness at chain granularity: within a chain both processors run at once,
// so a tensor is live from the first to the last chain that references it.
// Slots are handed out first-fit in order of first use; graph inputs and
// outputs keep their own.
void Runtime::plan_memory() {
  const uint32_t nt = m_.num_tensors;
  image_slot_.assign(nt, -1);
  gpu_buffer_slot_.assign(nt, -1);
  cpu_slot_.assign(nt, -1);
  cpu_ptr_.assign(nt, nullptr);
  std::vector<int> first(nt, int(m_.num_chains)), last(nt, -1);
  auto uses = tensors_by_chain(m_);
  for (uint32_t k = 0; k < m_.num_chains; k++) {
    for (int32_t t : uses[k]) {
      first[t] = std::min(first[t], int(k));
      last[t] = std::max(last[t], int(k));
    }
  }
  std::vector<bool> pinned(nt, false);
  for (uint32_t i = 0; i < m_.num_inputs; i++) pinned[m_.inputs[i]] = true;
  for (uint32_t i = 0; i < m_.num_outputs; i++) pinned[m_.outputs[i]] = true;

  std::vector<int32_t> order(nt);
  for (uint32_t t = 0; t < nt; t++) order[t] = int32_t(t);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return first[a] < first[b]; });

  auto assign = [&](int32_t t, Slot::Kind kind, DType dtype, size_t w, size_t h, size_t bytes) {
    int best = -1;
    if (!pinned[t]) {
      for (size_t s = 0; s < slots_.size(); s++) {
        Slot& sl = *slots_[s];
        if (sl.kind != kind || sl.dtype != dtype || sl.owner >= 0) continue;
        best = int(s);
        break;
      }
    }
    if (best < 0) {
      slots_.push_back(std::make_unique<Slot>());
      slots_.back()->kind = kind;
      slots_.back()->dtype = dtype;
      best = int(slots_.size() - 1);
    }
    Slot& sl = *slots_[best];
    sl.width = std::max(sl.width, w);
    sl.height = std::max(sl.height, h);
    sl.bytes = std::max(sl.bytes, bytes);
    sl.owner = pinned[t] ? int32_t(nt) : t;  // pinned slots are never freed
    return best;
  };
  std::vector<int32_t> live;
  for (int32_t t : order) {
    const TensorDesc& d = m_.tensors[t];
    if (last[t] < 0 && !pinned[t]) continue;  // unused
    // Free the slots of tensors dead before this one is born.
    for (auto it = live.begin(); it != live.end();) {
      if (last[*it] < first[t]) {
        for (int s : {image_slot_[*it], gpu_buffer_slot_[*it], cpu_slot_[*it]}) {
          if (s >= 0 && slots_[s]->owner == *it) slots_[s]->owner = -1;
        }
        it = live.erase(it);
      } else {
        ++it;
      }
    }
    size_t bytes = size_t(numel(d)) * 4;
    if (d.gpu == GpuStorage::kImage) {
      image_slot_[t] = assign(t, Slot::kImage, d.gpu_dtype, size_t(d.w) * blocks4(d.c), size_t(d.n) * d.h, 0);
    } else if (d.gpu == GpuStorage::kBuffer) {
      gpu_buffer_slot_[t] = assign(t, Slot::kGpuBuffer, DType::kF32, 0, 0, bytes);
    }
    if (d.cpu) cpu_slot_[t] = assign(t, Slot::kCpuBuffer, DType::kF32, 0, 0, bytes + XNN_EXTRA_BYTES);
    if (!pinned[t]) live.push_back(t);
  }
}

void Runtime::setup_gpu() {
  bool needs_gpu = false;
  for (uint32_t t = 0; t < m_.num_tensors; t++) needs_gpu |= m_.tensors[t].gpu != GpuStorage::kNone;
  for (uint32_t o = 0; o < m_.num_ops; o++) needs_gpu |= m_.ops[o].placement != Placement::kCpu;
#ifdef CODL_CPU_ONLY
  for (uint32_t o = 0; o < m_.num_ops; o++) {
    if (m_.ops[o].placement != Placement::kCpu) {
      fail(CODL_ERR_UNSUPPORTED, std::string("operator '") + m_.ops[o].id + "' runs on the GPU, but this runtime was built with "
                                 "CODL_CPU_ONLY (no OpenCL); compile the model with --strategy cpu or build with OpenCL");
    }
  }
  if (needs_gpu) fail(CODL_ERR_UNSUPPORTED, "the model keeps tensors on the GPU, but this runtime was built with CODL_CPU_ONLY");
  for (auto& s : slots_) {
    s->host = static_cast<float*>(std::aligned_alloc(64, (s->bytes + 63) / 64 * 64));
    if (!s->host) fail(CODL_ERR_RUNTIME, "out of memory for a CPU tensor");
    std::memset(s->host, 0, s->bytes);
    s->mapped = s->host;
  }
  for (uint32_t t = 0; t < m_.num_tensors; t++) if (cpu_slot_[t] >= 0) cpu_ptr_[t] = slots_[cpu_slot_[t]]->host;
  device_string_ = "CPU only";
#else
  if (!needs_gpu) {
    // A CPU-only model on an OpenCL build still shares memory through host buffers, but needs no device.
    for (auto& s : slots_) {
      s->host = static_cast<float*>(std::aligned_alloc(64, (s->bytes + 63) / 64 * 64));
      if (!s->host) fail(CODL_ERR_RUNTIME, "out of memory for a CPU tensor");
      std::memset(s->host, 0, s->bytes);
      s->mapped = s->host;
    }
    for (uint32_t t = 0; t < m_.num_tensors; t++) if (cpu_slot_[t] >= 0) cpu_ptr_[t] = slots_[cpu_slot_[t]]->host;
    device_string_ = "CPU only";
    return;
  }
  {
    // Threads the driver starts now (PoCL's workers) inherit this thread's cores.
    PinnedThread driver_threads(gpu_cores_);
    open_cl(cl_, trace_ || rebalance_);  // rebalancing times the GPU side with profiling too
  }
  device_string_ = "OpenCL: " + cl_.description;
  if (!gpu_cores_.empty()) device_string_ += " (driver threads on cores " + format_core_list(gpu_cores_) + ")";
  size_t max_w = 0, max_h = 0;
  clGetDeviceInfo(cl_.device, CL_DEVICE_IMAGE2D_MAX_WIDTH, sizeof max_w, &max_w, nullptr);
  clGetDeviceInfo(cl_.device, CL_DEVICE_IMAGE2D_MAX_HEIGHT, sizeof max_h, &max_h, nullptr);
  cl_int st = CL_SUCCESS;
  for (auto& s : slots_) {
    if (s->kind == Slot::kImage) {
      if (s->width > max_w || s->height > max_h) {
        fail(CODL_ERR_UNSUPPORTED, "an image tensor of " + std::to_string(s->width) + "×" + std::to_string(s->height) +
                                       " pixels exceeds the device's image2d limit " + std::to_string(max_w) + "×" +
                                       std::to_string(max_h) + "; compile with buffer storage");
      }
      cl_image_format fmt{CL_RGBA, s->dtype == DType::kF16 ? cl_channel_type(CL_HALF_FLOAT) : cl_channel_type(CL_FLOAT)};
      cl_image_desc desc{};
      desc.image_type = CL_MEM_OBJECT_IMAGE2D;
      desc.image_width = s->width;
      desc.image_height = s->height;
      s->mem = clCreateImage(cl_.context, CL_MEM_READ_WRITE, &fmt, &desc, nullptr, &st);
      cl_check(st, "clCreateImage (tensor)");
    } else if (s->kind == Slot::kGpuBuffer) {
      s->mem = clCreateBuffer(cl_.context, CL_MEM_READ_WRITE, s->bytes, nullptr, &st);
      cl_check(st, "clCreateBuffer (GPU tensor)");
    } else {
      // Host-visible: zero-copy map on unified-memory SoCs.
      s->mem = clCreateBuffer(cl_.context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, s->bytes, nullptr, &st);
      cl_check(st, "clCreateBuffer (CPU tensor)");
    }
  }

  gpu_weights_.assign(m_.num_weights, nullptr);
  for (uint32_t i = 0; i < m_.num_weights; i++) {
    const WeightsDesc& w = m_.weights[i];
    if (w.kind == WeightsKind::kGpuBuffer) {
      gpu_weights_[i] = clCreateBuffer(cl_.context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, std::max<uint64_t>(w.bytes, 4),
                                       blob_ + w.offset, &st);
      cl_check(st, "clCreateBuffer (weights)");
    } else if (w.kind == WeightsKind::kGpuImage) {
      cl_image_format fmt{CL_RGBA, CL_FLOAT};
      cl_image_desc desc{};
      desc.image_type = CL_MEM_OBJECT_IMAGE2D;
      desc.image_width = w.image_width;
      desc.image_height = w.image_height;
      gpu_weights_[i] = clCreateImage(cl_.context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, &fmt, &desc, blob_ + w.offset, &st);
      cl_check(st, "clCreateImage (weights)");
    }
  }

  static const char kTransformSource[] =
#include "codl_transform_cl.inc"
      ;
  cl_program tp = build_program(cl_, kTransformSource, "-cl-std=CL1.2", cache_dir_, "runtime/kernels/transform.cl");
  programs_.push_back(tp);
  image_to_buffer_ = clCreateKernel(tp, "image_to_buffer", &st);
  cl_check(st, "clCreateKernel(image_to_buffer)");
  buffer_to_image_ = clCreateKernel(tp, "buffer_to_image", &st);
  cl_check(st, "clCreateKernel(buffer_to_image)");

  std::map<std::pair<std::string, std::string>, cl_program> built;
  kernels_.resize(m_.num_ops);
  for (uint32_t o = 0; o < m_.num_ops; o++) {
    const OpDesc& op = m_.ops[o];
    for (uint32_t k = 0; k < op.num_gpu_kernels; k++) {
      const GpuKernelDesc& g = op.gpu_kernels[k];
      std::string options = std::string("-cl-std=CL1.2 ") + (g.options ? g.options : "");
      auto key = std::make_pair(std::string(g.file), options);
      cl_program p;
      if (built.count(key)) {
        p = built[key];
      } else {
        std::string rel = std::string("kernels/") + g.file;
        std::ifstream f(bundle_dir_ + "/" + rel, std::ios::binary);
        if (!f) fail(CODL_ERR_BUNDLE, bundle_dir_ + "/" + rel + ": cannot open the kernel source of operator '" + op.id + "'");
        std::string source((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        p = build_program(cl_, source, options, cache_dir_, rel);
        programs_.push_back(p);
        built[key] = p;
      }
      cl_kernel kern = clCreateKernel(p, g.entry, &st);
      if (st != CL_SUCCESS) {
        fail(CODL_ERR_BUNDLE, std::string("kernels/") + g.file + ": no kernel '" + g.entry + "' for operator '" + op.id + "' (" + cl_error_name(st) + ")");
      }
      kernels_[o].push_back(kern);
      for (uint32_t a = 0; a < g.num_args; a++) {
        const KernelArg& arg = g.args[a];
        cl_int s2 = CL_SUCCESS;
        switch (arg.kind) {
          case ArgKind::kTensor: {
            const TensorDesc& t = m_.tensors[arg.index];
            int slot = t.gpu == GpuStorage::kImage ? image_slot_[arg.index] : gpu_buffer_slot_[arg.index];
            s2 = clSetKernelArg(kern, a, sizeof(cl_mem), &slots_[slot]->mem);
            break;
          }
          case ArgKind::kWeights: s2 = clSetKernelArg(kern, a, sizeof(cl_mem), &gpu_weights_[arg.index]); break;
          case ArgKind::kInt: s2 = clSetKernelArg(kern, a, sizeof(cl_int), &arg.i); break;
          case ArgKind::kFloat: s2 = clSetKernelArg(kern, a, sizeof(cl_float), &arg.f); break;
          case ArgKind::kLocal: s2 = clSetKernelArg(kern, a, size_t(arg.i), nullptr); break;
        }
        if (s2 != CL_SUCCESS) {
          fail(CODL_ERR_BUNDLE, std::string("operator '") + op.id + "': argument " + std::to_string(a) + " of kernel '" + g.entry +
                                    "' in kernels/" + g.file + " does not fit (" + cl_error_name(s2) + ")");
        }
      }
    }
  }
#endif
}

void Runtime::setup_cpu() {
  xnn_status st = xnn_initialize(nullptr);
  if (st != xnn_status_success) fail(CODL_ERR_UNSUPPORTED, "XNNPACK cannot initialise on this CPU (status " + std::to_string(int(st)) + ")");
  if (threads_ > 1) {
    PinnedThread pool_threads(cpu_cores_);  // the pool's workers inherit it
    pool_ = pthreadpool_create(size_t(threads_));
  }
  xops_.assign(m_.num_ops, CpuOp{});
  for (uint32_t o = 0; o < m_.num_ops; o++) {
    if (m_.ops[o].cpu.kind != CpuKind::kNone) xops_[o] = create_cpu_op(m_, m_.ops[o], blob_);
  }
  device_string_ += " | XNNPACK, " + std::to_string(threads_) + (threads_ == 1 ? " thread" : " threads");
  if (!cpu_cores_.empty()) device_string_ += " on cores " + format_core_list(cpu_cores_);
}

// ---- host <-> tensor --------------------------------------------------------

float* Runtime::map_cpu(int32_t tensor, bool blocking) {
  Slot& s = *slots_[cpu_slot_[tensor]];
#ifndef CODL_CPU_ONLY
  if (!s.mapped) {
    cl_int st = CL_SUCCESS;
    s.mapped = static_cast<float*>(clEnqueueMapBuffer(cl_.queue, s.mem, blocking ? CL_TRUE : CL_FALSE, CL_MAP_READ | CL_MAP_WRITE,
                                                      0, s.bytes, 0, nullptr, nullptr, &st));
    cl_check(st, "clEnqueueMapBuffer");
  }
#else
  (void)blocking;
#endif
  cpu_ptr_[tensor] = s.mapped;
  return s.mapped;
}

void Runtime::unmap_cpu(int32_t tensor) {
#ifndef CODL_CPU_ONLY
  Slot& s = *slots_[cpu_slot_[tensor]];
  if (s.mapped && s.mem) {
    cl_check(clEnqueueUnmapMemObject(cl_.queue, s.mem, s.mapped, 0, nullptr, nullptr), "clEnqueueUnmapMemObject");
    s.mapped = nullptr;
    cpu_ptr_[tensor] = nullptr;
  }
#else
  (void)tensor;
#endif
}

void Runtime::write_input(int32_t tensor, const float* src) {
  const TensorDesc& t = m_.tensors[tensor];
  const size_t C = t.c, H = t.h, W = t.w;
  if (t.home == Proc::kCpu) {
    float* dst = map_cpu(tensor, true);
    for (int32_t n = 0; n < t.n; n++)
      for (size_t c = 0; c < C; c++)
        for (size_t y = 0; y < H; y++)
          for (size_t x = 0; x < W; x++) dst[((n * H + y) * W + x) * C + c] = src[((n * C + c) * H + y) * W + x];
    unmap_cpu(tensor);
    return;
  }
#ifndef CODL_CPU_ONLY
  if (t.gpu == GpuStorage::kImage) {
    const size_t CB = size_t(blocks4(t.c));
    std::vector<float> px(size_t(t.n) * H * W * CB * 4, 0.0f);
    for (int32_t n = 0; n < t.n; n++)
      for (size_t c = 0; c < C; c++)
        for (size_t y = 0; y < H; y++)
          for (size_t x = 0; x < W; x++) px[(((n * H + y) * CB + c / 4) * W + x) * 4 + c % 4] = src[((n * C + c) * H + y) * W + x];
    if (t.gpu_dtype == DType::kF16) fail(CODL_ERR_UNSUPPORTED, std::string("graph input '") + t.name + "' in fp16 image storage");
    size_t origin[3] = {0, 0, 0}, region[3] = {W * CB, size_t(t.n) * H, 1};
    cl_check(clEnqueueWriteImage(cl_.queue, slots_[image_slot_[tensor]]->mem, CL_TRUE, origin, region, 0, 0, px.data(), 0,
                                 nullptr, nullptr),
             "clEnqueueWriteImage (input)");
  } else {
    std::vector<float> nhwc(size_t(numel(t)));
    for (int32_t n = 0; n < t.n; n++)
      for (size_t c = 0; c < C; c++)
        for (size_t y = 0; y < H; y++)
          for (size_t x = 0; x < W; x++) nhwc[((n * H + y) * W + x) * C + c] = src[((n * C + c) * H + y) * W + x];
    cl_check(clEnqueueWriteBuffer(cl_.queue, slots_[gpu_buffer_slot_[tensor]]->mem, CL_TRUE, 0, nhwc.size() * 4, nhwc.data(), 0,
                                  nullptr, nullptr),
             "clEnqueueWriteBuffer (input)");
  }
#endif
}

void Runtime::read_output(int32_t tensor, float* dst) {
  const TensorDesc& t = m_.tensors[tensor];
  const size_t C = t.c, H = t.h, W = t.w;
  if (t.home == Proc::kCpu) {
    const float* src = map_cpu(tensor, true);
    for (int32_t n = 0; n < t.n; n++)
      for (size_t c = 0; c < C; c++)
        for (size_t y = 0; y < H; y++)
          for (size_t x = 0; x < W; x++) dst[((n * C + c) * H + y) * W + x] = src[((n * H + y) * W + x) * C + c];
    unmap_cpu(tensor);
    return;
  }
#ifndef CODL_CPU_ONLY
  if (t.gpu == GpuStorage::kImage) {
    const size_t CB = size_t(blocks4(t.c));
    std::vector<float> px(size_t(t.n) * H * W * CB * 4);
    if (t.gpu_dtype == DType::kF16) fail(CODL_ERR_UNSUPPORTED, std::string("graph output '") + t.name + "' in fp16 image storage");
    size_t origin[3] = {0, 0, 0}, region[3] = {W * CB, size_t(t.n) * H, 1};
    cl_check(clEnqueueReadImage(cl_.queue, slots_[image_slot_[tensor]]->mem, CL_TRUE, origin, region, 0, 0, px.data(), 0, nullptr,
                                nullptr),
             "clEnqueueReadImage (output)");
    for (int32_t n = 0; n < t.n; n++)
      for (size_t c = 0; c < C; c++)
        for (size_t y = 0; y < H; y++)
          for (size_t x = 0; x < W; x++) dst[((n * C + c) * H + y) * W + x] = px[(((n * H + y) * CB + c / 4) * W + x) * 4 + c % 4];
  } else {
    std::vector<float> nhwc(size_t(numel(t)));
    cl_check(clEnqueueReadBuffer(cl_.queue, slots_[gpu_buffer_slot_[tensor]]->mem, CL_TRUE, 0, nhwc.size() * 4, nhwc.data(), 0,
                                 nullptr, nullptr),
             "clEnqueueReadBuffer (output)");
    for (int32_t n = 0; n < t.n; n++)
      for (size_t c = 0; c < C; c++)
        for (size_t y = 0; y < H; y++)
          for (size_t x = 0; x < W; x++) dst[((n * C + c) * H + y) * W + x] = nhwc[((n * H + y) * W + x) * C + c];
  }
#endif
}

// ---- the schedule -------------------------------------------------------------

void Runtime::enqueue_transform(const TransformDesc& tr, size_t chain, const char* what, Iteration* it) {
#ifdef CODL_CPU_ONLY
  (void)tr, (void)chain, (void)what, (void)it;
#else
  const TensorDesc& t = m_.tensors[tr.tensor];
  int32_t row0 = 0, rows = t.h, c0 = 0, c1 = t.c;
  if (tr.dim == SplitDim::kH) {
    row0 = tr.range.begin;
    rows = tr.range.end - tr.range.begin;
  } else if (tr.dim == SplitDim::kOC) {
    c0 = tr.range.begin;
    c1 = tr.range.end;
  }
  if (rows <= 0 || c1 <= c0) return;
  // The OpenCL command must not touch a mapped buffer: unmap it first (in queue order).
  if (slots_[cpu_slot_[tr.tensor]]->mapped) unmap_cpu(tr.tensor);
  cl_mem cpu = slots_[cpu_slot_[tr.tensor]]->mem;
  cl_event ev = nullptr;
  cl_event* evp = it ? &ev : nullptr;
  if (t.gpu == GpuStorage::kImage) {
    cl_kernel k = tr.to == Proc::kCpu ? image_to_buffer_ : buffer_to_image_;
    cl_mem img = slots_[image_slot_[tr.tensor]]->mem;
    cl_int a[7] = {t.h, t.w, t.c, row0, rows, c0 / 4, blocks4(c1) - c0 / 4};
    cl_check(clSetKernelArg(k, 0, sizeof(cl_mem), tr.to == Proc::kCpu ? &img : &cpu), "clSetKernelArg (transform)");
    cl_check(clSetKernelArg(k, 1, sizeof(cl_mem), tr.to == Proc::kCpu ? &cpu : &img), "clSetKernelArg (transform)");
    for (int i = 0; i < 7; i++) cl_check(clSetKernelArg(k, cl_uint(2 + i), sizeof(cl_int), &a[i]), "clSetKernelArg (transform)");
    size_t global[3] = {size_t(t.w), size_t(a[6]), size_t(t.n) * size_t(rows)};
    cl_check(clEnqueueNDRangeKernel(cl_.queue, k, 3, nullptr, global, nullptr, 0, nullptr, evp), "clEnqueueNDRangeKernel (transform)");
  } else {
    cl_mem gpu = slots_[gpu_buffer_slot_[tr.tensor]]->mem;
    size_t origin[3] = {size_t(c0) * 4, size_t(row0) * t.w, 0};
    size_t region[3] = {size_t(c1 - c0) * 4, size_t(rows) * t.w, size_t(t.n)};
    size_t row_pitch = size_t(t.c) * 4, slice_pitch = size_t(t.h) * t.w * t.c * 4;
    cl_check(clEnqueueCopyBufferRect(cl_.queue, tr.to == Proc::kCpu ? gpu : cpu, tr.to == Proc::kCpu ? cpu : gpu, origin, origin,
                                     region, row_pitch, slice_pitch, row_pitch, slice_pitch, 0, nullptr, evp),
             "clEnqueueCopyBufferRect (transform)");
  }
  if (it) it->events.push_back({ev, -1, int32_t(chain), what});
#endif
}

void Runtime::run_chain(size_t k, Iteration* it) {
  const ChainDesc& c = m_.chains[k];
  ChainState& st = chains_[k];
  const bool timed = rebalance_ && st.first >= 0;
  const auto t_start = Clock::now();
  if (it) it->chain_start_ms[k] = ms_between(run_start_, t_start);
  if (it) it->chain_variant[k] = st.cur;
  // 1. Transform the CPU's input slab.
  for (uint32_t i = 0; i < st.num_in; i++) enqueue_transform(st.in[i], k, "transform_in", it);
  // 2. Map. CPU tensors stay mapped from chain to chain; a transform unmaps the
  // one it reads or writes (enqueue_transform), so only those are mapped again
  // here, the last of them blocking: the in-order queue has then finished the
  // transforms. A chain whose tensors are all mapped costs no map at all.
  std::vector<int32_t> cpu_tensors = cpu_tensors_of_chain(m_, c);  // variants view the same tensors
  const auto t_map = Clock::now();
  int32_t last_unmapped = -1;
  for (int32_t t : cpu_tensors)
    if (!slots_[cpu_slot_[t]]->mapped) last_unmapped = t;
  for (int32_t t : cpu_tensors) map_cpu(t, t == last_unmapped);
  if (it) it->chain_map_ms[k] = ms_between(t_map, Clock::now());
#ifndef CODL_CPU_ONLY
  // 3. The GPU halves of the whole chain, flushed before the CPU starts its halves.
  for (int32_t o = c.first_op; o < c.first_op + c.num_ops; o++) {
    const OpDesc& op = *op_[o];
    for (uint32_t g = 0; g < op.num_gpu_kernels; g++) {
      const GpuKernelDesc& kd = op.gpu_kernels[g];
      cl_event ev = nullptr;
      cl_int err = clEnqueueNDRangeKernel(cl_.queue, kernels_[o][g], kd.work_dim, nullptr, kd.global, kd.local[0] ? kd.local : nullptr,
                                          0, nullptr, it || timed ? &ev : nullptr);
      if (err != CL_SUCCESS) {
        fail(CODL_ERR_RUNTIME, std::string("enqueueing kernel '") + kd.entry + "' of operator '" + op.id + "' failed: " + cl_error_name(err));
      }
      if (timed) {  // keep the chain's first and last kernel for rebalance()
        if (!st.first_ev) {
          st.first_ev = ev;
        } else if (st.last_ev != st.first_ev) {
          clReleaseEvent(st.last_ev);
        }
        clRetainEvent(ev);
        st.last_ev = ev;
      }
      if (it) {
        it->events.push_back({ev, o, int32_t(k), "gpu"});
      } else if (ev) {
        clReleaseEvent(ev);
      }
    }
  }
  if (cl_.queue) cl_check(clFlush(cl_.queue), "clFlush");
  if (it) {
    double t = ms_between(run_start_, Clock::now());
    it->timeline.push_back({-1, int32_t(k), "flush", t, t});
  }
#endif
  const auto t_cpu = Clock::now();
  for (int32_t o = c.first_op; o < c.first_op + c.num_ops; o++) {
    const OpDesc& op = *op_[o];
    if (op.cpu.kind == CpuKind::kNone) continue;
    const auto t0 = Clock::now();
    run_cpu_op(m_, op, xops_[o], cpu_ptr_.data(), blob_, pool_);
    if (it) {
      it->op_cpu_start_ms[o] = ms_between(run_start_, t0);
      it->op_cpu_ms[o] = ms_between(t0, Clock::now());
    }
  }
  if (timed) st.cpu_ms = ms_between(t_cpu, Clock::now());
  // 4. Transform the CPU's output slab back (unmapping what it reads); 5. flush (the next map synchronises).
  for (uint32_t i = 0; i < st.num_out; i++) enqueue_transform(st.out[i], k, "transform_out", it);
#ifndef CODL_CPU_ONLY
  if (cl_.queue) cl_check(clFlush(cl_.queue), "clFlush");
#endif
  if (it) it->chain_wall_ms[k] = ms_between(t_start, Clock::now());
}

// ---- rebalancing ---------------------------------------------------------------

void Runtime::set_variant(size_t k, int32_t variant) {
  ChainState& st = chains_[k];
  const ChainVariantDesc& v = m_.variants[st.first + variant];
  const ChainDesc& c = m_.chains[k];
  st.cur = variant;
  st.in = v.in, st.num_in = v.num_in, st.out = v.out, st.num_out = v.num_out;
  for (int32_t i = 0; i < c.num_ops; i++) {
    const int32_t o = c.first_op + i;
    op_[o] = &v.ops[i];
#ifndef CODL_CPU_ONLY
    // Kernels are shared by every variant; only their integer arguments (rows) differ.
    for (uint32_t g = 0; g < v.ops[i].num_gpu_kernels && size_t(o) < kernels_.size(); g++) {
      const GpuKernelDesc& kd = v.ops[i].gpu_kernels[g];
      for (uint32_t a = 0; a < kd.num_args; a++) {
        if (kd.args[a].kind == ArgKind::kInt) cl_check(clSetKernelArg(kernels_[o][g], a, sizeof(cl_int), &kd.args[a].i), "clSetKernelArg (variant)");
      }
    }
#endif
  }
}

// After each run: every chain with variants, its GPU side's time (its
// kernels' span, from profiling) and its CPU side's (its halves, on the host
// clock) to rebalance.h's next_cut. The first run only warms up.
void Runtime::rebalance() {
#ifndef CODL_CPU_ONLY
  for (size_t k = 0; k < chains_.size(); k++) {
    ChainState& st = chains_[k];
    if (!st.first_ev) continue;
    cl_ulong start = 0, end = 0;
    clGetEventProfilingInfo(st.first_ev, CL_PROFILING_COMMAND_START, sizeof start, &start, nullptr);
    clGetEventProfilingInfo(st.last_ev, CL_PROFILING_COMMAND_END, sizeof end, &end, nullptr);
    if (st.last_ev != st.first_ev) clReleaseEvent(st.last_ev);
    clReleaseEvent(st.first_ev);
    st.first_ev = st.last_ev = nullptr;
    const double gpu_ms = end > start ? (end - start) * 1e-6 : 0;
    if (runs_ < 2 || gpu_ms <= 0 || st.cpu_ms <= 0) continue;
    if (st.cut_times.empty()) st.cut_times.resize(size_t(st.count));
    const int32_t next = next_cut(st.cut_times, st.cur, st.cpu_ms, gpu_ms, runs_);
    if (next != st.cur) {
      set_variant(k, next);
      st.moves++;
    }
  }
#endif
}

std::string Runtime::cuts_text() const {
  std::string s;
  char buf[128];
  for (size_t k = 0; k < chains_.size(); k++) {
    const ChainState& st = chains_[k];
    if (st.first < 0) continue;
    const double now = m_.variants[st.first + st.cur].ratio, compiled = m_.chains[k].ratio;
    if (now == compiled) {
      std::snprintf(buf, sizeof buf, "%s %.3f (%d moves)", m_.chains[k].id, compiled, st.moves);
    } else {
      std::snprintf(buf, sizeof buf, "%s %.3f->%.3f (%d moves)", m_.chains[k].id, compiled, now, st.moves);
    }
    s += (s.empty() ? "" : ", ") + std::string(buf);
  }
  return s;
}

void Runtime::run(const codl_tensor* inputs, size_t num_inputs, codl_tensor* outputs, size_t num_outputs) {
  PinnedThread caller(cpu_cores_);  // XNNPACK runs on the calling thread too
  auto match = [&](const codl_tensor* ts, size_t n, const int32_t* ids, uint32_t count, const char* what) {
    std::vector<const codl_tensor*> bound(count, nullptr);
    if (n != count) {
      fail(CODL_ERR_INVALID_ARGUMENT, std::string("the model has ") + std::to_string(count) + " " + what + "s, " + std::to_string(n) + " given");
    }
    for (size_t i = 0; i < n; i++) {
      size_t slot = i;
      if (ts[i].name) {
        slot = count;
        for (uint32_t j = 0; j < count; j++) if (std::strcmp(m_.tensors[ids[j]].name, ts[i].name) == 0) slot = j;
        if (slot == count) {
          std::string names;
          for (uint32_t j = 0; j < count; j++) names += (j ? ", " : "") + std::string(m_.tensors[ids[j]].name);
          fail(CODL_ERR_INVALID_ARGUMENT, std::string("no ") + what + " named '" + ts[i].name + "' (the model's " + what + "s: " + names + ")");
        }
      }
      if (bound[slot]) fail(CODL_ERR_INVALID_ARGUMENT, std::string(what) + " '" + m_.tensors[ids[slot]].name + "' given twice");
      bound[slot] = &ts[i];
      const TensorDesc& d = m_.tensors[ids[slot]];
      int64_t want[4];
      logical_shape(d, want);
      if (ts[i].dtype != CODL_FLOAT32) fail(CODL_ERR_INVALID_ARGUMENT, std::string(what) + " '" + d.name + "': only float32 is supported");
      bool same = ts[i].rank == d.rank && ts[i].shape;
      for (uint32_t r = 0; same && r < d.rank; r++) same = ts[i].shape[r] == want[r];
      if (!same) {
        fail(CODL_ERR_INVALID_ARGUMENT, std::string(what) + " '" + d.name + "' has shape " +
                                            (ts[i].shape ? shape_text(ts[i].shape, ts[i].rank) : "(none)") + ", the model expects " +
                                            shape_text(want, d.rank));
      }
      if (!ts[i].data) fail(CODL_ERR_INVALID_ARGUMENT, std::string(what) + " '" + d.name + "' has no data");
    }
    return bound;
  };
  auto in = match(inputs, num_inputs, m_.inputs, m_.num_inputs, "input");
  auto out = match(outputs, num_outputs, m_.outputs, m_.num_outputs, "output");

  Iteration iter;
  Iteration* it = trace_ ? &iter : nullptr;
  if (it) {
    iter.op_cpu_ms.assign(m_.num_ops, NAN);
    iter.op_cpu_start_ms.assign(m_.num_ops, NAN);
    iter.op_gpu_ms.assign(m_.num_ops, {});
    iter.chain_variant.assign(m_.num_chains, 0);
    for (auto* v : {&iter.chain_map_ms, &iter.chain_wall_ms, &iter.chain_start_ms, &iter.chain_transform_in_ms,
                    &iter.chain_transform_out_ms, &iter.chain_unmap_ms}) {
      v->assign(m_.num_chains, 0.0);
    }
  }
  run_start_ = Clock::now();
  for (uint32_t i = 0; i < m_.num_inputs; i++) write_input(m_.inputs[i], static_cast<const float*>(in[i]->data));
  [[maybe_unused]] const auto t_chains = Clock::now();
  for (size_t k = 0; k < m_.num_chains; k++) run_chain(k, it);
#ifndef CODL_CPU_ONLY
  if (cl_.queue) cl_check(clFinish(cl_.queue), "clFinish");
#endif
  runs_++;
  if (rebalance_) rebalance();
  for (uint32_t i = 0; i < m_.num_outputs; i++) read_output(m_.outputs[i], static_cast<float*>(out[i]->data));
  if (!it) return;
  iter.latency_ms = ms_between(run_start_, Clock::now());

  // GPU times from event profiling; the device clock is aligned to the host
  // clock at the start of the chains (the first event's queued time).
#ifndef CODL_CPU_ONLY
  double device_origin_ms = NAN;
  for (auto& e : iter.events) {
    cl_ulong q = 0, s = 0, en = 0;
    clGetEventProfilingInfo(e.event, CL_PROFILING_COMMAND_QUEUED, sizeof q, &q, nullptr);
    clGetEventProfilingInfo(e.event, CL_PROFILING_COMMAND_START, sizeof s, &s, nullptr);
    clGetEventProfilingInfo(e.event, CL_PROFILING_COMMAND_END, sizeof en, &en, nullptr);
    if (std::isnan(device_origin_ms)) device_origin_ms = q * 1e-6 - ms_between(run_start_, t_chains);
    double ms = (en - s) * 1e-6;
    double start = s * 1e-6 - device_origin_ms, end = en * 1e-6 - device_origin_ms;
    if (e.op >= 0) {
      iter.op_gpu_ms[e.op].push_back(ms);
    } else if (std::strcmp(e.what, "transform_in") == 0) {
      iter.chain_transform_in_ms[e.chain] += ms;
    } else {
      iter.chain_transform_out_ms[e.chain] += ms;
    }
    iter.timeline.push_back({e.op, e.chain, e.op >= 0 ? "gpu" : e.what, start, end});
    clReleaseEvent(e.event);
  }
  iter.events.clear();
#endif
  for (uint32_t o = 0; o < m_.num_ops; o++) {
    if (!std::isnan(iter.op_cpu_ms[o])) {
      iter.timeline.push_back({int32_t(o), -1, "cpu", iter.op_cpu_start_ms[o], iter.op_cpu_start_ms[o] + iter.op_cpu_ms[o]});
    }
  }
  iterations_.push_back(std::move(iter));
}

// ---- trace ----------------------------------------------------------------

std::string Runtime::trace_json(size_t skip) const {
  std::ostringstream o;
  std::vector<const Iteration*> its;
  for (size_t i = skip; i < iterations_.size(); i++) its.push_back(&iterations_[i]);
  // Rebalancing moves cuts: each chain is reported as the last traced run cut it, over the runs that cut it so.
  std::vector<int32_t> cut(m_.num_chains);
  for (uint32_t k = 0; k < m_.num_chains; k++) cut[k] = its.empty() ? chains_[k].cur : its.back()->chain_variant[k];
  auto desc_of = [&](uint32_t o, int32_t k) -> const OpDesc& {
    const ChainState& st = chains_[k];
    return st.first < 0 ? m_.ops[o] : m_.variants[st.first + cut[k]].ops[o - m_.chains[k].first_op];
  };
  // -1: all runs.
  auto med_of = [&](int32_t chain, auto get) {
    std::vector<double> v;
    for (const Iteration* it : its) {
      if (chain >= 0 && it->chain_variant[chain] != cut[chain]) continue;
      double x = get(*it);
      if (!std::isnan(x)) v.push_back(x);
    }
    return median(v);
  };
  std::vector<int32_t> chain_of(m_.num_ops, -1);
  for (uint32_t k = 0; k < m_.num_chains; k++) {
    for (int32_t i = 0; i < m_.chains[k].num_ops; i++) chain_of[m_.chains[k].first_op + i] = int32_t(k);
  }
  o << "{\n  \"format\": \"codl-trace\",\n  \"version\": 1,\n";
  o << "  \"model\": \"" << json_escape(m_.name ? m_.name : "") << "\",\n";
  o << "  \"device\": \"" << json_escape(device_string_) << "\",\n";
  o << "  \"threads\": " << threads_ << ",\n  \"iterations\": " << its.size() << ",\n";
  std::vector<double> lat;
  for (const Iteration* it : its) lat.push_back(it->latency_ms);
  o << "  \"latency_ms\": {\"median\": " << num(median(lat)) << ", \"all\": [";
  for (size_t i = 0; i < lat.size(); i++) o << (i ? ", " : "") << num(lat[i]);
  o << "]},\n";
  size_t images = 0, gbufs = 0, cbufs = 0, bytes = 0;
  for (const auto& s : slots_) {
    images += s->kind == Slot::kImage;
    gbufs += s->kind == Slot::kGpuBuffer;
    cbufs += s->kind == Slot::kCpuBuffer;
    bytes += s->kind == Slot::kImage ? s->width * s->height * (s->dtype == DType::kF16 ? 8 : 16) : s->bytes;
  }
  o << "  \"memory\": {\"tensors\": " << m_.num_tensors << ", \"images\": " << images << ", \"gpu_buffers\": " << gbufs
    << ", \"cpu_buffers\": " << cbufs << ", \"bytes\": " << bytes << "},\n";
  o << "  \"ops\": [\n";
  for (uint32_t i = 0; i < m_.num_ops; i++) {
    const OpDesc& op = chain_of[i] >= 0 ? desc_of(i, chain_of[i]) : m_.ops[i];
    const char* chain = chain_of[i] >= 0 ? m_.chains[chain_of[i]].id : "";
    auto med = [&](auto get) { return med_of(chain_of[i], get); };
    o << "    {\"id\": \"" << json_escape(op.id) << "\", \"kind\": \"" << json_escape(op.kind ? op.kind : "") << "\", \"chain\": \""
      << json_escape(chain) << "\", \"placement\": \"" << placement_name(op.placement) << "\", \"dim\": \"" << dim_name(op.dim)
      << "\", \"gpu_out\": [" << op.gpu_out.begin << ", " << op.gpu_out.end << "], \"cpu_out\": [" << op.cpu_out.begin << ", "
      << op.cpu_out.end << "], ";
    o << "\"cpu_ms\": " << num(med([&](const Iteration& it) { return it.op_cpu_ms[i]; }));
    o << ", \"gpu_ms\": "
      << num(op.num_gpu_kernels ? med([&](const Iteration& it) {
           double s = 0;
           for (double x : it.op_gpu_ms[i]) s += x;
           return it.op_gpu_ms[i].empty() ? NAN : s;
         })
                                : NAN);
    o << ", \"gpu_kernels\": [";
    for (uint32_t g = 0; g < op.num_gpu_kernels; g++) {
      o << (g ? ", " : "") << "{\"file\": \"" << json_escape(op.gpu_kernels[g].file) << "\", \"entry\": \""
        << json_escape(op.gpu_kernels[g].entry) << "\", \"ms\": "
        << num(med([&](const Iteration& it) { return g < it.op_gpu_ms[i].size() ? it.op_gpu_ms[i][g] : NAN; })) << "}";
    }
    o << "]}" << (i + 1 < m_.num_ops ? "," : "") << "\n";
  }
  o << "  ],\n  \"chains\": [\n";
  for (uint32_t k = 0; k < m_.num_chains; k++) {
    const ChainDesc& c = m_.chains[k];
    const ChainState& st = chains_[k];
    auto med = [&](auto get) { return med_of(int32_t(k), get); };
    o << "    {\"id\": \"" << json_escape(c.id) << "\", \"ops\": [";
    for (int32_t i = 0; i < c.num_ops; i++) o << (i ? ", " : "") << "\"" << json_escape(m_.ops[c.first_op + i].id) << "\"";
    const ChainVariantDesc* v = st.first >= 0 ? &m_.variants[st.first + cut[k]] : nullptr;
    o << "], \"dim\": \"" << dim_name(c.dim) << "\", \"ratio\": " << num(v ? v->ratio : c.ratio);
    if (st.first >= 0) o << ", \"compiled_ratio\": " << num(c.ratio) << ", \"variants\": " << st.count;
    o << ", \"transform_in_ms\": " << num(med([&](const Iteration& it) { return it.chain_transform_in_ms[k]; }));
    o << ", \"map_ms\": " << num(med([&](const Iteration& it) { return it.chain_map_ms[k]; }));
    o << ", \"transform_out_ms\": " << num(med([&](const Iteration& it) { return it.chain_transform_out_ms[k]; }));
    // What the chain's transforms move (static: the model's tables), for fitting the sharing model.
    o << ", \"transfers\": [";
    const uint32_t num_in = v ? v->num_in : c.num_in, num_out = v ? v->num_out : c.num_out;
    for (uint32_t i = 0; i < num_in + num_out; i++) {
      const TransformDesc& tr = i < num_in ? (v ? v->in : c.in)[i] : (v ? v->out : c.out)[i - num_in];
      const TensorDesc& t = m_.tensors[tr.tensor];
      int64_t rows = t.h, channels = t.c;
      if (tr.dim == SplitDim::kH) rows = tr.range.end - tr.range.begin;
      if (tr.dim == SplitDim::kOC) channels = tr.range.end - tr.range.begin;
      o << (i ? ", " : "") << "{\"when\": \"" << (i < num_in ? "in" : "out") << "\", \"storage\": \""
        << (t.gpu == GpuStorage::kImage ? "image" : "buffer") << "\", \"bytes\": " << int64_t(t.n) * rows * t.w * channels * 4 << "}";
    }
    o << "]";
    o << ", \"wall_ms\": " << num(med([&](const Iteration& it) { return it.chain_wall_ms[k]; })) << "}"
      << (k + 1 < m_.num_chains ? "," : "") << "\n";
  }
  o << "  ],\n  \"timeline\": [";
  if (!its.empty()) {
    const Iteration& last = *its.back();
    for (size_t i = 0; i < last.timeline.size(); i++) {
      const auto& s = last.timeline[i];
      o << (i ? "," : "") << "\n    {\"op\": " << (s.op >= 0 ? "\"" + json_escape(m_.ops[s.op].id) + "\"" : "null")
        << ", \"chain\": " << (s.chain >= 0 ? "\"" + json_escape(m_.chains[s.chain].id) + "\"" : "null") << ", \"what\": \"" << s.what
        << "\", \"start_ms\": " << num(s.start) << ", \"end_ms\": " << num(s.end) << "}";
    }
  }
  o << "\n  ]\n}\n";
  return o.str();
}

}  // namespace codl
