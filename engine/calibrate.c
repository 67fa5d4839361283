/* calibrate.c - how long one optimiser evaluation of a network takes on
 * this machine, per pixel, measured rather than guessed.
 *
 * A pass (forward, losses, backward) of the network costs about the same
 * per pixel at every size: the embedded network runs in fixed tiles, and
 * VGG19's layers scale with the pixel count.  So one timed pass at a small
 * size (about 25 000 pixels, a few tens of milliseconds) tells the time of
 * a whole run, scale by scale, on this processor with these kernels and
 * threads.  The answer is kept for the process: the dialog asks for an
 * estimate at every change of a setting. */
#include "driver.h"

#include <math.h>
#include <string.h>

/* The calibration image: small enough to be quick, large enough that every
 * level of the embedded network and VGG19 up to conv5_1 runs. */
#define CAL_W 192
#define CAL_H 128
/* Kept answers: (network, pooling, threads) -> seconds per pixel. */
#define CAL_SLOTS 8

typedef struct
{
  const StNetwork *net;
  char kind[16]; /* a network freed and another made at its address */
  StPooling pooling;
  int threads;
  double seconds_per_pixel;
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

/* Seconds of one pass per pixel, measured now; 0 when it could not run. */
static double
measure (const StNetwork *net, StPooling pooling, int threads)
{
  StGraph g;
  StTargets t;
  StFeature *style = NULL, *content = NULL;
  int n_style = 0, n_content = 0;
  memset (&t, 0, sizeof t);
  size_t n = (size_t)3 * CAL_W * CAL_H;
  float *image = st_floats_new (n), *grad = st_floats_new (n);
  StPool *pool = st_pool_new ();
  double best = 0.0;
  StRng rng;

  st_set_threads (threads);
  if (image && grad && pool
      && st_graph_build (net, CAL_W, CAL_H, pooling, 0, &g, NULL))
    {
      st_rng_init (&rng, 1);
      for (size_t i = 0; i < n; i++)
        image[i] = (float)st_rng_uniform (&rng);
      if (calibration_targets (&g, image, &t, &style, &n_style, &content,
                               &n_content)
          && t.gram && t.gram_norm && t.features && t.feature_norm)
        {
          /* the first pass fills the pool; the best of two after it */
          for (int pass = 0; pass < 3; pass++)
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
  return best / ((double)CAL_W * CAL_H);
}

double
st_pass_seconds_per_pixel (const StNetwork *net, StPooling pooling,
                           int threads)
{
  double spp = 0.0;
  int i;
  threads = st_get_threads (threads);
  g_mutex_lock (&lock);
  for (i = 0; i < n_slots; i++)
    if (slots[i].net == net && strcmp (slots[i].kind, net->kind) == 0
        && slots[i].pooling == pooling
        && slots[i].threads == threads)
      {
        spp = slots[i].seconds_per_pixel;
        break;
      }
  if (i == n_slots)
    {
      spp = measure (net, pooling, threads);
      if (spp > 0)
        {
          Calibration *c = &slots[n_slots < CAL_SLOTS ? n_slots++ : 0];
          c->net = net;
          g_strlcpy (c->kind, net->kind, sizeof c->kind);
          c->pooling = pooling;
          c->threads = threads;
          c->seconds_per_pixel = spp;
        }
    }
  g_mutex_unlock (&lock);
  return spp;
}
