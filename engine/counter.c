/* counter.c - the counting pool: what a pool would hold, without the
 * memory.  The executor (graph.c) run with a counter instead of a pool
 * walks the graph without computing or allocating and gives its peak
 * bytes: the memory estimate is the executor itself. */
#include "graph.h"

#include <string.h>

/* One buffer the counter holds: its size and the name it was given. */
typedef struct
{
  size_t bytes;
  gsize token;
  gboolean used;
} CountSlot;

void
st_counter_init (StCounter *c, gboolean reuse)
{
  memset (c, 0, sizeof *c);
  c->slots = g_array_new (FALSE, FALSE, sizeof (CountSlot));
  c->reuse = reuse;
}

void *
st_counter_get (StCounter *c, size_t bytes)
{
  CountSlot slot = { bytes, ++c->next_token, TRUE };
  if (bytes == 0)
    return NULL;
  for (guint i = 0; c->reuse && i < c->slots->len; i++)
    {
      CountSlot *s = &g_array_index (c->slots, CountSlot, i);
      if (!s->used && s->bytes == bytes)
        {
          s->used = TRUE;
          return GSIZE_TO_POINTER (s->token);
        }
    }
  g_array_append_val (c->slots, slot);
  c->held += bytes;
  c->peak = MAX (c->peak, c->held);
  return GSIZE_TO_POINTER (slot.token); /* never read: a name, not memory */
}

void
st_counter_put (StCounter *c, void *ptr)
{
  for (guint i = 0; ptr && i < c->slots->len; i++)
    {
      CountSlot *s = &g_array_index (c->slots, CountSlot, i);
      if (s->token != GPOINTER_TO_SIZE (ptr))
        continue;
      if (c->reuse)
        s->used = FALSE;
      else
        {
          c->held -= s->bytes;
          g_array_remove_index_fast (c->slots, i);
        }
      return;
    }
}

void
st_counter_clear (StCounter *c)
{
  g_array_free (c->slots, TRUE);
  c->slots = NULL;
}
