/* spin.c: a load for the co-execution contention probe (probe-contention.sh).
 *   spin scalar   integer work in registers (takes a core, no memory traffic)
 *   spin fma      AVX2 FMAs on 8 independent registers (a core's vector units)
 *   spin stream   copies between two 256 MiB buffers (memory bandwidth, evicts the L3)
 * Runs until killed. Build: cc -O2 -mavx2 -mfma -o spin spin.c */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile float g_sink; /* keeps the loops from being optimised away */

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "scalar") == 0) {
    unsigned x = 1;
    for (;;) {
      for (int i = 0; i < 1 << 20; i++) x = x * 1103515245u + 12345u;
      g_sink = (float)x;
    }
  } else if (strcmp(mode, "fma") == 0) {
    __m256 a[8], m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 8; i++) a[i] = _mm256_set1_ps((float)i);
    for (;;) {
      for (int r = 0; r < 1 << 20; r++)
        for (int i = 0; i < 8; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
      g_sink = _mm256_cvtss_f32(a[0]);
    }
  } else if (strcmp(mode, "stream") == 0) {
    size_t n = (size_t)256 << 20;
    char* a = malloc(n);
    char* b = malloc(n);
    if (!a || !b) return 1;
    memset(a, 1, n);
    for (;;) {
      memcpy(b, a, n);
      memcpy(a, b, n);
    }
  }
  fprintf(stderr, "usage: spin scalar|fma|stream\n");
  return 2;
}
