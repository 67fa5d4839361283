/* cpu.h - which instruction set the engine's kernels use, chosen once at
 * run time from the processor's features (cpuid), never at build time:
 * one binary runs the fast path on the machine it finds and stays correct
 * on any x86-64 (or other) processor. */
#ifndef ST_CPU_H
#define ST_CPU_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ST_CPU_PORTABLE = 0, /* plain C, any processor                           */
  ST_CPU_AVX2 = 1,     /* AVX2 + FMA (Haswell, Zen and later)              */
  ST_CPU_AVX512 = 2    /* AVX-512 F, BW, DQ, VL (Skylake-X, Zen 4 and later) */
} StCpuLevel;

/* The best level this processor and its operating system support, lowered
 * by the environment variable ST_CPU=portable|avx2|avx512 when set (to test
 * the lower paths on a machine that has the higher ones; a level above what
 * the processor has is never used). */
StCpuLevel st_cpu_level (void);
/* What the processor itself supports, ignoring ST_CPU. */
StCpuLevel st_cpu_detected (void);
const char *st_cpu_level_name (StCpuLevel level); /* "portable", "avx2", ... */

G_END_DECLS

#endif
