/* blas.c - the BLAS library, loaded on first use with the right kernels.
 *
 * Why not link libopenblas: a DYNAMIC_ARCH OpenBLAS picks its kernels in a
 * library constructor, when the library is loaded, and an OpenBLAS older
 * than the processor does not know it and falls back to its oldest kernels
 * (Debian 12's 0.3.21 runs Prescott's SSE3 kernels on a Xeon of family 6
 * model 207: 50 instead of 235 GFLOP/s).  OpenBLAS reads OPENBLAS_CORETYPE
 * in that constructor; a program linked against it cannot set the variable
 * in time.  So the engine loads it itself, with dlopen, the first time a
 * product is needed, after setting OPENBLAS_CORETYPE from the processor's
 * features (cpu.c) unless the user set it.  Then it restores the
 * environment, so that nothing else in the process (GIMP) sees a change.
 *
 * The same way, unless the user set it, OPENBLAS_THREAD_TIMEOUT is 4 while
 * the library loads: its worker threads sleep as soon as a product ends,
 * instead of spinning on sched_yield for about 2^28 cycles, on the cores
 * the engine's own threads (the Winograd transforms, the tiled leaves)
 * need next.  VGG19 at 512 px, 2 threads, one busy loop beside it: a pass
 * took 4.29-4.34 s with OpenBLAS's default, 2.38-2.94 s with this one (on
 * the quiet machine the two were within the noise).
 *
 * Choice of library: ST_BLAS=builtin uses the portable loops below,
 * ST_BLAS=NAME dlopens NAME, otherwise libopenblas.so.0 then libblas.so.3
 * (any Debian BLAS alternative exporting cblas_*).  When none loads, the
 * portable loops compute the same results slowly: never an abort, and the
 * benchmark's machine line says which one ran. */
#include "blas.h"

#include "cpu.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

enum
{
  CBLAS_ROW_MAJOR = 101,
  CBLAS_UPPER = 121,
  CBLAS_LEFT = 141
};

/* The CBLAS ABI of LP64 libraries: enums and blasint are int. */
typedef void (*SgemmFn) (int, int, int, int, int, int, float, const float *,
                         int, const float *, int, float, float *, int);
typedef void (*SsyrkFn) (int, int, int, int, int, float, const float *, int,
                         float, float *, int);
typedef void (*SsymmFn) (int, int, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);

static struct
{
  void *handle;
  SgemmFn sgemm;
  SsyrkFn ssyrk;
  SsymmFn ssymm;
  void (*set_threads) (int);
  char *name;
} blas;

/* OpenBLAS's name for the best kernels of a level (same names since
 * OpenBLAS 0.3.x; a build that lacks one ignores the variable). */
static const char *
core_for_level (StCpuLevel level)
{
  switch (level)
    {
    case ST_CPU_AVX512:
      return "SkylakeX";
    case ST_CPU_AVX2:
      return "Haswell"; /* also Zen's choice: the same SGEMM kernels */
    default:
      return NULL; /* leave OpenBLAS's own detection alone */
    }
}

/* *fn = the address of symbol name, or NULL.  Through memcpy because ISO C
 * has no conversion from dlsym's object pointer to a function pointer. */
static void
load_symbol (void *handle, const char *name, void *fn)
{
  void *p = dlsym (handle, name);
  memcpy (fn, &p, sizeof p);
}

static gboolean
try_load (const char *soname)
{
  void *h = dlopen (soname, RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return FALSE;
  load_symbol (h, "cblas_sgemm", &blas.sgemm);
  load_symbol (h, "cblas_ssyrk", &blas.ssyrk);
  load_symbol (h, "cblas_ssymm", &blas.ssymm);
  if (!blas.sgemm || !blas.ssyrk || !blas.ssymm)
    {
      /* a Fortran-only libblas: no CBLAS interface */
      memset (&blas, 0, sizeof blas);
      dlclose (h);
      return FALSE;
    }
  blas.handle = h;
  load_symbol (h, "openblas_set_num_threads", &blas.set_threads);
  return TRUE;
}

/* 2^4 cycles: OpenBLAS's smallest (see the top of this file) */
#define ST_OPENBLAS_THREAD_TIMEOUT "4"

static void
load (void)
{
  const char *want = g_getenv ("ST_BLAS");
  const char *user_core = g_getenv ("OPENBLAS_CORETYPE");
  const char *core = NULL;
  StCpuLevel level = st_cpu_level ();
  gboolean ok = FALSE;

  if (want && g_ascii_strcasecmp (want, "builtin") == 0)
    {
      blas.name = g_strdup ("engine's portable loops (ST_BLAS=builtin)");
      return;
    }
  const char *user_timeout = g_getenv ("OPENBLAS_THREAD_TIMEOUT");
  gboolean timeout
      = (!user_timeout || !*user_timeout) && !g_getenv ("GOTO_THREAD_TIMEOUT");
  if (!user_core || !*user_core)
    {
      core = core_for_level (level);
      if (core)
        g_setenv ("OPENBLAS_CORETYPE", core, TRUE);
    }
  if (timeout)
    g_setenv ("OPENBLAS_THREAD_TIMEOUT", ST_OPENBLAS_THREAD_TIMEOUT, TRUE);
  if (want && *want)
    ok = try_load (want);
  else
    ok = try_load ("libopenblas.so.0") || try_load ("libblas.so.3");
  if (core)
    g_unsetenv ("OPENBLAS_CORETYPE");
  if (timeout)
    g_unsetenv ("OPENBLAS_THREAD_TIMEOUT");

  if (!ok)
    {
      blas.name = g_strdup_printf (
          "engine's portable loops (no CBLAS library could be loaded: %s)",
          want && *want ? want : "libopenblas.so.0, libblas.so.3");
      g_warning ("style transfer: %s; install libopenblas0 for speed",
                 blas.name);
      return;
    }
  {
    char *(*config) (void) = NULL;
    char *(*corename) (void) = NULL;
    load_symbol (blas.handle, "openblas_get_config", &config);
    load_symbol (blas.handle, "openblas_get_corename", &corename);
    const char *ran = corename ? corename () : NULL;
    if (!config)
      blas.name = g_strdup_printf ("%s (CBLAS)",
                                   want && *want ? want : "libblas.so.3");
    else if (user_core && *user_core)
      blas.name
          = g_strdup_printf ("%s; core %s from the user's OPENBLAS_CORETYPE=%s",
                             config (), ran ? ran : "?", user_core);
    else if (core)
      blas.name = g_strdup_printf ("%s; core %s, chosen by the engine for %s",
                                   config (), ran ? ran : "?",
                                   st_cpu_level_name (level));
    else
      blas.name = g_strdup_printf ("%s; core %s, OpenBLAS's own choice",
                                   config (), ran ? ran : "?");
  }
}

/* Loaded once, whichever thread comes first: pthread_once, which
 * ThreadSanitizer sees (GLib's g_once synchronises inside GLib, where it
 * does not look, and the concurrency test would report a race). */
static void
ensure (void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once (&once, load);
}

const char *
st_blas_name (void)
{
  ensure ();
  return blas.name;
}

gboolean
st_blas_loaded (void)
{
  ensure ();
  return blas.handle != NULL;
}

void
st_blas_set_threads (int threads)
{
  ensure ();
  if (blas.set_threads)
    blas.set_threads (threads);
}

/* ------------------------------------------------- portable loops */

/* Row-major, no blocking: correct everywhere, for when no library is
 * there (and as a reference for tests).  Sums in float, in index order. */

static void
scale_c (int m, int n, float beta, float *c, int ldc)
{
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      c[(size_t)i * ldc + j]
          = beta == 0.0f ? 0.0f : beta * c[(size_t)i * ldc + j];
}

static void
portable_sgemm (StTrans ta, StTrans tb, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc)
{
  scale_c (m, n, beta, c, ldc);
  for (int i = 0; i < m; i++)
    {
      float *ci = c + (size_t)i * ldc;
      for (int p = 0; p < k; p++)
        {
          float aip = alpha
                      * (ta == ST_TRANS ? a[(size_t)p * lda + i]
                                        : a[(size_t)i * lda + p]);
          if (tb == ST_TRANS)
            for (int j = 0; j < n; j++)
              ci[j] += aip * b[(size_t)j * ldb + p];
          else
            for (int j = 0; j < n; j++)
              ci[j] += aip * b[(size_t)p * ldb + j];
        }
    }
}

void
st_sgemm (StTrans ta, StTrans tb, int m, int n, int k, float alpha,
          const float *a, int lda, const float *b, int ldb, float beta,
          float *c, int ldc)
{
  ensure ();
  if (blas.sgemm)
    blas.sgemm (CBLAS_ROW_MAJOR, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta,
                c, ldc);
  else
    portable_sgemm (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void
st_ssyrk_upper (int n, int k, float alpha, const float *a, int lda, float beta,
                float *c, int ldc)
{
  ensure ();
  if (blas.ssyrk)
    {
      blas.ssyrk (CBLAS_ROW_MAJOR, CBLAS_UPPER, ST_NO_TRANS, n, k, alpha, a,
                  lda, beta, c, ldc);
      return;
    }
  for (int i = 0; i < n; i++)
    for (int j = i; j < n; j++)
      {
        float s = 0.0f;
        for (int p = 0; p < k; p++)
          s += a[(size_t)i * lda + p] * a[(size_t)j * lda + p];
        float *cij = c + (size_t)i * ldc + j;
        *cij = alpha * s + (beta == 0.0f ? 0.0f : beta * *cij);
      }
}

void
st_ssymm_left_upper (int m, int n, float alpha, const float *s, int lds,
                     const float *b, int ldb, float beta, float *c, int ldc)
{
  ensure ();
  if (blas.ssymm)
    {
      blas.ssymm (CBLAS_ROW_MAJOR, CBLAS_LEFT, CBLAS_UPPER, m, n, alpha, s, lds,
                  b, ldb, beta, c, ldc);
      return;
    }
  scale_c (m, n, beta, c, ldc);
  for (int i = 0; i < m; i++)
    for (int p = 0; p < m; p++)
      {
        float sip
            = alpha
              * (p >= i ? s[(size_t)i * lds + p] : s[(size_t)p * lds + i]);
        for (int j = 0; j < n; j++)
          c[(size_t)i * ldc + j] += sip * b[(size_t)p * ldb + j];
      }
}

/* The vector operations (L-BFGS's two loops, the Gram targets) are
 * plain loops, not the library's: OpenBLAS threads them above 10,000
 * elements, and each threaded call wakes its worker threads, which then
 * spin (sched_yield) for a while on the cores the engine's own tiled
 * passes need next.  At 192 px that spinning took 30 % of the run's time;
 * the loops are bound by memory either way. */
void
st_saxpy (int n, float alpha, const float *x, float *y)
{
  for (int i = 0; i < n; i++)
    y[i] += alpha * x[i];
}

void
st_sscal (int n, float alpha, float *x)
{
  for (int i = 0; i < n; i++)
    x[i] *= alpha;
}

/* In double, as cblas_dsdot; eight partial sums let the compiler use
 * vector registers (a single sum must be added in order). */
double
st_dsdot (int n, const float *x, const float *y)
{
  double part[8] = { 0 }, s = 0.0;
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++)
      part[j] += (double)x[i + j] * y[i + j];
  for (; i < n; i++)
    s += (double)x[i] * y[i];
  for (int j = 0; j < 8; j++)
    s += part[j];
  return s;
}
