/* check.h - the one assertion helper of the C test programs: CHECK ()
 * counts a failure and says where, without stopping, and check_report ()
 * ends main ().  Area helpers (tests/engine/check.h) build on it. */
#ifndef ST_TESTS_CHECK_H
#define ST_TESTS_CHECK_H

#include <stdio.h>

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

/* main ()'s exit status: 0 when every CHECK held.  Prints "name: ok" or
 * the number of failures. */
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
