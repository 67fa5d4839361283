/* graph.h - a network as a small graph of layers, built for one image
 * size, and the executor that runs it: forward with the losses at its taps,
 * then backward to the image.  The builders live in embedded.c and
 * vgg19.c, what they share in graph-build.c, the executor and its memory
 * estimates in graph.c, the counting pool they run with in counter.c. */
#ifndef ST_GRAPH_H
#define ST_GRAPH_H

#include "ops.h"

G_BEGIN_DECLS

typedef enum
{
  ST_OP_PREPROCESS, /* per-channel affine, with a channel permutation */
  ST_OP_CONV,       /* convolution with bias, ReLU fused              */
  ST_OP_MAXPOOL,
  ST_OP_AVGPOOL,
  ST_OP_BLURDOWN /* 5x5 binomial blur, stride 2 */
} StOp;

typedef struct
{
  StOp op;
  int input;   /* index of the input node; -1 = the image */
  int c, h, w; /* output shape (c, h, w)                  */
  /* ST_OP_CONV */
  int cin, k;
  StPad pad;
  const float *weight; /* (c, cin, k, k) */
  const float *bias;   /* (c) or NULL    */
  /* ST_OP_PREPROCESS: out[o] = in[perm[o]] * scale[o] + shift[o] */
  int perm[3];
  float scale[3], shift[3];
  /* taps: where the losses read the features; the content taps weigh the
   * same, a style tap its style_share (0 counts as 1) of the style term */
  char name[16];
  gboolean style, content;
  double style_share;
  int content_c; /* leading channels the content loss compares; 0 all */
  int level;     /* a style tap's pyramid level (embedded); -1 none   */
  int last_use;  /* last node reading this one's output; -1 none      */
} StNode;

typedef struct
{
  int n;
  StNode *nodes; /* (n), in evaluation order */
  int n_style, n_content;
  double style_shares; /* sum of the style taps' shares */
  const gint *cancel;  /* when not NULL and *cancel != 0, a pass stops
                          early and fails (StParams.cancel)            */
  int threads;         /* the engine threads of a pass (the run's count,
                          st_graph_build's argument)                   */
  int head_blocks;     /* the blocks of VGG's head run tile by tile
                          (head.c): 0 (node by node), 1 or 2          */
  int head_tile;       /* its tile side in its last pool's outputs    */
} StGraph;

/* A style tap's weight within the style term (the shares add up to 1). */
static inline double
st_node_style_share (const StGraph *graph, const StNode *node)
{
  return (node->style_share > 0 ? node->style_share : 1.0)
         / MAX (graph->style_shares, 1e-30);
}

/* TRUE when the graph's run was cancelled. */
static inline gboolean
st_graph_cancelled (const StGraph *graph)
{
  return graph->cancel && g_atomic_int_get (graph->cancel);
}

/* The graph of `network` for an image of w x h, its passes run on `threads`
 * threads (1 or more: a run's resolved count; the tiled leaves' scratch,
 * and so the peak memory, grows with it).  levels: pyramid levels of
 * the embedded network (0 = chosen from the size); ignored by VGG19.
 * ST_OK, or ST_ERROR_INVALID (too small) or ST_ERROR_MEMORY with the error
 * set to match. */
StStatus st_graph_build (const StNetwork *network, int w, int h,
                         StPooling pooling, int levels, int threads,
                         StGraph *graph, GError **error);
void st_graph_clear (StGraph *graph);
/* The smallest short side the network accepts. */
int st_graph_min_side (const StNetwork *network);
/* The pyramid levels a painting's graph has at a w x h scale: the
 * scale's own, so that its Gram matrices pair with the scale's (0 for
 * VGG19, which has no pyramid). */
int st_graph_style_levels (const StNetwork *network, int w, int h);
/* For the builders: appends a node reading `input` (its shape copied from
 * the input); NULL when out of memory. */
StNode *st_graph_add (StGraph *graph, StOp op, int input);

/* What the losses compare the taps with. */
typedef struct
{
  float **gram;         /* (n_style) each (c, c)      */
  double *gram_norm;    /* (n_style)                  */
  float **features;     /* (n_content) each (c, h, w), or for a tiled leaf
                           its input (cin, h, w): see st_graph_targets */
  double *feature_norm; /* (n_content)                */
  double style_weight, content_weight; /* per whole term             */
} StTargets;

typedef struct
{
  double style, content; /* weighted */
} StLossParts;

/* The style taps of graph that read the image itself and have no content
 * term (the embedded network's finest level and its colour tap) as a
 * graph of their own, each weighing what it weighs in graph (the same
 * sum of shares), and in fine_t their targets from t (the matrices
 * borrowed: they stay t's).  Returns their number: 0 for a graph with
 * none (VGG19), -1 out of memory (both then empty).  Freed by
 * st_graph_fine_clear. */
int st_graph_fine_part (const StGraph *graph, const StTargets *t, StGraph *fine,
                        StTargets *fine_t);
void st_graph_fine_clear (StGraph *fine, StTargets *fine_t);

/* Every pass below returns ST_OK, ST_CANCELLED (the graph's cancel flag
 * stopped it) or ST_ERROR_MEMORY (an allocation failed: every other failure
 * of the executor and its kernels is one), and sets no error. */
StStatus st_graph_pass_failure (const StGraph *graph); /* which of the two */

/* Forward and backward through the graph for image (3, h, w): *loss = the
 * weighted style + content loss (NaN unless ST_OK; a NaN or infinite loss
 * of a pass that ran is ST_OK: the caller judges it), and ADDS its gradient
 * to grad_image (when not NULL).  pool may be NULL. */
StStatus st_graph_loss (const StGraph *graph, const float *image,
                        const StTargets *targets, float *grad_image,
                        StLossParts *parts, StPool *pool, double *loss);
/* Forward only, returning copies of the tap features. */
StStatus st_graph_features (const StGraph *graph, const float *image,
                            StFeature **features, int *n);
/* The same, copying only the style taps, or only the content taps (of
 * these only the channels the content loss compares). */
StStatus st_graph_taps (const StGraph *graph, const float *image,
                        gboolean style, gboolean content, StFeature **features,
                        int *n);
/* Floats of a node's output (c, h, w). */
size_t st_node_size (const StNode *node);
/* Floats of a content tap's target: its first content_c channels. */
size_t st_node_content_size (const StNode *node);
/* Peak bytes of st_graph_loss with a pool, and of st_graph_taps: the
 * executor itself, run with a pool that counts instead of allocating. */
size_t st_graph_peak_bytes (const StGraph *graph);
size_t st_graph_taps_peak_bytes (const StGraph *graph, gboolean style,
                                 gboolean content);
/* tiled.c: a convolution leaf (cin * k * k small, its output read only by
 * its own losses) run tile by tile, its output never held whole.  F are
 * the node's features for input in (cin, h, w), T the content's, made
 * from content_in (cin, h, w), the content's input to the node:
 *   forward:  gram (c, c) = F F^T / n when gram is not NULL; content
 *             (content_c, h, w) = F's leading channels when not NULL;
 *   backward: grad_in (cin, h, w) += dL/d(in) for dL/dF = style_scale d F
 *             + content_scale (F - T) (leading channels), d (c, c) =
 *             G - target, symmetric (upper triangle read), or NULL;
 *             returns |F - T|^2 over the leading channels (0 without
 *             content_in).  grad_in may be NULL: the content term is
 *             only measured;
 *   content norm: |T|^2 over the leading channels.
 * threads: the run's count, which the rows of tiles are shared out
 * between; scratch holds st_tiled_scratch_floats (node, threads) floats.
 * Each stops between two rows of tiles once *cancel is not 0 (cancel may
 * be NULL): FALSE, or NaN. */
gboolean st_tiled_eligible (const StNode *node);
size_t st_tiled_scratch_floats (const StNode *node, int threads);
gboolean st_tiled_forward (const StNode *node, const float *in, float *gram,
                           float *content, float *scratch, int threads,
                           const gint *cancel);
double st_tiled_backward (const StNode *node, const float *in, const float *d,
                          float style_scale, const float *content_in,
                          float content_scale, float *grad_in, float *scratch,
                          int threads, const gint *cancel);
double st_tiled_content_norm (const StNode *node, const float *content_in,
                              float *scratch, int threads, const gint *cancel);

/* head.c: VGG19's first blocks, the graph's first st_head_nodes nodes
 * (preprocessing, then graph->head_blocks blocks: conv1_1, conv1_2,
 * pool1, and with two conv2_1, conv2_2, pool2; each block's first
 * convolution may be a style tap), run tile by tile (graph->head_tile
 * outputs of the last pool a side) so that no map of the blocks is ever
 * held whole.  For image (3, H, W):
 *   forward:  pool (the last pool's whole output) = the head's output;
 *             gram[b] (c, c) = block b's first convolution's Gram F F^T /
 *             n when gram[b] is not NULL;
 *   backward: grad_image += dL/d(image) for dL/d(last pool) = grad_pool
 *             (may be NULL) and dL/dF = style_scale[b] d[b] F at block
 *             b's first convolution, d[b] (c, c) = G - target, symmetric
 *             (upper triangle read), or NULL (d itself may be NULL).
 * scratch holds st_head_scratch_floats (graph) floats.  FALSE when the
 * graph's cancel flag stopped it, or a convolution found no memory.
 * st_head_eligible: the blocks the graph's shape allows (0, 1 or 2). */
#define ST_HEAD_MAX_BLOCKS 2
#define ST_HEAD_TILE 64  /* one block: pool1 outputs, 128 image pixels  */
#define ST_HEAD_TILE2 64 /* two: pool2 outputs, 256 image pixels         */
int st_head_eligible (const StGraph *graph);
size_t st_head_scratch_floats (const StGraph *graph);
gboolean st_head_forward (const StGraph *graph, const float *image, float *pool,
                          float *const *gram, float *scratch);
gboolean st_head_backward (const StGraph *graph, const float *image,
                           const float *grad_pool, const float *const *d,
                           const float *style_scale, float *grad_image,
                           float *scratch);
/* TRUE when the graph's head runs tile by tile; its nodes: the
 * preprocessing and 3 a block. */
static inline gboolean
st_head_tiled (const StGraph *graph)
{
  return graph->head_blocks > 0 && graph->head_tile > 0;
}
static inline int
st_head_nodes (const StGraph *graph)
{
  return 3 * graph->head_blocks + 1;
}

/* The targets' pass: like st_graph_taps, but each style tap comes as its
 * Gram matrix (c, c) (StFeature.gram set), a tiled leaf's content tap as
 * the node's input (StFeature.input set), and the tiled leaves never hold
 * their whole output.  Every content tap's |target|^2 is in .norm.  What
 * the driver uses. */
StStatus st_graph_targets (const StGraph *graph, const float *image,
                           gboolean style, gboolean content,
                           StFeature **features, int *n);

/* counter.c: what a pool would hold, without the memory.  reuse: as
 * StPool, a returned buffer stays held for the next request of its size;
 * else as plain malloc and free.  get returns a name, not memory: never
 * read or written through.  peak is the most bytes held at once. */
typedef struct
{
  GArray *slots; /* private */
  gboolean reuse;
  gsize next_token;
  size_t held, peak;
} StCounter;

void st_counter_init (StCounter *c, gboolean reuse);
void *st_counter_get (StCounter *c, size_t bytes);
void st_counter_put (StCounter *c, void *ptr);
void st_counter_clear (StCounter *c);

/* Floating-point operations of one forward + backward pass. */
double st_graph_flops (const StGraph *graph);

G_END_DECLS

#endif
