/* The paintings' targets at one scale (targets.c): a painting as large as
 * the style side gives every level from one resampled copy; a smaller one
 * gives every level from one exemplar, its enlargement with its own brush
 * marks (from half its size) for the octaves the enlargement blurs. */
#include "check.h"
#include "driver.h"
#include "internal.h"

#include <string.h>

/* A painting: dabs of random colour, 2 px wide, so that it has texture
 * at its own pixel scale (as a painting's brush marks), planar (3, h, w). */
static float *
make_painting (int w, int h, guint32 seed)
{
  StRng rng;
  float *x = st_floats_new ((size_t)3 * w * h);
  st_rng_init (&rng, seed);
  for (int y = 0; y < h; y += 2)
    for (int i = 0; i < w; i += 2)
      for (int c = 0; c < 3; c++)
        {
          float v = (float)st_rng_uniform (&rng);
          for (int dy = 0; dy < 2 && y + dy < h; dy++)
            for (int dx = 0; dx < 2 && i + dx < w; dx++)
              x[((size_t)c * h + y + dy) * w + i + dx] = v;
        }
  return x;
}

/* The Gram matrix of tap `name` of image (3, h, w) through a graph of
 * `levels` levels; its size in *c. */
static float *
gram_of (const StNetwork *net, const float *image, int w, int h, int levels,
         const char *name, int *c)
{
  StGraph g;
  StFeature *f;
  StParams p;
  int n;
  float *gram = NULL;
  st_params_init (&p);
  CHECK (st_scale_graph (net, &p, 1, w, h, levels, &g, NULL) == ST_OK,
         "graph at %d x %d", w, h);
  CHECK (st_graph_targets (&g, image, TRUE, FALSE, &f, &n) == ST_OK, "pass");
  for (int i = 0; i < n; i++)
    if (f[i].style && !strcmp (f[i].name, name))
      {
        *c = f[i].c;
        gram = g_memdup2 (f[i].data, sizeof (float) * f[i].c * f[i].c);
      }
  st_features_free (f, n);
  st_graph_clear (&g);
  CHECK (gram, "no tap %s", name);
  return gram;
}

/* The same of the painting (3, ph, pw) resized to long side `side`. */
static float *
gram_at (const StNetwork *net, const float *painting, int pw, int ph, int side,
         int levels, const char *name, int *c)
{
  int tw, th;
  float *resized, *gram;
  st_fit_long_side (pw, ph, side, &tw, &th);
  resized = st_floats_new ((size_t)3 * tw * th);
  st_resample_planes (painting, 3, pw, ph, resized, tw, th);
  gram = gram_of (net, resized, tw, th, levels, name, c);
  g_free (resized);
  return gram;
}

/* The painting's exemplar at long side W (st_painting_exemplar); its size
 * in *tw, *th. */
static float *
exemplar_at (const float *painting, int pw, int ph, int W, int *tw, int *th)
{
  float *x;
  st_fit_long_side (pw, ph, W, tw, th);
  x = st_floats_new ((size_t)3 * *tw * *th);
  CHECK (st_painting_exemplar (painting, pw, ph, x, *tw, *th), "exemplar");
  return x;
}

/* |a - b| / |b| */
static double
relative (const float *a, const float *b, int n)
{
  double d = 0, s = 0;
  for (int i = 0; i < n; i++)
    {
      d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
      s += (double)b[i] * b[i];
    }
  return sqrt (d / MAX (s, 1e-30));
}

/* The targets of a W x W scale for a painting of long side `painting_side`;
 * tap `name` must equal the painting's own Gram at long side want_side
 * (0: its exemplar at W) through want_levels levels. */
static void
check_tap (const StNetwork *net, int W, int painting_side, const char *name,
           int want_side, int want_levels, const char *why)
{
  StParams p;
  StGraph g;
  StTargets t;
  GError *error = NULL;
  int pw = painting_side, ph = painting_side * 3 / 4, c = 0, k = 0;
  float *painting = make_painting (pw, ph, 7);
  const double one = 1.0;
  float *want;
  st_params_init (&p);
  memset (&t, 0, sizeof t);
  CHECK (st_scale_graph (net, &p, 1, W, W, 0, &g, NULL) == ST_OK, "graph");
  CHECK (st_style_targets (net, &p, W, W, 1, &painting, &pw, &ph, &one, &g, &t,
                           &error)
             == ST_OK,
         "targets: %s", error ? error->message : "?");
  if (want_side > 0)
    want = gram_at (net, painting, pw, ph, want_side, want_levels, name, &c);
  else
    {
      int tw, th;
      float *ex = exemplar_at (painting, pw, ph, W, &tw, &th);
      want = gram_of (net, ex, tw, th, want_levels, name, &c);
      g_free (ex);
    }
  for (int i = 0; i < g.n; i++)
    if (g.nodes[i].style && strcmp (g.nodes[i].name, name))
      k++;
    else if (g.nodes[i].style)
      break;
  {
    double err = relative (t.gram[k], want, c * c);
    printf ("  %d px scale, %d px painting, %s: %.2g from the painting's at "
            "%d px (%s)\n",
            W, painting_side, name, err, want_side ? want_side : W, why);
    CHECK (err < 1e-5,
           "%s: the target is %.3g away from the painting's "
           "Gram at %d px (%s)",
           name, err, want_side ? want_side : W, why);
  }
  g_free (want);
  st_targets_clear (&t, g.n_style, g.n_content);
  st_graph_clear (&g);
  g_free (painting);
}

int
main (void)
{
  StNetwork *net = st_network_new_embedded ();
  const int W = 256, levels = st_embedded_levels (W, W);
  int c, tw, th;
  float *enlarged, *ex_gram, *ex, *painting = make_painting (64, 48, 7);

  /* A 64 px painting behind a 256 px scale: every level from one image,
   * its exemplar at 256 px, so that one picture can meet them all. */
  check_tap (net, W, 64, "L0k3", 0, levels, "its exemplar");
  check_tap (net, W, 64, "L0k7", 0, levels, "its exemplar");
  check_tap (net, W, 64, "L1k5", 0, levels, "its exemplar");
  check_tap (net, W, 64, "L2k3", 0, levels, "its exemplar");
  check_tap (net, W, 64, "L4k7", 0, levels, "its exemplar");
  check_tap (net, W, 64, "colour", 0, levels, "its exemplar");
  /* A painting as large as the scale, or larger: every level from one
   * resampled copy. */
  check_tap (net, W, W, "L0k3", W, levels, "its own size");
  check_tap (net, W, 512, "L0k3", W, levels, "reduced");
  check_tap (net, W, 512, "L1k7", W, levels, "reduced");

  /* What the exemplar is for: enlarged 4 times, the painting's finest
   * level holds a blur of its 2 px brush marks; the exemplar's holds the
   * marks themselves (from the painting at half its size, 32 px), with
   * their energy.  Without them (the enlarged half-size painting alone)
   * the exemplar's finest level has less energy than the enlargement's. */
  ex = exemplar_at (painting, 64, 48, W, &tw, &th);
  enlarged = gram_at (net, painting, 64, 48, W, levels, "L0k3", &c);
  ex_gram = gram_of (net, ex, tw, th, levels, "L0k3", &c);
  {
    double d = 0, e = 0;
    for (int i = 0; i < c; i++)
      {
        d += enlarged[i * c + i];
        e += ex_gram[i * c + i];
      }
    printf ("  level-0 energy (the Gram's trace): enlarged %.3g, exemplar "
            "%.3g\n",
            d, e);
    CHECK (e > 1.1 * d,
           "the exemplar's finest level should hold the marks' energy "
           "(%.3g, the enlargement's %.3g)",
           e, d);
  }
  g_free (ex_gram);
  g_free (enlarged);
  /* ... while its coarsest level, the layout of the strokes, is the
   * enlarged painting's. */
  enlarged = gram_at (net, painting, 64, 48, W, levels, "L4k7", &c);
  ex_gram = gram_of (net, ex, tw, th, levels, "L4k7", &c);
  {
    double d = relative (ex_gram, enlarged, c * c);
    printf ("  coarsest level: the exemplar's %.2g from the enlarged "
            "painting's\n",
            d);
    CHECK (d < 0.1, "the exemplar's coarsest level is %.3g away", d);
  }
  g_free (ex_gram);
  g_free (enlarged);
  g_free (ex);
  g_free (painting);
  st_network_free (net);
  return check_report ("targets");
}
