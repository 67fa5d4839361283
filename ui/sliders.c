/* sliders.c - the sliders of the dialog's settings (sliders.h).
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libgimp/gimp.h>

#include <glib/gi18n.h>

#include "sliders.h"

/* clang-format off */
const StSlider st_strength_slider = {
  "st-strength", N_ ("_Strength:"),
  N_ ("How much style against content, in percent: 50 is the usual "
      "balance, higher paints over more of the photo."),
  0.0, ST_PLUGIN_STRENGTH_MAX, ST_PLUGIN_STRENGTH_MAX, 1.0, 0,
  G_STRUCT_OFFSET (StPluginValues, strength), FALSE
};
const StSlider st_size_slider = {
  "st-size", N_ ("Si_ze:"),
  N_ ("Long side in pixels at which the painting is made; the result is "
      "scaled to the layer.  0 uses the layer's own size as far as memory "
      "allows.  Larger is slower."),
  0, 2048, GIMP_MAX_IMAGE_SIZE, 16, 0,
  G_STRUCT_OFFSET (StPluginValues, size), TRUE
};
const StSlider st_iterations_slider = {
  "st-iterations", N_ ("_Iterations:"),
  N_ ("Optimizer steps at the first scale (later scales take fewer); 0 "
      "chooses automatically."),
  0, 1000, ST_PLUGIN_ITERATIONS_MAX, 10, 0,
  G_STRUCT_OFFSET (StPluginValues, iterations), TRUE
};
const StSlider st_style_scale_slider = {
  "st-style-scale", N_ ("Style s_cale:"),
  N_ ("Size of the brush strokes: 1 keeps them as large as in the style "
      "picture, 2 doubles them."),
  ST_PLUGIN_STYLE_SCALE_MIN, 4.0, ST_PLUGIN_STYLE_SCALE_MAX, 0.05, 2,
  G_STRUCT_OFFSET (StPluginValues, style_scale), FALSE
};
const StSlider st_smoothness_slider = {
  "st-smoothness", N_ ("S_moothness:"),
  N_ ("Smooths out noise: 1 is the network's default, 0 turns it off, 2 "
      "doubles it."),
  0.0, 10.0, ST_PLUGIN_SMOOTHNESS_MAX, 0.1, 2,
  G_STRUCT_OFFSET (StPluginValues, smoothness), FALSE
};
/* clang-format on */
