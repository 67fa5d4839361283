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
 * time: the drawable is never held whole in floats.  *max_alpha, when not
 * NULL, receives the largest alpha seen.  NULL with error set
 * (ST_PLUGIN_ERROR, GIMP_PDB_EXECUTION_ERROR) when memory runs out.  Call
 * it from the thread that talks to GIMP. */
StImage *st_drawable_read (gint32 drawable_id, gint width, gint height,
                           gfloat *max_alpha, GError **error);

G_END_DECLS

#endif
