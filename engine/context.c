/* context.c - the engine's state, made once by each front end and passed
 * in (style-transfer.h): its runs' thread count and the calibrations the
 * time estimates keep (calibrate.c). */
#include "driver.h"

StContext *
st_context_new (int threads)
{
  StContext *context = g_try_new0 (StContext, 1);
  if (!context)
    return NULL;
  context->threads = st_get_threads (threads);
  pthread_mutex_init (&context->lock, NULL);
  return context;
}

void
st_context_free (StContext *context)
{
  if (!context)
    return;
  pthread_mutex_destroy (&context->lock);
  g_free (context);
}

int
st_run_threads (const StContext *context, const StParams *p)
{
  return p->threads > 0 ? st_get_threads (p->threads) : context->threads;
}
