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
 * k-th style tap (the same name). */
static gboolean
add_grams (const StGraph *g, const StFeature *f, int n, double weight,
           float **gram)
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
      if (!node || node->c != c)
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

/* A painting smaller than the style side (the result's long side times
 * the style scale) is enlarged to it, so that its strokes keep their size
 * relative to the picture.  Enlarged k times, its finest log2 k octaves
 * hold only the resampler's blur: matched there, a large result came out
 * soft at 100 % (a 640 px painting behind a 1920 px result).  So the
 * image the targets are taken from, the exemplar, is the painting
 * enlarged for its low band, plus its own brush marks for the high band
 * the enlargement lacks: the painting at `base` px (below), mirrored and
 * repeated at its own pixels over the style side, less what the enlarged
 * base painting already holds of it,
 *
 *   exemplar = up (P) + T - up (down (T)),  P the painting at base px,
 *              T = P repeated over the style side, up and down resampling
 *              between base and the style side.
 *
 * Every level's targets come from this one image, so that one picture can
 * meet them all.  Before, each of the finest pyramid levels l took its
 * Gram matrices from the painting at base * 2^l: the finest level and the
 * next each asked for the base painting's pixels, while the next is the
 * finest blurred and halved.  No image has such a pyramid, and the last
 * scale of a large run could not come down to where the scale before had
 * ended: on Tübingen 1920 x 1080 x Starry Night (1024 px) its level-2 term
 * rose from 0.26 to 0.67 while level 0's fell, and it ended at a total
 * loss of 3.33 after 1.39 (tests/bench/README.md, seventh round).  Not for
 * a one-level pyramid (its only level has the full filter bank) nor for
 * VGG19 (no pyramid).
 *
 * The base is half the painting's own size: its own finest octave is
 * not to be trusted, as a JPEG's blocks, a scan's grain and a web
 * image's sharpening live there.  At its own pixels, the 1024 px Starry
 * Night of tests/images behind a 2000 px photo made the optimiser paint
 * chroma speckle (style loss 7.6 at the end, against 0.87 with the
 * enlargement and 2.3 from half its size; grid 15.5, 8.9, 8.0). */
#define ST_PAINTING_TRUSTED_FRACTION 0.5

/* The long side whose pixels hold a painting's trusted detail. */
static int
painting_base (int native)
{
  return MAX (1, (int)lround (native * ST_PAINTING_TRUSTED_FRACTION));
}

/* Whether a painting of long side `native` seen at long side `side`
 * through `levels` levels is made into an exemplar (above). */
static gboolean
needs_exemplar (int native, int side, int levels)
{
  return levels >= 2 && native < side;
}

/* The exemplar (above), one plane at a time: a 4000 px result's needs
 * one plane of it beyond itself. */
gboolean
st_painting_exemplar (const float *style, int sw, int sh, float *out, int tw,
                      int th)
{
  int bw, bh, base = painting_base (MAX (sw, sh));
  size_t n = (size_t)tw * th;
  float *pb, *small, *plane;
  int *column; /* T's column x comes from the base painting's column[x] */
  st_fit_long_side (sw, sh, base, &bw, &bh);
  pb = st_floats_new ((size_t)3 * bw * bh);
  small = st_floats_new ((size_t)bw * bh);
  plane = st_floats_new (n);
  column = g_try_new (int, tw);
  if (!pb || !small || !plane || !column)
    {
      g_free (pb);
      g_free (small);
      g_free (plane);
      g_free (column);
      return FALSE;
    }
  st_resample_planes (style, 3, sw, sh, pb, bw, bh);
  /* T is the base painting symmetrically padded out to tw x th: mirrored
   * at each copy's edge, no seam */
  for (int x = 0; x < tw; x++)
    column[x] = st_pad_index (x, bw, ST_PAD_SYMMETRIC);
  for (int c = 0; c < 3; c++)
    {
      const float *pc = pb + (size_t)c * bw * bh;
      float *oc = out + (size_t)c * n;
      for (int y = 0; y < th; y++)
        {
          const float *row
              = pc + (size_t)st_pad_index (y, bh, ST_PAD_SYMMETRIC) * bw;
          for (int x = 0; x < tw; x++)
            oc[(size_t)y * tw + x] = row[column[x]];
        }
      st_resample_planes (oc, 1, tw, th, small, bw, bh);
      st_resample_planes (small, 1, bw, bh, plane, tw, th);
      for (size_t i = 0; i < n; i++)
        oc[i] -= plane[i];
      st_resample_planes (pc, 1, bw, bh, plane, tw, th);
      for (size_t i = 0; i < n; i++)
        oc[i] += plane[i];
    }
  g_free (pb);
  g_free (small);
  g_free (plane);
  g_free (column);
  return TRUE;
}

/* Adds weight times one painting's Gram matrices, seen at long side
 * `side` through a graph of `levels` pyramid levels, to the targets of
 * g's style taps. */
static StStatus
painting_grams (const StNetwork *net, const StParams *p, const float *style,
                int sw, int sh, int side, int levels, double weight,
                const StGraph *g, float **gram, GError **error)
{
  StGraph sg;
  StFeature *f;
  int n, tw, th, native = MAX (sw, sh);
  float *resized;
  gboolean ok;
  StStatus status;
  st_fit_long_side (sw, sh, MAX (side, 1), &tw, &th);
  if ((status = st_scale_graph (net, p, g->threads, tw, th, levels, &sg, error))
      != ST_OK)
    return status;
  resized = st_floats_new ((size_t)3 * tw * th);
  ok = resized != NULL;
  if (ok && needs_exemplar (native, side, levels))
    ok = st_painting_exemplar (style, sw, sh, resized, tw, th);
  else if (ok)
    st_resample_planes (style, 3, sw, sh, resized, tw, th);
  if (!ok)
    {
      g_free (resized);
      st_graph_clear (&sg);
      return st_memory_error (error);
    }
  status = st_graph_targets (&sg, resized, TRUE, FALSE, &f, &n);
  g_free (resized);
  if (status != ST_OK)
    {
      st_graph_clear (&sg);
      return pass_error (status, error);
    }
  st_graph_clear (&sg);
  ok = add_grams (g, f, n, weight, gram);
  st_features_free (f, n);
  return ok ? ST_OK : st_memory_error (error);
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
      StStatus status = painting_grams (net, p, styles[j], sw[j], sh[j], side,
                                        levels, blend[j], g, t->gram, error);
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
