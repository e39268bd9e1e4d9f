// op4_pool: 2x2 max pool, stride 2; H split: GPU output rows [0, 3) of 5.
#ifndef N  // the batch-2 variant passes -DN=2
#define N 1
#endif
#define IH 10
#define IW 9
#define CB 2
#define OH 5
#define OW 4
#define K 2
#define S 2
#define ROW0 0
#define ROWS 3

__constant sampler_t kSampler = CLK_NORMALIZED_COORDS_FALSE | CLK_ADDRESS_NONE | CLK_FILTER_NEAREST;

// global = (OW, CB, N * ROWS)
__kernel void maxpool(__read_only image2d_t in, __write_only image2d_t out) {
  const int ow = get_global_id(0);
  const int cb = get_global_id(1);
  const int r = get_global_id(2);
  if (ow >= OW || cb >= CB || r >= N * ROWS) return;
  const int n = r / ROWS;
  const int oh = ROW0 + r % ROWS;
  float4 acc = (float4)(-INFINITY);
  for (int kh = 0; kh < K; kh++) {
    const int ih = oh * S + kh;
    if (ih >= IH) continue;
    for (int kw = 0; kw < K; kw++) {
      const int iw = ow * S + kw;
      if (iw >= IW) continue;
      acc = fmax(acc, read_imagef(in, kSampler, (int2)(cb * IW + iw, n * IH + ih)));
    }
  }
  write_imagef(out, (int2)(cb * OW + ow, n * OH + oh), acc);
}
