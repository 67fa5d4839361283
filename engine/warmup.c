/* warmup.c - the warm-up of a later scale (issue 18).
 *
 * A later scale starts from the previous painting enlarged, with the
 * photo's detail at the new octave (st_enlarge_start), but none of the
 * painting's marks there: the finest pyramid level's loss starts at
 * 12-50 where the scale before ended near 1, and the scale's own 20-30
 * iterations spent most of their steps making those marks.  Each such
 * step also moved the coarse levels (traced on Tübingen at 1920 x 1080:
 * their loss rose from 0.03 to 3 at a step, and was paid back over the
 * next ones), so the scale ended above the one before it (1.614 after
 * 1.345).
 *
 * So L-BFGS first paints the new octave alone: x = start + P z, P the
 * top octave (st_top_octave, symmetric: the gradient in z is P times the
 * gradient in x), against the taps that read the image itself (the
 * embedded network's finest level and its colour tap, st_graph_fine_part)
 * with the smoothness and range terms.  An evaluation costs a third of a
 * pass, and no step moves the coarse levels.  On that trace the finest
 * level went from 12.1 to 0.17 in 8 iterations while the other levels
 * stayed under 0.3; the scale then ended at 1.14 after 1.26.  A network
 * with no such tap (VGG19, whose first tap reads a preprocessed image)
 * is left as it is. */
#include "driver.h"

#include <string.h>

typedef struct
{
  const StWarmUp *job;
  const float *start;
  StGraph fine;
  StTargets t;    /* the fine taps' targets, borrowed from the job's */
  float *x, *tmp; /* start + P z; the octave filter's two planes */
  StPool *pool;
} Warm;

static StStatus
warm_objective (const float *z, float *grad, double *loss, gpointer data)
{
  Warm *wm = data;
  const StWarmUp *job = wm->job;
  size_t n = (size_t)3 * job->w * job->h;
  StLossParts parts;
  StStatus status;
  memcpy (wm->x, z, n * sizeof (float));
  st_top_octave (wm->x, 3, job->w, job->h, wm->tmp);
  for (size_t i = 0; i < n; i++)
    wm->x[i] += wm->start[i];
  status
      = st_graph_loss (&wm->fine, wm->x, &wm->t, grad, &parts, wm->pool, loss);
  if (status != ST_OK)
    return status;
  *loss += job->tv_weight
               * st_tv_loss (wm->x, 3, job->h, job->w, job->tv_weight, grad)
           + job->range_weight
                 * st_range_loss (wm->x, n, job->range_weight, grad);
  st_top_octave (grad, 3, job->w, job->h, wm->tmp); /* into z */
  return ST_OK;
}

static gboolean
warm_iteration (int iteration, double loss, const float *z, gpointer data)
{
  Warm *wm = data;
  return !wm->job->iteration
         || wm->job->iteration (iteration, loss, z, wm->job->data);
}

StStatus
st_warm_up (const StWarmUp *job, float *x)
{
  size_t n = (size_t)3 * job->w * job->h;
  float *z;
  Warm wm;
  StStatus status = ST_ERROR_MEMORY;
  memset (&wm, 0, sizeof wm);
  wm.job = job;
  wm.start = x;
  switch (st_graph_fine_part (job->graph, job->targets, &wm.fine, &wm.t))
    {
    case -1:
      return ST_ERROR_MEMORY;
    case 0:
      st_graph_fine_clear (&wm.fine, &wm.t);
      return ST_OK;
    }
  z = st_floats_new (n);
  wm.x = st_floats_new (n);
  wm.tmp = st_floats_new ((size_t)2 * job->w * job->h);
  wm.pool = st_pool_new ();
  if (z && wm.x && wm.tmp && wm.pool)
    {
      status = st_lbfgs (z, n, &job->cfg, warm_objective, warm_iteration, &wm,
                         NULL);
      if (status == ST_OK)
        {
          st_top_octave (z, 3, job->w, job->h, wm.tmp);
          for (size_t i = 0; i < n; i++)
            x[i] += z[i];
        }
    }
  st_pool_free (wm.pool);
  g_free (wm.tmp);
  g_free (wm.x);
  g_free (z);
  st_graph_fine_clear (&wm.fine, &wm.t);
  return status;
}
