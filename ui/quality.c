/* quality.c - the dialog's Quality presets.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "quality.h"

typedef struct
{
  gint size;       /* long side of the run in pixels            */
  gint iterations; /* at the first scale; 0 = the network's own */
} Preset;

/* Every preset paints at the layer's own size (size 0; the engine lowers
 * it only when the memory budget says so): none hands back a small
 * painting enlarged.  They differ in iterations: Draft a quarter of the
 * default (a camera photo in about a minute), Balanced the default (full
 * resolution in minutes), Best twice the default. */
static const Preset presets[] = {
  [ST_QUALITY_DRAFT] = { 0, 50 },
  [ST_QUALITY_BALANCED] = { 0, 0 },
  [ST_QUALITY_BEST] = { 0, 400 },
};

void
st_quality_apply (StQuality quality, StPluginValues *vals)
{
  if (quality < 0 || quality >= (StQuality)G_N_ELEMENTS (presets))
    return;

  vals->size = presets[quality].size;
  vals->iterations = presets[quality].iterations;
}

StQuality
st_quality_from_values (const StPluginValues *vals)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (presets); i++)
    if (vals->size == presets[i].size
        && vals->iterations == presets[i].iterations)
      return (StQuality)i;

  return ST_QUALITY_CUSTOM;
}
