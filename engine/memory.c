/* memory.c - the engine's allocations: zeroed float and byte buffers, and
 * the buffer pool an executor keeps between the evaluations of a scale.
 * Each returns NULL when the memory cannot be had; the caller turns that
 * into ST_ERROR_MEMORY (the executor's passes return it as their status). */
#include "ops.h"

#include <string.h>

/* ------------------------------------------------------------ memory */

float *
st_floats_new (size_t n)
{
  if (n == 0 || n > G_MAXSIZE / sizeof (float))
    return NULL;
  return g_try_malloc0 (n * sizeof (float));
}

float *
st_floats_dup (const float *src, size_t n)
{
  float *dst = st_floats_new (n);
  if (dst)
    memcpy (dst, src, n * sizeof (float));
  return dst;
}

uint8_t *
st_bytes_new (size_t n)
{
  if (n == 0)
    return NULL;
  return g_try_malloc0 (n);
}

typedef struct
{
  void *ptr;
  size_t bytes;
  gboolean used;
} PoolSlot;

struct StPool
{
  GArray *slots; /* of PoolSlot */
};

StPool *
st_pool_new (void)
{
  StPool *pool = g_try_new0 (StPool, 1);
  if (!pool)
    return NULL;
  pool->slots = g_array_new (FALSE, FALSE, sizeof (PoolSlot));
  return pool;
}

void
st_pool_free (StPool *pool)
{
  if (!pool)
    return;
  for (guint i = 0; i < pool->slots->len; i++)
    g_free (g_array_index (pool->slots, PoolSlot, i).ptr);
  g_array_free (pool->slots, TRUE);
  g_free (pool);
}

void *
st_pool_get (StPool *pool, size_t bytes, gboolean zero)
{
  PoolSlot slot;
  if (bytes == 0)
    return NULL;
  if (!pool)
    return zero ? g_try_malloc0 (bytes) : g_try_malloc (bytes);
  for (guint i = 0; i < pool->slots->len; i++)
    {
      PoolSlot *s = &g_array_index (pool->slots, PoolSlot, i);
      if (!s->used && s->bytes == bytes)
        {
          s->used = TRUE;
          if (zero)
            memset (s->ptr, 0, bytes);
          return s->ptr;
        }
    }
  slot.ptr = zero ? g_try_malloc0 (bytes) : g_try_malloc (bytes);
  slot.bytes = bytes;
  slot.used = TRUE;
  if (slot.ptr)
    g_array_append_val (pool->slots, slot);
  return slot.ptr;
}

void
st_pool_put (StPool *pool, void *ptr)
{
  if (!ptr)
    return;
  if (!pool)
    {
      g_free (ptr);
      return;
    }
  for (guint i = 0; i < pool->slots->len; i++)
    {
      PoolSlot *s = &g_array_index (pool->slots, PoolSlot, i);
      if (s->ptr == ptr)
        {
          s->used = FALSE;
          return;
        }
    }
  g_free (ptr); /* not from this pool */
}
