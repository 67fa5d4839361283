/* dialog.h - the Style Transfer dialog: the one entry into ui/, called by
 * the plug-in's run () (plugin/procedure.c).
 *
 * The dialog edits a StPluginValues (plugin/values.h) and reads pixels
 * with plugin/drawable.h; it calls nothing else of plugin/, and nothing
 * of plugin/ but procedure.c calls into ui/.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_DIALOG_H
#define ST_UI_DIALOG_H

#include "plugin/values.h"

G_BEGIN_DECLS

/* A change of setting restarts the preview after this pause (ms), so that
 * dragging a slider does not start a run per step.  (Public for the
 * dialog's tests, which wait for it to pass.) */
#define ST_DIALOG_PREVIEW_DEBOUNCE_MS 400

/* Shows the settings dialog for the content drawable_id of image_id and
 * edits vals; TRUE when the user chose to run.  engine: the plug-in's
 * context, which the dialog's estimates and its preview thread share.
 * plugin_dir is the folder of the plug-in's binary, where VGG19 weights may be
 * installed.  On TRUE *network is the network the dialog opened for
 * vals->network, for the run to use instead of reading it again (the caller's
 * to free), or NULL when it could not be opened. */
gboolean st_dialog_run (StContext *engine, StPluginValues *vals,
                        gint32 image_id, gint32 drawable_id,
                        const gchar *plugin_dir, StNetwork **network);

G_END_DECLS

#endif
