/* colour.c - colour handling: recolouring a style to the content's
 * colours before the run, and keeping the content's colours after it. */
#include "driver.h"

#include <math.h>
#include <string.h>

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
void
st_match_colours (float *style, size_t sn, const float *content, size_t cn)
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
void
st_keep_original_colours (float *x, const float *content, size_t n)
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
