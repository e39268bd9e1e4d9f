// op8_add: element-wise add of two image tensors into an NHWC buffer tensor; GPU only.
#ifndef N  // the batch-2 variant passes -DN=2
#define N 1
#endif
#define H 5
#define W 4
#define C 8
#define CB 2

__constant sampler_t kSampler = CLK_NORMALIZED_COORDS_FALSE | CLK_ADDRESS_NONE | CLK_FILTER_NEAREST;

// global = (W, CB, N * H)
__kernel void add(__read_only image2d_t a, __read_only image2d_t b, __global float* out) {
  const int x = get_global_id(0);
  const int cb = get_global_id(1);
  const int r = get_global_id(2);
  if (x >= W || cb >= CB || r >= N * H) return;
  const int2 pos = (int2)(cb * W + x, r);
  const float4 v = read_imagef(a, kSampler, pos) + read_imagef(b, kSampler, pos);
  __global float* p = out + ((size_t)r * W + x) * C + cb * 4;
  p[0] = v.x;
  if (cb * 4 + 1 < C) p[1] = v.y;
  if (cb * 4 + 2 < C) p[2] = v.z;
  if (cb * 4 + 3 < C) p[3] = v.w;
}
