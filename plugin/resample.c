/* resample.c - separable bicubic (Keys, a = -0.5) resampling, row by row.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "resample.h"

/* The four source samples that make one output sample along an axis. */
typedef struct
{
  gint   index[4];  /* clamped to the source's edge */
  gfloat weight[4];
} Tap;

struct StRowResampler
{
  const StImage *source;
  gint           width, height;  /* of the output                       */
  Tap           *columns;        /* (width)                             */
  gfloat        *rows;           /* (4, width, 3) source rows, resampled
                                    horizontally; slot = source row % 4 */
  gint           row_of_slot[4]; /* -1 while empty                      */
};

static gfloat
keys_cubic (gdouble x)
{
  const gdouble a = -0.5;

  x = fabs (x);
  if (x < 1.0)
    return (gfloat) (((a + 2.0) * x - (a + 3.0)) * x * x + 1.0);
  if (x < 2.0)
    return (gfloat) (((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a);
  return 0.0f;
}

/* Output sample out of out_size takes its value around source position
 * (out + 0.5) * in_size / out_size - 0.5, pixel centres aligned. */
static void
tap_init (Tap  *tap,
          gint  out,
          gint  out_size,
          gint  in_size)
{
  gdouble center = (out + 0.5) * in_size / out_size - 0.5;
  gint    first  = (gint) floor (center) - 1;
  gdouble sum    = 0.0;
  gint    k;

  for (k = 0; k < 4; k++)
    {
      gint i = first + k;

      tap->weight[k] = keys_cubic (center - i);
      tap->index[k]  = CLAMP (i, 0, in_size - 1);
      sum += tap->weight[k];
    }
  for (k = 0; k < 4; k++)
    tap->weight[k] = (gfloat) (tap->weight[k] / sum);
}

StRowResampler *
st_row_resampler_new (const StImage *source,
                      gint           width,
                      gint           height)
{
  StRowResampler *resampler;
  gint            x;

  g_return_val_if_fail (source != NULL && source->width > 0 &&
                        source->height > 0, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  resampler = g_new0 (StRowResampler, 1);
  resampler->source  = source;
  resampler->width   = width;
  resampler->height  = height;
  resampler->columns = g_new (Tap, width);
  resampler->rows    = g_new (gfloat, (gsize) 4 * width * 3);
  for (x = 0; x < 4; x++)
    resampler->row_of_slot[x] = -1;

  for (x = 0; x < width; x++)
    tap_init (&resampler->columns[x], x, width, source->width);

  return resampler;
}

/* Source row sy resampled to the output's width, (width, 3). */
static const gfloat *
horizontal_row (StRowResampler *resampler,
                gint            sy)
{
  gint    slot = sy % 4;
  gfloat *out  = resampler->rows + (gsize) slot * resampler->width * 3;

  if (resampler->row_of_slot[slot] != sy)
    {
      const gfloat *in = resampler->source->pixels +
                         (gsize) sy * resampler->source->width * 3;
      gint          x;

      for (x = 0; x < resampler->width; x++)
        {
          const Tap *tap = &resampler->columns[x];
          gint       c, k;

          for (c = 0; c < 3; c++)
            {
              gfloat v = 0.0f;

              for (k = 0; k < 4; k++)
                v += tap->weight[k] * in[tap->index[k] * 3 + c];
              out[x * 3 + c] = v;
            }
        }
      resampler->row_of_slot[slot] = sy;
    }

  return out;
}

void
st_row_resampler_row (StRowResampler *resampler,
                      gint            y,
                      gfloat         *row)
{
  const gfloat *source_rows[4];
  Tap           tap;
  gint          i, k;

  g_return_if_fail (resampler != NULL && row != NULL);
  g_return_if_fail (y >= 0 && y < resampler->height);

  /* The four clamped rows are distinct modulo 4 or equal, so they never
   * evict each other from the cache. */
  tap_init (&tap, y, resampler->height, resampler->source->height);
  for (k = 0; k < 4; k++)
    source_rows[k] = horizontal_row (resampler, tap.index[k]);

  for (i = 0; i < resampler->width * 3; i++)
    {
      gfloat v = 0.0f;

      for (k = 0; k < 4; k++)
        v += tap.weight[k] * source_rows[k][i];
      row[i] = CLAMP (v, 0.0f, 1.0f);
    }
}

void
st_row_resampler_free (StRowResampler *resampler)
{
  if (! resampler)
    return;

  g_free (resampler->columns);
  g_free (resampler->rows);
  g_free (resampler);
}
