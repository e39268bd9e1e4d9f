/* codl.h: the C API of a codl bundle, for apps (and for codl_run).
 *
 *   codl_options opt; codl_options_init(&opt);
 *   codl_model* m; char* err = NULL;
 *   if (codl_create("/data/local/tmp/bundle", &opt, &m, &err) != CODL_OK) { puts(err); codl_free(err); }
 *   codl_run(m, inputs, 1, outputs, 1, &err);
 *   codl_destroy(m);
 *
 * Every function returns a status and, on failure, sets *err (when err is not
 * NULL) to a malloc'd message that starts with the status's stable code
 * ("CODL-R003: ..."); free it with codl_free. Nothing aborts the process.
 * A codl_model runs one codl_run at a time: callers serialise runs on it.
 */
#ifndef CODL_H_
#define CODL_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum codl_status {
  CODL_OK = 0,
  CODL_ERR_INVALID_ARGUMENT = 1, /* CODL-R001: bad call, unknown tensor name, wrong shape or dtype */
  CODL_ERR_BUNDLE = 2,           /* CODL-R002: missing or corrupt bundle file (weights.bin, kernels/) or model table */
  CODL_ERR_DEVICE = 3,           /* CODL-R003: no OpenCL platform/device, or CODL_CL_PLATFORM/DEVICE match none */
  CODL_ERR_KERNEL_BUILD = 4,     /* CODL-R004: an OpenCL program failed to build (message carries the log) */
  CODL_ERR_UNSUPPORTED = 5,      /* CODL-R005: e.g. a GPU operator in a CPU-only build */
  CODL_ERR_RUNTIME = 6,          /* CODL-R006: an OpenCL or XNNPACK call failed while running */
  CODL_ERR_INTERNAL = 7          /* CODL-R007: a bug */
} codl_status;

/* "CODL-R003 device" style name of a status; never NULL. */
const char* codl_status_string(codl_status status);

typedef enum codl_dtype { CODL_FLOAT32 = 0 } codl_dtype;

typedef struct codl_options {
  int num_threads;       /* CPU threads (pthreadpool); 0: the model's default, else the hardware's */
  const char* cache_dir; /* program binary cache; NULL: $CODL_CACHE_DIR, else no cache */
  int trace;             /* non-zero: record per-operator times (enables OpenCL profiling) */
  /* Core lists in taskset's syntax ("0", "4-7", "0,2,4-6"); Linux and Android only.
   * cpu_cores: the cores of the CPU side (XNNPACK's pool threads and the thread
   *   calling codl_run, while it runs); NULL: $CODL_CPU_CORES, else unpinned.
   *   num_threads 0 then means at most one thread per listed core; more threads
   *   than listed cores is CODL_ERR_INVALID_ARGUMENT.
   * gpu_cores: the cores of the OpenCL driver's own threads (a CPU driver such
   *   as PoCL runs kernels on them), fixed when the first model of the process
   *   opens OpenCL; NULL: $CODL_GPU_CORES, else unpinned. */
  const char* cpu_cores;
  const char* gpu_cores;
  /* Bundles compiled with --rebalance-steps: non-zero (the default) times both
   * sides of every H-split chain on each run and moves its cut to the variant
   * that balances them; 0 (or $CODL_REBALANCE=0) keeps the compiled cut. */
  int rebalance;
  /* Testing aid, with rebalance 0: run every chain that has variants this many
   * variants away from its compiled cut (clamped to those it has). */
  int variant_offset;
} codl_options;

void codl_options_init(codl_options* options);

typedef struct codl_model codl_model;

typedef struct codl_tensor_info {
  const char* name;
  codl_dtype dtype;
  uint32_t rank;
  int64_t shape[4];
} codl_tensor_info;

/* A caller-owned tensor: C-order (NCHW for 4-D) float32. For inputs, name
 * selects the graph input (NULL: by position); for outputs, likewise, and
 * data must hold the output's element count. */
typedef struct codl_tensor {
  const char* name;
  codl_dtype dtype;
  uint32_t rank;
  const int64_t* shape;
  void* data;
} codl_tensor;

codl_status codl_create(const char* bundle_dir, const codl_options* options, codl_model** model, char** err);
void codl_destroy(codl_model* model);

size_t codl_num_inputs(const codl_model* model);
size_t codl_num_outputs(const codl_model* model);
codl_status codl_input_info(const codl_model* model, size_t index, codl_tensor_info* info);
codl_status codl_output_info(const codl_model* model, size_t index, codl_tensor_info* info);

codl_status codl_run(codl_model* model, const codl_tensor* inputs, size_t num_inputs, codl_tensor* outputs,
                     size_t num_outputs, char** err);

/* The trace of every codl_run since create (or the last reset) as JSON, with
 * `iterations_to_skip` leading runs left out (warm-up). Needs options.trace. */
codl_status codl_trace_json(codl_model* model, size_t iterations_to_skip, char** json, char** err);

/* Where the H chains that have rebalancing variants are cut now, one line:
 * "c2 0.550->0.500 (3 moves), c3 0.475 (0 moves)" (GPU share, compiled -> now),
 * or "" without variants. */
codl_status codl_cuts(codl_model* model, char** text, char** err);

/* One line describing the device(s) in use, e.g. "OpenCL: PoCL ... | XNNPACK, 2 threads". */
const char* codl_device_string(const codl_model* model);

void codl_free(void* p);

#ifdef __cplusplus
}
#endif

#endif /* CODL_H_ */
