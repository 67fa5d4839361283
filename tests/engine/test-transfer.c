/* End to end with the embedded network on a small photo and painting
 * (tubingen and starry_night from tests/images): the style loss falls,
 * colours move towards the style, the content's luminance survives, the
 * same seed gives the same bytes, cancelling and bad input leave
 * everything as it was.  Synthetic images cover the rest. */
#include "check.h"

#include "test-images.h"
#include <string.h>

/* The engine's state for this test, as a front end makes it. */
static StContext *engine;

/* Content: a soft grey scene with a bright disc and a dark bar. */
static StImage *
make_content (int w, int h)
{
  StImage *im = st_image_new (w, h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float *p = im->pixels + ((size_t)y * w + x) * 3;
        double dx = x - 0.3 * w, dy = y - 0.4 * h;
        double v = 0.35 + 0.3 * y / h;
        if (dx * dx + dy * dy < 0.04 * w * w)
          v = 0.9;
        if (x > 0.6 * w && x < 0.75 * w)
          v = 0.1;
        p[0] = (float)v;
        p[1] = (float)(v * 0.95);
        p[2] = (float)(v * 0.9);
      }
  return im;
}

/* Style: diagonal blue and yellow strokes. */
static StImage *
make_style (int w, int h)
{
  StImage *im = st_image_new (w, h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float *p = im->pixels + ((size_t)y * w + x) * 3;
        double s = sin ((x + 2 * y) * 0.6) + 0.3 * sin (x * 0.2 - y * 0.5);
        if (s > 0.6)
          p[0] = 0.95f, p[1] = 0.8f, p[2] = 0.2f;
        else
          p[0] = 0.1f, p[1] = 0.2f, p[2] = 0.7f;
      }
  return im;
}

typedef struct
{
  double first_style, last_style;
  int calls, cancel_at;
  double last_fraction;
  gboolean fraction_monotonic;
} Track;

static gboolean
track (const StProgress *p, gpointer data)
{
  Track *t = data;
  if (p->iteration == 0) /* a scale starts: no losses yet */
    return !(t->cancel_at && ++t->calls >= t->cancel_at);
  if (t->calls++ == 0 || t->first_style == 0)
    t->first_style = p->style_loss;
  t->last_style = p->style_loss;
  if (p->fraction + 1e-12 < t->last_fraction)
    t->fraction_monotonic = FALSE;
  t->last_fraction = p->fraction;
  return !(t->cancel_at && t->calls >= t->cancel_at);
}

/* Colour statistics: mean (3) and covariance (upper triangle, 6) of RGB. */
static void
colour_stats (const StImage *im, double m[9])
{
  size_t n = (size_t)im->width * im->height;
  int k = 3;
  memset (m, 0, 9 * sizeof (double));
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      m[c] += im->pixels[i * 3 + c] / n;
  for (int a = 0; a < 3; a++)
    for (int b = a; b < 3; b++, k++)
      for (size_t i = 0; i < n; i++)
        m[k] += (im->pixels[i * 3 + a] - m[a]) * (im->pixels[i * 3 + b] - m[b])
                / n * 4; /* x4: covariances count as much as means */
}

static double
luma (const float *p)
{
  return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

/* Correlation of the luminance of a and b over 6 x 6 blocks: the layout
 * of light and dark at the scale of the content's shapes, not the style's
 * strokes. */
static double
luma_correlation (const StImage *a, const StImage *b)
{
  const int B = 6;
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  int n = 0;
  for (int by = 0; by + B <= a->height; by += B)
    for (int bx = 0; bx + B <= a->width; bx += B)
      {
        double x = 0, y = 0;
        for (int j = 0; j < B; j++)
          for (int i = 0; i < B; i++)
            {
              size_t o = ((size_t)(by + j) * a->width + bx + i) * 3;
              x += luma (a->pixels + o);
              y += luma (b->pixels + o);
            }
        sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y;
        n++;
      }
  sa /= n, sb /= n;
  return (sab / n - sa * sb)
         / sqrt ((saa / n - sa * sa) * (sbb / n - sb * sb) + 1e-20);
}

static double
dist9 (const double a[9], const double b[9])
{
  double s = 0;
  for (int i = 0; i < 9; i++)
    s += (a[i] - b[i]) * (a[i] - b[i]);
  return sqrt (s);
}

int
main (void)
{
  StNetwork *net = st_network_new_embedded ();
  StImage *content = load_test_image ("tubingen.jpg", 72);
  StImage *style = load_test_image ("starry_night.jpg", 96);
  StImage *synthetic = make_content (72, 54);
  StImage *stripes = make_style (64, 64);
  StImage *content_copy = st_image_copy (content);
  const StImage *styles[] = { style, style };
  StImage *a = NULL, *b = NULL;
  StParams p;
  GError *error = NULL;
  Track t = { 0, 0, 0, 0, 0, TRUE };
  StStatus st;
  double mc[9], ms[9], mr[9];
  engine = st_context_new (0);

  const int W = content->width, H = content->height;
  st_params_init (&p);
  p.size = 72;
  p.iterations = 80;
  p.threads = 1;

  /* 1. The style loss falls at least 10x; colours move to the style's;
   *    the luminance still follows the content. */
  st = st_transfer (engine, net, content, styles, 1, &p, NULL, track, &t, &a,
                    &error);
  CHECK (st == ST_OK && a, "transfer failed: %s", error ? error->message : "?");
  save_for_eyes (content, "content");
  save_for_eyes (style, "style");
  save_for_eyes (a, "result");
  if (a)
    {
      colour_stats (content, mc);
      colour_stats (style, ms);
      colour_stats (a, mr);
      printf ("  style loss %.4g -> %.4g (%.1fx), %d callbacks\n",
              t.first_style, t.last_style, t.first_style / t.last_style,
              t.calls);
      printf ("  mean colour: content (%.2f %.2f %.2f) result (%.2f %.2f "
              "%.2f) style (%.2f %.2f %.2f)\n",
              mc[0], mc[1], mc[2], mr[0], mr[1], mr[2], ms[0], ms[1], ms[2]);
      CHECK (t.first_style >= 10 * t.last_style,
             "style loss fell only from %g to %g", t.first_style, t.last_style);
      printf ("  colour statistics: distance to the style %.3f -> %.3f\n",
              dist9 (mc, ms), dist9 (mr, ms));
      CHECK (dist9 (mr, ms) < 0.7 * dist9 (mc, ms),
             "colours did not move towards the style");
      printf ("  luminance correlation with the content: %.2f\n",
              luma_correlation (a, content));
      CHECK (luma_correlation (a, content) > 0.5,
             "luminance correlation with the content is %.2f",
             luma_correlation (a, content));
      CHECK (a->width == W && a->height == H, "result is %d x %d", a->width,
             a->height);
      CHECK (t.fraction_monotonic && fabs (t.last_fraction - 1.0) < 1e-9,
             "progress fraction not monotonic up to 1 (last %g)",
             t.last_fraction);
    }
  CHECK (
      memcmp (content->pixels, content_copy->pixels, sizeof (float) * 3 * W * H)
          == 0,
      "the content image was modified");

  /* 2. Determinism: same seed, same threads -> same bytes. */
  st = st_transfer (engine, net, content, styles, 1, &p, NULL, NULL, NULL, &b,
                    &error);
  CHECK (st == ST_OK && a && b
             && memcmp (a->pixels, b->pixels, sizeof (float) * 3 * W * H) == 0,
         "two runs with the same seed differ");
  st_image_free (b);
  b = NULL;

  /* 3. A blend that gives the second style no weight is the first style
   *    alone. */
  {
    double blend[2] = { 1.0, 0.0 };
    p.style_blend = blend;
    st = st_transfer (engine, net, content, styles, 2, &p, NULL, NULL, NULL, &b,
                      &error);
    CHECK (st == ST_OK && a && b
               && memcmp (a->pixels, b->pixels, sizeof (float) * 3 * W * H)
                      == 0,
           "a (1, 0) blend differs from the single style");
    st_image_free (b);
    b = NULL;
    p.style_blend = NULL;
  }

  /* 4. Coarse-to-fine: two scales, noise init with a seed. */
  {
    StImage *n1 = NULL, *n2 = NULL, *n3 = NULL;
    StParams q = p;
    q.size = 96;
    q.start_size = 48;
    q.scales = 2;
    q.iterations = 20;
    q.init = ST_INIT_NOISE;
    const StImage *stripe_styles[] = { stripes };
    q.seed = 3;
    st_transfer (engine, net, synthetic, stripe_styles, 1, &q, NULL, NULL, NULL,
                 &n1, NULL);
    st_transfer (engine, net, synthetic, stripe_styles, 1, &q, NULL, NULL, NULL,
                 &n2, NULL);
    q.seed = 4;
    st_transfer (engine, net, synthetic, stripe_styles, 1, &q, NULL, NULL, NULL,
                 &n3, NULL);
    save_for_eyes (n1, "noise-init");
    CHECK (n1 && n2 && n3 && n1->width == 96 && n1->height == 72,
           "two-scale run failed");
    if (n1 && n2 && n3)
      {
        CHECK (memcmp (n1->pixels, n2->pixels,
                       sizeof (float) * 3 * 96 * n1->height)
                   == 0,
               "noise init: same seed, different result");
        CHECK (memcmp (n1->pixels, n3->pixels,
                       sizeof (float) * 3 * 96 * n1->height)
                   != 0,
               "noise init: another seed, same result");
      }
    st_image_free (n1);
    st_image_free (n2);
    st_image_free (n3);
  }

  /* 5. Preserve colours: the result's chroma is the content's. */
  {
    StParams q = p;
    q.preserve_colors = TRUE;
    q.iterations = 30;
    st = st_transfer (engine, net, content, styles, 1, &q, NULL, NULL, NULL, &b,
                      &error);
    CHECK (st == ST_OK && b, "preserve colours failed");
    if (b)
      {
        double worst = 0;
        for (size_t i = 0; i < (size_t)W * H; i++)
          {
            const float *r = b->pixels + 3 * i, *c = content->pixels + 3 * i;
            double d = (r[0] - luma (r)) - (c[0] - luma (c));
            /* clipping to [0, 1] bends chroma where a channel was
             * clipped: only the pixels none of whose channels were */
            if (MIN (MIN (r[0], r[1]), r[2]) > 0.0f
                && MAX (MAX (r[0], r[1]), r[2]) < 1.0f)
              worst = MAX (worst, fabs (d));
          }
        CHECK (worst < 0.02, "chroma moved by %g with preserve colours", worst);
      }
    st_image_free (b);
    b = NULL;
  }

  /* 5b. Matching the style's colours to the content's keeps the result's
   *     colour statistics nearer the photo's than the plain run's. */
  if (a)
    {
      StParams q = p;
      double m_plain[9], m_match[9];
      q.match_colors = TRUE;
      st = st_transfer (engine, net, content, styles, 1, &q, NULL, NULL, NULL,
                        &b, &error);
      CHECK (st == ST_OK && b, "match colours failed");
      if (b)
        {
          colour_stats (a, m_plain);
          colour_stats (b, m_match);
          printf ("  colour distance to the content: plain %.3f, matched "
                  "%.3f\n",
                  dist9 (m_plain, mc), dist9 (m_match, mc));
          CHECK (dist9 (m_match, mc) < dist9 (m_plain, mc),
                 "matched colours are not nearer the content's");
        }
      st_image_free (b);
      b = NULL;
    }

  /* 5c. Style scale: larger style features give another image. */
  if (a)
    {
      StParams q = p;
      q.style_scale = 2.0;
      st = st_transfer (engine, net, content, styles, 1, &q, NULL, NULL, NULL,
                        &b, &error);
      CHECK (st == ST_OK && b
                 && memcmp (a->pixels, b->pixels, sizeof (float) * 3 * W * H)
                        != 0,
             "style scale 2 changed nothing");
      st_image_free (b);
      b = NULL;
    }

  /* 6. Cancel: distinct status, no result, nothing touched. */
  {
    Track c = { 0, 0, 0, 3, 0, TRUE };
    g_clear_error (&error);
    st = st_transfer (engine, net, content, styles, 1, &p, NULL, track, &c, &b,
                      &error);
    CHECK (st == ST_CANCELLED && !b && error && error->code == ST_CANCELLED
               && c.calls == 3,
           "cancel: status %d, %d calls", st, c.calls);
    CHECK (memcmp (content->pixels, content_copy->pixels,
                   sizeof (float) * 3 * W * H)
               == 0,
           "cancel modified the content");
  }

  /* 6b. The cancel flag (a signal handler's, another thread's) stops a
   *     run inside its passes: set before the run, no iteration ends and
   *     the status says cancelled, with or without an error to fill. */
  {
    StParams q = p;
    gint flag = 1;
    Track c = { 0, 0, 0, 1000, 0, TRUE };
    q.cancel = &flag;
    g_clear_error (&error);
    st = st_transfer (engine, net, content, styles, 1, &q, NULL, track, &c, &b,
                      &error);
    CHECK (st == ST_CANCELLED && !b && error && error->code == ST_CANCELLED
               && c.calls == 0,
           "cancel flag: status %d, %d progress calls", st, c.calls);
    st = st_transfer (engine, net, content, styles, 1, &q, NULL, NULL, NULL, &b,
                      NULL);
    CHECK (st == ST_CANCELLED && !b, "cancel flag without error: status %d",
           st);
  }

  /* 7. Bad input: a status, a message, no result. */
  {
    StImage *tiny = st_image_new (1, 1), *small_style = st_image_new (4, 4);
    const StImage *small_styles[] = { small_style };
    StParams q = p;
    struct
    {
      const char *what;
      const StImage *content;
      const StImage *const *styles;
      double strength;
      size_t budget;
      StStatus want;
    } cases[] = {
      { "1x1 content", tiny, styles, 50, 0, ST_ERROR_INVALID },
      { "4x4 style", content, small_styles, 50, 0, ST_ERROR_INVALID },
      { "NaN strength", content, styles, NAN, 0, ST_ERROR_INVALID },
      { "strength 101", content, styles, 101, 0, ST_ERROR_INVALID },
      { "1 MiB budget", content, styles, 50, 1 << 20, ST_ERROR_MEMORY },
    };
    q.size = 0;
    for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_clear_error (&error);
        q.strength = cases[i].strength;
        q.memory_budget = cases[i].budget;
        q.size = cases[i].budget ? 72 : 0;
        st = st_transfer (engine, net, cases[i].content, cases[i].styles, 1, &q,
                          NULL, NULL, NULL, &b, &error);
        CHECK (st == cases[i].want && !b && error && error->message[0],
               "%s: status %d (want %d)", cases[i].what, st, cases[i].want);
        printf ("  %-12s -> %s\n", cases[i].what,
                error ? error->message : "(no message)");
      }
    st_image_free (tiny);
    st_image_free (small_style);
  }

  /* 8. Absurd weights are refused before the run (the optimisers' own
   *    NaN guard is tested in test-optimizers). */
  {
    StParams q = p;
    q.style_weight = 1e30;
    g_clear_error (&error);
    st = st_transfer (engine, net, content, styles, 1, &q, NULL, NULL, NULL, &b,
                      &error);
    CHECK (st == ST_ERROR_INVALID && !b, "absurd weight: status %d", st);
    printf ("  style weight 1e30 -> %s\n", error ? error->message : "?");
  }

  /* 9. One plan: size 0 under a small budget is reduced to the largest
   *    size that fits, st_estimate says so, and st_transfer paints
   *    exactly that size; a size that does not fit is refused. */
  {
    StParams q = p;
    StEstimate e;
    const StImage *stripe_styles[] = { stripes };
    StEstimate full, smallest;
    q.size = 0;
    q.iterations = 2;
    /* a budget between what a small size (the short side at the
     * network's 16 px minimum) and the full size need */
    q.size = 24;
    st_estimate (engine, net, synthetic->width, synthetic->height, &q,
                 &smallest, NULL);
    q.size = 0;
    st_estimate (engine, net, synthetic->width, synthetic->height, &q, &full,
                 NULL);
    q.memory_budget = (smallest.peak_bytes + full.peak_bytes) / 2;
    st = st_estimate (engine, net, synthetic->width, synthetic->height, &q, &e,
                      NULL);
    CHECK (st == ST_OK && e.fits && e.reduced
               && e.requested_size == synthetic->width
               && MAX (e.width, e.height) == e.max_size,
           "size 0 under a small budget: status %d, fits %d, reduced %d, "
           "%d x %d, max %d",
           st, e.fits, e.reduced, e.width, e.height, e.max_size);
    st = st_transfer (engine, net, synthetic, stripe_styles, 1, &q, NULL, NULL,
                      NULL, &b, NULL);
    CHECK (st == ST_OK && b && b->width == e.width && b->height == e.height,
           "st_transfer did not paint st_estimate's %d x %d", e.width,
           e.height);
    /* Given the plan, st_transfer runs it as is: the same bytes as the
     * run that planned again; with no budget it decides nothing again
     * (a fresh plan would paint the full size); the content may come
     * at the plan's size; a plan made with other parameters, or for a
     * content of another shape, is refused. */
    {
      StParams r = q;
      StImage *given = NULL, *small = make_content (e.width, e.height);
      const StImage *other_styles[] = { stripes };
      st = st_transfer (engine, net, synthetic, stripe_styles, 1, &q, &e, NULL,
                        NULL, &given, NULL);
      CHECK (st == ST_OK && given && given->width == b->width
                 && given->height == b->height
                 && memcmp (given->pixels, b->pixels,
                            sizeof (float) * 3 * b->width * b->height)
                        == 0,
             "the plan given did not run as planned: status %d", st);
      st_image_free (given);
      given = NULL;
      r.memory_budget = 0;
      st = st_transfer (engine, net, synthetic, stripe_styles, 1, &r, &e, NULL,
                        NULL, &given, NULL);
      CHECK (st == ST_OK && given && given->width == e.width
                 && given->height == e.height,
             "the plan given was made again: status %d", st);
      st_image_free (given);
      given = NULL;
      st = st_transfer (engine, net, small, stripe_styles, 1, &q, &e, NULL,
                        NULL, &given, NULL);
      CHECK (st == ST_OK && given && given->width == e.width
                 && given->height == e.height,
             "a content at the plan's size: status %d", st);
      st_image_free (given);
      given = NULL;
      r = q;
      r.iterations = q.iterations + 1;
      st = st_transfer (engine, net, synthetic, stripe_styles, 1, &r, &e, NULL,
                        NULL, &given, NULL);
      CHECK (st == ST_ERROR_INVALID && !given,
             "a plan of other parameters ran: status %d", st);
      st = st_transfer (engine, net, stripes, other_styles, 1, &q, &e, NULL,
                        NULL, &given, NULL);
      CHECK (st == ST_ERROR_INVALID && !given,
             "a plan of another shape ran: status %d", st);
      st_image_free (small);
    }
    st_image_free (b);
    b = NULL;
    q.size = e.max_size + 8;
    st = st_estimate (engine, net, synthetic->width, synthetic->height, &q, &e,
                      NULL);
    CHECK (st == ST_OK && !e.fits && !e.reduced, "too large a size fits");
    st = st_transfer (engine, net, synthetic, stripe_styles, 1, &q, NULL, NULL,
                      NULL, &b, NULL);
    CHECK (st == ST_ERROR_MEMORY && !b, "too large a size: status %d", st);
  }

  /* 10. The status says what failed, with or without an error to fill. */
  {
    StParams q = p;
    q.style_scale = ST_STYLE_SCALE_MIN / 2;
    st = st_transfer (engine, net, content, styles, 1, &q, NULL, NULL, NULL, &b,
                      NULL);
    CHECK (st == ST_ERROR_INVALID && !b, "bad style scale, no error: %d", st);
    st = st_transfer (engine, net, content, styles, 0, &p, NULL, NULL, NULL, &b,
                      NULL);
    CHECK (st == ST_ERROR_INVALID && !b, "no style, no error: %d", st);
  }

  g_clear_error (&error);
  st_image_free (a);
  st_image_free (content);
  st_image_free (content_copy);
  st_image_free (style);
  st_image_free (synthetic);
  st_image_free (stripes);
  st_network_free (net);
  st_context_free (engine);
  return check_report ("test-transfer");
}
