/* conv-kernels.h - the direct convolution kernels of conv-direct.c,
 * written once and compiled once per instruction set: conv-direct.c
 * defines CK(name) (the copy's name), VW (floats per vector), the V*
 * operations on one vector, and the register blocks FWD_NO (filters
 * held at once) and BWD_NV (vectors of a row held at once), then
 * includes this file inside a target pragma.
 *
 * Both kernels keep a block of outputs in registers for the whole sum:
 * every input value loaded is used by FWD_NO filters (forward) or by all
 * of the input's channels (backward), and nothing is copied first. */

/* Forward, NO filters from o0, one row y, pixels from x: TWO vectors
 * (2 VW pixels), one (VW), or when MASKED the n < VW of one (the lanes
 * past n masked off in every load and store).  NO, TWO and MASKED are
 * constants at every call: the compiler makes one loop of each. */
static inline __attribute__ ((always_inline)) void
CK (fwd_block) (const StConvDirect *cd, int y, int x, int o0, const int NO,
                const int two, const int masked, int n)
{
  VF a0[FWD_NO], a1[FWD_NO];
  const float *w = cd->wp + o0;
#pragma GCC unroll 16
  for (int j = 0; j < NO; j++)
    a0[j] = a1[j] = VZERO ();
  for (int c = 0; c < cd->cin; c++)
    for (int ky = 0; ky < cd->k; ky++)
      {
        const float *row = cd->in + ((size_t)c * cd->hh + y + ky) * cd->hw + x;
        for (int kx = 0; kx < cd->k; kx++, w += cd->ldw)
          {
            VF v0 = masked ? VLOADN (row + kx, n) : VLOAD (row + kx);
            if (two)
              {
                VF v1 = VLOAD (row + kx + VW);
#pragma GCC unroll 16
                for (int j = 0; j < NO; j++)
                  {
                    VF b = VSET1 (w[j]);
                    a0[j] = VFMA (v0, b, a0[j]);
                    a1[j] = VFMA (v1, b, a1[j]);
                  }
              }
            else
#pragma GCC unroll 16
              for (int j = 0; j < NO; j++)
                a0[j] = VFMA (v0, VSET1 (w[j]), a0[j]);
          }
      }
#pragma GCC unroll 16
  for (int j = 0; j < NO; j++)
    {
      VF b = VSET1 (cd->bias ? cd->bias[o0 + j] : 0.0f);
      float *d
          = cd->f + (size_t)(o0 + j) * cd->th * cd->tw + (size_t)y * cd->tw + x;
      if (masked)
        VSTOREN (d, VMAX (VADD (a0[j], b), VZERO ()), n);
      else
        VSTORE (d, VMAX (VADD (a0[j], b), VZERO ()));
      if (two)
        VSTORE (d + VW, VMAX (VADD (a1[j], b), VZERO ()));
    }
}

/* All filters of pixels from x of row y, as fwd_block's. */
static inline __attribute__ ((always_inline)) void
CK (fwd_pixels) (const StConvDirect *cd, int y, int x, const int two,
                 const int masked, int n)
{
  int o = 0;
  for (; o + FWD_NO <= cd->cout; o += FWD_NO)
    CK (fwd_block) (cd, y, x, o, FWD_NO, two, masked, n);
  for (; o + FWD_NO / 3 <= cd->cout; o += FWD_NO / 3)
    CK (fwd_block) (cd, y, x, o, FWD_NO / 3, two, masked, n);
  for (; o < cd->cout; o++)
    CK (fwd_block) (cd, y, x, o, 1, two, masked, n);
}

static void
CK (forward) (const StConvDirect *cd)
{
  for (int y = 0; y < cd->th; y++)
    {
      int x = 0;
      for (; x + 2 * VW <= cd->tw; x += 2 * VW)
        CK (fwd_pixels) (cd, y, x, 1, 0, 2 * VW);
      for (; x + VW <= cd->tw; x += VW)
        CK (fwd_pixels) (cd, y, x, 0, 0, VW);
      if (x < cd->tw)
        CK (fwd_pixels) (cd, y, x, 0, 1, cd->tw - x);
    }
}

/* Backward: gp row y (pixels from X) into the accumulators of input row
 * y + ky0 (acc0, when USE0) and of the row below it (acc1, weights row
 * ky0 + 1, when USE1), all ST_CONV_DIRECT_CIN channels. */
static inline __attribute__ ((always_inline)) void
CK (bwd_row) (const StConvDirect *cd, int o, int y, int ky0, int X,
              const int NV, const int masked, int n, const int use0,
              const int use1, VF acc0[ST_CONV_DIRECT_CIN][BWD_NV],
              VF acc1[ST_CONV_DIRECT_CIN][BWD_NV])
{
  int k = cd->k, kk = k * k, pw = cd->tw + 2 * (k - 1);
  /* gp row y, shifted by k - 1 zeros: its pixel X - kx is at
   * X - kx + k - 1 */
  const float *row = cd->gp + ((size_t)o * cd->th + y) * pw + X + k - 1;
  const float *w = cd->w + (size_t)o * ST_CONV_DIRECT_CIN * kk;
  for (int kx = 0; kx < k; kx++)
    {
      VF g[BWD_NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++)
        {
          g[v] = masked ? VLOADN (row - kx + v * VW, n)
                        : VLOAD (row - kx + v * VW);
          /* in a register: else GCC folds the load into each of the
           * FMAs that use it, loads where one does (the loop was then
           * bound by loads, at a third of the forward's speed) */
          __asm__("" : "+v"(g[v]));
        }
#pragma GCC unroll 4
      for (int c = 0; c < ST_CONV_DIRECT_CIN; c++)
        {
          if (use0)
            {
              VF b = VSET1 (w[c * kk + ky0 * k + kx]);
#pragma GCC unroll 8
              for (int v = 0; v < NV; v++)
                acc0[c][v] = VFMA (g[v], b, acc0[c][v]);
            }
          if (use1)
            {
              VF b = VSET1 (w[c * kk + (ky0 + 1) * k + kx]);
#pragma GCC unroll 8
              for (int v = 0; v < NV; v++)
                acc1[c][v] = VFMA (g[v], b, acc1[c][v]);
            }
        }
    }
}

/* Backward, the ST_CONV_DIRECT_CIN input channels of input row Y and,
 * when PAIR, of row Y + 1 (each gp row loaded serves both), pixels from
 * X: NV vectors, or when MASKED the n < VW of one (as in fwd_block). */
static inline __attribute__ ((always_inline)) void
CK (bwd_block) (const StConvDirect *cd, int Y, int X, const int NV,
                const int masked, int n, const int pair)
{
  VF acc0[ST_CONV_DIRECT_CIN][BWD_NV], acc1[ST_CONV_DIRECT_CIN][BWD_NV];
  int k = cd->k;
  /* the gp rows y that reach row Y (Y - y < k) or row Y + 1 */
  int y_lo = MAX (0, Y - (k - 1)), y_hi = MIN (cd->th - 1, Y + pair);
#pragma GCC unroll 4
  for (int c = 0; c < ST_CONV_DIRECT_CIN; c++)
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++)
      acc0[c][v] = acc1[c][v] = VZERO ();
  for (int o = 0; o < cd->cout; o++)
    for (int y = y_lo; y <= y_hi; y++)
      {
        /* row Y takes gp row y through weights row Y - y, row Y + 1
         * through the next one */
        int ky0 = Y - y;
        if (!pair || ky0 == k - 1)
          CK (bwd_row) (cd, o, y, ky0, X, NV, masked, n, 1, 0, acc0, acc1);
        else if (ky0 < 0)
          CK (bwd_row) (cd, o, y, ky0, X, NV, masked, n, 0, 1, acc0, acc1);
        else
          CK (bwd_row) (cd, o, y, ky0, X, NV, masked, n, 1, 1, acc0, acc1);
      }
#pragma GCC unroll 4
  for (int c = 0; c < ST_CONV_DIRECT_CIN; c++)
    {
      float *d = cd->gin + ((size_t)c * cd->hh + Y) * cd->hw + X;
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++)
        {
          if (masked)
            VSTOREN (d + v * VW, acc0[c][v], n);
          else
            VSTORE (d + v * VW, acc0[c][v]);
          if (pair && masked)
            VSTOREN (d + cd->hw + v * VW, acc1[c][v], n);
          else if (pair)
            VSTORE (d + cd->hw + v * VW, acc1[c][v]);
        }
    }
}

/* Rows Y (and Y + 1 when PAIR) of the input's gradient. */
static inline __attribute__ ((always_inline)) void
CK (bwd_rows) (const StConvDirect *cd, int Y, const int pair)
{
  int X = 0;
  for (; X + BWD_NV * VW <= cd->hw; X += BWD_NV * VW)
    CK (bwd_block) (cd, Y, X, BWD_NV, 0, 0, pair);
  for (; X + VW <= cd->hw; X += VW)
    CK (bwd_block) (cd, Y, X, 1, 0, 0, pair);
  if (X < cd->hw)
    CK (bwd_block) (cd, Y, X, 1, 1, cd->hw - X, pair);
}

static void
CK (backward) (const StConvDirect *cd)
{
  int Y = 0;
  for (; BWD_PAIRS && Y + 1 < cd->hh; Y += 2)
    CK (bwd_rows) (cd, Y, 1);
  for (; Y < cd->hh; Y++)
    CK (bwd_rows) (cd, Y, 0);
}
