/* preview-view.c - zoom and pan of the dialog's preview (preview-view.h).
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "preview-view.h"
#include "style-transfer.h"

/* The layer's size at zoom: the area's long side doubled zoom times, the
 * layer's own at the last; rounded as the engine rounds a run's size. */
static void
zoomed_size (const StPreviewView *view, gint zoom, gint *width, gint *height)
{
  gint layer_long = MAX (view->layer_width, view->layer_height);
  gint area_long = MAX (view->area_width, view->area_height);
  gint64 side = (gint64)area_long << MIN (zoom, 30);

  if (zoom >= view->n_zooms - 1 || side >= layer_long)
    {
      *width = view->layer_width;
      *height = view->layer_height;
      return;
    }
  st_fit_long_side (view->layer_width, view->layer_height, (gint)side, width,
                    height);
}

void
st_preview_view_init (StPreviewView *view, gint layer_width, gint layer_height,
                      gint area_long_side)
{
  gint layer_long = MAX (layer_width, layer_height);
  gint64 side;

  view->layer_width = layer_width;
  view->layer_height = layer_height;
  if (layer_long > area_long_side)
    st_fit_long_side (layer_width, layer_height, area_long_side,
                      &view->area_width, &view->area_height);
  else
    {
      view->area_width = layer_width;
      view->area_height = layer_height;
    }
  /* 192, 384, 768, ... while smaller than the layer, then the layer. */
  view->n_zooms = 1;
  for (side = MAX (view->area_width, view->area_height); side < layer_long;
       side *= 2)
    view->n_zooms++;

  view->zoom = 0;
  view->width = view->area_width;
  view->height = view->area_height;
  view->x = view->y = 0;
}

void
st_preview_view_move_to (StPreviewView *view, gint x, gint y)
{
  view->x = CLAMP (x, 0, view->width - view->area_width);
  view->y = CLAMP (y, 0, view->height - view->area_height);
}

void
st_preview_view_set_zoom (StPreviewView *view, gint zoom, gdouble fx,
                          gdouble fy)
{
  gdouble px = view->x + fx * view->area_width;
  gdouble py = view->y + fy * view->area_height;
  gdouble u = px / view->width; /* that point, as a part of the layer */
  gdouble v = py / view->height;

  view->zoom = CLAMP (zoom, 0, view->n_zooms - 1);
  zoomed_size (view, view->zoom, &view->width, &view->height);
  st_preview_view_move_to (
      view, (gint)lround (u * view->width - fx * view->area_width),
      (gint)lround (v * view->height - fy * view->area_height));
}

gint
st_preview_view_percent (const StPreviewView *view)
{
  return (gint)lround (100.0 * MAX (view->width, view->height)
                       / MAX (view->layer_width, view->layer_height));
}

void
st_preview_view_rect (const StPreviewView *view, StLayerRect *rect)
{
  gdouble sx = (gdouble)view->layer_width / view->width;
  gdouble sy = (gdouble)view->layer_height / view->height;
  gint x1 = (gint)ceil ((view->x + view->area_width) * sx - 1e-9);
  gint y1 = (gint)ceil ((view->y + view->area_height) * sy - 1e-9);

  rect->x = (gint)floor (view->x * sx + 1e-9);
  rect->y = (gint)floor (view->y * sy + 1e-9);
  rect->width = MIN (x1, view->layer_width) - rect->x;
  rect->height = MIN (y1, view->layer_height) - rect->y;
}
