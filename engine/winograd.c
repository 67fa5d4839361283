/* winograd.c - 3 x 3 convolutions (stride 1, zero padding 1) by Winograd's
 * minimal filtering F(4 x 4, 3 x 3) (Lavin and Gray 2015, "Fast Algorithms
 * for Convolutional Neural Networks").
 *
 * Each 4 x 4 block of outputs comes from a 6 x 6 block of inputs d:
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A
 * so that the 36 element-wise products, summed over input channels, are 36
 * independent matrix products of (cout, cin) x (cin, tiles): 36 products
 * per 16 outputs instead of 9 x 16, 4 times fewer multiplications, all in
 * SGEMM.  The transforms are small sums (below).
 *
 * The input gradient of such a convolution is the same convolution of the
 * output gradient with the filters flipped and transposed (cin and cout
 * swapped): zero padding keeps the adjoint a plain same-size convolution,
 * so the backward pass is a forward pass too, with no col2im.
 *
 * Work goes in bands of tiles so that the scratch (transformed inputs and
 * products, and one row of transformed filters) stays within the column
 * budget whatever the image size. */
#include "blas.h"
#include "cpu.h"
#include "ops.h"

#include <string.h>

#define ALPHA 6 /* input tile side: 4 outputs + 3 - 1 */
#define NXI (ALPHA * ALPHA)

/* G (6, 3) */
static const float G[ALPHA][3] = {
  { 1.0f / 4, 0.0f, 0.0f },
  { -1.0f / 6, -1.0f / 6, -1.0f / 6 },
  { -1.0f / 6, 1.0f / 6, -1.0f / 6 },
  { 1.0f / 24, 1.0f / 12, 1.0f / 6 },
  { 1.0f / 24, -1.0f / 12, 1.0f / 6 },
  { 0.0f, 0.0f, 1.0f },
};

gboolean
st_winograd_applies (int cin, int cout, int k, StPad pad)
{
  /* Below 16 channels the transforms cost more than the products save. */
  return k == 3 && pad == ST_PAD_ZERO && cin >= 16 && cout >= 16;
}

/* Tiles per band so that V (36, cin, T) + M (36, cout, T) + U (6, cout, cin)
 * fit in COLUMN_BUDGET_FLOATS; 0 when not even a few tiles do. */
static size_t
band_tiles (int cin, int cout, size_t tiles)
{
  size_t u = (size_t)ALPHA * cin * cout;
  size_t per_tile = (size_t)NXI * (cin + cout);
  if (u + 16 * per_tile > COLUMN_BUDGET_FLOATS)
    return 0;
  return MIN (tiles, (COLUMN_BUDGET_FLOATS - u) / per_tile);
}

size_t
st_winograd_scratch_floats (int cin, int cout, int h, int w)
{
  size_t tiles = (size_t)((h + 3) / 4) * ((w + 3) / 4);
  size_t t = band_tiles (cin, cout, tiles);
  if (!t)
    return 0;
  /* balanced bands, as in st_winograd_conv */
  t = (tiles + (tiles + t - 1) / t - 1) / ((tiles + t - 1) / t);
  return (size_t)ALPHA * cin * cout + (size_t)NXI * (cin + cout) * t;
}

/* The transforms, once per instruction set (winograd-kernels.h). */
#define CHUNK 32 /* tiles per vector run */
typedef void (*InputsFn) (const float *, int, int, int, int, size_t, size_t,
                          float *, size_t);
typedef void (*OutputsFn) (const float *, int, int, int, int, size_t, size_t,
                           const float *, uint8_t *, gboolean, float *, size_t);
typedef void (*FiltersFn) (const float *, size_t, int, gboolean, float *,
                           size_t);

#define WK(name) name##_portable
#include "winograd-kernels.h"
#undef WK

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)            \
    && !defined(__clang__)
#define ST_WINOGRAD_X86 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define WK(name) name##_avx2
#include "winograd-kernels.h"
#undef WK
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
#define WK(name) name##_avx512
#include "winograd-kernels.h"
#undef WK
#pragma GCC pop_options
#endif

static void
pick_kernels (InputsFn *inputs, OutputsFn *outputs, FiltersFn *filters)
{
  *inputs = transform_inputs_portable;
  *outputs = transform_outputs_portable;
  *filters = transform_filters_row_portable;
#ifdef ST_WINOGRAD_X86
  switch (st_cpu_level ())
    {
    case ST_CPU_AVX512:
      *inputs = transform_inputs_avx512;
      *outputs = transform_outputs_avx512;
      *filters = transform_filters_row_avx512;
      break;
    case ST_CPU_AVX2:
      *inputs = transform_inputs_avx2;
      *outputs = transform_outputs_avx2;
      *filters = transform_filters_row_avx2;
      break;
    default:
      break;
    }
#endif
}

/* One band's work, split over threads by channel (transforms) or filter
 * (filter rows): each part writes its own slice, so the bytes do not
 * depend on the thread count. */
typedef struct
{
  InputsFn inputs;
  OutputsFn outputs;
  FiltersFn filters;
  const float *in, *weight, *bias;
  float *u, *v, *m, *out;
  uint8_t *relu_mask;
  int ci, co, h, w, tw, a;
  size_t t0, nt;
  gboolean backward;
} Band;

static void
inputs_part (int lo, int hi, gpointer p)
{
  Band *b = p;
  b->inputs (b->in + (size_t)lo * b->h * b->w, hi - lo, b->h, b->w, b->tw,
             b->t0, b->nt, b->v + (size_t)lo * b->nt, (size_t)b->ci * b->nt);
}

static void
outputs_part (int lo, int hi, gpointer p)
{
  Band *b = p;
  size_t plane = (size_t)b->h * b->w;
  b->outputs (b->m + (size_t)lo * b->nt, hi - lo, b->h, b->w, b->tw, b->t0,
              b->nt, b->bias ? b->bias + lo : NULL,
              b->relu_mask ? b->relu_mask + lo * plane : NULL, b->backward,
              b->out + lo * plane, (size_t)b->co * b->nt);
}

static void
filters_part (int lo, int hi, gpointer p)
{
  Band *b = p;
  /* filters lo * row .. hi * row - 1 of the (., row, 3, 3) weights, row =
   * the forward's cin: ci forward, co backward */
  size_t row = b->backward ? (size_t)b->co : (size_t)b->ci;
  b->filters (b->weight + (size_t)lo * row * 9, (size_t)(hi - lo) * row, b->a,
              b->backward, b->u + (size_t)lo * row, (size_t)b->ci * b->co);
}

gboolean
st_winograd_conv (const float *in, int cin, int h, int w, const float *weight,
                  gboolean backward, const float *bias, int cout, float *out,
                  uint8_t *relu_mask, float *scratch)
{
  /* ci, co: the channels of this call's input and output.  Forward the
   * filters are (co, ci, 3, 3); backward they are the forward's, (ci, co,
   * 3, 3), used flipped and transposed. */
  int ci = cin, co = cout;
  int tw = (w + 3) / 4, th = (h + 3) / 4;
  size_t tiles = (size_t)tw * th;
  size_t tmax = band_tiles (ci, co, tiles);
  size_t nbands, per_band;
  float *owned = NULL;
  Band b;

  if (!tmax)
    return FALSE;
  nbands = (tiles + tmax - 1) / tmax;
  per_band = (tiles + nbands - 1) / nbands;
  if (!scratch
      && !(scratch = owned = st_floats_new (
               (size_t)ALPHA * ci * co + (size_t)NXI * (ci + co) * per_band)))
    return FALSE;
  memset (&b, 0, sizeof b);
  pick_kernels (&b.inputs, &b.outputs, &b.filters);
  b.in = in, b.weight = weight, b.out = out;
  b.bias = backward ? NULL : bias;
  b.relu_mask = backward ? NULL : relu_mask;
  b.ci = ci, b.co = co, b.h = h, b.w = w, b.tw = tw, b.backward = backward;
  b.u = scratch;
  b.v = b.u + (size_t)ALPHA * ci * co;
  b.m = b.v + (size_t)NXI * ci * per_band;

  for (b.t0 = 0; b.t0 < tiles; b.t0 += per_band)
    {
      size_t nt = b.nt = MIN (per_band, tiles - b.t0);
      st_parallel_for (ci, inputs_part, &b);
      for (b.a = 0; b.a < ALPHA; b.a++)
        {
          /* u[j] (planes): forward (co, ci); backward the forward's
           * filters (ci, co), flipped, used transposed below */
          st_parallel_for (backward ? ci : co, filters_part, &b);
          for (int j = 0; j < ALPHA; j++)
            {
              int xi = b.a * ALPHA + j;
              const float *uj = b.u + (size_t)j * ci * co;
              /* m[xi] (co, nt) = U[xi] (co, ci) x v[xi] (ci, nt) */
              st_sgemm (backward ? ST_TRANS : ST_NO_TRANS, ST_NO_TRANS, co,
                        (int)nt, ci, 1.0f, uj, backward ? co : ci,
                        b.v + (size_t)xi * ci * nt, (int)nt, 0.0f,
                        b.m + (size_t)xi * co * nt, (int)nt);
            }
        }
      st_parallel_for (co, outputs_part, &b);
    }
  g_free (owned);
  return TRUE;
}
