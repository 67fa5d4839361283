/* drawable.c - reads a GIMP drawable into an engine image by area
 * averaging, a strip of rows at a time.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "drawable.h"
#include "resample.h"
#include "values.h"

/* Rows read per GEGL call. */
#define STRIP_ROWS 64

void
st_drawable_size_within (gint32 drawable_id, gint long_side, gint *width,
                         gint *height)
{
  *width = gimp_drawable_width (drawable_id);
  *height = gimp_drawable_height (drawable_id);
  if (MAX (*width, *height) > long_side)
    st_fit_long_side (*width, *height, long_side, width, height);
}

static StImage *
out_of_memory (GError **error)
{
  g_set_error_literal (error, ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR,
                       _ ("Not enough memory to read the layer."));
  return NULL;
}

gint32
st_drawable_applied_mask (gint32 drawable_id)
{
  gint32 mask_id;

  if (!gimp_item_is_layer (drawable_id)
      || gimp_item_is_layer_mask (drawable_id))
    return -1;
  mask_id = gimp_layer_get_mask (drawable_id);
  if (mask_id == -1 || !gimp_layer_get_apply_mask (drawable_id))
    return -1;
  return mask_id;
}

/* st_drawable_mask_rows () for the columns x0 .. x0 + width - 1. */
static void
mask_area_rows (GeglBuffer *mask, gint x0, gint y0, gint width, gint rows,
                gfloat *rgba, gfloat *scratch)
{
  gsize i, n = (gsize)width * rows;

  /* the mask's values as stored: an opacity, not a colour */
  gegl_buffer_get (mask, GEGL_RECTANGLE (x0, y0, width, rows), 1.0,
                   babl_format ("Y' float"), scratch, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  for (i = 0; i < n; i++)
    rgba[i * 4 + 3] *= CLAMP (scratch[i], 0.0f, 1.0f);
}

void
st_drawable_mask_rows (GeglBuffer *mask, gint y0, gint width, gint rows,
                       gfloat *rgba, gfloat *scratch)
{
  mask_area_rows (mask, 0, y0, width, rows, rgba, scratch);
}

StImage *
st_drawable_read (gint32 drawable_id, gint width, gint height,
                  gfloat *max_alpha, GError **error)
{
  GeglRectangle whole = { 0, 0, gimp_drawable_width (drawable_id),
                          gimp_drawable_height (drawable_id) };

  return st_drawable_read_area (drawable_id, &whole, width, height, max_alpha,
                                error);
}

StImage *
st_drawable_read_area (gint32 drawable_id, const GeglRectangle *area,
                       gint width, gint height, gfloat *max_alpha,
                       GError **error)
{
  gint source_width = area->width;
  gint source_height = area->height;
  gboolean same_size = width == source_width && height == source_height;
  const Babl *format = babl_format ("R'G'B'A float");
  gint32 mask_id = st_drawable_applied_mask (drawable_id);
  StImage *image = NULL;
  StRowReducer *reducer = NULL;
  GeglBuffer *buffer;
  GeglBuffer *mask = NULL;
  gfloat *strip;
  gfloat *scratch;
  gfloat alpha = 0.0f;
  gint y0;

  strip = g_try_new (gfloat, (gsize)source_width * STRIP_ROWS * 4);
  scratch = g_try_new (gfloat, (gsize)source_width * STRIP_ROWS);
  if (strip && scratch)
    {
      if (same_size)
        image = st_image_new (width, height);
      else
        reducer
            = st_row_reducer_new (source_width, source_height, width, height);
    }
  if (!image && !reducer)
    {
      g_free (strip);
      g_free (scratch);
      return out_of_memory (error);
    }

  buffer = gimp_drawable_get_buffer (drawable_id);
  if (mask_id != -1)
    mask = gimp_drawable_get_buffer (mask_id);
  for (y0 = 0; y0 < source_height; y0 += STRIP_ROWS)
    {
      gint rows = MIN (STRIP_ROWS, source_height - y0);
      gsize i, n = (gsize)source_width * rows;

      gegl_buffer_get (
          buffer, GEGL_RECTANGLE (area->x, area->y + y0, source_width, rows),
          1.0, format, strip, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      /* What is seen: the layer's mask, when it applies, takes its part
       * of the alpha... */
      if (mask)
        mask_area_rows (mask, area->x, area->y + y0, source_width, rows, strip,
                        scratch);
      /* ...and the pixels are composited over white, the one rule of the
       * command line too (issue 20): the colour hidden under transparent
       * pixels is never read. */
      for (i = 0; i < n; i++)
        {
          gfloat *p = strip + i * 4;
          gfloat a = CLAMP (p[3], 0.0f, 1.0f);
          gint c;

          alpha = MAX (alpha, a);
          for (c = 0; c < 3; c++)
            p[c] = a * CLAMP (p[c], 0.0f, 1.0f) + (1.0f - a);
          p[3] = 1.0f;
        }

      if (reducer)
        {
          gint r;

          for (r = 0; r < rows; r++)
            st_row_reducer_push (reducer, strip + (gsize)r * source_width * 4);
          continue;
        }

      for (i = 0; i < n; i++)
        {
          gfloat *out = image->pixels + ((gsize)y0 * source_width + i) * 3;
          gint c;

          for (c = 0; c < 3; c++)
            out[c] = strip[i * 4 + c];
        }
    }
  g_object_unref (buffer);
  if (mask)
    g_object_unref (mask);
  g_free (strip);
  g_free (scratch);

  if (reducer && !(image = st_row_reducer_finish (reducer, NULL)))
    return out_of_memory (error);

  if (max_alpha)
    *max_alpha = alpha;

  return image;
}
