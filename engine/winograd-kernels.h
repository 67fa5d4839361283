/* winograd-kernels.h - the transforms of winograd.c, written once and
 * compiled once per instruction set (winograd.c includes this file with
 * WK(name) naming the copy and a target pragma around it).
 *
 * They work on rows of up to CHUNK tiles at a time, in arrays indexed by
 * tile (t), so that every sum runs across CHUNK tiles in vector registers:
 * d[i][j][t] (the 6 x 6 inputs of tile t), then B^T d B, stored to
 * v[xi][ch][t] contiguously.  No intrinsics: the compiler vectorizes the
 * t loops for the target it is given. */

/* One 6-point B^T line on arrays: o_k[t] = sum_i B^T[k][i] d_i[t] */
static inline void
WK (input_line) (const float *const d[ALPHA], float *const o[ALPHA], int n)
{
  const float *restrict d0 = d[0], *restrict d1 = d[1], *restrict d2 = d[2],
                        *restrict d3 = d[3], *restrict d4 = d[4],
                        *restrict d5 = d[5];
  float *restrict o0 = o[0], *restrict o1 = o[1], *restrict o2 = o[2],
                  *restrict o3 = o[3], *restrict o4 = o[4], *restrict o5 = o[5];
  for (int t = 0; t < n; t++)
    {
      float a = d1[t] - d3[t], b = d1[t] - d2[t];
      o0[t] = 4.0f * d0[t] - 5.0f * d2[t] + d4[t];
      o1[t] = -4.0f * (d1[t] + d2[t]) + d3[t] + d4[t];
      o2[t] = 4.0f * b - d3[t] + d4[t];
      o3[t] = -2.0f * a - d2[t] + d4[t];
      o4[t] = 2.0f * a - d2[t] + d4[t];
      o5[t] = 4.0f * d1[t] - 5.0f * d3[t] + d5[t];
    }
}

/* One 6 -> 4 A^T line on arrays */
static inline void
WK (output_line) (const float *const m[ALPHA], float *const o[4], int n)
{
  const float *restrict m0 = m[0], *restrict m1 = m[1], *restrict m2 = m[2],
                        *restrict m3 = m[3], *restrict m4 = m[4],
                        *restrict m5 = m[5];
  float *restrict o0 = o[0], *restrict o1 = o[1], *restrict o2 = o[2],
                  *restrict o3 = o[3];
  for (int t = 0; t < n; t++)
    {
      float p = m1[t] + m2[t], q = m1[t] - m2[t];
      float r = m3[t] + m4[t], u = m3[t] - m4[t];
      o0[t] = m0[t] + p + r;
      o1[t] = q + 2.0f * u;
      o2[t] = p + 4.0f * r;
      o3[t] = q + 8.0f * u + m5[t];
    }
}

/* v (36, ., nt) <- B^T d B of tiles t0 .. t0 + nt - 1 (see winograd.c) of
 * c channels of in (c, h, w); stride: floats from one xi to the next in v */
static void
WK (transform_inputs) (const float *in, int c, int h, int w, int tw, size_t t0,
                       size_t nt, float *v, size_t stride)
{
  float d[NXI][CHUNK], tmp[NXI][CHUNK];

  for (int ch = 0; ch < c; ch++)
    {
      const float *plane = in + (size_t)ch * h * w;
      for (size_t t = t0; t < t0 + nt;)
        {
          /* a run of tiles on one tile row: tiles tx .. tx + n - 1 */
          int ty = (int)(t / tw), tx = (int)(t % tw);
          int n = (int)MIN ((size_t)MIN (CHUNK, tw - tx), t0 + nt - t);
          int y0 = 4 * ty - 1;
          for (int i = 0; i < ALPHA; i++)
            {
              /* input row y, columns 4 tx - 1 .. 4 (tx + n) + 1, zeros
               * outside the image, then each tile's 6 from it */
              int y = y0 + i, x0 = 4 * tx - 1, len = 4 * n + 2;
              float line[4 * CHUNK + 2];
              if (y < 0 || y >= h)
                memset (line, 0, (size_t)len * sizeof (float));
              else
                {
                  const float *row = plane + (size_t)y * w;
                  int lo = MAX (0, -x0), hi = MIN (len, w - x0);
                  for (int x = 0; x < lo; x++)
                    line[x] = 0.0f;
                  for (int x = lo; x < hi; x++)
                    line[x] = row[x0 + x];
                  for (int x = MAX (hi, lo); x < len; x++)
                    line[x] = 0.0f;
                }
              for (int j = 0; j < ALPHA; j++)
                for (int k = 0; k < n; k++)
                  d[i * ALPHA + j][k] = line[4 * k + j];
            }
          /* columns: tmp[a][j] = sum_i B^T[a][i] d[i][j] */
          for (int j = 0; j < ALPHA; j++)
            {
              const float *src[ALPHA];
              float *dst[ALPHA];
              for (int i = 0; i < ALPHA; i++)
                src[i] = d[i * ALPHA + j], dst[i] = tmp[i * ALPHA + j];
              WK (input_line) (src, dst, n);
            }
          /* rows: v[a][b] = sum_j tmp[a][j] B[j][b], straight into v */
          for (int a = 0; a < ALPHA; a++)
            {
              const float *src[ALPHA];
              float *dst[ALPHA];
              for (int j = 0; j < ALPHA; j++)
                {
                  src[j] = tmp[a * ALPHA + j];
                  dst[j] = v + (size_t)(a * ALPHA + j) * stride
                           + (size_t)ch * nt + (t - t0);
                }
              WK (input_line) (src, dst, n);
            }
          t += n;
        }
    }
}

/* out (c, h, w) <- A^T m A of the band's tiles (m: (36, ., nt), stride
 * floats from one xi to the next); then + bias and ReLU (mask recorded),
 * or out += it when accumulate. */
static void
WK (transform_outputs) (const float *m, int c, int h, int w, int tw, size_t t0,
                        size_t nt, const float *bias, uint8_t *relu_mask,
                        gboolean accumulate, float *out, size_t stride)
{
  float tmp[4 * ALPHA][CHUNK], y[16][CHUNK];

  for (int ch = 0; ch < c; ch++)
    {
      float bo = bias ? bias[ch] : 0.0f;
      float *plane = out + (size_t)ch * h * w;
      uint8_t *mplane = relu_mask ? relu_mask + (size_t)ch * h * w : NULL;
      for (size_t t = t0; t < t0 + nt;)
        {
          int ty = (int)(t / tw), tx = (int)(t % tw);
          int n = (int)MIN ((size_t)MIN (CHUNK, tw - tx), t0 + nt - t);
          /* columns: tmp[i][j] (i < 4) = sum_a A^T[i][a] m[a][j], read
           * straight from m */
          for (int j = 0; j < ALPHA; j++)
            {
              const float *src[ALPHA];
              float *dst[4];
              for (int i = 0; i < ALPHA; i++)
                src[i] = m + (size_t)(i * ALPHA + j) * stride + (size_t)ch * nt
                         + (t - t0);
              for (int i = 0; i < 4; i++)
                dst[i] = tmp[i * ALPHA + j];
              WK (output_line) (src, dst, n);
            }
          /* rows: y[i][k] = sum_j tmp[i][j] A[j][k] */
          for (int i = 0; i < 4; i++)
            {
              const float *src[ALPHA];
              float *dst[4];
              for (int j = 0; j < ALPHA; j++)
                src[j] = tmp[i * ALPHA + j];
              for (int k = 0; k < 4; k++)
                dst[k] = y[i * 4 + k];
              WK (output_line) (src, dst, n);
            }
          for (int i = 0; i < 4 && 4 * ty + i < h; i++)
            {
              size_t row = (size_t)(4 * ty + i) * w;
              for (int k = 0; k < 4; k++)
                {
                  const float *yk = y[i * 4 + k];
                  /* tiles whose column 4 (tx + t) + k is inside */
                  int nk = MIN (n, (w - k - 4 * tx + 3) / 4);
                  float *p = plane + row + 4 * tx + k;
                  uint8_t *mp = mplane ? mplane + row + 4 * tx + k : NULL;
                  if (accumulate)
                    for (int q = 0; q < nk; q++)
                      p[4 * q] += yk[q];
                  else if (mp)
                    for (int q = 0; q < nk; q++)
                      {
                        float val = yk[q] + bo;
                        mp[4 * q] = val > 0.0f;
                        p[4 * q] = val > 0.0f ? val : 0.0f;
                      }
                  else
                    for (int q = 0; q < nk; q++)
                      p[4 * q] = yk[q] + bo;
                }
            }
          t += n;
        }
    }
}

/* u (6 * (a1 - a0), .) <- rows a0 .. a1 - 1 of G g G^T for each 3 x 3
 * filter g of weight (planes, 3, 3), turned by 180 degrees when flip:
 * element (a, b) of filter f at u[((a - a0) * 6 + b) * stride + f].  CHUNK
 * filters at once, each read once whatever the rows. */
static void
WK (transform_filters) (const float *weight, size_t planes, int a0, int a1,
                        gboolean flip, float *u, size_t stride)
{
  float g[9][CHUNK], r[3][CHUNK];
  for (size_t f0 = 0; f0 < planes; f0 += CHUNK)
    {
      int n = (int)MIN ((size_t)CHUNK, planes - f0);
      for (int e = 0; e < 9; e++)
        {
          const float *src = weight + f0 * 9 + (flip ? 8 - e : e);
          for (int k = 0; k < n; k++)
            g[e][k] = src[(size_t)k * 9];
        }
      for (int a = a0; a < a1; a++)
        {
          /* r[j] = (G g)[a][j] */
          for (int j = 0; j < 3; j++)
            for (int k = 0; k < n; k++)
              r[j][k] = G[a][0] * g[j][k] + G[a][1] * g[3 + j][k]
                        + G[a][2] * g[6 + j][k];
          for (int b = 0; b < ALPHA; b++)
            {
              float *dst = u + (size_t)((a - a0) * ALPHA + b) * stride + f0;
              for (int k = 0; k < n; k++)
                dst[k]
                    = G[b][0] * r[0][k] + G[b][1] * r[1][k] + G[b][2] * r[2][k];
            }
        }
    }
}
