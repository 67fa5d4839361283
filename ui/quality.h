/* quality.h - the dialog's Quality presets: a run's size and iterations
 * under one name (Draft, Balanced, Best).
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

/* Writes the preset's size and iterations into vals (not for CUSTOM). */
void st_quality_apply (StQuality quality, StPluginValues *vals);
/* The preset that vals match, or ST_QUALITY_CUSTOM. */
StQuality st_quality_from_values (const StPluginValues *vals);

G_END_DECLS

#endif
