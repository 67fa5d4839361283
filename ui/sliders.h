/* sliders.h - the sliders of the dialog's settings: the words, range and
 * setting of each (sliders.c); the dialog (dialog.c) makes them.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_SLIDERS_H
#define ST_UI_SLIDERS_H

#include "plugin/values.h"

G_BEGIN_DECLS

/* A slider of the settings: its words, its range, and the value of
 * StPluginValues it edits.  A whole number (size, iterations) sets the
 * run's size and time: the quality and the estimate follow; the others
 * change the painting: the preview restarts. */
typedef struct
{
  const gchar *name;    /* the widget's, for the tests */
  const gchar *label;   /* N_ ()                       */
  const gchar *tooltip; /* N_ ()                       */
  gdouble lower, upper, hard_upper, step;
  guint digits;
  gsize offset;   /* of the value in StPluginValues */
  gboolean whole; /* a gint, else a gdouble         */
} StSlider;

extern const StSlider st_strength_slider;
extern const StSlider st_size_slider;
extern const StSlider st_iterations_slider;
extern const StSlider st_style_scale_slider;
extern const StSlider st_smoothness_slider;

G_END_DECLS

#endif
