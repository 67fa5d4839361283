/* graph-eval.c - the executor's buffers and its node-by-node steps:
 * forward and backward through one node, the outputs freed after their
 * last use, and the tiled head's forward pass, which graph.c's loss and
 * targets' passes share (graph-eval.h).
 *
 * Every buffer the executor uses comes from st_eval_get and goes back
 * through st_eval_put.  Run with a counter (counter.c) instead of a pool,
 * the same code walks the graph without computing and without
 * allocating, and says how many bytes it would have held at its peak: the
 * memory estimate is the executor itself, so it cannot drift from it. */
#include "graph-eval.h"

#include <string.h>

/* ---------------------------------------------------------- executor */

void *
st_eval_get (Eval *e, size_t bytes, gboolean zero)
{
  return e->count ? st_counter_get (e->count, bytes)
                  : st_pool_get (e->pool, bytes, zero);
}

void
st_eval_put (Eval *e, void *ptr)
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

gboolean
st_eval_forward (Eval *e, int i, const float *image)
{
  const StNode *node = &e->g->nodes[i];
  const float *in = node->input >= 0 ? e->outs[node->input] : image;
  int c, h, w;
  float *out = st_eval_get (e, st_node_size (node) * sizeof (float), FALSE);
  gboolean ok = TRUE;
  eval_input_shape (e, node, &c, &h, &w);
  if (!out)
    return FALSE;
  e->outs[i] = out;
  if ((node->op == ST_OP_CONV || node->op == ST_OP_MAXPOOL)
      && !(e->masks[i] = st_eval_get (e, st_node_size (node), FALSE)))
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
        float *scratch = st_eval_get (e, sc * sizeof (float), FALSE);
        if (sc && !scratch)
          return FALSE;
        if (!e->count)
          ok = st_conv_forward (in, node->cin, h, w, node->weight, node->bias,
                                node->c, node->k, node->pad, out, e->masks[i],
                                scratch, e->g->threads);
        st_eval_put (e, scratch);
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
        float *scratch = st_eval_get (e, sc * sizeof (float), FALSE);
        st_relu_backward (g, e->masks[i], st_node_size (node));
        ok = (!sc || scratch)
             && st_conv_backward (g, node->cin, h, w, node->weight, node->c,
                                  node->k, node->pad, gin, scratch,
                                  e->g->threads);
        st_eval_put (e, scratch);
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
gboolean
st_eval_backward (Eval *e, int i, float *grad_image)
{
  const StNode *node = &e->g->nodes[i];
  float *gin;
  int c, h, w;
  gboolean ok = TRUE;

  eval_input_shape (e, node, &c, &h, &w);
  if (node->input >= 0)
    {
      if (!e->grads[node->input]
          && !(e->grads[node->input] = st_eval_get (
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
      st_eval_put (e, st_eval_get (e, sc * sizeof (float), FALSE));
    }
  else if (gin && !e->count)
    ok = backward_op (e, node, i, c, h, w, e->grads[i], gin);
  st_eval_put (e, e->grads[i]);
  e->grads[i] = NULL;
  st_eval_put (e, e->masks[i]);
  e->masks[i] = NULL;
  return ok;
}

/* Both networks start with a node that keeps the image's size: the
 * preprocessing of VGG19, a level-0 convolution of the embedded one. */
gboolean
st_eval_init (Eval *e, const StGraph *g, StPool *pool, StCounter *count)
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

void
st_eval_clear (Eval *e)
{
  for (int i = 0; i < e->g->n; i++)
    {
      st_eval_put (e, e->outs && e->outs[i] ? e->outs[i] : NULL);
      st_eval_put (e, e->grads && e->grads[i] ? e->grads[i] : NULL);
      st_eval_put (e, e->masks && e->masks[i] ? e->masks[i] : NULL);
    }
  for (int b = 0; b < ST_HEAD_MAX_BLOCKS; b++)
    st_eval_put (e, e->head_d[b]);
  g_free (e->outs);
  g_free (e->grads);
  g_free (e->masks);
}

/* After node i: frees the outputs no later node reads (its input's when i
 * was the last reader, its own when nothing reads it).  TRUE when node i
 * is a leaf. */
gboolean
st_eval_release (Eval *e, int i)
{
  const StNode *node = &e->g->nodes[i];
  if (node->input >= 0 && e->g->nodes[node->input].last_use == i)
    {
      st_eval_put (e, e->outs[node->input]);
      e->outs[node->input] = NULL;
    }
  if (node->last_use >= 0)
    return FALSE;
  st_eval_put (e, e->outs[i]);
  e->outs[i] = NULL;
  return TRUE;
}

/* One size of scratch for every tiled leaf of the graph (the largest
 * need), so that a pool keeps one buffer for all of them. */
size_t
st_eval_tiled_scratch_bytes (const StGraph *g)
{
  size_t floats = 0;
  for (int i = 0; i < g->n; i++)
    if (st_tiled_eligible (&g->nodes[i]))
      floats = MAX (floats, st_tiled_scratch_floats (&g->nodes[i], g->threads));
  return floats * sizeof (float);
}

/* The tiled head's forward pass (head.c): its last pool's output into its
 * outs, block b's first convolution's Gram into gram[b] when not NULL. */
gboolean
st_eval_head_forward (Eval *e, const float *image, float *const *gram)
{
  int last = st_head_nodes (e->g) - 1;
  size_t sc = st_head_scratch_floats (e->g) * sizeof (float);
  float *scratch = st_eval_get (e, sc, FALSE);
  float *out = st_eval_get (
      e, st_node_size (&e->g->nodes[last]) * sizeof (float), FALSE);
  gboolean ok = scratch && out;
  e->outs[last] = out;
  if (ok && !e->count)
    ok = st_head_forward (e->g, image, out, gram, scratch);
  st_eval_put (e, scratch);
  return ok;
}
