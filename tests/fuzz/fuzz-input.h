/* fuzz-input.h - reading typed values from a fuzzer's bytes, the way
 * LLVM's FuzzedDataProvider does: every read succeeds (zeros once the
 * bytes run out), so every input is a valid, deterministic request. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct
{
  const uint8_t *data;
  size_t size;
} FuzzInput;

static inline uint64_t
fuzz_bits (FuzzInput *in, int bytes)
{
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    {
      v <<= 8;
      if (in->size > 0)
        {
          v |= *in->data++;
          in->size--;
        }
    }
  return v;
}

static inline int
fuzz_bool (FuzzInput *in)
{
  return (int)(fuzz_bits (in, 1) & 1);
}

/* An int in [lo, hi]. */
static inline int
fuzz_range (FuzzInput *in, int lo, int hi)
{
  uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
  return (int)(lo + (int64_t)(fuzz_bits (in, 4) % span));
}

/* Any int: small ones, edge values and raw 32-bit patterns alike. */
static inline int
fuzz_int (FuzzInput *in)
{
  static const int edge[]
      = { 0,     1,     -1,         2,         16,       17,
          31,    32,    100,        1000,      100000,   100001,
          30000, 30001, 1000000000, INT32_MAX, INT32_MIN };
  uint8_t how = (uint8_t)fuzz_bits (in, 1);
  if (how < 128)
    return edge[how % (sizeof edge / sizeof edge[0])];
  if (how < 192)
    return (int)(int8_t)fuzz_bits (in, 1);
  return (int)(uint32_t)fuzz_bits (in, 4);
}

/* Any double: the edge values every parameter must survive, small
 * fractions, or a raw 64-bit pattern (NaN payloads and subnormals). */
static inline double
fuzz_double (FuzzInput *in)
{
  static const double edge[]
      = { 0.0,      -0.0,        1.0,     -1.0,    0.5,   50,
          100,      100.0000001, -1e-300, 1e-300,  0.05,  0.0499999,
          10,       10.0000001,  1e9,     1e9 + 1, 1e300, -1e300,
          INFINITY, -INFINITY,   NAN };
  uint8_t how = (uint8_t)fuzz_bits (in, 1);
  if (how < 128)
    return edge[how % (sizeof edge / sizeof edge[0])];
  if (how < 200)
    return (double)(int16_t)fuzz_bits (in, 2) / 64.0;
  uint64_t bits = fuzz_bits (in, 8);
  double d;
  memcpy (&d, &bits, sizeof d);
  return d;
}

#endif
