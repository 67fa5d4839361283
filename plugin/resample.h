/* resample.h - scaling between the layer's size and the run's, one row at
 * a time, so that neither direction needs a full-size float copy of the
 * layer: an area-averaging reducer for reading the layer, and a bicubic
 * enlarger for the result. */
#ifndef ST_PLUGIN_RESAMPLE_H
#define ST_PLUGIN_RESAMPLE_H

#include "style-transfer.h"

G_BEGIN_DECLS

typedef struct StRowResampler StRowResampler;

/* Resamples source (kept by the caller, not copied) to width x height;
 * NULL when memory runs out. */
StRowResampler *st_row_resampler_new (const StImage *source, gint width,
                                      gint height);
/* Writes output row y, (width, 3) floats clamped to [0, 1].  Rows are
 * cheapest when asked for in increasing order. */
void st_row_resampler_row (StRowResampler *resampler, gint y, gfloat *row);
void st_row_resampler_free (StRowResampler *resampler);

/* Shrinks (width, 4) RGBA rows, pushed top to bottom, to an RGB image
 * of width x height by area averaging.  Colours are averaged weighted by
 * alpha, so that the colour hidden under transparent pixels does not
 * bleed into visible ones; where everything is transparent the plain
 * average is kept. */
typedef struct StRowReducer StRowReducer;

/* NULL when memory runs out. */
StRowReducer *st_row_reducer_new (gint source_width, gint source_height,
                                  gint width, gint height);
void st_row_reducer_push (StRowReducer *reducer, const gfloat *rgba_row);
/* After source_height pushes: the image (NULL when memory runs out), and
 * the largest alpha of the source in *max_alpha when not NULL.  Frees the
 * reducer. */
StImage *st_row_reducer_finish (StRowReducer *reducer, gfloat *max_alpha);

G_END_DECLS

#endif
