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
#include <string.h>

/* The calibration images: small enough to be quick, large enough that
 * every level of the embedded network and VGG19 up to conv5_1 runs. */
#define CAL_W 192
#define CAL_H 128
/* Without a calibration (ST_NO_CALIBRATION set: under valgrind, where a
 * pass takes a thousand times longer and says nothing about the machine):
 * a 2-core machine's cost per pixel of the embedded network. */
#define GUESS_SECONDS_PER_PIXEL 2.5e-6
/* Kept answers: (network, pooling, threads) -> cost. */
#define CAL_SLOTS 8

typedef struct
{
  const StNetwork *net;
  char kind[16]; /* a network freed and another made at its address */
  StPooling pooling;
  int threads;
  StPassCost cost;
} Calibration;

static Calibration slots[CAL_SLOTS];
static int n_slots;
static GMutex lock;

/* Targets for the calibration pass: the image's own, any will do. */
static gboolean
calibration_targets (const StGraph *g, const float *image, StTargets *t,
                     StFeature **style, int *n_style, StFeature **content,
                     int *n_content)
{
  memset (t, 0, sizeof *t);
  if (!st_graph_targets (g, image, TRUE, FALSE, style, n_style))
    return FALSE;
  if (!st_graph_targets (g, image, FALSE, TRUE, content, n_content))
    {
      st_features_free (*style, *n_style);
      *style = NULL;
      *n_style = 0;
      return FALSE;
    }
  t->gram = g_try_new0 (float *, MAX (*n_style, 1));
  t->gram_norm = g_try_new0 (double, MAX (*n_style, 1));
  t->features = g_try_new0 (float *, MAX (*n_content, 1));
  t->feature_norm = g_try_new0 (double, MAX (*n_content, 1));
  if (!t->gram || !t->gram_norm || !t->features || !t->feature_norm)
    return TRUE; /* the caller frees; measure () sees the NULLs */
  for (int i = 0; i < *n_style; i++)
    {
      t->gram[i] = (*style)[i].data;
      t->gram_norm[i] = 1.0;
    }
  for (int i = 0; i < *n_content; i++)
    {
      t->features[i] = (*content)[i].data;
      t->feature_norm[i] = MAX ((*content)[i].norm, 1.0);
    }
  t->style_weight = t->content_weight = 1.0;
  return TRUE;
}

/* Seconds of one pass at w x h, measured now; 0 when it could not run. */
static double
measure (const StNetwork *net, StPooling pooling, int w, int h)
{
  StGraph g;
  StTargets t;
  StFeature *style = NULL, *content = NULL;
  int n_style = 0, n_content = 0;
  memset (&t, 0, sizeof t);
  size_t n = (size_t)3 * w * h;
  float *image = st_floats_new (n), *grad = st_floats_new (n);
  StPool *pool = st_pool_new ();
  double best = 0.0;
  StRng rng;

  if (image && grad && pool && st_graph_build (net, w, h, pooling, 0, &g, NULL))
    {
      st_rng_init (&rng, 1);
      for (size_t i = 0; i < n; i++)
        image[i] = (float)st_rng_uniform (&rng);
      if (calibration_targets (&g, image, &t, &style, &n_style, &content,
                               &n_content)
          && t.gram && t.gram_norm && t.features && t.feature_norm)
        {
          /* the first pass fills the pool; the best of three after it
           * (anything else the machine does only slows a pass down) */
          for (int pass = 0; pass < 4; pass++)
            {
              gint64 t0 = g_get_monotonic_time ();
              double loss = st_graph_loss (&g, image, &t, grad, NULL, pool);
              double dt = (g_get_monotonic_time () - t0) / 1e6;
              if (isnan (loss))
                break;
              if (pass > 0)
                best = best > 0 ? MIN (best, dt) : dt;
            }
        }
      g_free (t.gram);
      g_free (t.gram_norm);
      g_free (t.features);
      g_free (t.feature_norm);
      st_features_free (style, n_style);
      st_features_free (content, n_content);
      st_graph_clear (&g);
    }
  st_pool_free (pool);
  g_free (image);
  g_free (grad);
  return best;
}

StPassCost
st_pass_cost (const StNetwork *net, StPooling pooling, int threads)
{
  StPassCost cost = { 0.0, GUESS_SECONDS_PER_PIXEL };
  int i;
  if (g_getenv ("ST_NO_CALIBRATION"))
    return cost;
  threads = st_get_threads (threads);
  g_mutex_lock (&lock);
  for (i = 0; i < n_slots; i++)
    if (slots[i].net == net && strcmp (slots[i].kind, net->kind) == 0
        && slots[i].pooling == pooling
        && slots[i].threads == threads)
      {
        cost = slots[i].cost;
        break;
      }
  if (i == n_slots)
    {
      double t;
      st_set_threads (threads);
      t = measure (net, pooling, CAL_W, CAL_H);
      if (t > 0)
        {
          Calibration *c = &slots[n_slots < CAL_SLOTS ? n_slots++ : 0];
          cost.fixed = 0.0;
          cost.per_pixel = t / ((double)CAL_W * CAL_H);
          c->net = net;
          g_strlcpy (c->kind, net->kind, sizeof c->kind);
          c->pooling = pooling;
          c->threads = threads;
          c->cost = cost;
        }
    }
  g_mutex_unlock (&lock);
  return cost;
}
