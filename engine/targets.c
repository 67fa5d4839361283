/* targets.c - what the losses compare with at one scale: the content's
 * features (or, for a tiled leaf, its input, from which tiled.c makes
 * them again) and the blend of the styles' Gram matrices, each style seen
 * at the style scale of the scale's size.  The driver (transfer.c) makes
 * them before each scale's optimisation; the benchmark makes them the
 * same way. */
#include "driver.h"

#include "blas.h"
#include <math.h>
#include <string.h>

StStatus
st_memory_error (GError **error)
{
  g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
               "out of memory: try a smaller size");
  return ST_ERROR_MEMORY;
}

StStatus
st_cancelled_error (GError **error)
{
  g_set_error_literal (error, ST_ERROR, ST_CANCELLED, "cancelled");
  return ST_CANCELLED;
}

/* The error of a failed pass (ST_CANCELLED or ST_ERROR_MEMORY), which
 * sets none; returns its status. */
static StStatus
pass_error (StStatus status, GError **error)
{
  return status == ST_ERROR_MEMORY ? st_memory_error (error)
                                   : st_cancelled_error (error);
}

/* st_graph_build, with the run's cancel flag. */
StStatus
st_scale_graph (const StNetwork *net, const StParams *p, int threads, int w,
                int h, int levels, StGraph *g, GError **error)
{
  StStatus status
      = st_graph_build (net, w, h, p->pooling, levels, threads, g, error);
  if (status == ST_OK)
    g->cancel = p->cancel;
  return status;
}

void
st_targets_clear (StTargets *t, int n_style, int n_content)
{
  for (int i = 0; i < n_style && t->gram; i++)
    g_free (t->gram[i]);
  for (int i = 0; i < n_content && t->features; i++)
    g_free (t->features[i]);
  g_free (t->gram);
  g_free (t->gram_norm);
  g_free (t->features);
  g_free (t->feature_norm);
  memset (t, 0, sizeof *t);
}

/* Content targets at one scale: the content's own features. */
StStatus
st_content_targets (const StGraph *g, const float *content, StTargets *t,
                    GError **error)
{
  StFeature *f;
  int n, k = 0;
  StStatus status;
  t->features = g_try_new0 (float *, g->n_content);
  t->feature_norm = g_try_new0 (double, g->n_content);
  if (!t->features || !t->feature_norm)
    return st_memory_error (error);
  if ((status = st_graph_targets (g, content, FALSE, TRUE, &f, &n)) != ST_OK)
    return pass_error (status, error);
  for (int i = 0; i < n; i++)
    if (f[i].content)
      {
        t->features[k] = f[i].data; /* features, or the tap's input */
        t->feature_norm[k] = f[i].norm;
        f[i].data = NULL; /* moved */
        k++;
      }
  st_features_free (f, n);
  return ST_OK;
}

/* gram[k] += weight * the Gram matrix of the style tap of f that is g's
 * k-th style tap (the same name): for level >= 0 only the taps of that
 * pyramid level, else those of the levels from `from` up and those of no
 * level (VGG19's, the colour tap). */
static gboolean
add_grams (const StGraph *g, const StFeature *f, int n, double weight,
           int level, int from, float **gram)
{
  for (int i = 0; i < n; i++)
    {
      const StNode *node = NULL;
      int k = 0, c = f[i].c; /* f[i].data is the Gram matrix */
      if (!f[i].style)
        continue;
      for (int j = 0; j < g->n && !node; j++)
        if (g->nodes[j].style && !strcmp (g->nodes[j].name, f[i].name))
          node = &g->nodes[j];
        else if (g->nodes[j].style)
          k++;
      if (!node || node->c != c
          || (level >= 0 ? node->level != level
                         : node->level >= 0 && node->level < from))
        continue;
      if (!gram[k] && !(gram[k] = st_floats_new ((size_t)c * c)))
        return FALSE;
      st_saxpy (c * c, (float)weight, f[i].data, gram[k]);
    }
  return TRUE;
}

/* The long side of the paintings at a w x h scale: the scale's long side
 * times the style scale, within ST_SIZE_MAX like every size a pass is
 * built at (a 30000 px result at style scale 10 would otherwise ask the
 * estimate to count a 300000 px painting, whose pixel count overflows an
 * int; no budget fits either). */
int
st_style_side (const StParams *p, int w, int h)
{
  return (int)MIN (lround (MAX (w, h) * p->style_scale), ST_SIZE_MAX);
}

/* Adds weight times one painting's Gram matrices, seen at long side
 * `side` through a graph of `levels` pyramid levels, to the targets of g's
 * style taps that add_grams takes for (level, from). */
static StStatus
painting_grams (const StNetwork *net, const StParams *p, const float *style,
                int sw, int sh, int side, int levels, double weight, int level,
                int from, const StGraph *g, float **gram, GError **error)
{
  StGraph sg;
  StFeature *f;
  int n, tw, th;
  float *resized;
  gboolean ok;
  StStatus status;
  st_fit_long_side (sw, sh, MAX (side, 1), &tw, &th);
  if ((status = st_scale_graph (net, p, g->threads, tw, th, levels, &sg, error))
      != ST_OK)
    return status;
  if (!(resized = st_floats_new ((size_t)3 * tw * th)))
    {
      st_graph_clear (&sg);
      return st_memory_error (error);
    }
  st_resample_planes (style, 3, sw, sh, resized, tw, th);
  status = st_graph_targets (&sg, resized, TRUE, FALSE, &f, &n);
  g_free (resized);
  if (status != ST_OK)
    {
      st_graph_clear (&sg);
      return pass_error (status, error);
    }
  st_graph_clear (&sg);
  ok = add_grams (g, f, n, weight, level, from, gram);
  st_features_free (f, n);
  return ok ? ST_OK : st_memory_error (error);
}

/* A painting smaller than the result is enlarged to the style side (the
 * result's long side times the style scale) so that its strokes keep
 * their size relative to the picture.  Enlarged k times, its finest
 * log2 k octaves hold only the resampler's blur: matched there, a large
 * result came out soft at 100 % (a 640 px painting behind a 1920 px
 * result), and each new scale of the run started far from those targets
 * (the photo's detail against a blur), spending its first iterations on
 * wiping the detail out.  So, for a painting smaller than the style side,
 * level l takes its Gram matrices from the painting at long side
 * base * 2^l, where level l has the painting's own detail: the finest
 * levels get the painting's real brush texture, the coarser ones, where
 * the enlargement loses nothing, its strokes at the size the style scale
 * asks for.  Not for a one-level pyramid (its only level has the full
 * filter bank) nor for VGG19 (no pyramid).
 *
 * The base is half the painting's own size: its own finest octave is
 * not to be trusted, as a JPEG's blocks, a scan's grain and a web
 * image's sharpening live there.  At its own pixels, the 1024 px Starry
 * Night of tests/images behind a 2000 px photo made the optimiser paint
 * chroma speckle (style loss 7.6 at the end, against 0.87 with the
 * enlargement and 2.3 from half its size; grid 15.5, 8.9, 8.0). */
#define ST_PAINTING_TRUSTED_FRACTION 0.5

/* The long side whose level 0 has a painting's trusted detail. */
static int
painting_base (int native)
{
  return MAX (1, (int)lround (native * ST_PAINTING_TRUSTED_FRACTION));
}

/* How many of the finest levels take their targets from the painting at
 * painting_base * 2^l rather than from its enlargement to `side`. */
static int
native_levels (int native, int side, int levels)
{
  int fine = 0, base = painting_base (native);
  if (levels < 2 || native >= side)
    return 0;
  while (fine < levels && ldexp ((double)base, fine) < side)
    fine++;
  return fine;
}

/* Style targets at one scale: the blend of every style's Gram matrices,
 * each style seen at the style scale of this scale's size. */
StStatus
st_style_targets (const StNetwork *net, const StParams *p, int w, int h,
                  int n_styles, float *const *styles, const int *sw,
                  const int *sh, const double *blend, const StGraph *g,
                  StTargets *t, GError **error)
{
  int levels = st_graph_style_levels (net, w, h);
  int side = st_style_side (p, w, h);
  t->gram = g_try_new0 (float *, g->n_style);
  t->gram_norm = g_try_new0 (double, g->n_style);
  if (!t->gram || !t->gram_norm)
    return st_memory_error (error);
  for (int j = 0; j < n_styles; j++)
    {
      int native = MAX (sw[j], sh[j]);
      int fine = native_levels (native, side, levels);
      StStatus status
          = painting_grams (net, p, styles[j], sw[j], sh[j], side, levels,
                            blend[j], -1, fine, g, t->gram, error);
      for (int l = 0; l < fine && status == ST_OK; l++)
        status = painting_grams (net, p, styles[j], sw[j], sh[j],
                                 painting_base (native) << l, MAX (l + 1, 2),
                                 blend[j], l, 0, g, t->gram, error);
      if (status == ST_ERROR_INVALID)
        g_prefix_error (error, "style image %d at style scale %g: ", j + 1,
                        p->style_scale);
      if (status != ST_OK)
        return status;
    }
  for (int i = 0, k = 0; i < g->n; i++)
    if (g->nodes[i].style)
      {
        int c = g->nodes[i].c;
        if (!t->gram[k])
          {
            g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                         "no style target for the network's tap %s",
                         g->nodes[i].name);
            return ST_ERROR_INVALID;
          }
        t->gram_norm[k] = st_sum_squares (t->gram[k], (size_t)c * c);
        k++;
      }
  return ST_OK;
}
