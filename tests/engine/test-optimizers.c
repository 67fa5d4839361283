/* L-BFGS and Adam find the minimum of Rosenbrock's function; cancelling
 * from the iteration callback stops them with ST_CANCELLED, a NaN loss
 * with ST_ERROR_NUMERIC, an objective that fails with its own status. */
#include "check.h"

#include "blas.h"

/* Rosenbrock in n dimensions: sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2,
 * minimum 0 at (1, ..., 1). */
static double
rosenbrock_value (const float *x, float *g, gpointer data)
{
  int n = GPOINTER_TO_INT (data);
  double f = 0.0;
  for (int i = 0; i + 1 < n; i++)
    {
      double a = (double)x[i + 1] - (double)x[i] * x[i], b = 1.0 - x[i];
      f += 100 * a * a + b * b;
      if (g)
        {
          g[i] += (float)(-400 * a * x[i] - 2 * b);
          g[i + 1] += (float)(200 * a);
        }
    }
  return f;
}

static StStatus
rosenbrock (const float *x, float *g, double *loss, gpointer data)
{
  *loss = rosenbrock_value (x, g, data);
  return ST_OK;
}

static int nan_calls = 0;

static StStatus
nan_after_three (const float *x, float *g, double *loss, gpointer data)
{
  (void)data;
  *loss = ++nan_calls > 3 ? NAN : rosenbrock_value (x, g, GINT_TO_POINTER (2));
  return ST_OK;
}

/* An objective whose fourth evaluation runs out of memory: its loss is
 * NaN, as the executor's, but its status says why. */
static int memory_calls = 0;

static StStatus
memory_after_three (const float *x, float *g, double *loss, gpointer data)
{
  (void)data;
  *loss = NAN;
  if (++memory_calls > 3)
    return ST_ERROR_MEMORY;
  *loss = rosenbrock_value (x, g, GINT_TO_POINTER (2));
  return ST_OK;
}

static int cancel_at = 0;

static gboolean
stop_at (int iteration, double loss, const float *x, gpointer data)
{
  (void)loss, (void)x, (void)data;
  return iteration < cancel_at;
}

static void
start (float *x, int n)
{
  for (int i = 0; i < n; i++)
    x[i] = i % 2 ? 1.0f : -1.2f;
}

int
main (void)
{
  StOptimizerConfig cfg = { 500, 20, 1e-9, 0, 0.1, 8, 0, 0 };
  StOptimizerResult res;
  float x[6];
  StStatus st;

  st_blas_set_threads (1);
  for (int n = 2; n <= 6; n += 4)
    {
      start (x, n);
      st = st_lbfgs (x, n, &cfg, rosenbrock, NULL, GINT_TO_POINTER (n), &res);
      CHECK (st == ST_OK, "L-BFGS status %d", st);
      for (int i = 0; i < n; i++)
        CHECK (fabsf (x[i] - 1.0f) < 2e-3, "L-BFGS, n=%d: x[%d] = %g", n, i,
               x[i]);
      CHECK (res.evaluations < 2 * res.iterations + 10,
             "L-BFGS line search is wasteful: %d evaluations for %d "
             "iterations",
             res.evaluations, res.iterations);
      printf ("  L-BFGS n=%d: %d iterations, %d evaluations, f = %.3g\n", n,
              res.iterations, res.evaluations, res.loss);
    }

  /* The plateau rule: on Rosenbrock (a long, slowly falling valley) a
   * generous fraction ends L-BFGS early, but never above plateau_below. */
  {
    StOptimizerConfig early = cfg;
    StOptimizerResult full;
    start (x, 6);
    st_lbfgs (x, 6, &cfg, rosenbrock, NULL, GINT_TO_POINTER (6), &full);
    early.plateau_fraction = 0.02;
    early.plateau_below = INFINITY;
    start (x, 6);
    st = st_lbfgs (x, 6, &early, rosenbrock, NULL, GINT_TO_POINTER (6), &res);
    printf ("  plateau 2 %%: %d iterations (f = %.3g) instead of %d\n",
            res.iterations, res.loss, full.iterations);
    CHECK (st == ST_OK && res.iterations < full.iterations
               && res.iterations >= ST_PLATEAU_WINDOW,
           "plateau rule: %d iterations of %d", res.iterations,
           full.iterations);
    early.plateau_below = 1e-30; /* never reached: the rule never fires */
    start (x, 6);
    st = st_lbfgs (x, 6, &early, rosenbrock, NULL, GINT_TO_POINTER (6), &res);
    CHECK (res.iterations == full.iterations,
           "plateau rule fired above plateau_below: %d iterations of %d",
           res.iterations, full.iterations);
  }

  {
    StOptimizerConfig adam = { 20000, 0, 0, 0, 0.002, 0, 0, 0 };
    start (x, 2);
    st = st_adam (x, 2, &adam, rosenbrock, NULL, GINT_TO_POINTER (2), &res);
    CHECK (st == ST_OK, "Adam status %d", st);
    CHECK (fabsf (x[0] - 1) < 0.02 && fabsf (x[1] - 1) < 0.04,
           "Adam: x = (%g, %g)", x[0], x[1]);
    printf ("  Adam: x = (%.4f, %.4f), f = %.3g\n", x[0], x[1], res.loss);
  }

  cancel_at = 5;
  start (x, 2);
  st = st_lbfgs (x, 2, &cfg, rosenbrock, stop_at, GINT_TO_POINTER (2), &res);
  CHECK (st == ST_CANCELLED && res.iterations == 5,
         "L-BFGS cancel: status %d after %d iterations", st, res.iterations);
  start (x, 2);
  st = st_adam (x, 2, &cfg, rosenbrock, stop_at, GINT_TO_POINTER (2), &res);
  CHECK (st == ST_CANCELLED && res.iterations == 5,
         "Adam cancel: status %d after %d iterations", st, res.iterations);
  /* A loss that turns NaN stops the run with ST_ERROR_NUMERIC. */
  start (x, 2);
  st = st_lbfgs (x, 2, &cfg, nan_after_three, NULL, NULL, &res);
  CHECK (st == ST_ERROR_NUMERIC, "L-BFGS on NaN: status %d", st);
  nan_calls = 0;
  st = st_adam (x, 2, &cfg, nan_after_three, NULL, NULL, &res);
  CHECK (st == ST_ERROR_NUMERIC, "Adam on NaN: status %d", st);
  /* An objective out of memory stops the run with ST_ERROR_MEMORY, even
   * inside L-BFGS's line search (no smaller step is tried). */
  start (x, 2);
  st = st_lbfgs (x, 2, &cfg, memory_after_three, NULL, NULL, &res);
  CHECK (st == ST_ERROR_MEMORY && memory_calls == 4,
         "L-BFGS out of memory: status %d after %d evaluations", st,
         memory_calls);
  memory_calls = 0;
  st = st_adam (x, 2, &cfg, memory_after_three, NULL, NULL, &res);
  CHECK (st == ST_ERROR_MEMORY && memory_calls == 4,
         "Adam out of memory: status %d after %d evaluations", st,
         memory_calls);
  return check_report ("test-optimizers");
}
