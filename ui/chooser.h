/* chooser.h - the dialog's style chooser: the open images by their names,
 * the paintings installed with the plug-in, and "From file..." for any
 * picture on disk, each with a thumbnail.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_CHOOSER_H
#define ST_UI_CHOOSER_H

#include <gtk/gtk.h>

#include "plugin/values.h"

G_BEGIN_DECLS

/* The columns of the chooser's model, for tests that read it. */
enum
{
  ST_CHOOSER_COL_PIXBUF,   /* GdkPixbuf: the thumbnail                  */
  ST_CHOOSER_COL_MARKUP,   /* gchararray: name, then painter or origin  */
  ST_CHOOSER_COL_KIND,     /* gint: StChoiceKind                        */
  ST_CHOOSER_COL_DRAWABLE, /* gint: the layer, for ST_CHOICE_LAYER      */
  ST_CHOOSER_COL_PATH,     /* gchararray: the file, for paintings/files */
  ST_CHOOSER_COL_TOOLTIP,  /* gchararray: provenance, or the full path  */
  ST_CHOOSER_N_COLS
};

/* The width, in pixels, at which a row's text wraps (never cut). */
#define ST_CHOOSER_TEXT_WIDTH 260

typedef enum
{
  ST_CHOICE_LAYER,     /* a layer of an open image                 */
  ST_CHOICE_PAINTING,  /* an installed painting                    */
  ST_CHOICE_FILE,      /* a file chosen with "From file..."        */
  ST_CHOICE_FROM_FILE, /* the "From file..." entry itself          */
  ST_CHOICE_SEPARATOR
} StChoiceKind;

/* A combo box of the style candidates for the content layer content_id;
 * it selects the style of vals when it is still there, else a layer of
 * another open image, else the first painting, else another layer of the
 * content's image.  Whenever the choice changes,
 * it writes vals->style_drawable and vals->style_file and calls
 * changed (chooser, data).  parent is the dialog, for the file chooser. */
GtkWidget *st_style_chooser_new (gint32 content_id, const gchar *plugin_dir,
                                 StPluginValues *vals, GtkWindow *parent,
                                 GCallback changed, gpointer data);

/* Whether a style is chosen (FALSE only when there is nothing to offer). */
gboolean st_style_chooser_has_style (GtkWidget *chooser);

G_END_DECLS

#endif
