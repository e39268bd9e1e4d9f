// transform.cl: the runtime's layout transforms between a GPU image tensor
// (RGBA, channels packed by 4: pixel (cb*W + x, n*H + y)) and a CPU NHWC
// buffer of the whole tensor. One work-item moves one pixel of 4 channels.
// Work: global = (W, number of channel blocks, N * rows); the slab is rows
// [row0, row0 + rows) and channel blocks [cb0, cb0 + ncb). Lanes at or past C
// are not written to the buffer, and are written as 0 to the image.

__constant sampler_t kSampler = CLK_NORMALIZED_COORDS_FALSE | CLK_ADDRESS_NONE | CLK_FILTER_NEAREST;

__kernel void image_to_buffer(__read_only image2d_t src, __global float* dst, int H, int W, int C, int row0,
                              int rows, int cb0, int ncb) {
  const int x = get_global_id(0);
  const int cb = get_global_id(1) + cb0;
  const int r = get_global_id(2);
  if (x >= W || cb >= cb0 + ncb || r >= get_global_size(2)) return;
  const int n = r / rows;
  const int y = row0 + r % rows;
  const float4 v = read_imagef(src, kSampler, (int2)(cb * W + x, n * H + y));
  __global float* p = dst + (((size_t)n * H + y) * W + x) * C + cb * 4;
  const int c = cb * 4;
  if (c + 3 < C) {
    vstore4(v, 0, p);
  } else {
    p[0] = v.x;
    if (c + 1 < C) p[1] = v.y;
    if (c + 2 < C) p[2] = v.z;
  }
}

__kernel void buffer_to_image(__global const float* src, __write_only image2d_t dst, int H, int W, int C,
                              int row0, int rows, int cb0, int ncb) {
  const int x = get_global_id(0);
  const int cb = get_global_id(1) + cb0;
  const int r = get_global_id(2);
  if (x >= W || cb >= cb0 + ncb || r >= get_global_size(2)) return;
  const int n = r / rows;
  const int y = row0 + r % rows;
  __global const float* p = src + (((size_t)n * H + y) * W + x) * C + cb * 4;
  const int c = cb * 4;
  float4 v;
  if (c + 3 < C) {
    v = vload4(0, p);
  } else {
    v = (float4)(p[0], c + 1 < C ? p[1] : 0.0f, c + 2 < C ? p[2] : 0.0f, 0.0f);
  }
  write_imagef(dst, (int2)(cb * W + x, n * H + y), v);
}
