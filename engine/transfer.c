/* transfer.c - the driver: parameters, the coarse-to-fine schedule, the
 * memory estimate, colour handling, and the optimisation at each scale. */
#include "network.h"
#include "checks.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK (st - error - quark, st_error)

/* The first scale's long side.  Gatys-style optimisation settles the
 * large-scale arrangement of strokes at low resolution cheaply; each
 * further scale (sqrt 2 larger, as crowsonkb/style-transfer-pytorch) only
 * refines, so it needs fewer iterations. */
#define ST_START_SIDE 160
#define ST_SINGLE_SCALE_MAX 192
#define ST_MAX_SIDE 30000
#define ST_LATER_SCALE_MIN 0.35 /* later scales keep >= 35 % of iterations */
#define ST_LBFGS_BYTES (512u << 20) /* history budget of L-BFGS       */
#define ST_MIN_STYLE_SIDE 16

/* ------------------------------------------------------------ params */

void
st_params_init (StParams *p)
{
  memset (p, 0, sizeof *p);
  p->strength = 50.0;
  p->style_weight = -1.0;
  p->content_weight = -1.0;
  p->tv_weight = -1.0;
  p->style_scale = 1.0;
  p->init = ST_INIT_CONTENT;
  p->pooling = ST_POOLING_AVERAGE;
  p->optimizer = ST_OPTIMIZER_LBFGS;
}

static gboolean
check_range (double v, double lo, double hi, const char *what, GError **error)
{
  if (!isfinite (v) || v < lo || v > hi)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "%s must be a number from %g to %g (got %g)", what, lo, hi,
                   v);
      return FALSE;
    }
  return TRUE;
}

gboolean
st_params_validate (const StParams *p, GError **error)
{
  /* Negative weights mean "the network's default"; NaN and Inf never. */
  return check_range (p->strength, 0, 100, "strength", error)
         && check_range (p->style_weight, -1, 1e9, "style weight", error)
         && check_range (p->content_weight, -1, 1e9, "content weight", error)
         && check_range (p->tv_weight, -1, 1e9, "smoothness (TV weight)", error)
         && check_range (p->iterations, 0, 100000, "iterations", error)
         && check_range (p->size, 0, ST_MAX_SIDE, "size", error)
         && check_range (p->start_size, 0, ST_MAX_SIDE, "start size", error)
         && check_range (p->scales, 0, 20, "number of scales", error)
         && check_range (p->style_scale, 0.05, 10, "style scale", error)
         && check_range (p->history, 0, 1000, "L-BFGS history", error)
         && check_range (p->learning_rate, 0, 1, "learning rate", error)
         && check_range (p->threads, 0, 1024, "threads", error)
         && check_range (p->init, ST_INIT_CONTENT, ST_INIT_NOISE, "init", error)
         && check_range (p->optimizer, ST_OPTIMIZER_LBFGS, ST_OPTIMIZER_ADAM,
                         "optimizer", error)
         && check_range (p->pooling, ST_POOLING_AVERAGE, ST_POOLING_MAX,
                         "pooling", error)
         && st_check_weights (p, error);
}

/* ---------------------------------------------------------- schedule */

#define ST_MAX_SCALES 24

typedef struct
{
  int n;
  int w[ST_MAX_SCALES], h[ST_MAX_SCALES];
  int iterations[ST_MAX_SCALES];
  double work[ST_MAX_SCALES]; /* iterations x pixels */
  double total_work;
} Schedule;

static void
plan_schedule (const StNetwork *net, int cw, int ch, const StParams *p,
               int size, Schedule *s)
{
  int start = p->start_size > 0 ? MIN (p->start_size, size)
                                : MIN (ST_START_SIDE, size);
  int iters = p->iterations > 0 ? p->iterations : net->default_iterations;
  int n;
  if (p->scales > 0)
    n = p->scales;
  else if (size <= ST_SINGLE_SCALE_MAX && p->start_size <= 0)
    n = 1, start = size;
  else
    n = 1 + (int)ceil (log ((double)size / start) / log (G_SQRT2) - 1e-9);
  n = CLAMP (n, 1, ST_MAX_SCALES);
  if (n == 1)
    start = size;
  s->n = n;
  s->total_work = 0;
  for (int i = 0; i < n; i++)
    {
      double side
          = n == 1 ? size
                   : start * pow ((double)size / start, (double)i / (n - 1));
      int lw, lh;
      st_fit_long_side (cw, ch, (int)lround (side), &lw, &lh);
      s->w[i] = lw;
      s->h[i] = lh;
      s->iterations[i]
          = i == 0 ? iters
                   : MAX (1, (int)lround (iters
                                          * MAX (ST_LATER_SCALE_MIN,
                                                 (double)start / side)));
      s->work[i] = (double)s->iterations[i] * lw * lh;
      s->total_work += s->work[i];
    }
}

static int
lbfgs_history (const StParams *p, size_t n)
{
  int want = p->history > 0 ? p->history : 50;
  int fits = (int)(ST_LBFGS_BYTES / (2 * n * sizeof (float)));
  return CLAMP (fits, 5, want);
}

/* --------------------------------------------------------- estimates */

static size_t
default_budget (void)
{
  /* Half of what the system can give without swapping: GIMP, its tile
   * cache and the user's other programs need the rest. */
  char *text = NULL;
  size_t budget = (size_t)4 << 30;
  const char *override = g_getenv ("ST_MEMORY_BUDGET");
  if (override && *override)
    {
      /* A user's (or a test's) own limit, in MiB. */
      char *end;
      guint64 mib = g_ascii_strtoull (override, &end, 10);
      if (*end == '\0' && mib > 0 && mib < ((guint64)1 << 40))
        return (size_t)(mib << 20);
    }
  if (g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    {
      const char *line = strstr (text, "MemAvailable:");
      unsigned long long kb;
      if (line && sscanf (line, "MemAvailable: %llu kB", &kb) == 1)
        budget = (size_t)(kb * 1024 / 2);
      g_free (text);
    }
  return budget;
}

/* Peak bytes of a run whose largest scale is w x h. */
static size_t
estimate_peak (const StNetwork *net, int w, int h, const StParams *p)
{
  StGraph g;
  size_t n = (size_t)3 * w * h, bytes, targets = 0;
  int style_w, style_h;
  int sw = (int)lround (MAX (w, h) * p->style_scale);
  if (!st_graph_build (net, w, h, p->pooling, 0, &g, NULL))
    return 0;
  /* The optimisation's passes, and before them the content's forward
   * pass that keeps the content taps, with the images alive then (content,
   * its copy at this scale, the start image). */
  bytes = MAX (st_graph_peak_bytes (&g),
               st_graph_taps_peak_bytes (&g, FALSE, TRUE)
                   + 3 * n * sizeof (float));
  for (int i = 0; i < g.n; i++)
    {
      const StNode *node = &g.nodes[i];
      if (node->content)
        targets += st_node_content_size (node) * sizeof (float);
      if (node->style)
        targets += (size_t)node->c * node->c * sizeof (float);
    }
  st_graph_clear (&g);
  /* The style image's forward pass happens before the optimisation, at
   * the style's own size; it does not overlap the optimiser's memory. */
  st_fit_long_side (w, h, MAX (sw, 1), &style_w, &style_h);
  if (st_graph_build (net, style_w, style_h, p->pooling,
                      net->vgg ? 0 : st_embedded_levels (w, h), &g, NULL))
    {
      bytes = MAX (bytes, st_graph_taps_peak_bytes (&g, TRUE, FALSE)
                              + 3 * n * sizeof (float));
      st_graph_clear (&g);
    }
  /* Optimiser: x, grad, and L-BFGS's history and scratch (or Adam's two
   * moments); plus the content, previous scale and output images. */
  if (p->optimizer == ST_OPTIMIZER_ADAM)
    bytes += 4 * n * sizeof (float);
  else
    bytes += (2 * (size_t)lbfgs_history (p, n) + 5) * n * sizeof (float);
  bytes += 6 * n * sizeof (float) + targets;
  return bytes + ((size_t)24 << 20); /* code, OpenBLAS buffers, GLib */
}

/* GFLOP/s this machine's SGEMM reaches, measured once per process. */
static double
machine_gflops (void)
{
  static gsize once = 0;
  static double rate = 20.0;
  if (g_once_init_enter (&once))
    {
      int n = 384;
      float *a = st_floats_new ((size_t)n * n),
            *c = st_floats_new ((size_t)n * n);
      if (a && c)
        {
          gint64 t0 = g_get_monotonic_time (), t1;
          for (size_t i = 0; i < (size_t)n * n; i++)
            a[i] = (float)(i % 7) * 0.1f;
          for (int r = 0; r < 4; r++)
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
                         1.0f, a, n, a, n, 0.0f, c, n);
          t1 = g_get_monotonic_time ();
          if (t1 > t0)
            rate = 4 * 2.0 * n * n * (double)n / ((t1 - t0) * 1e3);
        }
      g_free (a);
      g_free (c);
      g_once_init_leave (&once, 1);
    }
  return rate;
}

static gboolean
final_size (const StNetwork *net, int cw, int ch, const StParams *p,
            size_t budget, int *size, int *max_size)
{
  int lo = MAX (st_graph_min_side (net), 16), hi = ST_MAX_SIDE;
  int want = p->size > 0 ? p->size : MAX (cw, ch);
  int w0, h0;
  st_fit_long_side (cw, ch, lo, &w0, &h0);
  if (estimate_peak (net, w0, h0, p) > budget)
    {
      *max_size = 0; /* not even the smallest size fits */
      *size = want;
      return FALSE;
    }
  /* Largest long side within the budget (binary search: the estimate
   * grows with the pixel count). */
  while (lo < hi)
    {
      int mid = lo + (hi - lo + 1) / 2, w, h;
      st_fit_long_side (cw, ch, mid, &w, &h);
      size_t need = estimate_peak (net, w, h, p);
      if (need && need <= budget)
        lo = mid;
      else
        hi = mid - 1;
    }
  *max_size = lo;
  *size = p->size > 0 ? want : MIN (want, lo);
  return *size <= lo;
}

StStatus
st_estimate (const StNetwork *network, int cw, int ch, const StParams *p,
             StEstimate *e, GError **error)
{
  Schedule s;
  int size, max_size;
  double flops = 0.0;
  memset (e, 0, sizeof *e);
  if (!st_params_validate (p, error))
    return ST_ERROR_INVALID;
  if (cw <= 0 || ch <= 0)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "the content image is empty (%d x %d)", cw, ch);
      return ST_ERROR_INVALID;
    }
  /* before the first BLAS call, which would retry forever (issue 13) */
  if (!st_memory_precheck (p->threads, error))
    return ST_ERROR_MEMORY;
  e->budget_bytes = p->memory_budget ? p->memory_budget : default_budget ();
  e->budget_bytes = MIN (e->budget_bytes, st_memory_cap (p->threads));
  final_size (network, cw, ch, p, e->budget_bytes, &size, &max_size);
  plan_schedule (network, cw, ch, p, size, &s);
  for (int i = 0; i < s.n; i++)
    {
      StGraph g;
      if (st_graph_build (network, s.w[i], s.h[i], p->pooling, 0, &g, NULL))
        {
          flops += st_graph_flops (&g) * s.iterations[i] * 1.1;
          st_graph_clear (&g);
        }
      e->total_iterations += s.iterations[i];
    }
  e->width = s.w[s.n - 1];
  e->height = s.h[s.n - 1];
  e->n_scales = s.n;
  e->max_size = max_size;
  e->peak_bytes = estimate_peak (network, e->width, e->height, p);
  /* Convolutions reach about 60 % of the SGEMM peak once im2col, pooling
   * and the losses are counted. */
  e->seconds = flops / (machine_gflops () * 0.6e9);
  return ST_OK;
}

/* ------------------------------------------------------------ colour */

/* Eigen-decomposition of a symmetric 3x3 matrix by Jacobi rotations:
 * a = v diag(d) v^T. */
static void
jacobi3 (double a_in[3][3], double d[3], double v[3][3])
{
  double a[3][3];
  memcpy (a, a_in, sizeof a);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      v[i][j] = i == j;
  for (int sweep = 0; sweep < 50; sweep++)
    {
      double off = fabs (a[0][1]) + fabs (a[0][2]) + fabs (a[1][2]);
      if (off < 1e-15)
        break;
      for (int p = 0; p < 2; p++)
        for (int q = p + 1; q < 3; q++)
          {
            if (fabs (a[p][q]) < 1e-18)
              continue;
            double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
            double t = (theta >= 0 ? 1 : -1)
                       / (fabs (theta) + sqrt (theta * theta + 1));
            double c = 1 / sqrt (t * t + 1), s = t * c;
            for (int k = 0; k < 3; k++)
              {
                double akp = a[k][p], akq = a[k][q];
                a[k][p] = c * akp - s * akq;
                a[k][q] = s * akp + c * akq;
              }
            for (int k = 0; k < 3; k++)
              {
                double apk = a[p][k], aqk = a[q][k];
                a[p][k] = c * apk - s * aqk;
                a[q][k] = s * apk + c * aqk;
              }
            for (int k = 0; k < 3; k++)
              {
                double vkp = v[k][p], vkq = v[k][q];
                v[k][p] = c * vkp - s * vkq;
                v[k][q] = s * vkp + c * vkq;
              }
          }
    }
  for (int i = 0; i < 3; i++)
    d[i] = a[i][i];
}

/* m^power for a symmetric positive semi-definite 3x3 m. */
static void
sym_power (double m[3][3], double power, double out[3][3])
{
  double d[3], v[3][3];
  jacobi3 (m, d, v);
  for (int i = 0; i < 3; i++)
    d[i] = pow (MAX (d[i], 1e-8), power);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      {
        out[i][j] = 0;
        for (int k = 0; k < 3; k++)
          out[i][j] += v[i][k] * d[k] * v[j][k];
      }
}

static void
colour_stats (const float *chw, size_t n, double mean[3], double cov[3][3])
{
  for (int c = 0; c < 3; c++)
    {
      mean[c] = 0;
      for (size_t i = 0; i < n; i++)
        mean[c] += chw[c * n + i];
      mean[c] /= (double)n;
    }
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++)
      {
        double s = 0;
        for (size_t i = 0; i < n; i++)
          s += (chw[a * n + i] - mean[a]) * (chw[b * n + i] - mean[b]);
        cov[a][b] = s / (double)n;
      }
}

/* Recolours style (3, n) so that its colour mean and covariance are the
 * content's (Gatys et al. 2016, "Preserving colour in neural artistic style
 * transfer"): x' = Cc^1/2 Cs^-1/2 (x - ms) + mc. */
static void
match_colours (float *style, size_t sn, const float *content, size_t cn)
{
  double ms[3], mc[3], cs[3][3], ccv[3][3], a[3][3], b[3][3], t[3][3];
  colour_stats (style, sn, ms, cs);
  colour_stats (content, cn, mc, ccv);
  sym_power (cs, -0.5, a);
  sym_power (ccv, 0.5, b);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      {
        t[i][j] = 0;
        for (int k = 0; k < 3; k++)
          t[i][j] += b[i][k] * a[k][j];
      }
  for (size_t p = 0; p < sn; p++)
    {
      double x[3] = { style[p] - ms[0], style[sn + p] - ms[1],
                      style[2 * sn + p] - ms[2] };
      for (int c = 0; c < 3; c++)
        style[c * sn + p] = (float)CLAMP (
            t[c][0] * x[0] + t[c][1] * x[1] + t[c][2] * x[2] + mc[c], 0.0, 1.0);
    }
}

/* Keeps the result's luminance and the content's colour, as
 * jcjohnson/neural-style's -original_colors (Rec. 601 luma). */
static void
keep_original_colours (float *x, const float *content, size_t n)
{
  for (size_t p = 0; p < n; p++)
    {
      double y = 0.299 * x[p] + 0.587 * x[n + p] + 0.114 * x[2 * n + p];
      double yc = 0.299 * content[p] + 0.587 * content[n + p]
                  + 0.114 * content[2 * n + p];
      for (int c = 0; c < 3; c++)
        x[c * n + p] = (float)(y + content[c * n + p] - yc);
    }
}

/* --------------------------------------------------------- the driver */

typedef struct
{
  const StGraph *graph;
  StPool *pool; /* the graph's buffers, kept between evaluations */
  StTargets targets;
  int w, h;
  double tv_weight, range_weight;
  StLossParts parts;
  double tv;
  /* progress */
  const StParams *params;
  StProgressFunc progress;
  gpointer user_data;
  const Schedule *schedule;
  int scale;
  double work_done; /* before this scale */
  gint64 t_start;
} Run;

static double
run_objective (const float *x, float *grad, gpointer data)
{
  Run *r = data;
  size_t n = (size_t)3 * r->w * r->h;
  double loss
      = st_graph_loss (r->graph, x, &r->targets, grad, &r->parts, r->pool);
  r->tv = r->tv_weight * st_tv_loss (x, 3, r->h, r->w, r->tv_weight, grad);
  /* Keeps pixels inside [0, 1]: without it the optimiser pushes strokes
   * past white and black, and clipping them later flattens them. */
  loss += r->tv + r->range_weight * st_range_loss (x, n, r->range_weight, grad);
  return loss;
}

static gboolean
run_iteration (int iteration, double loss, const float *x, gpointer data)
{
  Run *r = data;
  StProgress pr;
  StImage *preview = NULL;
  gboolean go_on;
  const Schedule *s = r->schedule;
  if (!r->progress)
    return TRUE;
  memset (&pr, 0, sizeof pr);
  pr.scale = r->scale + 1;
  pr.n_scales = s->n;
  pr.iteration = iteration;
  pr.n_iterations = s->iterations[r->scale];
  pr.width = r->w;
  pr.height = r->h;
  pr.loss = loss;
  pr.style_loss = iteration > 0 ? r->parts.style : NAN;
  pr.content_loss = iteration > 0 ? r->parts.content : NAN;
  pr.tv_loss = iteration > 0 ? r->tv : NAN;
  pr.fraction
      = MIN (1.0, (r->work_done
                   + s->work[r->scale] * iteration / s->iterations[r->scale])
                      / s->total_work);
  pr.elapsed = (g_get_monotonic_time () - r->t_start) / 1e6;
  if (r->params->want_preview && (preview = st_image_new (r->w, r->h)))
    {
      st_chw_to_hwc (x, r->w, r->h, preview->pixels);
      for (size_t i = 0; i < (size_t)3 * r->w * r->h; i++)
        preview->pixels[i] = CLAMP (preview->pixels[i], 0.0f, 1.0f);
      pr.image = preview;
    }
  go_on = r->progress (&pr, r->user_data);
  st_image_free (preview);
  return go_on;
}

static void
targets_clear (StTargets *t, int n_style, int n_content)
{
  for (int i = 0; i < n_style && t->gram; i++)
    g_free (t->gram[i]);
  for (int i = 0; i < n_content && t->features; i++)
    g_free (t->features[i]);
  g_free (t->gram);
  g_free (t->gram_norm);
  g_free (t->features);
  g_free (t->feature_norm);
  memset (t, 0, sizeof *t);
}

static gboolean
image_is_usable (const StImage *image, const char *what, GError **error)
{
  if (!image || !image->pixels || image->width <= 0 || image->height <= 0)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID, "the %s image is empty",
                   what);
      return FALSE;
    }
  for (size_t i = 0; i < (size_t)image->width * image->height * 3; i++)
    if (!isfinite (image->pixels[i]))
      {
        g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                     "the %s image has pixels that are not numbers", what);
        return FALSE;
      }
  return TRUE;
}

/* Content targets at one scale: the content's own features. */
static gboolean
content_targets (const StGraph *g, const float *content, StTargets *t)
{
  StFeature *f;
  int n, k = 0;
  if (!st_graph_taps (g, content, FALSE, TRUE, &f, &n))
    return FALSE;
  t->features = g_new0 (float *, g->n_content);
  t->feature_norm = g_new0 (double, g->n_content);
  for (int i = 0; i < n; i++)
    if (f[i].content)
      {
        size_t sz = (size_t)f[i].c * f[i].h * f[i].w;
        t->features[k] = f[i].data;
        t->feature_norm[k] = st_sum_squares (f[i].data, sz);
        f[i].data = NULL; /* moved */
        k++;
      }
  st_features_free (f, n);
  return TRUE;
}

/* Style targets at one scale: the blend of every style's Gram matrices. */
static gboolean
style_targets (const StNetwork *net, const StGraph *g, int w, int h,
               const StParams *p, float *const *styles, const int *sw,
               const int *sh, int n_styles, const double *blend, StTargets *t,
               GError **error)
{
  int levels = net->vgg ? 0 : st_embedded_levels (w, h);
  int side = (int)lround (MAX (w, h) * p->style_scale);
  t->gram = g_new0 (float *, g->n_style);
  t->gram_norm = g_new0 (double, g->n_style);
  for (int j = 0; j < n_styles; j++)
    {
      StGraph sg;
      StFeature *f;
      int n, k = 0, tw, th;
      float *resized;
      gboolean ok;
      st_fit_long_side (sw[j], sh[j], MAX (side, 1), &tw, &th);
      if (!st_graph_build (net, tw, th, p->pooling, levels, &sg, error))
        {
          g_prefix_error (error, "style image %d at style scale %g: ", j + 1,
                          p->style_scale);
          return FALSE;
        }
      if (!(resized = st_floats_new ((size_t)3 * tw * th)))
        {
          st_graph_clear (&sg);
          return FALSE;
        }
      st_resample_planes (styles[j], 3, sw[j], sh[j], resized, tw, th);
      ok = st_graph_taps (&sg, resized, TRUE, FALSE, &f, &n);
      g_free (resized);
      st_graph_clear (&sg);
      if (!ok)
        return FALSE;
      for (int i = 0; i < n; i++)
        if (f[i].style)
          {
            int c = f[i].c;
            float *gram = st_floats_new ((size_t)c * c);
            if (!gram)
              {
                st_features_free (f, n);
                return FALSE;
              }
            st_gram (f[i].data, c, f[i].h * f[i].w, gram);
            if (!t->gram[k])
              t->gram[k] = st_floats_new ((size_t)c * c);
            if (!t->gram[k])
              {
                g_free (gram);
                st_features_free (f, n);
                return FALSE;
              }
            cblas_saxpy (c * c, (float)blend[j], gram, 1, t->gram[k], 1);
            g_free (gram);
            k++;
          }
      st_features_free (f, n);
    }
  for (int k = 0; k < g->n_style; k++)
    {
      int c = 0;
      for (int i = 0, s = 0; i < g->n; i++)
        if (g->nodes[i].style && s++ == k)
          c = g->nodes[i].c;
      t->gram_norm[k] = st_sum_squares (t->gram[k], (size_t)c * c);
    }
  return TRUE;
}

static void
set_memory_error (GError **error)
{
  g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
               "out of memory: try a smaller size");
}

StStatus
st_transfer (const StNetwork *net, const StImage *content,
             const StImage *const *styles, int n_styles, const StParams *p,
             StProgressFunc progress, gpointer user_data, StImage **result,
             GError **error)
{
  StStatus status = ST_OK;
  Schedule sched;
  StEstimate est;
  Run run;
  int cw, ch, size, max_size, min_side;
  double *blend = NULL;
  float *content_chw = NULL, **style_chw = NULL, *x = NULL;
  int *sw = NULL, *sh = NULL;
  guint alloc_failures = st_alloc_failures ();
  StRng rng;

  g_return_val_if_fail (result != NULL, ST_ERROR_INVALID);
  *result = NULL;
  if (!net || !p)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "no network or no parameters");
      return ST_ERROR_INVALID;
    }
  if (!st_params_validate (p, error)
      || !image_is_usable (content, "content", error))
    return ST_ERROR_INVALID;
  if (n_styles < 1 || !styles)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID, "no style image");
      return ST_ERROR_INVALID;
    }
  for (int j = 0; j < n_styles; j++)
    {
      if (!image_is_usable (styles[j], "style", error))
        return ST_ERROR_INVALID;
      if (MIN (styles[j]->width, styles[j]->height) < ST_MIN_STYLE_SIDE)
        {
          g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                       "the style image is %d x %d pixels: too small to "
                       "show a style (at least %d x %d)",
                       styles[j]->width, styles[j]->height, ST_MIN_STYLE_SIDE,
                       ST_MIN_STYLE_SIDE);
          return ST_ERROR_INVALID;
        }
      if (!st_check_style_image (styles[j], j, n_styles, error))
        return ST_ERROR_INVALID;
    }
  if (!st_blend_normalize (p->style_blend, n_styles, NULL, error))
    return ST_ERROR_INVALID;

  cw = content->width;
  ch = content->height;
  min_side = MAX (st_graph_min_side (net), 16);
  if (MIN (cw, ch) < 16 && p->size <= 0)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "the content image is %d x %d pixels: too small for "
                   "style transfer (at least 16 x 16), or ask for a larger "
                   "size",
                   cw, ch);
      return ST_ERROR_INVALID;
    }

  /* Memory first, before allocating anything. */
  if ((status = st_estimate (net, cw, ch, p, &est, error)) != ST_OK)
    return status;
  /* st_estimate already chose the size (the requested one, or for 0 the
   * content's, shrunk to the budget) and the largest that fits. */
  size = MAX (est.width, est.height);
  max_size = est.max_size;
  if (size > max_size)
    {
      char *need = g_format_size_full (est.peak_bytes, G_FORMAT_SIZE_IEC_UNITS);
      char *have
          = g_format_size_full (est.budget_bytes, G_FORMAT_SIZE_IEC_UNITS);
      if (max_size > 0)
        g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                     "a %d px result needs about %s, more than the memory "
                     "budget of %s; the largest size that fits is %d px",
                     size, need, have, max_size);
      else
        g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                     "the memory budget of %s is too small for any size "
                     "(a %d px result needs about %s)",
                     have, size, need);
      g_free (need);
      g_free (have);
      return ST_ERROR_MEMORY;
    }
  plan_schedule (net, cw, ch, p, size, &sched);
  for (int i = 0; i < sched.n; i++)
    if (MIN (sched.w[i], sched.h[i]) < min_side)
      {
        g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                     "at %d x %d pixels the image is too small for the %s "
                     "network (the short side needs at least %d px); use a "
                     "larger size or a less elongated image",
                     sched.w[i], sched.h[i], net->kind, min_side);
        return ST_ERROR_INVALID;
      }

  st_set_threads (p->threads);
  memset (&run, 0, sizeof run);
  run.params = p;
  run.progress = progress;
  run.user_data = user_data;
  run.schedule = &sched;
  run.t_start = g_get_monotonic_time ();
  run.tv_weight = p->tv_weight >= 0 ? p->tv_weight : net->tv_weight;

  /* Everything the scales share, in planar layout. */
  blend = g_new (double, n_styles);
  st_blend_normalize (p->style_blend, n_styles, blend, NULL);
  sw = g_new (int, n_styles);
  sh = g_new (int, n_styles);
  style_chw = g_new0 (float *, n_styles);
  content_chw = st_floats_new ((size_t)3 * cw * ch);
  if (!content_chw)
    goto oom;
  st_hwc_to_chw (content->pixels, cw, ch, content_chw);
  for (int j = 0; j < n_styles; j++)
    {
      sw[j] = styles[j]->width;
      sh[j] = styles[j]->height;
      if (!(style_chw[j] = st_floats_new ((size_t)3 * sw[j] * sh[j])))
        goto oom;
      st_hwc_to_chw (styles[j]->pixels, sw[j], sh[j], style_chw[j]);
      if (p->match_colors)
        match_colours (style_chw[j], (size_t)sw[j] * sh[j], content_chw,
                       (size_t)cw * ch);
    }

  st_rng_init (&rng, p->seed);
  for (int si = 0; si < sched.n && status == ST_OK; si++)
    {
      int w = sched.w[si], h = sched.h[si];
      size_t n = (size_t)3 * w * h;
      StGraph g;
      StOptimizerConfig cfg;
      StOptimizerResult res;
      float *content_s = st_floats_new (n);
      float *x_next = st_floats_new (n);

      if (!content_s || !x_next
          || !st_graph_build (net, w, h, p->pooling, 0, &g, error))
        {
          g_free (content_s);
          g_free (x_next);
          if (error && *error)
            {
              status = ST_ERROR_INVALID;
              break;
            }
          goto oom;
        }
      st_resample_planes (content_chw, 3, cw, ch, content_s, w, h);
      if (si == 0)
        {
          if (p->init == ST_INIT_NOISE)
            for (size_t i = 0; i < n; i++)
              x_next[i]
                  = (float)CLAMP (0.5 + 0.2 * st_rng_normal (&rng), 0.0, 1.0);
          else
            memcpy (x_next, content_s, n * sizeof (float));
        }
      else
        st_resample_planes (x, 3, sched.w[si - 1], sched.h[si - 1], x_next, w,
                            h);
      g_free (x);
      x = x_next;

      run.graph = &g;
      run.w = w;
      run.h = h;
      run.scale = si;
      run.targets.style_weight
          = (p->style_weight >= 0
                 ? p->style_weight
                 : net->style_weight * pow (10.0, (p->strength - 50.0) / 25.0));
      run.targets.content_weight
          = p->content_weight >= 0 ? p->content_weight : net->content_weight;
      run.range_weight = MAX (run.targets.style_weight, 1.0);
      if (!content_targets (&g, content_s, &run.targets)
          || !style_targets (net, &g, w, h, p, style_chw, sw, sh, n_styles,
                             blend, &run.targets, error)
          || !st_check_style_targets (run.targets.gram_norm, g.n_style, w, h,
                                      error))
        {
          targets_clear (&run.targets, g.n_style, g.n_content);
          st_graph_clear (&g);
          g_free (content_s);
          if (error && *error)
            {
              status = ST_ERROR_INVALID;
              break;
            }
          goto oom;
        }
      g_free (content_s);

      /* A chance to cancel between the targets and the first iteration,
       * which at a large scale can be seconds apart. */
      if (!run_iteration (0, NAN, x, &run))
        {
          targets_clear (&run.targets, g.n_style, g.n_content);
          st_graph_clear (&g);
          status = ST_CANCELLED;
          g_set_error (error, ST_ERROR, ST_CANCELLED, "cancelled");
          break;
        }

      memset (&cfg, 0, sizeof cfg);
      cfg.iterations = sched.iterations[si];
      cfg.history = lbfgs_history (p, n);
      cfg.tolerance_grad = 1e-7;
      cfg.tolerance_change = 1e-9;
      cfg.max_evaluations_per_iteration = 5;
      run.pool = st_pool_new ();
      if (p->optimizer == ST_OPTIMIZER_ADAM)
        {
          cfg.learning_rate = p->learning_rate > 0 ? p->learning_rate : 0.01;
          status
              = st_adam (x, n, &cfg, run_objective, run_iteration, &run, &res);
        }
      else
        {
          cfg.learning_rate = p->learning_rate > 0 ? p->learning_rate : 0.05;
          status
              = st_lbfgs (x, n, &cfg, run_objective, run_iteration, &run, &res);
        }
      st_pool_free (run.pool);
      run.pool = NULL;
      targets_clear (&run.targets, g.n_style, g.n_content);
      st_graph_clear (&g);
      run.work_done += sched.work[si];
      if (status == ST_CANCELLED)
        g_set_error (error, ST_ERROR, ST_CANCELLED, "cancelled");
      else if (status == ST_ERROR_NUMERIC
               && st_alloc_failures () != alloc_failures)
        {
          /* an allocation inside the loss failed: its NaN means memory */
          status = ST_ERROR_MEMORY;
          set_memory_error (error);
        }
      else if (status == ST_ERROR_NUMERIC)
        g_set_error (error, ST_ERROR, ST_ERROR_NUMERIC,
                     "the loss became NaN or infinite at scale %d of %d; "
                     "the weights are probably too large",
                     si + 1, sched.n);
      else if (status == ST_ERROR_MEMORY)
        set_memory_error (error);
    }

  if (status == ST_OK)
    {
      int w = sched.w[sched.n - 1], h = sched.h[sched.n - 1];
      size_t n = (size_t)w * h;
      StImage *out = st_image_new (w, h);
      if (!out)
        goto oom;
      if (p->preserve_colors)
        {
          float *cs = st_floats_new (3 * n);
          if (!cs)
            {
              st_image_free (out);
              goto oom;
            }
          st_resample_planes (content_chw, 3, cw, ch, cs, w, h);
          keep_original_colours (x, cs, n);
          g_free (cs);
        }
      for (size_t i = 0; i < 3 * n; i++)
        x[i] = CLAMP (x[i], 0.0f, 1.0f);
      st_chw_to_hwc (x, w, h, out->pixels);
      *result = out;
    }
  goto done;

oom:
  status = ST_ERROR_MEMORY;
  set_memory_error (error);
done:
  for (int j = 0; j < n_styles && style_chw; j++)
    g_free (style_chw[j]);
  g_free (style_chw);
  g_free (sw);
  g_free (sh);
  g_free (blend);
  g_free (content_chw);
  g_free (x);
  return status;
}
