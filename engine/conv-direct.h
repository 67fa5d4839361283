/* conv-direct.h - a tiled leaf's convolution of one tile, computed
 * directly (conv-direct.c): no im2col columns, no SGEMM. */
#ifndef ST_CONV_DIRECT_H
#define ST_CONV_DIRECT_H

#include "ops.h"

G_BEGIN_DECLS

/* The input channels the kernels take: the embedded network's leaves
 * read 3 (an image or a pyramid level). */
#define ST_CONV_DIRECT_CIN 3

/* One tile: th x tw output pixels of filters k x k over cin channels. */
typedef struct
{
  int cin, k, th, tw;
  int hh, hw; /* the input with its halo: th + k - 1, tw + k - 1 */
  int cout;   /* the filters computed (forward) or read (backward) */
  /* forward: f (cout, th * tw) = ReLU (W * in + bias) */
  const float *in; /* (cin, hh, hw)                                     */
  const float *wp; /* (cin * k * k, ldw): W transposed, one row per tap */
  int ldw;
  const float *bias; /* (cout) or NULL */
  float *f;
  /* backward: gin (cin, hh, hw) = W^T applied to gp, overwritten */
  const float *gp; /* (cout, th, tw + 2 (k - 1)): dL/dF after the ReLU,
                    * each row between k - 1 zeros on either side */
  const float *w;  /* (cout, cin * k * k), the node's own layout */
  float *gin;
} StConvDirect;

/* TRUE when this processor has the kernels (AVX2 or AVX-512) and cin
 * is ST_CONV_DIRECT_CIN; else the caller uses im2col + SGEMM. */
gboolean st_conv_direct_available (int cin);
void st_conv_direct_forward (const StConvDirect *cd);
void st_conv_direct_backward (const StConvDirect *cd);

G_END_DECLS

#endif
