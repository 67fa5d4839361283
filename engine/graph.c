/* graph.c - the one executor of a network's graph: forward through the
 * layers, the losses at the taps, backward to the image; the targets'
 * pass; and the peak memory of both.  The graph itself is built in
 * graph-build.c; the executor's buffers and node-by-node steps are in
 * graph-eval.c.
 *
 * Run with a counter (counter.c) instead of a pool, the same code walks
 * the graph without computing and without allocating, and says how many
 * bytes it would have held at its peak: the memory estimate is the
 * executor itself, so it cannot drift from it. */
#include "graph-eval.h"

#include <math.h>
#include <string.h>

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
          st_eval_put (e, *scratch);
          *scratch_size = need;
          if (!(*scratch = st_eval_get (e, need, FALSE)))
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

/* The style term of a tap whose Gram G is in gram, made whole by a tiled
 * pass (tiled.c, head.c): gram <- D = G - target, ws |D|^2 / norm added
 * to sum, and dL/dF's factor returned: L = |D|^2 / norm, so dL/dF =
 * 4 D F / (n norm), n the tap's pixels (as st_style_loss). */
static float
tiled_style_term (float *gram, const StTargets *t, int si, const StNode *node,
                  double ws, StLossParts *sum)
{
  size_t cc = (size_t)node->c * node->c;
  double norm = MAX (t->gram_norm[si], 1e-30), loss = 0.0;
  for (size_t p = 0; p < cc; p++)
    {
      gram[p] -= t->gram[si][p];
      loss += (double)gram[p] * gram[p];
    }
  sum->style += ws * loss / norm;
  return (float)(ws * 4.0 / ((double)node->h * node->w * norm));
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
               = st_eval_get (e, st_node_size (src) * sizeof (float), TRUE)))
        return FALSE;
      gin = e->grads[node->input];
    }
  scratch = st_eval_get (e, st_eval_tiled_scratch_bytes (e->g), FALSE);
  if (node->style && !(gram = st_eval_get (e, cc * sizeof (float), FALSE)))
    ok = FALSE;
  if (!scratch || !ok)
    {
      st_eval_put (e, scratch);
      st_eval_put (e, gram);
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
          ok = st_tiled_forward (node, in, gram, NULL, scratch, e->g->threads,
                                 e->g->cancel);
          style_scale = tiled_style_term (gram, t, (*si)++, node, ws, sum);
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
  st_eval_put (e, gram);
  st_eval_put (e, scratch);
  return ok;
}

/* The tiled head's losses: each block's first convolution's style term,
 * its D = G - target kept for the backward pass. */
static gboolean
head_loss (Eval *e, const float *image, const StTargets *t, int *si,
           StLossParts *sum)
{
  for (int b = 0; b < e->g->head_blocks; b++)
    {
      const StNode *node = &e->g->nodes[3 * b + 1];
      size_t cc = (size_t)node->c * node->c * sizeof (float);
      if (node->style && !(e->head_d[b] = st_eval_get (e, cc, FALSE)))
        return FALSE;
    }
  if (!st_eval_head_forward (e, image, e->head_d))
    return FALSE;
  for (int b = 0; b < e->g->head_blocks; b++)
    {
      const StNode *node = &e->g->nodes[3 * b + 1];
      if (!node->style)
        continue;
      if (!e->count)
        e->head_scale[b] = tiled_style_term (
            e->head_d[b], t, *si, node,
            t->style_weight * st_node_style_share (e->g, node), sum);
      (*si)++;
    }
  return TRUE;
}

/* The tiled head's backward pass, from its last pool's gradient (and the
 * style terms) into grad_image; frees them. */
static gboolean
head_backward (Eval *e, const float *image, float *grad_image)
{
  size_t sc = st_head_scratch_floats (e->g) * sizeof (float);
  float *scratch = st_eval_get (e, sc, FALSE);
  gboolean ok = scratch != NULL;
  int last = st_head_nodes (e->g) - 1;
  if (ok && !e->count)
    ok = st_head_backward (e->g, image, e->grads[last],
                           (const float *const *)e->head_d, e->head_scale,
                           grad_image, scratch);
  st_eval_put (e, scratch);
  st_eval_put (e, e->grads[last]);
  e->grads[last] = NULL;
  for (int b = 0; b < ST_HEAD_MAX_BLOCKS; b++)
    {
      st_eval_put (e, e->head_d[b]);
      e->head_d[b] = NULL;
    }
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
  gboolean ok = st_eval_init (&e, graph, pool, count);

  for (int i = 0; i < graph->n && ok; i++)
    {
      const StNode *node = &graph->nodes[i];
      if (!count && st_graph_cancelled (graph))
        {
          ok = FALSE;
          break;
        }
      double ws = t->style_weight * st_node_style_share (graph, node);
      if (i == 0 && st_head_tiled (graph))
        {
          ok = head_loss (&e, image, t, &si, &sum);
          i = st_head_nodes (graph) - 1;
          continue;
        }
      if (st_tiled_eligible (node))
        {
          ok = tiled_leaf_loss (&e, i, image, t, ws, wc, &si, &ci, grad_image,
                                &sum);
          st_eval_release (&e, i);
          continue;
        }
      if (!(ok = st_eval_forward (&e, i, image)))
        break;
      if ((node->style || node->content) && grad_image
          && !(e.grads[i]
               = st_eval_get (&e, st_node_size (node) * sizeof (float), TRUE)))
        ok = FALSE;
      else
        ok = tap_losses (&e, i, t, ws, wc, &si, &ci, &scratch, &scratch_size,
                         &sum);
      /* A leaf's gradient is complete now: send it to its input at once,
       * so that at most one leaf gradient is alive. */
      if (ok && st_eval_release (&e, i) && e.grads[i])
        ok = st_eval_backward (&e, i, grad_image);
    }
  for (int i = graph->n - 1; i >= 0 && ok && grad_image; i--)
    if (i == st_head_nodes (graph) - 1 && st_head_tiled (graph))
      {
        ok = head_backward (&e, image, grad_image);
        break;
      }
    else if (e.grads[i])
      ok = st_eval_backward (&e, i, grad_image)
           && (count || !st_graph_cancelled (graph));
  st_eval_put (&e, scratch);
  st_eval_clear (&e);
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
  if (!(f->data = st_eval_get (e, size * sizeof (float), FALSE)))
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

/* The tiled head in the targets' pass: its last pool's output, and each
 * block's first convolution's Gram kept in f[*n] on when it is a wanted
 * style tap. */
static gboolean
head_taps (Eval *e, const float *image, gboolean style, StFeature *f, int *n)
{
  float *grams[ST_HEAD_MAX_BLOCKS] = { NULL };
  for (int b = 0; b < e->g->head_blocks; b++)
    {
      const StNode *node = &e->g->nodes[3 * b + 1];
      StFeature *kept = &f[*n];
      if (!(style && node->style))
        continue;
      (*n)++;
      g_strlcpy (kept->name, node->name, sizeof kept->name);
      kept->c = node->c;
      kept->h = node->h;
      kept->w = node->w;
      kept->style = TRUE;
      kept->gram = TRUE;
      /* kept: counted until the end, never handed back */
      kept->data = grams[b]
          = st_eval_get (e, (size_t)node->c * node->c * sizeof (float), FALSE);
      if (!kept->data)
        return FALSE;
    }
  return st_eval_head_forward (e, image, grams);
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
  gboolean ok = st_eval_init (&e, graph, NULL, count) && f;

  for (int i = 0; i < graph->n && ok; i++)
    {
      const StNode *node = &graph->nodes[i];
      gboolean wanted = (style && node->style) || (content && node->content);
      if (i == 0 && grams && st_head_tiled (graph))
        {
          ok = head_taps (&e, image, style, f, &n);
          i = st_head_nodes (graph) - 1;
          continue;
        }
      if (grams && st_tiled_eligible (node))
        {
          float *scratch = NULL;
          if (wanted
              && (!(scratch = st_eval_get (
                        &e, st_eval_tiled_scratch_bytes (graph), FALSE))
                  || !keep_tap (&e, i, image, style, grams, &f[n++], scratch)))
            ok = FALSE;
          st_eval_put (&e, scratch);
          st_eval_release (&e, i);
          continue;
        }
      if (!(ok = st_eval_forward (&e, i, image)))
        break;
      st_eval_put (&e, e.masks[i]);
      e.masks[i] = NULL;
      if (wanted && !keep_tap (&e, i, image, style, grams, &f[n++], NULL))
        ok = FALSE;
      st_eval_release (&e, i);
    }
  st_eval_clear (&e);
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
