/* layers.c - convolution, ReLU, pooling and the pyramid's blur-subsample,
 * each with a forward pass and an input-gradient pass.
 *
 * Convolution is Winograd (winograd.c) where it applies (3x3, zero
 * padding, 16 or more channels), else im2col + SGEMM, done in bands of
 * rows so that the column buffer stays small (about 32 MiB) whatever the
 * image size: memory stays linear in the pixel count and the product
 * still runs at SGEMM speed. */
#include "ops.h"

#include "blas.h"
#include <string.h>

/* Convolutions with at most this many products per output (cin * k * k)
 * work in cache-sized bands: their weights are small, so the product
 * repacks little per band, and the band's columns and outputs are still
 * in cache when the product and the ReLU read them (the embedded network's
 * 3 -> 128 filters, K = 27, 75, 147, and VGG19's conv1_1; at 512 px their
 * full-size buffers would otherwise go through memory three times). */
#define SMALL_K 256
#define SMALL_K_BAND_FLOATS (256u << 10) /* 1 MiB of columns + outputs */

/* Rows per band so that the (cin * k * k, rows * w) column buffer fits. */
static int
band_rows (int cin, int k, int h, int w)
{
  size_t per_row = (size_t)cin * k * k * w;
  size_t rows = COLUMN_BUDGET_FLOATS / MAX (per_row, 1);
  return (int)CLAMP (rows, 1, (size_t)h);
}

/* Rows per band of a small-K forward pass: columns (kk, rows * w) and
 * outputs (cout, rows * w) together about SMALL_K_BAND_FLOATS. */
static int
small_band_rows (int kk, int cout, int h, int w)
{
  size_t per_row = (size_t)(kk + cout) * w;
  size_t rows = SMALL_K_BAND_FLOATS / MAX (per_row, 1);
  return (int)CLAMP (rows, 1, (size_t)h);
}

/* Bias and ReLU on out[:, y0 * w .. (y0 + rows) * w) of an (cout, h * w)
 * output, recording relu_mask (same layout) when given. */
static void
bias_relu_band (float *out, uint8_t *relu_mask, const float *bias, int cout,
                size_t hw, size_t off, size_t n)
{
  for (int o = 0; o < cout; o++)
    {
      float bo = bias ? bias[o] : 0.0f;
      float *p = out + (size_t)o * hw + off;
      uint8_t *m = relu_mask ? relu_mask + (size_t)o * hw + off : NULL;
      if (m)
        for (size_t i = 0; i < n; i++)
          {
            float v = p[i] + bo;
            m[i] = v > 0.0f;
            p[i] = v > 0.0f ? v : 0.0f;
          }
      else if (bo != 0.0f)
        for (size_t i = 0; i < n; i++)
          p[i] += bo;
    }
}

/* col (cin * k * k, rows * w) <- patches of in (cin, h, w) for output rows
 * y0 .. y0 + rows - 1. */
void
st_im2col_band (const float *in, int cin, int h, int w, int k, StPad pad,
                int y0, int rows, float *col)
{
  int r = k / 2;
  size_t n = (size_t)rows * w;
  for (int c = 0; c < cin; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          float *dst = col + ((size_t)(c * k + ky) * k + kx) * n;
          int dx = kx - r;
          /* x range whose source x + dx is inside the image */
          int x_lo = MAX (0, -dx), x_hi = MIN (w, w - dx);
          for (int y = 0; y < rows; y++)
            {
              int sy = st_pad_index (y0 + y + ky - r, h, pad);
              float *d = dst + (size_t)y * w;
              if (sy < 0)
                {
                  memset (d, 0, (size_t)w * sizeof (float));
                  continue;
                }
              const float *s = in + ((size_t)c * h + sy) * w;
              if (x_hi > x_lo)
                memcpy (d + x_lo, s + x_lo + dx,
                        (size_t)(x_hi - x_lo) * sizeof (float));
              for (int x = 0; x < MIN (x_lo, w); x++)
                {
                  int sx = st_pad_index (x + dx, w, pad);
                  d[x] = sx < 0 ? 0.0f : s[sx];
                }
              for (int x = MAX (x_hi, 0); x < w; x++)
                {
                  int sx = st_pad_index (x + dx, w, pad);
                  d[x] = sx < 0 ? 0.0f : s[sx];
                }
            }
        }
}

/* grad_in (cin, h, w) += the transpose of im2col_band applied to col. */
void
st_col2im_band (const float *col, int cin, int h, int w, int k, StPad pad,
                int y0, int rows, float *grad_in)
{
  int r = k / 2;
  size_t n = (size_t)rows * w;
  for (int c = 0; c < cin; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          const float *src = col + ((size_t)(c * k + ky) * k + kx) * n;
          int dx = kx - r;
          int x_lo = MAX (0, -dx), x_hi = MIN (w, w - dx);
          for (int y = 0; y < rows; y++)
            {
              int sy = st_pad_index (y0 + y + ky - r, h, pad);
              if (sy < 0)
                continue;
              const float *s = src + (size_t)y * w;
              float *g = grad_in + ((size_t)c * h + sy) * w;
              for (int x = x_lo; x < x_hi; x++)
                g[x + dx] += s[x];
              for (int x = 0; x < MIN (x_lo, w); x++)
                {
                  int sx = st_pad_index (x + dx, w, pad);
                  if (sx >= 0)
                    g[sx] += s[x];
                }
              for (int x = MAX (x_hi, 0); x < w; x++)
                {
                  int sx = st_pad_index (x + dx, w, pad);
                  if (sx >= 0)
                    g[sx] += s[x];
                }
            }
        }
}

/* Winograd with the caller's scratch when it is large enough, else its
 * own; FALSE (then im2col runs) only when no memory can be had. */
static gboolean
winograd (const float *in, int cin, int h, int w, const float *weight,
          gboolean backward, const float *bias, int cout, float *out,
          uint8_t *relu_mask, float *scratch, size_t scratch_floats,
          int threads)
{
  size_t need = st_winograd_scratch_floats (cin, cout, h, w);
  return need
         && st_winograd_conv (in, cin, h, w, weight, backward, bias, cout, out,
                              relu_mask,
                              need <= scratch_floats ? scratch : NULL, threads);
}

size_t
st_conv_scratch_floats (int cin, int k, int h, int w)
{
  return k == 1 ? 0 : (size_t)cin * k * k * band_rows (cin, k, h, w) * w;
}

gboolean
st_conv_forward (const float *in, int cin, int h, int w, const float *weight,
                 const float *bias, int cout, int k, StPad pad, float *out,
                 uint8_t *relu_mask, float *scratch, int threads)
{
  size_t hw = (size_t)h * w;
  int kk = cin * k * k;
  gboolean small = k > 1 && kk <= SMALL_K;
  int rows
      = small ? small_band_rows (kk, cout, h, w) : band_rows (cin, k, h, w);
  float *col = scratch, *owned = NULL;

  if (st_winograd_applies (cin, cout, k, pad)
      && winograd (in, cin, h, w, weight, FALSE, bias, cout, out, relu_mask,
                   scratch, st_conv_scratch_floats (cin, k, h, w), threads))
    return TRUE;
  if (k == 1)
    rows = h, col = NULL; /* a 1x1 convolution is a plain product */
  else if (!col && !(col = owned = st_floats_new ((size_t)kk * rows * w)))
    return FALSE;
  /* (a small band never needs more than st_conv_scratch_floats) */

  for (int y0 = 0; y0 < h; y0 += rows)
    {
      int n = MIN (rows, h - y0);
      size_t off = (size_t)y0 * w;
      const float *b = in + off;
      int ldb = (int)hw;
      if (col)
        {
          st_im2col_band (in, cin, h, w, k, pad, y0, n, col);
          b = col;
          ldb = n * w;
        }
      /* out[:, band] (cout, n * w) = weight (cout, kk) x col (kk, n * w) */
      st_sgemm (ST_NO_TRANS, ST_NO_TRANS, cout, n * w, kk, 1.0f, weight, kk, b,
                ldb, 0.0f, out + off, (int)hw);
      /* Bias and ReLU while the band is in cache, recording the mask. */
      if (small)
        bias_relu_band (out, relu_mask, bias, cout, hw, off, (size_t)n * w);
    }
  g_free (owned);

  if (!small)
    bias_relu_band (out, relu_mask, bias, cout, hw, 0, hw);
  return TRUE;
}

gboolean
st_conv_backward (const float *grad_out, int cin, int h, int w,
                  const float *weight, int cout, int k, StPad pad,
                  float *grad_in, float *scratch, int threads)
{
  size_t hw = (size_t)h * w;
  int kk = cin * k * k;
  /* small K: the band's columns go to col2im while still in cache */
  int rows = k > 1 && kk <= SMALL_K ? small_band_rows (kk, 0, h, w)
                                    : band_rows (cin, k, h, w);
  float *col = scratch, *owned = NULL;

  /* grad_in = the same-size convolution of grad_out with the filters
   * flipped and transposed (zero padding makes it exact): Winograd again */
  if (st_winograd_applies (cin, cout, k, pad)
      && winograd (grad_out, cout, h, w, weight, TRUE, NULL, cin, grad_in, NULL,
                   scratch, st_conv_scratch_floats (cin, k, h, w), threads))
    return TRUE;
  if (k == 1)
    {
      /* grad_in (cin, hw) += weight^T (cin, cout) x grad_out (cout, hw) */
      st_sgemm (ST_TRANS, ST_NO_TRANS, cin, (int)hw, cout, 1.0f, weight, cin,
                grad_out, (int)hw, 1.0f, grad_in, (int)hw);
      return TRUE;
    }
  if (!col && !(col = owned = st_floats_new ((size_t)kk * rows * w)))
    return FALSE;
  for (int y0 = 0; y0 < h; y0 += rows)
    {
      int n = MIN (rows, h - y0);
      /* col (kk, n * w) = weight^T (kk, cout) x grad_out[:, band] */
      st_sgemm (ST_TRANS, ST_NO_TRANS, kk, n * w, cout, 1.0f, weight, kk,
                grad_out + (size_t)y0 * w, (int)hw, 0.0f, col, n * w);
      st_col2im_band (col, cin, h, w, k, pad, y0, n, grad_in);
    }
  g_free (owned);
  return TRUE;
}

void
st_relu_backward (float *grad, const uint8_t *mask, size_t n)
{
  /* a multiply, not a branch: the mask is as random as a coin */
  for (size_t i = 0; i < n; i++)
    grad[i] *= (float)mask[i];
}

/* ---------------------------------------------------------- pooling */

void
st_maxpool_forward (const float *in, int c, int h, int w, float *out,
                    uint8_t *argmax)
{
  int oh = h / 2, ow = w / 2;
  for (int p = 0; p < c; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          const float *s = in + ((size_t)p * h + 2 * y) * w + 2 * x;
          float v[4] = { s[0], s[1], s[w], s[w + 1] };
          int best = 0;
          for (int i = 1; i < 4; i++)
            if (v[i] > v[best])
              best = i;
          size_t o = ((size_t)p * oh + y) * ow + x;
          out[o] = v[best];
          argmax[o] = (uint8_t)best;
        }
}

void
st_maxpool_backward (const float *grad_out, const uint8_t *argmax, int c, int h,
                     int w, float *grad_in)
{
  int oh = h / 2, ow = w / 2;
  for (int p = 0; p < c; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          size_t o = ((size_t)p * oh + y) * ow + x;
          int a = argmax[o];
          grad_in[((size_t)p * h + 2 * y + (a >> 1)) * w + 2 * x + (a & 1)]
              += grad_out[o];
        }
}

void
st_avgpool_forward (const float *in, int c, int h, int w, float *out)
{
  int oh = h / 2, ow = w / 2;
  for (int p = 0; p < c; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          const float *s = in + ((size_t)p * h + 2 * y) * w + 2 * x;
          out[((size_t)p * oh + y) * ow + x]
              = 0.25f * (s[0] + s[1] + s[w] + s[w + 1]);
        }
}

void
st_avgpool_backward (const float *grad_out, int c, int h, int w, float *grad_in)
{
  int oh = h / 2, ow = w / 2;
  for (int p = 0; p < c; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          float g = 0.25f * grad_out[((size_t)p * oh + y) * ow + x];
          float *d = grad_in + ((size_t)p * h + 2 * y) * w + 2 * x;
          d[0] += g;
          d[1] += g;
          d[w] += g;
          d[w + 1] += g;
        }
}

/* ---------------------------------------------------- blur-subsample */

/* The binomial kernel approximates a Gaussian (sigma ~1) with small
 * support: it removes what would alias at half the sampling rate, unlike
 * 2x2 averaging, which left blocky artefacts in the prototype. */
static const float binomial5[5]
    = { 1 / 16.f, 4 / 16.f, 6 / 16.f, 4 / 16.f, 1 / 16.f };

void
st_blurdown_forward (const float *in, int c, int h, int w, float *out)
{
  int oh = (h + 1) / 2, ow = (w + 1) / 2;
  float *tmp = g_try_new (float, (size_t)h *ow); /* (h, ow) per plane */
  if (!tmp)
    {
      /* Out of memory for one row set: plain subsampling, still finite. */
      for (int p = 0; p < c; p++)
        for (int y = 0; y < oh; y++)
          for (int x = 0; x < ow; x++)
            out[((size_t)p * oh + y) * ow + x]
                = in[((size_t)p * h + 2 * y) * w + 2 * x];
      return;
    }
  for (int p = 0; p < c; p++)
    {
      const float *s = in + (size_t)p * h * w;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < ow; x++)
          {
            float acc = 0.0f;
            for (int j = 0; j < 5; j++)
              acc += binomial5[j]
                     * s[(size_t)y * w
                         + st_pad_index (2 * x + j - 2, w, ST_PAD_SYMMETRIC)];
            tmp[(size_t)y * ow + x] = acc;
          }
      float *d = out + (size_t)p * oh * ow;
      for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
          {
            float acc = 0.0f;
            for (int j = 0; j < 5; j++)
              acc += binomial5[j]
                     * tmp[(size_t)st_pad_index (2 * y + j - 2, h,
                                                 ST_PAD_SYMMETRIC)
                               * ow
                           + x];
            d[(size_t)y * ow + x] = acc;
          }
    }
  g_free (tmp);
}

void
st_blurdown_backward (const float *grad_out, int c, int h, int w,
                      float *grad_in)
{
  int oh = (h + 1) / 2, ow = (w + 1) / 2;
  float *tmp = g_try_new0 (float, (size_t)h *ow);
  if (!tmp)
    return; /* the forward pass could not have run either */
  for (int p = 0; p < c; p++)
    {
      const float *g = grad_out + (size_t)p * oh * ow;
      memset (tmp, 0, (size_t)h * ow * sizeof (float));
      for (int y = 0; y < oh; y++)
        for (int j = 0; j < 5; j++)
          {
            int sy = st_pad_index (2 * y + j - 2, h, ST_PAD_SYMMETRIC);
            for (int x = 0; x < ow; x++)
              tmp[(size_t)sy * ow + x] += binomial5[j] * g[(size_t)y * ow + x];
          }
      float *d = grad_in + (size_t)p * h * w;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < ow; x++)
          {
            float v = tmp[(size_t)y * ow + x];
            for (int j = 0; j < 5; j++)
              d[(size_t)y * w
                + st_pad_index (2 * x + j - 2, w, ST_PAD_SYMMETRIC)]
                  += binomial5[j] * v;
          }
    }
  g_free (tmp);
}
