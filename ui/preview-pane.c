/* preview-pane.c - the dialog's live preview: a small copy of the layer,
 * painted by the worker of preview.c with few iterations, shown in a
 * GimpPreviewArea with GIMP's Preview and Split view check boxes.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include <glib/gi18n.h>

#include "dialog.h"
#include "plugin/drawable.h"
#include "plugin/style.h"
#include "preview-pane.h"
#include "preview.h"
#include "theme.h"

/* The live preview: a small copy of the whole layer, few iterations. */
#define PREVIEW_SIZE 192
#define PREVIEW_ITERATIONS 40

struct StPreviewPane
{
  const StPluginValues *vals;
  gint32 image_id;
  gint32 drawable_id;
  const StNetwork *network; /* NULL until set                  */

  GtkWidget *box;
  GtkWidget *area;
  GtkWidget *toggle; /* "Preview": off stops the worker  */
  GtkWidget *status;
  GtkWidget *split_view; /* before (left) and after (right) */
  gboolean on;

  gint width, height; /* of the preview area            */
  StImage *content;   /* (height, width, 3)             */
  StImage *result;    /* the last frame, or NULL        */
  StImage *style;
  gint32 style_id;   /* style was read from            */
  gchar *style_file; /* ... or from this file          */
  gint style_side;   /* ... at this long side          */

  StPreviewRunner *runner;
  guint restart_id;
};

/* ------------------------------------------------------------ pixels */

/* drawable_id reduced to fit long_side, or NULL.  Main thread only: it
 * talks to GIMP. */
static StImage *
read_within (gint32 drawable_id, gint long_side)
{
  StImage *image;
  GError *error = NULL;
  gint width, height;

  st_drawable_size_within (drawable_id, long_side, &width, &height);
  image = st_drawable_read (drawable_id, width, height, NULL, &error);
  g_clear_error (&error);

  return image;
}

/* Draws the preview: the last result (kept while a new run starts, until
 * its first frame), or the photo before there is one or with Preview off;
 * with Split view on, the photo on the left half and the result on the
 * right, as GIMP's own filters split their preview. */
static void
draw (StPreviewPane *pane)
{
  const StImage *before = pane->content;
  const StImage *after = pane->on ? pane->result : NULL;
  gboolean split
      = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (pane->split_view));
  gint w = pane->width;
  gint h = pane->height;
  guchar *rgb;
  gint x, y;

  if (!before)
    return;
  if (!after)
    after = before;

  /* The preview's copies were read at the engine's own rounding, so
   * frames have the preview's size; this only keeps the drawing inside. */
  w = MIN (w, MIN (before->width, after->width));
  h = MIN (h, MIN (before->height, after->height));

  rgb = g_new (guchar, (gsize)w * h * 3);
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      {
        const StImage *image = split && x < w / 2 ? before : after;
        const gfloat *in = image->pixels + ((gsize)y * image->width + x) * 3;
        guchar *out = rgb + ((gsize)y * w + x) * 3;
        gint c;

        for (c = 0; c < 3; c++)
          out[c] = (guchar)(CLAMP (in[c], 0.0f, 1.0f) * 255.0f + 0.5f);
        if (split && x == w / 2)
          out[0] = out[1] = out[2] = 255; /* the dividing line */
      }

  gimp_preview_area_draw (GIMP_PREVIEW_AREA (pane->area), 0, 0, w, h,
                          GIMP_RGB_IMAGE, rgb, w * 3);
  g_free (rgb);
}

/* A new frame of the painting (NULL: none yet). */
static void
set_result (StPreviewPane *pane, const StImage *image)
{
  st_image_free (pane->result);
  pane->result = image ? st_image_copy (image) : NULL;
  /* A grayscale layer keeps the luminance only: show that. */
  st_style_match_image (pane->result, pane->image_id);
  draw (pane);
}

/* The style copy for the preview: the engine sizes the style to the run
 * times the style scale, so a little more than that is enough.  Read
 * from the style file when there is one, else from the style layer. */
static gboolean
ensure_style (StPreviewPane *pane)
{
  const StPluginValues *vals = pane->vals;
  gint32 style_id = vals->style_drawable;
  gint long_side
      = (gint)ceil (2.0 * PREVIEW_SIZE * MAX (1.0, vals->style_scale));

  if (pane->style && pane->style_id == style_id
      && g_strcmp0 (pane->style_file, vals->style_file) == 0
      && pane->style_side == long_side)
    return TRUE;

  st_image_free (pane->style);
  pane->style = NULL;
  g_free (pane->style_file);
  pane->style_file = g_strdup (vals->style_file);
  pane->style_id = style_id;
  pane->style_side = long_side;

  if (vals->style_file[0])
    {
      GError *error = NULL;

      pane->style = st_style_file_read (vals->style_file, long_side, 0, &error);
      g_clear_error (&error);
    }
  else if (style_id != -1 && gimp_item_is_valid (style_id))
    pane->style = read_within (style_id, long_side);
  /* As the run does: a grayscale image gets the style's luminance. */
  st_style_match_image (pane->style, pane->image_id);

  return pane->style != NULL;
}

/* ------------------------------------------------------------ worker */

static void
preview_event (StPreviewEvent event, const StImage *image,
               const StProgress *progress, const gchar *message,
               gpointer user_data)
{
  StPreviewPane *pane = user_data;
  gchar *text;

  switch (event)
    {
    case ST_PREVIEW_FRAME:
      set_result (pane, image);
      text = g_strdup_printf (_ ("Preview: iteration %d of %d"),
                              progress->iteration, progress->n_iterations);
      gtk_label_set_text (GTK_LABEL (pane->status), text);
      g_free (text);
      break;

    case ST_PREVIEW_DONE:
      set_result (pane, image);
      gtk_label_set_text (GTK_LABEL (pane->status),
                          _ ("Preview at small size"));
      break;

    case ST_PREVIEW_FAILED:
      text = message ? st_plugin_sentence (message)
                     : g_strdup (_ ("The preview failed."));
      gtk_label_set_text (GTK_LABEL (pane->status), text);
      g_free (text);
      break;
    }
}

static gboolean
restart (gpointer data)
{
  StPreviewPane *pane = data;
  StParams params;

  pane->restart_id = 0;

  if (!pane->content || !pane->on || !pane->network)
    return G_SOURCE_REMOVE;

  /* The last frame stays on screen until the new run's first one. */
  if (!ensure_style (pane))
    {
      gtk_label_set_text (GTK_LABEL (pane->status),
                          _ ("Choose a style to see a preview"));
      return G_SOURCE_REMOVE;
    }

  st_plugin_params_from_values (pane->vals, pane->width, pane->height, &params);
  params.size = MAX (pane->width, pane->height);
  params.iterations = PREVIEW_ITERATIONS;
  /* Leave a core to the dialog and to GIMP. */
  params.threads = MAX (1, (gint)g_get_num_processors () - 1);

  gtk_label_set_text (GTK_LABEL (pane->status), _ ("Preview: starting…"));
  st_preview_runner_start (pane->runner, pane->network, pane->content,
                           pane->style, &params);

  return G_SOURCE_REMOVE;
}

void
st_preview_pane_schedule (StPreviewPane *pane)
{
  st_preview_runner_stop (pane->runner);
  if (pane->restart_id)
    g_source_remove (pane->restart_id);
  pane->restart_id = 0;
  if (!pane->on)
    {
      gtk_label_set_text (GTK_LABEL (pane->status), _ ("Preview off"));
      return;
    }
  pane->restart_id
      = g_timeout_add (ST_DIALOG_PREVIEW_DEBOUNCE_MS, restart, pane);
  gtk_label_set_text (GTK_LABEL (pane->status),
                      _ ("Preview: waiting for the settings…"));
}

/* ----------------------------------------------------------- widgets */

static void
split_view_toggled (GtkToggleButton *toggle, StPreviewPane *pane)
{
  (void)toggle;
  draw (pane);
}

/* Preview off stops the worker at once (it takes a core) and shows the
 * photo; on again shows the last painting while a new run starts. */
static void
preview_toggled (GtkToggleButton *toggle, StPreviewPane *pane)
{
  pane->on = gtk_toggle_button_get_active (toggle);
  gtk_widget_set_sensitive (pane->split_view, pane->on);
  draw (pane);
  st_preview_pane_schedule (pane);
}

/* The area's buffer exists once it has a size: draw then. */
static void
area_allocated (GtkWidget *area, GtkAllocation *allocation, StPreviewPane *pane)
{
  (void)area;
  (void)allocation;
  draw (pane);
}

static GtkWidget *
new_area (StPreviewPane *pane)
{
  GtkWidget *align = gtk_alignment_new (0.5, 0.0, 0.0, 0.0);
  GtkWidget *frame = gtk_frame_new (NULL);

  gtk_frame_set_shadow_type (GTK_FRAME (frame), GTK_SHADOW_IN);
  gtk_container_add (GTK_CONTAINER (align), frame);

  pane->area = gimp_preview_area_new ();
  gtk_widget_set_name (pane->area, "st-preview");
  gtk_widget_set_size_request (pane->area, pane->width, pane->height);
  g_signal_connect_after (pane->area, "size-allocate",
                          G_CALLBACK (area_allocated), pane);
  gtk_container_add (GTK_CONTAINER (frame), pane->area);

  return align;
}

static GtkWidget *
new_status (void)
{
  GtkWidget *status = gtk_label_new (NULL);

  gtk_widget_set_name (status, "st-preview-status");
  gtk_misc_set_alignment (GTK_MISC (status), 0.5, 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (status), TRUE);
  gtk_widget_set_size_request (status, PREVIEW_SIZE, -1);
  gimp_label_set_attributes (GTK_LABEL (status), PANGO_ATTR_SCALE,
                             PANGO_SCALE_SMALL, -1);
  return status;
}

/* GIMP's filters put their Preview check box under the preview, with
 * GIMP's own words, and Split view below it. */
static void
new_toggles (StPreviewPane *pane)
{
  pane->toggle = gtk_check_button_new_with_mnemonic (_ ("_Preview"));
  gtk_widget_set_name (pane->toggle, "st-preview-toggle");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (pane->toggle), pane->on);
  gimp_help_set_help_data (pane->toggle,
                           _ ("Paint a small preview while you choose the "
                              "settings.  Off, the preview stops and leaves "
                              "the processor to GIMP."),
                           NULL);

  pane->split_view = gtk_check_button_new_with_mnemonic (_ ("Split _view"));
  gtk_widget_set_name (pane->split_view, "st-split-view");
  gimp_help_set_help_data (pane->split_view,
                           _ ("Before and after: the photo on the left half "
                              "of the preview, the painting on the right."),
                           NULL);
  gtk_widget_set_sensitive (pane->split_view, pane->on);
  /* The Dark theme would draw it insensitive in bold, embossed. */
  st_theme_dim_insensitive (pane->split_view);

  g_signal_connect (pane->split_view, "toggled",
                    G_CALLBACK (split_view_toggled), pane);
  g_signal_connect (pane->toggle, "toggled", G_CALLBACK (preview_toggled),
                    pane);
}

/* ------------------------------------------------------------- entry */

StPreviewPane *
st_preview_pane_new (const StPluginValues *vals, gint32 image_id,
                     gint32 drawable_id, gboolean on)
{
  StPreviewPane *pane = g_new0 (StPreviewPane, 1);

  pane->vals = vals;
  pane->image_id = image_id;
  pane->drawable_id = drawable_id;
  pane->on = on;
  pane->style_id = -1;
  st_drawable_size_within (drawable_id, PREVIEW_SIZE, &pane->width,
                           &pane->height);
  pane->content = read_within (drawable_id, PREVIEW_SIZE);
  pane->runner = st_preview_runner_new (preview_event, pane);

  pane->box = gtk_vbox_new (FALSE, 6);
  pane->status = new_status ();
  new_toggles (pane);
  gtk_box_pack_start (GTK_BOX (pane->box), new_area (pane), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (pane->box), pane->status, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (pane->box), pane->toggle, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (pane->box), pane->split_view, FALSE, FALSE, 0);

  return pane;
}

GtkWidget *
st_preview_pane_widget (StPreviewPane *pane)
{
  return pane->box;
}

void
st_preview_pane_set_network (StPreviewPane *pane, const StNetwork *network)
{
  st_preview_runner_stop (pane->runner);
  pane->network = network;
}

gboolean
st_preview_pane_is_on (StPreviewPane *pane)
{
  return pane->on;
}

void
st_preview_pane_stop (StPreviewPane *pane)
{
  st_preview_runner_stop (pane->runner);
  if (pane->restart_id)
    g_source_remove (pane->restart_id);
  pane->restart_id = 0;
}

void
st_preview_pane_free (StPreviewPane *pane)
{
  if (!pane)
    return;
  st_preview_pane_stop (pane);
  st_preview_runner_free (pane->runner);
  st_image_free (pane->content);
  st_image_free (pane->style);
  st_image_free (pane->result);
  g_free (pane->style_file);
  g_free (pane);
}
