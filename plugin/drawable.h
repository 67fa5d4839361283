/* drawable.h - a GIMP drawable read into an engine image: the one reader
 * of the run and of the dialog's preview.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_PLUGIN_DRAWABLE_H
#define ST_PLUGIN_DRAWABLE_H

#include <libgimp/gimp.h>

#include "style-transfer.h"

G_BEGIN_DECLS

/* The size of drawable_id reduced to fit long_side, never enlarged; the
 * rounding is the engine's (st_fit_long_side). */
void st_drawable_size_within (gint32 drawable_id, gint long_side, gint *width,
                              gint *height);

/* Reads drawable_id scaled to width x height (area-averaged when smaller,
 * never larger than the drawable) as an engine image, a strip of rows at a
 * time: the drawable is never held whole in floats.  What is read is what
 * is seen: the alpha times the layer's mask when it applies, composited
 * over white (the command line's rule for transparent images: the colour
 * under transparent pixels is never used).  *max_alpha, when not NULL,
 * receives the largest of that alpha.  NULL with error set
 * (ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR) when memory runs out.  Call
 * it from the thread that talks to GIMP. */
StImage *st_drawable_read (gint32 drawable_id, gint width, gint height,
                           gfloat *max_alpha, GError **error);

/* The same for the area of drawable_id (in its pixels, inside it) scaled
 * to width x height: the dialog's preview when zoomed in. */
StImage *st_drawable_read_area (gint32 drawable_id, const GeglRectangle *area,
                                gint width, gint height, gfloat *max_alpha,
                                GError **error);

/* The layer mask of drawable_id when it has one and it applies (not
 * disabled), else -1. */
gint32 st_drawable_applied_mask (gint32 drawable_id);

/* Multiplies the alpha of rows y0 .. y0 + rows - 1 of (width, 4) RGBA
 * floats by the mask's values; scratch holds width * rows floats. */
void st_drawable_mask_rows (GeglBuffer *mask, gint y0, gint width, gint rows,
                            gfloat *rgba, gfloat *scratch);

G_END_DECLS

#endif
