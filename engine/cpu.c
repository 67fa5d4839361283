/* cpu.c - the instruction set level, detected once. */
#include "cpu.h"

#include <string.h>
#include <pthread.h>

StCpuLevel
st_cpu_detected (void)
{
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  /* __builtin_cpu_supports also checks (XGETBV) that the operating system
   * saves the AVX and AVX-512 registers. */
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
      && __builtin_cpu_supports ("avx512dq")
      && __builtin_cpu_supports ("avx512vl"))
    return ST_CPU_AVX512;
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return ST_CPU_AVX2;
#endif
  return ST_CPU_PORTABLE;
}

static StCpuLevel
level_from_env (StCpuLevel detected)
{
  const char *v = g_getenv ("ST_CPU");
  StCpuLevel cap = detected;
  if (!v || !*v)
    return detected;
  if (g_ascii_strcasecmp (v, "portable") == 0)
    cap = ST_CPU_PORTABLE;
  else if (g_ascii_strcasecmp (v, "avx2") == 0)
    cap = ST_CPU_AVX2;
  else if (g_ascii_strcasecmp (v, "avx512") == 0)
    cap = ST_CPU_AVX512;
  return MIN (cap, detected);
}

/* Written once by find_level under pthread_once, read-only after: the
 * engine's one file-scope variable besides blas.c's loaded library (set
 * the same way); everything that changes lives in a StContext. */
static StCpuLevel cpu_level;

static void
find_level (void)
{
  cpu_level = level_from_env (st_cpu_detected ());
}

/* Once, with pthread_once (see ensure () in blas.c). */
StCpuLevel
st_cpu_level (void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once (&once, find_level);
  return cpu_level;
}

const char *
st_cpu_level_name (StCpuLevel level)
{
  switch (level)
    {
    case ST_CPU_AVX512:
      return "avx512";
    case ST_CPU_AVX2:
      return "avx2";
    default:
      return "portable";
    }
}
