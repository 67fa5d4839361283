/* params.c - the parameters of a run: their defaults, and the one table of
 * the ranges the engine accepts (front ends take theirs from the ST_*_MIN
 * and ST_*_MAX of style-transfer.h). */
#include "checks.h"
#include "driver.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

void
st_params_init (StParams *p)
{
  memset (p, 0, sizeof *p);
  p->strength = 50.0;
  p->style_weight = -1.0;
  p->content_weight = -1.0;
  p->tv_weight = -1.0;
  p->style_scale = 1.0;
  p->init = ST_INIT_CONTENT;
  p->pooling = ST_POOLING_AVERAGE;
  p->optimizer = ST_OPTIMIZER_LBFGS;
}

/* One row a parameter: its range and where it sits in StParams.  Negative
 * weights mean "the network's default"; NaN and Inf never pass. */
typedef struct
{
  const char *what; /* for the message */
  double lo, hi;
  size_t offset;
  gboolean is_int; /* an int (or an enum), else a double */
} Range;

#define D(field) offsetof (StParams, field), FALSE
#define I(field) offsetof (StParams, field), TRUE
// clang-format off
static const Range ranges[] = {
  { "strength",               ST_STRENGTH_MIN, ST_STRENGTH_MAX, D (strength) },
  { "style weight",           -1, ST_WEIGHT_MAX,      D (style_weight) },
  { "content weight",         -1, ST_WEIGHT_MAX,      D (content_weight) },
  { "smoothness (TV weight)", -1, ST_WEIGHT_MAX,      D (tv_weight) },
  { "iterations",             0, ST_ITERATIONS_MAX,   I (iterations) },
  { "size",                   0, ST_SIZE_MAX,         I (size) },
  { "start size",             0, ST_SIZE_MAX,         I (start_size) },
  { "number of scales",       0, ST_SCALES_MAX,       I (scales) },
  { "style scale",            ST_STYLE_SCALE_MIN, ST_STYLE_SCALE_MAX,
                                                      D (style_scale) },
  { "L-BFGS history",         0, ST_HISTORY_MAX,      I (history) },
  { "learning rate",          0, 1,                   D (learning_rate) },
  { "threads",                0, ST_THREADS_MAX,      I (threads) },
  { "init",                   ST_INIT_CONTENT, ST_INIT_NOISE, I (init) },
  { "optimizer",              ST_OPTIMIZER_LBFGS, ST_OPTIMIZER_ADAM,
                                                      I (optimizer) },
  { "pooling",                ST_POOLING_AVERAGE, ST_POOLING_MAX, I (pooling) },
};
// clang-format on
#undef D
#undef I

G_STATIC_ASSERT (sizeof (StInit) == sizeof (int));

gboolean
st_params_validate (const StParams *p, GError **error)
{
  for (size_t i = 0; i < G_N_ELEMENTS (ranges); i++)
    {
      const Range *r = &ranges[i];
      const char *field = (const char *)p + r->offset;
      double v
          = r->is_int ? (double)*(const int *)field : *(const double *)field;
      if (!isfinite (v) || v < r->lo || v > r->hi)
        {
          // clang-format off
          g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                       "%s must be a number from %g to %g (got %g)",
                       r->what, r->lo, r->hi, v);
          // clang-format on
          return FALSE;
        }
    }
  /* in range, but a style term that vanishes cannot be measured */
  return st_check_weights (p, error);
}
