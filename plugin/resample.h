/* resample.h - bicubic enlargement of an engine image, one row at a time,
 * so that the result of a small run reaches the layer's size without a
 * second full-size copy in memory. */
#ifndef ST_PLUGIN_RESAMPLE_H
#define ST_PLUGIN_RESAMPLE_H

#include "style-transfer.h"

G_BEGIN_DECLS

typedef struct StRowResampler StRowResampler;

/* Resamples source (kept by the caller, not copied) to width x height. */
StRowResampler *st_row_resampler_new  (const StImage  *source,
                                       gint            width,
                                       gint            height);
/* Writes output row y, (width, 3) floats clamped to [0, 1].  Rows are
 * cheapest when asked for in increasing order. */
void            st_row_resampler_row  (StRowResampler *resampler,
                                       gint            y,
                                       gfloat         *row);
void            st_row_resampler_free (StRowResampler *resampler);

G_END_DECLS

#endif
