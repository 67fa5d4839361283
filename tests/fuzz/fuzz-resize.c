/* fuzz-resize.c - the image resampler (st_image_resize) on odd sizes:
 * 1 px, primes, extreme aspect ratios, enlarging one axis while shrinking
 * the other, and sizes that are zero, negative or huge (which must give
 * NULL without allocating).  Checks: finite output of the asked size; a
 * flat image stays flat; the values stay within the Catmull-Rom kernel's
 * overshoot of the source's range. */
#include "internal.h"
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
  StImage src = { 0 }, *out;
  int dw, dh, flat;
  float lo = INFINITY, hi = -INFINITY, value;
  size_t n;

  /* Sizes the caller should never pass: NULL, no allocation, no crash. */
  if (fuzz_range (&in, 0, 7) == 0)
    {
      int w = fuzz_int (&in), h = fuzz_int (&in);
      StImage one = { 1, 1, (float[3]){ 0.1f, 0.2f, 0.3f } };
      if (w <= 0 || h <= 0 || (long long)w * h > (1ll << 28))
        {
          if (st_image_resize (&one, w, h))
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

  out = st_image_resize (&src, dw, dh);
  if (!out || out->width != dw || out->height != dh)
    abort ();
  for (size_t i = 0; i < (size_t)dw * dh * 3; i++)
    {
      float v = out->pixels[i];
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
  st_image_free (out);
  g_free (src.pixels);
  return 0;
}
