/* transfer.c - the driver: st_transfer checks its inputs and the plan
 * (estimate.c), prepares what every scale shares, runs the optimiser at
 * each scale of the plan, and finishes the result.  Each step returns the
 * status of what failed in it and sets the error to match. */
#include "checks.h"
#include "driver.h"

#include "blas.h"
#include <math.h>
#include <string.h>

// clang-format off
G_DEFINE_QUARK (st-error-quark, st_error)
// clang-format on

/* The optimisers' stopping rules and first steps (in [0, 1] pixel units):
 * L-BFGS as torch.optim.LBFGS, with at most 5 evaluations of its line
 * search per iteration; Adam's step as crowsonkb/style-transfer-pytorch. */
#define ST_TOLERANCE_GRAD 1e-7
#define ST_TOLERANCE_CHANGE 1e-9
#define ST_LBFGS_MAX_EVALUATIONS 5
#define ST_LBFGS_FIRST_STEP 0.05
#define ST_ADAM_STEP 0.01
/* A scale of L-BFGS ends early once its loss is under the previous
 * scale's and falls by less than this fraction of itself per iteration
 * (over ST_PLATEAU_WINDOW iterations): a scale that starts from the
 * previous one enlarged recovers the painting's statistics at its new
 * octave in 20-30 iterations, then refines slowly. */
#define ST_PLATEAU_FRACTION 0.0025

typedef struct
{
  StContext *ctx;
  const StNetwork *net;
  const StParams *p;
  int threads; /* the run's (st_run_threads) */
  StPlan plan;
  /* shared by the scales, planar (3, h, w) */
  int cw, ch;
  float *content;
  int n_styles;
  float **styles;
  int *sw, *sh;
  double *blend; /* (n_styles), adding up to 1 */
  double style_weight, content_weight, tv_weight, range_weight;
  StRng rng;
  float *x; /* the painting, at the current scale */
  /* the current scale */
  int scale, w, h;
  const StGraph *graph;
  StPool *pool; /* the graph's buffers, kept between evaluations */
  StTargets targets;
  StLossParts parts;
  double tv;
  double previous_loss; /* where the scale before ended (+inf at first) */
  gboolean ended_early; /* the scale stopped on its plateau            */
  int warm_step;        /* the warm-up's iteration, or -1 after it      */
  /* progress */
  StProgressFunc progress;
  gpointer user_data;
  double work_done; /* before this scale */
  gint64 t_start;
} Run;

/* ------------------------------------------------------------- check */

static StStatus
invalid (GError **error, const char *message)
{
  g_set_error_literal (error, ST_ERROR, ST_ERROR_INVALID, message);
  return ST_ERROR_INVALID;
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

// clang-format off
static StStatus
check_images (const StImage *content, const StImage *const *styles,
              int n_styles, const StParams *p, GError **error)
{
  if (!image_is_usable (content, "content", error))
    return ST_ERROR_INVALID;
  if (n_styles < 1 || !styles)
    return invalid (error, "no style image");
  for (int j = 0; j < n_styles; j++)
    {
      const StImage *s = styles[j];

      if (!image_is_usable (s, "style", error))
        return ST_ERROR_INVALID;
      if (MIN (s->width, s->height) < ST_MIN_SIDE)
        {
          g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                       "the style image is %d x %d pixels: too small to "
                       "show a style (at least %d x %d)",
                       s->width, s->height, ST_MIN_SIDE,
                       ST_MIN_SIDE);
          return ST_ERROR_INVALID;
        }
      if (!st_check_style_image (s, j, n_styles, error))
        return ST_ERROR_INVALID;
    }
  if (!st_blend_normalize (p->style_blend, n_styles, NULL, error))
    return ST_ERROR_INVALID;
  if (MIN (content->width, content->height) < ST_MIN_SIDE && p->size <= 0)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "the content image is %d x %d pixels: too small for "
                   "style transfer (at least %d x %d), or ask for a larger "
                   "size",
                   content->width, content->height, ST_MIN_SIDE,
                   ST_MIN_SIDE);
      return ST_ERROR_INVALID;
    }
  return ST_OK;
}

/* The plan (the one given, else one made now), refused when it does not
 * fit the budget (a scale too small for the network is refused by the
 * plan itself). */
static StStatus
check_plan (Run *r, const StEstimate *given, GError **error)
{
  const StEstimate *e = &r->plan.estimate;
  StStatus status
      = given ? st_plan_expand (r->ctx, r->net, given, r->cw, r->ch, r->p,
                                &r->plan, error)
              : st_plan (r->ctx, r->net, r->cw, r->ch, r->p, &r->plan, error);
  if (status != ST_OK)
    return status;
  if (!e->fits)
    {
      char *need = g_format_size_full (e->peak_bytes, G_FORMAT_SIZE_IEC_UNITS);
      char *have = g_format_size_full (e->budget_bytes, G_FORMAT_SIZE_IEC_UNITS);
      int size = MAX (e->width, e->height);
      if (e->max_size > 0)
        g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                     "a %d px result needs about %s, more than the memory "
                     "budget of %s; the largest size that fits is %d px",
                     size, need, have, e->max_size);
      else
        g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                     "the memory budget of %s is too small for any size "
                     "(a %d px result needs about %s)",
                     have, size, need);
      g_free (need);
      g_free (have);
      return ST_ERROR_MEMORY;
    }
  return ST_OK;
}
// clang-format on

/* ----------------------------------------------------------- prepare */

/* The loss weights, the images in planar layout, the styles recoloured
 * when asked, the noise generator. */
static StStatus
prepare (Run *r, const StImage *content, const StImage *const *styles,
         GError **error)
{
  const StParams *p = r->p;
  const StNetworkClass *net = st_network_class (r->net);
  r->style_weight
      = p->style_weight >= 0
            ? p->style_weight
            : net->style_weight * pow (10.0, (p->strength - 50.0) / 25.0);
  r->content_weight
      = p->content_weight >= 0 ? p->content_weight : net->content_weight;
  r->tv_weight = p->tv_weight >= 0 ? p->tv_weight : net->tv_weight;
  r->range_weight = MAX (r->style_weight, 1.0);

  r->blend = g_try_new (double, r->n_styles);
  r->sw = g_try_new (int, r->n_styles);
  r->sh = g_try_new (int, r->n_styles);
  r->styles = g_try_new0 (float *, r->n_styles);
  r->content = st_floats_new ((size_t)3 * r->cw * r->ch);
  if (!r->blend || !r->sw || !r->sh || !r->styles || !r->content)
    return st_memory_error (error);
  st_hwc_to_chw (content->pixels, r->cw, r->ch, r->content);
  int axes;
  StStatus status = st_deblock (r->content, r->cw, r->ch, &axes, error);
  if (status != ST_OK)
    return status;
  st_blend_normalize (p->style_blend, r->n_styles, r->blend, NULL);
  for (int j = 0; j < r->n_styles; j++)
    {
      int sw = r->sw[j] = styles[j]->width, sh = r->sh[j] = styles[j]->height;
      if (!(r->styles[j] = st_floats_new ((size_t)3 * sw * sh)))
        return st_memory_error (error);
      st_hwc_to_chw (styles[j]->pixels, sw, sh, r->styles[j]);
      if (p->match_colors)
        st_match_colours (r->styles[j], (size_t)sw * sh, r->content,
                          (size_t)r->cw * r->ch);
    }
  st_rng_init (&r->rng, p->seed);
  return ST_OK;
}

/* --------------------------------------------------------- one scale */

/* The network's pass (its status: out of memory, cancelled) and the
 * terms on the pixels themselves. */
static StStatus
run_objective (const float *x, float *grad, double *loss, gpointer data)
{
  Run *r = data;
  size_t n = (size_t)3 * r->w * r->h;
  StStatus status = st_graph_loss (r->graph, x, &r->targets, grad, &r->parts,
                                   r->pool, loss);
  if (status != ST_OK)
    return status;
  r->tv = r->tv_weight * st_tv_loss (x, 3, r->h, r->w, r->tv_weight, grad);
  /* Keeps pixels inside [0, 1]: without it the optimiser pushes strokes
   * past white and black, and clipping them later flattens them. */
  *loss
      += r->tv + r->range_weight * st_range_loss (x, n, r->range_weight, grad);
  return ST_OK;
}

static gboolean
run_iteration (int iteration, double loss, const float *x, gpointer data)
{
  Run *r = data;
  StProgress pr;
  StImage *preview = NULL;
  gboolean go_on;
  const StSchedule *s = &r->plan.schedule;
  if (r->p->cancel && g_atomic_int_get (r->p->cancel))
    return FALSE;
  if (!r->progress)
    return TRUE;
  memset (&pr, 0, sizeof pr);
  pr.scale = r->scale + 1;
  pr.n_scales = s->n;
  pr.iteration = iteration;
  /* a scale that ended on its plateau reports its last iteration as its
   * count, and the progress at the scale's end */
  pr.n_iterations = r->ended_early ? iteration : s->iterations[r->scale];
  pr.width = r->w;
  pr.height = r->h;
  pr.loss = loss;
  pr.style_loss = iteration > 0 ? r->parts.style : NAN;
  pr.content_loss = iteration > 0 ? r->parts.content : NAN;
  pr.tv_loss = iteration > 0 ? r->tv : NAN;
  {
    /* the warm-up's share of the scale's work first, then its own */
    double warm = s->warm_work[r->scale], own = s->work[r->scale] - warm;
    double done
        = r->warm_step >= 0
              ? warm * r->warm_step / MAX (s->warmup[r->scale], 1)
              : warm
                    + own
                          * (r->ended_early
                                 ? 1.0
                                 : MIN (1.0, (double)iteration
                                                 / s->expected[r->scale]));
    pr.fraction = MIN (1.0, (r->work_done + done) / s->total_work);
  }
  pr.elapsed = (g_get_monotonic_time () - r->t_start) / 1e6;
  {
    /* the plan's estimate at first, the pace so far once it says more */
    double plan_left = r->plan.estimate.seconds * (1.0 - pr.fraction);
    double pace_left = pr.fraction > 0
                           ? pr.elapsed * (1.0 - pr.fraction) / pr.fraction
                           : plan_left;
    double trust = MIN (1.0, pr.fraction * 10.0);
    pr.seconds_left = trust * pace_left + (1.0 - trust) * plan_left;
  }
  if (r->p->want_preview && (preview = st_image_new (r->w, r->h)))
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

/* --------------------------------------------------------- one scale */

/* x (3, h, w) <- the previous scale's painting prev (3, ph, pw), enlarged,
 * with the photo's detail of this scale (content, (3, h, w)) when detail
 * is set (issue 18); FALSE when out of memory.
 *
 * Enlarged as it is, the previous painting's finest strokes (its pixel-
 * level texture) become 2 x 2 blocks, and its whole top octave is missing:
 * the few iterations of a large scale start far from the painting's
 * statistics and from the photo's drawing, and end as a block grid over a
 * blur.  So the enlargement takes only what the previous scale settled
 * (blurred by [1 2 1]: no texture at its pixel level), and the band it
 * lacks comes from the photo at this scale: x = content + the enlarged,
 * blurred (prev - content reduced).  Edges of houses and eyes come where
 * the photo has them, at the phase of the new pixel grid, for the
 * optimiser to repaint as strokes.
 *
 * The enlargement is filtered at the new scale too, by the half-band
 * kernel [-1 0 9 16 9 0 -1] / 32: its gain is 0.94 at a quarter of the
 * new Nyquist frequency, 0.5 at the old scale's Nyquist frequency (half
 * the new one) and 0 at the new one.  A 2x enlargement puts two new pixels
 * around each old one, and the steps within a pair are smaller than those
 * between pairs wherever the old painting has texture: the start held a
 * 2-pixel lattice (odd columns' steps 1.16 times the even ones' on a
 * 960 px painting), which the optimiser kept and grew (1.32 at 1920 px,
 * a grid score of 17 at 4 px in the fallen leaf's smooth bokeh; 1.06 and
 * 12.8 at the photo's own 8 px with the filter).  [1 2 1] / 4 took the
 * lattice away as well but a third of the octave below it too (the leaf's
 * last scale ended at 3.04, 2.87 with the half-band kernel, 2.61 with the
 * lattice). */
gboolean
st_enlarge_start (const float *prev, int pw, int ph, const float *content,
                  int w, int h, gboolean detail, float *x)
{
  static const float blur121[] = { 0.5f, 0.25f };
  static const float halfband[] = { 0.5f, 9.0f / 32, 0.0f, -1.0f / 32 };
  size_t pn = (size_t)pw * ph, n = (size_t)w * h;
  float *low = st_floats_new (3 * pn);
  float *tmp = st_floats_new (n);
  if (!low || !tmp)
    {
      g_free (low);
      g_free (tmp);
      return FALSE;
    }
  if (detail)
    st_resample_planes (content, 3, w, h, low, pw, ph);
  for (size_t i = 0; i < 3 * pn; i++)
    low[i] = prev[i] - (detail ? low[i] : 0.0f);
  for (int c = 0; c < 3; c++)
    st_filter_plane (low + c * pn, pw, ph, blur121, 1, tmp);
  st_resample_planes (low, 3, pw, ph, x, w, h);
  for (int c = 0; c < 3; c++)
    st_filter_plane (x + c * n, w, h, halfband,
                     (int)G_N_ELEMENTS (halfband) - 1, tmp);
  if (detail)
    for (size_t i = 0; i < 3 * n; i++)
      x[i] += content[i];
  g_free (low);
  g_free (tmp);
  return TRUE;
}

/* The start of scale si: the content for si = 0 (or noise), else the
 * previous scale's painting, enlarged. */
static StStatus
start_image (Run *r, int si, const float *content_s, GError **error)
{
  const StSchedule *s = &r->plan.schedule;
  size_t n = (size_t)3 * r->w * r->h;
  float *x = st_floats_new (n);
  if (!x)
    return st_memory_error (error);
  if (si > 0)
    {
      if (!st_enlarge_start (r->x, s->w[si - 1], s->h[si - 1], content_s, r->w,
                             r->h, r->p->init == ST_INIT_CONTENT, x))
        {
          g_free (x);
          return st_memory_error (error);
        }
    }
  else if (r->p->init == ST_INIT_NOISE)
    for (size_t i = 0; i < n; i++)
      x[i] = (float)CLAMP (0.5 + 0.2 * st_rng_normal (&r->rng), 0.0, 1.0);
  else
    memcpy (x, content_s, n * sizeof (float));
  g_free (r->x);
  r->x = x;
  return ST_OK;
}

/* The warm-up's progress: the start of the scale, with the warm-up's
 * share of its work done (run_iteration). */
static gboolean
warm_iteration (int iteration, double loss, const float *z, gpointer data)
{
  Run *r = data;
  (void)loss;
  (void)z;
  r->warm_step = iteration;
  return run_iteration (0, NAN, r->x, r);
}

/* Scale si's warm-up (warmup.c): r->x gets the new octave's marks. */
static StStatus
warm_up (Run *r, int si, const StOptimizerConfig *scale_cfg)
{
  StWarmUp job;
  StStatus status;
  memset (&job, 0, sizeof job);
  job.graph = r->graph;
  job.targets = &r->targets;
  job.w = r->w;
  job.h = r->h;
  job.tv_weight = r->tv_weight;
  job.range_weight = r->range_weight;
  job.cfg = *scale_cfg;
  job.cfg.iterations = r->plan.schedule.warmup[si];
  job.cfg.history = st_warmup_history (r->p, (size_t)3 * r->w * r->h);
  job.cfg.plateau_fraction = 0; /* the scale's own rule, not here */
  job.iteration = warm_iteration;
  job.data = r;
  r->warm_step = 0;
  status = st_warm_up (&job, r->x);
  r->warm_step = -1;
  return status;
}

static StStatus
optimise (Run *r, int si, GError **error)
{
  size_t n = (size_t)3 * r->w * r->h;
  StOptimizerConfig cfg;
  StStatus status;
  memset (&cfg, 0, sizeof cfg);
  cfg.iterations = r->plan.schedule.iterations[si];
  cfg.history = st_lbfgs_history (r->p, n);
  cfg.tolerance_grad = ST_TOLERANCE_GRAD;
  cfg.tolerance_change = ST_TOLERANCE_CHANGE;
  cfg.max_evaluations_per_iteration = ST_LBFGS_MAX_EVALUATIONS;
  cfg.plateau_fraction = ST_PLATEAU_FRACTION;
  cfg.plateau_below = si > 0 ? r->previous_loss : INFINITY;
  if (!(r->pool = st_pool_new ()))
    return st_memory_error (error);
  if (r->p->optimizer == ST_OPTIMIZER_ADAM)
    {
      cfg.learning_rate
          = r->p->learning_rate > 0 ? r->p->learning_rate : ST_ADAM_STEP;
      status = st_adam (r->x, n, &cfg, run_objective, run_iteration, r, NULL);
    }
  else
    {
      cfg.learning_rate
          = r->p->learning_rate > 0 ? r->p->learning_rate : ST_LBFGS_FIRST_STEP;
      StOptimizerResult res = { 0 };
      status = r->plan.schedule.warmup[si] > 0 ? warm_up (r, si, &cfg) : ST_OK;
      if (status == ST_OK)
        status
            = st_lbfgs (r->x, n, &cfg, run_objective, run_iteration, r, &res);
      r->previous_loss = res.loss;
      if (status == ST_OK && res.iterations < cfg.iterations)
        {
          /* ended early: the progress bar goes to the scale's end */
          r->ended_early = TRUE;
          run_iteration (res.iterations, res.loss, r->x, r);
          r->ended_early = FALSE;
        }
    }
  st_pool_free (r->pool);
  r->pool = NULL;
  /* the optimiser's status is its own or the objective's (a pass out of
   * memory or stopped by the cancel flag): each gets its message here */
  if (status == ST_CANCELLED)
    st_cancelled_error (error);
  else if (status == ST_ERROR_NUMERIC)
    g_set_error (error, ST_ERROR, ST_ERROR_NUMERIC,
                 "the loss became NaN or infinite at scale %d of %d; "
                 "the weights are probably too large",
                 si + 1, r->plan.schedule.n);
  else if (status == ST_ERROR_MEMORY)
    st_memory_error (error);
  return status;
}

/* Scale si: its graph and targets, then the optimiser. */
static StStatus
run_scale (Run *r, int si, GError **error)
{
  StGraph g;
  StStatus status;
  float *content_s;
  r->scale = si;
  r->w = r->plan.schedule.w[si];
  r->h = r->plan.schedule.h[si];
  if (!(content_s = st_floats_new ((size_t)3 * r->w * r->h)))
    return st_memory_error (error);
  if ((status
       = st_scale_graph (r->net, r->p, r->threads, r->w, r->h, 0, &g, error))
      != ST_OK)
    {
      g_free (content_s);
      return status;
    }
  st_resample_planes (r->content, 3, r->cw, r->ch, content_s, r->w, r->h);
  status = start_image (r, si, content_s, error);
  r->graph = &g;
  r->targets.style_weight = r->style_weight;
  r->targets.content_weight = r->content_weight;
  if (status == ST_OK)
    status = st_content_targets (&g, content_s, &r->targets, error);
  g_free (content_s);
  if (status == ST_OK)
    status = st_style_targets (r->net, r->p, r->w, r->h, r->n_styles, r->styles,
                               r->sw, r->sh, r->blend, &g, &r->targets, error);
  if (status == ST_OK
      && !st_check_style_targets (r->targets.gram_norm, g.n_style, r->w, r->h,
                                  error))
    status = ST_ERROR_INVALID;
  /* A chance to cancel between the targets and the first iteration,
   * which at a large scale can be seconds apart. */
  if (status == ST_OK && !run_iteration (0, NAN, r->x, r))
    status = st_cancelled_error (error);
  if (status == ST_OK)
    status = optimise (r, si, error);
  st_targets_clear (&r->targets, g.n_style, g.n_content);
  st_graph_clear (&g);
  r->graph = NULL;
  r->work_done += r->plan.schedule.work[si];
  return status;
}

/* ------------------------------------------------------------ finish */

static StStatus
finish (Run *r, StImage **result, GError **error)
{
  int w = r->w, h = r->h;
  size_t n = (size_t)w * h;
  StImage *out = st_image_new (w, h);
  if (!out)
    return st_memory_error (error);
  if (r->p->preserve_colors)
    {
      float *cs = st_floats_new (3 * n);
      if (!cs)
        {
          st_image_free (out);
          return st_memory_error (error);
        }
      st_resample_planes (r->content, 3, r->cw, r->ch, cs, w, h);
      st_keep_original_colours (r->x, cs, n);
      g_free (cs);
    }
  for (size_t i = 0; i < 3 * n; i++)
    r->x[i] = CLAMP (r->x[i], 0.0f, 1.0f);
  st_chw_to_hwc (r->x, w, h, out->pixels);
  *result = out;
  return ST_OK;
}

static void
run_clear (Run *r)
{
  for (int j = 0; j < r->n_styles && r->styles; j++)
    g_free (r->styles[j]);
  g_free (r->styles);
  g_free (r->sw);
  g_free (r->sh);
  g_free (r->blend);
  g_free (r->content);
  g_free (r->x);
}

StStatus
st_transfer (StContext *ctx, const StNetwork *net, const StImage *content,
             const StImage *const *styles, int n_styles, const StParams *p,
             const StEstimate *plan, StProgressFunc progress,
             gpointer user_data, StImage **result, GError **error)
{
  Run r;
  StStatus status;

  g_return_val_if_fail (result != NULL, ST_ERROR_INVALID);
  *result = NULL;
  if (!ctx || !net || !p)
    return invalid (error, "no context, no network or no parameters");
  if ((status = check_images (content, styles, n_styles, p, error)) != ST_OK)
    return status;
  memset (&r, 0, sizeof r);
  r.warm_step = -1;
  r.ctx = ctx;
  r.net = net;
  r.p = p;
  r.threads = st_run_threads (ctx, p);
  r.cw = content->width;
  r.ch = content->height;
  r.n_styles = n_styles;
  r.progress = progress;
  r.user_data = user_data;
  if ((status = check_plan (&r, plan, error)) != ST_OK)
    return status;

  /* OpenBLAS's threads: a process-wide setting of the library (the
   * engine's own loops take r.threads from the graph) */
  st_blas_set_threads (r.threads);
  r.t_start = g_get_monotonic_time ();
  status = prepare (&r, content, styles, error);
  for (int si = 0; si < r.plan.schedule.n && status == ST_OK; si++)
    status = run_scale (&r, si, error);
  if (status == ST_OK)
    status = finish (&r, result, error);
  run_clear (&r);
  return status;
}
