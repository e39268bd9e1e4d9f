// runtime.h: one loaded model. Construction checks the tables and the bundle,
// loads weights.bin, plans memory by liveness, builds the OpenCL programs and
// creates the XNNPACK operators; run() executes the chains (model_desc.h
// describes the schedule). Everything throws codl::Error.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "affinity.h"
#include "codl.h"
#include "cl_env.h"
#include "model_desc.h"
#include "rebalance.h"

struct pthreadpool;
struct xnn_operator;

namespace codl {

// Throws CODL_ERR_BUNDLE naming the first inconsistency in the tables.
void validate_model(const ModelDesc& m);

// CPU halves (cpu_ops.cc). The XNNPACK operators of one CPU half: none for a custom kernel, usually
// one; a convolution with CpuOpDesc chunk_oc runs as several, operator i over output channels
// [i·chunk_oc, (i+1)·chunk_oc) of its view.
using CpuOp = std::vector<xnn_operator*>;
CpuOp create_cpu_op(const ModelDesc& m, const OpDesc& op, const uint8_t* blob);
void run_cpu_op(const ModelDesc& m, const OpDesc& op, const CpuOp& xop, float* const* tensor_ptrs,
                const uint8_t* blob, pthreadpool* pool);

class Runtime {
 public:
  Runtime(const ModelDesc& model, const std::string& bundle_dir, const codl_options& options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  void run(const codl_tensor* inputs, size_t num_inputs, codl_tensor* outputs, size_t num_outputs);
  std::string trace_json(size_t skip) const;
  std::string cuts_text() const;  // codl_cuts
  const std::string& device_string() const { return device_string_; }
  const ModelDesc& model() const { return m_; }

 private:
  struct Slot;          // one image or buffer shared by tensors with disjoint lifetimes
  struct Iteration;     // trace of one run
  struct CommandEvent;  // an OpenCL command whose profiling times the trace wants

  // Per chain: its transforms as cut now and, for a chain with variants, rebalancing state.
  struct ChainState {
    int32_t first = -1;  // index in ModelDesc::variants of its first variant; -1: none
    int32_t count = 0;
    int32_t cur = 0;     // the variant it runs now, relative to first
    const TransformDesc* in = nullptr;
    uint32_t num_in = 0;
    const TransformDesc* out = nullptr;
    uint32_t num_out = 0;
    std::vector<CutTimes> cut_times;    // per variant: its measured sides (rebalance.h)
    double cpu_ms = 0;                  // this run's CPU halves
    int moves = 0;                      // rebalance()'s switches so far
#ifndef CODL_CPU_ONLY
    cl_event first_ev = nullptr, last_ev = nullptr;  // this run's first and last GPU kernel
#endif
  };

  void load_weights();
  void plan_memory();
  void setup_gpu();
  void setup_cpu();
  void write_input(int32_t tensor, const float* nchw);
  void read_output(int32_t tensor, float* nchw);
  void run_chain(size_t chain, Iteration* it);
  void enqueue_transform(const TransformDesc& tr, size_t chain, const char* what, Iteration* it);
  void set_variant(size_t chain, int32_t variant);
  void rebalance();
  float* map_cpu(int32_t tensor, bool blocking);
  void unmap_cpu(int32_t tensor);

  const ModelDesc& m_;
  std::string bundle_dir_;
  std::string cache_dir_;
  bool trace_;
  int threads_;
  std::vector<int> cpu_cores_, gpu_cores_;  // empty: unpinned
  std::string device_string_;
  uint8_t* blob_ = nullptr;  // weights.bin, 64-byte aligned
  pthreadpool* pool_ = nullptr;

  // Per tensor: slot indices (-1: none).
  std::vector<int> image_slot_, gpu_buffer_slot_, cpu_slot_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<float*> cpu_ptr_;  // per tensor: host pointer while mapped (always, in a CPU-only build)

  std::vector<CpuOp> xops_;          // per op; no operators when the CPU half is not XNNPACK
  std::vector<const OpDesc*> op_;    // per op: its tables as cut now (a variant's, or the compiled ones)
  std::vector<ChainState> chains_;
  bool rebalance_ = false;           // time split chains and move their cut (options.rebalance, with variants)
  size_t runs_ = 0;
#ifndef CODL_CPU_ONLY
  ClEnv cl_;
  std::vector<cl_mem> gpu_weights_;              // per weights id
  std::vector<std::vector<cl_kernel>> kernels_;  // per op, per GPU kernel
  std::vector<cl_program> programs_;
  cl_kernel image_to_buffer_ = nullptr, buffer_to_image_ = nullptr;
#endif
  std::vector<Iteration> iterations_;
  std::chrono::steady_clock::time_point run_start_;
};

}  // namespace codl
