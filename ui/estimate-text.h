/* estimate-text.h - what the dialog says of a run before it starts: its
 * size, time and memory beside Quality, and under Size the size the run
 * really uses and why.  The figures are the engine's (st_estimate ()).
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_ESTIMATE_TEXT_H
#define ST_UI_ESTIMATE_TEXT_H

#include <gtk/gtk.h>

#include "plugin/values.h"
#include "style-transfer.h"

G_BEGIN_DECLS

/* Sets the labels estimate (with the details as its tooltip) and
 * size_note (or NULL) for a run of vals with network on a layer of
 * width x height, as engine (the dialog's context) plans it. */
void st_estimate_text_update (GtkWidget *estimate, GtkWidget *size_note,
                              StContext *engine, const StNetwork *network,
                              const StPluginValues *vals, gint width,
                              gint height);

G_END_DECLS

#endif
