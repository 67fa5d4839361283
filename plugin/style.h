/* style.h - where the style picture comes from: a layer of an open image,
 * a picture file on disk, or one of the paintings installed with the
 * plug-in.  Used by the run (validate.c, render.c) and by the dialog
 * (ui/), like values.h; it calls neither of them.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_PLUGIN_STYLE_H
#define ST_PLUGIN_STYLE_H

#include <libgimp/gimp.h>

#include "style-transfer.h"
#include "values.h"

G_BEGIN_DECLS

/* The folder, beside the plug-in's binary, that holds the installed
 * paintings and their provenance file. */
#define ST_PAINTINGS_FOLDER "paintings"
#define ST_PAINTINGS_INDEX "paintings.ini"

/* One installed painting, as paintings.ini describes it. */
typedef struct
{
  gchar *id;      /* "starry-night": the group, and the file name */
  gchar *title;   /* "The Starry Night" (translated when the file says) */
  gchar *painter; /* "Vincent van Gogh" */
  gchar *year;    /* "1889", or "" when unknown */
  gchar *lived;   /* the painter's years, "1797–1858", or "" */
  gchar *source;  /* where this copy came from */
  gchar *licence; /* why it may be installed */
  gchar *path;    /* the picture: <folder>/<id>.jpg */
} StPainting;

/* The paintings installed in plugin_dir/paintings/, in the order of
 * paintings.ini, leaving out those whose picture is missing.  An empty
 * array (never NULL) when none are installed.  Free with
 * g_ptr_array_unref (). */
GPtrArray *st_paintings_load (const gchar *plugin_dir);

/* The painting of paintings whose id or picture path is `name`, or NULL. */
const StPainting *st_paintings_find (GPtrArray *paintings, const gchar *name);

/* The installed painting whose picture the file `path` is: that very file
 * (symbolic links followed), or a copy of it under its own name
 * ("starry-night.jpg" with the same bytes), or NULL. */
const StPainting *st_paintings_find_file (GPtrArray *paintings,
                                          const gchar *path);

/* The long side to read the style picture at for a run (or preview) of
 * long side run_side: the engine resamples it to run_side times the
 * style scale, and twice that keeps its detail without costing memory
 * for nothing. */
gint st_style_read_side (const StPluginValues *vals, gint run_side);

/* What an open image is called where a person reads it (the style
 * chooser, the result layer's name): the title of the installed painting
 * it was opened from ("The Starry Night"), else its file's name
 * ("starry_night.jpg", or "starry_night" without keep_extension), else
 * GIMP's name for an image without a file ("Untitled").  Never the
 * window-title form "[starry-night] (imported)" that gimp_image_get_name
 * gives an imported picture.  Newly allocated. */
gchar *st_style_image_label (gint32 image_id, const gchar *plugin_dir,
                             gboolean keep_extension);

/* Repeat and Re-show after the style's image was closed.  Last values
 * keep the style layer's ID only, which dies with its image; so a
 * successful run also records the file that image was opened from
 * (gimp_set_data, beside the last values): */
void st_style_remember_source (const StPluginValues *vals);
/* and a later run whose style layer is gone takes, instead, the installed
 * painting that file was (its installed copy), else that file when it is
 * still on disk.  TRUE when vals has a usable style afterwards (or
 * never named a layer); FALSE leaves style_drawable -1, for the dialog
 * to choose. */
gboolean st_style_recover (StPluginValues *vals, const gchar *plugin_dir);

/* The picture file that a style argument names: the id of an installed
 * painting ("starry-night") or the path of any picture file.  NULL with a
 * GIMP_PDB_CALLING_ERROR when it names neither. */
gchar *st_style_file_resolve (const gchar *style, const gchar *plugin_dir,
                              GError **error);

/* Reads the picture file `path` (any format GIMP opens) reduced to fit
 * long_side, as an engine image: the file is opened as a hidden image,
 * its visible layers merged, read, and the image deleted again.  Before
 * GIMP is asked, the file is measured and checked from its own bytes
 * (cli/image-check.h): a picture whose declared size GIMP could not hold
 * within budget bytes (0: half the available memory, or
 * $ST_MEMORY_BUDGET MiB) is refused, as is a PNG or JPEG that is
 * truncated or corrupt; GIMP itself would otherwise be killed for its
 * memory, or open a picture with a grey part.  NULL with a
 * GIMP_PDB_EXECUTION_ERROR then or when GIMP cannot open it.  Main thread
 * only: it talks to GIMP. */
StImage *st_style_file_read (const gchar *path, gint long_side, gsize budget,
                             GError **error);

/* What the result layer is named after when the style is the file path:
 * the painting's title for an installed painting, else the file's name
 * without its extension ("photo.jpg" -> "photo"). */
gchar *st_style_file_label (const gchar *path, const gchar *plugin_dir);

/* What a grayscale image receives from a style: image (a style read for
 * the content of image_id) is replaced by its luminance when image_id is
 * a grayscale image, and left alone otherwise.  A grayscale layer keeps
 * only the luminance of a result; painted from the colour style, that
 * luminance is weak and blotchy wherever the painting contrasts colours of
 * one lightness (Starry Night's blues and yellows).  Painted from the
 * style's own luminance, the grayscale result gets the painting's
 * structure, as an RGB one does.  The conversion is GIMP's own (babl's
 * R'G'B' to Y'). */
void st_style_match_image (StImage *image, gint32 image_id);

/* Cuts a file-name extension in place ("starry_night.jpg" ->
 * "starry_night"): a dot followed by one to five letters or digits, not
 * at the start. */
void st_strip_extension (gchar *name);

G_END_DECLS

#endif
