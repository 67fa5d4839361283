/* preview-pane.c - the dialog's live preview: a small copy of the layer,
 * painted by the worker of preview.c with few iterations, shown in a
 * GimpPreviewArea with GIMP's Preview and Split view check boxes.
 *
 * As in GIMP's own zoom previews, the buttons under the area (or Ctrl and
 * the mouse wheel) zoom in up to the layer's own pixels, and dragging the
 * area or its scroll bars pans: the preview then paints the part of the
 * layer it shows, read at that zoom (preview-view.h), with the painting's
 * strokes as large as they are in the whole layer.  While a new part is
 * read and painted, what is already known is shown where it applies: the
 * last painting, else the photo, else the whole layer's small copy.
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
#include "preview-nav.h"
#include "preview-pane.h"
#include "preview.h"
#include "theme.h"

/* The live preview: a small copy of the whole layer, few iterations. */
#define PREVIEW_SIZE 192
#define PREVIEW_ITERATIONS 40
/* The style is read at twice the side the engine will use, up to this. */
#define STYLE_READ_MAX 2048
/* After a pan, the photo of the new part is read after this pause (ms),
 * so that dragging stays smooth. */
#define READ_DELAY 80

/* An image of a rectangle of the layer. */
typedef struct
{
  StImage *image; /* or NULL */
  StLayerRect rect;
} Shown;

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

  StPreviewNav *nav; /* zoom and pan                    */
  guint read_id;

  gint width, height;   /* of the preview area             */
  Shown overview;       /* the whole layer, width x height */
  Shown content;        /* what the area shows, the photo  */
  Shown result;         /* the last frame                  */
  StLayerRect run_rect; /* of the run in flight            */
  StImage *style;
  gint32 style_id;   /* style was read from            */
  gchar *style_file; /* ... or from this file          */
  gint style_side;   /* ... at this long side          */

  StPreviewRunner *runner;
  guint restart_id;
};

/* ------------------------------------------------------------ pixels */

/* The part of the layer the area shows, at its zoom. */
static const StPreviewView *
shown_view (StPreviewPane *pane)
{
  return st_preview_nav_view (pane->nav);
}

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

static void
shown_set (Shown *shown, StImage *image, const StLayerRect *rect)
{
  st_image_free (shown->image);
  shown->image = image;
  shown->rect = *rect;
}

static gboolean
same_rect (const StLayerRect *a, const StLayerRect *b)
{
  return a->x == b->x && a->y == b->y && a->width == b->width
         && a->height == b->height;
}

/* The pixel of shown at the layer's point (lx, ly), nearest; NULL where
 * shown does not reach. */
static const gfloat *
shown_pixel (const Shown *shown, gdouble lx, gdouble ly)
{
  const StImage *image = shown->image;
  gdouble u, v;
  gint x, y;

  if (!image)
    return NULL;
  u = (lx - shown->rect.x) / shown->rect.width;
  v = (ly - shown->rect.y) / shown->rect.height;
  if (u < 0.0 || u >= 1.0 || v < 0.0 || v >= 1.0)
    return NULL;
  x = MIN ((gint)(u * image->width), image->width - 1);
  y = MIN ((gint)(v * image->height), image->height - 1);
  return image->pixels + ((gsize)y * image->width + x) * 3;
}

/* The photo of the part the area shows, read unless it is already. */
static void
ensure_content (StPreviewPane *pane)
{
  StLayerRect rect;
  GError *error = NULL;
  StImage *image;

  st_preview_view_rect (shown_view (pane), &rect);
  if (pane->content.image && same_rect (&rect, &pane->content.rect))
    return;
  /* The whole layer was read once already. */
  if (pane->overview.image && same_rect (&rect, &pane->overview.rect))
    image = st_image_copy (pane->overview.image);
  else
    image = st_drawable_read_area (
        pane->drawable_id,
        GEGL_RECTANGLE (rect.x, rect.y, rect.width, rect.height), pane->width,
        pane->height, NULL, &error);
  g_clear_error (&error);
  if (image)
    shown_set (&pane->content, image, &rect);
}

/* Draws the preview: the last painting (kept while a new run starts,
 * until its first frame), or the photo before there is one or with
 * Preview off; with Split view on, the photo on the left half and the
 * painting on the right, as GIMP's own filters split their preview.
 * Each pixel comes from the first image that shows its point of the
 * layer: the painting, the photo, the whole layer's small copy. */
static void
draw (StPreviewPane *pane)
{
  gboolean split
      = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (pane->split_view));
  const Shown *painting = pane->on ? &pane->result : NULL;
  gint w = pane->width;
  gint h = pane->height;
  StLayerRect rect;
  guchar *rgb;
  gint x, y;

  if (!pane->overview.image)
    return;
  st_preview_view_rect (shown_view (pane), &rect);

  rgb = g_new (guchar, (gsize)w * h * 3);
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      {
        gdouble lx = rect.x + (x + 0.5) * rect.width / w;
        gdouble ly = rect.y + (y + 0.5) * rect.height / h;
        const gfloat *in = NULL;
        guchar *out = rgb + ((gsize)y * w + x) * 3;
        gint c;

        if (painting && !(split && x < w / 2))
          in = shown_pixel (painting, lx, ly);
        if (!in)
          in = shown_pixel (&pane->content, lx, ly);
        if (!in)
          in = shown_pixel (&pane->overview, lx, ly);
        for (c = 0; c < 3; c++)
          out[c] = in ? (guchar)(CLAMP (in[c], 0.0f, 1.0f) * 255.0f + 0.5f) : 0;
        if (split && x == w / 2)
          out[0] = out[1] = out[2] = 255; /* the dividing line */
      }

  gimp_preview_area_draw (GIMP_PREVIEW_AREA (pane->area), 0, 0, w, h,
                          GIMP_RGB_IMAGE, rgb, w * 3);
  g_free (rgb);
}

/* A new frame of the painting, of the run's part of the layer. */
static void
set_result (StPreviewPane *pane, const StImage *image)
{
  StImage *copy = st_image_copy (image);

  /* A grayscale layer keeps the luminance only: show that. */
  st_style_match_image (copy, pane->image_id);
  shown_set (&pane->result, copy, &pane->run_rect);
  draw (pane);
}

/* The style copy for the preview: the engine sizes the style to the
 * zoomed layer times the style scale, so a little more than that is
 * enough.  Read from the style file when there is one, else from the
 * style layer. */
static gboolean
ensure_style (StPreviewPane *pane)
{
  const StPluginValues *vals = pane->vals;
  gint32 style_id = vals->style_drawable;
  gint zoomed = MAX (shown_view (pane)->width, shown_view (pane)->height);
  gint long_side = MIN (STYLE_READ_MAX, st_style_read_side (vals, zoomed));

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
      if (shown_view (pane)->zoom == 0)
        gtk_label_set_text (GTK_LABEL (pane->status),
                            _ ("Preview at small size"));
      else
        {
          /* TRANSLATORS: the preview is done, zoomed in, e.g. "Preview
             at 50 %" of the layer's own size */
          text = g_strdup_printf (_ ("Preview at %d %%"),
                                  st_preview_view_percent (shown_view (pane)));
          gtk_label_set_text (GTK_LABEL (pane->status), text);
          g_free (text);
        }
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
  gint zoomed = MAX (shown_view (pane)->width, shown_view (pane)->height);

  pane->restart_id = 0;

  if (!pane->on || !pane->network)
    return G_SOURCE_REMOVE;
  ensure_content (pane);
  if (!pane->content.image)
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
  /* Leave a core to the dialog and to GIMP: the run's own count, over
   * the context's. */
  params.threads = MAX (1, (gint)g_get_num_processors () - 1);
  /* The engine sizes the style to the run: zoomed in, the run is a part
   * of a larger layer, whose strokes are that much larger. */
  params.style_scale = MIN (ST_PLUGIN_STYLE_SCALE_MAX,
                            params.style_scale * zoomed / params.size);

  gtk_label_set_text (GTK_LABEL (pane->status), _ ("Preview: starting…"));
  pane->run_rect = pane->content.rect;
  st_preview_runner_start (pane->runner, pane->network, pane->content.image,
                           pane->style, &params);

  return G_SOURCE_REMOVE;
}

/* Stops the running preview and forgets a restart that was due. */
static void
cancel_run (StPreviewPane *pane)
{
  st_preview_runner_stop (pane->runner);
  if (pane->restart_id)
    g_source_remove (pane->restart_id);
  pane->restart_id = 0;
}

void
st_preview_pane_schedule (StPreviewPane *pane)
{
  cancel_run (pane);
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

/* ---------------------------------------------------- zoom and pan */

static gboolean
read_later (gpointer data)
{
  StPreviewPane *pane = data;

  pane->read_id = 0;
  ensure_content (pane);
  draw (pane);
  return G_SOURCE_REMOVE;
}

/* The view moved or zoomed: the area shows what is known of the new part
 * at once, the photo of it soon after, and the preview paints it anew. */
static void
view_changed (gpointer data)
{
  StPreviewPane *pane = data;

  draw (pane);
  if (pane->read_id)
    g_source_remove (pane->read_id);
  pane->read_id = g_timeout_add (READ_DELAY, read_later, pane);
  st_preview_pane_schedule (pane);
}

/* The area in a frame, its scroll bars beside and under it, and the zoom
 * row under them. */
static GtkWidget *
new_area (StPreviewPane *pane, const StPreviewView *view)
{
  GtkWidget *vbox = gtk_vbox_new (FALSE, 2);
  GtkWidget *align = gtk_alignment_new (0.5, 0.0, 0.0, 0.0);
  GtkWidget *table = gtk_table_new (2, 2, FALSE);
  GtkWidget *frame = gtk_frame_new (NULL);

  gtk_box_pack_start (GTK_BOX (vbox), align, FALSE, FALSE, 0);
  gtk_container_add (GTK_CONTAINER (align), table);
  gtk_frame_set_shadow_type (GTK_FRAME (frame), GTK_SHADOW_IN);
  gtk_table_attach (GTK_TABLE (table), frame, 0, 1, 0, 1, GTK_FILL, GTK_FILL, 0,
                    0);

  pane->area = gimp_preview_area_new ();
  gtk_widget_set_name (pane->area, "st-preview");
  gtk_widget_set_size_request (pane->area, pane->width, pane->height);
  g_signal_connect_after (pane->area, "size-allocate",
                          G_CALLBACK (area_allocated), pane);
  gtk_container_add (GTK_CONTAINER (frame), pane->area);

  pane->nav = st_preview_nav_new (pane->area, view, view_changed, pane);
  gtk_table_attach (GTK_TABLE (table), st_preview_nav_hscrollbar (pane->nav), 0,
                    1, 1, 2, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (GTK_TABLE (table), st_preview_nav_vscrollbar (pane->nav), 1,
                    2, 0, 1, GTK_FILL, GTK_FILL, 0, 0);
  gtk_box_pack_start (GTK_BOX (vbox), st_preview_nav_zoom_row (pane->nav),
                      FALSE, FALSE, 0);
  return vbox;
}

static GtkWidget *
new_status (void)
{
  GtkWidget *status = st_theme_note_label ("st-preview-status");

  /* centred under the preview, at most as wide */
  gtk_misc_set_alignment (GTK_MISC (status), 0.5, 0.0);
  gtk_widget_set_size_request (status, PREVIEW_SIZE, -1);
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
st_preview_pane_new (StContext *engine, const StPluginValues *vals,
                     gint32 image_id, gint32 drawable_id, gboolean on)
{
  StPreviewPane *pane = g_new0 (StPreviewPane, 1);
  StPreviewView view;

  pane->vals = vals;
  pane->image_id = image_id;
  pane->drawable_id = drawable_id;
  pane->on = on;
  pane->style_id = -1;
  st_preview_view_init (&view, gimp_drawable_width (drawable_id),
                        gimp_drawable_height (drawable_id), PREVIEW_SIZE);
  pane->width = view.area_width;
  pane->height = view.area_height;
  st_preview_view_rect (&view, &pane->overview.rect);
  pane->overview.image = read_within (drawable_id, PREVIEW_SIZE);
  pane->runner = st_preview_runner_new (engine, preview_event, pane);

  pane->box = gtk_vbox_new (FALSE, 6);
  pane->status = new_status ();
  new_toggles (pane);
  gtk_box_pack_start (GTK_BOX (pane->box), new_area (pane, &view), FALSE, FALSE,
                      0);
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
  cancel_run (pane);
  if (pane->read_id)
    g_source_remove (pane->read_id);
  pane->read_id = 0;
}

void
st_preview_pane_free (StPreviewPane *pane)
{
  if (!pane)
    return;
  st_preview_pane_stop (pane);
  st_preview_runner_free (pane->runner);
  st_image_free (pane->overview.image);
  st_image_free (pane->content.image);
  st_image_free (pane->result.image);
  st_image_free (pane->style);
  g_free (pane->style_file);
  st_preview_nav_free (pane->nav);
  g_free (pane);
}
