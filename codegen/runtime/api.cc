// api.cc: the C API (codl.h) over codl::Runtime. The only place that catches:
// every codl::Error, std::bad_alloc or other exception becomes a status and a message.
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "codl.h"
#include "error.h"
#include "runtime.h"

struct codl_model {
  std::unique_ptr<codl::Runtime> rt;
};

namespace {

char* dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

const char* code_of(codl_status s) {
  switch (s) {
    case CODL_OK: return "CODL-R000";
    case CODL_ERR_INVALID_ARGUMENT: return "CODL-R001";
    case CODL_ERR_BUNDLE: return "CODL-R002";
    case CODL_ERR_DEVICE: return "CODL-R003";
    case CODL_ERR_KERNEL_BUILD: return "CODL-R004";
    case CODL_ERR_UNSUPPORTED: return "CODL-R005";
    case CODL_ERR_RUNTIME: return "CODL-R006";
    default: return "CODL-R007";
  }
}

template <typename F>
codl_status guarded(char** err, F&& body) {
  codl_status status = CODL_OK;
  std::string message;
  try {
    body();
  } catch (const codl::Error& e) {
    status = e.status();
    message = e.what();
  } catch (const std::bad_alloc&) {
    status = CODL_ERR_RUNTIME;
    message = "out of memory";
  } catch (const std::exception& e) {
    status = CODL_ERR_INTERNAL;
    message = e.what();
  } catch (...) {
    status = CODL_ERR_INTERNAL;
    message = "unknown exception";
  }
  if (status != CODL_OK && err) *err = dup(std::string(code_of(status)) + ": " + message);
  return status;
}

codl_status info_of(const codl_model* m, size_t index, bool input, codl_tensor_info* info) {
  if (!m || !info) return CODL_ERR_INVALID_ARGUMENT;
  const codl::ModelDesc& d = m->rt->model();
  if (index >= (input ? d.num_inputs : d.num_outputs)) return CODL_ERR_INVALID_ARGUMENT;
  const codl::TensorDesc& t = d.tensors[input ? d.inputs[index] : d.outputs[index]];
  info->name = t.name;
  info->dtype = CODL_FLOAT32;
  info->rank = t.rank;
  int64_t s[4] = {t.n, t.c, t.h, t.w};
  for (int i = 0; i < 4; i++) info->shape[i] = i < int(t.rank) ? s[i] : 1;
  return CODL_OK;
}

}  // namespace

extern "C" {

const char* codl_status_string(codl_status s) {
  switch (s) {
    case CODL_OK: return "CODL-R000 ok";
    case CODL_ERR_INVALID_ARGUMENT: return "CODL-R001 invalid argument";
    case CODL_ERR_BUNDLE: return "CODL-R002 bad bundle";
    case CODL_ERR_DEVICE: return "CODL-R003 no device";
    case CODL_ERR_KERNEL_BUILD: return "CODL-R004 kernel build failed";
    case CODL_ERR_UNSUPPORTED: return "CODL-R005 unsupported";
    case CODL_ERR_RUNTIME: return "CODL-R006 runtime failure";
    default: return "CODL-R007 internal error";
  }
}

void codl_options_init(codl_options* o) {
  if (!o) return;
  o->num_threads = 0;
  o->cache_dir = nullptr;
  o->trace = 0;
  o->cpu_cores = nullptr;
  o->gpu_cores = nullptr;
  o->rebalance = 1;
  o->variant_offset = 0;
}

codl_status codl_create(const char* bundle_dir, const codl_options* options, codl_model** model, char** err) {
  if (err) *err = nullptr;
  return guarded(err, [&] {
    if (!model) codl::fail(CODL_ERR_INVALID_ARGUMENT, "codl_create: model is NULL");
    *model = nullptr;
    codl_options defaults;
    codl_options_init(&defaults);
    auto m = std::make_unique<codl_model>();
    m->rt = std::make_unique<codl::Runtime>(codl::bundled_model(), bundle_dir ? bundle_dir : ".", options ? *options : defaults);
    *model = m.release();
  });
}

void codl_destroy(codl_model* model) {
  try {
    delete model;
  } catch (...) {
  }
}

size_t codl_num_inputs(const codl_model* m) { return m ? m->rt->model().num_inputs : 0; }
size_t codl_num_outputs(const codl_model* m) { return m ? m->rt->model().num_outputs : 0; }
codl_status codl_input_info(const codl_model* m, size_t i, codl_tensor_info* info) { return info_of(m, i, true, info); }
codl_status codl_output_info(const codl_model* m, size_t i, codl_tensor_info* info) { return info_of(m, i, false, info); }

codl_status codl_run(codl_model* model, const codl_tensor* inputs, size_t num_inputs, codl_tensor* outputs, size_t num_outputs,
                     char** err) {
  if (err) *err = nullptr;
  return guarded(err, [&] {
    if (!model) codl::fail(CODL_ERR_INVALID_ARGUMENT, "codl_run: model is NULL");
    model->rt->run(inputs, num_inputs, outputs, num_outputs);
  });
}

codl_status codl_trace_json(codl_model* model, size_t skip, char** json, char** err) {
  if (err) *err = nullptr;
  return guarded(err, [&] {
    if (!model || !json) codl::fail(CODL_ERR_INVALID_ARGUMENT, "codl_trace_json: NULL argument");
    *json = dup(model->rt->trace_json(skip));
  });
}

codl_status codl_cuts(codl_model* model, char** text, char** err) {
  if (err) *err = nullptr;
  return guarded(err, [&] {
    if (!model || !text) codl::fail(CODL_ERR_INVALID_ARGUMENT, "codl_cuts: NULL argument");
    *text = dup(model->rt->cuts_text());
  });
}

const char* codl_device_string(const codl_model* m) { return m ? m->rt->device_string().c_str() : ""; }

void codl_free(void* p) { std::free(p); }

}  // extern "C"
