/* Every fast convolution path against a plain reference: six nested loops
 * that follow the definition (correlation, padding by pad_index), in
 * double.  Shapes are chosen to reach each path: im2col in large and
 * cache-sized bands, Winograd F(4x4, 3x3) forward and backward (sizes
 * that are not multiples of 4, so partial tiles), 1x1 products, and the
 * tiled leaves' direct kernels (conv-direct.h) on whole and partial
 * vectors, rows and filter blocks.  The same
 * program runs under ST_CPU=portable|avx2 (meson) to test the lower
 * instruction-set paths on a machine that has the higher ones.  A fixed
 * seed must also give identical bytes twice. */
#include "check.h"

#include "blas.h"
#include "conv-direct.h"
#include "cpu.h"

#include <string.h>

static int
ref_index (int i, int n, StPad pad)
{
  if (i >= 0 && i < n)
    return i;
  if (pad == ST_PAD_ZERO)
    return -1;
  /* symmetric: the image and its mirror image, edge pixels repeated,
   * tile the line with period 2n (written apart from st_pad_index) */
  {
    int m = ((i % (2 * n)) + 2 * n) % (2 * n);
    return m < n ? m : 2 * n - 1 - m;
  }
}

/* out (cout, h, w) = conv (in) + bias, double accumulation */
static void
ref_forward (const float *in, int cin, int h, int w, const float *weight,
             const float *bias, int cout, int k, StPad pad, double *out)
{
  int r = k / 2;
  for (int o = 0; o < cout; o++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        {
          double s = bias ? bias[o] : 0.0;
          for (int c = 0; c < cin; c++)
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                {
                  int sy = ref_index (y + ky - r, h, pad);
                  int sx = ref_index (x + kx - r, w, pad);
                  if (sy >= 0 && sx >= 0)
                    s += (double)
                             weight[((size_t)(o * cin + c) * k + ky) * k + kx]
                         * in[((size_t)c * h + sy) * w + sx];
                }
          out[((size_t)o * h + y) * w + x] = s;
        }
}

/* grad_in (cin, h, w) = the adjoint of ref_forward (without bias) */
static void
ref_backward (const float *g, int cin, int h, int w, const float *weight,
              int cout, int k, StPad pad, double *grad_in)
{
  int r = k / 2;
  memset (grad_in, 0, (size_t)cin * h * w * sizeof (double));
  for (int o = 0; o < cout; o++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        {
          double go = g[((size_t)o * h + y) * w + x];
          for (int c = 0; c < cin; c++)
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                {
                  int sy = ref_index (y + ky - r, h, pad);
                  int sx = ref_index (x + kx - r, w, pad);
                  if (sy >= 0 && sx >= 0)
                    grad_in[((size_t)c * h + sy) * w + sx]
                        += go
                           * weight[((size_t)(o * cin + c) * k + ky) * k + kx];
                }
        }
}

/* max |a - b| / max |b| */
static double
rel_error (const float *a, const double *b, size_t n)
{
  double e = 0.0, m = 1e-30;
  for (size_t i = 0; i < n; i++)
    {
      e = MAX (e, fabs (a[i] - b[i]));
      m = MAX (m, fabs (b[i]));
    }
  return e / m;
}

/* The engine threads of the convolutions check_conv runs. */
static int conv_threads = 1;

static void
check_conv (const char *what, int cin, int cout, int k, int h, int w, StPad pad,
            StRng *rng)
{
  size_t nin = (size_t)cin * h * w, nout = (size_t)cout * h * w;
  float *in = st_floats_new (nin),
        *weight = st_floats_new ((size_t)cout * cin * k * k);
  float *bias = st_floats_new (cout), *out = st_floats_new (nout);
  float *out2 = st_floats_new (nout), *g = st_floats_new (nout);
  float *gin = st_floats_new (nin), *gin2 = st_floats_new (nin);
  double *ref = g_new (double, MAX (nin, nout));
  uint8_t *mask = st_bytes_new (nout), *mask2 = st_bytes_new (nout);
  double e_plain, e_relu, e_back;
  int wrong_mask = 0;

  fill_random (in, nin, rng, -1.0, 1.0);
  fill_random (weight, (size_t)cout * cin * k * k, rng, -0.5, 0.5);
  fill_random (bias, cout, rng, -0.2, 0.2);
  fill_random (g, nout, rng, -1.0, 1.0);

  /* forward without ReLU, with bias */
  ref_forward (in, cin, h, w, weight, bias, cout, k, pad, ref);
  CHECK (st_conv_forward (in, cin, h, w, weight, bias, cout, k, pad, out, NULL,
                          NULL, conv_threads),
         "%s: forward failed", what);
  e_plain = rel_error (out, ref, nout);
  /* forward with ReLU and mask */
  CHECK (st_conv_forward (in, cin, h, w, weight, bias, cout, k, pad, out2, mask,
                          NULL, conv_threads),
         "%s: forward + ReLU failed", what);
  for (size_t i = 0; i < nout; i++)
    {
      /* a pre-activation within rounding of 0 may go either way */
      if (fabs (ref[i]) > 1e-4 && mask[i] != (ref[i] > 0.0))
        wrong_mask++;
      ref[i] = ref[i] > 0.0 ? ref[i] : 0.0;
    }
  e_relu = rel_error (out2, ref, nout);
  /* backward accumulates: start from 1 everywhere */
  for (size_t i = 0; i < nin; i++)
    gin[i] = 1.0f;
  ref_backward (g, cin, h, w, weight, cout, k, pad, ref);
  for (size_t i = 0; i < nin; i++)
    ref[i] += 1.0;
  CHECK (st_conv_backward (g, cin, h, w, weight, cout, k, pad, gin, NULL,
                           conv_threads),
         "%s: backward failed", what);
  e_back = rel_error (gin, ref, nin);

  CHECK (e_plain < 2e-5 && e_relu < 2e-5 && e_back < 2e-5,
         "%s: relative error forward %.2e, +ReLU %.2e, backward %.2e", what,
         e_plain, e_relu, e_back);
  CHECK (wrong_mask == 0, "%s: %d ReLU mask entries wrong", what, wrong_mask);

  /* same inputs, same bytes */
  for (size_t i = 0; i < nin; i++)
    gin2[i] = 1.0f;
  st_conv_forward (in, cin, h, w, weight, bias, cout, k, pad, out, mask2, NULL,
                   conv_threads);
  st_conv_backward (g, cin, h, w, weight, cout, k, pad, gin2, NULL,
                    conv_threads);
  CHECK (memcmp (out, out2, nout * sizeof (float)) == 0
             && memcmp (mask, mask2, nout) == 0
             && memcmp (gin, gin2, nin * sizeof (float)) == 0,
         "%s: a second run gave different bytes", what);
  printf ("  %-40s fwd %.1e  +relu %.1e  bwd %.1e\n", what, e_plain, e_relu,
          e_back);

  g_free (in);
  g_free (weight);
  g_free (bias);
  g_free (out);
  g_free (out2);
  g_free (g);
  g_free (gin);
  g_free (gin2);
  g_free (ref);
  g_free (mask);
  g_free (mask2);
}

/* With the embedded network's padding, every input pixel is read by
 * k x k windows of a k x k kernel, the edge pixels too: the input gradient
 * of an all-ones kernel under an all-ones output gradient is k^2
 * everywhere.  Mirrored without repeating the edge, the corner pixel got
 * (k/2 + 1)^2 and the pixels beside the edge (k + 1) k: results came out
 * with a tinted line along their edges (issue 18). */
static void
check_coverage (int k, int w, int h)
{
  size_t n = (size_t)w * h;
  float *weight = g_new (float, (size_t)k *k);
  float *g = g_new (float, n), *gin = g_new0 (float, n);
  int off = 0;
  for (int i = 0; i < k * k; i++)
    weight[i] = 1.0f;
  for (size_t i = 0; i < n; i++)
    g[i] = 1.0f;
  CHECK (st_conv_backward (g, 1, h, w, weight, 1, k, ST_PAD_SYMMETRIC, gin,
                           NULL, 1),
         "k%d coverage: no scratch", k);
  for (size_t i = 0; i < n; i++)
    off += fabsf (gin[i] - (float)(k * k)) > 1e-3f;
  CHECK (off == 0,
         "k%d on %d x %d: %d pixels read by other than %d windows (corner %g, "
         "beside it %g)",
         k, w, h, off, k * k, gin[0], gin[1]);
  printf ("  k%d on %d x %d: every pixel read by %d windows\n", k, w, h, k * k);
  g_free (weight);
  g_free (g);
  g_free (gin);
}

/* The direct kernels on one tile against the definition: forward
 * f = ReLU (bias + valid correlation of the haloed input), backward the
 * adjoint of the correlation into the haloed input, both in double. */
static void
check_direct (int k, int th, int tw, int cout, StRng *rng)
{
  int cin = ST_CONV_DIRECT_CIN, hh = th + k - 1, hw = tw + k - 1;
  int kk = cin * k * k, n = th * tw, pw = tw + 2 * (k - 1);
  float *in = g_new (float, (size_t)cin *hh *hw);
  float *w = g_new (float, (size_t)cout *kk),
        *wp = g_new (float, (size_t)kk *cout);
  float *bias = g_new (float, cout), *f = g_new (float, (size_t)cout *n);
  float *gp = g_new0 (float, (size_t)cout *th *pw);
  float *g = g_new (float, (size_t)cout *n);
  float *gin = g_new (float, (size_t)cin *hh *hw);
  double worst_f = 0.0, worst_g = 0.0, scale_f = 0.0, scale_g = 0.0;
  StConvDirect cd;
  for (size_t i = 0; i < (size_t)cin * hh * hw; i++)
    in[i] = (float)st_rng_uniform (rng);
  for (int i = 0; i < cout * kk; i++)
    w[i] = (float)st_rng_normal (rng);
  for (int o = 0; o < cout; o++)
    bias[o] = (float)(0.5 * st_rng_normal (rng));
  for (int o = 0; o < cout; o++)
    for (int i = 0; i < kk; i++)
      wp[(size_t)i * cout + o] = w[(size_t)o * kk + i];
  for (int o = 0; o < cout; o++)
    for (int y = 0; y < th; y++)
      for (int x = 0; x < tw; x++)
        gp[((size_t)o * th + y) * pw + k - 1 + x]
            = g[(size_t)o * n + y * tw + x] = (float)st_rng_normal (rng);
  memset (&cd, 0, sizeof cd);
  cd.cin = cin;
  cd.k = k;
  cd.th = th;
  cd.tw = tw;
  cd.hh = hh;
  cd.hw = hw;
  cd.cout = cout;
  cd.in = in;
  cd.wp = wp;
  cd.ldw = cout;
  cd.bias = bias;
  cd.f = f;
  cd.gp = gp;
  cd.w = w;
  cd.gin = gin;
  st_conv_direct_forward (&cd);
  st_conv_direct_backward (&cd);
  for (int o = 0; o < cout; o++)
    for (int y = 0; y < th; y++)
      for (int x = 0; x < tw; x++)
        {
          double s = bias[o];
          for (int c = 0; c < cin; c++)
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                s += (double)w[(size_t)o * kk + (c * k + ky) * k + kx]
                     * in[((size_t)c * hh + y + ky) * hw + x + kx];
          s = MAX (s, 0.0);
          scale_f = MAX (scale_f, fabs (s));
          worst_f = MAX (worst_f, fabs (s - f[(size_t)o * n + y * tw + x]));
        }
  for (int c = 0; c < cin; c++)
    for (int y = 0; y < hh; y++)
      for (int x = 0; x < hw; x++)
        {
          double s = 0.0;
          for (int o = 0; o < cout; o++)
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                if (y - ky >= 0 && y - ky < th && x - kx >= 0 && x - kx < tw)
                  s += (double)w[(size_t)o * kk + (c * k + ky) * k + kx]
                       * g[(size_t)o * n + (y - ky) * tw + x - kx];
          scale_g = MAX (scale_g, fabs (s));
          worst_g
              = MAX (worst_g, fabs (s - gin[((size_t)c * hh + y) * hw + x]));
        }
  CHECK (worst_f <= 1e-5 * scale_f && worst_g <= 1e-5 * scale_g,
         "direct k%d %d x %d -> %d: forward off by %g of %g, backward %g of %g",
         k, th, tw, cout, worst_f, scale_f, worst_g, scale_g);
  printf ("  direct k%d, tile %d x %d, %d filters: forward %.1e, backward "
          "%.1e of the largest value\n",
          k, th, tw, cout, worst_f / scale_f, worst_g / scale_g);
  g_free (in);
  g_free (w);
  g_free (wp);
  g_free (bias);
  g_free (f);
  g_free (gp);
  g_free (g);
  g_free (gin);
}

int
main (void)
{
  StRng rng;
  st_rng_init (&rng, 11);
  st_blas_set_threads (1);
  printf ("kernels: %s (processor: %s)\n", st_cpu_level_name (st_cpu_level ()),
          st_cpu_level_name (st_cpu_detected ()));
  /* small K (cin * k * k <= 256): cache-sized bands */
  for (int k = 3; k <= 7; k += 2)
    check_coverage (k, 23, 17);
  check_conv ("3->128 k3 symmetric 37x29", 3, 128, 3, 37, 29, ST_PAD_SYMMETRIC,
              &rng);
  check_conv ("3->128 k5 symmetric 33x40", 3, 128, 5, 33, 40, ST_PAD_SYMMETRIC,
              &rng);
  check_conv ("3->128 k7 symmetric 31x26", 3, 128, 7, 31, 26, ST_PAD_SYMMETRIC,
              &rng);
  check_conv ("3->40 k7 symmetric 5x3 (pad > side)", 3, 40, 7, 5, 3,
              ST_PAD_SYMMETRIC, &rng);
  check_conv ("3->64 k3 zero 21x18 (VGG conv1_1)", 3, 64, 3, 21, 18,
              ST_PAD_ZERO, &rng);
  /* the tiled leaves' direct kernels: whole tiles, widths that end in a
   * partial vector, single rows, filter counts that end in partial
   * blocks, halo heights odd and even (rows go in pairs) */
  if (st_conv_direct_available (ST_CONV_DIRECT_CIN))
    {
      check_direct (3, 32, 128, 128, &rng);
      check_direct (7, 32, 128, 32, &rng);
      check_direct (5, 7, 45, 29, &rng);
      check_direct (7, 1, 5, 40, &rng);
      check_direct (3, 2, 17, 1, &rng);
      check_direct (5, 12, 70, 13, &rng);
    }
  else
    printf ("  no direct kernels at this level: the leaves use im2col\n");
  /* Winograd F(4x4, 3x3): partial tiles, 1-pixel sides */
  check_conv ("16->24 k3 zero 13x10 (Winograd)", 16, 24, 3, 13, 10, ST_PAD_ZERO,
              &rng);
  check_conv ("64->32 k3 zero 17x23 (Winograd)", 64, 32, 3, 17, 23, ST_PAD_ZERO,
              &rng);
  check_conv ("32->64 k3 zero 4x4 (Winograd)", 32, 64, 3, 4, 4, ST_PAD_ZERO,
              &rng);
  check_conv ("20->16 k3 zero 1x7 (Winograd)", 20, 16, 3, 1, 7, ST_PAD_ZERO,
              &rng);
  check_conv ("64->64 k3 zero 50x40 (Winograd, 2 bands)", 64, 64, 3, 50, 40,
              ST_PAD_ZERO, &rng);
  /* 512 x 512 filters: U does not fit the budget, one row at a time */
  check_conv ("512->512 k3 zero 6x5 (Winograd by rows)", 512, 512, 3, 6, 5,
              ST_PAD_ZERO, &rng);
  /* im2col in large bands; 1x1 */
  check_conv ("16->8 k3 symmetric 11x9", 16, 8, 3, 11, 9, ST_PAD_SYMMETRIC,
              &rng);
  check_conv ("12->20 k3 zero 9x9 (im2col)", 12, 20, 3, 9, 9, ST_PAD_ZERO,
              &rng);
  check_conv ("24->16 k1 zero 7x5", 24, 16, 1, 7, 5, ST_PAD_ZERO, &rng);
  /* the engine's own threads split the Winograd transforms by channel:
   * same bytes run after run at 2 threads, and the same values as 1 */
  conv_threads = 2;
  st_blas_set_threads (2);
  check_conv ("64->48 k3 zero 23x21, 2 threads", 64, 48, 3, 23, 21, ST_PAD_ZERO,
              &rng);
  return check_report ("test-kernels");
}
