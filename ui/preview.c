/* preview.c - the live preview's worker thread.
 *
 * One job per run.  The job is shared by the runner (main thread), the
 * worker thread and each queued idle callback, each holding a reference;
 * the worker writes only the job's mailbox (under its lock), and the idle
 * callback reads the mailbox in the main thread and drops it when the job
 * was cancelled in the meantime.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib/gi18n.h>

#include "preview.h"

/* Intermediate images reach the main loop at most this often (µs):
 * enough to watch the painting form, not so often that copying and
 * drawing slow the optimizer down. */
#define FRAME_INTERVAL 150000

typedef struct
{
  gint ref_count; /* atomic                                */
  gint cancelled; /* atomic; set once by the main thread   */

  /* Read-only while the worker runs. */
  StPreviewFunc func;
  gpointer user_data;
  StContext *engine; /* the runner's                          */
  const StNetwork *network;
  StImage *content;
  StImage *style;
  StParams params;
  GThread *thread; /* main thread only                      */

  /* The mailbox: written by the worker, emptied by the idle callback. */
  GMutex lock;
  StImage *frame;      /* the newest image not yet drawn        */
  StProgress progress; /* of frame; .image is NULL              */
  gint64 last_frame;   /* monotonic time of the last frame      */
  gboolean finished;   /* the worker's run has returned         */
  StStatus status;     /* of the run, once finished             */
  gchar *message;      /* why it failed, once finished          */
  gboolean idle_queued;
} Job;

struct StPreviewRunner
{
  StContext *engine; /* the dialog's, shared with its estimates */
  StPreviewFunc func;
  gpointer user_data;
  Job *job; /* the current run, or NULL */
};

static Job *
job_ref (Job *job)
{
  g_atomic_int_inc (&job->ref_count);
  return job;
}

static void
job_unref (Job *job)
{
  if (!g_atomic_int_dec_and_test (&job->ref_count))
    return;

  st_image_free (job->content);
  st_image_free (job->style);
  st_image_free (job->frame);
  g_free (job->message);
  g_mutex_clear (&job->lock);
  g_free (job);
}

/* ------------------------------------------------------- main thread */

/* Hands the mailbox to the frame function, unless the run was cancelled
 * since: then the dialog has moved on and may even be gone. */
static gboolean
deliver (gpointer data)
{
  Job *job = data;
  StImage *frame;
  StProgress progress;
  gboolean finished;
  StStatus status;
  gchar *message;

  g_mutex_lock (&job->lock);
  frame = job->frame;
  progress = job->progress;
  finished = job->finished;
  status = job->status;
  message = job->message;
  job->frame = NULL;
  job->message = NULL;
  job->idle_queued = FALSE;
  g_mutex_unlock (&job->lock);

  if (!g_atomic_int_get (&job->cancelled))
    {
      if (finished)
        {
          /* The worker has nothing left to do but return. */
          g_thread_join (job->thread);
          job->thread = NULL;
        }

      if (finished && status == ST_OK)
        job->func (ST_PREVIEW_DONE, frame, &progress, NULL, job->user_data);
      else if (finished)
        job->func (ST_PREVIEW_FAILED, NULL, NULL, message, job->user_data);
      else if (frame)
        job->func (ST_PREVIEW_FRAME, frame, &progress, NULL, job->user_data);
    }

  st_image_free (frame);
  g_free (message);
  job_unref (job);

  return G_SOURCE_REMOVE;
}

/* ----------------------------------------------------- worker thread */

/* With the lock held. */
static void
queue_delivery (Job *job)
{
  if (!job->idle_queued)
    {
      job->idle_queued = TRUE;
      g_idle_add (deliver, job_ref (job));
    }
}

/* The engine may call this from its own threads as well: everything it
 * touches is the job's, under the lock. */
static gboolean
on_progress (const StProgress *progress, gpointer user_data)
{
  Job *job = user_data;
  gint64 now;

  if (g_atomic_int_get (&job->cancelled))
    return FALSE;

  if (!progress->image)
    return TRUE;

  now = g_get_monotonic_time ();
  g_mutex_lock (&job->lock);
  if (now - job->last_frame >= FRAME_INTERVAL
      || progress->iteration >= progress->n_iterations)
    {
      StImage *copy = st_image_copy (progress->image);

      if (copy)
        {
          st_image_free (job->frame);
          job->frame = copy;
          job->progress = *progress;
          job->progress.image = NULL;
          job->last_frame = now;
          queue_delivery (job);
        }
    }
  g_mutex_unlock (&job->lock);

  return !g_atomic_int_get (&job->cancelled);
}

static gpointer
worker (gpointer data)
{
  Job *job = data;
  const StImage *styles[1] = { job->style };
  StImage *result = NULL;
  GError *error = NULL;
  StStatus status;

  status = st_transfer (job->engine, job->network, job->content, styles, 1,
                        &job->params, NULL, on_progress, job, &result, &error);

  g_mutex_lock (&job->lock);
  job->finished = TRUE;
  job->status = status;
  if (result)
    {
      st_image_free (job->frame);
      job->frame = result;
      memset (&job->progress, 0, sizeof job->progress);
      job->progress.fraction = 1.0;
    }
  else
    {
      job->message
          = g_strdup (error ? error->message : _ ("The preview failed."));
    }
  queue_delivery (job);
  g_mutex_unlock (&job->lock);

  g_clear_error (&error);
  job_unref (job);

  return NULL;
}

/* ------------------------------------------------------------ runner */

StPreviewRunner *
st_preview_runner_new (StContext *engine, StPreviewFunc func,
                       gpointer user_data)
{
  StPreviewRunner *runner = g_new0 (StPreviewRunner, 1);

  runner->engine = engine;
  runner->func = func;
  runner->user_data = user_data;

  return runner;
}

void
st_preview_runner_stop (StPreviewRunner *runner)
{
  Job *job = runner->job;

  if (!job)
    return;

  runner->job = NULL;
  g_atomic_int_set (&job->cancelled, 1);
  if (job->thread)
    g_thread_join (job->thread);
  job->thread = NULL;
  job_unref (job);
}

void
st_preview_runner_start (StPreviewRunner *runner, const StNetwork *network,
                         const StImage *content, const StImage *style,
                         const StParams *params)
{
  Job *job;
  GError *error = NULL;

  st_preview_runner_stop (runner);

  job = g_new0 (Job, 1);
  job->ref_count = 1;
  job->func = runner->func;
  job->user_data = runner->user_data;
  job->engine = runner->engine;
  job->network = network;
  job->content = st_image_copy (content);
  job->style = st_image_copy (style);
  job->params = *params;
  job->params.want_preview = TRUE;
  job->params.style_blend = NULL;
  /* Stop, Cancel and every change of a setting end the run inside its
   * current pass, so the join in st_preview_runner_stop is short. */
  job->params.cancel = &job->cancelled;
  g_mutex_init (&job->lock);

  if (!job->content || !job->style)
    {
      runner->func (ST_PREVIEW_FAILED, NULL, NULL,
                    _ ("Not enough memory for the preview."),
                    runner->user_data);
      job_unref (job);
      return;
    }

  job->thread = g_thread_try_new ("st-preview", worker, job_ref (job), &error);
  if (!job->thread)
    {
      runner->func (ST_PREVIEW_FAILED, NULL, NULL, error->message,
                    runner->user_data);
      g_clear_error (&error);
      job_unref (job); /* the worker's reference */
      job_unref (job);
      return;
    }

  runner->job = job;
}

gboolean
st_preview_runner_is_running (StPreviewRunner *runner)
{
  return runner->job != NULL && runner->job->thread != NULL;
}

void
st_preview_runner_free (StPreviewRunner *runner)
{
  if (!runner)
    return;

  st_preview_runner_stop (runner);
  g_free (runner);
}
