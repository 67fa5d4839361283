/* check.h - the few helpers the engine's test programs share, beside the
 * assertion helper of every C test (tests/common/check.h). */
#ifndef ST_CHECK_H
#define ST_CHECK_H

#include "../common/check.h"
#include "network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static inline void
fill_random (float *x, size_t n, StRng *rng, double lo, double hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float)(lo + (hi - lo) * st_rng_uniform (rng));
}

/* Writes an image as binary PPM when $ST_TEST_OUT names a folder, so that
 * a person can look at what a test produced. */
static inline void
save_for_eyes (const StImage *im, const char *name)
{
  const char *dir = g_getenv ("ST_TEST_OUT");
  char *path;
  FILE *f;
  if (!dir || !im)
    return;
  path = g_strdup_printf ("%s/%s.ppm", dir, name);
  if ((f = fopen (path, "wb")))
    {
      fprintf (f, "P6\n%d %d\n255\n", im->width, im->height);
      for (size_t i = 0; i < (size_t)im->width * im->height * 3; i++)
        fputc ((int)lroundf (CLAMP (im->pixels[i], 0.0f, 1.0f) * 255), f);
      fclose (f);
    }
  g_free (path);
}

#endif
