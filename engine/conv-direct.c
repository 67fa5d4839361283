/* conv-direct.c - the tiled leaves' convolutions (tiled.c) computed
 * directly, where the processor has AVX2 or AVX-512.
 *
 * A leaf reads 3 channels through filters of 3-7 px: as im2col + SGEMM its
 * product has a short inner dimension (27-147), and the time went into
 * copies around it: the im2col columns, OpenBLAS packing them again,
 * zeroing the output, then the ReLU (forward); the columns' gradient and
 * folding it back into the tile (backward).  Measured on one tile of
 * 32 x 128 pixels, one core of a 2-core Xeon (AVX-512), 3 x 3 to 7 x 7
 * filters: forward 118-157 GFLOP/s, backward 69-123 (useful FLOPs); an
 * embedded pass at 1024 px, 2 threads, 1.32-1.53 s through SGEMM, 1.01-1.08
 * s here (tests/bench/README.md, sixth round).  The kernels
 * keep a block of outputs in vector registers for the whole sum, so each
 * loaded input value is used by many filters (forward) or every input
 * channel (backward).  Without AVX2 tiled.c keeps im2col + SGEMM, which
 * stays the reference the tests compare these kernels with. */
#include "conv-direct.h"

#include "cpu.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)            \
    && !defined(__clang__)
#define ST_CONV_DIRECT_X86 1
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define CK(name) name##_avx2
#define VW 8
#define FWD_NO 6    /* 6 filters x 2 vectors: 12 of the 16 registers */
#define BWD_NV 3    /* 3 channels x 3 vectors: 9 of the 16          */
#define BWD_PAIRS 0 /* one row at a time: two would need 18        */
#define VF __m256
static const int32_t avx2_lanes[16]
    = { -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 };
#define VZERO() _mm256_setzero_ps ()
#define VLOAD(p) _mm256_loadu_ps (p)
#define VSET1(x) _mm256_set1_ps (x)
#define VFMA(a, b, c) _mm256_fmadd_ps (a, b, c)
#define VADD(a, b) _mm256_add_ps (a, b)
#define VMAX(a, b) _mm256_max_ps (a, b)
#define VSTORE(p, v) _mm256_storeu_ps (p, v)
#define VMASK(n) _mm256_loadu_si256 ((const __m256i *)(avx2_lanes + 8 - (n)))
#define VLOADN(p, n) _mm256_maskload_ps (p, VMASK (n))
#define VSTOREN(p, v, n) _mm256_maskstore_ps (p, VMASK (n), v)
#include "conv-kernels.h"
#undef CK
#undef VW
#undef VF
#undef VMASK
#undef FWD_NO
#undef BWD_NV
#undef BWD_PAIRS
#undef VZERO
#undef VLOAD
#undef VSET1
#undef VFMA
#undef VADD
#undef VMAX
#undef VSTORE
#undef VLOADN
#undef VSTOREN
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
#define CK(name) name##_avx512
#define VW 16
#define FWD_NO 12 /* 12 filters x 2 vectors: 24 of the 32 registers */
#define BWD_NV 4  /* 3 channels x 4 vectors x 2 rows: 24 of the 32  */
#define BWD_PAIRS 1
#define VF __m512
#define VZERO() _mm512_setzero_ps ()
#define VLOAD(p) _mm512_loadu_ps (p)
#define VSET1(x) _mm512_set1_ps (x)
#define VFMA(a, b, c) _mm512_fmadd_ps (a, b, c)
#define VADD(a, b) _mm512_add_ps (a, b)
#define VMAX(a, b) _mm512_max_ps (a, b)
#define VSTORE(p, v) _mm512_storeu_ps (p, v)
#define VMASK(n) ((__mmask16)((1u << (n)) - 1u))
#define VLOADN(p, n) _mm512_maskz_loadu_ps (VMASK (n), p)
#define VSTOREN(p, v, n) _mm512_mask_storeu_ps (p, VMASK (n), v)
#include "conv-kernels.h"
#pragma GCC pop_options
#endif

gboolean
st_conv_direct_available (int cin)
{
#ifdef ST_CONV_DIRECT_X86
  return cin == ST_CONV_DIRECT_CIN && st_cpu_level () >= ST_CPU_AVX2;
#else
  (void)cin;
  return FALSE;
#endif
}

void
st_conv_direct_forward (const StConvDirect *cd)
{
#ifdef ST_CONV_DIRECT_X86
  if (st_cpu_level () >= ST_CPU_AVX512)
    forward_avx512 (cd);
  else
    forward_avx2 (cd);
#else
  (void)cd;
  g_return_if_reached ();
#endif
}

void
st_conv_direct_backward (const StConvDirect *cd)
{
#ifdef ST_CONV_DIRECT_X86
  if (st_cpu_level () >= ST_CPU_AVX512)
    backward_avx512 (cd);
  else
    backward_avx2 (cd);
#else
  (void)cd;
  g_return_if_reached ();
#endif
}
