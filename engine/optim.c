/* optim.c - L-BFGS and Adam over a flat float vector.
 *
 * L-BFGS (Nocedal & Wright, algorithm 7.4) is what makes Gatys-style
 * transfer converge in hundreds rather than thousands of steps.  Its line
 * search tries the full quasi-Newton step first and only backtracks (with
 * quadratic interpolation) when the Armijo condition fails, so almost every
 * iteration costs one evaluation of the network. */
#include "ops.h"

#include "blas.h"
#include <math.h>
#include <string.h>

/* In double: blas.c's st_dsdot. */
static double
dot (const float *a, const float *b, size_t n)
{
  return st_dsdot ((int)n, a, b);
}

static double
max_abs (const float *a, size_t n)
{
  double m = 0.0;
  for (size_t i = 0; i < n; i++)
    m = MAX (m, fabs ((double)a[i]));
  return m;
}

static gboolean
all_finite (const float *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isfinite (a[i]))
      return FALSE;
  return TRUE;
}

typedef struct
{
  int m;       /* capacity            */
  int count;   /* pairs stored        */
  int head;    /* next slot to write  */
  float **s;   /* (m, n) steps        */
  float **y;   /* (m, n) grad changes */
  double *rho; /* (m) 1 / y.s         */
} History;

static void
history_free (History *h)
{
  for (int i = 0; i < h->m; i++)
    {
      if (h->s)
        g_free (h->s[i]);
      if (h->y)
        g_free (h->y[i]);
    }
  g_free (h->s);
  g_free (h->y);
  g_free (h->rho);
}

static gboolean
history_init (History *h, int m, size_t n)
{
  memset (h, 0, sizeof *h);
  h->m = m;
  h->s = g_try_new0 (float *, m);
  h->y = g_try_new0 (float *, m);
  h->rho = g_try_new0 (double, m);
  if (!h->s || !h->y || !h->rho)
    return FALSE;
  for (int i = 0; i < m; i++)
    if (!(h->s[i] = st_floats_new (n)) || !(h->y[i] = st_floats_new (n)))
      return FALSE;
  return TRUE;
}

/* d = -H g by the two-loop recursion; alpha (m) is scratch. */
static void
two_loop (const History *h, const float *g, float *d, size_t n, double *alpha)
{
  for (size_t i = 0; i < n; i++)
    d[i] = -g[i];
  for (int k = 0; k < h->count; k++)
    {
      int j = (h->head - 1 - k + h->m) % h->m;
      alpha[j] = h->rho[j] * dot (h->s[j], d, n);
      st_saxpy ((int)n, (float)-alpha[j], h->y[j], d);
    }
  if (h->count > 0)
    {
      int j = (h->head - 1 + h->m) % h->m;
      double yy = dot (h->y[j], h->y[j], n);
      st_sscal ((int)n, (float)(1.0 / (h->rho[j] * yy)), d);
    }
  for (int k = h->count - 1; k >= 0; k--)
    {
      int j = (h->head - 1 - k + h->m) % h->m;
      double beta = h->rho[j] * dot (h->y[j], d, n);
      st_saxpy ((int)n, (float)(alpha[j] - beta), h->s[j], d);
    }
}

/* Backtracking from step t along d until the Armijo condition holds, at
 * most max_evals evaluations.  The trial points are made in x itself (x
 * on entry is the current point): no vector for them, which at 12
 * megapixels is 144 MB.  *f_new = the loss at the point x ends at, its
 * gradient in g_new and the step taken in *t; the objective's status
 * (the search stops at the first that is not ST_OK). */
static StStatus
line_search (float *x, const float *d, size_t n, double f, double gtd,
             double *t, int max_evals, StObjective objective, gpointer data,
             float *g_new, double *f_new_out, int *evals)
{
  double f_new, at = 0.0, step = *t; /* x = x0 + at d */
  int tries = 0;
  StStatus status;
  for (;;)
    {
      st_saxpy ((int)n, (float)(step - at), d, x);
      at = step;
      memset (g_new, 0, n * sizeof (float));
      status = objective (x, g_new, &f_new, data);
      (*evals)++;
      tries++;
      if (status != ST_OK)
        break;
      if (isfinite (f_new) && f_new <= f + 1e-4 * step * gtd)
        break; /* Armijo: enough decrease */
      if (tries >= max_evals)
        break;
      if (!isfinite (f_new))
        step *= 0.1;
      else
        {
          /* minimiser of the quadratic through f, f'(0) = gtd, f(t) */
          double denom = 2.0 * (f_new - f - gtd * step);
          double t_q = denom > 0 ? -gtd * step * step / denom : 0.5 * step;
          step = CLAMP (t_q, 0.1 * step, 0.5 * step);
        }
    }
  *t = at;
  *f_new_out = f_new;
  return status;
}

/* The pair of the step just taken, in the head slot: s = t d, and y =
 * g_new - g with g_new already in the slot's y (the line search wrote
 * its gradient there; st_lbfgs gave up the oldest pair for it when the
 * history was full); g becomes g_new.  The pair is kept only with
 * positive curvature so that H stays positive definite. */
static void
history_push (History *h, const float *d, double t, float *g, size_t n)
{
  float *s = h->s[h->head], *y = h->y[h->head];
  double ys;
  for (size_t i = 0; i < n; i++)
    {
      float g_new = y[i];
      s[i] = (float)t * d[i];
      y[i] = g_new - g[i];
      g[i] = g_new;
    }
  ys = dot (y, s, n);
  if (ys > 1e-10)
    {
      h->rho[h->head] = 1.0 / ys;
      h->head = (h->head + 1) % h->m;
      h->count = MIN (h->count + 1, h->m);
    }
}

/* The direction of the next step in d: -H g from the history, or when
 * that is not a descent direction (curvature lost to rounding) the
 * history forgotten and -g.  Returns g.d. */
static double
descent_direction (History *h, const float *g, float *d, size_t n,
                   double *alpha)
{
  double gtd;
  two_loop (h, g, d, n, alpha);
  gtd = dot (g, d, n);
  if (!(gtd < 0.0))
    {
      h->count = 0;
      for (size_t i = 0; i < n; i++)
        d[i] = -g[i];
      gtd = dot (g, d, n);
    }
  return gtd;
}

/* After iteration it + 1 ended at loss f, `change` below the loss
 * before: TRUE when the run has converged, the change too small, or the
 * loss (under config->plateau_below) fell by less than its plateau
 * fraction per iteration over the last ST_PLATEAU_WINDOW iterations.
 * recent is the ring of the last losses (slot 0: the starting loss). */
static gboolean
converged (const StOptimizerConfig *config, double *recent, int it, double f,
           double change)
{
  if (change <= config->tolerance_change * MAX (fabs (f), 1e-30))
    return TRUE;
  recent[(it + 1) % (ST_PLATEAU_WINDOW + 1)] = f;
  if (config->plateau_fraction > 0 && it + 1 >= ST_PLATEAU_WINDOW
      && f <= config->plateau_below)
    {
      /* the loss ST_PLATEAU_WINDOW iterations ago (slot 0, the starting
       * loss, at the first full window) */
      double before
          = recent[(it + 1 - ST_PLATEAU_WINDOW) % (ST_PLATEAU_WINDOW + 1)];
      return before - f
             <= config->plateau_fraction * ST_PLATEAU_WINDOW * fabs (f);
    }
  return FALSE;
}

StStatus
st_lbfgs (float *x, size_t n, const StOptimizerConfig *config,
          StObjective objective, StIterationFunc iteration, gpointer data,
          StOptimizerResult *result)
{
  History hist;
  StStatus status = ST_OK;
  float *g = st_floats_new (n), *d = st_floats_new (n), *g_new;
  double *alpha = g_try_new0 (double, MAX (config->history, 1));
  double f, f_new = 0.0;
  int it = 0, evals = 0, stalled = 0;
  double reach = config->learning_rate, t_tried;
  gboolean no_history;
  double recent[ST_PLATEAU_WINDOW + 1]; /* the last losses, a ring */
  int max_evals = MAX (config->max_evaluations_per_iteration, 2);
  gboolean hist_ok = history_init (&hist, MAX (config->history, 1), n);
  StOptimizerResult unused;

  if (!result)
    result = &unused;
  memset (result, 0, sizeof *result);
  if (!g || !d || !alpha || !hist_ok)
    {
      status = ST_ERROR_MEMORY;
      goto out;
    }

  status = objective (x, g, &f, data);
  evals++;
  if (status != ST_OK)
    goto out;
  if (!isfinite (f) || !all_finite (g, n))
    {
      status = ST_ERROR_NUMERIC;
      goto out;
    }
  recent[0] = f;

  for (it = 0; it < config->iterations; it++)
    {
      double gtd, t;

      if (max_abs (g, n) <= config->tolerance_grad)
        break;
      gtd = descent_direction (&hist, g, d, n, alpha);
      /* Without history the direction is the raw gradient, whose scale
       * is arbitrary: the step moves pixels by at most `reach`. */
      no_history = hist.count == 0;
      t = no_history ? reach / MAX (max_abs (d, n), 1e-30) : 1.0;
      t_tried = t;

      /* the new gradient goes where the next pair's y will be */
      g_new = hist.y[hist.head];
      if (hist.count == hist.m)
        hist.count--; /* that slot held the oldest pair */
      status = line_search (x, d, n, f, gtd, &t, max_evals, objective, data,
                            g_new, &f_new, &evals);
      if (status == ST_OK && (!isfinite (f_new) || !all_finite (g_new, n)))
        status = ST_ERROR_NUMERIC;
      if (status != ST_OK)
        {
          st_saxpy ((int)n, (float)-t, d, x); /* back to the last point */
          break;
        }
      if (f_new > f)
        {
          /* The search found no decrease at all: the history misleads.
           * Back to the point before it; drop the history and retry from
           * there next iteration; twice in a row means we are at the
           * minimum to float precision. */
          st_saxpy ((int)n, (float)-t, d, x);
          hist.count = 0;
          if (++stalled >= 2)
            break;
          continue;
        }
      stalled = 0;
      /* Where the loss curves down (a painting's marks where there are
       * none yet: the Gram term is concave there), no pair has positive
       * curvature and the history stays empty: each step is a gradient
       * step of `reach`.  One that needed no backtracking may go twice
       * as far the next time, up to the whole pixel range; one that did
       * sets the reach to what it found. */
      if (no_history)
        reach = t == t_tried ? MIN (2.0 * reach, 1.0) : t * max_abs (d, n);

      history_push (&hist, d, t, g, n);
      {
        double change = fabs (f - f_new);
        f = f_new;
        if (iteration && !iteration (it + 1, f, x, data))
          {
            it++;
            status = ST_CANCELLED;
            break;
          }
        if (converged (config, recent, it, f, change))
          {
            it++;
            break;
          }
      }
    }
  result->loss = f;
out:
  result->iterations = it;
  result->evaluations = evals;
  history_free (&hist);
  g_free (g);
  g_free (d);
  g_free (alpha);
  return status;
}

StStatus
st_adam (float *x, size_t n, const StOptimizerConfig *config,
         StObjective objective, StIterationFunc iteration, gpointer data,
         StOptimizerResult *result)
{
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  float *g = st_floats_new (n), *m = st_floats_new (n), *v = st_floats_new (n);
  StStatus status = ST_OK;
  double f = 0.0;
  int it;
  StOptimizerResult unused;

  if (!result)
    result = &unused;
  memset (result, 0, sizeof *result);
  if (!g || !m || !v)
    {
      g_free (g);
      g_free (m);
      g_free (v);
      return ST_ERROR_MEMORY;
    }
  for (it = 0; it < config->iterations; it++)
    {
      double c1, c2;
      memset (g, 0, n * sizeof (float));
      status = objective (x, g, &f, data);
      result->evaluations++;
      if (status == ST_OK && (!isfinite (f) || !all_finite (g, n)))
        status = ST_ERROR_NUMERIC;
      if (status != ST_OK)
        break;
      if (max_abs (g, n) <= config->tolerance_grad)
        break;
      c1 = 1.0 - pow (beta1, it + 1);
      c2 = 1.0 - pow (beta2, it + 1);
      for (size_t i = 0; i < n; i++)
        {
          m[i] = (float)(beta1 * m[i] + (1 - beta1) * g[i]);
          v[i] = (float)(beta2 * v[i] + (1 - beta2) * (double)g[i] * g[i]);
          x[i] -= (float)(config->learning_rate * (m[i] / c1)
                          / (sqrt (v[i] / c2) + eps));
        }
      if (iteration && !iteration (it + 1, f, x, data))
        {
          it++;
          status = ST_CANCELLED;
          break;
        }
    }
  result->iterations = it;
  result->loss = f;
  g_free (g);
  g_free (m);
  g_free (v);
  return status;
}
