/* losses.c - the Gram matrix and the content, style, total-variation and
 * range losses, each with its gradient.
 *
 * Style and content terms are relative errors (divided by the target's
 * squared norm): every layer then counts the same whatever the scale of
 * its activations, so one set of weights serves networks as different as
 * the embedded one and VGG19, and every image size. */
#include "ops.h"

#include "blas.h"
#include <math.h>

double
st_sum_squares (const float *x, size_t n)
{
  /* float products, double sum: as exact as needed, at BLAS speed */
  double s = 0.0;
  for (size_t i = 0; i < n; i += 1u << 30)
    s += st_dsdot ((int)MIN (n - i, 1u << 30), x + i, x + i);
  return s;
}

void
st_mirror_upper (float *m, int c)
{
  for (int i = 0; i < c; i++)
    for (int j = 0; j < i; j++)
      m[(size_t)i * c + j] = m[(size_t)j * c + i];
}

void
st_gram (const float *f, int c, int n, float *gram)
{
  /* gram (c, c) = f f^T / n: SYRK computes one triangle at half the cost of
   * a GEMM; the other is mirrored. */
  st_ssyrk_upper (c, n, 1.0f / n, f, n, 0.0f, gram, c);
  st_mirror_upper (gram, c);
}

double
st_style_loss (const float *f, int c, int n, const float *target,
               double target_norm, double scale, float *grad_f, float *scratch)
{
  double loss = 0.0;
  size_t cc = (size_t)c * c;
  double norm = target_norm > 1e-30 ? target_norm : 1e-30;

  st_gram (f, c, n, scratch);
  for (size_t i = 0; i < cc; i++)
    {
      double d = (double)scratch[i] - target[i];
      loss += d * d;
      scratch[i] = (float)d; /* scratch becomes D = G - target */
    }
  loss /= norm;
  if (grad_f)
    {
      /* L = |D|^2 / norm, G = f f^T / n, D symmetric:
       * dL/df = (2 / norm) (D + D^T) f / n = 4 D f / (n norm) */
      float alpha = (float)(scale * 4.0 / ((double)n * norm));
      st_ssymm_left_upper (c, n, alpha, scratch, c, f, n, 1.0f, grad_f, n);
    }
  return loss;
}

double
st_content_loss (const float *f, size_t n, const float *target,
                 double target_norm, double scale, float *grad_f)
{
  enum
  {
    BLOCK = 2048
  };
  float d[BLOCK]; /* f - target, one block at a time */
  double loss = 0.0;
  double norm = target_norm > 1e-30 ? target_norm : 1e-30;
  float a = (float)(scale * 2.0 / norm);
  for (size_t i = 0; i < n; i += BLOCK)
    {
      int m = (int)MIN ((size_t)BLOCK, n - i);
      for (int j = 0; j < m; j++)
        d[j] = f[i + j] - target[i + j];
      loss += st_dsdot (m, d, d);
      if (grad_f)
        st_saxpy (m, a, d, grad_f + i);
    }
  return loss / norm;
}

double
st_tv_loss (const float *x, int c, int h, int w, double scale, float *grad)
{
  double loss = 0.0;
  double inv_n = 1.0 / ((double)c * h * w);
  float a = (float)(2.0 * scale * inv_n);
  for (int p = 0; p < c; p++)
    {
      const float *xp = x + (size_t)p * h * w;
      float *gp = grad ? grad + (size_t)p * h * w : NULL;
      for (int y = 0; y < h; y++)
        for (int i = 0; i < w; i++)
          {
            size_t o = (size_t)y * w + i;
            if (i + 1 < w)
              {
                float d = xp[o + 1] - xp[o];
                loss += (double)d * d;
                if (gp)
                  {
                    gp[o + 1] += a * d;
                    gp[o] -= a * d;
                  }
              }
            if (y + 1 < h)
              {
                float d = xp[o + w] - xp[o];
                loss += (double)d * d;
                if (gp)
                  {
                    gp[o + w] += a * d;
                    gp[o] -= a * d;
                  }
              }
          }
    }
  return loss * inv_n;
}

double
st_range_loss (const float *x, size_t n, double scale, float *grad)
{
  double loss = 0.0;
  float a = (float)(2.0 * scale / (double)n);
  for (size_t i = 0; i < n; i++)
    {
      float d = x[i] > 1.0f ? x[i] - 1.0f : x[i] < 0.0f ? x[i] : 0.0f;
      if (d != 0.0f)
        {
          loss += (double)d * d;
          if (grad)
            grad[i] += a * d;
        }
    }
  return loss / (double)n;
}
