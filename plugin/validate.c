/* validate.c - checks every argument of a call before any pixel is read,
 * so that a bad call returns a message and leaves the image alone.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include <libgimp/gimp.h>

#include "plugin.h"

static gboolean calling_error (GError **error, const gchar *format, ...)
    G_GNUC_PRINTF (2, 3);

static gboolean
calling_error (GError **error, const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error,
                     g_error_new_valist (ST_PLUGIN_ERROR,
                                         GIMP_PDB_CALLING_ERROR, format, args));
  va_end (args);

  return FALSE;
}

static gboolean
in_range (gdouble value, gdouble lower, gdouble upper)
{
  /* Comparisons with NaN are false, so NaN fails here as well. */
  return isfinite (value) && value >= lower && value <= upper;
}

gboolean
st_plugin_validate_content (gint32 image_id, gint32 drawable_id, GError **error)
{
  if (!gimp_image_is_valid (image_id))
    return calling_error (error, _ ("Image %d does not exist."), image_id);

  if (!gimp_item_is_valid (drawable_id)
      || gimp_item_get_image (drawable_id) != image_id)
    return calling_error (error,
                          _ ("The content drawable %d is not part of image "
                             "%d."),
                          drawable_id, image_id);

  if (gimp_image_base_type (image_id) == GIMP_INDEXED)
    return calling_error (error,
                          _ ("Style Transfer cannot work on an indexed image. "
                             "Convert it with Image > Mode > RGB (or "
                             "Grayscale) and run the filter again."));

  if (!gimp_item_is_layer (drawable_id)
      || gimp_item_is_layer_mask (drawable_id))
    return calling_error (error,
                          _ ("The content must be a layer, not a channel or a "
                             "layer mask: select a layer in the Layers "
                             "dialog."));

  return TRUE;
}

static gboolean
validate_style (gint32 drawable_id, gint32 style_id, GError **error)
{
  if (style_id == drawable_id)
    return calling_error (error,
                          _ ("The style must be a different layer from the "
                             "content: open a painting as a second image, or "
                             "add it to this image as another layer."));

  if (style_id == -1 || !gimp_item_is_valid (style_id))
    return calling_error (error,
                          _ ("The style layer (ID %d) does not exist any more; "
                             "its image may have been closed.  Open the style "
                             "picture and choose it again."),
                          style_id);

  if (!gimp_item_is_drawable (style_id))
    return calling_error (
        error, _ ("The style (ID %d) is not a layer or channel."), style_id);

  return TRUE;
}

static gboolean
validate_numbers (const StPluginValues *vals, GError **error)
{
  if (!in_range (vals->strength, 0.0, ST_PLUGIN_STRENGTH_MAX))
    return calling_error (error,
                          _ ("Strength must be a number from 0 to %g, not %g."),
                          ST_PLUGIN_STRENGTH_MAX, vals->strength);

  if (vals->size < 0 || vals->size > GIMP_MAX_IMAGE_SIZE)
    return calling_error (error,
                          _ ("Size must be 0 (the layer's own size) or a long "
                             "side in pixels up to %d, not %d."),
                          GIMP_MAX_IMAGE_SIZE, vals->size);

  if (vals->iterations < 0 || vals->iterations > ST_PLUGIN_ITERATIONS_MAX)
    return calling_error (
        error,
        _ ("Iterations must be 0 (automatic) or from 1 to %d, "
           "not %d."),
        ST_PLUGIN_ITERATIONS_MAX, vals->iterations);

  if (vals->preserve_colors != FALSE && vals->preserve_colors != TRUE)
    return calling_error (error, _ ("Preserve colors must be 0 or 1, not %d."),
                          vals->preserve_colors);

  if (!in_range (vals->style_scale, ST_PLUGIN_STYLE_SCALE_MIN,
                 ST_PLUGIN_STYLE_SCALE_MAX))
    return calling_error (error,
                          _ ("Style scale must be a number from %g to %g, not "
                             "%g."),
                          ST_PLUGIN_STYLE_SCALE_MIN, ST_PLUGIN_STYLE_SCALE_MAX,
                          vals->style_scale);

  if (!in_range (vals->smoothness, 0.0, ST_PLUGIN_SMOOTHNESS_MAX))
    return calling_error (error,
                          _ ("Smoothness must be a number from 0 to %g, not "
                             "%g."),
                          ST_PLUGIN_SMOOTHNESS_MAX, vals->smoothness);

  if (memchr (vals->network, '\0', sizeof vals->network) == NULL)
    return calling_error (error, _ ("The network name is not terminated."));

  return TRUE;
}

gboolean
st_plugin_validate (gint32 image_id, gint32 drawable_id,
                    const StPluginValues *vals, GError **error)
{
  return st_plugin_validate_content (image_id, drawable_id, error)
         && validate_style (drawable_id, vals->style_drawable, error)
         && validate_numbers (vals, error);
}
