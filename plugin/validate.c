/* validate.c - checks the drawables of a call before any pixel is read, so
 * that a bad call returns a message and leaves the image alone; the
 * numbers are checked by values.c.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <libgimp/gimp.h>

#include "plugin.h"
#include "style.h"

gboolean
st_plugin_validate_content (gint32 image_id, gint32 drawable_id, GError **error)
{
  if (!gimp_image_is_valid (image_id))
    return st_plugin_calling_error (error, _ ("Image %d does not exist."),
                                    image_id);

  if (!gimp_item_is_valid (drawable_id)
      || gimp_item_get_image (drawable_id) != image_id)
    return st_plugin_calling_error (
        error,
        _ ("The content drawable %d is not part of image "
           "%d."),
        drawable_id, image_id);

  if (gimp_image_base_type (image_id) == GIMP_INDEXED)
    return st_plugin_calling_error (
        error, _ ("Style Transfer cannot work on an indexed image. "
                  "Convert it with Image > Mode > RGB (or "
                  "Grayscale) and run the filter again."));

  if (!gimp_item_is_layer (drawable_id)
      || gimp_item_is_layer_mask (drawable_id))
    return st_plugin_calling_error (
        error, _ ("The content must be a layer, not a channel or a "
                  "layer mask: select a layer in the Layers "
                  "dialog."));

  /* The result goes directly above the content; a floating selection
   * stays above every layer until it is anchored, so the result would lie
   * under it (or, as the content, beside a layer that GIMP is about to
   * merge into another). */
  if (gimp_image_get_floating_sel (image_id) != -1)
    return st_plugin_calling_error (
        error, _ ("The image has a floating selection: anchor it (Layer > "
                  "Anchor Layer) or make it a layer (Layer > To New Layer), "
                  "then run the filter again."));

  return TRUE;
}

static gboolean
validate_style (gint32 drawable_id, gint32 style_id, GError **error)
{
  if (style_id == drawable_id)
    return st_plugin_calling_error (
        error, _ ("The style must be a different layer from the "
                  "content: open a painting as a second image, or "
                  "add it to this image as another layer."));

  if (style_id == -1 || !gimp_item_is_valid (style_id))
    return st_plugin_calling_error (
        error,
        _ ("The style layer (ID %d) does not exist any more; "
           "its image may have been closed.  Open the style "
           "picture and choose it again."),
        style_id);

  if (!gimp_item_is_drawable (style_id))
    return st_plugin_calling_error (
        error, _ ("The style (ID %d) is not a layer or channel."), style_id);

  return TRUE;
}

/* A style given as a file: the file exists, or the name is an installed
 * painting's, which is replaced by its file. */
static gboolean
resolve_style_file (StPluginValues *vals, const gchar *plugin_dir,
                    GError **error)
{
  gchar *path;

  if (memchr (vals->style_file, '\0', sizeof vals->style_file) == NULL)
    return st_plugin_calling_error (
        error, _ ("The style file name is not terminated."));

  path = st_style_file_resolve (vals->style_file, plugin_dir, error);
  if (!path)
    return FALSE;
  if (strlen (path) >= sizeof vals->style_file)
    {
      g_free (path);
      return st_plugin_calling_error (
          error, _ ("The style file name is longer than %d bytes."),
          (gint)sizeof vals->style_file - 1);
    }
  g_strlcpy (vals->style_file, path, sizeof vals->style_file);
  g_free (path);

  return TRUE;
}

gboolean
st_plugin_validate_settings (gint32 drawable_id, StPluginValues *vals,
                             const gchar *plugin_dir, GError **error)
{
  gboolean style_ok;

  if (vals->style_file[0])
    style_ok = resolve_style_file (vals, plugin_dir, error);
  else
    style_ok = validate_style (drawable_id, vals->style_drawable, error);

  return style_ok && st_plugin_values_check (vals, error);
}
