/* calibrate.c - how long one optimiser evaluation of a network takes on
 * this machine, per pixel, measured rather than guessed.
 *
 * A pass (forward, losses, backward) of the network costs about the same
 * per pixel at every size: the embedded network runs in fixed tiles, and
 * VGG19's layers scale with the pixel count.  So a timed pass at a small
 * size (25 000 pixels, a few tens of milliseconds) tells the time of a
 * whole run, scale by scale, on this processor with these kernels and
 * threads.  (A line through two sizes, for a fixed part, was tried: the
 * small size's noise made the slope, and so large runs, swing by 30 %.)
 * The answer is kept in the front end's context: the dialog asks for an
 * estimate at every change of a setting, and makes its plan once.
 *
 * What is timed is the work, not the moment's load (issue 19): by the
 * wall clock alone, a script that ran during the first second of a run
 * made its estimate 1.3 times too long, and a machine at load 3 made
 * them 3.6 times; the dialog kept such an estimate for its whole
 * session.  So each pass is timed by the wall clock and by the CPU time
 * of the calling thread, and the pass counts as the smaller of its best
 * wall time and its best CPU time times QUIET_WALL_PER_CPU.  The calling
 * thread's CPU time is the pass's critical path: it runs every serial
 * step and the first part of every parallel loop (threads.c), and it is
 * not charged while other processes hold its core, nor while it waits
 * for the engine's other parts (g_thread_join blocks).  Where OpenBLAS
 * splits a product over its own threads (VGG19's layers; the tiled passes
 * keep it to one), the calling thread does its share and then spins
 * until the others are done, which is charged as on a quiet machine.  The
 * whole process's CPU time would count every thread's work, and with it
 * whatever else the process runs (GIMP's own threads, a test's
 * competitors) and OpenBLAS's workers spinning after a product.
 *
 * The estimate is the quiet machine's time, not a forecast of the load:
 * the load average cannot tell other programs from this one (after a
 * run, or in a benchmark of runs one after another, its own threads make
 * the load that would double the next estimate), lags by a minute, and
 * cannot say whether the load will last the run.  When it does, the
 * progress's time left (transfer.c) follows the run's own pace. */
#include "driver.h"

#include <math.h>
#include <string.h>
#include <time.h>

/* Without a calibration (ST_NO_CALIBRATION set: under valgrind, where a
 * pass takes a thousand times longer and says nothing about the machine):
 * a 2-core machine's cost per pixel of the embedded network. */
#define GUESS_SECONDS_PER_PIXEL 2.5e-6
/* A quiet pass's wall time over the calling thread's CPU time, on a
 * 2-core Xeon (embedded network, 2 threads): the best wall time was
 * 0.043-0.050 s at load 1-2, the calling thread's best CPU time
 * 0.039-0.048 s at any load, so about 1.0-1.1 (it waits little for the
 * other part; with one thread the CPU time is the pass).  1.1 is at the
 * top of that, so that on a quiet machine the wall time stays the
 * answer, as the estimate's factors were fitted (estimate.c), and under
 * load the estimate is at most about a tenth above the quiet one: at
 * load 3.5-8 on that machine the CPU time was 0.040-0.059 s where the
 * wall time said 0.056-0.39 s. */
#define QUIET_WALL_PER_CPU 1.1
/* CPU seconds the calling thread has used; negative where the clock is
 * missing. */
static double
thread_cpu_seconds (void)
{
  struct timespec ts;
  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return -1.0;
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A quiet pass's seconds from timed passes of g: the first fills the
 * pool, the best of the three after it count (anything else the machine
 * does only slows a pass down); see the top of the file. */
static double
time_passes (const StGraph *g, const float *image, const StTargets *t,
             float *grad, StPool *pool)
{
  double best_wall = 0.0, best_cpu = 0.0;
  for (int pass = 0; pass < 4; pass++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double c0 = thread_cpu_seconds (), loss, wall, cpu;
      StStatus status = st_graph_loss (g, image, t, grad, NULL, pool, &loss);
      wall = (g_get_monotonic_time () - t0) / 1e6;
      cpu = c0 >= 0 ? thread_cpu_seconds () - c0 : 0.0;
      if (status != ST_OK || isnan (loss))
        break;
      if (pass == 0)
        continue;
      best_wall = best_wall > 0 ? MIN (best_wall, wall) : wall;
      if (cpu > 0)
        best_cpu = best_cpu > 0 ? MIN (best_cpu, cpu) : cpu;
    }
  if (best_cpu <= 0)
    return best_wall;
  return MIN (best_wall, best_cpu * QUIET_WALL_PER_CPU);
}

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
        best = time_passes (&g, image, &t, grad, pool);
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
