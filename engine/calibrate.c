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
 * 30 %.)  The answer is kept for the process: the dialog asks for an
 * estimate at every change of a setting. */
#include "driver.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

/* Without a calibration (ST_NO_CALIBRATION set: under valgrind, where a
 * pass takes a thousand times longer and says nothing about the machine):
 * a 2-core machine's cost per pixel of the embedded network. */
#define GUESS_SECONDS_PER_PIXEL 2.5e-6
/* Kept answers: (network, pooling, threads) -> seconds per pixel. */
#define CAL_SLOTS 8

typedef struct
{
  const StNetwork *net;
  StNetworkKind kind; /* a network freed and another made at its address */
  StPooling pooling;
  int threads;
  double seconds_per_pixel;
} Calibration;

static Calibration slots[CAL_SLOTS];
static int n_slots;
/* a pthread mutex, which ThreadSanitizer sees (GMutex locks inside GLib) */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Seconds of one pass at w x h, measured now; 0 when it could not run.
 * The targets are the image's own (any will do), built as the driver
 * builds them. */
static double
measure (const StNetwork *net, StPooling pooling, int w, int h)
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
      && st_graph_build (net, w, h, pooling, 0, &g, NULL) == ST_OK)
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

double
st_pass_seconds_per_pixel (const StNetwork *net, StPooling pooling, int threads)
{
  double spp = GUESS_SECONDS_PER_PIXEL;
  int i;
  if (g_getenv ("ST_NO_CALIBRATION"))
    return spp;
  threads = st_get_threads (threads);
  pthread_mutex_lock (&lock);
  for (i = 0; i < n_slots; i++)
    if (slots[i].net == net && slots[i].kind == net->kind
        && slots[i].pooling == pooling && slots[i].threads == threads)
      {
        spp = slots[i].seconds_per_pixel;
        break;
      }
  if (i == n_slots)
    {
      double t;
      int before = st_use_threads (threads);
      t = measure (net, pooling, ST_CALIBRATION_W, ST_CALIBRATION_H);
      st_use_threads (before);
      if (t > 0)
        {
          Calibration *c = &slots[n_slots < CAL_SLOTS ? n_slots++ : 0];
          spp = t / ((double)ST_CALIBRATION_W * ST_CALIBRATION_H);
          c->net = net;
          c->kind = net->kind;
          c->pooling = pooling;
          c->threads = threads;
          c->seconds_per_pixel = spp;
        }
    }
  pthread_mutex_unlock (&lock);
  return spp;
}
