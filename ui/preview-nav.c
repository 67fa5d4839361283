/* preview-nav.c - zoom and pan of the dialog's preview (preview-nav.h).
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include <glib/gi18n.h>

#include "preview-nav.h"

struct StPreviewNav
{
  StPreviewView view;
  StPreviewNavFunc changed;
  gpointer data;

  GtkWidget *area;
  GtkWidget *hscroll, *vscroll;
  GtkAdjustment *hadjustment, *vadjustment;
  GtkWidget *zoom_row, *zoom_in, *zoom_out, *zoom_label;
  gboolean syncing;              /* adjustments set from the view   */
  gboolean dragging;             /* a pan with the mouse            */
  gdouble drag_x, drag_y;        /* where it started, on the screen */
  gint drag_view_x, drag_view_y; /* and the view's corner then      */
};

/* Sets an adjustment to one axis of the view: the zoomed layer's extent,
 * the area as the page. */
static void
sync_adjustment (GtkAdjustment *adjustment, gint value, gint extent, gint page)
{
  gtk_adjustment_configure (adjustment, value, 0.0, extent, page / 8.0,
                            page / 2.0, page);
}

/* The controls follow the view. */
static void
sync_controls (StPreviewNav *nav)
{
  const StPreviewView *view = &nav->view;
  gchar *text;

  nav->syncing = TRUE;
  sync_adjustment (nav->hadjustment, view->x, view->width, view->area_width);
  sync_adjustment (nav->vadjustment, view->y, view->height, view->area_height);
  nav->syncing = FALSE;
  gtk_widget_set_visible (nav->hscroll, view->width > view->area_width);
  gtk_widget_set_visible (nav->vscroll, view->height > view->area_height);

  gtk_widget_set_sensitive (nav->zoom_out, view->zoom > 0);
  gtk_widget_set_sensitive (nav->zoom_in, view->zoom < view->n_zooms - 1);
  text = g_strdup_printf ("%d %%", st_preview_view_percent (view));
  gtk_label_set_text (GTK_LABEL (nav->zoom_label), text);
  g_free (text);
}

static void
view_changed (StPreviewNav *nav)
{
  sync_controls (nav);
  nav->changed (nav->data);
}

static void
zoom_by (StPreviewNav *nav, gint steps, gdouble fx, gdouble fy)
{
  gint zoom = CLAMP (nav->view.zoom + steps, 0, nav->view.n_zooms - 1);

  if (zoom == nav->view.zoom)
    return;
  st_preview_view_set_zoom (&nav->view, zoom, fx, fy);
  view_changed (nav);
}

static void
move_by (StPreviewNav *nav, gint dx, gint dy)
{
  gint x = nav->view.x, y = nav->view.y;

  st_preview_view_move_to (&nav->view, x + dx, y + dy);
  if (nav->view.x != x || nav->view.y != y)
    view_changed (nav);
}

static void
zoom_in_clicked (GtkButton *button, StPreviewNav *nav)
{
  (void)button;
  zoom_by (nav, 1, 0.5, 0.5);
}

static void
zoom_out_clicked (GtkButton *button, StPreviewNav *nav)
{
  (void)button;
  zoom_by (nav, -1, 0.5, 0.5);
}

static void
scrolled (GtkAdjustment *adjustment, StPreviewNav *nav)
{
  (void)adjustment;
  if (nav->syncing)
    return;
  move_by (nav, (gint)gtk_adjustment_get_value (nav->hadjustment) - nav->view.x,
           (gint)gtk_adjustment_get_value (nav->vadjustment) - nav->view.y);
}

/* Dragging with the first or middle button pans, as in GIMP's previews. */
static gboolean
area_button (GtkWidget *area, GdkEventButton *event, StPreviewNav *nav)
{
  GdkWindow *window = gtk_widget_get_window (area);
  GdkCursor *cursor;

  if (event->button != 1 && event->button != 2)
    return FALSE;
  if (event->type == GDK_BUTTON_RELEASE)
    {
      nav->dragging = FALSE;
      if (window)
        gdk_window_set_cursor (window, NULL);
      return TRUE;
    }
  if (event->type != GDK_BUTTON_PRESS || nav->view.zoom == 0)
    return FALSE;

  nav->dragging = TRUE;
  nav->drag_x = event->x_root;
  nav->drag_y = event->y_root;
  nav->drag_view_x = nav->view.x;
  nav->drag_view_y = nav->view.y;
  if (window)
    {
      cursor = gdk_cursor_new_for_display (gtk_widget_get_display (area),
                                           GDK_FLEUR);
      gdk_window_set_cursor (window, cursor);
      gdk_cursor_unref (cursor);
    }
  return TRUE;
}

static gboolean
area_motion (GtkWidget *area, GdkEventMotion *event, StPreviewNav *nav)
{
  (void)area;
  if (!nav->dragging)
    return FALSE;
  move_by (
      nav, nav->drag_view_x - (gint)(event->x_root - nav->drag_x) - nav->view.x,
      nav->drag_view_y - (gint)(event->y_root - nav->drag_y) - nav->view.y);
  return TRUE;
}

/* The wheel scrolls (with Shift sideways); with Ctrl it zooms about the
 * pointer. */
static gboolean
area_scroll (GtkWidget *area, GdkEventScroll *event, StPreviewNav *nav)
{
  gint step = MAX (1, nav->view.area_height / 8);
  GdkScrollDirection direction = event->direction;

  (void)area;
  if (event->state & GDK_CONTROL_MASK)
    {
      if (direction == GDK_SCROLL_UP || direction == GDK_SCROLL_DOWN)
        zoom_by (nav, direction == GDK_SCROLL_UP ? 1 : -1,
                 event->x / nav->view.area_width,
                 event->y / nav->view.area_height);
      return TRUE;
    }
  if (event->state & GDK_SHIFT_MASK && direction == GDK_SCROLL_UP)
    direction = GDK_SCROLL_LEFT;
  else if (event->state & GDK_SHIFT_MASK && direction == GDK_SCROLL_DOWN)
    direction = GDK_SCROLL_RIGHT;
  switch (direction)
    {
    case GDK_SCROLL_UP:
      move_by (nav, 0, -step);
      break;
    case GDK_SCROLL_DOWN:
      move_by (nav, 0, step);
      break;
    case GDK_SCROLL_LEFT:
      move_by (nav, -step, 0);
      break;
    case GDK_SCROLL_RIGHT:
      move_by (nav, step, 0);
      break;
    default:
      break;
    }
  return TRUE;
}

static GtkWidget *
zoom_button (const gchar *icon, const gchar *name, const gchar *tooltip,
             GCallback clicked, StPreviewNav *nav)
{
  GtkWidget *button = gtk_button_new ();

  gtk_button_set_relief (GTK_BUTTON (button), GTK_RELIEF_NONE);
  gtk_container_add (GTK_CONTAINER (button),
                     gtk_image_new_from_icon_name (icon, GTK_ICON_SIZE_MENU));
  gtk_widget_set_name (button, name);
  gimp_help_set_help_data (button, tooltip, NULL);
  g_signal_connect (button, "clicked", clicked, nav);
  return button;
}

/* As in GIMP's zoom previews: zoom out, the zoom, zoom in. */
static GtkWidget *
new_zoom_row (StPreviewNav *nav)
{
  GtkWidget *hbox = gtk_hbox_new (FALSE, 0);

  nav->zoom_out
      = zoom_button (GIMP_ICON_ZOOM_OUT, "st-preview-zoom-out", _ ("Zoom out"),
                     G_CALLBACK (zoom_out_clicked), nav);
  nav->zoom_in = zoom_button (GIMP_ICON_ZOOM_IN, "st-preview-zoom-in",
                              _ ("Zoom in"), G_CALLBACK (zoom_in_clicked), nav);
  nav->zoom_label = gtk_label_new (NULL);
  gtk_widget_set_name (nav->zoom_label, "st-preview-zoom");
  gtk_box_pack_start (GTK_BOX (hbox), nav->zoom_out, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), nav->zoom_label, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), nav->zoom_in, FALSE, FALSE, 0);
  return hbox;
}

static GtkWidget *
new_scrollbar (StPreviewNav *nav, GtkAdjustment **adjustment, gboolean vertical,
               const gchar *name)
{
  GtkWidget *scrollbar;

  *adjustment = GTK_ADJUSTMENT (gtk_adjustment_new (0, 0, 1, 1, 1, 1));
  scrollbar = vertical ? gtk_vscrollbar_new (*adjustment)
                       : gtk_hscrollbar_new (*adjustment);
  gtk_widget_set_name (scrollbar, name);
  /* Shown when zoomed in only: not by the dialog's show_all. */
  gtk_widget_set_no_show_all (scrollbar, TRUE);
  g_signal_connect (*adjustment, "value-changed", G_CALLBACK (scrolled), nav);
  return scrollbar;
}

StPreviewNav *
st_preview_nav_new (GtkWidget *area, const StPreviewView *view,
                    StPreviewNavFunc changed, gpointer data)
{
  StPreviewNav *nav = g_new0 (StPreviewNav, 1);

  nav->view = *view;
  nav->changed = changed;
  nav->data = data;
  nav->area = area;
  nav->hscroll
      = new_scrollbar (nav, &nav->hadjustment, FALSE, "st-preview-hscroll");
  nav->vscroll
      = new_scrollbar (nav, &nav->vadjustment, TRUE, "st-preview-vscroll");
  nav->zoom_row = new_zoom_row (nav);

  gtk_widget_add_events (area, GDK_BUTTON_PRESS_MASK | GDK_BUTTON_RELEASE_MASK
                                   | GDK_BUTTON_MOTION_MASK | GDK_SCROLL_MASK);
  gimp_help_set_help_data (area,
                           _ ("Zoomed in, drag the preview to move it; Ctrl "
                              "and the mouse wheel zoom."),
                           NULL);
  g_signal_connect (area, "button-press-event", G_CALLBACK (area_button), nav);
  g_signal_connect (area, "button-release-event", G_CALLBACK (area_button),
                    nav);
  g_signal_connect (area, "motion-notify-event", G_CALLBACK (area_motion), nav);
  g_signal_connect (area, "scroll-event", G_CALLBACK (area_scroll), nav);

  sync_controls (nav);
  return nav;
}

GtkWidget *
st_preview_nav_hscrollbar (StPreviewNav *nav)
{
  return nav->hscroll;
}

GtkWidget *
st_preview_nav_vscrollbar (StPreviewNav *nav)
{
  return nav->vscroll;
}

GtkWidget *
st_preview_nav_zoom_row (StPreviewNav *nav)
{
  return nav->zoom_row;
}

const StPreviewView *
st_preview_nav_view (StPreviewNav *nav)
{
  return &nav->view;
}

void
st_preview_nav_free (StPreviewNav *nav)
{
  g_free (nav);
}
