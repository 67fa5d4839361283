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
 * halo of k/2 pixels, padded as the whole-image convolution pads (symmetric
 * or zero), so the result is the whole-image convolution's.
 *
 * A tile's convolution, forward and backward, is computed directly by
 * conv-direct.c where the processor has AVX2 or AVX-512, else as im2col
 * and one SGEMM (the reference the kernel tests compare with). */
#include "graph.h"

#include "blas.h"
#include "conv-direct.h"
#include <math.h>
#include <string.h>

/* Output pixels per tile (TILE_H rows x TILE_W columns): the tile's
 * features (128 x 4096 floats, 2 MiB) and its im2col columns stay in the
 * caches of one core.  Rows of tiles are what threads share out (see
 * Job), so tiles are wide and short: a 192 x 144 scale has 5 rows of
 * tiles to share instead of 3 (with 64 x 64 tiles one thread idled
 * through half of the backward pass of the first scale and of the time
 * estimate's calibration pass). */
#define TILE_H 32
#define TILE_W 128

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

/* The largest tile of the node: TILE_H x TILE_W, or the image when
 * smaller. */
static void
tile_extent (const StNode *node, size_t *halo, size_t *px)
{
  int th = MIN (TILE_H, node->h), tw = MIN (TILE_W, node->w);
  *halo = (size_t)(th + node->k - 1) * (tw + node->k - 1);
  *px = (size_t)th * tw;
}

/* Floats of a tile's columns, or of the direct kernels' padded gradient
 * (see Tile), which takes their place. */
static size_t
tile_col_floats (const StNode *node)
{
  size_t halo, px, kk = (size_t)node->cin * node->k * node->k;
  int th = MIN (TILE_H, node->h), tw = MIN (TILE_W, node->w);
  tile_extent (node, &halo, &px);
  return MAX (kk * px, (size_t)node->c * th * (tw + 2 * (node->k - 1)));
}

/* Floats of one tile's buffers (see Tile). */
static size_t
tile_floats (const StNode *node)
{
  size_t halo, px;
  tile_extent (node, &halo, &px);
  return node->cin * halo + tile_col_floats (node) + 2 * (size_t)node->c * px
         + (node->content ? (size_t)content_channels (node) * px : 0);
}

/* Rows of tiles are shared out between the engine's threads (see Job);
 * each thread has its own tile buffers and, but for the first, its own
 * Gram matrix. */
static int
tiled_threads (const StNode *node, int run_threads)
{
  int rows = (node->h + TILE_H - 1) / TILE_H;
  return CLAMP (MIN (run_threads, rows), 1, ST_PARALLEL_MAX);
}

static size_t
thread_floats (const StNode *node)
{
  return tile_floats (node) + (size_t)node->c * node->c;
}

/* After the threads' buffers: the filters transposed, one row per tap,
 * for the direct kernels (conv-direct.h). */
static size_t
packed_floats (const StNode *node)
{
  return (size_t)node->cin * node->k * node->k * node->c;
}

size_t
st_tiled_scratch_floats (const StNode *node, int threads)
{
  return tiled_threads (node, threads) * thread_floats (node)
         + packed_floats (node);
}

/* One tile's place and buffers.  The input and its gradient share one
 * buffer, the columns and theirs another: each is dead when the other is
 * made. */
typedef struct
{
  int y0, x0, th, tw; /* the tile's output rows and columns          */
  int hh, hw;         /* its input with halo: th + k - 1, tw + k - 1 */
  float *in;          /* (cin, hh, hw)                              */
  float *col;         /* (cin * k * k, th * tw), or for the direct
                       * kernels gp (c, th, tw + 2 (k - 1))        */
  float *f;           /* (c, th * tw) features after the ReLU       */
  float *gf;          /* (c, th * tw) their gradient                */
  float *tf;          /* (content_c, th * tw) the content's features */
  float *gcol;        /* (cin * k * k, th * tw), = col              */
  float *gin;         /* (cin, hh, hw), = in                        */
} Tile;

static void
tile_buffers (const StNode *node, float *scratch, Tile *t)
{
  size_t halo, px;
  tile_extent (node, &halo, &px);
  t->in = t->gin = scratch;
  t->col = t->gcol = t->in + node->cin * halo;
  t->f = t->col + tile_col_floats (node);
  t->gf = t->f + (size_t)node->c * px;
  t->tf = t->gf + (size_t)node->c * px;
}

/* The tile's halo columns [*lo, *hi) that read the image's own columns
 * (t->x0 - k/2 + x inside the image): those are copied and added as rows,
 * the few outside go through the padding one by one. */
static void
tile_inner_columns (const StNode *node, const Tile *t, int *lo, int *hi)
{
  int r = node->k / 2;
  *lo = CLAMP (r - t->x0, 0, t->hw);
  *hi = CLAMP (node->w + r - t->x0, *lo, t->hw);
}

/* t->in <- the tile's input rows and columns with their halo. */
static void
tile_read (const StNode *node, const float *in, Tile *t)
{
  int r = node->k / 2, lo, hi;
  tile_inner_columns (node, t, &lo, &hi);
  for (int c = 0; c < node->cin; c++)
    for (int y = 0; y < t->hh; y++)
      {
        int sy = st_pad_index (t->y0 + y - r, node->h, node->pad);
        float *d = t->in + ((size_t)c * t->hh + y) * t->hw;
        const float *s = in + ((size_t)c * node->h + MAX (sy, 0)) * node->w;
        if (sy < 0)
          {
            memset (d, 0, (size_t)t->hw * sizeof (float));
            continue;
          }
        memcpy (d + lo, s + (t->x0 - r + lo),
                (size_t)(hi - lo) * sizeof (float));
        for (int x = 0; x < lo; x++)
          {
            int sx = st_pad_index (t->x0 + x - r, node->w, node->pad);
            d[x] = sx < 0 ? 0.0f : s[sx];
          }
        for (int x = hi; x < t->hw; x++)
          {
            int sx = st_pad_index (t->x0 + x - r, node->w, node->pad);
            d[x] = sx < 0 ? 0.0f : s[sx];
          }
      }
}

/* grad_in += t->gin, folded back through the padding as tile_read
 * copied it out. */
static void
tile_write_gradient (const StNode *node, const Tile *t, float *grad_in)
{
  int r = node->k / 2, lo, hi;
  tile_inner_columns (node, t, &lo, &hi);
  for (int c = 0; c < node->cin; c++)
    for (int y = 0; y < t->hh; y++)
      {
        int sy = st_pad_index (t->y0 + y - r, node->h, node->pad);
        const float *restrict s = t->gin + ((size_t)c * t->hh + y) * t->hw;
        float *restrict d
            = grad_in + ((size_t)c * node->h + MAX (sy, 0)) * node->w;
        if (sy < 0)
          continue;
        /* left to right, as one loop over the columns would add them */
        for (int x = 0; x < lo; x++)
          {
            int sx = st_pad_index (t->x0 + x - r, node->w, node->pad);
            if (sx >= 0)
              d[sx] += s[x];
          }
        for (int x = lo; x < hi; x++)
          d[t->x0 - r + x] += s[x];
        for (int x = hi; x < t->hw; x++)
          {
            int sx = st_pad_index (t->x0 + x - r, node->w, node->pad);
            if (sx >= 0)
              d[sx] += s[x];
          }
      }
}

/* The direct kernels' view of tile t of node (conv-direct.h). */
static StConvDirect
tile_direct (const StNode *node, const Tile *t)
{
  StConvDirect cd;
  memset (&cd, 0, sizeof cd);
  cd.cin = node->cin;
  cd.k = node->k;
  cd.th = t->th;
  cd.tw = t->tw;
  cd.hh = t->hh;
  cd.hw = t->hw;
  return cd;
}

/* f (channels, th * tw) = ReLU (W * in + b) for the first `channels`
 * filters: by the direct kernel with wp (the filters transposed, see
 * Job), else im2col of the haloed tile t->in, then one SGEMM. */
static void
tile_features (const StNode *node, const float *wp, Tile *t, int channels,
               float *f)
{
  int k = node->k, n = t->th * t->tw, kk = node->cin * k * k;
  if (wp)
    {
      StConvDirect cd = tile_direct (node, t);
      cd.in = t->in;
      cd.wp = wp;
      cd.ldw = node->c;
      cd.bias = node->bias;
      cd.cout = channels;
      cd.f = f;
      st_conv_direct_forward (&cd);
      return;
    }
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
  st_sgemm (ST_NO_TRANS, ST_NO_TRANS, channels, n, kk, 1.0f, node->weight, kk,
            t->col, n, 0.0f, f, n);
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
  t->th = MIN (TILE_H, node->h - y0);
  t->tw = MIN (TILE_W, node->w - x0);
  t->hh = t->th + node->k - 1;
  t->hw = t->tw + node->k - 1;
}

/* TRUE once the run was cancelled. */
static inline gboolean
cancelled (const gint *cancel)
{
  return cancel && g_atomic_int_get (cancel);
}

/* One pass over the tiles, its rows of tiles shared out between threads:
 * thread t takes the rows r (of those the pass visits) with r / step
 * congruent to t modulo the thread count, one after another, into its
 * own buffers.  What threads add up (Gram matrices, sums) each keeps
 * apart, and the caller adds in thread order: the same bytes for the same
 * thread count.  The OpenBLAS products inside run single-threaded: small
 * products side by side keep both cores busy, where one threaded product
 * at a time left the copies, the ReLU and the adds to one core. */
typedef enum
{
  PASS_FORWARD,
  PASS_NORM,
  PASS_BACKWARD
} Pass;

typedef struct
{
  Pass pass;
  const StNode *node;
  const float *in, *content_in, *d;
  float style_scale, content_scale;
  float *gram, *content, *grad_in;
  float *scratch;
  const float *wp;     /* the filters transposed for the direct kernels, or
                        * NULL for im2col + SGEMM                         */
  int run_threads;     /* the run's: OpenBLAS's again after the job   */
  int threads;         /* the job's: at most one per row of tiles      */
  int first_row, step; /* the rows of tiles visited: first_row + i step */
  const gint *cancel;
  double sum[ST_PARALLEL_MAX];
} Job;

static void tile_forward (Job *job, Tile *t, float *gram);
static double tile_norm (Job *job, Tile *t);
static double tile_backward (Job *job, Tile *t);

static void
job_thread (int lo, int hi, gpointer data)
{
  Job *job = data;
  const StNode *node = job->node;
  int rows = (node->h + TILE_H - 1) / TILE_H;
  for (int th = lo; th < hi; th++)
    {
      float *mine = job->scratch + (size_t)th * thread_floats (node);
      float *gram = !job->gram ? NULL
                    : th == 0  ? job->gram
                               : mine + tile_floats (node);
      double sum = 0.0;
      Tile t;
      tile_buffers (node, mine, &t);
      if (job->pass == PASS_FORWARD && gram)
        memset (gram, 0, (size_t)node->c * node->c * sizeof (float));
      for (int i = th, r; (r = job->first_row + i * job->step) < rows;
           i += job->threads)
        for (int x0 = 0; x0 < node->w && !cancelled (job->cancel); x0 += TILE_W)
          {
            tile_place (node, &t, r * TILE_H, x0);
            if (job->pass == PASS_FORWARD)
              tile_forward (job, &t, gram);
            else if (job->pass == PASS_NORM)
              sum += tile_norm (job, &t);
            else
              sum += tile_backward (job, &t);
          }
      job->sum[th] = sum;
    }
}

/* Runs the job over rows first_row, first_row + step, ...; the sum of
 * the threads' sums (in thread order), NaN once cancelled. */
static double
job_run (Job *job, int first_row, int step)
{
  double sum = 0.0;
  job->first_row = first_row;
  job->step = step;
  /* Single-threaded products inside the job, even when the job has one
   * thread: a threaded product wakes OpenBLAS's own workers, which then
   * spin (sched_yield) for a while after it, on the cores the next job's
   * threads need: that took a third of the time of a 384 px run. */
  st_blas_set_threads (1);
  st_parallel_for (job->threads, job->threads, job_thread, job);
  st_blas_set_threads (job->run_threads);
  for (int th = 0; th < job->threads; th++)
    sum += job->sum[th];
  return cancelled (job->cancel) ? NAN : sum;
}

static void
job_init (Job *job, Pass pass, const StNode *node, float *scratch,
          int run_threads, const gint *cancel)
{
  memset (job, 0, sizeof *job);
  job->pass = pass;
  job->node = node;
  job->scratch = scratch;
  job->cancel = cancel;
  job->run_threads = run_threads;
  job->threads = tiled_threads (node, run_threads);
  if (st_conv_direct_available (node->cin))
    {
      int kk = node->cin * node->k * node->k;
      float *wp = scratch + job->threads * thread_floats (node);
      for (int o = 0; o < node->c; o++)
        for (int i = 0; i < kk; i++)
          wp[(size_t)i * node->c + o] = node->weight[(size_t)o * kk + i];
      job->wp = wp;
    }
}

static void
tile_forward (Job *job, Tile *t, float *gram)
{
  const StNode *node = job->node;
  int c = node->c, n = t->th * t->tw;
  size_t plane = (size_t)node->h * node->w;
  int content_c = content_channels (node);
  tile_read (node, job->in, t);
  tile_features (node, job->wp, t, gram ? c : content_c, t->f);
  if (gram) /* upper triangle, mirrored at the end */
    st_ssyrk_upper (c, n, 1.0f / (float)plane, t->f, n, 1.0f, gram, c);
  for (int o = 0; job->content && o < content_c; o++)
    for (int y = 0; y < t->th; y++)
      memcpy (job->content + o * plane + (size_t)(t->y0 + y) * node->w + t->x0,
              t->f + (size_t)o * n + (size_t)y * t->tw,
              (size_t)t->tw * sizeof (float));
}

gboolean
st_tiled_forward (const StNode *node, const float *in, float *gram,
                  float *content, float *scratch, int threads,
                  const gint *cancel)
{
  Job job;
  int c = node->c;
  job_init (&job, PASS_FORWARD, node, scratch, threads, cancel);
  job.in = in;
  job.gram = gram;
  job.content = content;
  if (isnan (job_run (&job, 0, 1)))
    return FALSE;
  if (gram)
    {
      for (int th = 1; th < job.threads; th++)
        {
          const float *g = scratch + (size_t)th * thread_floats (node)
                           + tile_floats (node);
          for (int i = 0; i < c; i++)
            for (int j = i; j < c; j++)
              gram[(size_t)i * c + j] += g[(size_t)i * c + j];
        }
      st_mirror_upper (gram, c);
    }
  return TRUE;
}

static double
tile_norm (Job *job, Tile *t)
{
  const StNode *node = job->node;
  int content_c = content_channels (node);
  double sum = 0.0;
  tile_read (node, job->content_in, t);
  tile_features (node, job->wp, t, content_c, t->tf);
  for (size_t p = 0; p < (size_t)content_c * t->th * t->tw; p++)
    sum += (double)t->tf[p] * t->tf[p];
  return sum;
}

double
st_tiled_content_norm (const StNode *node, const float *content_in,
                       float *scratch, int threads, const gint *cancel)
{
  Job job;
  job_init (&job, PASS_NORM, node, scratch, threads, cancel);
  job.content_in = content_in;
  return job_run (&job, 0, 1);
}

/* t->gin <- dL/dF_t (the first ch filters of t->gf) back through the
 * ReLU and the convolution, by the direct kernel: masked by the ReLU into
 * the padded rows the kernel reads (in place of the columns). */
static void
tile_direct_backward (const StNode *node, Tile *t, int ch)
{
  int k = node->k, pw = t->tw + 2 * (k - 1), n = t->th * t->tw;
  StConvDirect cd = tile_direct (node, t);
  for (int o = 0; o < ch; o++)
    for (int y = 0; y < t->th; y++)
      {
        float *restrict d = t->gcol + ((size_t)o * t->th + y) * pw;
        const float *restrict g = t->gf + (size_t)o * n + (size_t)y * t->tw;
        const float *restrict f = t->f + (size_t)o * n + (size_t)y * t->tw;
        for (int x = 0; x < k - 1; x++)
          d[x] = d[k - 1 + t->tw + x] = 0.0f;
        /* a select, as below, of a value read whatever the test says
         * (else the read is conditional and the loop stays scalar, a
         * branch per element) */
        for (int x = 0; x < t->tw; x++)
          {
            float gx = g[x];
            d[k - 1 + x] = f[x] > 0.0f ? gx : 0.0f;
          }
      }
  cd.cout = ch;
  cd.gp = t->gcol;
  cd.w = node->weight;
  cd.gin = t->gin;
  st_conv_direct_backward (&cd);
}

/* t->gin <- the same by im2col's adjoint: masked in place, one SGEMM
 * into the columns, the columns folded into the tile. */
static void
tile_gemm_backward (const StNode *node, Tile *t, int ch)
{
  int k = node->k, kk = node->cin * k * k, n = t->th * t->tw;
  /* ReLU: no gradient where the feature was clipped to 0.  Written as a
   * select, not a conditional store: that compiles to vector blends
   * instead of a branch per element, which mispredicted on half of them
   * and took a seventh of a pass. */
  for (size_t p = 0; p < (size_t)ch * n; p++)
    t->gf[p] = t->f[p] > 0.0f ? t->gf[p] : 0.0f;
  /* back through the convolution: columns, then folded into the tile */
  st_sgemm (ST_TRANS, ST_NO_TRANS, kk, n, ch, 1.0f, node->weight, kk, t->gf, n,
            0.0f, t->gcol, n);
  memset (t->gin, 0, (size_t)node->cin * t->hh * t->hw * sizeof (float));
  for (int ci = 0; ci < node->cin; ci++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          const float *src = t->gcol + (size_t)((ci * k + ky) * k + kx) * n;
          for (int y = 0; y < t->th; y++)
            {
              float *dst = t->gin + ((size_t)ci * t->hh + y + ky) * t->hw + kx;
              const float *s = src + (size_t)y * t->tw;
              for (int x = 0; x < t->tw; x++)
                dst[x] += s[x];
            }
        }
}

static double
tile_backward (Job *job, Tile *t)
{
  const StNode *node = job->node;
  int c = node->c;
  int content_c = content_channels (node);
  int n = t->th * t->tw;
  /* the filters whose features the losses read */
  int ch = job->d ? c : content_c;
  double content_sq = 0.0;
  if (job->content_in) /* the target: the content's features, made again */
    {
      tile_read (node, job->content_in, t);
      tile_features (node, job->wp, t, content_c, t->tf);
    }
  tile_read (node, job->in, t);
  tile_features (node, job->wp, t, job->grad_in ? ch : content_c, t->f);
  if (job->grad_in)
    {
      if (job->d) /* dL/dF = a D F: D symmetric, its upper triangle */
        st_ssymm_left_upper (c, n, job->style_scale, job->d, c, t->f, n, 0.0f,
                             t->gf, n);
      else
        memset (t->gf, 0, (size_t)ch * n * sizeof (float));
    }
  for (size_t p = 0; job->content_in && p < (size_t)content_c * n; p++)
    {
      float diff = t->f[p] - t->tf[p];
      content_sq += (double)diff * diff;
      if (job->grad_in)
        t->gf[p] += job->content_scale * diff;
    }
  if (!job->grad_in)
    return content_sq;
  if (job->wp)
    tile_direct_backward (node, t, ch);
  else
    tile_gemm_backward (node, t, ch);
  tile_write_gradient (node, t, job->grad_in);
  return content_sq;
}

double
st_tiled_backward (const StNode *node, const float *in, const float *d,
                   float style_scale, const float *content_in,
                   float content_scale, float *grad_in, float *scratch,
                   int threads, const gint *cancel)
{
  Job job;
  double even, odd;
  job_init (&job, PASS_BACKWARD, node, scratch, threads, cancel);
  job.in = in;
  job.d = d;
  job.style_scale = style_scale;
  job.content_in = content_in;
  job.content_scale = content_scale;
  job.grad_in = grad_in;
  if (!grad_in || job.threads == 1)
    return job_run (&job, 0, 1);
  /* A tile's gradient reaches k / 2 rows into the rows of tiles above
   * and below it: even rows of tiles first, then odd ones, so that no two
   * threads ever add into the same pixel. */
  even = job_run (&job, 0, 2);
  if (isnan (even))
    return NAN;
  odd = job_run (&job, 1, 2);
  return even + odd;
}
