/* fuzz-resize.c - the engine's resampler (st_resample_planes, which makes
 * every scale's content and style) on odd sizes: 1 px, primes, extreme
 * aspect ratios, enlarging one axis while shrinking the other; and
 * st_image_new with sizes that are zero, negative or huge (NULL without
 * allocating).  Checks: finite output; a flat image stays flat; the
 * values stay within the Catmull-Rom kernel's overshoot of the source's
 * range. */
#include "internal.h"
#include "ops.h"
#include "fuzz-input.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Source and result have at most this many pixels, any aspect. */
#define MAX_PIXELS 2048

static int
side (FuzzInput *in)
{
  int how = fuzz_range (in, 0, 7);
  if (how == 0)
    return 1;
  if (how == 1)
    return fuzz_range (in, 1, MAX_PIXELS); /* a line */
  return fuzz_range (in, 1, 97);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzInput in = { data, size };
  StImage src = { 0 };
  float *planes, *out;
  int dw, dh, flat;
  float lo = INFINITY, hi = -INFINITY, value;
  size_t n;

  /* Sizes no image can have: NULL, no allocation, no crash. */
  if (fuzz_range (&in, 0, 7) == 0)
    {
      int w = fuzz_int (&in), h = fuzz_int (&in);
      if (w <= 0 || h <= 0 || (long long)w * h > (1ll << 28))
        {
          if (st_image_new (w, h))
            abort ();
          return 0;
        }
    }

  src.width = side (&in);
  src.height = side (&in);
  if ((size_t)src.width * src.height > MAX_PIXELS)
    src.height = MAX (1, MAX_PIXELS / src.width);
  dw = side (&in);
  dh = side (&in);
  if ((size_t)dw * dh > MAX_PIXELS)
    dh = MAX (1, MAX_PIXELS / dw);
  n = (size_t)src.width * src.height * 3;
  src.pixels = g_new (float, n);
  flat = fuzz_bool (&in);
  value = (float)fuzz_bits (&in, 1) / 255.0f;
  for (size_t i = 0; i < n; i++)
    {
      src.pixels[i] = flat ? value : (float)fuzz_bits (&in, 1) / 255.0f;
      lo = MIN (lo, src.pixels[i]);
      hi = MAX (hi, src.pixels[i]);
    }

  planes = g_new (float, n);
  out = g_new (float, (size_t)dw *dh * 3);
  st_hwc_to_chw (src.pixels, src.width, src.height, planes);
  st_resample_planes (planes, 3, src.width, src.height, out, dw, dh);
  for (size_t i = 0; i < (size_t)dw * dh * 3; i++)
    {
      float v = out[i];
      if (!isfinite (v))
        abort ();
      if (flat && fabsf (v - value) > 1e-4f)
        abort (); /* a flat image must stay flat */
      /* Catmull-Rom overshoots by at most ~13 % of the range (1D), so
       * ~27 % after two passes; more means bad weights. */
      if (v < lo - 0.3f * (hi - lo) - 1e-4f
          || v > hi + 0.3f * (hi - lo) + 1e-4f)
        abort ();
    }
  g_free (out);
  g_free (planes);
  g_free (src.pixels);
  return 0;
}
