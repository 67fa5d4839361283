/* threads.c - how many threads "all cores" or a requested count means,
 * and the engine's parallel loop.  No state: a run's count travels with
 * it (StContext, StParams.threads, then StGraph.threads and the kernels'
 * arguments), so runs on several threads at once never meet here. */
#include "ops.h"

#include "blas.h"
#include <stdlib.h>

/* The thread count a user set for BLAS libraries, 0 when none. */
static int
user_threads (void)
{
  static const char *vars[]
      = { "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS" };
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      const char *v = g_getenv (vars[i]);
      gint64 n = v ? g_ascii_strtoll (v, NULL, 10) : 0;
      if (n > 0)
        return (int)MIN (n, G_MAXINT);
    }
  return 0;
}

int
st_get_threads (int requested)
{
  int cores = (int)g_get_num_processors ();
  /* "All cores" means what the user allowed BLAS, when they said. */
  if (requested <= 0 && user_threads () > 0)
    requested = user_threads ();
  if (requested <= 0 || requested > cores)
    return cores;
  return requested;
}

typedef struct
{
  StRangeFunc fn;
  gpointer data;
  int lo, hi;
} Part;

static gpointer
run_part (gpointer p)
{
  Part *part = p;
  part->fn (part->lo, part->hi, part->data);
  return NULL;
}

void
st_parallel_for (int threads, int n, StRangeFunc fn, gpointer data)
{
  Part parts[ST_PARALLEL_MAX];
  GThread *thread[ST_PARALLEL_MAX];
  threads = CLAMP (MIN (threads, n), 1, (int)G_N_ELEMENTS (parts));
  for (int i = 0; i < threads; i++)
    {
      parts[i] = (Part){ fn, data, (int)((gint64)n * i / threads),
                         (int)((gint64)n * (i + 1) / threads) };
      thread[i] = NULL;
    }
  /* part 0 in this thread; a thread that cannot start runs its part here */
  for (int i = 1; i < threads; i++)
    if (!(thread[i] = g_thread_try_new ("st-part", run_part, &parts[i], NULL)))
      run_part (&parts[i]);
  run_part (&parts[0]);
  for (int i = 1; i < threads; i++)
    if (thread[i])
      g_thread_join (thread[i]);
}
