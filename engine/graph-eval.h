/* graph-eval.h - what the executor's two passes share (graph.c: the
 * loss and the targets' pass, with their peak memory): its buffers and
 * the node-by-node steps, in graph-eval.c.  Private to the two files. */
#ifndef ST_GRAPH_EVAL_H
#define ST_GRAPH_EVAL_H

#include "network.h"

G_BEGIN_DECLS

/* One pass's state.  Every buffer comes from st_eval_get and goes back
 * through st_eval_put: from the pool (or malloc), or counted by count
 * instead (then nothing is computed or allocated). */
typedef struct
{
  const StGraph *g;
  int img_h, img_w;
  StPool *pool;     /* where buffers come from; NULL = malloc      */
  StCounter *count; /* instead of pool: count, compute nothing     */
  float **outs;     /* (n) forward outputs, freed after last use   */
  float **grads;    /* (n) gradients wrt outputs                   */
  uint8_t **masks;  /* (n) ReLU masks / max-pool argmax            */
  /* the tiled head's D = G - target at each block (head.c), and its
   * style scale */
  float *head_d[ST_HEAD_MAX_BLOCKS];
  float head_scale[ST_HEAD_MAX_BLOCKS];
} Eval;

/* A buffer of `bytes` (zeroed when zero), or a counted name; NULL when
 * out of memory. */
void *st_eval_get (Eval *e, size_t bytes, gboolean zero);
void st_eval_put (Eval *e, void *ptr);
gboolean st_eval_init (Eval *e, const StGraph *g, StPool *pool,
                       StCounter *count);
void st_eval_clear (Eval *e);
/* Node i forward into outs[i] (with its mask). */
gboolean st_eval_forward (Eval *e, int i, const float *image);
/* grads[input] (or grad_image) += d(node)/d(input)^T grads[i]; frees the
 * node's gradient and mask. */
gboolean st_eval_backward (Eval *e, int i, float *grad_image);
/* After node i: frees the outputs no later node reads.  TRUE when node i
 * is a leaf. */
gboolean st_eval_release (Eval *e, int i);
/* One size of scratch for every tiled leaf of the graph. */
size_t st_eval_tiled_scratch_bytes (const StGraph *g);
/* The tiled head's forward pass (head.c): its last pool's output into its
 * outs, block b's first convolution's Gram into gram[b] when not NULL. */
gboolean st_eval_head_forward (Eval *e, const float *image, float *const *gram);

G_END_DECLS

#endif
