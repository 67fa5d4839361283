/* The coarse-to-fine schedule and the enlargement between its scales
 * (issue 18): scales double exactly, and a run's result carries no 2 x 2
 * blocks from the enlargement (the cells a photo painted at its own size
 * was covered with). */
#include "check.h"
#include "driver.h"

#include "test-images.h"

/* The default plan of a w x h photo at its own size. */
/* The engine's state for this test, as a front end makes it. */
static StContext *engine;

static void
check_plan (const StNetwork *net, int w, int h, int want_scales)
{
  StParams p;
  StPlan plan;
  GError *error = NULL;
  const StSchedule *s = &plan.schedule;
  st_params_init (&p);
  p.memory_budget = (size_t)64 << 30; /* the plan, not this machine's RAM */
  CHECK (st_plan (engine, net, w, h, &p, &plan, &error) == ST_OK, "%d x %d: %s",
         w, h, error ? error->message : "?");
  g_clear_error (&error);
  printf ("  %d x %d: %d scales, first %d x %d (%d iterations), last %d "
          "iterations\n",
          w, h, s->n, s->w[0], s->h[0], s->iterations[0],
          s->iterations[s->n - 1]);
  CHECK (s->n == want_scales, "%d x %d: %d scales, not %d", w, h, s->n,
         want_scales);
  CHECK (s->w[s->n - 1] == w && s->h[s->n - 1] == h,
         "%d x %d: the last scale is %d x %d", w, h, s->w[s->n - 1],
         s->h[s->n - 1]);
  CHECK (s->n == 1
             || (MAX (s->w[0], s->h[0]) >= 128 && MAX (s->w[0], s->h[0]) < 256),
         "%d x %d: the first scale is %d x %d", w, h, s->w[0], s->h[0]);
  CHECK (s->warmup[0] == 0, "%d x %d: a warm-up before the first scale", w, h);
  for (int i = 1; i < s->n; i++)
    {
      CHECK (s->warmup[i] > 0, "%d x %d: no warm-up at scale %d", w, h, i + 1);
      CHECK (abs (s->w[i] - 2 * s->w[i - 1]) <= 1
                 && abs (s->h[i] - 2 * s->h[i - 1]) <= 1,
             "%d x %d: scale %d is %d x %d after %d x %d, not twice", w, h,
             i + 1, s->w[i], s->h[i], s->w[i - 1], s->h[i - 1]);
      CHECK (s->iterations[i] <= s->iterations[i - 1] && s->iterations[i] >= 3,
             "%d x %d: %d iterations at scale %d after %d", w, h,
             s->iterations[i], i + 1, s->iterations[i - 1]);
    }
}

/* Adam's plan has no warm-up: it is L-BFGS's (transfer.c). */
static void
check_adam_plan (const StNetwork *net)
{
  StParams p;
  StPlan plan;
  st_params_init (&p);
  p.optimizer = ST_OPTIMIZER_ADAM;
  p.memory_budget = (size_t)64 << 30;
  CHECK (st_plan (engine, net, 768, 576, &p, &plan, NULL) == ST_OK,
         "no Adam plan");
  for (int i = 0; i < plan.schedule.n; i++)
    CHECK (plan.schedule.warmup[i] == 0, "Adam warms scale %d up", i + 1);
}

/* The fine taps' loss (NaN when there are none) and the whole graph's
 * at x. */
static void
losses_at (const StGraph *g, const StTargets *t, const StGraph *fine,
           const StTargets *tf, const float *x, double *whole, double *finest)
{
  StLossParts parts;
  *finest = NAN;
  CHECK (st_graph_loss (g, x, t, NULL, &parts, NULL, whole) == ST_OK
             && (fine->n == 0
                 || st_graph_loss (fine, x, tf, NULL, &parts, NULL, finest)
                        == ST_OK),
         "a pass failed");
}

/* The warm-up (warmup.c) of a photo with none of the painting's marks at
 * its finest octave, as a later scale starts: 8 iterations take the
 * finest taps' loss most of the way down, and what they paint is the top
 * octave: the picture reduced 4 times hardly moves.  The finest taps are
 * level 0's three and the colour tap, weighing what they weigh in the
 * whole graph. */
static void
check_warm_up (const StNetwork *net)
{
  StImage *photo = load_test_image ("tubingen.jpg", 192);
  StImage *painting = load_test_image ("starry_night.jpg", 192);
  StGraph g, fine;
  StTargets t, tf;
  StParams p;
  StWarmUp job;
  int w, h, sw, sh, n_fine;
  const double blend = 1.0;
  double whole[2], finest[2], moved = 0, moved_low = 0;
  float *x, *before, *low[2], *style;
  size_t n;
  CHECK (photo && painting, "no images for the warm-up");
  if (!photo || !painting)
    return;
  w = photo->width;
  h = photo->height;
  sw = painting->width;
  sh = painting->height;
  n = (size_t)3 * w * h;
  memset (&t, 0, sizeof t);
  st_params_init (&p);
  x = g_new (float, n);
  before = g_new (float, n);
  style = g_new (float, (size_t)3 * sw * sh);
  st_hwc_to_chw (photo->pixels, w, h, x);
  st_hwc_to_chw (painting->pixels, sw, sh, style);
  /* the start: the photo without its top octave, as an enlargement
   * leaves a later scale's (x - P x) */
  {
    float *tmp = g_new (float, 2 * (size_t)w * h);
    memcpy (before, x, n * sizeof (float));
    st_top_octave (before, 3, w, h, tmp);
    for (size_t i = 0; i < n; i++)
      x[i] -= before[i];
    g_free (tmp);
  }
  memcpy (before, x, n * sizeof (float));
  CHECK (st_scale_graph (net, &p, 1, w, h, 0, &g, NULL) == ST_OK, "no graph");
  /* the default weights (strength 50), as a run takes them */
  t.style_weight = st_network_class (net)->style_weight;
  t.content_weight = st_network_class (net)->content_weight;
  CHECK (st_content_targets (&g, x, &t, NULL) == ST_OK
             && st_style_targets (net, &p, w, h, 1, &style, &sw, &sh, &blend,
                                  &g, &t, NULL)
                    == ST_OK,
         "no targets");
  n_fine = st_graph_fine_part (&g, &t, &fine, &tf);
  CHECK (n_fine == 4 && fine.style_shares == g.style_shares,
         "the finest taps: %d, shares %g of %g", n_fine, fine.style_shares,
         g.style_shares);
  losses_at (&g, &t, &fine, &tf, x, &whole[0], &finest[0]);

  memset (&job, 0, sizeof job);
  job.graph = &g;
  job.targets = &t;
  job.w = w;
  job.h = h;
  job.tv_weight = st_network_class (net)->tv_weight;
  job.range_weight = MAX (t.style_weight, 1.0);
  job.cfg.iterations = 8;
  job.cfg.history = 5;
  job.cfg.learning_rate = 0.05;
  job.cfg.max_evaluations_per_iteration = 5;
  CHECK (st_warm_up (&job, x) == ST_OK, "the warm-up failed");
  losses_at (&g, &t, &fine, &tf, x, &whole[1], &finest[1]);

  for (int k = 0; k < 2; k++)
    {
      low[k] = g_new (float, (size_t)3 * (w / 4) * (h / 4));
      st_resample_planes (k ? x : before, 3, w, h, low[k], w / 4, h / 4);
    }
  for (size_t i = 0; i < n; i++)
    moved += (double)(x[i] - before[i]) * (x[i] - before[i]) / n;
  for (size_t i = 0; i < (size_t)3 * (w / 4) * (h / 4); i++)
    moved_low += (double)(low[1][i] - low[0][i]) * (low[1][i] - low[0][i])
                 / (3.0 * (w / 4) * (h / 4));
  printf ("  warm-up at %d x %d: finest taps %.3g -> %.3g, whole %.3g -> "
          "%.3g; pixels moved %.3g (rms), reduced 4 times %.3g\n",
          w, h, finest[0], finest[1], whole[0], whole[1], sqrt (moved),
          sqrt (moved_low));
  CHECK (finest[1] < 0.5 * finest[0],
         "the warm-up left the finest taps at %.3g of %.3g", finest[1],
         finest[0]);
  CHECK (whole[1] < whole[0], "the warm-up raised the loss: %.3g -> %.3g",
         whole[0], whole[1]);
  CHECK (moved > 0 && sqrt (moved_low) < 0.25 * sqrt (moved),
         "the warm-up moved the coarse picture: %.3g of %.3g", sqrt (moved_low),
         sqrt (moved));
  g_free (low[0]);
  g_free (low[1]);
  st_graph_fine_clear (&fine, &tf);
  st_targets_clear (&t, g.n_style, g.n_content);
  st_graph_clear (&g);
  g_free (x);
  g_free (before);
  g_free (style);
  st_image_free (photo);
  st_image_free (painting);
}

/* max_size is the largest long side whose plan fits the budget: one more
 * pixel does not fit (the search for it is false position on the pixel
 * count, not halving, and must land on the same side). */
static void
check_max_size (const StNetwork *net, int w, int h, size_t budget)
{
  StParams p;
  StEstimate e, at;
  GError *error = NULL;
  st_params_init (&p);
  p.memory_budget = budget;
  CHECK (st_estimate (engine, net, w, h, &p, &e, &error) == ST_OK, "%s",
         error ? error->message : "?");
  g_clear_error (&error);
  printf ("  %d x %d under %zu MiB: largest size %d px\n", w, h, budget >> 20,
          e.max_size);
  CHECK (e.max_size > 0, "%d x %d under %zu MiB: no size fits", w, h,
         budget >> 20);
  p.size = e.max_size;
  CHECK (st_estimate (engine, net, w, h, &p, &at, NULL) == ST_OK && at.fits,
         "%d x %d: the largest size %d does not fit %zu MiB", w, h, e.max_size,
         budget >> 20);
  if (e.max_size < ST_SIZE_MAX)
    {
      p.size = e.max_size + 1;
      CHECK (st_estimate (engine, net, w, h, &p, &at, NULL) == ST_OK
                 && !at.fits,
             "%d x %d: %d px fits %zu MiB too, the largest is not %d", w, h,
             e.max_size + 1, budget >> 20, e.max_size);
    }
}

/* How much stronger the luminance steps are between pixel pairs of one
 * parity than of the other, along x or y (the larger): 1 for a picture
 * whose texture ignores the pixel grid; an enlargement that doubles the
 * previous scale's pixels makes 2 x 2 cells, whose steps all fall on one
 * parity (2.5 where this was measured). */
static double
pair_ratio (const StImage *im, gboolean along_y)
{
  double sum[2] = { 0, 0 };
  int w = im->width, h = im->height;
  int n = along_y ? h - 1 : w - 1;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < (along_y ? w : h); j++)
      {
        int x0 = along_y ? j : i, y0 = along_y ? i : j;
        int x1 = along_y ? j : i + 1, y1 = along_y ? i + 1 : j;
        const float *a = im->pixels + 3 * ((size_t)y0 * w + x0);
        const float *b = im->pixels + 3 * ((size_t)y1 * w + x1);
        double la = 0.299 * a[0] + 0.587 * a[1] + 0.114 * a[2];
        double lb = 0.299 * b[0] + 0.587 * b[1] + 0.114 * b[2];
        sum[i & 1] += fabs (la - lb);
      }
  return MAX (sum[0], sum[1]) / MAX (MIN (sum[0], sum[1]), 1e-12);
}

/* The start of a scale (st_enlarge_start) from a previous painting that
 * is all texture at its own pixels (grey with noise of 0.2): no 2-pixel
 * lattice (1.01-1.02 here; 1.29 without the filter at the new scale,
 * the enlargement alone); and a previous painting that is the photo
 * reduced starts the scale at the photo itself (the photo's band comes in
 * whole, nothing else). */
static void
check_enlarge_start (void)
{
  StImage *photo = load_test_image ("tubingen.jpg", 192), *start;
  int w, h, pw, ph;
  size_t n, pn;
  float *content, *prev, *x;
  double worst = 0, off = 0;
  StRng rng;
  CHECK (photo, "no photo for the enlargement");
  if (!photo)
    return;
  w = photo->width;
  h = photo->height;
  pw = w / 2;
  ph = h / 2;
  n = (size_t)w * h;
  pn = (size_t)pw * ph;
  content = g_new (float, 3 * n);
  prev = g_new (float, 3 * pn);
  x = g_new (float, 3 * n);
  start = st_image_new (w, h);
  CHECK (start, "no %d x %d image for the start", w, h);
  st_rng_init (&rng, 18);
  st_hwc_to_chw (photo->pixels, w, h, content);
  for (int with_noise = 1; start && with_noise >= 0; with_noise--)
    {
      st_resample_planes (content, 3, w, h, prev, pw, ph);
      for (size_t i = 0; i < 3 * pn; i++)
        prev[i]
            = with_noise ? 0.5f + 0.2f * (float)st_rng_normal (&rng) : prev[i];
      CHECK (st_enlarge_start (prev, pw, ph, content, w, h, !with_noise, x),
             "st_enlarge_start failed");
      st_chw_to_hwc (x, w, h, start->pixels);
      if (with_noise)
        {
          worst = MAX (pair_ratio (start, FALSE), pair_ratio (start, TRUE));
          printf ("  a textured %d x %d painting enlarged to %d x %d: "
                  "pixel-pair step ratio %.3f (x), %.3f (y); the photo's "
                  "%.3f, %.3f\n",
                  pw, ph, w, h, pair_ratio (start, FALSE),
                  pair_ratio (start, TRUE), pair_ratio (photo, FALSE),
                  pair_ratio (photo, TRUE));
        }
      else
        for (size_t i = 0; i < 3 * n; i++)
          off = MAX (off, fabs (x[i] - content[i]));
    }
  printf ("  the photo reduced, enlarged with its band: %.2g from the "
          "photo\n",
          off);
  CHECK (worst > 0 && worst < 1.06,
         "the enlarged start keeps a 2-pixel lattice: step ratio %.3f", worst);
  CHECK (off < 1e-4, "the photo reduced does not start at the photo: %.2g",
         off);
  g_free (content);
  g_free (prev);
  g_free (x);
  st_image_free (start);
  st_image_free (photo);
}

/* A content no size can plan for, or a size too small for its shape:
 * st_estimate says why (one line), as st_transfer would, instead of an
 * estimate of a graph that cannot be built (the fuzzer's 10^9 px content
 * made the plan count a 10^9 px graph, and an int overflowed). */
static void
check_refused (const StNetwork *net, int w, int h, int size, const char *why)
{
  StParams p;
  StEstimate e;
  GError *error = NULL;
  st_params_init (&p);
  p.size = size;
  CHECK (st_estimate (engine, net, w, h, &p, &e, &error) == ST_ERROR_INVALID
             && error && strstr (error->message, why)
             && !strchr (error->message, '\n'),
         "%d x %d at size %d: not refused for '%s' (%s)", w, h, size, why,
         error ? error->message : "no error");
  if (error)
    printf ("  %d x %d at size %d: %s\n", w, h, size, error->message);
  g_clear_error (&error);
}

/* Set while the competitors of check_calibration_under_load spin. */
static gint spinning;

static gpointer
spin (gpointer data)
{
  (void)data;
  while (g_atomic_int_get (&spinning))
    ;
  return NULL;
}

/* The time estimate's calibration in seconds per pixel: the smaller of
 * two, each on a new context (which calibrates again). */
static double
calibrate_twice (const StNetwork *net)
{
  double spp[2];
  for (int i = 0; i < 2; i++)
    {
      StContext *ctx = st_context_new (0);
      spp[i] = st_pass_seconds_per_pixel (ctx, net, ST_POOLING_AVERAGE,
                                          ctx->threads);
      st_context_free (ctx);
    }
  return MIN (spp[0], spp[1]);
}

/* The calibration measures the work, not the moment's load (issue 19):
 * beside four busy threads per core, a pass's time counts as what it was
 * alone, within 3 times (1.1-1.3 times here, the competitors' switching
 * costing a little; 3 leaves room for a machine whose two cores are one
 * core's hyperthreads, where a spinning sibling slows the work itself;
 * by the wall clock, as before, it was 9-15 times: the engine's threads
 * had a fifth of the cores).  CPU time does not depend
 * on how long the competitors hold the cores, so this does not depend on
 * this machine's own load either. */
static void
check_calibration_under_load (const StNetwork *net)
{
  GThread *busy[64];
  int n = MIN (4 * (int)g_get_num_processors (), (int)G_N_ELEMENTS (busy));
  double alone, loaded;
  if (g_getenv ("ST_NO_CALIBRATION"))
    {
      printf ("  calibration under load: skipped (ST_NO_CALIBRATION)\n");
      return;
    }
  alone = calibrate_twice (net);
  g_atomic_int_set (&spinning, 1);
  for (int i = 0; i < n; i++)
    busy[i] = g_thread_new ("busy", spin, NULL);
  loaded = calibrate_twice (net);
  g_atomic_int_set (&spinning, 0);
  for (int i = 0; i < n; i++)
    g_thread_join (busy[i]);
  printf ("  calibration: %.3g s/px alone, %.3g s/px beside %d busy "
          "threads (%.2fx)\n",
          alone, loaded, n, loaded / alone);
  CHECK (alone > 0 && loaded < 3.0 * alone && loaded > alone / 3.0,
         "the calibration beside %d busy threads said %.3g s/px, alone "
         "%.3g s/px",
         n, loaded, alone);
}

int
main (void)
{
  StNetwork *net = st_network_new_embedded ();
  StImage *content, *style, *result = NULL;
  const StImage *styles[1];
  StParams p;
  GError *error = NULL;
  engine = st_context_new (0);

  check_calibration_under_load (net);

  /* 1. Default plans: halvings from the photo's own size. */
  check_plan (net, 200, 150, 1);
  check_plan (net, 384, 288, 2);
  check_plan (net, 451, 300, 2);
  check_plan (net, 768, 576, 3);
  check_plan (net, 1920, 1080, 4);
  check_plan (net, 4000, 3000, 5);
  check_plan (net, 1080, 1920, 4);
  for (size_t mib = 64; mib <= 16384; mib *= 4)
    {
      check_max_size (net, 1920, 1080, mib << 20);
      check_max_size (net, 300, 2000, (mib + 13) << 20);
    }

  check_adam_plan (net);
  check_enlarge_start ();

  check_refused (net, 1000000000, 32, 0, "too elongated");
  check_refused (net, 32, 1000000000, 0, "too elongated");
  check_refused (net, 1000000000, 1, 0, "too elongated");
  check_refused (net, 1000, 16, 20, "too small");
  check_refused (net, 1000, 16, 200, "too small");

  /* 2. Two scales at default settings (fewer iterations): no 2 x 2 cells
   *    in the result. */
  content = load_test_image ("tubingen.jpg", 256);
  style = load_test_image ("starry_night.jpg", 256);
  styles[0] = style;
  st_params_init (&p);
  p.iterations = 30;
  p.threads = 1;
  CHECK (st_transfer (engine, net, content, styles, 1, &p, NULL, NULL, NULL,
                      &result, &error)
                 == ST_OK
             && result,
         "transfer failed: %s", error ? error->message : "?");
  if (result)
    {
      double rx = pair_ratio (result, FALSE), ry = pair_ratio (result, TRUE);
      save_for_eyes (result, "two-scales");
      printf ("  two scales at %d x %d: pixel-pair step ratio %.2f (x), "
              "%.2f (y); the photo's %.2f, %.2f\n",
              result->width, result->height, rx, ry,
              pair_ratio (content, FALSE), pair_ratio (content, TRUE));
      CHECK (rx < 1.3 && ry < 1.3,
             "the enlargement left 2 x 2 cells: step ratio %.2f, %.2f", rx, ry);
    }
  st_image_free (result);
  st_image_free (content);
  st_image_free (style);
  result = NULL;

  check_warm_up (net);
  st_network_free (net);
  st_context_free (engine);
  return check_report ("schedule");
}
