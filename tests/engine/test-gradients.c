/* Finite-difference checks of every layer's input gradient and of every
 * loss's gradient, on small random tensors.  Each layer is wrapped in a
 * scalar function L(x) = sum r * layer(x) (r fixed random), whose analytic
 * gradient is layer_backward(r); central differences in float with a step
 * of 1e-2 must agree within 2 %. */
#include "check.h"

#include <string.h>

typedef double (*ScalarFn) (const float *x, float *grad, void *ctx);

/* Compares the analytic gradient with central differences at `probes`
 * random coordinates. */
static void
gradcheck (const char *what, ScalarFn fn, void *ctx, size_t n, float *x,
           double eps, double rtol, StRng *rng)
{
  float *grad = st_floats_new (n);
  double worst = 0.0;
  fn (x, grad, ctx);
  for (int probe = 0; probe < 40; probe++)
    {
      size_t i = (size_t)(st_rng_uniform (rng) * n);
      float keep = x[i];
      double lp, lm, num, ana = grad[i], err;
      x[i] = keep + (float)eps;
      lp = fn (x, NULL, ctx);
      x[i] = keep - (float)eps;
      lm = fn (x, NULL, ctx);
      x[i] = keep;
      num = (lp - lm) / (2 * eps);
      err = fabs (num - ana) / MAX (MAX (fabs (num), fabs (ana)), 1e-3);
      worst = MAX (worst, err);
    }
  CHECK (worst <= rtol, "%s: worst relative gradient error %.3g > %.3g", what,
         worst, rtol);
  printf ("  %-28s worst relative error %.2e\n", what, worst);
  g_free (grad);
}

/* ------------------------------------------------------------ layers */

typedef struct
{
  int kind; /* 0 conv, 1 conv+relu, 2 max, 3 avg, 4 blur */
  int cin, cout, k, h, w;
  StPad pad;
  const float *weight, *bias;
  const float *r; /* (output) */
} LayerCtx;

static size_t
layer_out_size (const LayerCtx *c)
{
  switch (c->kind)
    {
    case 0:
    case 1:
      return (size_t)c->cout * c->h * c->w;
    case 2:
    case 3:
      return (size_t)c->cin * (c->h / 2) * (c->w / 2);
    default:
      return (size_t)c->cin * ((c->h + 1) / 2) * ((c->w + 1) / 2);
    }
}

static double
layer_fn (const float *x, float *grad, void *vctx)
{
  LayerCtx *c = vctx;
  size_t no = layer_out_size (c);
  float *out = st_floats_new (no), *g = st_floats_new (no);
  uint8_t *mask = st_bytes_new (no);
  double loss = 0.0;
  switch (c->kind)
    {
    case 0:
    case 1:
      st_conv_forward (x, c->cin, c->h, c->w, c->weight, c->bias, c->cout, c->k,
                       c->pad, out, c->kind == 1 ? mask : NULL, NULL, 1);
      break;
    case 2:
      st_maxpool_forward (x, c->cin, c->h, c->w, out, mask);
      break;
    case 3:
      st_avgpool_forward (x, c->cin, c->h, c->w, out);
      break;
    default:
      st_blurdown_forward (x, c->cin, c->h, c->w, out);
    }
  for (size_t i = 0; i < no; i++)
    loss += (double)c->r[i] * out[i];
  if (grad)
    {
      memcpy (g, c->r, no * sizeof (float));
      switch (c->kind)
        {
        case 0:
        case 1:
          if (c->kind == 1)
            st_relu_backward (g, mask, no);
          st_conv_backward (g, c->cin, c->h, c->w, c->weight, c->cout, c->k,
                            c->pad, grad, NULL, 1);
          break;
        case 2:
          st_maxpool_backward (g, mask, c->cin, c->h, c->w, grad);
          break;
        case 3:
          st_avgpool_backward (g, c->cin, c->h, c->w, grad);
          break;
        default:
          st_blurdown_backward (g, c->cin, c->h, c->w, grad);
        }
    }
  g_free (out);
  g_free (g);
  g_free (mask);
  return loss;
}

static void
check_layer (const char *name, int kind, int cin, int cout, int k, int h, int w,
             StPad pad, StRng *rng)
{
  LayerCtx c = { kind, cin, cout, k, h, w, pad, NULL, NULL, NULL };
  size_t n = (size_t)cin * h * w;
  float *x = st_floats_new (n);
  float *weight = st_floats_new ((size_t)cout * cin * k * k + 1);
  float *bias = st_floats_new (cout + 1);
  float *r;
  fill_random (x, n, rng, -1, 1);
  fill_random (weight, (size_t)cout * cin * k * k + 1, rng, -0.5, 0.5);
  fill_random (bias, cout + 1, rng, -0.2, 0.2);
  c.weight = weight;
  c.bias = bias;
  r = st_floats_new (layer_out_size (&c));
  fill_random (r, layer_out_size (&c), rng, -1, 1);
  c.r = r;
  /* ReLU and max pooling have kinks: a small step rarely crosses one.  A
   * plain convolution is linear, so any step is exact but for rounding,
   * and Winograd's rounding (~5e-6 relative, see test-kernels) needs a
   * large one to stay below the check's noise. */
  gradcheck (name, layer_fn, &c, n, x,
             kind == 1 || kind == 2                                 ? 1e-3
             : kind == 0 && st_winograd_applies (cin, cout, k, pad) ? 0.25
                                                                    : 1e-2,
             0.02, rng);
  g_free (x);
  g_free (weight);
  g_free (bias);
  g_free (r);
}

/* ------------------------------------------------------------ losses */

typedef struct
{
  int kind; /* 0 style, 1 content, 2 tv, 3 range */
  int c, h, w;
  const float *target;
  double norm;
} LossCtx;

static double
loss_fn (const float *x, float *grad, void *vctx)
{
  LossCtx *l = vctx;
  size_t n = (size_t)l->c * l->h * l->w;
  switch (l->kind)
    {
    case 0:
      {
        float *scratch = st_floats_new ((size_t)l->c * l->c);
        double v = st_style_loss (x, l->c, l->h * l->w, l->target, l->norm, 1.0,
                                  grad, scratch);
        g_free (scratch);
        return v;
      }
    case 1:
      return st_content_loss (x, n, l->target, l->norm, 1.0, grad);
    case 2:
      return st_tv_loss (x, l->c, l->h, l->w, 1.0, grad);
    default:
      return st_range_loss (x, n, 1.0, grad);
    }
}

static void
check_loss (const char *name, int kind, StRng *rng)
{
  LossCtx l = { kind, 6, 7, 9, NULL, 0 };
  size_t n = (size_t)l.c * l.h * l.w;
  float *x = st_floats_new (n), *t = st_floats_new (n);
  float *gram = st_floats_new ((size_t)l.c * l.c);
  fill_random (x, n, rng, kind == 3 ? -0.5 : 0, kind == 3 ? 1.5 : 1);
  fill_random (t, n, rng, 0, 1);
  if (kind == 0)
    {
      st_gram (t, l.c, l.h * l.w, gram);
      l.target = gram;
      l.norm = st_sum_squares (gram, (size_t)l.c * l.c);
    }
  else
    {
      l.target = t;
      l.norm = st_sum_squares (t, n);
    }
  gradcheck (name, loss_fn, &l, n, x, kind == 3 ? 1e-3 : 1e-2, 0.02, rng);
  g_free (x);
  g_free (t);
  g_free (gram);
}

/* --------------------------------------------- the whole network */

typedef struct
{
  StGraph *graph;
  StTargets *targets;
} GraphCtx;

static double
graph_fn (const float *x, float *grad, void *vctx)
{
  GraphCtx *g = vctx;
  double loss;
  if (st_graph_loss (g->graph, x, g->targets, grad, NULL, NULL, &loss) != ST_OK)
    return NAN;
  return loss;
}

/* Forward and backward through the embedded network's graph, with style
 * and content targets from another random image. */
static void
check_embedded_graph (StRng *rng)
{
  StNetwork *net = st_network_new_embedded ();
  StGraph g;
  StTargets t = { 0 };
  StFeature *f;
  int nf, w = 40, h = 36, si = 0, ci = 0;
  size_t n = (size_t)3 * w * h;
  float *x = st_floats_new (n), *other = st_floats_new (n);
  GraphCtx ctx = { &g, &t };
  st_graph_build (net, w, h, ST_POOLING_AVERAGE, 0, 1, &g, NULL);
  fill_random (x, n, rng, 0, 1);
  fill_random (other, n, rng, 0, 1);
  st_graph_features (&g, other, &f, &nf);
  t.gram = g_new0 (float *, g.n_style);
  t.gram_norm = g_new0 (double, g.n_style);
  t.features = g_new0 (float *, g.n_content);
  t.feature_norm = g_new0 (double, g.n_content);
  t.style_weight = 10.0;
  t.content_weight = 1.0;
  for (int i = 0; i < nf; i++)
    {
      if (f[i].style)
        {
          t.gram[si] = st_floats_new ((size_t)f[i].c * f[i].c);
          st_gram (f[i].data, f[i].c, f[i].h * f[i].w, t.gram[si]);
          t.gram_norm[si]
              = st_sum_squares (t.gram[si], (size_t)f[i].c * f[i].c);
          si++;
        }
      if (f[i].content)
        {
          size_t sz = (size_t)f[i].c * f[i].h * f[i].w;
          t.features[ci] = st_floats_dup (f[i].data, sz);
          t.feature_norm[ci] = st_sum_squares (f[i].data, sz);
          ci++;
        }
    }
  CHECK (si == g.n_style && ci == g.n_content && si > 0 && ci > 0,
         "embedded taps: %d style, %d content", si, ci);
  gradcheck ("embedded network, whole", graph_fn, &ctx, n, x, 1e-3, 0.03, rng);
  for (int i = 0; i < si; i++)
    g_free (t.gram[i]);
  for (int i = 0; i < ci; i++)
    g_free (t.features[i]);
  g_free (t.gram);
  g_free (t.gram_norm);
  g_free (t.features);
  g_free (t.feature_norm);
  st_features_free (f, nf);
  st_graph_clear (&g);
  st_network_free (net);
  g_free (x);
  g_free (other);
}

/* Largest |a - b| over n, relative to the largest |b|. */
static double
max_rel_diff (const float *a, const float *b, size_t n)
{
  double d = 0.0, m = 1e-30;
  for (size_t i = 0; i < n; i++)
    {
      d = MAX (d, fabs ((double)a[i] - b[i]));
      m = MAX (m, fabs ((double)b[i]));
    }
  return d / m;
}

/* tiled.c against the whole-image layers on an image of several tiles
 * with ragged edges: the Gram matrix, the content channels, the content
 * error and the gradient to the input must be the same up to rounding. */
static void
check_tiled (const char *what, int k, StPad pad, int h, int w, int threads,
             StRng *rng)
{
  StNode node;
  int cin = 3, c = 24, cc = 10;
  size_t plane = (size_t)h * w, nin = cin * plane, nout = c * plane;
  float *in = st_floats_new (nin), *weight = st_floats_new (c * cin * k * k);
  float bias[24], *out = st_floats_new (nout), *d = st_floats_new (c * c);
  float *gram = st_floats_new (c * c), *gram_ref = st_floats_new (c * c);
  float *content = st_floats_new (cc * plane), *target = st_floats_new (nout);
  float *content_in = st_floats_new (nin);
  uint8_t *target_mask = st_bytes_new (nout);
  float *gin = st_floats_new (nin), *gin_ref = st_floats_new (nin);
  float *gf = st_floats_new (nout), *scratch;
  uint8_t *mask = st_bytes_new (nout);
  double sq = 0.0, sq_ref = 0.0;
  float as = 0.7f, ac = 0.3f;

  memset (&node, 0, sizeof node);
  node.op = ST_OP_CONV;
  node.input = -1;
  node.last_use = -1;
  node.cin = cin, node.c = c, node.k = k, node.h = h, node.w = w;
  node.pad = pad, node.weight = weight, node.bias = bias;
  node.style = node.content = TRUE;
  node.content_c = cc;
  for (size_t i = 0; i < nin; i++)
    in[i] = (float)st_rng_uniform (rng);
  for (size_t i = 0; i < (size_t)c * cin * k * k; i++)
    weight[i] = (float)st_rng_normal (rng) * 0.2f;
  for (int i = 0; i < c; i++)
    bias[i] = (float)st_rng_normal (rng) * 0.1f;
  for (size_t i = 0; i < nin; i++)
    content_in[i] = (float)st_rng_uniform (rng);
  for (int i = 0; i < c; i++)
    for (int j = i; j < c; j++)
      d[i * c + j] = d[j * c + i] = (float)st_rng_normal (rng);
  CHECK (st_tiled_eligible (&node), "%s: a leaf convolution is tiled", what);
  scratch = st_floats_new (st_tiled_scratch_floats (&node, threads));

  /* the whole-image reference */
  st_conv_forward (content_in, cin, h, w, weight, bias, c, k, pad, target,
                   target_mask, NULL, threads);
  st_conv_forward (in, cin, h, w, weight, bias, c, k, pad, out, mask, NULL,
                   threads);
  st_gram (out, c, (int)plane, gram_ref);
  for (int i = 0; i < c; i++) /* gf = as d out */
    for (int j = 0; j < c; j++)
      for (size_t p = 0; p < plane; p++)
        gf[i * plane + p] += as * d[i * c + j] * out[j * plane + p];
  for (size_t i = 0; i < cc * plane; i++)
    {
      float diff = out[i] - target[i];
      sq_ref += (double)diff * diff;
      gf[i] += ac * diff;
    }
  st_relu_backward (gf, mask, nout);
  st_conv_backward (gf, cin, h, w, weight, c, k, pad, gin_ref, NULL, threads);

  st_tiled_forward (&node, in, gram, content, scratch, threads, NULL);
  sq = st_tiled_backward (&node, in, d, as, content_in, ac, gin, scratch,
                          threads, NULL);
  CHECK (fabs (st_tiled_content_norm (&node, content_in, scratch, threads, NULL)
               - st_sum_squares (target, cc * plane))
             <= 1e-5 * st_sum_squares (target, cc * plane),
         "%s: content norm differs", what);
  CHECK (max_rel_diff (gram, gram_ref, c * c) < 1e-5, "%s: Gram differs by %g",
         what, max_rel_diff (gram, gram_ref, c * c));
  CHECK (max_rel_diff (content, out, cc * plane) < 1e-6,
         "%s: content channels differ", what);
  memset (content, 0, cc * plane * sizeof (float)); /* a content-only pass */
  st_tiled_forward (&node, in, NULL, content, scratch, threads, NULL);
  CHECK (max_rel_diff (content, out, cc * plane) < 1e-6,
         "%s: content channels of a content-only pass differ", what);
  CHECK (fabs (sq - sq_ref) <= 1e-5 * sq_ref, "%s: content error %g vs %g",
         what, sq, sq_ref);
  CHECK (max_rel_diff (gin, gin_ref, nin) < 1e-4,
         "%s: input gradient differs by %g", what,
         max_rel_diff (gin, gin_ref, nin));
  printf ("  %-28s Gram %.1e, gradient %.1e\n", what,
          max_rel_diff (gram, gram_ref, c * c),
          max_rel_diff (gin, gin_ref, nin));
  g_free (in), g_free (weight), g_free (out), g_free (d), g_free (gram);
  g_free (gram_ref), g_free (content), g_free (target), g_free (gin);
  g_free (gin_ref), g_free (gf), g_free (scratch), g_free (mask);
  g_free (content_in), g_free (target_mask);
}

/* ------------------------------------------------ the tiled head */

/* A small graph of VGG19's shape: preprocessing, conv1_1 (3 -> 16, a
 * style tap), conv1_2 (16 -> 16: Winograd), the pool, then with one block
 * conv2_1 (16 -> 64, style) and a 64 -> 8 convolution (style and
 * content); with two, conv2_1 (16 -> 24, style), conv2_2 (24 -> 24), the
 * pool and a 24 -> 8 convolution (style and content): weights random,
 * kept in wt (HEAD_CONVS).  The head's blocks: what its shape allows. */
#define HEAD_CONVS 5
static void
head_graph (StGraph *g, int blocks, StOp pool, int h, int w, int threads,
            float **wt, StRng *rng)
{
  static const int cin[2][5] = { { 3, 16, 16, 64 }, { 3, 16, 16, 24, 24 } },
                   cout[2][5] = { { 16, 16, 64, 8 }, { 16, 16, 24, 24, 8 } };
  int nc = blocks == 2 ? 5 : 4;
  StNode *node;
  memset (g, 0, sizeof *g);
  memset (wt, 0, HEAD_CONVS * sizeof *wt);
  node = st_graph_add (g, ST_OP_PREPROCESS, -1);
  node->c = 3, node->h = h, node->w = w;
  for (int o = 0; o < 3; o++)
    {
      node->perm[o] = 2 - o;
      node->scale[o] = 1.5f + o;
      node->shift[o] = -0.4f * o;
    }
  for (int i = 0; i < nc; i++)
    {
      int ci = cin[blocks - 1][i], co = cout[blocks - 1][i];
      size_t nw = (size_t)co * ci * 9;
      node = st_graph_add (g, ST_OP_CONV, g->n - 1);
      node->cin = ci, node->c = co, node->k = 3;
      node->pad = ST_PAD_ZERO;
      wt[i] = st_floats_new (nw + co);
      fill_random (wt[i], nw, rng, -0.6 / ci, 1.0 / ci);
      fill_random (wt[i] + nw, co, rng, -0.05, 0.1);
      node->weight = wt[i], node->bias = wt[i] + nw;
      g_snprintf (node->name, sizeof node->name, "conv%d", i);
      node->style = i % 2 == 0 || i == nc - 1;
      node->content = i == nc - 1;
      if (i == 1 || (i == 3 && blocks == 2))
        {
          node = st_graph_add (g, pool, g->n - 1);
          node->h /= 2, node->w /= 2;
        }
    }
  for (int i = 0; i < g->n; i++)
    {
      if (g->nodes[i].input >= 0)
        g->nodes[g->nodes[i].input].last_use = i;
      g->n_style += g->nodes[i].style;
      g->n_content += g->nodes[i].content;
      g->style_shares += g->nodes[i].style;
    }
  g->threads = threads;
  g->head_blocks = st_head_eligible (g);
}

static void
head_graph_free (StGraph *g, float **wt)
{
  for (int i = 0; i < HEAD_CONVS; i++)
    g_free (wt[i]);
  st_graph_clear (g);
}

/* Targets from the style and the content passes of st_graph_targets (f
 * (nf) and fc (nc)) into t. */
static void
head_targets (const StFeature *f, int nf, const StFeature *fc, int nc,
              StTargets *t)
{
  int si = 0, ci = 0;
  memset (t, 0, sizeof *t);
  t->gram = g_new0 (float *, nf);
  t->gram_norm = g_new0 (double, nf);
  t->features = g_new0 (float *, nf);
  t->feature_norm = g_new0 (double, nf);
  t->style_weight = 10.0;
  t->content_weight = 1.0;
  for (int i = 0; i < nf; i++)
    {
      t->gram[si] = f[i].data;
      t->gram_norm[si++] = st_sum_squares (f[i].data, (size_t)f[i].c * f[i].c);
    }
  for (int i = 0; i < nc; i++)
    {
      t->features[ci] = fc[i].data;
      t->feature_norm[ci++] = fc[i].norm;
    }
}

/* The targets of other: both passes of st_graph_targets. */
static gboolean
head_make_targets (const StGraph *g, const float *other, StFeature **f, int *nf,
                   StFeature **fc, int *nc, StTargets *t)
{
  *f = *fc = NULL;
  *nf = *nc = 0;
  if (st_graph_targets (g, other, TRUE, FALSE, f, nf) != ST_OK
      || st_graph_targets (g, other, FALSE, TRUE, fc, nc) != ST_OK)
    return FALSE;
  head_targets (*f, *nf, *fc, *nc, t);
  return TRUE;
}

static void
head_targets_free (StTargets *t)
{
  g_free (t->gram), g_free (t->gram_norm);
  g_free (t->features), g_free (t->feature_norm);
}

/* The loss and the image's gradient at x with the head run in tiles of
 * `tile` pool outputs (0: node by node); the targets made the same way
 * from other, their style Grams one after the other in grams. */
static double
head_run (StGraph *g, int tile, const float *x, const float *other, float *grad,
          float *grams)
{
  StFeature *f, *fc;
  StTargets t;
  int nf, nc;
  double loss = NAN;
  size_t n = (size_t)3 * g->nodes[0].h * g->nodes[0].w;
  g->head_tile = tile;
  if (!head_make_targets (g, other, &f, &nf, &fc, &nc, &t))
    return NAN;
  for (int i = 0, at = 0; i < nf; at += f[i].c * f[i].c, i++)
    memcpy (grams + at, f[i].data, (size_t)f[i].c * f[i].c * sizeof (float));
  memset (grad, 0, n * sizeof (float));
  if (st_graph_loss (g, x, &t, grad, NULL, NULL, &loss) != ST_OK)
    loss = NAN;
  head_targets_free (&t);
  st_features_free (f, nf);
  st_features_free (fc, nc);
  return loss;
}

/* Floats of the style taps' Grams of head_graph's graph. */
#define HEAD_GRAMS (16 * 16 + 64 * 64 + 8 * 8)

/* head.c against the node-by-node head on an image of several tiles, not
 * a multiple of the tile, odd sides (a pool drops the last row or column,
 * the Gram before it counts them): the targets, the loss and the image's
 * gradient must be the same up to rounding; and a finite-difference check
 * of the tiled head's gradient.  (Rounding differs with the tiles, so
 * that a near tie of a max pool, or a ReLU's input near 0, may go the
 * other way and move a gradient: the sizes and draws here have none, one
 * with tiles of 5 of "2 blocks, max pool" did, node by node and in
 * tiles, one block or two.)  blocks: the head's (2 only where the
 * graph has two; 1 on a graph of two: the fallback). */
static void
check_head (const char *what, int graph_blocks, int blocks, StOp pool, int h,
            int w, int tile, int threads, StRng *rng)
{
  StGraph g;
  float *wt[HEAD_CONVS];
  size_t n = (size_t)3 * h * w;
  float *x = st_floats_new (n), *other = st_floats_new (n);
  float *grad = st_floats_new (n), *grad_ref = st_floats_new (n);
  float *gram = st_floats_new (HEAD_GRAMS),
        *gram_ref = st_floats_new (HEAD_GRAMS);
  double loss, loss_ref;
  GraphCtx ctx = { &g, NULL };
  head_graph (&g, graph_blocks, pool, h, w, threads, wt, rng);
  CHECK (g.head_blocks == graph_blocks, "%s: the head has %d blocks, not %d",
         what, g.head_blocks, graph_blocks);
  g.head_blocks = blocks;
  fill_random (x, n, rng, 0, 1);
  fill_random (other, n, rng, 0, 1);
  loss_ref = head_run (&g, 0, x, other, grad_ref, gram_ref);
  loss = head_run (&g, tile, x, other, grad, gram);
  CHECK (max_rel_diff (gram, gram_ref, HEAD_GRAMS) < 1e-5,
         "%s: a target Gram differs by %g", what,
         max_rel_diff (gram, gram_ref, HEAD_GRAMS));
  /* the loss is |G - target|^2, the Grams summed in floats over all the
   * pixels (the portable BLAS's loops in single precision: up to 1e-5
   * off); a wrong halo or padding is off by 1e-3 and more */
  CHECK (fabs (loss - loss_ref) <= 3e-5 * fabs (loss_ref),
         "%s: loss %.9g vs %.9g", what, loss, loss_ref);
  CHECK (max_rel_diff (grad, grad_ref, n) < 1e-4,
         "%s: image gradient differs by %g", what,
         max_rel_diff (grad, grad_ref, n));
  printf ("  %-36s loss %.1e, gradient %.1e\n", what,
          fabs (loss - loss_ref) / fabs (loss_ref),
          max_rel_diff (grad, grad_ref, n));
  if (threads == 1)
    {
      StFeature *f, *fc;
      StTargets t;
      int nf, nc;
      head_make_targets (&g, other, &f, &nf, &fc, &nc, &t);
      ctx.targets = &t;
      gradcheck (what, graph_fn, &ctx, n, x, 1e-2, 0.03, rng);
      head_targets_free (&t);
      st_features_free (f, nf);
      st_features_free (fc, nc);
    }
  head_graph_free (&g, wt);
  g_free (x), g_free (other), g_free (grad), g_free (grad_ref);
  g_free (gram), g_free (gram_ref);
}

/* The tiled head holds less at the peak than the node-by-node one: at
 * least the full-size maps (16 channels) of conv1_1 and conv1_2 it saves,
 * and with two blocks those of conv2_1 and conv2_2 (24 channels at a
 * quarter of the pixels) too. */
static void
check_head_peak (int blocks, StRng *rng)
{
  StGraph g;
  float *wt[HEAD_CONVS];
  size_t whole, tiled, saved = (size_t)2 * 16 * 300 * 400 * sizeof (float);
  head_graph (&g, blocks, ST_OP_AVGPOOL, 300, 400, 1, wt, rng);
  g.head_tile = 0;
  whole = st_graph_peak_bytes (&g);
  g.head_tile = 16;
  tiled = st_graph_peak_bytes (&g);
  if (blocks == 2)
    saved += (size_t)2 * 24 * 150 * 200 * sizeof (float);
  CHECK (tiled + saved < whole,
         "tiled head of %d block(s): peak %zu bytes, "
         "node by node %zu",
         blocks, tiled, whole);
  printf ("  tiled head of %d block(s) peak %.1f MiB, node by node %.1f MiB\n",
          blocks, tiled / 1048576.0, whole / 1048576.0);
  head_graph_free (&g, wt);
}

int
main (void)
{
  StRng rng;
  st_rng_init (&rng, 7);
  check_layer ("conv 3x3 zero pad", 0, 3, 4, 3, 7, 9, ST_PAD_ZERO, &rng);
  check_layer ("conv 3x3 symmetric pad", 0, 3, 4, 3, 7, 9, ST_PAD_SYMMETRIC,
               &rng);
  check_layer ("conv 5x5 symmetric pad", 0, 2, 3, 5, 6, 8, ST_PAD_SYMMETRIC,
               &rng);
  check_layer ("conv 7x7 on 4x5, symmetric", 0, 3, 2, 7, 4, 5, ST_PAD_SYMMETRIC,
               &rng);
  check_layer ("conv 1x1", 0, 5, 3, 1, 4, 6, ST_PAD_ZERO, &rng);
  check_layer ("conv 3x3 + ReLU", 1, 3, 4, 3, 7, 9, ST_PAD_ZERO, &rng);
  /* 16 channels and more, zero padding: Winograd F(4x4, 3x3) */
  check_layer ("conv 3x3 16->20 (Winograd)", 0, 16, 20, 3, 9, 10, ST_PAD_ZERO,
               &rng);

  check_layer ("max pool 2x2 (odd size)", 2, 3, 0, 0, 7, 9, ST_PAD_ZERO, &rng);
  check_layer ("average pool 2x2", 3, 3, 0, 0, 8, 10, ST_PAD_ZERO, &rng);
  check_layer ("blur-subsample (odd size)", 4, 3, 0, 0, 9, 7, ST_PAD_ZERO,
               &rng);
  check_layer ("blur-subsample 2x3", 4, 2, 0, 0, 2, 3, ST_PAD_ZERO, &rng);
  check_loss ("style loss (Gram)", 0, &rng);
  check_loss ("content loss", 1, &rng);
  check_loss ("total variation", 2, &rng);
  check_loss ("range penalty", 3, &rng);
  check_embedded_graph (&rng);
  /* on one thread, then rows of tiles shared out between 2 and 3 threads
   * (even rows then odd ones in the backward pass) */
  for (int threads = 1; threads <= 3; threads++)
    {
      printf ("tiled passes on %d thread(s)\n", threads);
      check_tiled ("tiled conv 7x7 symmetric", 7, ST_PAD_SYMMETRIC, 150, 131,
                   threads, &rng);
      check_tiled ("tiled conv 3x3 zero pad", 3, ST_PAD_ZERO, 67, 200, threads,
                   &rng);
      check_tiled ("tiled conv 5x5 on 3x70", 5, ST_PAD_SYMMETRIC, 3, 70,
                   threads, &rng);
      check_tiled ("tiled conv 3x3, 5 rows of tiles", 3, ST_PAD_SYMMETRIC, 300,
                   70, threads, &rng);
    }
  for (int threads = 1; threads <= 2; threads++)
    {
      printf ("tiled head on %d thread(s)\n", threads);
      check_head ("head, average pool", 1, 1, ST_OP_AVGPOOL, 37, 53, 5, threads,
                  &rng);
      check_head ("head, max pool", 1, 1, ST_OP_MAXPOOL, 37, 53, 5, threads,
                  &rng);
      check_head ("head, max pool, even size", 1, 1, ST_OP_MAXPOOL, 30, 44, 4,
                  threads, &rng);
      /* two blocks: both levels odd; odd at one level only; even */
      check_head ("2 blocks, average pool", 2, 2, ST_OP_AVGPOOL, 75, 107, 5,
                  threads, &rng);
      check_head ("2 blocks, max pool", 2, 2, ST_OP_MAXPOOL, 75, 107, 3,
                  threads, &rng);
      check_head ("2 blocks, max pool, 74 x 105", 2, 2, ST_OP_MAXPOOL, 74, 105,
                  4, threads, &rng);
      check_head ("2 blocks, average pool, even", 2, 2, ST_OP_AVGPOOL, 72, 88,
                  6, threads, &rng);
      check_head ("2 blocks run as 1", 2, 1, ST_OP_MAXPOOL, 75, 107, 9, threads,
                  &rng);
    }
  check_head_peak (1, &rng);
  check_head_peak (2, &rng);
  return check_report ("test-gradients");
}
