/* The paintings' targets at one scale (targets.c): a painting smaller than
 * the style side gives its finest pyramid levels the Gram matrices of its
 * own detail (from half its size up), not of its enlarged blur; a
 * painting as large as the style side gives every level from one
 * resampled copy, as before. */
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

/* The Gram matrix of tap `name` of the painting seen at long side `side`
 * through a graph of `levels` levels (a new copy); its size in *c. */
static float *
gram_at (const StNetwork *net, const float *painting, int pw, int ph, int side,
         int levels, const char *name, int *c)
{
  StGraph g;
  StFeature *f;
  StParams p;
  int n, tw, th;
  float *resized, *gram = NULL;
  st_params_init (&p);
  st_fit_long_side (pw, ph, side, &tw, &th);
  resized = st_floats_new ((size_t)3 * tw * th);
  st_resample_planes (painting, 3, pw, ph, resized, tw, th);
  CHECK (st_scale_graph (net, &p, 1, tw, th, levels, &g, NULL) == ST_OK,
         "graph at %d x %d", tw, th);
  CHECK (st_graph_targets (&g, resized, TRUE, FALSE, &f, &n) == ST_OK, "pass");
  for (int i = 0; i < n; i++)
    if (f[i].style && !strcmp (f[i].name, name))
      {
        *c = f[i].c;
        gram = g_memdup2 (f[i].data, sizeof (float) * f[i].c * f[i].c);
      }
  st_features_free (f, n);
  st_graph_clear (&g);
  g_free (resized);
  CHECK (gram, "no tap %s", name);
  return gram;
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
 * through want_levels levels. */
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
  want = gram_at (net, painting, pw, ph, want_side, want_levels, name, &c);
  for (int i = 0; i < g.n; i++)
    if (g.nodes[i].style && strcmp (g.nodes[i].name, name))
      k++;
    else if (g.nodes[i].style)
      break;
  {
    double err = relative (t.gram[k], want, c * c);
    printf ("  %d px scale, %d px painting, %s: %.2g from the painting at "
            "%d px (%s)\n",
            W, painting_side, name, err, want_side, why);
    CHECK (err < 1e-5,
           "%s: the target is %.3g away from the painting's "
           "Gram at %d px",
           name, err, want_side);
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
  int c;
  float *native, *enlarged, *painting = make_painting (64, 48, 7);

  /* A 64 px painting behind a 256 px scale: its trusted detail starts at
   * half its size, 32 px.  Level 0 (256 px) from the painting at 32 px,
   * level 1 (128 px) from it at 64 px, level 2 (64 px) from it at 128 px
   * (each level then has the 32 px painting's pixels), level 3 and up
   * from the enlargement to 256 px. */
  check_tap (net, W, 64, "L0k3", 32, 2, "its detail at level 0");
  check_tap (net, W, 64, "L0k7", 32, 2, "its detail at level 0");
  check_tap (net, W, 64, "L1k5", 64, 2, "its detail at level 1");
  check_tap (net, W, 64, "L2k3", 128, 3, "its detail at level 2");
  check_tap (net, W, 64, "L3k3", W, levels, "enlarged: nothing lost");
  check_tap (net, W, 64, "colour", W, levels, "enlarged: nothing lost");
  /* A painting as large as the scale, or larger: every level from one
   * copy, as before. */
  check_tap (net, W, W, "L0k3", W, levels, "its own size, as before");
  check_tap (net, W, 512, "L0k3", W, levels, "reduced, as before");
  check_tap (net, W, 512, "L1k7", W, levels, "reduced, as before");

  /* What it is for: the enlarged painting's finest level holds a blur
   * of the painting's brush marks; its own pixels hold them. */
  native = gram_at (net, painting, 64, 48, 32, 2, "L0k3", &c);
  enlarged = gram_at (net, painting, 64, 48, W, levels, "L0k3", &c);
  {
    double d = relative (enlarged, native, c * c);
    printf ("  level-0 Gram of the enlarged painting: %.2g from its own\n", d);
    CHECK (d > 0.2, "enlarged 4x, the finest level should differ (%.3g)", d);
  }
  g_free (native);
  g_free (enlarged);
  g_free (painting);
  st_network_free (net);
  return check_report ("targets");
}
