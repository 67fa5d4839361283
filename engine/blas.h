/* blas.h - the few BLAS routines the engine uses, row-major, loaded at run
 * time (see blas.c for why).  Every routine works whatever happens: when no
 * BLAS library can be loaded the engine's own portable loops compute the
 * same products, slowly, and st_blas_name says so. */
#ifndef ST_BLAS_H
#define ST_BLAS_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ST_NO_TRANS = 111, /* the CBLAS values, passed through unchanged */
  ST_TRANS = 112
} StTrans;

/* c (m, n) = alpha op(a) (m, k) x op(b) (k, n) + beta c */
void st_sgemm (StTrans ta, StTrans tb, int m, int n, int k, float alpha,
               const float *a, int lda, const float *b, int ldb, float beta,
               float *c, int ldc);
/* upper triangle of c (n, n) = alpha a (n, k) a^T + beta c */
void st_ssyrk_upper (int n, int k, float alpha, const float *a, int lda,
                     float beta, float *c, int ldc);
/* c (m, n) = alpha s (m, m) x b (m, n) + beta c, s symmetric, read from its
 * upper triangle */
void st_ssymm_left_upper (int m, int n, float alpha, const float *s, int lds,
                          const float *b, int ldb, float beta, float *c,
                          int ldc);
void st_saxpy (int n, float alpha, const float *x, float *y); /* y += a x */
void st_sscal (int n, float alpha, float *x);                 /* x *= a   */
double st_dsdot (int n, const float *x, const float *y);      /* double sum */

/* Threads of the BLAS library (no-op for the portable loops). */
void st_blas_set_threads (int threads);
/* e.g. "OpenBLAS 0.3.21 ... core SkylakeX (chosen by the engine: avx512)";
 * loads the library if it was not yet. */
const char *st_blas_name (void);
/* FALSE when the portable loops stand in for a missing library. */
gboolean st_blas_loaded (void);

G_END_DECLS

#endif
