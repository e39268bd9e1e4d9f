// op2_conv: 3x3 conv 12->8, pad 1, bias, relu; chain c2 (H): GPU output rows [0, 6) of 10 (halo for op3)
// Generated-style kernel: every shape, stride, slice offset and the activation are constants.
#ifndef N  // the batch-2 variant passes -DN=2
#define N 1
#endif
#define IH 10
#define IW 9
#define ICB 3
#define OH 10
#define OW 9
#define KH 3
#define KW 3
#define SH 1
#define SW 1
#define DH 1
#define DW 1
#define PT 1
#define PL 1
#define ROW0 0
#define ROWS 6
#define OCB0 0
#define OCBS 2
#define ACTIVATION(x) fmax((x), 0.0f)

__constant sampler_t kSampler = CLK_NORMALIZED_COORDS_FALSE | CLK_ADDRESS_NONE | CLK_FILTER_NEAREST;

// One work-item: 4 output channels (block ocb) of one output pixel.
// global = (OW, OCBS, N * ROWS). Weights: float4 over 4 output channels, at
// [((ocb - OCB0) * KH + kh) * KW + kw) * ICB + icb] * 4 + input lane.
__kernel void conv2d(__read_only image2d_t in, __global const float4* w, __global const float4* bias,
                     __write_only image2d_t out) {
  const int ow = get_global_id(0);
  const int ocl = get_global_id(1);
  const int r = get_global_id(2);
  if (ow >= OW || ocl >= OCBS || r >= N * ROWS) return;
  const int n = r / ROWS;
  const int oh = ROW0 + r % ROWS;
  const int ocb = OCB0 + ocl;
  float4 acc = bias[ocl];
  for (int kh = 0; kh < KH; kh++) {
    const int ih = oh * SH - PT + kh * DH;
    if (ih < 0 || ih >= IH) continue;
    for (int kw = 0; kw < KW; kw++) {
      const int iw = ow * SW - PL + kw * DW;
      if (iw < 0 || iw >= IW) continue;
      __global const float4* wp = w + ((ocl * KH + kh) * KW + kw) * ICB * 4;
      for (int icb = 0; icb < ICB; icb++) {
        const float4 v = read_imagef(in, kSampler, (int2)(icb * IW + iw, n * IH + ih));
        acc += v.x * wp[0] + v.y * wp[1] + v.z * wp[2] + v.w * wp[3];
        wp += 4;
      }
    }
  }
  acc = ACTIVATION(acc);
  write_imagef(out, (int2)(ocb * OW + ow, n * OH + oh), acc);
}
