/* check.h - the few helpers the engine's test programs share. */
#ifndef ST_CHECK_H
#define ST_CHECK_H

#include "network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures = 0;

#define CHECK(cond, ...)                                                       \
  do                                                                           \
    {                                                                          \
      if (!(cond))                                                             \
        {                                                                      \
          fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                \
          fprintf (stderr, __VA_ARGS__);                                       \
          fputc ('\n', stderr);                                                \
          check_failures++;                                                    \
        }                                                                      \
    }                                                                          \
  while (0)

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

static inline int
check_report (const char *name)
{
  if (check_failures)
    fprintf (stderr, "%s: %d failure(s)\n", name, check_failures);
  else
    printf ("%s: ok\n", name);
  return check_failures ? 1 : 0;
}

#endif
