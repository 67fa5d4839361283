/* head.c - VGG19's first two blocks run tile by tile.
 *
 * The head is the graph's first nodes: the preprocessing, then one or two
 * blocks of two 3 x 3 convolutions and a 2 x 2 pool: conv1_1 (3 -> 64, a
 * style tap), conv1_2, pool1, and where the graph goes on so, conv2_1
 * (64 -> 128, a style tap), conv2_2, pool2.  Run node by node, these
 * write 64 maps at the image's full size and 128 at a quarter of it,
 * held with their ReLU masks and gradients: at a 1920 x 1200 photo 590
 * MB a full-size map, 295 MB a quarter-size one, most of the 4.8 GB a
 * pass took (issue 19).  Here the head is run one tile of the last pool's
 * outputs at a time, as tiled.c runs the embedded network's leaves:
 *
 *   forward   for each tile, the preprocessed image with a halo, then
 *             each block on it; the tile's own outputs of the last pool
 *             are written into its whole output, and each block's first
 *             convolution's Gram accumulated over the tile's own pixels
 *             of it (at its own level);
 *   backward  once the rest of the network has given the last pool's
 *             gradient and each D = G - target is known, each tile is
 *             made again and the gradient goes back from its own pool
 *             outputs, through the blocks, each first convolution's style
 *             term added at its own pixels, into the image's, the halos
 *             of neighbouring tiles adding up.
 *
 * Exact: each 3 x 3 convolution is right 1 pixel further in than its
 * input, so a block's buffers reach 2 pixels (at its level) past what its
 * pool reads, and the pooled outputs are the next block's input with its
 * own halo: 2 pixels at the image for one block, 2 + 2 * 2 = 6 for two.
 * The buffers are zero where they lie outside the image at their level:
 * every convolution's input (the preprocessed image, a block's first
 * convolution's output, the pool before's outputs) is zeroed there before
 * the convolution reads it, so that each sees its own zero padding at the
 * image's edges only (a convolution of a padded input is not the padded
 * convolution); in the backward pass the gradients there are padding's,
 * and zeroed.  Tiles
 * start at multiples of 2 (one block) or 4 (two) image pixels, so each
 * pool's windows are the whole image's.  Where a side is odd a pool
 * drops the last row or column that the Gram before it counts: the last
 * row and column of tiles own them, at each level.  The recomputation
 * costs one forward pass of the head per backward pass, and the halos a
 * few per cent more; the kernels are the whole image's (Winograd for all
 * but conv1_1). */
#include "graph.h"

#include "blas.h"
#include <string.h>

/* One block at its level, and its buffers for the tile being run (in the
 * scratch). */
typedef struct
{
  const StNode *ca, *cb, *pool; /* its convolutions (ca maybe a style tap) */
  int H, W;                     /* its level: the image at ca's size    */
  int y0, x0, hb, wb;           /* its buffers: origin in it, size      */
  int oy0, oy1, ox0, ox1;       /* the tile's own pixels of ca          */
  float *in;                    /* (cin, hb, wb) input; its gradient    */
  float *ya, *ga;               /* (ca, hb, wb) ca after ReLU; gradient */
  float *yb;                    /* (cb, hb, wb) cb after ReLU; gradient */
  float *p;                     /* (cb, hb / 2, wb / 2) pooled; gradient */
  float *own, *own_g;           /* (ca, own pixels) ca's own; gradient  */
  uint8_t *ma, *mb, *arg;       /* ReLU masks, max-pool argmax          */
} Block;

/* The head: its blocks, the tile being run, the convolutions' scratch. */
typedef struct
{
  const StGraph *g;
  const StNode *pre;
  int nb;               /* blocks                                 */
  int PH, PW;           /* the last pool's output                 */
  int py0, px0, ph, pw; /* the tile's own outputs of it           */
  Block b[ST_HEAD_MAX_BLOCKS];
  float *conv;
} Head;

static gboolean
head_conv_node (const StNode *node, int input, int cin)
{
  return node->op == ST_OP_CONV && node->input == input && node->cin == cin
         && node->k == 3 && node->pad == ST_PAD_ZERO && !node->content;
}

/* Nodes first .. first + 2 are a block: two convolutions, a pool. */
static gboolean
head_block_node (const StGraph *g, int first)
{
  const StNode *n = g->nodes + first;
  return g->n > first + 3 && head_conv_node (&n[0], first - 1, n[-1].c)
         && head_conv_node (&n[1], first, n[0].c) && !n[1].style
         && (n[2].op == ST_OP_MAXPOOL || n[2].op == ST_OP_AVGPOOL)
         && n[2].input == first + 1 && !n[2].style && !n[2].content;
}

/* Nothing after the head of `blocks` reads its nodes but its last. */
static gboolean
head_closed (const StGraph *g, int blocks)
{
  int last = 3 * blocks;
  for (int i = last + 1; i < g->n; i++)
    if (g->nodes[i].input < last)
      return FALSE;
  return g->nodes[last].last_use >= 0;
}

int
st_head_eligible (const StGraph *g)
{
  const StNode *n = g->nodes;
  int blocks = 0;
  if (g->n < 1 || n[0].op != ST_OP_PREPROCESS || n[0].style || n[0].content)
    return 0;
  while (blocks < ST_HEAD_MAX_BLOCKS && head_block_node (g, 3 * blocks + 1))
    blocks++;
  while (blocks > 0 && !head_closed (g, blocks))
    blocks--;
  return blocks;
}

/* The buffers' side at block b for a tile of t outputs of the last pool. */
static int
head_side (const Head *h, int b, int t)
{
  int s = 2 * t + 4;
  for (int i = h->nb - 1; i > b; i--)
    s = 2 * s + 4;
  return s;
}

/* Floats of a convolution's scratch on an h x w buffer, either pass. */
static size_t
conv_floats (const StNode *node, int h, int w)
{
  if (st_winograd_applies (node->cin, node->c, node->k, node->pad))
    return st_winograd_scratch_floats (node->cin, node->c, h, w);
  return st_conv_scratch_floats (node->cin, node->k, h, w);
}

/* Floats of the convolutions' scratch for every size of tile that runs
 * (the largest tile's is not always the most: Winograd balances its
 * bands, so that a smaller tile may have a larger band). */
static size_t
head_conv_floats (const Head *h, int t)
{
  size_t most = 0;
  int ph[2] = { MIN (t, h->PH), h->PH % t },
      pw[2] = { MIN (t, h->PW), h->PW % t };
  for (int i = 0; i < 4; i++)
    for (int b = 0; b < h->nb && ph[i / 2] > 0 && pw[i % 2] > 0; b++)
      {
        int hb = head_side (h, b, ph[i / 2]), wb = head_side (h, b, pw[i % 2]);
        most = MAX (most, MAX (conv_floats (h->b[b].ca, hb, wb),
                               conv_floats (h->b[b].cb, hb, wb)));
      }
  return most;
}

/* The head of g, before any tile. */
static void
head_init (Head *h, const StGraph *g)
{
  memset (h, 0, sizeof *h);
  h->g = g;
  h->pre = &g->nodes[0];
  h->nb = MAX (g->head_blocks, 1);
  for (int b = 0; b < h->nb; b++)
    {
      Block *k = &h->b[b];
      k->ca = &g->nodes[3 * b + 1], k->cb = k->ca + 1, k->pool = k->ca + 2;
      k->H = k->ca->h, k->W = k->ca->w;
    }
  h->PH = h->b[h->nb - 1].pool->h, h->PW = h->b[h->nb - 1].pool->w;
}

#define PLACE(ptr, type, count)                                                \
  do                                                                           \
    {                                                                          \
      if (scratch)                                                             \
        ptr = (type *)(scratch + at);                                          \
      at += ((count) * sizeof (type) + sizeof (float) - 1) / sizeof (float);   \
    }                                                                          \
  while (0)

/* Places block b's buffers for the largest tile from scratch + at (NULL
 * scratch: only counts); the floats after them. */
static size_t
head_block_layout (Head *h, int b, float *scratch, size_t at)
{
  Block *k = &h->b[b];
  int t = MAX (h->g->head_tile, 1);
  int hb = head_side (h, b, MIN (t, h->PH)),
      wb = head_side (h, b, MIN (t, h->PW));
  size_t px = (size_t)hb * wb, ca = k->ca->c, cb = k->cb->c;
  size_t own = (size_t)MIN (hb - 3, k->H) * MIN (wb - 3, k->W);
  PLACE (k->in, float, k->ca->cin *px);
  PLACE (k->ya, float, ca *px);
  PLACE (k->ga, float, ca *px);
  PLACE (k->yb, float, cb *px);
  PLACE (k->p, float, cb *px / 4);
  PLACE (k->own, float, ca *own);
  PLACE (k->own_g, float, ca *own);
  PLACE (k->ma, uint8_t, ca * px);
  PLACE (k->mb, uint8_t, cb * px);
  PLACE (k->arg, uint8_t, cb * px / 4);
  return at;
}

/* Places the buffers of h in scratch (NULL: only counts); the floats. */
static size_t
head_layout (Head *h, float *scratch)
{
  size_t at = 0;
  head_init (h, h->g);
  for (int b = 0; b < h->nb; b++)
    at = head_block_layout (h, b, scratch, at);
  PLACE (h->conv, float, head_conv_floats (h, MAX (h->g->head_tile, 1)));
  return at;
}
#undef PLACE

size_t
st_head_scratch_floats (const StGraph *g)
{
  Head h;
  h.g = g;
  return head_layout (&h, NULL);
}

/* Places the tile at the last pool's output (py0, px0): each block's
 * buffers reach 2 pixels past what its pool reads, which is the next
 * block's buffer. */
static void
head_place (Head *h, int py0, int px0)
{
  int t = h->g->head_tile, hb, wb, y0, x0;
  h->py0 = py0, h->px0 = px0;
  h->ph = MIN (t, h->PH - py0), h->pw = MIN (t, h->PW - px0);
  hb = 2 * h->ph + 4, wb = 2 * h->pw + 4, y0 = 2 * py0 - 2, x0 = 2 * px0 - 2;
  for (int b = h->nb - 1; b >= 0; b--)
    {
      Block *k = &h->b[b];
      int s = 1 << (h->nb - b);
      k->hb = hb, k->wb = wb, k->y0 = y0, k->x0 = x0;
      /* the last row and column of tiles own an odd level's last
       * pixels, which its pool drops but its Gram counts */
      k->oy0 = s * py0, k->ox0 = s * px0;
      k->oy1 = py0 + h->ph == h->PH ? k->H : s * (py0 + h->ph);
      k->ox1 = px0 + h->pw == h->PW ? k->W : s * (px0 + h->pw);
      hb = 2 * hb + 4, wb = 2 * wb + 4, y0 = 2 * y0 - 2, x0 = 2 * x0 - 2;
    }
}

/* The first block's input <- the preprocessed image under its buffers,
 * zero outside it. */
static void
head_read (Head *h, const float *image)
{
  const Block *k = &h->b[0];
  size_t plane = (size_t)k->H * k->W;
  for (int o = 0; o < 3; o++)
    {
      const float *src = image + (size_t)h->pre->perm[o] * plane;
      float scale = h->pre->scale[o], shift = h->pre->shift[o];
      for (int y = 0; y < k->hb; y++)
        {
          int iy = k->y0 + y;
          float *d = k->in + ((size_t)o * k->hb + y) * k->wb;
          for (int x = 0; x < k->wb; x++)
            {
              int ix = k->x0 + x;
              d[x] = iy < 0 || iy >= k->H || ix < 0 || ix >= k->W
                         ? 0.0f
                         : src[(size_t)iy * k->W + ix] * scale + shift;
            }
        }
    }
}

/* grad_image += the preprocessing's gradient of the first block's input,
 * inside the image. */
static void
head_write_gradient (const Head *h, float *grad_image)
{
  const Block *k = &h->b[0];
  size_t plane = (size_t)k->H * k->W;
  int xa = MAX (0, -k->x0), xb = MIN (k->wb, k->W - k->x0);
  for (int o = 0; o < 3; o++)
    {
      float *dst = grad_image + (size_t)h->pre->perm[o] * plane;
      float scale = h->pre->scale[o];
      for (int y = MAX (0, -k->y0); y < MIN (k->hb, k->H - k->y0); y++)
        {
          const float *s = k->in + ((size_t)o * k->hb + y) * k->wb;
          float *d = dst + (size_t)(k->y0 + y) * k->W;
          for (int x = xa; x < xb; x++)
            d[k->x0 + x] += s[x] * scale;
        }
    }
}

/* buf (c, hb, wb) of block k <- 0 outside its level: a convolution's
 * padding. */
static void
head_zero_outside (const Block *k, float *buf, int c)
{
  int xa = MAX (0, -k->x0), xb = MIN (k->wb, k->W - k->x0);
  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < k->hb; y++)
      {
        float *row = buf + ((size_t)ch * k->hb + y) * k->wb;
        int iy = k->y0 + y;
        if (iy < 0 || iy >= k->H)
          memset (row, 0, (size_t)k->wb * sizeof (float));
        else
          {
            memset (row, 0, (size_t)MIN (xa, k->wb) * sizeof (float));
            if (xb < k->wb)
              memset (row + MAX (xb, 0), 0,
                      (size_t)(k->wb - MAX (xb, 0)) * sizeof (float));
          }
      }
}

/* out (c, hb, wb) = ReLU (node's convolution of in), mask recorded: the
 * whole image's kernels on block k's buffer. */
static gboolean
head_conv (const Head *h, const Block *k, const StNode *node, const float *in,
           float *out, uint8_t *mask)
{
  if (st_winograd_applies (node->cin, node->c, node->k, node->pad))
    return st_winograd_conv (in, node->cin, k->hb, k->wb, node->weight, FALSE,
                             node->bias, node->c, out, mask, h->conv,
                             h->g->threads);
  return st_conv_forward (in, node->cin, k->hb, k->wb, node->weight, node->bias,
                          node->c, node->k, node->pad, out, mask, h->conv,
                          h->g->threads);
}

/* gin (cin, hb, wb) += the node's input gradient for g (masked). */
static gboolean
head_conv_backward (const Head *h, const Block *k, const StNode *node,
                    const float *g, float *gin)
{
  if (st_winograd_applies (node->cin, node->c, node->k, node->pad))
    return st_winograd_conv (g, node->c, k->hb, k->wb, node->weight, TRUE, NULL,
                             node->cin, gin, NULL, h->conv, h->g->threads);
  return st_conv_backward (g, node->cin, k->hb, k->wb, node->weight, node->c,
                           node->k, node->pad, gin, h->conv, h->g->threads);
}

/* Between own (ca, own pixels) and ya's own pixels: copies them out (add
 * FALSE), or adds own_g into ga's (add TRUE). */
static void
head_own (const Block *k, gboolean add)
{
  int ow = k->ox1 - k->ox0, oh = k->oy1 - k->oy0;
  for (int ch = 0; ch < k->ca->c; ch++)
    for (int y = 0; y < oh; y++)
      {
        size_t at = ((size_t)ch * k->hb + k->oy0 - k->y0 + y) * k->wb + k->ox0
                    - k->x0;
        float *o = (add ? k->own_g : k->own) + ((size_t)ch * oh + y) * ow;
        if (add)
          for (int x = 0; x < ow; x++)
            k->ga[at + x] += o[x];
        else
          memcpy (o, k->ya + at, (size_t)ow * sizeof (float));
      }
}

/* Between block k's pooled outputs from (1, 1) on, rows x cols of them,
 * and `other` (c, oh, ow) from (oy, ox) on: copies them out of the pool
 * (out TRUE), or in. */
static void
head_pool_copy (const Block *k, float *other, const int o[4], int rows,
                int cols, gboolean out)
{
  int pwb = k->wb / 2, phb = k->hb / 2;
  for (int ch = 0; ch < k->cb->c; ch++)
    for (int y = 0; y < rows; y++)
      {
        float *a = other + ((size_t)ch * o[0] + o[2] + y) * o[1] + o[3];
        float *b = k->p + ((size_t)ch * phb + 1 + y) * pwb + 1;
        memcpy (out ? a : b, out ? b : a, (size_t)cols * sizeof (float));
      }
}

/* Between the last block's pooled outputs of the tile and the last pool's
 * whole output: copies them out (out TRUE), or in. */
static void
head_last_copy (const Head *h, float *whole, gboolean out)
{
  int o[4] = { h->PH, h->PW, h->py0, h->px0 };
  head_pool_copy (&h->b[h->nb - 1], whole, o, h->ph, h->pw, out);
}

/* Between block b's pooled outputs and block b + 1's input (its whole
 * buffer): copies them out (out TRUE), or in. */
static void
head_next_copy (Head *h, int b, gboolean out)
{
  Block *next = &h->b[b + 1];
  int o[4] = { next->hb, next->wb, 0, 0 };
  head_pool_copy (&h->b[b], next->in, o, next->hb, next->wb, out);
}

/* Block k's forward pass on its input: ya, yb and p with their masks. */
static gboolean
head_block_forward (const Head *h, Block *k)
{
  if (!head_conv (h, k, k->ca, k->in, k->ya, k->ma))
    return FALSE;
  head_zero_outside (k, k->ya, k->ca->c);
  if (!head_conv (h, k, k->cb, k->ya, k->yb, k->mb))
    return FALSE;
  if (k->pool->op == ST_OP_MAXPOOL)
    st_maxpool_forward (k->yb, k->cb->c, k->hb, k->wb, k->p, k->arg);
  else
    st_avgpool_forward (k->yb, k->cb->c, k->hb, k->wb, k->p);
  return TRUE;
}

/* The tile's forward pass: each block's, its input the block before's
 * pooled outputs, zero outside its level (its padding). */
static gboolean
head_tile_forward (Head *h, const float *image)
{
  head_read (h, image);
  for (int b = 0; b < h->nb; b++)
    {
      if (b > 0)
        {
          head_next_copy (h, b - 1, TRUE);
          head_zero_outside (&h->b[b], h->b[b].in, h->b[b].ca->cin);
        }
      if (!head_block_forward (h, &h->b[b]))
        return FALSE;
    }
  return TRUE;
}

/* The Gram's part of the tile's own pixels of block k's first
 * convolution: gram += own own^T / n. */
static void
head_tile_gram (Block *k, float *gram)
{
  int c = k->ca->c, n = (k->oy1 - k->oy0) * (k->ox1 - k->ox0);
  head_own (k, FALSE);
  st_ssyrk_upper (c, n, 1.0f / ((float)k->H * k->W), k->own, n, 1.0f, gram, c);
}

gboolean
st_head_forward (const StGraph *g, const float *image, float *pool,
                 float *const *gram, float *scratch)
{
  Head h;
  h.g = g;
  head_layout (&h, scratch);
  for (int b = 0; b < h.nb; b++)
    if (gram[b])
      memset (gram[b], 0, (size_t)h.b[b].ca->c * h.b[b].ca->c * sizeof (float));
  for (int py0 = 0; py0 < h.PH; py0 += g->head_tile)
    for (int px0 = 0; px0 < h.PW; px0 += g->head_tile)
      {
        if (st_graph_cancelled (g))
          return FALSE;
        head_place (&h, py0, px0);
        if (!head_tile_forward (&h, image))
          return FALSE;
        head_last_copy (&h, pool, TRUE);
        for (int b = 0; b < h.nb; b++)
          if (gram[b])
            head_tile_gram (&h.b[b], gram[b]);
      }
  for (int b = 0; b < h.nb; b++)
    if (gram[b])
      st_mirror_upper (gram[b], h.b[b].ca->c);
  return TRUE;
}

/* Block k's backward pass, from its pooled gradient in p to its input's
 * in `in`, with ca's style term (d, scale) at its own pixels. */
static gboolean
head_block_backward (const Head *h, Block *k, const float *d, float scale)
{
  int ca = k->ca->c, cb = k->cb->c;
  size_t px = (size_t)k->hb * k->wb;
  memset (k->yb, 0, cb * px * sizeof (float));
  if (k->pool->op == ST_OP_MAXPOOL)
    st_maxpool_backward (k->p, k->arg, cb, k->hb, k->wb, k->yb);
  else
    st_avgpool_backward (k->p, cb, k->hb, k->wb, k->yb);
  st_relu_backward (k->yb, k->mb, cb * px);
  memset (k->ga, 0, ca * px * sizeof (float));
  if (!head_conv_backward (h, k, k->cb, k->yb, k->ga))
    return FALSE;
  head_zero_outside (k, k->ga, ca); /* padding, not ca's outputs */
  if (d) /* ca's style term at its own pixels: a D F */
    {
      int n = (k->oy1 - k->oy0) * (k->ox1 - k->ox0);
      head_own (k, FALSE);
      st_ssymm_left_upper (ca, n, scale, d, ca, k->own, n, 0.0f, k->own_g, n);
      head_own (k, TRUE);
    }
  st_relu_backward (k->ga, k->ma, ca * px);
  memset (k->in, 0, (size_t)k->ca->cin * px * sizeof (float));
  return head_conv_backward (h, k, k->ca, k->ga, k->in);
}

/* The tile's backward pass, its forward made again: the last pool's
 * gradient at the tile's own outputs, then each block's from the last,
 * its input's gradient zeroed outside its level (padding's) before it
 * goes to the block before's pool. */
static gboolean
head_tile_backward (Head *h, const float *image, const float *grad_pool,
                    const float *const *d, const float *scale,
                    float *grad_image)
{
  if (!head_tile_forward (h, image))
    return FALSE;
  for (int b = h->nb - 1; b >= 0; b--)
    {
      Block *k = &h->b[b];
      memset (k->p, 0,
              (size_t)k->cb->c * (k->hb / 2) * (k->wb / 2) * sizeof (float));
      if (b < h->nb - 1)
        {
          head_zero_outside (&h->b[b + 1], h->b[b + 1].in, h->b[b + 1].ca->cin);
          head_next_copy (h, b, FALSE);
        }
      else if (grad_pool)
        head_last_copy (h, (float *)grad_pool, FALSE);
      if (!head_block_backward (h, k, d ? d[b] : NULL, scale ? scale[b] : 0))
        return FALSE;
    }
  head_write_gradient (h, grad_image);
  return TRUE;
}

gboolean
st_head_backward (const StGraph *g, const float *image, const float *grad_pool,
                  const float *const *d, const float *style_scale,
                  float *grad_image, float *scratch)
{
  Head h;
  h.g = g;
  head_layout (&h, scratch);
  for (int py0 = 0; py0 < h.PH; py0 += g->head_tile)
    for (int px0 = 0; px0 < h.PW; px0 += g->head_tile)
      {
        if (st_graph_cancelled (g))
          return FALSE;
        head_place (&h, py0, px0);
        if (!head_tile_backward (&h, image, grad_pool, d, style_scale,
                                 grad_image))
          return FALSE;
      }
  return TRUE;
}
