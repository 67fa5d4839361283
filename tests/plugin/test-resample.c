/* test-resample.c - the plug-in's row-by-row scalers.  Enlarging
 * (bicubic): same size is a copy, constants and ramps survive, steps stay
 * within [0, 1], the row cache gives the same rows in any order.
 * Reducing (area average): blocks average exactly, the mean survives odd
 * ratios, and colour under transparent pixels does not bleed.  Out of
 * memory, both answer NULL instead of ending the plug-in. */
#include <math.h>
#include <stdio.h>
#include <sys/resource.h>

#include "../common/check.h"
#include "resample.h"

/* All rows of source resampled to width x height, (height, width, 3). */
static gfloat *
resample (const StImage *source, gint width, gint height, gboolean backwards)
{
  StRowResampler *resampler = st_row_resampler_new (source, width, height);
  gfloat *out = g_new (gfloat, (gsize)width * height * 3);
  gint y;

  for (y = 0; y < height; y++)
    {
      gint row = backwards ? height - 1 - y : y;

      st_row_resampler_row (resampler, row, out + (gsize)row * width * 3);
    }
  st_row_resampler_free (resampler);

  return out;
}

static StImage *
pattern (gint width, gint height)
{
  StImage *image = st_image_new (width, height);
  gint i;

  for (i = 0; i < width * height * 3; i++)
    image->pixels[i] = (gfloat)((i * 37 % 101) / 100.0);

  return image;
}

static void
test_same_size_is_copy (void)
{
  StImage *source = pattern (13, 7);
  gfloat *out = resample (source, 13, 7, FALSE);
  gint i;

  for (i = 0; i < 13 * 7 * 3; i++)
    CHECK (fabsf (out[i] - source->pixels[i]) < 1e-6f,
           "same size: %d: %g vs %g", i, out[i], source->pixels[i]);
  g_free (out);
  st_image_free (source);
}

static void
test_constant_and_ramp (void)
{
  StImage *source = st_image_new (16, 12);
  gfloat *out;
  gint x, y;

  for (y = 0; y < 12; y++)
    for (x = 0; x < 16; x++)
      {
        gfloat *p = source->pixels + (y * 16 + x) * 3;

        p[0] = 0.25f;     /* constant          */
        p[1] = x / 15.0f; /* horizontal ramp   */
        p[2] = y / 11.0f; /* vertical ramp     */
      }

  out = resample (source, 64, 48, FALSE);
  for (y = 0; y < 48; y++)
    for (x = 0; x < 64; x++)
      {
        const gfloat *p = out + (y * 64 + x) * 3;
        gdouble sx = (x + 0.5) * 16 / 64 - 0.5;
        gdouble sy = (y + 0.5) * 12 / 48 - 0.5;

        CHECK (fabsf (p[0] - 0.25f) < 1e-5f, "constant at %d,%d: %g", x, y,
               p[0]);
        /* Keys' cubic reproduces linear functions away from the edges. */
        if (sx >= 1.0 && sx <= 14.0)
          CHECK (fabs (p[1] - sx / 15.0) < 1e-5, "ramp x at %d: %g vs %g", x,
                 p[1], sx / 15.0);
        if (sy >= 1.0 && sy <= 10.0)
          CHECK (fabs (p[2] - sy / 11.0) < 1e-5, "ramp y at %d: %g vs %g", y,
                 p[2], sy / 11.0);
      }
  g_free (out);
  st_image_free (source);
}

static void
test_step_stays_in_range (void)
{
  StImage *source = st_image_new (8, 8);
  gfloat *out;
  gint i;

  for (i = 0; i < 8 * 8 * 3; i++)
    source->pixels[i] = ((i / 3) % 8) < 4 ? 0.0f : 1.0f;

  out = resample (source, 50, 50, FALSE);
  for (i = 0; i < 50 * 50 * 3; i++)
    CHECK (out[i] >= 0.0f && out[i] <= 1.0f, "step: %d: %g", i, out[i]);
  g_free (out);
  st_image_free (source);
}

static void
test_row_order_does_not_matter (void)
{
  StImage *source = pattern (9, 11);
  gfloat *forwards, *backwards;
  gint i;

  forwards = resample (source, 31, 40, FALSE);
  backwards = resample (source, 31, 40, TRUE);
  for (i = 0; i < 31 * 40 * 3; i++)
    CHECK (forwards[i] == backwards[i], "order: %d: %g vs %g", i, forwards[i],
           backwards[i]);
  g_free (forwards);
  g_free (backwards);

  /* Shrinking a little (rounding of the run size) works too. */
  forwards = resample (source, 8, 10, FALSE);
  for (i = 0; i < 8 * 10 * 3; i++)
    CHECK (forwards[i] >= 0.0f && forwards[i] <= 1.0f, "shrink: %d", i);
  g_free (forwards);
  st_image_free (source);
}

/* Reduces rgba (sh, sw, 4) to w x h. */
static StImage *
reduce (const gfloat *rgba, gint sw, gint sh, gint w, gint h, gfloat *max_alpha)
{
  StRowReducer *reducer = st_row_reducer_new (sw, sh, w, h);
  gint y;

  for (y = 0; y < sh; y++)
    st_row_reducer_push (reducer, rgba + (gsize)y * sw * 4);

  return st_row_reducer_finish (reducer, max_alpha);
}

static void
test_reduce_blocks (void)
{
  gfloat rgba[4 * 4 * 4];
  StImage *out;
  gfloat max_alpha = -1.0f;
  gint x, y, c;

  /* 4x4 -> 2x2: each output pixel is the mean of a 2x2 block. */
  for (y = 0; y < 4; y++)
    for (x = 0; x < 4; x++)
      {
        gfloat *p = rgba + (y * 4 + x) * 4;

        p[0] = (y * 4 + x) / 15.0f;
        p[1] = x / 3.0f;
        p[2] = 0.5f;
        p[3] = 1.0f;
      }
  out = reduce (rgba, 4, 4, 2, 2, &max_alpha);
  CHECK (max_alpha == 1.0f, "max alpha %g", max_alpha);
  for (y = 0; y < 2; y++)
    for (x = 0; x < 2; x++)
      for (c = 0; c < 3; c++)
        {
          gfloat want = 0.0f;
          gint i, j;

          for (j = 0; j < 2; j++)
            for (i = 0; i < 2; i++)
              want += rgba[((2 * y + j) * 4 + 2 * x + i) * 4 + c] / 4.0f;
          CHECK (fabsf (out->pixels[(y * 2 + x) * 3 + c] - want) < 1e-5f,
                 "block %d,%d,%d: %g vs %g", x, y, c,
                 out->pixels[(y * 2 + x) * 3 + c], want);
        }
  st_image_free (out);
}

static void
test_reduce_keeps_mean (void)
{
  gint sw = 37, sh = 23, w = 10, h = 7;
  gfloat *rgba = g_new (gfloat, sw * sh * 4);
  StImage *out;
  gdouble mean_in = 0.0, mean_out = 0.0;
  gint i;

  for (i = 0; i < sw * sh; i++)
    {
      rgba[i * 4 + 0] = rgba[i * 4 + 1] = rgba[i * 4 + 2]
          = (gfloat)((i * 7919 % 1000) / 1000.0);
      rgba[i * 4 + 3] = 1.0f;
      mean_in += rgba[i * 4] / (sw * sh);
    }
  out = reduce (rgba, sw, sh, w, h, NULL);
  for (i = 0; i < w * h; i++)
    mean_out += out->pixels[i * 3] / (w * h);
  CHECK (fabs (mean_in - mean_out) < 1e-4, "mean %g vs %g", mean_in, mean_out);
  st_image_free (out);
  g_free (rgba);
}

static void
test_reduce_transparent_colour_does_not_bleed (void)
{
  gfloat rgba[2 * 2 * 4] = {
    1, 0, 0, 0, 0, 0, 1, 1, /* transparent red, opaque blue */
    1, 0, 0, 0, 0, 0, 1, 1,
  };
  gfloat clear[2 * 2 * 4] = {
    1, 0, 0, 0, 0, 1, 0, 0, /* all transparent: plain average */
    1, 0, 0, 0, 0, 1, 0, 0,
  };
  StImage *out;
  gfloat max_alpha;

  out = reduce (rgba, 2, 2, 1, 1, &max_alpha);
  CHECK (out->pixels[0] < 1e-6f && fabsf (out->pixels[2] - 1.0f) < 1e-6f,
         "bleed: %g %g %g", out->pixels[0], out->pixels[1], out->pixels[2]);
  st_image_free (out);

  out = reduce (clear, 2, 2, 1, 1, &max_alpha);
  CHECK (max_alpha == 0.0f, "clear max alpha %g", max_alpha);
  CHECK (fabsf (out->pixels[0] - 0.5f) < 1e-6f
             && fabsf (out->pixels[1] - 0.5f) < 1e-6f,
         "clear: %g %g %g", out->pixels[0], out->pixels[1], out->pixels[2]);
  st_image_free (out);
}

/* Sizes whose buffers cannot be had under a 1 GiB address space: the
 * scalers answer NULL (their callers report out of memory); g_new would
 * have aborted the plug-in. */
static void
test_out_of_memory_is_null (void)
{
#if defined(__SANITIZE_ADDRESS__)
  /* AddressSanitizer reserves terabytes of shadow: no address limit. */
  printf ("out of memory: skipped under AddressSanitizer\n");
#else
  StImage *source = pattern (4, 4);
  struct rlimit old, limit;
  StRowResampler *resampler;
  StRowReducer *reducer;

  getrlimit (RLIMIT_AS, &old);
  limit = old;
  limit.rlim_cur = (rlim_t)1 << 30;
  if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < limit.rlim_cur)
    limit.rlim_cur = old.rlim_cur;
  CHECK (setrlimit (RLIMIT_AS, &limit) == 0, "setrlimit");

  /* (1 << 27) columns of four taps: 4 GiB */
  resampler = st_row_resampler_new (source, 1 << 27, 2);
  CHECK (resampler == NULL, "a 4 GiB resampler was made");
  st_row_resampler_free (resampler);
  /* (1 << 28) columns' spans: 3 GiB */
  reducer = st_row_reducer_new (1 << 28, 1, 1, 1);
  CHECK (reducer == NULL, "a 3 GiB reducer was made");
  if (reducer)
    st_image_free (st_row_reducer_finish (reducer, NULL));
  /* 2^15 x 2^15 sums of seven floats: 28 GiB */
  reducer = st_row_reducer_new (1 << 15, 1 << 15, 1 << 15, 1 << 15);
  CHECK (reducer == NULL, "a 28 GiB reducer was made");

  setrlimit (RLIMIT_AS, &old);
  st_image_free (source);
#endif
}

int
main (void)
{
  test_same_size_is_copy ();
  test_constant_and_ramp ();
  test_step_stays_in_range ();
  test_row_order_does_not_matter ();
  test_reduce_blocks ();
  test_reduce_keeps_mean ();
  test_reduce_transparent_colour_does_not_bleed ();
  test_out_of_memory_is_null ();

  return check_report ("test-resample");
}
