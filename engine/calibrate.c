/* calibrate.c - how long one optimiser evaluation of a network takes on
 * this machine, per pixel, measured rather than guessed.
 *
 * A pass (forward, losses, backward) of the network costs about the same
 * per pixel at every size: the embedded network runs in fixed tiles, and
 * VGG19's layers scale with the pixel count.  So a timed pass at a small
 * size (25 000 pixels, a few tens of milliseconds; the best of three, as
 * anything else the machine does only slows a pass down) tells the time
 * of a whole run, scale by scale, on this processor with these kernels
 * and threads.  (A line through two sizes, for a fixed part, was tried:
 * the small size's noise made the slope, and so large runs, swing by
 * 30 %.)  The answer is kept in the front end's context: the dialog asks
 * for an estimate at every change of a setting. */
#include "driver.h"

#include <math.h>
#include <string.h>

/* Without a calibration (ST_NO_CALIBRATION set: under valgrind, where a
 * pass takes a thousand times longer and says nothing about the machine):
 * a 2-core machine's cost per pixel of the embedded network. */
#define GUESS_SECONDS_PER_PIXEL 2.5e-6
/* Seconds of one pass at w x h on `threads` threads, measured now; 0 when
 * it could not run.  The targets are the image's own (any will do), built
 * as the driver builds them. */
static double
measure (const StNetwork *net, StPooling pooling, int threads, int w, int h)
{
  static const double one = 1.0;
  StGraph g;
  StTargets t;
  StParams p;
  size_t n = (size_t)3 * w * h;
  float *image = st_floats_new (n), *grad = st_floats_new (n);
  StPool *pool = st_pool_new ();
  double best = 0.0;
  StRng rng;

  memset (&t, 0, sizeof t);
  st_params_init (&p);
  p.pooling = pooling;
  if (image && grad && pool
      && st_graph_build (net, w, h, pooling, 0, threads, &g, NULL) == ST_OK)
    {
      st_rng_init (&rng, 1);
      for (size_t i = 0; i < n; i++)
        image[i] = (float)st_rng_uniform (&rng);
      t.style_weight = t.content_weight = 1.0;
      if (st_content_targets (&g, image, &t, NULL) == ST_OK
          && st_style_targets (net, &p, w, h, 1, &image, &w, &h, &one, &g, &t,
                               NULL)
                 == ST_OK)
        /* the first pass fills the pool; the best of three after it
         * (anything else the machine does only slows a pass down) */
        for (int pass = 0; pass < 4; pass++)
          {
            gint64 t0 = g_get_monotonic_time ();
            double loss;
            StStatus status
                = st_graph_loss (&g, image, &t, grad, NULL, pool, &loss);
            double dt = (g_get_monotonic_time () - t0) / 1e6;
            if (status != ST_OK || isnan (loss))
              break;
            if (pass > 0)
              best = best > 0 ? MIN (best, dt) : dt;
          }
      st_targets_clear (&t, g.n_style, g.n_content);
      st_graph_clear (&g);
    }
  st_pool_free (pool);
  g_free (image);
  g_free (grad);
  return best;
}

/* The kept calibration for (net, pooling, threads), NULL when none;
 * under the context's lock. */
static const StCalibration *
kept (const StContext *ctx, const StNetwork *net, StPooling pooling,
      int threads)
{
  for (int i = 0; i < ctx->n_calibrations; i++)
    {
      const StCalibration *c = &ctx->calibrations[i];
      if (c->net == net && c->kind == net->kind && c->pooling == pooling
          && c->threads == threads)
        return c;
    }
  return NULL;
}

double
st_pass_seconds_per_pixel (StContext *ctx, const StNetwork *net,
                           StPooling pooling, int threads)
{
  double spp = GUESS_SECONDS_PER_PIXEL;
  const StCalibration *known;
  if (g_getenv ("ST_NO_CALIBRATION"))
    return spp;
  /* held while measuring: two estimates at once time one pass, not two
   * passes that slow each other down */
  pthread_mutex_lock (&ctx->lock);
  if ((known = kept (ctx, net, pooling, threads)))
    spp = known->seconds_per_pixel;
  else
    {
      double t
          = measure (net, pooling, threads, ST_CALIBRATION_W, ST_CALIBRATION_H);
      if (t > 0)
        {
          StCalibration *c
              = &ctx->calibrations[ctx->n_calibrations < ST_CALIBRATIONS_KEPT
                                       ? ctx->n_calibrations++
                                       : 0];
          spp = t / ((double)ST_CALIBRATION_W * ST_CALIBRATION_H);
          c->net = net;
          c->kind = net->kind;
          c->pooling = pooling;
          c->threads = threads;
          c->seconds_per_pixel = spp;
        }
    }
  pthread_mutex_unlock (&ctx->lock);
  return spp;
}
