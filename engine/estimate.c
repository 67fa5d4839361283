/* estimate.c - the plan of a run, the engine's one answer to "what size,
 * how much memory, how long": the final size (the requested one, or the
 * content's reduced to the memory budget), the coarse-to-fine schedule,
 * the peak memory and the time.  st_estimate returns it to front ends;
 * st_transfer runs it. */
#include "checks.h"
#include "driver.h"

#include "blas.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The default schedule halves the size from the result down to the first
 * scale, whose long side is the smallest that stays at or over
 * ST_FIRST_SIDE_MIN (128-255 px): there L-BFGS settles the large-scale
 * arrangement of strokes cheaply, and each later scale only refines.
 * Steps of exactly 2 (issue 18): at a ratio such as sqrt 2, the enlarged
 * painting's sharpness beats against the new pixel grid with a period of
 * 4-16 px, and the short later scales lock that beat in as a block grid
 * (grid score 13-34 where photos score 4-7); doubling samples every new
 * pixel at the same phase.  Up to 255 px (one halving would go under the
 * minimum), one scale.  A number of scales or a first size given by the
 * caller spreads the scales evenly (geometrically) instead. */
#define ST_FIRST_SIDE_MIN 128
#define ST_START_SIDE 160     /* the first size when only a count is given */
#define ST_SCHEDULE_POWER 1.5 /* iterations ~ (first side / side)^1.5 */
/* Later scales keep at least 30 iterations (or the first scale's count
 * when it is smaller): a scale starts from the previous painting enlarged
 * with a new octave to paint, and L-BFGS needs 20-30 iterations to bring
 * its loss back to the previous scale's (traced on Tübingen at 768 px and
 * a 1920 x 1200 photo: with the 10 that the power law gives a 1920 px
 * result, its last scale ended at a loss of 3.7 after 2.4; with 30, at
 * 2.40).  A scale that gets under the previous loss sooner stops on its
 * plateau (transfer.c).  A scale whose new octave its warm-up paints
 * first (warmup.c: the embedded network) needs fewer: 24. */
#define ST_LATER_SCALE_MIN_ITERATIONS 30
#define ST_LATER_SCALE_MIN_WARMED 24
/* ... except a scale of a megapixel or more: 20 (issue 19), 14 after a
 * warm-up; for a 4000 x 3000 photo that is its 2000 x 1500 scale as well
 * as its own.  There each iteration costs 3-15 s, and the last 10 of 30
 * changed nothing one sees: a 1920 x 1080 forest photo with Starry Night
 * painted with 18 and with 30 is the same at 100 % side by side, grid
 * 13.7 / 13.3 (the photo's own trunks score 14.3), edges kept 0.43 /
 * 0.43, border 0.95 / 0.96, for a quarter less time.  With the warm-up,
 * Tübingen at 1920 x 1080 x Starry Night ends its last two scales at
 * 1.325 and 1.271 with 24 and 14 iterations (1.247 and 1.168 with 30 and
 * 20; 1.345 and 1.614 with 30 and 20 and no warm-up), the same strokes at
 * 200 %, in 76 s (98 s; 78 s). */
#define ST_LARGE_SCALE_PIXELS 1000000
#define ST_LARGE_SCALE_ITERATIONS 20
#define ST_LARGE_SCALE_WARMED 14
#define ST_LBFGS_HISTORY 50         /* L-BFGS pairs kept by default          */
#define ST_LBFGS_BYTES (512u << 20) /* history budget of L-BFGS          */
/* Without /proc/meminfo, the budget is 4 GiB. */
#define ST_FALLBACK_BUDGET ((size_t)4 << 30)
/* Code, OpenBLAS buffers, GLib: what a run holds beside its own data. */
#define ST_FIXED_BYTES ((size_t)12 << 20)
/* The time estimate: a pass's measured cost (calibrate.c) times the passes
 * of each scale, plus what a run costs besides (reading the network and
 * the images, the calibration itself: ST_FIXED_SECONDS, a quarter of a
 * second since the plan is made once).  An iteration costs about 1.05
 * passes: L-BFGS's line search evaluates about 1.05 times per iteration,
 * and its vector work (the two-loop recursion over up to 50 pairs) is a
 * few per cent of a pass; the targets cost about one pass.  Fitted on a
 * quiet 2-core Xeon (2 threads, default settings, Tübingen x Starry
 * Night) with the embedded network's size correction (network.c): the
 * runs took 14.4, 38.4 and 105.5 s at 384, 768 and 1920 px and were
 * estimated at 1.18, 0.96 and 0.97 of that.  (1.3 passes and 2 s fixed,
 * fitted once on runs a busy machine had slowed, said 1.26-1.46 at
 * 384 px.)  The time is the quiet machine's: the calibration does not
 * count other programs' load (calibrate.c), and a run that they slow
 * sees it in its progress's time left. */
#define ST_EVALUATIONS_PER_ITERATION 1.05
#define ST_TARGET_PASSES 1.0
#define ST_FIXED_SECONDS 0.5
/* A pass's cost per pixel at a scale of `pixels`: the calibration's,
 * corrected by the network's own power and fixed share
 * (st_network_class). */
static double
size_efficiency (const StNetwork *net, double pixels)
{
  const StNetworkClass *c = st_network_class (net);
  double ratio
      = MAX (pixels / ((double)ST_CALIBRATION_W * ST_CALIBRATION_H), 1.0);
  return pow (ratio, -c->size_efficiency_power)
         * (1.0 - c->fixed_fraction + c->fixed_fraction / ratio);
}

/* ---------------------------------------------------------- schedule */

/* Iterations at scale i, whose side is `ratio` (< 1) of the first's.
 * A scale's pass costs its pixel count, so iterations that fall as the
 * pixel count grows put the work where it pays: the coarse scales, where
 * L-BFGS settles the layout of the strokes cheaply, get the most, the
 * full-resolution ones what refining the detail needs (each starts from
 * the previous scale's painting, enlarged).  The power 1.5 was measured on
 * Tübingen + Starry Night at 512 px (2 threads, quiet machine): against the
 * schedule before it (iterations ~ ratio, at least 35 %), 115 s instead of
 * 175 s, final style loss 1.20x and content loss 1.02x; the power 2 ended
 * with twice the style loss. */
static int
later_iterations (int iters, double ratio, int i, gboolean warmed)
{
  int floor_iters
      = MIN (warmed ? ST_LATER_SCALE_MIN_WARMED : ST_LATER_SCALE_MIN_ITERATIONS,
             iters);
  if (i == 0)
    return iters;
  return MAX (floor_iters,
              (int)lround (iters * pow (ratio, ST_SCHEDULE_POWER)));
}

/* The iterations a scale of `cap` usually runs: L-BFGS stops a scale on
 * its plateau (transfer.c), measured on Tübingen (384, 768 px) and a
 * 1920 x 1200 camera photo with Starry Night: the first scale stopped
 * after 100-110 of its 200 iterations, the second after 42-47 of 71, the
 * later ones at their cap of 25-30.  The time estimate and the progress
 * bar count these; Adam runs every iteration. */
#define ST_EXPECTED_FIRST_FRACTION 0.55
#define ST_EXPECTED_LATER 45
static int
expected_iterations (const StParams *p, int cap, int i)
{
  if (p->optimizer == ST_OPTIMIZER_ADAM)
    return cap;
  if (i == 0)
    return MAX (1, (int)ceil (cap * ST_EXPECTED_FIRST_FRACTION));
  return MIN (cap, ST_EXPECTED_LATER);
}

/* The warm-up of a later scale (warmup.c): L-BFGS on the new octave
 * alone, against the taps that read the image, before the scale's own
 * iterations.  Traced on Tübingen at 1920 x 1080 (2 threads): 8
 * iterations took 11-13 evaluations at each scale, each 0.35 of a pass
 * (8.9 s of a 42 s last scale).  From a megapixel up, where the scale's
 * own iterations are fewest (14), 16: 1920 px photos x Starry Night then
 * end every scale under the one before (the last: Tübingen 1.159 after
 * 1.325, the fallen leaf 1.366 after 1.453, the forest path 3.986 after
 * 4.247; with 8: 1.271, 1.660, 4.030), the path keeps 0.476 of its edges
 * (0.457), for 4-7 s more.  16 at every scale took the 384 px results'
 * edges kept down by 0.01-0.03. */
#define ST_WARMUP_ITERATIONS 8
#define ST_WARMUP_ITERATIONS_LARGE 16
#define ST_WARMUP_EVALUATIONS_PER_ITERATION 1.5
#define ST_WARMUP_PASS_SHARE 0.35
/* Whether a w x h scale after the first has a warm-up: with L-BFGS, and
 * a network whose finest level reads the image (a pyramid: the embedded
 * one). */
static gboolean
warms_up (const StNetwork *net, const StParams *p, int w, int h)
{
  return p->optimizer == ST_OPTIMIZER_LBFGS
         && st_graph_style_levels (net, w, h) > 1;
}

static double
warmup_passes (int iterations)
{
  return iterations * ST_WARMUP_EVALUATIONS_PER_ITERATION
         * ST_WARMUP_PASS_SHARE;
}

/* The long side of every scale, smallest first; returns their number. */
static int
scale_sides (const StParams *p, int size, double *side)
{
  int n;
  if (p->scales <= 0 && p->start_size <= 0)
    {
      /* halvings from the result while the first stays over the minimum */
      n = 1;
      while (size >> n >= ST_FIRST_SIDE_MIN && n < ST_MAX_SCALES)
        n++;
      for (int i = 0; i < n; i++)
        side[i] = ldexp ((double)size, -(n - 1 - i));
      return n;
    }
  {
    int start = p->start_size > 0 ? MIN (p->start_size, size)
                                  : MIN (ST_START_SIDE, size);
    n = p->scales > 0
            ? p->scales
            : 1 + (int)ceil (log ((double)size / start) / log (G_SQRT2) - 1e-9);
    n = CLAMP (n, 1, ST_MAX_SCALES);
    for (int i = 0; i < n; i++)
      side[i] = n == 1
                    ? size
                    : start * pow ((double)size / start, (double)i / (n - 1));
    return n;
  }
}

static void
plan_schedule (const StNetwork *net, int cw, int ch, const StParams *p,
               int size, StSchedule *s)
{
  int iters
      = p->iterations > 0 ? p->iterations : st_network_class (net)->iterations;
  double side[ST_MAX_SCALES];
  s->n = scale_sides (p, size, side);
  s->total_work = 0;
  for (int i = 0; i < s->n; i++)
    {
      int lw, lh;
      gboolean large, warmed;
      st_fit_long_side (cw, ch, (int)lround (side[i]), &lw, &lh);
      s->w[i] = lw;
      s->h[i] = lh;
      large = (double)lw * lh >= ST_LARGE_SCALE_PIXELS;
      warmed = i > 0 && warms_up (net, p, lw, lh);
      s->warmup[i] = !warmed ? 0
                     : large ? ST_WARMUP_ITERATIONS_LARGE
                             : ST_WARMUP_ITERATIONS;
      s->iterations[i] = later_iterations (iters, side[0] / side[i], i, warmed);
      if (i > 0 && large)
        s->iterations[i]
            = MIN (s->iterations[i],
                   warmed ? ST_LARGE_SCALE_WARMED : ST_LARGE_SCALE_ITERATIONS);
      s->expected[i] = expected_iterations (p, s->iterations[i], i);
      s->warm_work[i] = warmup_passes (s->warmup[i])
                        / ST_EVALUATIONS_PER_ITERATION * lw * lh;
      s->work[i] = (double)s->expected[i] * lw * lh + s->warm_work[i];
      s->total_work += s->work[i];
    }
}

/* L-BFGS's history within ST_LBFGS_BYTES, but at least 3 pairs (not 5):
 * a 4000 x 3000 scale has 144 MB per vector, and 5 pairs alone took
 * 1.4 GB of the 2 GiB a 12-megapixel photo may use (issue 19).  Under
 * 4.5 megapixels the byte budget gives more than 5 pairs anyway. */
#define ST_LBFGS_MIN_HISTORY 3

int
st_lbfgs_history (const StParams *p, size_t n)
{
  int want = p->history > 0 ? p->history : ST_LBFGS_HISTORY;
  int fits = (int)(ST_LBFGS_BYTES / (2 * n * sizeof (float)));
  return MIN (want, MAX (fits, ST_LBFGS_MIN_HISTORY));
}

int
st_warmup_history (const StParams *p, size_t n)
{
  return MAX (1, st_lbfgs_history (p, n) - 2);
}

/* --------------------------------------------------------- estimates */

static size_t
default_budget (void)
{
  /* Half of what the system can give without swapping: GIMP, its tile
   * cache and the user's other programs need the rest. */
  char *text = NULL;
  size_t budget = ST_FALLBACK_BUDGET;
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

/* Peak bytes of a run whose largest scale is w x h: the largest of its
 * three moments, each counted by running the executor with a counting
 * pool (graph.c), plus the images alive throughout (the content, and at
 * this scale the start image and the painting):
 *   the content's pass that keeps the content targets (they are in it);
 *   the style image's pass, at the style's size, with the targets kept;
 *   the optimisation: a loss pass, the targets, the optimiser's vectors
 *   (L-BFGS's history, its gradient and direction, or Adam's
 *   moments). */
static size_t
estimate_peak (const StNetwork *net, int w, int h, const StParams *p,
               int threads)
{
  StGraph g;
  size_t n = (size_t)3 * w * h * sizeof (float), targets = 0;
  size_t images = 3 * n, content_pass, style_pass = 0, optimise;
  int style_w, style_h;
  int sw = st_style_side (p, w, h);
  if (st_graph_build (net, w, h, p->pooling, 0, threads, &g, NULL) != ST_OK)
    return 0;
  for (int i = 0; i < g.n; i++)
    {
      const StNode *node = &g.nodes[i];
      /* a tiled leaf's content target is its input, made again per tile */
      if (node->content)
        targets
            += (st_tiled_eligible (node) ? (size_t)node->cin * node->h * node->w
                                         : st_node_content_size (node))
               * sizeof (float);
      if (node->style)
        targets += (size_t)node->c * node->c * sizeof (float);
    }
  content_pass = st_graph_taps_peak_bytes (&g, FALSE, TRUE) + images;
  optimise = st_graph_peak_bytes (&g) + targets + images;
  if (p->optimizer == ST_OPTIMIZER_ADAM)
    optimise += 4 * n;
  else
    {
      /* the vectors of L-BFGS (x, its gradient, the direction and the
       * pairs); the warm-up's besides: the new octave z, the point it
       * makes and two planes of the octave's filter (transfer.c) */
      size_t unknowns = 3 * (size_t)w * h;
      size_t vectors = 2 * (size_t)st_lbfgs_history (p, unknowns) + 3;
      if (warms_up (net, p, w, h))
        vectors = MAX (vectors,
                       2 * (size_t)st_warmup_history (p, unknowns) + 5 + 1);
      optimise += vectors * n;
    }
  st_graph_clear (&g);
  st_fit_long_side (w, h, MAX (sw, 1), &style_w, &style_h);
  if (st_graph_build (net, style_w, style_h, p->pooling,
                      st_graph_style_levels (net, w, h), threads, &g, NULL)
      == ST_OK)
    {
      style_pass
          = st_graph_taps_peak_bytes (&g, TRUE, FALSE) + targets + images;
      st_graph_clear (&g);
    }
  return MAX (MAX (content_pass, style_pass), optimise) + ST_FIXED_BYTES;
}

/* The smallest long side at which the short side of a cw x ch content
 * still has the network's minimum (VGG19's 16 px): the lower end of the
 * search for the largest size.  Starting at the minimum long side made
 * the short side of every non-square photo too small for VGG19, so that
 * the plan said "too small for any size" whatever the budget. */
static int
smallest_long_side (const StNetwork *net, int cw, int ch)
{
  int min_side = st_run_min_side (net), w, h;
  double need = ceil ((double)min_side * MAX (cw, ch) / MIN (cw, ch));
  int lo = need >= ST_SIZE_MAX ? ST_SIZE_MAX : MAX ((int)need, min_side);
  st_fit_long_side (cw, ch, lo, &w, &h);
  while (MIN (w, h) < min_side && lo < ST_SIZE_MAX)
    st_fit_long_side (cw, ch, ++lo, &w, &h);
  return lo;
}

/* The long side asked for: the size parameter, else the content's own
 * long side, which no pass is built beyond ST_SIZE_MAX. */
static int
requested_side (const StParams *p, int cw, int ch)
{
  return p->size > 0 ? p->size : MIN (MAX (cw, ch), ST_SIZE_MAX);
}

/* FALSE, with the reason, for a content so elongated that even at
 * ST_SIZE_MAX its short side is under the network's minimum: no size can
 * be planned for it (the plan used to go on at the content's own size,
 * and counted a 10^9 px long graph). */
static gboolean
elongation_fits (const StNetwork *net, int cw, int ch, GError **error)
{
  int min_side = st_run_min_side (net), w, h;
  st_fit_long_side (cw, ch, ST_SIZE_MAX, &w, &h);
  if (MIN (w, h) >= min_side)
    return TRUE;
  g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
               "a %d x %d image is too elongated for the %s network: even at "
               "%d px its short side is %d px, under the %d px it needs",
               cw, ch, st_network_class (net)->name, ST_SIZE_MAX, MIN (w, h),
               min_side);
  return FALSE;
}

/* FALSE, with the reason, when a scale of the schedule is too small for
 * the network: a size or start size too small for the content's shape.
 * Refused by the plan, so that the estimate says what the run would. */
static gboolean
schedule_fits_network (const StNetwork *net, const StSchedule *s,
                       GError **error)
{
  int min_side = st_run_min_side (net);
  for (int i = 0; i < s->n; i++)
    if (MIN (s->w[i], s->h[i]) < min_side)
      {
        g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                     "at %d x %d pixels the image is too small for the %s "
                     "network (the short side needs at least %d px); use a "
                     "larger size or a less elongated image",
                     s->w[i], s->h[i], st_network_class (net)->name, min_side);
        return FALSE;
      }
  return TRUE;
}

static gboolean
final_size (const StNetwork *net, int cw, int ch, const StParams *p,
            int threads, size_t budget, int *size, int *max_size)
{
  int lo = smallest_long_side (net, cw, ch), hi = ST_SIZE_MAX;
  int want = requested_side (p, cw, ch);
  int w0, h0, w, h, probes = 0, last = 0;
  double f_lo, f_hi, aspect;
  size_t need;
  st_fit_long_side (cw, ch, lo, &w0, &h0);
  need = estimate_peak (net, w0, h0, p, threads);
  if (!need || need > budget)
    {
      *max_size = 0; /* not even the smallest size fits */
      *size = want;
      return FALSE;
    }
  /* The largest long side within the budget.  The peak grows with the
   * pixel count, nearly in proportion (it bends once, where L-BFGS's
   * history reaches its byte cap), so false position on the pixel count
   * (the Illinois variant: an end that stays twice has its value halved)
   * finds it in about 6 estimates where halving the range took 15, and
   * each estimate builds two graphs.  After 12, plain halving. */
  f_lo = (double)need - (double)budget;
  aspect = (double)w0 * h0 / ((double)lo * lo);
  st_fit_long_side (cw, ch, hi, &w, &h);
  need = estimate_peak (net, w, h, p, threads);
  f_hi = need ? (double)need - (double)budget : INFINITY;
  if (f_hi <= 0)
    lo = hi;
  while (hi - lo > 1)
    {
      int mid = lo + (hi - lo) / 2;
      double f;
      if (probes++ < 12 && isfinite (f_hi))
        {
          double p_lo = aspect * lo * lo, p_hi = aspect * hi * hi;
          double pixels = p_lo - f_lo * (p_hi - p_lo) / (f_hi - f_lo);
          mid = CLAMP ((int)lround (sqrt (MAX (pixels, 0.0) / aspect)), lo + 1,
                       hi - 1);
        }
      st_fit_long_side (cw, ch, mid, &w, &h);
      need = estimate_peak (net, w, h, p, threads);
      f = need ? (double)need - (double)budget : INFINITY;
      if (f <= 0)
        {
          lo = mid;
          f_lo = f;
          if (last < 0)
            f_hi /= 2;
          last = -1;
        }
      else
        {
          hi = mid;
          f_hi = f;
          if (last > 0)
            f_lo /= 2;
          last = 1;
        }
    }
  *max_size = lo;
  *size = p->size > 0 ? want : MIN (want, lo);
  return *size <= lo;
}

int
st_run_min_side (const StNetwork *network)
{
  return MAX (st_graph_min_side (network), ST_MIN_SIDE);
}

/* The budget of a run: the caller's or the default, within `cap` (what
 * the limits leave, st_memory_cap once st_memory_precheck passed). */
static size_t
budget_within (const StParams *p, size_t cap)
{
  size_t budget = p->memory_budget ? p->memory_budget : default_budget ();
  return MIN (budget, cap);
}

size_t
st_memory_budget (StContext *ctx, const StParams *p, GError **error)
{
  int threads;
  size_t room;
  g_return_val_if_fail (ctx != NULL && p != NULL, 0);
  threads = st_run_threads (ctx, p);
  /* before the first BLAS call, which would retry forever (issue 13) */
  if (!st_memory_precheck (threads, error)
      || !(room = st_memory_room (threads, error)))
    return 0;
  return budget_within (p, room);
}

StStatus
st_plan (StContext *ctx, const StNetwork *network, int cw, int ch,
         const StParams *p, StPlan *plan, GError **error)
{
  StEstimate *e = &plan->estimate;
  StSchedule *s = &plan->schedule;
  int size, max_size, threads;
  double seconds = 0.0, seconds_per_pixel;
  memset (plan, 0, sizeof *plan);
  if (!ctx || !network)
    {
      g_set_error_literal (error, ST_ERROR, ST_ERROR_INVALID,
                           "no context or no network");
      return ST_ERROR_INVALID;
    }
  if (!st_params_validate (p, error))
    return ST_ERROR_INVALID;
  if (cw <= 0 || ch <= 0)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "the content image is empty (%d x %d)", cw, ch);
      return ST_ERROR_INVALID;
    }
  if (!elongation_fits (network, cw, ch, error))
    return ST_ERROR_INVALID;
  /* the run's threads: the tiled passes' scratch, and so the peak, and
   * the calibrated time go with them */
  threads = st_run_threads (ctx, p);
  /* before the first BLAS call, which would retry forever (issue 13) */
  if (!st_memory_precheck (threads, error))
    return ST_ERROR_MEMORY;
  e->content_width = cw;
  e->content_height = ch;
  e->budget_bytes = budget_within (p, st_memory_cap (threads));
  e->requested_size = requested_side (p, cw, ch);
  e->fits = final_size (network, cw, ch, p, threads, e->budget_bytes, &size,
                        &max_size);
  e->reduced = size < e->requested_size;
  plan_schedule (network, cw, ch, p, size, s);
  if (!schedule_fits_network (network, s, error))
    return ST_ERROR_INVALID;
  seconds_per_pixel
      = st_pass_seconds_per_pixel (ctx, network, p->pooling, threads);
  for (int i = 0; i < s->n; i++)
    {
      double pixels = (double)s->w[i] * s->h[i];
      seconds += ((double)s->expected[i] * ST_EVALUATIONS_PER_ITERATION
                  + ST_TARGET_PASSES + warmup_passes (s->warmup[i]))
                 * seconds_per_pixel * size_efficiency (network, pixels)
                 * pixels;
      e->total_iterations += s->iterations[i];
    }
  e->width = s->w[s->n - 1];
  e->height = s->h[s->n - 1];
  e->n_scales = s->n;
  e->max_size = max_size;
  e->peak_bytes = estimate_peak (network, e->width, e->height, p, threads);
  e->seconds = seconds + ST_FIXED_SECONDS;
  return ST_OK;
}

StStatus
st_plan_expand (const StContext *ctx, const StNetwork *network,
                const StEstimate *estimate, int cw, int ch, const StParams *p,
                StPlan *plan, GError **error)
{
  const StSchedule *s = &plan->schedule;
  int total = 0, w, h;
  memset (plan, 0, sizeof *plan);
  if (!st_params_validate (p, error))
    return ST_ERROR_INVALID;
  if (estimate->content_width <= 0 || estimate->content_height <= 0)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "the plan is empty (st_estimate did not make it)");
      return ST_ERROR_INVALID;
    }
  /* the content may come at any size (the plug-in reads it at the
   * result's), but in the shape the plan was made for */
  st_fit_long_side (cw, ch, MAX (estimate->width, estimate->height), &w, &h);
  if (w != estimate->width || h != estimate->height)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "the content (%d x %d) is not of the shape the plan was "
                   "made for (%d x %d)",
                   cw, ch, estimate->content_width, estimate->content_height);
      return ST_ERROR_INVALID;
    }
  /* before the first BLAS call, which would retry forever (issue 13) */
  if (!st_memory_precheck (st_run_threads (ctx, p), error))
    return ST_ERROR_MEMORY;
  plan->estimate = *estimate;
  plan_schedule (network, estimate->content_width, estimate->content_height, p,
                 MAX (estimate->width, estimate->height), &plan->schedule);
  if (!schedule_fits_network (network, s, error))
    return ST_ERROR_INVALID;
  for (int i = 0; i < s->n; i++)
    total += s->iterations[i];
  if (s->n != estimate->n_scales || s->w[s->n - 1] != estimate->width
      || s->h[s->n - 1] != estimate->height
      || total != estimate->total_iterations)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "the plan was made with other parameters than the run's");
      return ST_ERROR_INVALID;
    }
  return ST_OK;
}

StStatus
st_estimate (StContext *ctx, const StNetwork *network, int content_width,
             int content_height, const StParams *params, StEstimate *estimate,
             GError **error)
{
  StPlan plan;
  StStatus status = st_plan (ctx, network, content_width, content_height,
                             params, &plan, error);
  *estimate = plan.estimate;
  return status;
}
