/* deblock.c - the block grid of JPEG compression taken out of the photo
 * before it is painted.
 *
 * A camera's JPEG is coded in 8 x 8 blocks; each block is quantised on its
 * own, so a small step runs along every eighth column and row.  In the
 * photo it is under a grey level and one does not see it.  The painting
 * sees it: the content term asks for the photo's features, steps included,
 * and the style term's gradient, 4 (G - A) F, scales up whatever pattern
 * the features already hold.  A 12-megapixel photo's sky came out as a
 * chequer of 8 px cells one sees at 100 %.
 *
 * What is done, on the content only (the painting's own marks are not
 * phase-locked to the result):
 *  - detection, per axis: the mean |luma difference| between neighbours,
 *    folded modulo 8.  A JPEG at its own size has one phase (the block
 *    boundary) above the others (camera photos here: 1.2-1.9 times their
 *    median); a PNG or a resized photo has none (1.00-1.12).  A JPEG coded
 *    gently, or with a busy subject, may stay under DETECT_RATIO (a forest
 *    path's rows: 1.12), so the axis is also taken when the folded profile
 *    varies (its largest deviation from its mean) CONTROL_RATIO times as
 *    much modulo 8 as modulo 6, 7, 9 or 10, periods a JPEG does not have
 *    (the JPEGs here: 3.9-21; PNGs and photos resized after coding:
 *    0.1-0.9) and the busiest phase still stands KNOWN_RATIO over the
 *    others (1.10-1.14 on the wallpapers' and the path's weaker axes; a
 *    JPEG whose lattice is all within its blocks, 1.02-1.04, has no step
 *    to take out).  Otherwise the axis is left alone;
 *  - at each boundary, where the step and both its neighbours are small on
 *    every channel (not an edge of the subject), the step's excess over
 *    its neighbours' mean difference, s = (q0 - p0) - ((p0 - p1) + (q1 -
 *    q0)) / 2, is spread as a ramp over the 8 pixels around it, which
 *    takes 90 % of it away;
 *  - "small" depends on how hard the photo was compressed, so the
 *    threshold is chosen per axis on a ladder (0.01 up, steps of 1.2):
 *    the lowest after which the block lines' mean difference is no longer
 *    above the other columns'.  Too low leaves part of the grid, and the
 *    painting scales up what is left (a 1920 px piece of a camera photo:
 *    8 px score 20 with the lines 1.09 times the rest, 4 at 0.92); too
 *    high smooths the subject's texture at every eighth column.
 * A 12-megapixel camera photo's grid score at 8 px (look.py) falls from
 * 80 to 4 (6 on its rows), with a root-mean-square change of 0.003; its
 * painting's, from 147 to 14. */
#include "driver.h"

#include <math.h>

#define PERIOD 8
#define DETECT_RATIO 1.15
#define CONTROL_RATIO 3.0
#define KNOWN_RATIO 1.05
#define EDGE 0.05f
/* The correction at p3 p2 p1 p0 | q0 q1 q2 q3, per unit of excess. */
static const float RAMP[PERIOD]
    = { 0.1f, 0.2f, 0.3f, 0.4f, -0.4f, -0.3f, -0.2f, -0.1f };
/* The thresholds tried, in steps of 1.2 from 0.01 to 0.074. */
#define LADDER_FIRST 0.01f
#define LADDER_STEP 1.2f
#define N_LADDER 12

/* One axis of a plane: n positions along it (step along), m lines. */
typedef struct
{
  int n, m;
  size_t along, across;
} Axis;

static inline float
at (const float *plane, const Axis *a, int i, int line)
{
  return plane[(size_t)i * a->along + (size_t)line * a->across];
}

static inline float
excess (const float *plane, const Axis *a, int b, int line)
{
  float p1 = at (plane, a, b - 1, line), p0 = at (plane, a, b, line);
  float q0 = at (plane, a, b + 1, line), q1 = at (plane, a, b + 2, line);
  return (q0 - p0) - 0.5f * ((p0 - p1) + (q1 - q0));
}

/* The |difference| between positions i and i + 1 (each counting up to
 * EDGE, so that the subject's few hard edges do not decide the phase),
 * summed over the lines, read in memory order. */
static void
profile (const float *luma, const Axis *a, double *prof)
{
  for (int i = 0; i < a->n - 1; i++)
    prof[i] = 0;
  for (int line = 0; line < a->m && a->along == 1; line++)
    {
      const float *row = luma + (size_t)line * a->across;
      for (int i = 0; i < a->n - 1; i++)
        prof[i] += MIN (fabsf (row[i + 1] - row[i]), EDGE);
    }
  for (int i = 0; i < a->n - 1 && a->along != 1; i++)
    {
      const float *r0 = luma + (size_t)i * a->along, *r1 = r0 + a->along;
      double s = 0;
      for (int line = 0; line < a->m; line++)
        s += MIN (fabsf (r1[line] - r0[line]), EDGE);
      prof[i] = s;
    }
}

/* The profile's mean folded modulo period over the whole periods. */
static void
folded (const double *prof, int n_diff, int period, double *out)
{
  int n = n_diff - n_diff % period;
  for (int k = 0; k < period; k++)
    out[k] = 0;
  for (int i = 0; i < n; i++)
    out[i % period] += prof[i] / (n / period);
}

/* The largest deviation of the folded profile from its mean, relative to
 * the mean. */
static double
spread (const double *prof, int n_diff, int period)
{
  double f[16], mean = 0, worst = 0;
  folded (prof, n_diff, period, f);
  for (int k = 0; k < period; k++)
    mean += f[k] / period;
  for (int k = 0; k < period && mean > 0; k++)
    worst = MAX (worst, fabs (f[k] / mean - 1));
  return worst;
}

/* A lattice of period 8 and of no other period near it. */
static gboolean
lattice_found (const double *prof, int n_diff)
{
  static const int controls[] = { 6, 7, 9, 10 };
  double worst = 0;
  for (guint k = 0; k < G_N_ELEMENTS (controls); k++)
    worst = MAX (worst, spread (prof, n_diff, controls[k]));
  return worst > 0 && spread (prof, n_diff, PERIOD) >= CONTROL_RATIO * worst;
}

static int
cmp_double (const void *x, const void *y)
{
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* The boundary's phase, or -1 when no phase stands out (by DETECT_RATIO,
 * or by KNOWN_RATIO when the lattice is known to be there). */
static int
boundary_phase (const double f[PERIOD], gboolean known)
{
  int p = 0;
  for (int k = 1; k < PERIOD; k++)
    if (f[k] > f[p])
      p = k;
  double rest[PERIOD - 1];
  for (int k = 0, j = 0; k < PERIOD; k++)
    if (k != p)
      rest[j++] = f[k];
  qsort (rest, PERIOD - 1, sizeof *rest, cmp_double);
  double median = rest[(PERIOD - 1) / 2];
  double ratio = known ? KNOWN_RATIO : DETECT_RATIO;
  return median > 0 && f[p] / median >= ratio ? p : -1;
}

/* The boundary phase's mean difference over the other phases' mean. */
static double
excess_ratio (const double f[PERIOD], int p)
{
  double rest = 0;
  for (int k = 0; k < PERIOD; k++)
    rest += k == p ? 0 : f[k] / (PERIOD - 1);
  return rest > 0 ? f[p] / rest : 1;
}

/* The boundaries b = p, p + 8, ... whose ramp fits inside the axis. */
static int
first_boundary (int p)
{
  return p >= 3 ? p : p + PERIOD;
}

static void
add_ramp (float *plane, const Axis *a, int b, int line, float s, gboolean clamp)
{
  for (int k = 0; k < PERIOD; k++)
    {
      float *v
          = plane + (size_t)(b - 3 + k) * a->along + (size_t)line * a->across;
      *v += RAMP[k] * s;
      if (clamp) /* a photo stays in [0, 1] */
        *v = CLAMP (*v, 0.0f, 1.0f);
    }
}

/* One axis of the planes (3, h, w): detect, choose the threshold on the
 * luma (h w floats of scratch; prof, MAX (w, h) doubles), filter the three
 * channels.  FALSE when short of memory. */
static gboolean
deblock_axis (float *chw, int w, int h, gboolean columns, float *luma,
              double *prof, gboolean *done)
{
  size_t n_px = (size_t)w * h;
  Axis a
      = columns ? (Axis){ w, h, 1, (size_t)w } : (Axis){ h, w, (size_t)w, 1 };
  *done = FALSE;
  if (a.n < 2 * PERIOD + 1) /* under two whole blocks: nothing to fold */
    return TRUE;
  for (size_t i = 0; i < n_px; i++)
    luma[i]
        = 0.299f * chw[i] + 0.587f * chw[n_px + i] + 0.114f * chw[2 * n_px + i];
  double f[PERIOD];
  profile (luma, &a, prof);
  folded (prof, a.n - 1, PERIOD, f);
  int p = boundary_phase (f, lattice_found (prof, a.n - 1));
  if (p < 0)
    return TRUE;

  /* Per boundary pixel: the largest of |s|, |p0 - p1| and |q1 - q0| over
   * the channels (the pixel is filtered where it is under the threshold)
   * and the luma's excess. */
  int b0 = first_boundary (p), nb = 0;
  for (int b = b0; b + 4 < a.n; b += PERIOD)
    nb++;
  if (nb == 0)
    return TRUE;
  size_t cells = (size_t)nb * a.m;
  float *worst = st_floats_new (cells), *s_luma = st_floats_new (cells);
  if (!worst || !s_luma)
    {
      g_free (worst);
      g_free (s_luma);
      return FALSE;
    }
  for (int j = 0; j < nb; j++)
    {
      int b = b0 + j * PERIOD;
      for (int line = 0; line < a.m; line++)
        {
          float big = 0;
          for (int c = 0; c < 3; c++)
            {
              const float *plane = chw + c * n_px;
              float side1
                  = at (plane, &a, b, line) - at (plane, &a, b - 1, line);
              float side2
                  = at (plane, &a, b + 2, line) - at (plane, &a, b + 1, line);
              big = MAX (big, fabsf (excess (plane, &a, b, line)));
              big = MAX (big, MAX (fabsf (side1), fabsf (side2)));
            }
          worst[(size_t)j * a.m + line] = big;
          s_luma[(size_t)j * a.m + line] = excess (luma, &a, b, line);
        }
    }

  /* The lowest threshold after which the block lines change no more than
   * the rest (the painting scales up what is left far more than it does
   * a line a little smoother than the rest), or the highest.  The luma is
   * filtered as the threshold rises: each step adds the ramps of the
   * pixels it newly takes in (the ramps do not overlap, and s_luma holds
   * the excesses before any). */
  float below = 0, threshold = LADDER_FIRST;
  for (int t = 0; t < N_LADDER - 1;
       t++, below = threshold, threshold *= LADDER_STEP)
    {
      for (int j = 0; j < nb; j++)
        for (int line = 0; line < a.m; line++)
          {
            float big = worst[(size_t)j * a.m + line];
            if (big >= below && big < threshold)
              add_ramp (luma, &a, b0 + j * PERIOD, line,
                        s_luma[(size_t)j * a.m + line], FALSE);
          }
      double ft[PERIOD];
      profile (luma, &a, prof);
      folded (prof, a.n - 1, PERIOD, ft);
      if (excess_ratio (ft, p) <= 1)
        break;
    }
  for (int j = 0; j < nb; j++)
    for (int line = 0; line < a.m; line++)
      if (worst[(size_t)j * a.m + line] < threshold)
        for (int c = 0; c < 3; c++)
          {
            float *plane = chw + c * n_px;
            int b = b0 + j * PERIOD;
            add_ramp (plane, &a, b, line, excess (plane, &a, b, line), TRUE);
          }
  *done = TRUE;
  g_free (worst);
  g_free (s_luma);
  return TRUE;
}

StStatus
st_deblock (float *chw, int w, int h, int *axes, GError **error)
{
  size_t n_px = (size_t)w * h;
  float *luma = st_floats_new (n_px);
  double *prof = g_try_new (double, MAX (w, h));
  gboolean ok = luma && prof, done;
  *axes = 0;
  for (int columns = 1; ok && columns >= 0; columns--)
    {
      ok = deblock_axis (chw, w, h, columns, luma, prof, &done);
      *axes += done;
    }
  g_free (luma);
  g_free (prof);
  return ok ? ST_OK : st_memory_error (error);
}
