/* test-resample.c - the plug-in's row-by-row bicubic resampler: same size
 * is a copy, constants and ramps survive, steps stay within [0, 1], and
 * the row cache gives the same rows in any order. */
#include <math.h>
#include <stdio.h>

#include "resample.h"

static int failures = 0;

#define CHECK(cond, ...)                                                 \
  do                                                                     \
    {                                                                    \
      if (! (cond))                                                      \
        {                                                                \
          failures++;                                                    \
          printf ("FAIL %s:%d: ", __FILE__, __LINE__);                   \
          printf (__VA_ARGS__);                                          \
          printf ("\n");                                                 \
        }                                                                \
    }                                                                    \
  while (0)

/* All rows of source resampled to width x height, (height, width, 3). */
static gfloat *
resample (const StImage *source,
          gint           width,
          gint           height,
          gboolean       backwards)
{
  StRowResampler *resampler = st_row_resampler_new (source, width, height);
  gfloat         *out = g_new (gfloat, (gsize) width * height * 3);
  gint            y;

  for (y = 0; y < height; y++)
    {
      gint row = backwards ? height - 1 - y : y;

      st_row_resampler_row (resampler, row, out + (gsize) row * width * 3);
    }
  st_row_resampler_free (resampler);

  return out;
}

static StImage *
pattern (gint width,
         gint height)
{
  StImage *image = st_image_new (width, height);
  gint     i;

  for (i = 0; i < width * height * 3; i++)
    image->pixels[i] = (gfloat) ((i * 37 % 101) / 100.0);

  return image;
}

static void
test_same_size_is_copy (void)
{
  StImage *source = pattern (13, 7);
  gfloat  *out = resample (source, 13, 7, FALSE);
  gint     i;

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
  gfloat  *out;
  gint     x, y;

  for (y = 0; y < 12; y++)
    for (x = 0; x < 16; x++)
      {
        gfloat *p = source->pixels + (y * 16 + x) * 3;

        p[0] = 0.25f;               /* constant          */
        p[1] = x / 15.0f;           /* horizontal ramp   */
        p[2] = y / 11.0f;           /* vertical ramp     */
      }

  out = resample (source, 64, 48, FALSE);
  for (y = 0; y < 48; y++)
    for (x = 0; x < 64; x++)
      {
        const gfloat *p  = out + (y * 64 + x) * 3;
        gdouble       sx = (x + 0.5) * 16 / 64 - 0.5;
        gdouble       sy = (y + 0.5) * 12 / 48 - 0.5;

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
  gfloat  *out;
  gint     i;

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
  gfloat  *forwards, *backwards;
  gint     i;

  forwards  = resample (source, 31, 40, FALSE);
  backwards = resample (source, 31, 40, TRUE);
  for (i = 0; i < 31 * 40 * 3; i++)
    CHECK (forwards[i] == backwards[i], "order: %d: %g vs %g", i,
           forwards[i], backwards[i]);
  g_free (forwards);
  g_free (backwards);

  /* Shrinking a little (rounding of the run size) works too. */
  forwards = resample (source, 8, 10, FALSE);
  for (i = 0; i < 8 * 10 * 3; i++)
    CHECK (forwards[i] >= 0.0f && forwards[i] <= 1.0f, "shrink: %d", i);
  g_free (forwards);
  st_image_free (source);
}

int
main (void)
{
  test_same_size_is_copy ();
  test_constant_and_ramp ();
  test_step_stays_in_range ();
  test_row_order_does_not_matter ();

  printf ("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
