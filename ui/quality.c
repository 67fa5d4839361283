/* quality.c - the dialog's Quality presets.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include <glib/gi18n.h>

#include "quality.h"

typedef struct
{
  gint size;        /* long side of the run in pixels                 */
  gdouble multiple; /* of the network's own iterations; 1 = automatic */
} Preset;

/* Every preset paints at the layer's own size (size 0; the engine lowers
 * it only when the memory budget says so): none hands back a small
 * painting enlarged.  They differ in iterations, as multiples of the
 * network's own default (st_network_kind_iterations): Draft a quarter
 * (a camera photo in about a minute), Balanced the default itself
 * (iterations 0, automatic: full resolution in minutes), Best twice. */
static const Preset presets[] = {
  [ST_QUALITY_DRAFT] = { 0, 0.25 },
  [ST_QUALITY_BALANCED] = { 0, 1.0 },
  [ST_QUALITY_BEST] = { 0, 2.0 },
};

/* The preset's iterations with a network of this kind: 0 (automatic) for
 * the network's own. */
static gint
preset_iterations (StQuality quality, StNetworkKind kind)
{
  if (presets[quality].multiple == 1.0)
    return 0;
  return (gint)lround (presets[quality].multiple
                       * st_network_kind_iterations (kind));
}

void
st_quality_apply (StQuality quality, StNetworkKind kind, StPluginValues *vals)
{
  if (quality < 0 || quality >= (StQuality)G_N_ELEMENTS (presets))
    return;

  vals->size = presets[quality].size;
  vals->iterations = preset_iterations (quality, kind);
}

StQuality
st_quality_from_values (const StPluginValues *vals, StNetworkKind kind)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (presets); i++)
    if (vals->size == presets[i].size
        && vals->iterations == preset_iterations ((StQuality)i, kind))
      return (StQuality)i;

  return ST_QUALITY_CUSTOM;
}

gchar *
st_quality_tooltip (StNetworkKind kind)
{
  return g_strdup_printf (
      _ ("Every preset paints at the layer's full size; they differ in the "
         "iterations at the first scale.  Draft is quick, with %d (%d %% of "
         "this network's default of %d); Balanced takes the default; Best "
         "takes %d (%d %%).  Custom is whatever the Advanced settings say."),
      preset_iterations (ST_QUALITY_DRAFT, kind),
      (gint)lround (100.0 * presets[ST_QUALITY_DRAFT].multiple),
      st_network_kind_iterations (kind),
      preset_iterations (ST_QUALITY_BEST, kind),
      (gint)lround (100.0 * presets[ST_QUALITY_BEST].multiple));
}
