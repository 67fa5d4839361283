/* head.c - VGG19's full-resolution head run tile by tile.
 *
 * The head is the graph's first four nodes: the preprocessing, conv1_1
 * (3 -> 64, a style tap), conv1_2 (64 -> 64) and pool1.  Run node by node,
 * conv1_1 and conv1_2 each write 64 maps at the image's full size, which
 * are held with their ReLU masks and gradients: at a 1920 x 1200 photo
 * 590 MB a map, most of the 4.8 GB a pass took (issue 19).  Here the head
 * is run one tile of pool1's outputs at a time, as tiled.c runs the
 * embedded network's leaves:
 *
 *   forward   for each tile, the preprocessed image with a halo of 2
 *             pixels, conv1_1, conv1_2 and the pool on it; the tile's own
 *             pool1 outputs are written into pool1's whole output, and
 *             conv1_1's Gram accumulated over the tile's own pixels;
 *   backward  once the rest of the network has given pool1's gradient and
 *             D = G - target is known, each tile is made again and the
 *             gradient goes back from its own pool1 outputs (and conv1_1's
 *             style term at its own pixels) through the pool, conv1_2 and
 *             conv1_1 into the image's, the halos of neighbouring tiles
 *             adding up.
 *
 * Exact: the buffers cover the tile's pixels 2 more on every side, zero
 * where they lie outside the image, and conv1_1's output is zeroed there
 * again before conv1_2 reads it, so that each convolution sees its own
 * zero padding at the image's edges only (a convolution of a padded input
 * is not the padded convolution).  Each same-size convolution of a buffer
 * is right 1 pixel further in than the one before: conv1_1 on the tile
 * and 1 pixel around it, conv1_2 on the tile, which is what the pool
 * reads.  Tiles start at even pixels, so the pool's windows are the
 * whole image's.  The recomputation costs one forward pass of block 1 per
 * backward pass, a few per cent of a pass; the kernels are the whole
 * image's (Winograd for conv1_2). */
#include "graph.h"

#include "blas.h"
#include <string.h>

#define POOL (ST_HEAD_NODES - 1)

/* The head's nodes, its image and the tile being run, and the buffers
 * of a tile (in the scratch). */
typedef struct
{
  const StGraph *g;
  const StNode *pre, *c1, *c2, *pool;
  int H, W, PH, PW;       /* the image, pool1's output                      */
  int py0, px0, ph, pw;   /* the tile's own pool1 outputs               */
  int y0, x0, hb, wb;     /* its buffers: origin in the image, size     */
  int oy0, oy1, ox0, ox1; /* its own pixels of conv1_1 (rows, columns) */
  float *x;               /* (3, hb, wb) preprocessed input; its gradient */
  float *y1, *g1;         /* (c1, hb, wb) conv1_1 after ReLU; its gradient */
  float *y2;              /* (c2, hb, wb) conv1_2 after ReLU; its gradient */
  float *p;               /* (c2, hb / 2, wb / 2) pooled; its gradient     */
  float *own, *own_g;     /* (c1, own pixels) conv1_1's own; their gradient */
  float *conv;            /* the convolutions' scratch                     */
  uint8_t *m1, *m2, *arg; /* ReLU masks (c, hb, wb), max-pool argmax     */
} Head;

static gboolean
head_conv_node (const StNode *node, int input, int cin)
{
  return node->op == ST_OP_CONV && node->input == input && node->cin == cin
         && node->k == 3 && node->pad == ST_PAD_ZERO && !node->content;
}

gboolean
st_head_eligible (const StGraph *g)
{
  const StNode *n = g->nodes;
  if (g->n <= ST_HEAD_NODES || n[0].op != ST_OP_PREPROCESS || n[0].style
      || n[0].content || n[2].style
      || (n[POOL].op != ST_OP_MAXPOOL && n[POOL].op != ST_OP_AVGPOOL)
      || n[POOL].input != 2 || n[POOL].style || n[POOL].content
      || !head_conv_node (&n[1], 0, n[0].c)
      || !head_conv_node (&n[2], 1, n[1].c))
    return FALSE;
  /* nothing after the head reads its nodes but pool1 */
  for (int i = ST_HEAD_NODES; i < g->n; i++)
    if (n[i].input < POOL)
      return FALSE;
  return n[POOL].last_use >= 0;
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
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      if (ph[i] > 0 && pw[j] > 0)
        {
          int hb = 2 * ph[i] + 4, wb = 2 * pw[j] + 4;
          most = MAX (most, MAX (conv_floats (h->c1, hb, wb),
                                 conv_floats (h->c2, hb, wb)));
        }
  return most;
}

/* The head of g, before any tile; the largest tile's buffer sizes. */
static void
head_init (Head *h, const StGraph *g, int *hb, int *wb, size_t *own)
{
  int t = MAX (g->head_tile, 1);
  memset (h, 0, sizeof *h);
  h->g = g;
  h->pre = &g->nodes[0], h->c1 = &g->nodes[1], h->c2 = &g->nodes[2];
  h->pool = &g->nodes[POOL];
  h->H = h->pre->h, h->W = h->pre->w;
  h->PH = h->pool->h, h->PW = h->pool->w;
  *hb = 2 * MIN (t, h->PH) + 4;
  *wb = 2 * MIN (t, h->PW) + 4;
  *own = (size_t)MIN (*hb - 3, h->H) * MIN (*wb - 3, h->W);
}

/* Places the buffers of h in scratch (NULL: only counts); the floats. */
static size_t
head_layout (Head *h, float *scratch)
{
  int hb, wb;
  size_t own, px, c1, c2, at = 0;
  head_init (h, h->g, &hb, &wb, &own);
  px = (size_t)hb * wb, c1 = h->c1->c, c2 = h->c2->c;
#define PLACE(ptr, type, count)                                                \
  do                                                                           \
    {                                                                          \
      if (scratch)                                                             \
        ptr = (type *)(scratch + at);                                          \
      at += ((count) * sizeof (type) + sizeof (float) - 1) / sizeof (float);   \
    }                                                                          \
  while (0)
  PLACE (h->x, float, 3 * px);
  PLACE (h->y1, float, c1 *px);
  PLACE (h->g1, float, c1 *px);
  PLACE (h->y2, float, c2 *px);
  PLACE (h->p, float, c2 *px / 4);
  PLACE (h->own, float, c1 *own);
  PLACE (h->own_g, float, c1 *own);
  PLACE (h->conv, float, head_conv_floats (h, MAX (h->g->head_tile, 1)));
  PLACE (h->m1, uint8_t, c1 * px);
  PLACE (h->m2, uint8_t, c2 * px);
  PLACE (h->arg, uint8_t, c2 * px / 4);
#undef PLACE
  return at;
}

size_t
st_head_scratch_floats (const StGraph *g)
{
  Head h;
  h.g = g;
  return head_layout (&h, NULL);
}

/* Places the tile at pool1 output (py0, px0). */
static void
head_place (Head *h, int py0, int px0)
{
  int t = h->g->head_tile;
  h->py0 = py0, h->px0 = px0;
  h->ph = MIN (t, h->PH - py0), h->pw = MIN (t, h->PW - px0);
  h->y0 = 2 * py0 - 2, h->x0 = 2 * px0 - 2;
  h->hb = 2 * h->ph + 4, h->wb = 2 * h->pw + 4;
  /* the last row and column of tiles own an odd image's last pixels,
   * which pool1 drops but conv1_1's Gram counts */
  h->oy0 = 2 * py0, h->ox0 = 2 * px0;
  h->oy1 = py0 + h->ph == h->PH ? h->H : 2 * (py0 + h->ph);
  h->ox1 = px0 + h->pw == h->PW ? h->W : 2 * (px0 + h->pw);
}

/* x <- the preprocessed image under the buffers, zero outside it. */
static void
head_read (Head *h, const float *image)
{
  size_t plane = (size_t)h->H * h->W;
  for (int o = 0; o < 3; o++)
    {
      const float *src = image + (size_t)h->pre->perm[o] * plane;
      float scale = h->pre->scale[o], shift = h->pre->shift[o];
      for (int y = 0; y < h->hb; y++)
        {
          int iy = h->y0 + y;
          float *d = h->x + ((size_t)o * h->hb + y) * h->wb;
          for (int x = 0; x < h->wb; x++)
            {
              int ix = h->x0 + x;
              d[x] = iy < 0 || iy >= h->H || ix < 0 || ix >= h->W
                         ? 0.0f
                         : src[(size_t)iy * h->W + ix] * scale + shift;
            }
        }
    }
}

/* grad_image += the preprocessing's gradient of x, inside the image. */
static void
head_write_gradient (const Head *h, float *grad_image)
{
  size_t plane = (size_t)h->H * h->W;
  int xa = MAX (0, -h->x0), xb = MIN (h->wb, h->W - h->x0);
  for (int o = 0; o < 3; o++)
    {
      float *dst = grad_image + (size_t)h->pre->perm[o] * plane;
      float scale = h->pre->scale[o];
      for (int y = MAX (0, -h->y0); y < MIN (h->hb, h->H - h->y0); y++)
        {
          const float *s = h->x + ((size_t)o * h->hb + y) * h->wb;
          float *d = dst + (size_t)(h->y0 + y) * h->W;
          for (int x = xa; x < xb; x++)
            d[h->x0 + x] += s[x] * scale;
        }
    }
}

/* buf (c, hb, wb) <- 0 outside the image: a convolution's padding. */
static void
head_zero_outside (const Head *h, float *buf, int c)
{
  int xa = MAX (0, -h->x0), xb = MIN (h->wb, h->W - h->x0);
  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < h->hb; y++)
      {
        float *row = buf + ((size_t)ch * h->hb + y) * h->wb;
        int iy = h->y0 + y;
        if (iy < 0 || iy >= h->H)
          memset (row, 0, (size_t)h->wb * sizeof (float));
        else
          {
            memset (row, 0, (size_t)xa * sizeof (float));
            if (xb < h->wb)
              memset (row + MAX (xb, 0), 0,
                      (size_t)(h->wb - MAX (xb, 0)) * sizeof (float));
          }
      }
}

/* out (c, hb, wb) = ReLU (node's convolution of in), mask recorded: the
 * whole image's kernels on the buffer. */
static gboolean
head_conv (const Head *h, const StNode *node, const float *in, float *out,
           uint8_t *mask)
{
  if (st_winograd_applies (node->cin, node->c, node->k, node->pad))
    return st_winograd_conv (in, node->cin, h->hb, h->wb, node->weight, FALSE,
                             node->bias, node->c, out, mask, h->conv,
                             h->g->threads);
  return st_conv_forward (in, node->cin, h->hb, h->wb, node->weight, node->bias,
                          node->c, node->k, node->pad, out, mask, h->conv,
                          h->g->threads);
}

/* gin (cin, hb, wb) += the node's input gradient for g (masked). */
static gboolean
head_conv_backward (const Head *h, const StNode *node, const float *g,
                    float *gin)
{
  if (st_winograd_applies (node->cin, node->c, node->k, node->pad))
    return st_winograd_conv (g, node->c, h->hb, h->wb, node->weight, TRUE, NULL,
                             node->cin, gin, NULL, h->conv, h->g->threads);
  return st_conv_backward (g, node->cin, h->hb, h->wb, node->weight, node->c,
                           node->k, node->pad, gin, h->conv, h->g->threads);
}

/* Between own (c1, own pixels) and y1's own pixels: copies them out
 * (add FALSE), or adds own into g1's (add TRUE). */
static void
head_own (const Head *h, gboolean add)
{
  int ow = h->ox1 - h->ox0, oh = h->oy1 - h->oy0;
  for (int ch = 0; ch < h->c1->c; ch++)
    for (int y = 0; y < oh; y++)
      {
        size_t at = ((size_t)ch * h->hb + h->oy0 - h->y0 + y) * h->wb + h->ox0
                    - h->x0;
        float *o = (add ? h->own_g : h->own) + ((size_t)ch * oh + y) * ow;
        if (add)
          for (int x = 0; x < ow; x++)
            h->g1[at + x] += o[x];
        else
          memcpy (o, h->y1 + at, (size_t)ow * sizeof (float));
      }
}

/* Between p's inner outputs (the tile's own) and pool1's whole output
 * `whole`: copies them out (out TRUE), or in. */
static void
head_pool_copy (const Head *h, float *whole, gboolean out)
{
  int pwb = h->wb / 2, phb = h->hb / 2;
  for (int ch = 0; ch < h->c2->c; ch++)
    for (int y = 0; y < h->ph; y++)
      {
        float *a = whole + ((size_t)ch * h->PH + h->py0 + y) * h->PW + h->px0;
        float *b = h->p + ((size_t)ch * phb + 1 + y) * pwb + 1;
        memcpy (out ? a : b, out ? b : a, (size_t)h->pw * sizeof (float));
      }
}

/* The tile's forward pass: x, y1, y2 and p with their masks. */
static gboolean
head_tile_forward (Head *h, const float *image)
{
  head_read (h, image);
  if (!head_conv (h, h->c1, h->x, h->y1, h->m1))
    return FALSE;
  head_zero_outside (h, h->y1, h->c1->c);
  if (!head_conv (h, h->c2, h->y1, h->y2, h->m2))
    return FALSE;
  if (h->pool->op == ST_OP_MAXPOOL)
    st_maxpool_forward (h->y2, h->c2->c, h->hb, h->wb, h->p, h->arg);
  else
    st_avgpool_forward (h->y2, h->c2->c, h->hb, h->wb, h->p);
  return TRUE;
}

/* The Gram's part of the tile's own pixels: gram += own own^T / n. */
static void
head_tile_gram (Head *h, float *gram)
{
  int c = h->c1->c, n = (h->oy1 - h->oy0) * (h->ox1 - h->ox0);
  head_own (h, FALSE);
  st_ssyrk_upper (c, n, 1.0f / ((float)h->H * h->W), h->own, n, 1.0f, gram, c);
}

gboolean
st_head_forward (const StGraph *g, const float *image, float *pool, float *gram,
                 float *scratch)
{
  Head h;
  int c;
  h.g = g;
  head_layout (&h, scratch);
  c = h.c1->c;
  if (gram)
    memset (gram, 0, (size_t)c * c * sizeof (float));
  for (int py0 = 0; py0 < h.PH; py0 += g->head_tile)
    for (int px0 = 0; px0 < h.PW; px0 += g->head_tile)
      {
        if (st_graph_cancelled (g))
          return FALSE;
        head_place (&h, py0, px0);
        if (!head_tile_forward (&h, image))
          return FALSE;
        head_pool_copy (&h, pool, TRUE);
        if (gram)
          head_tile_gram (&h, gram);
      }
  for (int i = 0; gram && i < c; i++)
    for (int j = 0; j < i; j++)
      gram[(size_t)i * c + j] = gram[(size_t)j * c + i];
  return TRUE;
}

/* The tile's backward pass, its forward made again. */
static gboolean
head_tile_backward (Head *h, const float *image, const float *grad_pool,
                    const float *d, float style_scale, float *grad_image)
{
  int c1 = h->c1->c, c2 = h->c2->c;
  size_t px = (size_t)h->hb * h->wb;
  if (!head_tile_forward (h, image))
    return FALSE;
  /* pool1's gradient at the tile's own outputs, back through the pool
   * and conv1_2's ReLU into y2 */
  memset (h->p, 0, c2 * px / 4 * sizeof (float));
  if (grad_pool)
    head_pool_copy (h, (float *)grad_pool, FALSE);
  memset (h->y2, 0, c2 * px * sizeof (float));
  if (h->pool->op == ST_OP_MAXPOOL)
    st_maxpool_backward (h->p, h->arg, c2, h->hb, h->wb, h->y2);
  else
    st_avgpool_backward (h->p, c2, h->hb, h->wb, h->y2);
  st_relu_backward (h->y2, h->m2, c2 * px);
  memset (h->g1, 0, c1 * px * sizeof (float));
  if (!head_conv_backward (h, h->c2, h->y2, h->g1))
    return FALSE;
  head_zero_outside (h, h->g1, c1); /* padding, not conv1_1's outputs */
  if (d) /* conv1_1's style term at its own pixels: a D F */
    {
      int n = (h->oy1 - h->oy0) * (h->ox1 - h->ox0);
      head_own (h, FALSE);
      st_ssymm_left_upper (c1, n, style_scale, d, c1, h->own, n, 0.0f, h->own_g,
                           n);
      head_own (h, TRUE);
    }
  st_relu_backward (h->g1, h->m1, c1 * px);
  memset (h->x, 0, 3 * px * sizeof (float));
  if (!head_conv_backward (h, h->c1, h->g1, h->x))
    return FALSE;
  head_write_gradient (h, grad_image);
  return TRUE;
}

gboolean
st_head_backward (const StGraph *g, const float *image, const float *grad_pool,
                  const float *d, float style_scale, float *grad_image,
                  float *scratch)
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
