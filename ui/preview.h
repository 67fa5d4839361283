/* preview.h - runs the live preview's transfer in a thread of its own.
 *
 * The dialog hands over small copies of the content and the style; a
 * worker thread runs st_transfer () on them and passes each improved image
 * back to the main loop through g_idle_add (), where the frame function
 * draws it.  Nothing here calls GTK or libgimp, and the worker touches only
 * its own job.  Stopping (or starting a new run) cancels the running one
 * through the engine's progress callback and joins its thread before
 * returning, so no preview thread outlives the dialog.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_PREVIEW_H
#define ST_UI_PREVIEW_H

#include "style-transfer.h"

G_BEGIN_DECLS

/* What the main loop receives, in order, for the current run only. */
typedef enum
{
  ST_PREVIEW_FRAME, /* an intermediate image                  */
  ST_PREVIEW_DONE,  /* the final image                        */
  ST_PREVIEW_FAILED /* no image; message says why             */
} StPreviewEvent;

typedef void (*StPreviewFunc) (StPreviewEvent event,
                               const StImage *image,       /* or NULL     */
                               const StProgress *progress, /* or NULL     */
                               const gchar *message,       /* or NULL     */
                               gpointer user_data);

typedef struct StPreviewRunner StPreviewRunner;

/* engine: the context the runs use (the dialog's, which its estimates use
 * at the same time); it must outlive the runner. */
StPreviewRunner *st_preview_runner_new (StContext *engine, StPreviewFunc func,
                                        gpointer user_data);
/* Cancels and joins a running preview, then starts a new one.  The runner
 * copies content, style and params; network must outlive the run (stop the
 * runner before freeing it). */
void st_preview_runner_start (StPreviewRunner *runner, const StNetwork *network,
                              const StImage *content, const StImage *style,
                              const StParams *params);
/* Cancels and joins the running preview, if any; no event of it arrives
 * afterwards. */
void st_preview_runner_stop (StPreviewRunner *runner);
gboolean st_preview_runner_is_running (StPreviewRunner *runner);
/* Stops, then frees. */
void st_preview_runner_free (StPreviewRunner *runner);

G_END_DECLS

#endif
