/* style.c - the style picture's sources: installed paintings and files.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include <glib/gi18n.h>

#include "drawable.h"
#include "image-check.h"
#include "style.h"
#include "values.h"

static void
painting_free (gpointer data)
{
  StPainting *painting = data;

  g_free (painting->id);
  g_free (painting->title);
  g_free (painting->painter);
  g_free (painting->year);
  g_free (painting->lived);
  g_free (painting->source);
  g_free (painting->licence);
  g_free (painting->path);
  g_free (painting);
}

/* A key of group, in the user's language when the file has it; "" when
 * the key is missing. */
static gchar *
get_text (GKeyFile *file, const gchar *group, const gchar *key)
{
  gchar *value = g_key_file_get_locale_string (file, group, key, NULL, NULL);

  return value ? g_strstrip (value) : g_strdup ("");
}

GPtrArray *
st_paintings_load (const gchar *plugin_dir)
{
  GPtrArray *paintings = g_ptr_array_new_with_free_func (painting_free);
  GKeyFile *file = g_key_file_new ();
  gchar *folder;
  gchar *index;
  gchar **groups;
  gsize i;

  if (!plugin_dir)
    return paintings;

  folder = g_build_filename (plugin_dir, ST_PAINTINGS_FOLDER, NULL);
  index = g_build_filename (folder, ST_PAINTINGS_INDEX, NULL);
  if (!g_key_file_load_from_file (file, index, G_KEY_FILE_NONE, NULL))
    {
      g_key_file_free (file);
      g_free (index);
      g_free (folder);
      return paintings;
    }

  groups = g_key_file_get_groups (file, NULL);
  for (i = 0; groups[i]; i++)
    {
      gchar *name = g_strconcat (groups[i], ".jpg", NULL);
      gchar *path = g_build_filename (folder, name, NULL);
      StPainting *painting;

      g_free (name);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_free (path);
          continue;
        }

      painting = g_new0 (StPainting, 1);
      painting->id = g_strdup (groups[i]);
      painting->title = get_text (file, groups[i], "Title");
      painting->painter = get_text (file, groups[i], "Painter");
      painting->year = get_text (file, groups[i], "Year");
      painting->lived = get_text (file, groups[i], "Lived");
      painting->source = get_text (file, groups[i], "Source");
      painting->licence = get_text (file, groups[i], "Licence");
      painting->path = path;
      if (!painting->title[0])
        {
          g_free (painting->title);
          painting->title = g_strdup (painting->id);
        }
      g_ptr_array_add (paintings, painting);
    }

  g_strfreev (groups);
  g_key_file_free (file);
  g_free (index);
  g_free (folder);

  return paintings;
}

const StPainting *
st_paintings_find (GPtrArray *paintings, const gchar *name)
{
  guint i;

  for (i = 0; name && i < paintings->len; i++)
    {
      const StPainting *painting = g_ptr_array_index (paintings, i);

      if (strcmp (painting->id, name) == 0
          || strcmp (painting->path, name) == 0)
        return painting;
    }

  return NULL;
}

/* The same bytes: a copy of a painting, which is at most a few hundred
 * kilobytes. */
static gboolean
same_contents (const gchar *a, const gchar *b)
{
  gchar *data_a = NULL, *data_b = NULL;
  gsize size_a = 0, size_b = 0;
  gboolean same;
  GStatBuf st_a, st_b;

  if (g_stat (a, &st_a) != 0 || g_stat (b, &st_b) != 0
      || st_a.st_size != st_b.st_size || st_a.st_size > 16 * 1024 * 1024)
    return FALSE;
  same = g_file_get_contents (a, &data_a, &size_a, NULL)
         && g_file_get_contents (b, &data_b, &size_b, NULL) && size_a == size_b
         && memcmp (data_a, data_b, size_a) == 0;
  g_free (data_a);
  g_free (data_b);

  return same;
}

const StPainting *
st_paintings_find_file (GPtrArray *paintings, const gchar *path)
{
  gchar *real;
  gchar *base;
  const StPainting *found = NULL;
  guint i;

  if (!path || !path[0])
    return NULL;

  real = realpath (path, NULL);
  base = g_path_get_basename (path);
  for (i = 0; !found && i < paintings->len; i++)
    {
      const StPainting *painting = g_ptr_array_index (paintings, i);
      gchar *installed = realpath (painting->path, NULL);
      gchar *name = g_strconcat (painting->id, ".jpg", NULL);

      if (strcmp (painting->path, path) == 0
          || (real && installed && strcmp (real, installed) == 0)
          || (strcmp (base, name) == 0 && same_contents (path, painting->path)))
        found = painting;
      free (installed);
      g_free (name);
    }
  free (real);
  g_free (base);

  return found;
}

gint
st_style_read_side (const StPluginValues *vals, gint run_side)
{
  return (gint)ceil (2.0 * run_side * MAX (1.0, vals->style_scale));
}

gchar *
st_style_image_label (gint32 image_id, const gchar *plugin_dir,
                      gboolean keep_extension)
{
  gchar *filename = gimp_image_get_filename (image_id);
  gchar *label;

  if (filename && filename[0])
    {
      GPtrArray *paintings = st_paintings_load (plugin_dir);
      const StPainting *painting = st_paintings_find_file (paintings, filename);

      if (painting)
        label = g_strdup (painting->title);
      else
        {
          label = g_filename_display_basename (filename);
          if (!keep_extension)
            st_strip_extension (label);
        }
      g_ptr_array_unref (paintings);
    }
  else
    label = gimp_image_get_name (image_id);
  g_free (filename);

  return label ? label : g_strdup ("");
}

/* The file the last successful run's style image was opened from. */
#define STYLE_SOURCE_DATA PLUG_IN_PROC "-style-source"

void
st_style_remember_source (const StPluginValues *vals)
{
  gchar path[ST_PLUGIN_STYLE_FILE_MAX] = "";

  if (!vals->style_file[0] && vals->style_drawable != -1
      && gimp_item_is_valid (vals->style_drawable))
    {
      gchar *file = gimp_image_get_filename (
          gimp_item_get_image (vals->style_drawable));

      if (file && strlen (file) < sizeof path)
        g_strlcpy (path, file, sizeof path);
      g_free (file);
    }
  gimp_set_data (STYLE_SOURCE_DATA, path, sizeof path);
}

gboolean
st_style_recover (StPluginValues *vals, const gchar *plugin_dir)
{
  gchar path[ST_PLUGIN_STYLE_FILE_MAX] = "";
  GPtrArray *paintings;
  const StPainting *painting;

  if (vals->style_file[0] || vals->style_drawable == -1
      || gimp_item_is_valid (vals->style_drawable))
    return TRUE;

  vals->style_drawable = -1;
  if (gimp_get_data_size (STYLE_SOURCE_DATA) != sizeof path
      || !gimp_get_data (STYLE_SOURCE_DATA, path) || !path[0]
      || memchr (path, '\0', sizeof path) == NULL)
    return FALSE;

  paintings = st_paintings_load (plugin_dir);
  painting = st_paintings_find_file (paintings, path);
  if (painting)
    g_strlcpy (vals->style_file, painting->path, sizeof vals->style_file);
  else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    g_strlcpy (vals->style_file, path, sizeof vals->style_file);
  g_ptr_array_unref (paintings);

  return vals->style_file[0] != '\0';
}

gchar *
st_style_file_resolve (const gchar *style, const gchar *plugin_dir,
                       GError **error)
{
  GPtrArray *paintings;
  const StPainting *painting;
  gchar *path = NULL;

  if (!style || !style[0])
    {
      st_plugin_calling_error (error,
                               _ ("The style file name is empty: give the "
                                  "path of a picture, or the name of an "
                                  "installed painting such as "
                                  "\"starry-night\"."));
      return NULL;
    }

  if (g_file_test (style, G_FILE_TEST_IS_REGULAR))
    return g_strdup (style);
  {
    /* There, but not a picture file: say what it is, not that it does
     * not exist. */
    GStatBuf st;
    if (g_stat (style, &st) == 0)
      {
        gchar *display = g_filename_display_name (style);

        st_plugin_calling_error (
            error,
            S_ISDIR (st.st_mode)
                ? _ ("The style file \"%s\" is a folder: give the path of "
                     "a picture file in it.")
                : _ ("The style file \"%s\" is not a regular file (a "
                     "FIFO, socket or device): give the path of a picture "
                     "file."),
            display);
        g_free (display);
        return NULL;
      }
  }

  /* Not a file: the id of an installed painting? */
  paintings = st_paintings_load (plugin_dir);
  painting = strchr (style, G_DIR_SEPARATOR)
                 ? NULL
                 : st_paintings_find (paintings, style);
  if (painting)
    path = g_strdup (painting->path);
  else
    {
      gchar *display = g_filename_display_name (style);

      st_plugin_calling_error (error,
                               _ ("The style file \"%s\" does not exist, "
                                  "and no installed painting has that "
                                  "name."),
                               display);
      g_free (display);
    }
  g_ptr_array_unref (paintings);

  return path;
}

/* Half of what the system can give, or $ST_MEMORY_BUDGET MiB: the
 * engine's default budget (engine/estimate.c), for callers without an
 * estimate at hand. */
static guint64
default_budget (void)
{
  const gchar *override = g_getenv ("ST_MEMORY_BUDGET");
  gchar *text = NULL;
  guint64 mib, budget = (guint64)4 << 30;

  if (override
      && g_ascii_string_to_unsigned (override, 10, 1, ((guint64)1 << 40) - 1,
                                     &mib, NULL))
    return mib << 20;
  if (g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    {
      const gchar *line = strstr (text, "MemAvailable:");
      if (line)
        budget = g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10)
                 * 1024 / 2;
      g_free (text);
    }
  return budget;
}

/* What GIMP holds to open a picture: the loaded layer, the image's
 * projection and the merged layer, each RGBA at the file's precision. */
#define GIMP_COPIES 3

/* The file measured and checked from its own bytes before GIMP opens it
 * (issue 20: a 360 KB PNG declaring 60000 x 60000 pixels made GIMP's
 * loader grow to 12 GB and the kernel kill GIMP). */
static gboolean
style_file_check (const gchar *path, guint64 budget, GError **error)
{
  gchar *display = g_filename_display_name (path);
  StImageInfo info;
  GError *local = NULL;
  gboolean ok = FALSE;
  struct stat st;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);

  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (
          error, ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR,
          _ ("GIMP cannot open the style picture \"%s\": %s."), display,
          fd < 0 ? g_strerror (errno) : _ ("it is not a regular file"));
      goto out;
    }
  st_image_header (fd, &info);
  if (info.kind == ST_IMAGE_UNKNOWN
      && !gdk_pixbuf_get_file_info (path, &info.width, &info.height))
    info.width = info.height = 0; /* not measurable here: GIMP decides */
  if (info.width > 0 && info.height > 0)
    {
      guint64 need = (guint64)info.width * (guint64)info.height * 4
                     * (guint64)info.bytes_per_sample * GIMP_COPIES;
      if (need > budget)
        {
          gchar *need_text = g_format_size_full (need, G_FORMAT_SIZE_IEC_UNITS);
          gchar *budget_text
              = g_format_size_full (budget, G_FORMAT_SIZE_IEC_UNITS);

          g_set_error (error, ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR,
                       _ ("The style picture \"%s\" is %d x %d pixels: "
                          "GIMP would need about %s to open it, more than "
                          "the memory budget of %s.  Use a smaller "
                          "picture."),
                       display, info.width, info.height, need_text,
                       budget_text);
          g_free (need_text);
          g_free (budget_text);
          goto out;
        }
    }
  if (!st_image_verify (fd, &info, &local))
    {
      g_set_error (error, ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR,
                   _ ("The style picture \"%s\" cannot be used: %s."), display,
                   local->message);
      g_clear_error (&local);
      goto out;
    }
  ok = TRUE;
out:
  if (fd >= 0)
    close (fd);
  g_free (display);
  return ok;
}

StImage *
st_style_file_read (const gchar *path, gint long_side, gsize budget,
                    GError **error)
{
  gint32 image_id;
  gint32 layer_id;
  StImage *image = NULL;
  gint width, height;

  if (!style_file_check (path, budget ? budget : default_budget (), error))
    return NULL;

  image_id = gimp_file_load (GIMP_RUN_NONINTERACTIVE, path, path);
  if (image_id == -1)
    {
      gchar *display = g_filename_display_name (path);
      gchar *why = g_strstrip (g_strdup (gimp_get_pdb_error ()));

      if (g_str_has_suffix (why, "."))
        why[strlen (why) - 1] = '\0';
      g_set_error (error, ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR,
                   _ ("GIMP cannot open the style picture \"%s\": %s."),
                   display, why);
      g_free (why);
      g_free (display);
      return NULL;
    }

  gimp_image_undo_disable (image_id);
  layer_id = gimp_image_merge_visible_layers (image_id, GIMP_CLIP_TO_IMAGE);
  if (layer_id == -1)
    {
      gchar *display = g_filename_display_name (path);

      g_set_error (error, ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR,
                   _ ("The style picture \"%s\" has no visible layer."),
                   display);
      g_free (display);
    }
  else
    {
      st_drawable_size_within (layer_id, long_side, &width, &height);
      image = st_drawable_read (layer_id, width, height, NULL, error);
    }

  gimp_image_delete (image_id);

  return image;
}

void
st_style_match_image (StImage *image, gint32 image_id)
{
  const Babl *to_y = babl_format ("Y' float");
  const Babl *rgb = babl_format ("R'G'B' float");
  gsize n, i;
  gfloat *y;

  if (!image || gimp_image_base_type (image_id) != GIMP_GRAY)
    return;

  n = (gsize)image->width * image->height;
  y = g_try_new (gfloat, n);
  if (!y)
    return; /* the colour style still paints */

  babl_process (babl_fish (rgb, to_y), image->pixels, y, n);
  for (i = 0; i < n; i++)
    image->pixels[i * 3 + 0] = image->pixels[i * 3 + 1]
        = image->pixels[i * 3 + 2] = y[i];
  g_free (y);
}

void
st_strip_extension (gchar *name)
{
  gchar *dot = strrchr (name, '.');
  gint n = 0;

  if (!dot || dot == name)
    return;

  while (dot[1 + n] && g_ascii_isalnum (dot[1 + n]))
    n++;
  if (n >= 1 && n <= 5 && dot[1 + n] == '\0')
    *dot = '\0';
}

gchar *
st_style_file_label (const gchar *path, const gchar *plugin_dir)
{
  GPtrArray *paintings = st_paintings_load (plugin_dir);
  const StPainting *painting = st_paintings_find_file (paintings, path);
  gchar *label;

  if (painting)
    label = g_strdup (painting->title);
  else
    {
      gchar *base = g_path_get_basename (path);

      label = g_filename_display_name (base);
      g_free (base);
      st_strip_extension (label);
    }
  g_ptr_array_unref (paintings);

  return label;
}
