/* preview-view.h - which part of the layer the dialog's preview shows, and
 * at what zoom: the arithmetic of zooming and panning, without GTK.
 *
 * Zoom 0 shows the whole layer fitted to the preview area (the area's
 * size); each next zoom doubles it, and the last shows the layer's own
 * pixels (100 %).  Panning moves the area over the zoomed layer.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_PREVIEW_VIEW_H
#define ST_UI_PREVIEW_VIEW_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint layer_width, layer_height; /* the layer, in its own pixels      */
  gint area_width, area_height;   /* the preview area: zoom 0's size   */
  gint n_zooms;                   /* 1 when the layer fits the area    */
  gint zoom;                      /* 0 .. n_zooms - 1                  */
  gint width, height;             /* the layer at this zoom            */
  gint x, y;                      /* the area's top left, in the above */
} StPreviewView;

/* A rectangle of the layer, in its own pixels. */
typedef struct
{
  gint x, y, width, height;
} StLayerRect;

/* The view of a layer_width x layer_height layer in an area of long side
 * area_long_side (never larger than the layer), at zoom 0. */
void st_preview_view_init (StPreviewView *view, gint layer_width,
                           gint layer_height, gint area_long_side);
/* Zooms to zoom (clamped), keeping the point of the layer under the
 * area's point (fx * area_width, fy * area_height) where it is. */
void st_preview_view_set_zoom (StPreviewView *view, gint zoom, gdouble fx,
                               gdouble fy);
/* Moves the area's top left to (x, y) of the zoomed layer, clamped so
 * that the area stays on the layer. */
void st_preview_view_move_to (StPreviewView *view, gint x, gint y);
/* The zoom in percent of the layer's own size (100 at the last zoom). */
gint st_preview_view_percent (const StPreviewView *view);
/* The rectangle of the layer that the area shows (whole pixels: it may
 * reach a fraction of a pixel further than the area). */
void st_preview_view_rect (const StPreviewView *view, StLayerRect *rect);

G_END_DECLS

#endif
