/* ops.h - the engine's building blocks: plain functions on plain buffers.
 *
 * Tensors are float32, CHW (channels, height, width), row-major.  Every
 * layer has a forward pass and a backward pass that ACCUMULATES the
 * gradient with respect to its input (weights never train).  Shapes are
 * written beside every buffer. */
#ifndef ST_OPS_H
#define ST_OPS_H

#include "internal.h"

#include <stdint.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------ memory */

/* NULL when the allocation fails (never aborts: we run inside GIMP). */
float *st_floats_new (size_t n); /* zeroed */
float *st_floats_dup (const float *src, size_t n);
uint8_t *st_bytes_new (size_t n); /* zeroed */
/* The threads a request means: requested when 1 .. the cores, else (0,
 * "all cores") the count the user gave BLAS libraries
 * (OPENBLAS_NUM_THREADS, ...) or all cores. */
int st_get_threads (int requested);
/* The most threads one parallel loop uses. */
#define ST_PARALLEL_MAX 64
/* fn (lo, hi, data) on contiguous parts of [0, n), one per thread (at most
 * `threads`, the run's count), the caller's thread taking the first;
 * returns when all are done.  Parts must not depend on each other: then
 * the result is the same bytes whatever the thread count. */
typedef void (*StRangeFunc) (int lo, int hi, gpointer data);
void st_parallel_for (int threads, int n, StRangeFunc fn, gpointer data);

/* ----------------------------------------------------------- random */

/* splitmix64: a small, portable, seedable generator
 * whose sequence never changes between platforms or GLib versions. */
typedef struct
{
  uint64_t state;
  gboolean has_spare;
  double spare;
} StRng;

void st_rng_init (StRng *rng, uint64_t seed);
double st_rng_uniform (StRng *rng); /* [0, 1) */
double st_rng_normal (StRng *rng);  /* N(0, 1) */

/* ---------------------------------------------------- image layouts */

/* (h, w, 3) interleaved <-> (3, h, w) planar */
void st_hwc_to_chw (const float *hwc, int w, int h, float *chw);
void st_chw_to_hwc (const float *chw, int w, int h, float *hwc);
/* Resamples each of c planes (c, sh, sw) -> (c, dh, dw): Catmull-Rom
 * bicubic, its support widened when shrinking so that it antialiases. */
void st_resample_planes (const float *src, int c, int sw, int sh, float *dst,
                         int dw, int dh);
/* plane (h, w) <- plane filtered both ways by the symmetric kernel
 * taps[|i|], |i| <= radius, edges mirrored; tmp holds h w floats.  With
 * the edge repeated (st_pad_index), the filter is a symmetric matrix: its
 * own adjoint. */
void st_filter_plane (float *plane, int w, int h, const float *taps, int radius,
                      float *tmp);
/* The top octave of each of c planes (c, h, w), in place: v - B v, B the
 * binomial [1 4 6 4 1] / 16 both ways (st_filter_plane), which passes
 * 0.75 at half the Nyquist frequency, 0.27 at a quarter and nothing of a
 * flat plane; a symmetric operator, so the gradient through it is itself.
 * tmp holds 2 h w floats. */
void st_top_octave (float *planes, int c, int w, int h, float *tmp);

/* ----------------------------------------------------------- layers */

typedef enum
{
  ST_PAD_ZERO,
  ST_PAD_SYMMETRIC
} StPad;

/* The one padding rule of every convolution (layers.c, tiled.c) and the
 * pyramid's blur: maps a padded coordinate into [0, n), or -1 for a zero
 * pad.  Symmetric mirrors with the edge repeated (numpy "symmetric"):
 * every pixel is then read by exactly k windows of a k-wide kernel along
 * each axis, the edge pixel too.  Mirrored without the repeat (numpy
 * "reflect"), the edge pixel was read by k/2 + 1 windows and the next k/2
 * pixels by k + 1: the loss held the outer pixels loosely and the ones
 * beside them hard, and every result came out with a tinted line a few
 * pixels wide along its edges (issue 18's frame line: at 1920 px the
 * outer 3 px of two results differed from the band 12-24 px inside by up
 * to 38 and 41 RGB levels, where their photos differ by at most 17 and
 * 12; 16 and 17 with the edge repeated).  Loops only for pads wider than
 * the image. */
static inline int
st_pad_index (int i, int n, StPad pad)
{
  if (i >= 0 && i < n)
    return i;
  if (pad == ST_PAD_ZERO)
    return -1;
  if (n == 1)
    return 0;
  while (i < 0 || i >= n)
    i = i < 0 ? -i - 1 : 2 * n - 1 - i;
  return i;
}

/* im2col scratch per convolution: 32 MiB, whatever the image size. */
#define COLUMN_BUDGET_FLOATS (8u << 20)
#define COLUMN_BUDGET_BYTES (COLUMN_BUDGET_FLOATS * sizeof (float))

/* Same-size convolution, stride 1, odd kernel k, padding k/2:
 *   out (cout, h, w) = weight (cout, cin, k, k) * in (cin, h, w) + bias
 * then ReLU when relu_mask is given: relu_mask (cout, h, w) records which
 * outputs were positive, for the backward pass.  Returns FALSE when the
 * scratch buffer cannot be allocated. */
gboolean st_conv_forward (const float *in, int cin, int h, int w,
                          const float *weight, const float *bias, int cout,
                          int k, StPad pad, float *out, uint8_t *relu_mask,
                          float *scratch, int threads);
/* grad_in (cin, h, w) += weight^T * grad_out (cout, h, w).  grad_out is
 * taken after the ReLU mask was applied (st_relu_backward).  threads: the
 * run's, for the Winograd transforms (st_parallel_for). */
gboolean st_conv_backward (const float *grad_out, int cin, int h, int w,
                           const float *weight, int cout, int k, StPad pad,
                           float *grad_in, float *scratch, int threads);
/* Floats of im2col scratch a convolution needs (0 for 1x1); the scratch
 * argument of both passes may be NULL, then they allocate it. */
size_t st_conv_scratch_floats (int cin, int k, int h, int w);

/* col (cin * k * k, rows * w) <- the patches of in (cin, h, w) under
 * output rows y0 .. y0 + rows - 1; st_col2im_band: grad_in += its
 * transpose applied to col. */
void st_im2col_band (const float *in, int cin, int h, int w, int k, StPad pad,
                     int y0, int rows, float *col);
void st_col2im_band (const float *col, int cin, int h, int w, int k, StPad pad,
                     int y0, int rows, float *grad_in);

/* Winograd F(4x4, 3x3) (winograd.c), which st_conv_forward and
 * st_conv_backward use by themselves where it applies: 3 x 3, zero
 * padding, 16 channels or more in and out.  Forward: in (cin, h, w),
 * weight (cout, cin, 3, 3), out (cout, h, w) = conv + bias, then ReLU with
 * relu_mask when given.  backward: in is an output gradient (cin channels
 * here = the forward's cout), weight is still the forward's (cin_fwd = cout
 * here, ...) and out (cout, h, w) += the input gradient.  scratch may be
 * NULL (allocated); FALSE when memory is short. */
gboolean st_winograd_applies (int cin, int cout, int k, StPad pad);
size_t st_winograd_scratch_floats (int cin, int cout, int h, int w);
gboolean st_winograd_conv (const float *in, int cin, int h, int w,
                           const float *weight, gboolean backward,
                           const float *bias, int cout, float *out,
                           uint8_t *relu_mask, float *scratch, int threads);

/* A pool of buffers reused from one evaluation to the next: each
 * evaluation asks for the same sizes in the same order, so after the first
 * one nothing is allocated, paged in or zeroed by the kernel again. */
typedef struct StPool StPool;
StPool *st_pool_new (void); /* NULL when out of memory */
void st_pool_free (StPool *pool);
/* pool may be NULL (plain allocation); zeroed when zero is TRUE */
void *st_pool_get (StPool *pool, size_t bytes, gboolean zero);
void st_pool_put (StPool *pool, void *ptr);
/* grad (n) *= mask (n) */
void st_relu_backward (float *grad, const uint8_t *mask, size_t n);

/* 2x2 pooling, stride 2: (c, h, w) -> (c, h/2, w/2), odd edges dropped as
 * in torch.  argmax (c, h/2, w/2) keeps which of the 4 inputs won. */
void st_maxpool_forward (const float *in, int c, int h, int w, float *out,
                         uint8_t *argmax);
void st_maxpool_backward (const float *grad_out, const uint8_t *argmax, int c,
                          int h, int w, float *grad_in);
void st_avgpool_forward (const float *in, int c, int h, int w, float *out);
void st_avgpool_backward (const float *grad_out, int c, int h, int w,
                          float *grad_in);

/* 5x5 binomial blur ([1 4 6 4 1]/16 each way, mirrored edges) sampled at
 * even pixels: (c, h, w) -> (c, (h+1)/2, (w+1)/2).  The pyramid step of the
 * embedded network. */
void st_blurdown_forward (const float *in, int c, int h, int w, float *out);
void st_blurdown_backward (const float *grad_out, int c, int h, int w,
                           float *grad_in);

/* ------------------------------------------------------------ losses */

/* gram (c, c) = f (c, n) f^T / n */
/* m (c, c) <- its upper triangle mirrored into the lower one. */
void st_mirror_upper (float *m, int c);
void st_gram (const float *f, int c, int n, float *gram);
double st_sum_squares (const float *x, size_t n);
/* Style: ||G - target||^2 / target_norm, G = gram (f).  grad_f (c, n) +=
 * scale * dL/df when grad_f is not NULL. Returns the unscaled loss. */
double st_style_loss (const float *f, int c, int n, const float *target,
                      double target_norm, double scale, float *grad_f,
                      float *scratch /* (c, c) */);
/* Content: ||f - target||^2 / target_norm; grad_f += scale * dL/df. */
double st_content_loss (const float *f, size_t n, const float *target,
                        double target_norm, double scale, float *grad_f);
/* Total variation: mean over (c, h, w) of squared right and down
 * neighbour differences; grad += scale * dTV/dx. */
double st_tv_loss (const float *x, int c, int h, int w, double scale,
                   float *grad);
/* mean of squared excursions outside [0, 1]; grad += scale * d/dx. */
double st_range_loss (const float *x, size_t n, double scale, float *grad);

/* -------------------------------------------------------- optimizers */

/* *loss = the loss at x, its gradient added to grad: ST_OK, also for a
 * NaN or infinite loss (reported as it is: the optimizer stops on it with
 * ST_ERROR_NUMERIC); any other status (ST_ERROR_MEMORY, ST_CANCELLED)
 * stops the optimizer at once, which returns it. */
typedef StStatus (*StObjective) (const float *x, float *grad, double *loss,
                                 gpointer data);
/* Called after each iteration; FALSE cancels. */
typedef gboolean (*StIterationFunc) (int iteration, double loss, const float *x,
                                     gpointer data);

typedef struct
{
  int iterations;          /* at most this many iterations           */
  int history;             /* L-BFGS pairs kept                      */
  double tolerance_grad;   /* stop when max |grad| <= this           */
  double tolerance_change; /* stop when |loss change| <= this * |loss| */
  double learning_rate;    /* Adam step; L-BFGS first step scale     */
  int max_evaluations_per_iteration; /* L-BFGS line search bound */
  /* L-BFGS stops early once the loss is at most plateau_below and fell by
   * less than plateau_fraction of itself per iteration over the last
   * ST_PLATEAU_WINDOW iterations (plateau_fraction 0: never). */
  double plateau_fraction;
  double plateau_below;
} StOptimizerConfig;
#define ST_PLATEAU_WINDOW 5

typedef struct
{
  int iterations;
  int evaluations;
  double loss;
} StOptimizerResult;

/* x (n) is improved in place.  ST_OK, ST_CANCELLED, ST_ERROR_NUMERIC,
 * ST_ERROR_MEMORY (the optimizer's own vectors), or the status of an
 * objective that failed.  result may be NULL. */
StStatus st_lbfgs (float *x, size_t n, const StOptimizerConfig *config,
                   StObjective objective, StIterationFunc iteration,
                   gpointer data, StOptimizerResult *result);
StStatus st_adam (float *x, size_t n, const StOptimizerConfig *config,
                  StObjective objective, StIterationFunc iteration,
                  gpointer data, StOptimizerResult *result);

G_END_DECLS

#endif
