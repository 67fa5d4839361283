/* resample.c - separable bicubic resampling, row by row, with the engine's
 * kernel (st_cubic_weight: Keys, a = -0.5), and area-averaging reduction.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "resample.h"

/* The four source samples that make one output sample along an axis. */
typedef struct
{
  gint index[4]; /* clamped to the source's edge */
  gfloat weight[4];
} Tap;

struct StRowResampler
{
  const StImage *source;
  gint width, height;  /* of the output                       */
  Tap *columns;        /* (width)                             */
  gfloat *rows;        /* (4, width, 3) source rows, resampled
                          horizontally; slot = source row % 4 */
  gint row_of_slot[4]; /* -1 while empty                      */
};

/* Output sample out of out_size takes its value around source position
 * (out + 0.5) * in_size / out_size - 0.5, pixel centres aligned. */
static void
tap_init (Tap *tap, gint out, gint out_size, gint in_size)
{
  gdouble center = (out + 0.5) * in_size / out_size - 0.5;
  gint first = (gint)floor (center) - 1;
  gdouble sum = 0.0;
  gint k;

  for (k = 0; k < 4; k++)
    {
      gint i = first + k;

      tap->weight[k] = (gfloat)st_cubic_weight (center - i);
      tap->index[k] = CLAMP (i, 0, in_size - 1);
      sum += tap->weight[k];
    }
  for (k = 0; k < 4; k++)
    tap->weight[k] = (gfloat)(tap->weight[k] / sum);
}

StRowResampler *
st_row_resampler_new (const StImage *source, gint width, gint height)
{
  StRowResampler *resampler;
  gint x;

  g_return_val_if_fail (
      source != NULL && source->width > 0 && source->height > 0, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  /* A layer may be as large as memory: running out is an answer (NULL),
   * which the caller reports, not a reason to end GIMP's plug-in. */
  resampler = g_try_new0 (StRowResampler, 1);
  if (!resampler)
    return NULL;
  resampler->source = source;
  resampler->width = width;
  resampler->height = height;
  resampler->columns = g_try_new (Tap, width);
  resampler->rows = g_try_new (gfloat, (gsize)4 * width * 3);
  if (!resampler->columns || !resampler->rows)
    {
      st_row_resampler_free (resampler);
      return NULL;
    }
  for (x = 0; x < 4; x++)
    resampler->row_of_slot[x] = -1;

  for (x = 0; x < width; x++)
    tap_init (&resampler->columns[x], x, width, source->width);

  return resampler;
}

/* Source row sy resampled to the output's width, (width, 3). */
static const gfloat *
horizontal_row (StRowResampler *resampler, gint sy)
{
  gint slot = sy % 4;
  gfloat *out = resampler->rows + (gsize)slot * resampler->width * 3;

  if (resampler->row_of_slot[slot] != sy)
    {
      const gfloat *in = resampler->source->pixels
                         + (gsize)sy * resampler->source->width * 3;
      gint x;

      for (x = 0; x < resampler->width; x++)
        {
          const Tap *tap = &resampler->columns[x];
          gint c, k;

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
st_row_resampler_row (StRowResampler *resampler, gint y, gfloat *row)
{
  const gfloat *source_rows[4];
  Tap tap;
  gint i, k;

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
  if (!resampler)
    return;

  g_free (resampler->columns);
  g_free (resampler->rows);
  g_free (resampler);
}

/* ------------------------------------------------------------- reducer */

/* Where source pixel i of an axis lands among out_size output pixels:
 * into first with weight[0], and into first + 1 with weight[1] when it
 * straddles a boundary.  Weights are in output pixels, so that the
 * weights into one output pixel add up to 1. */
typedef struct
{
  gint first;
  gfloat weight[2];
} Span;

struct StRowReducer
{
  gint source_width, source_height;
  gint width, height;
  Span *columns; /* (source_width) */
  gint next_row; /* source rows pushed so far */
  gfloat max_alpha;
  gfloat *sums; /* (height, width, 7): alpha-weighted R, G, B, alpha,
                   plain R, G, B */
};

static void
span_init (Span *span, gint i, gint in_size, gint out_size)
{
  gdouble scale = (gdouble)out_size / in_size; /* <= 1 */
  gdouble start = i * scale;
  gdouble end = (i + 1) * scale;
  gint first = MIN ((gint)floor (start), out_size - 1);

  span->first = first;
  if (end <= first + 1 || first + 1 >= out_size)
    {
      span->weight[0] = (gfloat)(MIN (end, out_size) - start);
      span->weight[1] = 0.0f;
    }
  else
    {
      span->weight[0] = (gfloat)(first + 1 - start);
      span->weight[1] = (gfloat)(end - (first + 1));
    }
}

StRowReducer *
st_row_reducer_new (gint source_width, gint source_height, gint width,
                    gint height)
{
  StRowReducer *reducer;
  gint x;

  g_return_val_if_fail (width > 0 && height > 0, NULL);
  g_return_val_if_fail (width <= source_width && height <= source_height, NULL);

  /* Out of memory: NULL, as for the resampler. */
  reducer = g_try_new0 (StRowReducer, 1);
  if (!reducer)
    return NULL;
  reducer->source_width = source_width;
  reducer->source_height = source_height;
  reducer->width = width;
  reducer->height = height;
  reducer->columns = g_try_new (Span, source_width);
  reducer->sums = g_try_new0 (gfloat, (gsize)width * height * 7);
  if (!reducer->columns || !reducer->sums)
    {
      g_free (reducer->columns);
      g_free (reducer->sums);
      g_free (reducer);
      return NULL;
    }

  for (x = 0; x < source_width; x++)
    span_init (&reducer->columns[x], x, source_width, width);

  return reducer;
}

void
st_row_reducer_push (StRowReducer *reducer, const gfloat *rgba_row)
{
  Span rows;
  gint k, x;

  g_return_if_fail (reducer != NULL && rgba_row != NULL);
  g_return_if_fail (reducer->next_row < reducer->source_height);

  span_init (&rows, reducer->next_row++, reducer->source_height,
             reducer->height);

  for (x = 0; x < reducer->source_width; x++)
    {
      const gfloat *p = rgba_row + x * 4;
      const Span *column = &reducer->columns[x];
      gfloat alpha = CLAMP (p[3], 0.0f, 1.0f);
      gint j;

      reducer->max_alpha = MAX (reducer->max_alpha, alpha);

      for (k = 0; k < 2; k++)
        for (j = 0; j < 2; j++)
          {
            gfloat w = rows.weight[k] * column->weight[j];
            gfloat *s;

            if (w <= 0.0f)
              continue;
            s = reducer->sums
                + ((gsize)(rows.first + k) * reducer->width + column->first + j)
                      * 7;
            s[0] += w * alpha * p[0];
            s[1] += w * alpha * p[1];
            s[2] += w * alpha * p[2];
            s[3] += w * alpha;
            s[4] += w * p[0];
            s[5] += w * p[1];
            s[6] += w * p[2];
          }
    }
}

StImage *
st_row_reducer_finish (StRowReducer *reducer, gfloat *max_alpha)
{
  StImage *image;
  gsize i, n;

  g_return_val_if_fail (reducer != NULL, NULL);

  image = st_image_new (reducer->width, reducer->height);
  n = (gsize)reducer->width * reducer->height;
  for (i = 0; image && i < n; i++)
    {
      const gfloat *s = reducer->sums + i * 7;
      gint c;

      for (c = 0; c < 3; c++)
        {
          gfloat v = s[3] > 1e-6f ? s[c] / s[3] : s[4 + c];

          image->pixels[i * 3 + c] = CLAMP (v, 0.0f, 1.0f);
        }
    }

  if (max_alpha)
    *max_alpha = reducer->max_alpha;

  g_free (reducer->sums);
  g_free (reducer->columns);
  g_free (reducer);

  return image;
}
