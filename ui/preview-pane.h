/* preview-pane.h - the dialog's live preview: the preview area, its
 * Preview and Split view check boxes and status line, and the worker
 * (preview.h) that paints small copies of the layer.
 *
 * The pane reads the settings it paints with from the dialog's
 * StPluginValues, never writes them, and talks to GIMP (reading pixels)
 * from the main thread only.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_PREVIEW_PANE_H
#define ST_UI_PREVIEW_PANE_H

#include <gtk/gtk.h>

#include "plugin/values.h"
#include "style-transfer.h"

G_BEGIN_DECLS

typedef struct StPreviewPane StPreviewPane;

/* A pane for the content drawable_id of image_id that paints with vals
 * (read at each restart) through engine (the dialog's context, which must
 * outlive the pane); on: whether Preview starts ticked. */
StPreviewPane *st_preview_pane_new (StContext *engine,
                                    const StPluginValues *vals, gint32 image_id,
                                    gint32 drawable_id, gboolean on);
/* The pane's widgets, to pack into the dialog. */
GtkWidget *st_preview_pane_widget (StPreviewPane *pane);
/* The network to paint with (NULL: none).  Stops the running preview
 * first, so that the old network may be freed after this call; a new run
 * waits for st_preview_pane_schedule (). */
void st_preview_pane_set_network (StPreviewPane *pane,
                                  const StNetwork *network);
/* The settings changed: stops the running preview at once and, with
 * Preview on, starts a new one after ST_DIALOG_PREVIEW_DEBOUNCE_MS. */
void st_preview_pane_schedule (StPreviewPane *pane);
/* Whether Preview is ticked. */
gboolean st_preview_pane_is_on (StPreviewPane *pane);
/* Stops and joins the preview's worker; no event of it arrives later. */
void st_preview_pane_stop (StPreviewPane *pane);
/* Stops, then frees the pane, once the dialog has destroyed its widgets. */
void st_preview_pane_free (StPreviewPane *pane);

G_END_DECLS

#endif
