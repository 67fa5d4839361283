/* quality.h - the dialog's Quality presets: a run's size and iterations
 * under one name (Draft, Balanced, Best), the iterations as multiples of
 * the network's own default.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_QUALITY_H
#define ST_UI_QUALITY_H

#include "plugin/values.h"

G_BEGIN_DECLS

/* A preset sets the run's size and iterations; the engine derives the
 * number of coarse-to-fine scales from the size.  CUSTOM is any other
 * combination, set in the Advanced part of the dialog. */
typedef enum
{
  ST_QUALITY_DRAFT,
  ST_QUALITY_BALANCED,
  ST_QUALITY_BEST,
  ST_QUALITY_CUSTOM
} StQuality;

/* Writes the preset's size and iterations into vals (not for CUSTOM),
 * the iterations as the preset's multiple of the default of a network of
 * this kind. */
void st_quality_apply (StQuality quality, StNetworkKind kind,
                       StPluginValues *vals);
/* The preset that vals match with a network of this kind, or
 * ST_QUALITY_CUSTOM. */
StQuality st_quality_from_values (const StPluginValues *vals,
                                  StNetworkKind kind);
/* What the presets do with a network of this kind, in words and numbers
 * (g_free). */
gchar *st_quality_tooltip (StNetworkKind kind);

G_END_DECLS

#endif
