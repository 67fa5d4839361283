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

/* How a call works:
 *  - all 36 transformed filters U (36, co, ci) computed once, then bands of
 *    tiles small enough that V (36, ci, T) and M (36, co, T) stay in cache
 *    between the transforms and the products (full);
 *  - or, when U does not fit the budget (512 x 512 filters: 38 MB), one
 *    row of U (6, co, ci) at a time, recomputed for every band, with bands
 *    as large as the budget allows so that there are few (rows). */
typedef struct
{
  gboolean full;
  size_t per_band; /* tiles */
  size_t floats;   /* scratch */
} Plan;

#define CACHE_BAND_FLOATS (512u << 10) /* V + M: 2 MiB */

static gboolean
plan_bands (int ci, int co, size_t tiles, Plan *p)
{
  size_t per_tile = (size_t)NXI * (ci + co);
  size_t u_full = (size_t)NXI * ci * co, u_row = (size_t)ALPHA * ci * co;
  /* enough tiles that a product repays packing its (co, ci) filters */
  size_t t = MAX (CACHE_BAND_FLOATS / per_tile,
                  MAX ((size_t)32, (size_t)ci * co / 256));
  size_t nbands;
  t = MIN (t, tiles);
  if (u_full + t * per_tile <= COLUMN_BUDGET_FLOATS)
    p->full = TRUE;
  else if (u_row + 16 * per_tile <= COLUMN_BUDGET_FLOATS)
    {
      p->full = FALSE;
      t = MIN (tiles, (COLUMN_BUDGET_FLOATS - u_row) / per_tile);
    }
  else
    return FALSE;
  nbands = (tiles + t - 1) / t;
  p->per_band = (tiles + nbands - 1) / nbands; /* balanced */
  p->floats = (p->full ? u_full : u_row) + per_tile * p->per_band;
  return TRUE;
}

size_t
st_winograd_scratch_floats (int cin, int cout, int h, int w)
{
  Plan p;
  size_t tiles = (size_t)((h + 3) / 4) * ((w + 3) / 4);
  return plan_bands (cin, cout, tiles, &p) ? p.floats : 0;
}

/* The transforms, once per instruction set (winograd-kernels.h). */
#define CHUNK 32 /* tiles per vector run */
typedef void (*InputsFn) (const float *, int, int, int, int, size_t, size_t,
                          float *, size_t);
typedef void (*OutputsFn) (const float *, int, int, int, int, size_t, size_t,
                           const float *, uint8_t *, gboolean, float *, size_t);
typedef void (*FiltersFn) (const float *, size_t, int, int, gboolean, float *,
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
  *filters = transform_filters_portable;
#ifdef ST_WINOGRAD_X86
  switch (st_cpu_level ())
    {
    case ST_CPU_AVX512:
      *inputs = transform_inputs_avx512;
      *outputs = transform_outputs_avx512;
      *filters = transform_filters_avx512;
      break;
    case ST_CPU_AVX2:
      *inputs = transform_inputs_avx2;
      *outputs = transform_outputs_avx2;
      *filters = transform_filters_avx2;
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
  int ci, co, h, w, tw, a0, a1; /* a0 .. a1 - 1: the rows of U in u */
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
  b->filters (b->weight + (size_t)lo * row * 9, (size_t)(hi - lo) * row, b->a0,
              b->a1, b->backward, b->u + (size_t)lo * row,
              (size_t)b->ci * b->co);
}

/* m[xi] (co, nt) = U[xi] (co, ci) x v[xi] (ci, nt) for xi in lo .. hi - 1
 * (rows a0 .. a1 - 1 of U are in u).  Backward U[xi] is stored (ci, co):
 * transposed. */
static void
products_part (int lo, int hi, gpointer p)
{
  const Band *b = p;
  size_t cc = (size_t)b->ci * b->co;
  for (int xi = lo; xi < hi; xi++)
    {
      const float *uj = b->u + (size_t)(xi - b->a0 * ALPHA) * cc;
      st_sgemm (b->backward ? ST_TRANS : ST_NO_TRANS, ST_NO_TRANS, b->co,
                (int)b->nt, b->ci, 1.0f, uj, b->backward ? b->co : b->ci,
                b->v + (size_t)xi * b->ci * b->nt, (int)b->nt, 0.0f,
                b->m + (size_t)xi * b->co * b->nt, (int)b->nt);
    }
}

/* products_part with lo, hi counted from row a0's first product */
static void
products_range (int lo, int hi, gpointer p)
{
  const Band *b = p;
  products_part (b->a0 * ALPHA + lo, b->a0 * ALPHA + hi, p);
}

/* The products of rows a0 .. a1 - 1: independent, so shared out between
 * the engine's threads, each product single-threaded, as long as there
 * are at least as many products as threads.  OpenBLAS's own threads,
 * woken for each product, spun (sched_yield) between them on the cores
 * the transforms' threads needed: a third of VGG19's processor time at
 * 768 px went into yielding. */
static void
products (Band *b, int threads)
{
  int lo = b->a0 * ALPHA, hi = b->a1 * ALPHA;
  if (threads > hi - lo)
    {
      products_part (lo, hi, b);
      return;
    }
  st_blas_set_threads (1);
  st_parallel_for (threads, hi - lo, products_range, b);
  st_blas_set_threads (threads);
}

gboolean
st_winograd_conv (const float *in, int cin, int h, int w, const float *weight,
                  gboolean backward, const float *bias, int cout, float *out,
                  uint8_t *relu_mask, float *scratch, int threads)
{
  /* ci, co: the channels of this call's input and output.  Forward the
   * filters are (co, ci, 3, 3); backward they are the forward's, (ci, co,
   * 3, 3), used flipped and transposed. */
  int ci = cin, co = cout;
  int tw = (w + 3) / 4, th = (h + 3) / 4;
  size_t tiles = (size_t)tw * th;
  int filter_rows = backward ? ci : co; /* parts of the filter transform */
  float *owned = NULL;
  Plan plan;
  Band b;

  if (!plan_bands (ci, co, tiles, &plan))
    return FALSE;
  if (!scratch && !(scratch = owned = st_floats_new (plan.floats)))
    return FALSE;
  memset (&b, 0, sizeof b);
  pick_kernels (&b.inputs, &b.outputs, &b.filters);
  b.in = in, b.weight = weight, b.out = out;
  b.bias = backward ? NULL : bias;
  b.relu_mask = backward ? NULL : relu_mask;
  b.ci = ci, b.co = co, b.h = h, b.w = w, b.tw = tw, b.backward = backward;
  b.u = scratch;
  b.v = b.u + (size_t)(plan.full ? NXI : ALPHA) * ci * co;
  b.m = b.v + (size_t)NXI * ci * plan.per_band;

  if (plan.full)
    {
      b.a0 = 0, b.a1 = ALPHA;
      st_parallel_for (threads, filter_rows, filters_part, &b);
    }
  for (b.t0 = 0; b.t0 < tiles; b.t0 += plan.per_band)
    {
      b.nt = MIN (plan.per_band, tiles - b.t0);
      st_parallel_for (threads, ci, inputs_part, &b);
      if (plan.full)
        products (&b, threads);
      else
        for (int a = 0; a < ALPHA; a++)
          {
            b.a0 = a, b.a1 = a + 1;
            st_parallel_for (threads, filter_rows, filters_part, &b);
            products (&b, threads);
          }
      st_parallel_for (threads, co, outputs_part, &b);
    }
  g_free (owned);
  return TRUE;
}
