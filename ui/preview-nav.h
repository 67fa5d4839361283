/* preview-nav.h - zoom and pan of the dialog's preview, as in GIMP's own
 * zoom previews: zoom buttons and the zoom under the area, scroll bars
 * beside it (shown only when zoomed in), dragging the area with the first
 * or middle button, the wheel (Shift: sideways; Ctrl: zoom about the
 * pointer).  It decides which part of the layer the area shows
 * (preview-view.h) and says when that changed; it draws nothing.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_PREVIEW_NAV_H
#define ST_UI_PREVIEW_NAV_H

#include <gtk/gtk.h>

#include "preview-view.h"

G_BEGIN_DECLS

typedef struct StPreviewNav StPreviewNav;
typedef void (*StPreviewNavFunc) (gpointer data);

/* Navigation over area, a widget with a window of view's area size, for
 * the layer view was made for; changed (data) runs after each move or
 * zoom.  The widgets are the caller's to pack. */
StPreviewNav *st_preview_nav_new (GtkWidget *area, const StPreviewView *view,
                                  StPreviewNavFunc changed, gpointer data);
/* The horizontal and vertical scroll bars, and the row of zoom controls. */
GtkWidget *st_preview_nav_hscrollbar (StPreviewNav *nav);
GtkWidget *st_preview_nav_vscrollbar (StPreviewNav *nav);
GtkWidget *st_preview_nav_zoom_row (StPreviewNav *nav);
/* The part of the layer shown now. */
const StPreviewView *st_preview_nav_view (StPreviewNav *nav);
/* Frees nav, once its widgets and the area are destroyed. */
void st_preview_nav_free (StPreviewNav *nav);

G_END_DECLS

#endif
