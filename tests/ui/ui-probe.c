/* ui-probe.c - an LD_PRELOAD library that drives the real dialog inside
 * real GIMP for tests/ui/test-dialog.py.
 *
 * It replaces gimp_dialog_run (): the dialog, built by the plug-in as
 * usual, is shown on the X server; the probe finds the style chooser, the
 * strength, quality and preview widgets by name, waits until the preview's
 * pixels move away from the content, saves screenshots of the whole
 * dialog, then changes the strength and presses Cancel while the new
 * preview runs.  It counts the preview threads (g_thread_try_new named
 * "st-preview") and reports how many are still running when the dialog is
 * destroyed, which the plug-in does right after gimp_dialog_run ()
 * returns.  Findings go, one per line, to $ST_UI_REPORT; screenshots to
 * $ST_UI_OUT/dialog-$ST_UI_TAG{,-advanced}.png.
 *
 * $ST_UI_LOCALEDIR, when set, replaces the directory the plug-in binds its
 * text domain to, so that the build tree's translations are used.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "chooser.h"
#include "dialog.h"

#define REAL(name)                                                             \
  static __typeof__ (name) *real_##name;                                       \
  if (!real_##name)                                                            \
  *(void **)(&real_##name) = dlsym (RTLD_NEXT, #name)

#define WAIT_CHANGE_S 150 /* the preview must change within this */
#define WAIT_DONE_S 90    /* then it may finish for the screenshot */

static gint preview_threads_alive = 0;   /* atomic */
static gint preview_threads_started = 0; /* atomic */
static gint preview_threads_joined = 0;  /* atomic */
static GtkWidget *probed_dialog = NULL;
static gint64 cancel_time = 0;
/* With a preview area set, the next preview thread's start (in the main
 * thread, as the dialog restarts its preview) copies what the area shows
 * at that moment into restart_shown. */
static GtkWidget *restart_watch = NULL;
static GdkPixbuf *restart_shown = NULL;

static GdkPixbuf *area_pixels (GtkWidget *area);

static void report (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
report (const char *format, ...)
{
  const char *path = getenv ("ST_UI_REPORT");
  FILE *file = path ? fopen (path, "a") : NULL;
  va_list args;

  va_start (args, format);
  vfprintf (file ? file : stderr, format, args);
  va_end (args);
  fputc ('\n', file ? file : stderr);
  if (file)
    fclose (file);
}

/* ------------------------------------------------------- text domain */

char *
bindtextdomain (const char *domainname, const char *dirname)
{
  const char *dir = getenv ("ST_UI_LOCALEDIR");

  REAL (bindtextdomain);
  if (dir && domainname && strcmp (domainname, "gimp-style-transfer") == 0)
    dirname = dir;
  return real_bindtextdomain (domainname, dirname);
}

/* ----------------------------------------------------------- threads */

typedef struct
{
  GThreadFunc func;
  gpointer data;
} Start;

static gpointer
counted_thread (gpointer data)
{
  Start start = *(Start *)data;
  gpointer result;

  g_free (data);
  result = start.func (start.data);
  g_atomic_int_dec_and_test (&preview_threads_alive);

  return result;
}

GThread *
g_thread_try_new (const gchar *name, GThreadFunc func, gpointer data,
                  GError **error)
{
  Start *start;
  GThread *thread;

  REAL (g_thread_try_new);
  if (!name || strcmp (name, "st-preview") != 0)
    return real_g_thread_try_new (name, func, data, error);

  if (restart_watch)
    {
      restart_shown = area_pixels (restart_watch);
      restart_watch = NULL;
    }
  start = g_new (Start, 1);
  start->func = func;
  start->data = data;
  g_atomic_int_inc (&preview_threads_alive);
  thread = real_g_thread_try_new (name, counted_thread, start, error);
  if (thread)
    g_atomic_int_inc (&preview_threads_started);
  else
    {
      g_atomic_int_dec_and_test (&preview_threads_alive);
      g_free (start);
    }
  return thread;
}

gpointer
g_thread_join (GThread *thread)
{
  gint64 t0 = g_get_monotonic_time ();
  gpointer result;

  REAL (g_thread_join);
  result = real_g_thread_join (thread);
  if (probed_dialog || cancel_time)
    {
      g_atomic_int_inc (&preview_threads_joined);
      report ("join took_ms=%d", (gint)((g_get_monotonic_time () - t0) / 1000));
    }
  return result;
}

/* The plug-in destroys its dialog after stopping the preview. */
void
gtk_widget_destroy (GtkWidget *widget)
{
  REAL (gtk_widget_destroy);
  if (widget && widget == probed_dialog)
    {
      report ("destroy alive=%d started=%d joined=%d after_cancel_ms=%d",
              g_atomic_int_get (&preview_threads_alive),
              g_atomic_int_get (&preview_threads_started),
              g_atomic_int_get (&preview_threads_joined),
              cancel_time
                  ? (gint)((g_get_monotonic_time () - cancel_time) / 1000)
                  : -1);
      probed_dialog = NULL;
    }
  real_gtk_widget_destroy (widget);
}

/* ----------------------------------------------------------- widgets */

typedef struct
{
  const gchar *name;
  GtkWidget *found;
} Search;

static void
find_in (GtkWidget *widget, gpointer data)
{
  Search *search = data;

  if (search->found)
    return;
  if (g_strcmp0 (gtk_widget_get_name (widget), search->name) == 0)
    {
      search->found = widget;
      return;
    }
  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), find_in, data);
}

static GtkWidget *
find_widget (GtkWidget *root, const gchar *name)
{
  Search search = { name, NULL };

  find_in (root, &search);
  report ("widget %s %s", name, search.found ? "found" : "missing");

  return search.found;
}

static void
pump (gint milliseconds)
{
  gint64 until = g_get_monotonic_time () + (gint64)milliseconds * 1000;

  do
    {
      while (gtk_events_pending ())
        gtk_main_iteration ();
      g_usleep (5000);
    }
  while (g_get_monotonic_time () < until);
}

static GdkPixbuf *
grab (GtkWidget *widget)
{
  GtkAllocation allocation;

  gtk_widget_get_allocation (widget, &allocation);
  if (!gtk_widget_get_window (widget))
    return NULL;

  if (gtk_widget_get_has_window (widget))
    return gdk_pixbuf_get_from_drawable (NULL, gtk_widget_get_window (widget),
                                         NULL, 0, 0, 0, 0, allocation.width,
                                         allocation.height);

  return gdk_pixbuf_get_from_drawable (NULL, gtk_widget_get_window (widget),
                                       NULL, allocation.x, allocation.y, 0, 0,
                                       allocation.width, allocation.height);
}

/* What a GimpPreviewArea holds now (its buffer, drawn or not yet). */
static GdkPixbuf *
area_pixels (GtkWidget *area)
{
  GimpPreviewArea *a = GIMP_PREVIEW_AREA (area);
  GdkPixbuf *copy;

  if (!a->buf || a->width <= 0 || a->height <= 0)
    return NULL;
  copy = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, a->width, a->height);
  {
    gint y;

    for (y = 0; y < a->height; y++)
      memcpy (gdk_pixbuf_get_pixels (copy)
                  + y * gdk_pixbuf_get_rowstride (copy),
              a->buf + y * a->rowstride, (gsize)a->width * 3);
  }
  return copy;
}

/* Runs the main loop until every timeout due within ms has run: a
 * timeout of ms added now fires after them (GLib runs timeouts in the
 * order they fall due), so this waits for an event, not for a guess. */
static gboolean
flag_set (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_timeouts_due_within (guint ms)
{
  gboolean fired = FALSE;

  g_timeout_add (ms, flag_set, &fired);
  while (!fired)
    gtk_main_iteration ();
}

/* Runs the main loop until a preview thread starts after `before` had
 * (the dialog starts it from a timeout in this thread); FALSE if none
 * starts within limit_s, a safety net rather than the wait. */
static gboolean
wait_thread_started (gint before, guint limit_s)
{
  gboolean expired = FALSE;
  guint guard = g_timeout_add_seconds (limit_s, flag_set, &expired);

  while (g_atomic_int_get (&preview_threads_started) == before && !expired)
    gtk_main_iteration ();
  if (!expired)
    g_source_remove (guard);
  return g_atomic_int_get (&preview_threads_started) != before;
}

/* Mean absolute difference per channel, 0..255. */
static gdouble
difference (GdkPixbuf *a, GdkPixbuf *b)
{
  gint w = MIN (gdk_pixbuf_get_width (a), gdk_pixbuf_get_width (b));
  gint h = MIN (gdk_pixbuf_get_height (a), gdk_pixbuf_get_height (b));
  gint na = gdk_pixbuf_get_n_channels (a);
  gint nb = gdk_pixbuf_get_n_channels (b);
  gdouble sum = 0.0;
  gint x, y, c;

  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      {
        const guchar *pa = gdk_pixbuf_get_pixels (a)
                           + y * gdk_pixbuf_get_rowstride (a) + x * na;
        const guchar *pb = gdk_pixbuf_get_pixels (b)
                           + y * gdk_pixbuf_get_rowstride (b) + x * nb;

        for (c = 0; c < 3; c++)
          sum += abs ((gint)pa[c] - (gint)pb[c]);
      }

  return w * h > 0 ? sum / (w * h * 3.0) : 0.0;
}

static void
screenshot (GtkWidget *window, const gchar *suffix)
{
  const char *out = getenv ("ST_UI_OUT");
  const char *tag = getenv ("ST_UI_TAG");
  GdkPixbuf *shot;
  gchar *path;
  GError *error = NULL;

  gdk_window_raise (gtk_widget_get_window (window));
  pump (500);
  shot = grab (window);
  path = g_strdup_printf ("%s/dialog-%s%s.png", out ? out : ".",
                          tag ? tag : "en", suffix);
  if (shot && gdk_pixbuf_save (shot, path, "png", &error, NULL))
    report ("screenshot %s %dx%d", path, gdk_pixbuf_get_width (shot),
            gdk_pixbuf_get_height (shot));
  else
    report ("screenshot-failed %s %s", path, error ? error->message : "");
  g_clear_error (&error);
  if (shot)
    g_object_unref (shot);
  g_free (path);
}

static const gchar *
label_text (GtkWidget *label)
{
  return label && GTK_IS_LABEL (label) ? gtk_label_get_text (GTK_LABEL (label))
                                       : "";
}

static gint after_reset (GtkWidget *window);

/* Mean difference of the columns [x0, x1) of two pictures. */
static gdouble
difference_columns (GdkPixbuf *a, GdkPixbuf *b, gint x0, gint x1)
{
  GdkPixbuf *sa
      = gdk_pixbuf_new_subpixbuf (a, x0, 0, x1 - x0, gdk_pixbuf_get_height (a));
  GdkPixbuf *sb
      = gdk_pixbuf_new_subpixbuf (b, x0, 0, x1 - x0, gdk_pixbuf_get_height (b));
  gdouble d = difference (sa, sb);

  g_object_unref (sa);
  g_object_unref (sb);
  return d;
}

/* Split view: the left half shows the photo again, the right the
 * painting; off again, the painting everywhere. */
static void
split_view (GtkWidget *window, GtkWidget *preview, GdkPixbuf *content)
{
  GtkWidget *toggle = find_widget (window, "st-split-view");
  GdkPixbuf *before, *split;
  gint w, margin;

  if (!toggle || !preview)
    return;
  before = grab (preview);
  w = gdk_pixbuf_get_width (before);
  margin = w / 10;
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), TRUE);
  pump (500);
  split = grab (preview);
  report ("split-view left-vs-photo=%.2f right-vs-painting=%.2f "
          "left-vs-painting=%.2f",
          difference_columns (split, content, margin, w / 2 - margin),
          difference_columns (split, before, w / 2 + margin, w - margin),
          difference_columns (split, before, margin, w / 2 - margin));
  screenshot (window, "-split");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), FALSE);
  pump (300);
  g_object_unref (split);
  g_object_unref (before);
}

/* -------------------------------------------------------- zoom, pan */

/* The middle (or other) part of a picture: x, y, w, h as fractions. */
static GdkPixbuf *
part (GdkPixbuf *picture, gdouble fx, gdouble fy, gdouble fw, gdouble fh)
{
  gint w = gdk_pixbuf_get_width (picture);
  gint h = gdk_pixbuf_get_height (picture);

  return gdk_pixbuf_new_subpixbuf (picture, (gint)(fx * w), (gint)(fy * h),
                                   (gint)(fw * w), (gint)(fh * h));
}

/* picture shrunk by half, to compare with a part of the unzoomed one. */
static GdkPixbuf *
halved (GdkPixbuf *picture)
{
  return gdk_pixbuf_scale_simple (picture, gdk_pixbuf_get_width (picture) / 2,
                                  gdk_pixbuf_get_height (picture) / 2,
                                  GDK_INTERP_BILINEAR);
}

static gdouble
difference_unref (GdkPixbuf *a, GdkPixbuf *b)
{
  gdouble d = a && b ? difference (a, b) : -1.0;

  g_clear_object (&a);
  g_clear_object (&b);
  return d;
}

static void
send_button (GtkWidget *area, GdkEventType type, gdouble x, gdouble y)
{
  GdkEvent *event = gdk_event_new (type);

  event->button.window = g_object_ref (gtk_widget_get_window (area));
  event->button.button = 1;
  event->button.x = event->button.x_root = x;
  event->button.y = event->button.y_root = y;
  event->button.time = GDK_CURRENT_TIME;
  gtk_widget_event (area, event);
  gdk_event_free (event);
}

static void
send_motion (GtkWidget *area, gdouble x, gdouble y)
{
  GdkEvent *event = gdk_event_new (GDK_MOTION_NOTIFY);

  event->motion.window = g_object_ref (gtk_widget_get_window (area));
  event->motion.x = event->motion.x_root = x;
  event->motion.y = event->motion.y_root = y;
  event->motion.state = GDK_BUTTON1_MASK;
  event->motion.time = GDK_CURRENT_TIME;
  gtk_widget_event (area, event);
  gdk_event_free (event);
}

static void
send_ctrl_scroll (GtkWidget *area, GdkScrollDirection direction)
{
  GdkEvent *event = gdk_event_new (GDK_SCROLL);

  event->scroll.window = g_object_ref (gtk_widget_get_window (area));
  event->scroll.direction = direction;
  event->scroll.state = GDK_CONTROL_MASK;
  event->scroll.x = 96;
  event->scroll.y = 72;
  gtk_widget_event (area, event);
  gdk_event_free (event);
}

/* Waits for a preview run to start after `started` had, then to end. */
static gboolean
wait_run (gint started)
{
  gint64 start;

  if (!wait_thread_started (started, 60))
    return FALSE;
  start = g_get_monotonic_time ();
  while (g_atomic_int_get (&preview_threads_alive) > 0
         && g_get_monotonic_time () - start < WAIT_DONE_S * G_USEC_PER_SEC)
    pump (250);
  pump (300);
  return g_atomic_int_get (&preview_threads_alive) == 0;
}

/* Zoom and pan, in a dialog whose preview has painted the whole layer
 * (painting) over the photo (photo, both at zoom 0): zoom in keeps the
 * painting on screen, magnified, then paints the middle of the layer
 * anew; with Preview off the area shows the photo of that part; dragging
 * moves it; Ctrl and the wheel zoom; the last zoom is 100 %. */
static void
zoom_checks (GtkWidget *window, GtkWidget *area, GdkPixbuf *photo,
             GdkPixbuf *painting)
{
  GtkWidget *zoom_in = find_widget (window, "st-preview-zoom-in");
  GtkWidget *zoom_out = find_widget (window, "st-preview-zoom-out");
  GtkWidget *label = find_widget (window, "st-preview-zoom");
  GtkWidget *hscroll = find_widget (window, "st-preview-hscroll");
  GtkWidget *vscroll = find_widget (window, "st-preview-vscroll");
  GtkWidget *toggle = find_widget (window, "st-preview-toggle");
  GtkWidget *status = find_widget (window, "st-preview-status");
  GtkAdjustment *hadjustment;
  GdkPixbuf *zoomed, *painted, *moved;
  gint started, x0;
  gboolean done;

  if (!zoom_in || !zoom_out || !label || !hscroll || !vscroll || !toggle)
    return;
  hadjustment = gtk_range_get_adjustment (GTK_RANGE (hscroll));
  report ("zoom-start label=%s in=%d out=%d hscroll=%d", label_text (label),
          gtk_widget_is_sensitive (zoom_in), gtk_widget_is_sensitive (zoom_out),
          gtk_widget_get_visible (hscroll));

  started = g_atomic_int_get (&preview_threads_started);
  gtk_button_clicked (GTK_BUTTON (zoom_in));
  zoomed = area_pixels (area);
  report (
      "zoom-in label=%s out=%d hscroll=%d vscroll=%d kept-painting=%.2f "
      "vs-photo=%.2f",
      label_text (label), gtk_widget_is_sensitive (zoom_out),
      gtk_widget_get_visible (hscroll), gtk_widget_get_visible (vscroll),
      difference_unref (halved (zoomed), part (painting, 0.25, 0.25, 0.5, 0.5)),
      difference_unref (halved (zoomed), part (photo, 0.25, 0.25, 0.5, 0.5)));
  g_clear_object (&zoomed);

  done = wait_run (started);
  painted = area_pixels (area);
  screenshot (window, "-zoom");
  report ("zoom-painted done=%d text=%s", done, label_text (status));

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), FALSE);
  pump (300);
  zoomed = area_pixels (area);
  report (
      "zoom-photo vs-middle=%.2f vs-corner=%.2f painted-vs-photo=%.2f",
      difference_unref (halved (zoomed), part (photo, 0.25, 0.25, 0.5, 0.5)),
      difference_unref (halved (zoomed), part (photo, 0, 0, 0.5, 0.5)),
      difference (painted, zoomed));

  /* Drag 40 px to the right: the view moves 40 px to the left. */
  x0 = (gint)gtk_adjustment_get_value (hadjustment);
  send_button (area, GDK_BUTTON_PRESS, 60, 60);
  send_motion (area, 80, 60);
  send_motion (area, 100, 60);
  send_button (area, GDK_BUTTON_RELEASE, 100, 60);
  pump (400);
  moved = area_pixels (area);
  {
    gint w = gdk_pixbuf_get_width (moved), h = gdk_pixbuf_get_height (moved);

    report (
        "zoom-drag scrolled=%d shifted=%.2f unshifted=%.2f",
        x0 - (gint)gtk_adjustment_get_value (hadjustment),
        difference_unref (gdk_pixbuf_new_subpixbuf (moved, 40, 0, w - 40, h),
                          gdk_pixbuf_new_subpixbuf (zoomed, 0, 0, w - 40, h)),
        difference_unref (gdk_pixbuf_new_subpixbuf (moved, 40, 0, w - 40, h),
                          gdk_pixbuf_new_subpixbuf (zoomed, 40, 0, w - 40, h)));
  }
  g_clear_object (&moved);
  g_clear_object (&zoomed);
  g_clear_object (&painted);

  /* Ctrl and the wheel; then all the way in. */
  send_ctrl_scroll (area, GDK_SCROLL_DOWN);
  report ("zoom-wheel-out label=%s out=%d hscroll=%d", label_text (label),
          gtk_widget_is_sensitive (zoom_out), gtk_widget_get_visible (hscroll));
  send_ctrl_scroll (area, GDK_SCROLL_UP);
  while (gtk_widget_is_sensitive (zoom_in))
    gtk_button_clicked (GTK_BUTTON (zoom_in));
  pump (300);
  report ("zoom-max label=%s", label_text (label));

  /* At 100 %, the preview paints the layer's own pixels there. */
  started = g_atomic_int_get (&preview_threads_started);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), TRUE);
  done = wait_run (started);
  screenshot (window, "-zoom-100");
  report ("zoom-max-painted done=%d text=%s", done, label_text (status));
  while (gtk_widget_is_sensitive (zoom_out))
    gtk_button_clicked (GTK_BUTTON (zoom_out));
}

/* ------------------------------------------------------ style chooser */

static gint
active_kind (GtkWidget *combo)
{
  GtkTreeIter iter;
  gint kind = -1;

  if (gtk_combo_box_get_active_iter (GTK_COMBO_BOX (combo), &iter))
    gtk_tree_model_get (gtk_combo_box_get_model (GTK_COMBO_BOX (combo)), &iter,
                        ST_CHOOSER_COL_KIND, &kind, -1);
  return kind;
}

/* The active row's text on one line, markup removed. */
static const gchar *
active_text (GtkWidget *combo)
{
  static gchar *text = NULL;
  GtkTreeIter iter;
  gchar *markup = NULL;

  g_free (text);
  text = g_strdup ("");
  if (gtk_combo_box_get_active_iter (GTK_COMBO_BOX (combo), &iter))
    gtk_tree_model_get (gtk_combo_box_get_model (GTK_COMBO_BOX (combo)), &iter,
                        ST_CHOOSER_COL_MARKUP, &markup, -1);
  if (markup)
    {
      g_free (text);
      pango_parse_markup (markup, -1, 0, NULL, &text, NULL, NULL);
      g_strdelimit (text, "\n", '|');
      g_free (markup);
    }
  return text ? text : "";
}

static gint
count_kind (GtkWidget *combo, gint kind)
{
  GtkTreeModel *model = gtk_combo_box_get_model (GTK_COMBO_BOX (combo));
  GtkTreeIter iter;
  gboolean valid;
  gint n = 0;

  for (valid = gtk_tree_model_get_iter_first (model, &iter); valid;
       valid = gtk_tree_model_iter_next (model, &iter))
    {
      gint k;

      gtk_tree_model_get (model, &iter, ST_CHOOSER_COL_KIND, &k, -1);
      n += k == kind;
    }
  return n;
}

static gint
row_of_kind (GtkWidget *combo, gint kind)
{
  GtkTreeModel *model = gtk_combo_box_get_model (GTK_COMBO_BOX (combo));
  GtkTreeIter iter;
  gboolean valid;
  gint row = 0;

  for (valid = gtk_tree_model_get_iter_first (model, &iter); valid;
       valid = gtk_tree_model_iter_next (model, &iter), row++)
    {
      gint k;

      gtk_tree_model_get (model, &iter, ST_CHOOSER_COL_KIND, &k, -1);
      if (k == kind)
        return row;
    }
  return -1;
}

/* Every row of the chooser: its kind, its text on one line, and whether
 * the text renderer, as the chooser sets it up, cuts it: laid out with
 * the renderer's wrap width, wrap mode and ellipsis (a renderer that
 * ellipsizes without a wrap width gets the width of its width-chars). */
static void
report_rows (GtkWidget *combo)
{
  GtkTreeModel *model = gtk_combo_box_get_model (GTK_COMBO_BOX (combo));
  GList *cells = gtk_cell_layout_get_cells (GTK_CELL_LAYOUT (combo));
  GtkCellRenderer *text_cell = NULL;
  GList *l;
  GtkTreeIter iter;
  gboolean valid;
  gint wrap_width = -1, width_chars = -1;
  PangoWrapMode wrap_mode = PANGO_WRAP_WORD;
  PangoEllipsizeMode ellipsize = PANGO_ELLIPSIZE_NONE;

  for (l = cells; l; l = l->next)
    if (GTK_IS_CELL_RENDERER_TEXT (l->data))
      text_cell = l->data;
  g_list_free (cells);
  if (text_cell)
    g_object_get (text_cell, "wrap-width", &wrap_width, "wrap-mode", &wrap_mode,
                  "ellipsize", &ellipsize, "width-chars", &width_chars, NULL);

  for (valid = gtk_tree_model_get_iter_first (model, &iter); valid;
       valid = gtk_tree_model_iter_next (model, &iter))
    {
      gint kind;
      gchar *markup = NULL, *text = NULL;
      PangoLayout *layout;
      gint width = wrap_width, cut = 0, w, h;

      gtk_tree_model_get (model, &iter, ST_CHOOSER_COL_KIND, &kind,
                          ST_CHOOSER_COL_MARKUP, &markup, -1);
      if (kind == ST_CHOICE_SEPARATOR || !markup)
        {
          g_free (markup);
          continue;
        }
      layout = gtk_widget_create_pango_layout (combo, NULL);
      pango_layout_set_markup (layout, markup, -1);
      if (width <= 0 && ellipsize != PANGO_ELLIPSIZE_NONE && width_chars > 0)
        {
          PangoFontMetrics *metrics = pango_context_get_metrics (
              pango_layout_get_context (layout),
              gtk_widget_get_style (combo)->font_desc, NULL);

          width = width_chars
                  * pango_font_metrics_get_approximate_char_width (metrics)
                  / PANGO_SCALE;
          pango_font_metrics_unref (metrics);
        }
      if (width > 0)
        {
          pango_layout_set_width (layout, width * PANGO_SCALE);
          pango_layout_set_wrap (layout, wrap_mode);
          pango_layout_set_ellipsize (layout, ellipsize);
          pango_layout_get_pixel_size (layout, &w, &h);
          cut = pango_layout_is_ellipsized (layout) || w > width;
        }
      pango_parse_markup (markup, -1, 0, NULL, &text, NULL, NULL);
      if (text)
        g_strdelimit (text, "\n", '|');
      report ("row kind=%d cut=%d text=%s", kind, cut, text ? text : "");
      g_object_unref (layout);
      g_free (text);
      g_free (markup);
    }
}

static void
report_ok_button (GtkWidget *window)
{
  GtkWidget *ok = gtk_dialog_get_widget_for_response (GTK_DIALOG (window),
                                                      GTK_RESPONSE_OK);

  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (window));

  report ("ok-button sensitive=%d default=%d window-default=%d focus=%s",
          ok ? gtk_widget_is_sensitive (ok) : -1,
          ok ? gtk_widget_has_default (ok) : -1,
          ok ? gtk_window_get_default_widget (GTK_WINDOW (window)) == ok : -1,
          focus ? G_OBJECT_TYPE_NAME (focus) : "none");
}

/* The whole screen, for what lies outside the dialog (a combo's popup). */
static void
screenshot_screen (const gchar *suffix)
{
  const char *out = getenv ("ST_UI_OUT");
  const char *tag = getenv ("ST_UI_TAG");
  GdkWindow *root = gdk_get_default_root_window ();
  gint w, h;
  GdkPixbuf *shot;
  gchar *path;

  gdk_drawable_get_size (root, &w, &h);
  shot = gdk_pixbuf_get_from_drawable (NULL, root, NULL, 0, 0, 0, 0, w, h);
  path = g_strdup_printf ("%s/dialog-%s%s.png", out ? out : ".",
                          tag ? tag : "en", suffix);
  if (shot && gdk_pixbuf_save (shot, path, "png", NULL, NULL))
    report ("screenshot %s %dx%d", path, w, h);
  if (shot)
    g_object_unref (shot);
  g_free (path);
}

/* The file chooser of "From file...": answered with $ST_UI_CHOOSE_FILE. */
gint
gtk_dialog_run (GtkDialog *dialog)
{
  const char *file = getenv ("ST_UI_CHOOSE_FILE");
  gint64 start;
  gchar *chosen = NULL;

  REAL (gtk_dialog_run);
  if (!GTK_IS_FILE_CHOOSER (dialog) || !file)
    return real_gtk_dialog_run (dialog);

  gtk_widget_show (GTK_WIDGET (dialog));
  gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (dialog), file);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC)
    {
      pump (200);
      chosen = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (dialog));
      if (chosen && strcmp (chosen, file) == 0)
        break;
      g_free (chosen);
      chosen = NULL;
    }
  report ("file-chooser title=%s chosen=%s",
          gtk_window_get_title (GTK_WINDOW (dialog)), chosen ? chosen : "");
  screenshot_screen ("-file-chooser");
  g_free (chosen);
  return GTK_RESPONSE_ACCEPT;
}

/* The Preview check box, in a dialog whose preview has painted once:
 * a new setting keeps the last painting on screen while the preview
 * restarts; off stops the worker at once and shows the photo; a setting
 * changed while off starts nothing.  The box is left off, for the next
 * run to find it remembered. */
static void
preview_toggle_checks (GtkWidget *window, GtkWidget *preview,
                       GtkWidget *strength)
{
  GtkWidget *toggle = find_widget (window, "st-preview-toggle");
  GtkWidget *status = find_widget (window, "st-preview-status");
  GtkWidget *split = find_widget (window, "st-split-view");
  GtkAdjustment *adjustment;
  GdkPixbuf *last, *photo;
  gint started;
  gboolean restarted;

  if (!toggle || !preview || !strength)
    return;
  adjustment = gtk_range_get_adjustment (GTK_RANGE (strength));
  report ("preview-toggle active=%d",
          gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (toggle)));

  last = area_pixels (preview);
  started = g_atomic_int_get (&preview_threads_started);
  restart_watch = preview;
  gtk_adjustment_set_value (adjustment,
                            gtk_adjustment_get_value (adjustment) + 10.0);
  restarted = wait_thread_started (started, 120);
  restart_watch = NULL;

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), FALSE);
  photo = area_pixels (preview);
  report ("preview-off alive=%d split-sensitive=%d text=%s",
          g_atomic_int_get (&preview_threads_alive),
          split ? gtk_widget_get_sensitive (split) : -1, label_text (status));
  report ("restart-shows restarted=%d vs-last=%.2f vs-photo=%.2f "
          "last-vs-photo=%.2f",
          restarted,
          restart_shown && last ? difference (restart_shown, last) : -1.0,
          restart_shown && photo ? difference (restart_shown, photo) : -1.0,
          last && photo ? difference (last, photo) : -1.0);
  while (gtk_events_pending ())
    gtk_main_iteration ();
  gdk_window_process_all_updates ();
  screenshot (window, "-preview-off");

  started = g_atomic_int_get (&preview_threads_started);
  gtk_adjustment_set_value (adjustment,
                            gtk_adjustment_get_value (adjustment) - 20.0);
  run_timeouts_due_within (ST_DIALOG_PREVIEW_DEBOUNCE_MS * 2);
  report ("preview-off-change started=%d alive=%d",
          g_atomic_int_get (&preview_threads_started) - started,
          g_atomic_int_get (&preview_threads_alive));

  g_clear_object (&last);
  g_clear_object (&photo);
  g_clear_object (&restart_shown);
}

/* A later run that finds Preview off, as the run before left it: nothing
 * runs until the box is ticked again. */
static gint
preview_remembered_off (GtkWidget *window, GtkWidget *toggle)
{
  GtkWidget *status = find_widget (window, "st-preview-status");
  gint started = g_atomic_int_get (&preview_threads_started);

  run_timeouts_due_within (ST_DIALOG_PREVIEW_DEBOUNCE_MS * 2);
  report ("remembered-off started=%d text=%s",
          g_atomic_int_get (&preview_threads_started) - started,
          label_text (status));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), TRUE);
  report ("remembered-on started=%d", wait_thread_started (started, 120));
  cancel_time = g_get_monotonic_time ();
  return GTK_RESPONSE_CANCEL;
}

gint
gimp_dialog_run (GimpDialog *gimp_dialog)
{
  static gint calls = 0;
  GtkWidget *window = GTK_WIDGET (gimp_dialog);
  GtkWidget *style, *strength, *quality, *preview, *estimate, *status;
  GtkWidget *advanced;
  GdkPixbuf *content = NULL;
  GtkTreeModel *model;
  gint64 start;
  gdouble diff = 0.0;
  gint active = -1;

  probed_dialog = window;
  gtk_widget_show (window);
  pump (800);

  if (++calls == 2)
    return after_reset (window);

  report ("title %s", gtk_window_get_title (GTK_WINDOW (window)));

  style = find_widget (window, "st-style");
  strength = find_widget (window, "st-strength");
  quality = find_widget (window, "st-quality");
  preview = find_widget (window, "st-preview");
  estimate = find_widget (window, "st-estimate");
  status = find_widget (window, "st-preview-status");
  advanced = find_widget (window, "st-advanced");
  find_widget (window, "st-network-status");
  {
    GtkWidget *toggle = find_widget (window, "st-preview-toggle");

    if (toggle && !gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (toggle)))
      return preview_remembered_off (window, toggle);
  }

  if (style)
    {
      model = gtk_combo_box_get_model (GTK_COMBO_BOX (style));
      active = gtk_combo_box_get_active (GTK_COMBO_BOX (style));
      report ("style items=%d active=%d kind=%d paintings=%d layers=%d "
              "text=%s",
              gtk_tree_model_iter_n_children (model, NULL), active,
              active_kind (style), count_kind (style, ST_CHOICE_PAINTING),
              count_kind (style, ST_CHOICE_LAYER), active_text (style));
      report_rows (style);
    }
  report_ok_button (window);
  if (quality)
    {
      gint q = -1;

      gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (quality), &q);
      report ("quality %d", q);
    }
  report ("estimate %s", label_text (estimate));
  {
    GtkWidget *missing = find_widget (window, "st-style-missing");

    report ("style-missing visible=%d text=%s",
            missing ? gtk_widget_get_visible (missing) : -1,
            label_text (missing));
    if (active == -1)
      {
        /* Nothing to paint with: the dialog explains, nothing runs. */
        pump (1000);
        report ("no-style alive=%d", g_atomic_int_get (&preview_threads_alive));
        screenshot (window, "");
        cancel_time = g_get_monotonic_time ();
        return GTK_RESPONSE_CANCEL;
      }
  }

  if (!preview)
    return GTK_RESPONSE_CANCEL;

  /* The dialog draws the content first; the preview must move away. */
  content = grab (preview);
  report ("preview size %dx%d", gdk_pixbuf_get_width (content),
          gdk_pixbuf_get_height (content));

  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < WAIT_CHANGE_S * G_USEC_PER_SEC)
    {
      GdkPixbuf *now;

      pump (250);
      now = grab (preview);
      diff = difference (content, now);
      g_object_unref (now);
      if (diff > 4.0)
        break;
    }
  report ("preview-changed diff=%.2f after_s=%.1f status=%s", diff,
          (g_get_monotonic_time () - start) / 1e6, label_text (status));

  /* Let it finish, so that the screenshot shows the painting. */
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < WAIT_DONE_S * G_USEC_PER_SEC
         && g_atomic_int_get (&preview_threads_alive) > 0)
    pump (250);
  pump (300);
  {
    GdkPixbuf *now = grab (preview);

    report ("preview-final diff=%.2f status=%s", difference (content, now),
            label_text (status));
    g_object_unref (now);
  }
  split_view (window, preview, content);
  if (getenv ("ST_UI_ZOOM"))
    {
      GdkPixbuf *painting = area_pixels (preview);

      zoom_checks (window, preview, content, painting);
      g_object_unref (painting);
      cancel_time = g_get_monotonic_time ();
      g_object_unref (content);
      return GTK_RESPONSE_CANCEL;
    }
  g_object_unref (content);

  screenshot (window, "");
  if (advanced)
    {
      GtkWidget *iterations = find_widget (window, "st-iterations-entry");

      gtk_expander_set_expanded (GTK_EXPANDER (advanced), TRUE);
      pump (500);
      report ("iterations-entry text=%s",
              iterations ? gtk_entry_get_text (GTK_ENTRY (iterations)) : "");
      report ("size-note text=%s",
              label_text (find_widget (window, "st-size-note")));
      screenshot (window, "-advanced");
      gtk_expander_set_expanded (GTK_EXPANDER (advanced), FALSE);
    }

  /* The chooser's list, open, on the screen. */
  if (style)
    {
      gtk_combo_box_popup (GTK_COMBO_BOX (style));
      pump (800);
      screenshot_screen ("-styles");
      gtk_combo_box_popdown (GTK_COMBO_BOX (style));
      pump (300);
    }

  /* "From file...": the file chooser answers; the new row is chosen. */
  if (style && getenv ("ST_UI_CHOOSE_FILE"))
    {
      gtk_combo_box_set_active (GTK_COMBO_BOX (style),
                                row_of_kind (style, ST_CHOICE_FROM_FILE));
      pump (500);
      report ("from-file kind=%d text=%s", active_kind (style),
              active_text (style));
      report_ok_button (window);
    }

  if (getenv ("ST_UI_PREVIEW_TOGGLE"))
    preview_toggle_checks (window, preview, strength);

  if (getenv ("ST_UI_QUICK"))
    {
      cancel_time = g_get_monotonic_time ();
      return GTK_RESPONSE_CANCEL;
    }

  /* Change settings and press Reset: the dialog runs again. */
  if (strength && quality)
    {
      GtkAdjustment *adjustment
          = gtk_range_get_adjustment (GTK_RANGE (strength));

      gtk_adjustment_set_value (adjustment, 80.0);
      gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (quality), 2);
      pump (300);
      report ("before-reset strength=%.0f estimate=%s",
              gtk_adjustment_get_value (adjustment), label_text (estimate));
    }
  return 1; /* RESPONSE_RESET */
}

static gint
after_reset (GtkWidget *window)
{
  GtkWidget *strength = find_widget (window, "st-strength");
  GtkWidget *quality = find_widget (window, "st-quality");
  gint q = -1;
  gint64 start;

  if (quality)
    gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (quality), &q);
  {
    GtkWidget *style = find_widget (window, "st-style");

    report ("after-reset strength=%.0f quality=%d text=%s",
            strength ? gtk_adjustment_get_value (
                gtk_range_get_adjustment (GTK_RANGE (strength)))
                     : -1.0,
            q, style ? active_text (style) : "");
  }

  /* A new setting restarts the preview; Cancel while it runs. */
  if (strength)
    {
      GtkAdjustment *adjustment
          = gtk_range_get_adjustment (GTK_RANGE (strength));

      gtk_adjustment_set_value (adjustment,
                                gtk_adjustment_get_value (adjustment) + 20.0);
      start = g_get_monotonic_time ();
      while (g_atomic_int_get (&preview_threads_alive) == 0
             && g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC)
        pump (50);
      pump (700);
      report ("cancel-while-running alive=%d",
              g_atomic_int_get (&preview_threads_alive));
    }

  cancel_time = g_get_monotonic_time ();
  return GTK_RESPONSE_CANCEL;
}
