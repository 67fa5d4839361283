/* tap.c - a loss tap of the embedded network, fused.
 *
 * Each of the embedded network's taps is conv (3 -> 128, k x k) + ReLU,
 * whose Gram matrix is compared with the style's and whose first channels
 * are compared with the content's.  Done layer by layer, the finest level
 * writes a (128, h, w) map, its mask and its gradient (at 512 px: 128 +
 * 32 + 128 MiB per tap) and reads each back several times.  Here the work
 * goes in bands of rows whose columns, features and feature gradient stay
 * in cache (about 1 MiB):
 *
 *   sweep 1, per band: f = ReLU (W col); G += f f^T / n; content sums
 *   then D = G - target, the style loss
 *   sweep 2, per band: f again (recomputing a band costs less than storing
 *     it); g = alpha D f + content gradient; g *= (f > 0);
 *     col = W^T g; col2im into the input gradient
 *
 * Same products as the layer-by-layer path, in a different order: the
 * results agree to rounding (test-kernels checks them). */
#include "blas.h"
#include "ops.h"

#include <string.h>

#define TAP_BAND_FLOATS (256u << 10) /* col + f + g: 1 MiB */

typedef struct
{
  const float *in, *weight;
  int cin, h, w, c, k, kk;
  StPad pad;
  float *col, *f; /* (kk, nb), (c, nb) */
} Tap;

/* t->f (c, nr * w) = ReLU (weight x patches of rows y0 .. y0 + nr - 1) */
static void
band_features (Tap *t, int y0, int nr)
{
  int nb = nr * t->w;
  float *f = t->f;
  st_im2col_band (t->in, t->cin, t->h, t->w, t->k, t->pad, y0, nr, t->col);
  st_sgemm (ST_NO_TRANS, ST_NO_TRANS, t->c, nb, t->kk, 1.0f, t->weight, t->kk,
            t->col, nb, 0.0f, f, nb);
  for (size_t i = 0; i < (size_t)t->c * nb; i++)
    f[i] = f[i] > 0.0f ? f[i] : 0.0f;
}

gboolean
st_tap_loss (const float *in, int cin, int h, int w, const float *weight, int c,
             int k, StPad pad, const float *gram_target, double gram_norm,
             double ws, const float *content_target, int content_c,
             double content_norm, double wc, float *grad_in, double *style,
             double *content)
{
  size_t n = (size_t)h * w;
  int kk = cin * k * k;
  int cc = content_target ? MIN (content_c, c) : 0;
  size_t per_row = (size_t)(kk + 2 * c) * w;
  int rows = (int)CLAMP (TAP_BAND_FLOATS / MAX (per_row, 1), 1, (size_t)h);
  size_t nb_max = (size_t)rows * w;
  double snorm = gram_norm > 1e-30 ? gram_norm : 1e-30;
  double cnorm = content_norm > 1e-30 ? content_norm : 1e-30;
  double sl = 0.0, cl = 0.0;
  float *col = st_floats_new ((size_t)kk * nb_max);
  float *f = st_floats_new ((size_t)c * nb_max);
  float *g = grad_in ? st_floats_new ((size_t)c * nb_max) : NULL;
  float *d = st_floats_new ((size_t)c * c); /* G, then D = G - target */
  Tap t = { in, weight, cin, h, w, c, k, kk, pad, col, f };
  gboolean ok = col && f && d && (g || !grad_in);

  /* sweep 1: Gram and content loss */
  for (int y0 = 0; ok && y0 < h; y0 += rows)
    {
      int nr = MIN (rows, h - y0), nb = nr * w;
      band_features (&t, y0, nr);
      st_ssyrk_upper (c, nb, 1.0f / (float)n, f, nb, y0 == 0 ? 0.0f : 1.0f, d,
                      c);
      for (int o = 0; o < cc; o++)
        {
          const float *fo = f + (size_t)o * nb;
          const float *to = content_target + (size_t)o * n + (size_t)y0 * w;
          for (int i = 0; i < nb; i++)
            {
              float e = fo[i] - to[i];
              cl += (double)e * e;
            }
        }
    }
  if (ok)
    {
      /* the upper triangle holds G: mirror it, then D = G - target and
       * the loss, over the whole matrix as st_style_loss does */
      for (int i = 0; i < c; i++)
        for (int j = 0; j < i; j++)
          d[(size_t)i * c + j] = d[(size_t)j * c + i];
      for (size_t i = 0; i < (size_t)c * c; i++)
        {
          double e = (double)d[i] - gram_target[i];
          sl += e * e;
          d[i] = (float)e;
        }
    }

  /* sweep 2: the gradient wrt the input */
  if (ok && grad_in)
    {
      /* L = |D|^2 / norm, G = f f^T / n: dL/df = 4 D f / (n norm) */
      float alpha = (float)(ws * 4.0 / ((double)n * snorm));
      float beta = (float)(wc * 2.0 / cnorm);
      for (int y0 = 0; y0 < h; y0 += rows)
        {
          int nr = MIN (rows, h - y0), nb = nr * w;
          band_features (&t, y0, nr);
          /* g (c, nb) = alpha D (c, c) x f (c, nb) */
          st_sgemm (ST_NO_TRANS, ST_NO_TRANS, c, nb, c, alpha, d, c, f, nb,
                    0.0f, g, nb);
          for (int o = 0; o < cc; o++)
            {
              const float *fo = f + (size_t)o * nb;
              const float *to = content_target + (size_t)o * n + (size_t)y0 * w;
              float *go = g + (size_t)o * nb;
              for (int i = 0; i < nb; i++)
                go[i] += beta * (fo[i] - to[i]);
            }
          /* through the ReLU: f > 0 exactly where the mask is 1 */
          for (size_t i = 0; i < (size_t)c * nb; i++)
            g[i] = f[i] > 0.0f ? g[i] : 0.0f;
          /* col (kk, nb) = W^T (kk, c) x g (c, nb), then back to pixels */
          st_sgemm (ST_TRANS, ST_NO_TRANS, kk, nb, c, 1.0f, weight, kk, g, nb,
                    0.0f, col, nb);
          st_col2im_band (col, cin, h, w, k, pad, y0, nr, grad_in);
        }
    }
  g_free (col);
  g_free (f);
  g_free (g);
  g_free (d);
  if (style)
    *style = ok ? sl / snorm : 0.0;
  if (content)
    *content = ok ? cl / cnorm : 0.0;
  return ok;
}
