/* tiled.c - a convolution leaf run tile by tile.
 *
 * The embedded network's convolutions read a pyramid level (3 channels)
 * and write 128 feature maps that only their own losses read: at a
 * 1920 x 1280 photo one such output is 1.2 GiB, and the level-0 ones are
 * three of them.  Run whole, a pass writes and re-reads all of that memory
 * (the time goes into moving it, not into multiplying) and holds it at the
 * peak.  Here the output is made one tile at a time, small enough to stay
 * in cache, and used at once:
 *
 *   forward   F_t = ReLU (W * in_t + b) for each tile t; G += F_t F_t^T / n
 *             (and the content's leading channels copied out, for targets);
 *   backward  once G is whole, D = G - target is known; for each tile F_t is
 *             made again and dL/dF_t = a D F_t + c (F_t - T_t), masked by
 *             the ReLU, goes back through the convolution into grad_in.
 *             The content target T_t is made again too, from the content's
 *             own input to the node (3 channels, not 128 x pixels kept).
 *
 * The forward convolution is paid twice, and no full-size feature map or
 * ReLU mask exists any more: memory per pass no longer grows with
 * 128 x pixels per convolution.  Each tile is read from the input with its
 * halo of k/2 pixels, padded as the whole-image convolution pads (reflect
 * or zero), so the result is the whole-image convolution's. */
#include "graph.h"

#include "blas.h"
#include <math.h>
#include <string.h>

/* Output pixels per tile (side x side): the tile's features (128 x 4096
 * floats, 2 MiB) and its im2col columns stay in the caches of one core. */
#define TILE_SIDE 64

gboolean
st_tiled_eligible (const StNode *node)
{
  /* A convolution that reads few channels (the image or a pyramid level)
   * and whose output nothing but its losses reads. */
  return node->op == ST_OP_CONV && node->last_use < 0
         && (node->style || node->content)
         && node->cin * node->k * node->k <= 512;
}

/* The leading channels the content loss compares. */
static int
content_channels (const StNode *node)
{
  return node->content_c > 0 ? MIN (node->content_c, node->c) : node->c;
}

/* The largest tile of the node: TILE_SIDE, or the image when smaller. */
static void
tile_extent (const StNode *node, size_t *halo, size_t *px)
{
  int th = MIN (TILE_SIDE, node->h), tw = MIN (TILE_SIDE, node->w);
  *halo = (size_t)(th + node->k - 1) * (tw + node->k - 1);
  *px = (size_t)th * tw;
}

/* Floats of one tile's buffers (see Tile). */
size_t
st_tiled_scratch_floats (const StNode *node)
{
  size_t halo, px, kk = (size_t)node->cin * node->k * node->k;
  tile_extent (node, &halo, &px);
  return node->cin * halo + kk * px + 2 * (size_t)node->c * px
         + (node->content ? (size_t)content_channels (node) * px : 0);
}

/* One tile's place and buffers.  The input and its gradient share one
 * buffer, the columns and theirs another: each is dead when the other is
 * made. */
typedef struct
{
  int y0, x0, th, tw; /* the tile's output rows and columns          */
  int hh, hw;         /* its input with halo: th + k - 1, tw + k - 1 */
  float *in;          /* (cin, hh, hw)                              */
  float *col;         /* (cin * k * k, th * tw)                     */
  float *f;           /* (c, th * tw) features after the ReLU       */
  float *gf;          /* (c, th * tw) their gradient                */
  float *tf;          /* (content_c, th * tw) the content's features */
  float *gcol;        /* (cin * k * k, th * tw), = col              */
  float *gin;         /* (cin, hh, hw), = in                        */
} Tile;

static void
tile_buffers (const StNode *node, float *scratch, Tile *t)
{
  size_t halo, px, kk = (size_t)node->cin * node->k * node->k;
  tile_extent (node, &halo, &px);
  t->in = t->gin = scratch;
  t->col = t->gcol = t->in + node->cin * halo;
  t->f = t->col + kk * px;
  t->gf = t->f + (size_t)node->c * px;
  t->tf = t->gf + (size_t)node->c * px;
}

/* t->in <- the tile's input rows and columns with their halo. */
static void
tile_read (const StNode *node, const float *in, Tile *t)
{
  int r = node->k / 2;
  for (int c = 0; c < node->cin; c++)
    for (int y = 0; y < t->hh; y++)
      {
        int sy = st_pad_index (t->y0 + y - r, node->h, node->pad);
        float *d = t->in + ((size_t)c * t->hh + y) * t->hw;
        const float *s = in + ((size_t)c * node->h + MAX (sy, 0)) * node->w;
        for (int x = 0; x < t->hw; x++)
          {
            int sx = st_pad_index (t->x0 + x - r, node->w, node->pad);
            d[x] = sy < 0 || sx < 0 ? 0.0f : s[sx];
          }
      }
}

/* grad_in += t->gin, folded back through the padding as tile_read
 * copied it out. */
static void
tile_write_gradient (const StNode *node, const Tile *t, float *grad_in)
{
  int r = node->k / 2;
  for (int c = 0; c < node->cin; c++)
    for (int y = 0; y < t->hh; y++)
      {
        int sy = st_pad_index (t->y0 + y - r, node->h, node->pad);
        const float *s = t->gin + ((size_t)c * t->hh + y) * t->hw;
        float *d = grad_in + ((size_t)c * node->h + MAX (sy, 0)) * node->w;
        if (sy < 0)
          continue;
        for (int x = 0; x < t->hw; x++)
          {
            int sx = st_pad_index (t->x0 + x - r, node->w, node->pad);
            if (sx >= 0)
              d[sx] += s[x];
          }
      }
}

/* f (channels, th * tw) = ReLU (W * in + b) for the first `channels`
 * filters: im2col of the haloed tile t->in, then one SGEMM. */
static void
tile_features (const StNode *node, Tile *t, int channels, float *f)
{
  int k = node->k, n = t->th * t->tw, kk = node->cin * k * k;
  for (int c = 0; c < node->cin; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          float *dst = t->col + (size_t)((c * k + ky) * k + kx) * n;
          for (int y = 0; y < t->th; y++)
            memcpy (dst + (size_t)y * t->tw,
                    t->in + ((size_t)c * t->hh + y + ky) * t->hw + kx,
                    (size_t)t->tw * sizeof (float));
        }
  st_sgemm (ST_NO_TRANS, ST_NO_TRANS, channels, n, kk,
               1.0f, node->weight, kk, t->col, n, 0.0f, f, n);
  for (int o = 0; o < channels; o++)
    {
      float *fo = f + (size_t)o * n;
      float b = node->bias ? node->bias[o] : 0.0f;
      for (int p = 0; p < n; p++)
        fo[p] = MAX (fo[p] + b, 0.0f);
    }
}

/* Places t at output pixel (y0, x0). */
static void
tile_place (const StNode *node, Tile *t, int y0, int x0)
{
  t->y0 = y0;
  t->x0 = x0;
  t->th = MIN (TILE_SIDE, node->h - y0);
  t->tw = MIN (TILE_SIDE, node->w - x0);
  t->hh = t->th + node->k - 1;
  t->hw = t->tw + node->k - 1;
}

/* TRUE once the run was cancelled. */
static inline gboolean
cancelled (const gint *cancel)
{
  return cancel && g_atomic_int_get (cancel);
}

gboolean
st_tiled_forward (const StNode *node, const float *in, float *gram,
                  float *content, float *scratch, const gint *cancel)
{
  Tile t;
  int c = node->c;
  size_t plane = (size_t)node->h * node->w;
  int content_c = node->content_c > 0 ? MIN (node->content_c, c) : c;
  float inv_n = 1.0f / (float)plane;
  tile_buffers (node, scratch, &t);
  if (gram)
    memset (gram, 0, (size_t)c * c * sizeof (float));
  for (int y0 = 0; y0 < node->h && !cancelled (cancel); y0 += TILE_SIDE)
    for (int x0 = 0; x0 < node->w; x0 += TILE_SIDE)
  {
    int n;
    tile_place (node, &t, y0, x0);
    n = t.th * t.tw;
    tile_read (node, in, &t);
    tile_features (node, &t, gram ? c : content_c, t.f);
    if (gram) /* upper triangle, mirrored at the end */
      st_ssyrk_upper (c, n, inv_n, t.f,
                   n, 1.0f, gram, c);
    for (int o = 0; content && o < content_c; o++)
      for (int y = 0; y < t.th; y++)
        memcpy (content + o * plane + (size_t)(t.y0 + y) * node->w + t.x0,
                t.f + (size_t)o * n + (size_t)y * t.tw,
                (size_t)t.tw * sizeof (float));
  }
  for (int i = 0; gram && i < c; i++)
    for (int j = 0; j < i; j++)
      gram[(size_t)i * c + j] = gram[(size_t)j * c + i];
  return !cancelled (cancel);
}

double
st_tiled_content_norm (const StNode *node, const float *content_in,
                       float *scratch, const gint *cancel)
{
  Tile t;
  int content_c = node->content_c > 0 ? MIN (node->content_c, node->c)
                                      : node->c;
  double sum = 0.0;
  tile_buffers (node, scratch, &t);
  for (int y0 = 0; y0 < node->h && !cancelled (cancel); y0 += TILE_SIDE)
    for (int x0 = 0; x0 < node->w; x0 += TILE_SIDE)
      {
        tile_place (node, &t, y0, x0);
        tile_read (node, content_in, &t);
        tile_features (node, &t, content_c, t.tf);
        for (size_t p = 0; p < (size_t)content_c * t.th * t.tw; p++)
          sum += (double)t.tf[p] * t.tf[p];
      }
  return cancelled (cancel) ? NAN : sum;
}

double
st_tiled_backward (const StNode *node, const float *in, const float *d,
                   float style_scale, const float *content_in,
                   float content_scale, float *grad_in, float *scratch,
                   const gint *cancel)
{
  Tile t;
  int c = node->c, k = node->k, kk = node->cin * k * k;
  int content_c = node->content_c > 0 ? MIN (node->content_c, c) : c;
  /* the filters whose features the losses read */
  int ch = d ? c : content_c;
  double content_sq = 0.0;
  tile_buffers (node, scratch, &t);
  for (int y0 = 0; y0 < node->h && !cancelled (cancel); y0 += TILE_SIDE)
    for (int x0 = 0; x0 < node->w; x0 += TILE_SIDE)
  {
    int n;
    tile_place (node, &t, y0, x0);
    n = t.th * t.tw;
    if (content_in) /* the target: the content's features, made again */
      {
        tile_read (node, content_in, &t);
        tile_features (node, &t, content_c, t.tf);
      }
    tile_read (node, in, &t);
    tile_features (node, &t, grad_in ? ch : content_c, t.f);
    if (grad_in)
      {
        if (d) /* dL/dF = a D F: D symmetric, its upper triangle */
          st_ssymm_left_upper (c, n,
                       style_scale, d, c, t.f, n, 0.0f, t.gf, n);
        else
          memset (t.gf, 0, (size_t)ch * n * sizeof (float));
      }
    for (size_t p = 0; content_in && p < (size_t)content_c * n; p++)
      {
        float diff = t.f[p] - t.tf[p];
        content_sq += (double)diff * diff;
        if (grad_in)
          t.gf[p] += content_scale * diff;
      }
    if (!grad_in)
      continue;
    /* ReLU: no gradient where the feature was clipped to 0 */
    for (size_t p = 0; p < (size_t)ch * n; p++)
      if (!(t.f[p] > 0.0f))
        t.gf[p] = 0.0f;
    /* back through the convolution: columns, then folded into the tile */
    st_sgemm (ST_TRANS, ST_NO_TRANS, kk, n, ch, 1.0f,
                 node->weight, kk, t.gf, n, 0.0f, t.gcol, n);
    memset (t.gin, 0, (size_t)node->cin * t.hh * t.hw * sizeof (float));
    for (int ci = 0; ci < node->cin; ci++)
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
          {
            const float *src = t.gcol + (size_t)((ci * k + ky) * k + kx) * n;
            for (int y = 0; y < t.th; y++)
              {
                float *dst = t.gin + ((size_t)ci * t.hh + y + ky) * t.hw + kx;
                const float *s = src + (size_t)y * t.tw;
                for (int x = 0; x < t.tw; x++)
                  dst[x] += s[x];
              }
          }
    tile_write_gradient (node, &t, grad_in);
  }
  return cancelled (cancel) ? NAN : content_sq;
}
