/* Values against small cases computed by hand, and the layers against
 * naive loops. */
#include "check.h"

#include "blas.h"
#include "graph.h"

#include <string.h>

static void
check_close (const char *what, double got, double want, double tol)
{
  CHECK (fabs (got - want) <= tol * MAX (1.0, fabs (want)),
         "%s: got %.9g, want %.9g", what, got, want);
}

static void
hand_cases (void)
{
  /* f = [[1 2] [3 4]]: G = f f^T / 2 = [[2.5 5.5] [5.5 12.5]] */
  const float f[4] = { 1, 2, 3, 4 };
  const float eye[4] = { 1, 0, 0, 1 };
  float g[4], scratch[4];
  st_gram (f, 2, 2, g);
  check_close ("gram[0][0]", g[0], 2.5, 1e-6);
  check_close ("gram[0][1]", g[1], 5.5, 1e-6);
  check_close ("gram[1][0]", g[2], 5.5, 1e-6);
  check_close ("gram[1][1]", g[3], 12.5, 1e-6);
  /* D = G - I = [[1.5 5.5] [5.5 11.5]], |D|^2 = 195, |I|^2 = 2 */
  check_close ("style loss",
               st_style_loss (f, 2, 2, eye, 2.0, 1.0, NULL, scratch), 97.5,
               1e-6);
  {
    const float x[3] = { 1, 2, 3 }, t[3] = { 1, 1, 1 };
    /* |x - t|^2 / |t|^2 = 5 / 3 */
    check_close ("content loss", st_content_loss (x, 3, t, 3.0, 1.0, NULL),
                 5.0 / 3.0, 1e-6);
  }
  {
    const float x[4] = { 0, 1, 2, 4 };
    /* right: 1, 2 -> 5; down: 2, 3 -> 13; 18 / 4 */
    check_close ("total variation", st_tv_loss (x, 1, 2, 2, 1.0, NULL), 4.5,
                 1e-6);
  }
  {
    const float x[3] = { -0.5f, 0.5f, 1.5f };
    check_close ("range penalty", st_range_loss (x, 3, 1.0, NULL), 1.0 / 6,
                 1e-6);
  }
}

static float
naive_at (const float *in, int c, int h, int w, int y, int x, StPad pad)
{
  if (y < 0 || y >= h || x < 0 || x >= w)
    {
      if (pad == ST_PAD_ZERO)
        return 0.0f;
      /* symmetric: the edge pixel repeated (pads up to the side) */
      y = y < 0 ? -y - 1 : y >= h ? 2 * h - 1 - y : y;
      x = x < 0 ? -x - 1 : x >= w ? 2 * w - 1 - x : x;
    }
  return in[((size_t)c * h + y) * w + x];
}

static void
conv_against_loops (int cin, int cout, int k, int h, int w, StPad pad,
                    StRng *rng)
{
  size_t n = (size_t)cout * h * w;
  float *in = st_floats_new ((size_t)cin * h * w);
  float *wt = st_floats_new ((size_t)cout * cin * k * k);
  float *b = st_floats_new (cout), *out = st_floats_new (n);
  uint8_t *mask = st_bytes_new (n);
  double worst = 0;
  fill_random (in, (size_t)cin * h * w, rng, -1, 1);
  fill_random (wt, (size_t)cout * cin * k * k, rng, -1, 1);
  fill_random (b, cout, rng, -1, 1);
  st_conv_forward (in, cin, h, w, wt, b, cout, k, pad, out, mask, NULL, 1);
  for (int o = 0; o < cout; o++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        {
          double acc = b[o];
          for (int c = 0; c < cin; c++)
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                acc += wt[(((size_t)o * cin + c) * k + ky) * k + kx]
                       * naive_at (in, c, h, w, y + ky - k / 2, x + kx - k / 2,
                                   pad);
          acc = MAX (acc, 0.0);
          worst = MAX (worst, fabs (acc - out[((size_t)o * h + y) * w + x]));
        }
  CHECK (worst < 1e-4, "conv %dx%d %s vs loops: max error %g", k, k,
         pad == ST_PAD_ZERO ? "zero" : "symmetric", worst);
  g_free (in);
  g_free (wt);
  g_free (b);
  g_free (out);
  g_free (mask);
}

static void
resampling (StRng *rng)
{
  float *a = st_floats_new (3 * 20 * 13), *b = st_floats_new (3 * 20 * 13);
  float *c = st_floats_new (3 * 7 * 5);
  fill_random (a, 3 * 20 * 13, rng, 0, 1);
  st_resample_planes (a, 3, 20, 13, b, 20, 13);
  {
    double worst = 0;
    for (int i = 0; i < 3 * 20 * 13; i++)
      worst = MAX (worst, fabs (a[i] - b[i]));
    CHECK (worst < 1e-5, "resampling to the same size changes pixels by %g",
           worst);
  }
  for (int i = 0; i < 3 * 20 * 13; i++)
    a[i] = 0.25f;
  st_resample_planes (a, 3, 20, 13, c, 7, 5);
  for (int i = 0; i < 3 * 7 * 5; i++)
    CHECK (fabsf (c[i] - 0.25f) < 1e-5, "a flat image does not stay flat");
  {
    float down[3 * 10 * 7];
    st_blurdown_forward (a, 3, 13, 20, down);
    for (int i = 0; i < 3 * 10 * 7; i++)
      CHECK (fabsf (down[i] - 0.25f) < 1e-5, "blur of flat is not flat");
  }
  g_free (a);
  g_free (b);
  g_free (c);
}

/* The top octave (the warm-up's P, transfer.c): symmetric, edges
 * included (<P a, b> = <a, P b>: the warm-up's gradient through it is P
 * itself), a flat plane has none, and a pixel checkerboard is all top
 * octave (kept whole away from the edges). */
static void
top_octave (StRng *rng)
{
  enum
  {
    W = 11,
    H = 8,
    N = 2 * W * H
  };
  float a[N], b[N], pa[N], pb[N], tmp[2 * W * H];
  double lhs = 0, rhs = 0, flat = 0, checker = 0;
  fill_random (a, N, rng, -1, 1);
  fill_random (b, N, rng, -1, 1);
  memcpy (pa, a, sizeof a);
  memcpy (pb, b, sizeof b);
  st_top_octave (pa, 2, W, H, tmp);
  st_top_octave (pb, 2, W, H, tmp);
  for (int i = 0; i < N; i++)
    {
      lhs += (double)pa[i] * b[i];
      rhs += (double)a[i] * pb[i];
    }
  check_close ("<P a, b> against <a, P b>", lhs, rhs, 1e-5);
  for (int i = 0; i < N; i++)
    a[i] = 0.3f;
  st_top_octave (a, 2, W, H, tmp);
  for (int i = 0; i < N; i++)
    flat = MAX (flat, fabsf (a[i]));
  CHECK (flat < 1e-6, "a flat plane has a top octave of %g", flat);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      a[y * W + x] = (x + y) % 2 ? 1.0f : -1.0f;
  st_top_octave (a, 1, W, H, tmp);
  for (int y = 2; y < H - 2; y++)
    for (int x = 2; x < W - 2; x++)
      checker = MAX (checker, fabsf (fabsf (a[y * W + x]) - 1.0f));
  CHECK (checker < 1e-6, "a checkerboard loses %g of its top octave", checker);
}

static void
embedded_network_is_fixed (void)
{
  /* The filters come from a fixed seed: two networks are identical, and
   * each filter is zero-mean with unit length. */
  StNetwork *a = st_network_new_embedded (), *b = st_network_new_embedded ();
  for (int s = 0; s < a->n_sizes; s++)
    {
      int len = 3 * a->sizes[s] * a->sizes[s];
      CHECK (memcmp (a->filters[s], b->filters[s], sizeof (float) * 128 * len)
                 == 0,
             "embedded filters differ between two networks");
      for (int o = 0; o < 128; o += 37)
        {
          double sum = 0, sq = 0;
          for (int i = 0; i < len; i++)
            {
              sum += a->filters[s][o * len + i];
              sq += a->filters[s][o * len + i] * a->filters[s][o * len + i];
            }
          CHECK (fabs (sum) < 1e-5 && fabs (sq - 1) < 1e-5,
                 "filter %d of size %d: sum %g, squared norm %g", o,
                 a->sizes[s], sum, sq);
        }
    }
  /* The pyramid stops when the short side would drop below 16 px. */
  CHECK (st_embedded_levels (512, 384) == 5, "levels(512x384) = %d",
         st_embedded_levels (512, 384));
  CHECK (st_embedded_levels (160, 120) == 3, "levels(160x120) = %d",
         st_embedded_levels (160, 120));
  CHECK (st_embedded_levels (20, 20) == 1, "levels(20x20) = %d",
         st_embedded_levels (20, 20));
  /* The content taps: levels 1-3, and 2-4 once level 1 is over 1280 px
   * on its long side (the last level stays the last). */
  static const struct
  {
    int w, h, first;
  } sizes[] = { { 384, 288, 1 },   { 1920, 1080, 1 }, { 2560, 1440, 1 },
                { 2562, 1440, 2 }, { 4272, 2848, 2 }, { 2056, 3088, 2 },
                { 12000, 8000, 2 } };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      StGraph g;
      gboolean levels[8] = { FALSE };
      CHECK (st_graph_build (a, sizes[i].w, sizes[i].h, ST_POOLING_AVERAGE, 0,
                             1, &g, NULL)
                 == ST_OK,
             "no graph at %d x %d", sizes[i].w, sizes[i].h);
      for (int n = 0; n < g.n; n++)
        if (g.nodes[n].content)
          levels[g.nodes[n].level] = TRUE;
      int first = 0, count = 0;
      while (first < 8 && !levels[first])
        first++;
      for (int l = first; l < 8 && levels[l]; l++)
        count++;
      CHECK (first == sizes[i].first && count == 3,
             "%d x %d: content on %d levels from %d, not 3 from %d", sizes[i].w,
             sizes[i].h, count, first, sizes[i].first);
      st_graph_clear (&g);
    }
  st_network_free (a);
  st_network_free (b);
}

int
main (void)
{
  StRng rng;
  st_rng_init (&rng, 11);
  st_blas_set_threads (1);
  hand_cases ();
  conv_against_loops (3, 5, 3, 6, 7, ST_PAD_ZERO, &rng);
  conv_against_loops (3, 5, 3, 6, 7, ST_PAD_SYMMETRIC, &rng);
  conv_against_loops (2, 4, 5, 5, 9, ST_PAD_SYMMETRIC, &rng);
  conv_against_loops (3, 4, 7, 9, 8, ST_PAD_SYMMETRIC, &rng);
  resampling (&rng);
  top_octave (&rng);
  embedded_network_is_fixed ();
  return check_report ("test-losses");
}
