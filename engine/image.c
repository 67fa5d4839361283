/* image.c - images: the interleaved StImage of the public API, its planar
 * layout inside the engine, and resampling. */
#include "ops.h"

#include <math.h>
#include <string.h>

/* ----------------------------------------------------- image layouts */

void
st_hwc_to_chw (const float *hwc, int w, int h, float *chw)
{
  size_t plane = (size_t)w * h;
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      chw[c * plane + i] = hwc[i * 3 + c];
}

void
st_chw_to_hwc (const float *chw, int w, int h, float *hwc)
{
  size_t plane = (size_t)w * h;
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      hwc[i * 3 + c] = chw[c * plane + i];
}

void
st_fit_long_side (int w, int h, int long_side, int *out_w, int *out_h)
{
  if (w >= h)
    {
      *out_w = long_side;
      *out_h = MAX (1, (int)lround ((double)h * long_side / w));
    }
  else
    {
      *out_h = long_side;
      *out_w = MAX (1, (int)lround ((double)w * long_side / h));
    }
}

/* Catmull-Rom cubic (a = -0.5): interpolating, sharp without ringing much. */
double
st_cubic_weight (double x)
{
  x = fabs (x);
  if (x < 1.0)
    return (1.5 * x - 2.5) * x * x + 1.0;
  if (x < 2.0)
    return ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0;
  return 0.0;
}

/* Weights of one 1-D resampling pass: for each output i, taps first[i] ..
 * first[i] + count - 1 (clamped to the source) with weights w[i * count]. */
typedef struct
{
  int count;
  int *first;    /* (out) */
  float *weight; /* (out, count) */
} Taps;

static gboolean
taps_init (Taps *t, int in, int out)
{
  double scale = (double)in / out;
  double stretch = MAX (scale, 1.0); /* widen the kernel when shrinking */
  double support = 2.0 * stretch;
  t->count = (int)ceil (support) * 2 + 1;
  t->first = g_try_new (int, out);
  t->weight = g_try_new0 (float, (size_t)out * t->count);
  if (!t->first || !t->weight)
    return FALSE;
  for (int i = 0; i < out; i++)
    {
      double center = (i + 0.5) * scale;
      int lo = (int)floor (center - support);
      double sum = 0.0;
      float *wi = t->weight + (size_t)i * t->count;
      t->first[i] = lo;
      for (int j = 0; j < t->count; j++)
        {
          double x = (lo + j + 0.5 - center) / stretch;
          wi[j] = (float)st_cubic_weight (x);
          sum += wi[j];
        }
      for (int j = 0; j < t->count; j++)
        wi[j] = (float)(wi[j] / sum);
    }
  return TRUE;
}

static void
taps_clear (Taps *t)
{
  g_free (t->first);
  g_free (t->weight);
}

/* One plane's pass along x: dst (h, dw) <- src (h, sw). */
static void
pass_x (const float *src, int sw, int h, const Taps *tx, float *dst, int dw)
{
  for (int y = 0; y < h; y++)
    for (int x = 0; x < dw; x++)
      {
        const float *wx = tx->weight + (size_t)x * tx->count;
        double acc = 0.0;
        for (int j = 0; j < tx->count; j++)
          {
            int sx = CLAMP (tx->first[x] + j, 0, sw - 1);
            acc += wx[j] * src[(size_t)y * sw + sx];
          }
        dst[(size_t)y * dw + x] = (float)acc;
      }
}

/* One plane's pass along y: dst (dh, w) <- src (sh, w). */
static void
pass_y (const float *src, int w, int sh, const Taps *ty, float *dst, int dh)
{
  for (int y = 0; y < dh; y++)
    {
      const float *wy = ty->weight + (size_t)y * ty->count;
      for (int x = 0; x < w; x++)
        {
          double acc = 0.0;
          for (int j = 0; j < ty->count; j++)
            {
              int sy = CLAMP (ty->first[y] + j, 0, sh - 1);
              acc += wy[j] * src[(size_t)sy * w + x];
            }
          dst[(size_t)y * w + x] = (float)acc;
        }
    }
}

void
st_resample_planes (const float *src, int c, int sw, int sh, float *dst, int dw,
                    int dh)
{
  Taps tx = { 0 }, ty = { 0 };
  gboolean ok = taps_init (&tx, sw, dw) && taps_init (&ty, sh, dh);
  /* x first, as always, unless y first costs less than half: a line
   * turned across (1 x 2048 to 2048 x 1) took 33 M taps x first, 16 k y
   * first (the fuzzer's slow inputs).  Same-aspect resizes, every run's,
   * cost the same both ways and keep their order and bytes. */
  double x_first
      = ok ? (double)sh * dw * tx.count + (double)dh * dw * ty.count : 0.0;
  double y_first
      = ok ? (double)dh * sw * ty.count + (double)dh * dw * tx.count : 0.0;
  gboolean y_then_x = 2.0 * y_first < x_first;
  float *tmp
      = ok ? g_try_new (float, y_then_x ? (size_t)dh *sw : (size_t)sh *dw)
           : NULL;
  if (!tmp)
    {
      /* Only on exhausted memory: fall back to nearest neighbour, which
       * needs nothing. */
      for (int p = 0; p < c; p++)
        for (int y = 0; y < dh; y++)
          for (int x = 0; x < dw; x++)
            dst[((size_t)p * dh + y) * dw + x]
                = src[((size_t)p * sh + (size_t)y * sh / dh) * sw
                      + (size_t)x * sw / dw];
      taps_clear (&tx);
      taps_clear (&ty);
      return;
    }
  for (int p = 0; p < c; p++)
    {
      const float *sp = src + (size_t)p * sw * sh;
      float *dp = dst + (size_t)p * dw * dh;
      if (y_then_x)
        {
          pass_y (sp, sw, sh, &ty, tmp, dh);
          pass_x (tmp, sw, dh, &tx, dp, dw);
        }
      else
        {
          pass_x (sp, sw, sh, &tx, tmp, dw);
          pass_y (tmp, dw, sh, &ty, dp, dh);
        }
    }
  taps_clear (&tx);
  taps_clear (&ty);
  g_free (tmp);
}

/* ------------------------------------------------------------ images */

/* The largest image the engine accepts: 2^28 pixels, so that every index
 * computed in int over a plane stays far from overflow. */
#define ST_MAX_PIXELS (1u << 28)

StImage *
st_image_new (int width, int height)
{
  StImage *image;
  if (width <= 0 || height <= 0
      || (guint64)width * (guint64)height > ST_MAX_PIXELS)
    return NULL;
  if (!(image = g_try_new0 (StImage, 1)))
    return NULL;
  image->width = width;
  image->height = height;
  image->pixels = st_floats_new ((size_t)width * height * 3);
  if (!image->pixels)
    {
      g_free (image);
      return NULL;
    }
  return image;
}

StImage *
st_image_copy (const StImage *image)
{
  StImage *copy = st_image_new (image->width, image->height);
  if (copy)
    memcpy (copy->pixels, image->pixels,
            (size_t)image->width * image->height * 3 * sizeof (float));
  return copy;
}

void
st_image_free (StImage *image)
{
  if (!image)
    return;
  g_free (image->pixels);
  g_free (image);
}

/* ------------------------------------------------------- filtering */

void
st_filter_plane (float *plane, int w, int h, const float *taps, int radius,
                 float *tmp)
{
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const float *row = plane + (size_t)y * w;
        float sum = taps[0] * row[x];
        for (int i = 1; i <= radius; i++)
          sum += taps[i]
                 * (row[st_pad_index (x - i, w, ST_PAD_SYMMETRIC)]
                    + row[st_pad_index (x + i, w, ST_PAD_SYMMETRIC)]);
        tmp[(size_t)y * w + x] = sum;
      }
  for (int y = 0; y < h; y++)
    {
      float *out = plane + (size_t)y * w;
      const float *mid = tmp + (size_t)y * w;
      for (int x = 0; x < w; x++)
        out[x] = taps[0] * mid[x];
      for (int i = 1; i <= radius; i++)
        {
          const float *above
              = tmp + (size_t)st_pad_index (y - i, h, ST_PAD_SYMMETRIC) * w;
          const float *below
              = tmp + (size_t)st_pad_index (y + i, h, ST_PAD_SYMMETRIC) * w;
          for (int x = 0; x < w; x++)
            out[x] += taps[i] * (above[x] + below[x]);
        }
    }
}

void
st_top_octave (float *planes, int c, int w, int h, float *tmp)
{
  static const float binomial5[] = { 6.0f / 16, 4.0f / 16, 1.0f / 16 };
  size_t n = (size_t)w * h;
  float *low = tmp + n;
  for (int p = 0; p < c; p++)
    {
      float *v = planes + p * n;
      memcpy (low, v, n * sizeof (float));
      st_filter_plane (low, w, h, binomial5, 2, tmp);
      for (size_t i = 0; i < n; i++)
        v[i] -= low[i];
    }
}
