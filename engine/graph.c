/* graph.c - the one executor of a network's graph: forward through the
 * layers, the losses at the taps, backward to the image; the targets'
 * pass; and the peak memory of both.  The graph itself is built in
 * graph-build.c.
 *
 * Every buffer the executor uses comes from eval_get and goes back through
 * eval_put.  Run with a counter (counter.c) instead of a pool, the same code
 * walks the graph without computing and without allocating, and says how many
 * bytes it would have held at its peak: the memory estimate is the executor
 * itself, so it cannot drift from it. */
#include "network.h"

#include <math.h>
#include <string.h>

/* ---------------------------------------------------------- executor */

typedef struct
{
  const StGraph *g;
  int img_h, img_w;
  StPool *pool;     /* where buffers come from; NULL = malloc      */
  StCounter *count; /* instead of pool: count, compute nothing     */
  float **outs;     /* (n) forward outputs, freed after last use   */
  float **grads;    /* (n) gradients wrt outputs                   */
  uint8_t **masks;  /* (n) ReLU masks / max-pool argmax            */
} Eval;

static void *
eval_get (Eval *e, size_t bytes, gboolean zero)
{
  return e->count ? st_counter_get (e->count, bytes)
                  : st_pool_get (e->pool, bytes, zero);
}

static void
eval_put (Eval *e, void *ptr)
{
  if (e->count)
    st_counter_put (e->count, ptr);
  else
    st_pool_put (e->pool, ptr);
}

static void
eval_input_shape (const Eval *e, const StNode *node, int *c, int *h, int *w)
{
  if (node->input >= 0)
    {
      const StNode *in = &e->g->nodes[node->input];
      *c = in->c, *h = in->h, *w = in->w;
    }
  else
    *c = 3, *h = e->img_h, *w = e->img_w;
}

static gboolean
forward_node (Eval *e, int i, const float *image)
{
  const StNode *node = &e->g->nodes[i];
  const float *in = node->input >= 0 ? e->outs[node->input] : image;
  int c, h, w;
  float *out = eval_get (e, st_node_size (node) * sizeof (float), FALSE);
  gboolean ok = TRUE;
  eval_input_shape (e, node, &c, &h, &w);
  if (!out)
    return FALSE;
  e->outs[i] = out;
  if ((node->op == ST_OP_CONV || node->op == ST_OP_MAXPOOL)
      && !(e->masks[i] = eval_get (e, st_node_size (node), FALSE)))
    return FALSE;
  switch (node->op)
    {
    case ST_OP_PREPROCESS:
      for (int o = 0; o < 3 && !e->count; o++)
        {
          const float *src = in + (size_t)node->perm[o] * h * w;
          float *dst = out + (size_t)o * h * w;
          for (size_t p = 0; p < (size_t)h * w; p++)
            dst[p] = src[p] * node->scale[o] + node->shift[o];
        }
      break;
    case ST_OP_CONV:
      {
        size_t sc = st_conv_scratch_floats (node->cin, node->k, h, w);
        float *scratch = eval_get (e, sc * sizeof (float), FALSE);
        if (sc && !scratch)
          return FALSE;
        if (!e->count)
          ok = st_conv_forward (in, node->cin, h, w, node->weight, node->bias,
                                node->c, node->k, node->pad, out, e->masks[i],
                                scratch, e->g->threads);
        eval_put (e, scratch);
      }
      break;
    case ST_OP_MAXPOOL:
      if (!e->count)
        st_maxpool_forward (in, c, h, w, out, e->masks[i]);
      break;
    case ST_OP_AVGPOOL:
      if (!e->count)
        st_avgpool_forward (in, c, h, w, out);
      break;
    case ST_OP_BLURDOWN:
      if (!e->count)
        st_blurdown_forward (in, c, h, w, out);
      break;
    }
  return ok;
}

/* d(node)/d(input)^T g added to gin. */
static gboolean
backward_op (Eval *e, const StNode *node, int i, int c, int h, int w, float *g,
             float *gin)
{
  gboolean ok = TRUE;
  switch (node->op)
    {
    case ST_OP_PREPROCESS:
      for (int o = 0; o < 3; o++)
        {
          float *dst = gin + (size_t)node->perm[o] * h * w;
          const float *src = g + (size_t)o * h * w;
          for (size_t p = 0; p < (size_t)h * w; p++)
            dst[p] += src[p] * node->scale[o];
        }
      break;
    case ST_OP_CONV:
      {
        size_t sc = st_conv_scratch_floats (node->cin, node->k, h, w);
        float *scratch = eval_get (e, sc * sizeof (float), FALSE);
        st_relu_backward (g, e->masks[i], st_node_size (node));
        ok = (!sc || scratch)
             && st_conv_backward (g, node->cin, h, w, node->weight, node->c,
                                  node->k, node->pad, gin, scratch,
                                  e->g->threads);
        eval_put (e, scratch);
      }
      break;
    case ST_OP_MAXPOOL:
      st_maxpool_backward (g, e->masks[i], c, h, w, gin);
      break;
    case ST_OP_AVGPOOL:
      st_avgpool_backward (g, c, h, w, gin);
      break;
    case ST_OP_BLURDOWN:
      st_blurdown_backward (g, c, h, w, gin);
      break;
    }
  return ok;
}

/* grads[input] (or grad_image) += d(node)/d(input)^T grads[i]; frees the
 * node's gradient and mask. */
static gboolean
backward_node (Eval *e, int i, float *grad_image)
{
  const StNode *node = &e->g->nodes[i];
  float *gin;
  int c, h, w;
  gboolean ok = TRUE;

  eval_input_shape (e, node, &c, &h, &w);
  if (node->input >= 0)
    {
      if (!e->grads[node->input]
          && !(e->grads[node->input] = eval_get (
                   e, st_node_size (&e->g->nodes[node->input]) * sizeof (float),
                   TRUE)))
        return FALSE;
      gin = e->grads[node->input];
    }
  else
    gin = grad_image;

  if (gin && e->count && node->op == ST_OP_CONV)
    {
      /* the scratch of the convolution's backward pass, counted */
      size_t sc = st_conv_scratch_floats (node->cin, node->k, h, w);
      eval_put (e, eval_get (e, sc * sizeof (float), FALSE));
    }
  else if (gin && !e->count)
    ok = backward_op (e, node, i, c, h, w, e->grads[i], gin);
  eval_put (e, e->grads[i]);
  e->grads[i] = NULL;
  eval_put (e, e->masks[i]);
  e->masks[i] = NULL;
  return ok;
}

/* Both networks start with a node that keeps the image's size: the
 * preprocessing of VGG19, a level-0 convolution of the embedded one. */
static gboolean
eval_init (Eval *e, const StGraph *g, StPool *pool, StCounter *count)
{
  memset (e, 0, sizeof *e);
  e->pool = pool;
  e->count = count;
  e->g = g;
  e->img_w = g->nodes[0].w;
  e->img_h = g->nodes[0].h;
  e->outs = g_try_new0 (float *, g->n);
  e->grads = g_try_new0 (float *, g->n);
  e->masks = g_try_new0 (uint8_t *, g->n);
  return e->outs && e->grads && e->masks;
}

static void
eval_clear (Eval *e)
{
  for (int i = 0; i < e->g->n; i++)
    {
      eval_put (e, e->outs && e->outs[i] ? e->outs[i] : NULL);
      eval_put (e, e->grads && e->grads[i] ? e->grads[i] : NULL);
      eval_put (e, e->masks && e->masks[i] ? e->masks[i] : NULL);
    }
  g_free (e->outs);
  g_free (e->grads);
  g_free (e->masks);
}

/* After node i: frees the outputs no later node reads (its input's when i
 * was the last reader, its own when nothing reads it).  TRUE when node i
 * is a leaf. */
static gboolean
eval_release (Eval *e, int i)
{
  const StNode *node = &e->g->nodes[i];
  if (node->input >= 0 && e->g->nodes[node->input].last_use == i)
    {
      eval_put (e, e->outs[node->input]);
      e->outs[node->input] = NULL;
    }
  if (node->last_use >= 0)
    return FALSE;
  eval_put (e, e->outs[i]);
  e->outs[i] = NULL;
  return TRUE;
}

/* The losses of node i's tap, their gradients into grads[i]. */
static gboolean
tap_losses (Eval *e, int i, const StTargets *t, double ws, double wc, int *si,
            int *ci, float **scratch, size_t *scratch_size, StLossParts *sum)
{
  const StNode *node = &e->g->nodes[i];
  int n = node->h * node->w;
  if (node->style)
    {
      size_t need = (size_t)node->c * node->c * sizeof (float);
      if (need > *scratch_size)
        {
          eval_put (e, *scratch);
          *scratch_size = need;
          if (!(*scratch = eval_get (e, need, FALSE)))
            return FALSE;
        }
      if (!e->count)
        sum->style
            += ws
               * st_style_loss (e->outs[i], node->c, n, t->gram[*si],
                                t->gram_norm[*si], ws, e->grads[i], *scratch);
      (*si)++;
    }
  if (node->content)
    {
      if (!e->count)
        sum->content
            += wc
               * st_content_loss (e->outs[i], st_node_content_size (node),
                                  t->features[*ci], t->feature_norm[*ci], wc,
                                  e->grads[i]);
      (*ci)++;
    }
  return TRUE;
}

/* One size of scratch for every tiled leaf of the graph (the largest
 * need), so that a pool keeps one buffer for all of them. */
static size_t
tiled_scratch_bytes (const StGraph *g)
{
  size_t floats = 0;
  for (int i = 0; i < g->n; i++)
    if (st_tiled_eligible (&g->nodes[i]))
      floats = MAX (floats, st_tiled_scratch_floats (&g->nodes[i], g->threads));
  return floats * sizeof (float);
}

/* The losses of a tiled leaf i and their gradient into its input's
 * gradient (or grad_image): its output is never held (tiled.c). */
static gboolean
tiled_leaf_loss (Eval *e, int i, const float *image, const StTargets *t,
                 double ws, double wc, int *si, int *ci, float *grad_image,
                 StLossParts *sum)
{
  const StNode *node = &e->g->nodes[i];
  const float *in = node->input >= 0 ? e->outs[node->input] : image;
  float *gin = grad_image, *gram = NULL, *scratch;
  size_t cc = (size_t)node->c * node->c;
  float style_scale = 0.0f, content_scale = 0.0f;
  const float *content_in = NULL; /* the content's input to this node */
  double content_norm = 1.0;
  gboolean ok = TRUE;

  if (grad_image && node->input >= 0)
    {
      const StNode *src = &e->g->nodes[node->input];
      if (!e->grads[node->input]
          && !(e->grads[node->input]
               = eval_get (e, st_node_size (src) * sizeof (float), TRUE)))
        return FALSE;
      gin = e->grads[node->input];
    }
  scratch = eval_get (e, tiled_scratch_bytes (e->g), FALSE);
  if (node->style && !(gram = eval_get (e, cc * sizeof (float), FALSE)))
    ok = FALSE;
  if (!scratch || !ok)
    {
      eval_put (e, scratch);
      eval_put (e, gram);
      return FALSE;
    }
  if (e->count)
    {
      *si += node->style;
      *ci += node->content;
    }
  else
    {
      if (node->style)
        {
          /* D = G - target; L = |D|^2 / norm; dL/dF = 4 D F / (n norm) */
          double norm = MAX (t->gram_norm[*si], 1e-30), loss = 0.0;
          const float *target = t->gram[*si];
          ok = st_tiled_forward (node, in, gram, NULL, scratch, e->g->threads,
                                 e->g->cancel);
          for (size_t p = 0; p < cc; p++)
            {
              gram[p] -= target[p];
              loss += (double)gram[p] * gram[p];
            }
          sum->style += ws * loss / norm;
          style_scale = (float)(ws * 4.0 / ((double)node->h * node->w * norm));
          (*si)++;
        }
      if (node->content)
        {
          content_in = t->features[*ci];
          content_norm = MAX (t->feature_norm[*ci], 1e-30);
          content_scale = (float)(wc * 2.0 / content_norm);
          (*ci)++;
        }
      if (ok && (content_in || gin))
        {
          double sq = st_tiled_backward (
              node, in, gin ? gram : NULL, style_scale, content_in,
              content_scale, gin, scratch, e->g->threads, e->g->cancel);
          sum->content += wc * sq / content_norm;
          ok = !isnan (sq);
        }
    }
  eval_put (e, gram);
  eval_put (e, scratch);
  return ok;
}

/* st_graph_loss, with its buffers from pool or counted by count. */
static StStatus
graph_loss (const StGraph *graph, const float *image, const StTargets *t,
            float *grad_image, StLossParts *parts, StPool *pool,
            StCounter *count, double *loss)
{
  Eval e;
  int si = 0, ci = 0;
  StLossParts sum = { 0.0, 0.0 };
  double wc = t->content_weight / MAX (graph->n_content, 1);
  float *scratch = NULL;
  size_t scratch_size = 0;
  gboolean ok = eval_init (&e, graph, pool, count);

  for (int i = 0; i < graph->n && ok; i++)
    {
      const StNode *node = &graph->nodes[i];
      if (!count && st_graph_cancelled (graph))
        {
          ok = FALSE;
          break;
        }
      double ws = t->style_weight * st_node_style_share (graph, node);
      if (st_tiled_eligible (node))
        {
          ok = tiled_leaf_loss (&e, i, image, t, ws, wc, &si, &ci, grad_image,
                                &sum);
          eval_release (&e, i);
          continue;
        }
      if (!(ok = forward_node (&e, i, image)))
        break;
      if ((node->style || node->content) && grad_image
          && !(e.grads[i]
               = eval_get (&e, st_node_size (node) * sizeof (float), TRUE)))
        ok = FALSE;
      else
        ok = tap_losses (&e, i, t, ws, wc, &si, &ci, &scratch, &scratch_size,
                         &sum);
      /* A leaf's gradient is complete now: send it to its input at once,
       * so that at most one leaf gradient is alive. */
      if (ok && eval_release (&e, i) && e.grads[i])
        ok = backward_node (&e, i, grad_image);
    }
  for (int i = graph->n - 1; i >= 0 && ok && grad_image; i--)
    if (e.grads[i])
      ok = backward_node (&e, i, grad_image)
           && (count || !st_graph_cancelled (graph));
  eval_put (&e, scratch);
  eval_clear (&e);
  if (parts)
    *parts = sum;
  *loss = ok ? sum.style + sum.content : NAN;
  return ok ? ST_OK : st_graph_pass_failure (graph);
}

StStatus
st_graph_pass_failure (const StGraph *graph)
{
  return st_graph_cancelled (graph) ? ST_CANCELLED : ST_ERROR_MEMORY;
}

StStatus
st_graph_loss (const StGraph *graph, const float *image,
               const StTargets *targets, float *grad_image, StLossParts *parts,
               StPool *pool, double *loss)
{
  return graph_loss (graph, image, targets, grad_image, parts, pool, NULL,
                     loss);
}

/* One tap's kept copy in f: the features (for a content-only pass just the
 * channels the content loss compares), or in grams mode a style tap's Gram
 * matrix.  A tiled leaf is computed here, tile by tile. */
static gboolean
keep_tap (Eval *e, int i, const float *image, gboolean style, gboolean grams,
          StFeature *f, float *scratch)
{
  const StNode *node = &e->g->nodes[i];
  const float *in = node->input >= 0 ? e->outs[node->input] : image;
  gboolean gram = grams && style && node->style;
  /* a tiled content tap keeps its input: the features are made again */
  gboolean input = scratch && !gram;
  /* A content-only pass keeps just the channels the content loss compares
   * (the leading ones: CHW makes them one block). */
  gboolean part = !style && node->content_c > 0;
  size_t plane = (size_t)node->h * node->w;
  size_t size = gram    ? (size_t)node->c * node->c
                : input ? (size_t)node->cin * plane
                : part  ? st_node_content_size (node)
                        : st_node_size (node);
  g_strlcpy (f->name, node->name, sizeof f->name);
  f->c = gram ? node->c : (int)(size / plane);
  f->h = node->h;
  f->w = node->w;
  f->style = node->style;
  f->content = node->content;
  f->gram = gram;
  f->input = input;
  /* kept: counted until the end, never handed back */
  if (!(f->data = eval_get (e, size * sizeof (float), FALSE)))
    return FALSE;
  if (e->count)
    return TRUE;
  if (input)
    {
      memcpy (f->data, in, size * sizeof (float));
      f->norm = st_tiled_content_norm (node, in, scratch, e->g->threads,
                                       e->g->cancel);
      return !isnan (f->norm);
    }
  else if (scratch)
    return st_tiled_forward (node, in, f->data, NULL, scratch, e->g->threads,
                             e->g->cancel);
  else if (gram)
    st_gram (e->outs[i], node->c, node->h * node->w, f->data);
  else
    {
      memcpy (f->data, e->outs[i], size * sizeof (float));
      f->norm = st_sum_squares (f->data, size);
    }
  return TRUE;
}

/* st_graph_taps (grams FALSE) and st_graph_targets (grams TRUE), with
 * their buffers from malloc or counted by count. */
static StStatus
graph_taps (const StGraph *graph, const float *image, gboolean style,
            gboolean content, gboolean grams, StFeature **features, int *n_out,
            StCounter *count)
{
  Eval e;
  int n = 0;
  StFeature *f = g_try_new0 (StFeature, graph->n_style + graph->n_content + 1);
  gboolean ok = eval_init (&e, graph, NULL, count) && f;

  for (int i = 0; i < graph->n && ok; i++)
    {
      const StNode *node = &graph->nodes[i];
      gboolean wanted = (style && node->style) || (content && node->content);
      if (grams && st_tiled_eligible (node))
        {
          float *scratch = NULL;
          if (wanted
              && (!(scratch = eval_get (&e, tiled_scratch_bytes (graph), FALSE))
                  || !keep_tap (&e, i, image, style, grams, &f[n++], scratch)))
            ok = FALSE;
          eval_put (&e, scratch);
          eval_release (&e, i);
          continue;
        }
      if (!(ok = forward_node (&e, i, image)))
        break;
      eval_put (&e, e.masks[i]);
      e.masks[i] = NULL;
      if (wanted && !keep_tap (&e, i, image, style, grams, &f[n++], NULL))
        ok = FALSE;
      eval_release (&e, i);
    }
  eval_clear (&e);
  if (!ok || count)
    {
      if (!count)
        st_features_free (f, n);
      else
        g_free (f);
      return ok ? ST_OK : st_graph_pass_failure (graph);
    }
  *features = f;
  *n_out = n;
  return ST_OK;
}

StStatus
st_graph_targets (const StGraph *graph, const float *image, gboolean style,
                  gboolean content, StFeature **features, int *n_out)
{
  return graph_taps (graph, image, style, content, TRUE, features, n_out, NULL);
}

StStatus
st_graph_taps (const StGraph *graph, const float *image, gboolean style,
               gboolean content, StFeature **features, int *n_out)
{
  return graph_taps (graph, image, style, content, FALSE, features, n_out,
                     NULL);
}

StStatus
st_graph_features (const StGraph *graph, const float *image,
                   StFeature **features, int *n_out)
{
  return st_graph_taps (graph, image, TRUE, TRUE, features, n_out);
}

/* --------------------------------------------------------- estimates */

size_t
st_graph_peak_bytes (const StGraph *graph)
{
  StCounter count;
  StTargets none;
  float caller; /* the image and its gradient: the caller's, never read */
  double loss;  /* never computed */
  memset (&none, 0, sizeof none);
  st_counter_init (&count, TRUE);
  graph_loss (graph, &caller, &none, &caller, NULL, NULL, &count, &loss);
  st_counter_clear (&count);
  return count.peak;
}

size_t
st_graph_taps_peak_bytes (const StGraph *graph, gboolean style,
                          gboolean content)
{
  StCounter count;
  StFeature *f = NULL;
  int n = 0;
  st_counter_init (&count, FALSE);
  float caller; /* the image: the caller's, never read */
  graph_taps (graph, &caller, style, content, TRUE, &f, &n, &count);
  st_counter_clear (&count);
  return count.peak;
}
