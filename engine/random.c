/* random.c - the engine's random numbers: a small generator of its own,
 * the same on every machine, so that a seed gives the same painting. */
#include "ops.h"

#include <math.h>

/* ------------------------------------------------------------ random */

void
st_rng_init (StRng *rng, uint64_t seed)
{
  rng->state = seed;
  rng->has_spare = FALSE;
  rng->spare = 0;
}

static uint64_t
st_rng_next (StRng *rng)
{
  uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double
st_rng_uniform (StRng *rng)
{
  return (double)(st_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

double
st_rng_normal (StRng *rng)
{
  double u, v, s;
  if (rng->has_spare)
    {
      rng->has_spare = FALSE;
      return rng->spare;
    }
  /* Marsaglia's polar method: no trigonometry, so the sequence is the same
   * with every libm. */
  do
    {
      u = 2.0 * st_rng_uniform (rng) - 1.0;
      v = 2.0 * st_rng_uniform (rng) - 1.0;
      s = u * u + v * v;
    }
  while (s >= 1.0 || s == 0.0);
  s = sqrt (-2.0 * log (s) / s);
  rng->spare = v * s;
  rng->has_spare = TRUE;
  return u * s;
}
