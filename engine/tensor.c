/* tensor.c - memory, random numbers, image layouts and resampling. */
#include "ops.h"
#include "checks.h"

#include "blas.h"
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------ memory */

float *
st_floats_new (size_t n)
{
  float *p;
  if (n == 0 || n > G_MAXSIZE / sizeof (float))
    return NULL;
  if (!(p = g_try_malloc0 (n * sizeof (float))))
    st_note_alloc_failure ();
  return p;
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
  uint8_t *p;
  if (n == 0)
    return NULL;
  if (!(p = g_try_malloc0 (n)))
    st_note_alloc_failure ();
  return p;
}

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

/* The threads of the run (or plan) the calling thread is doing, 0 when
 * it is doing none.  One per thread (issue 21): GIMP's main thread plans
 * with all cores while the dialog's preview thread paints with one
 * fewer, and neither may change the other's count. */
static _Thread_local int run_threads;

int
st_use_threads (int threads)
{
  int before = run_threads;
  run_threads = threads > 0 ? st_get_threads (threads) : threads;
  return before;
}

void
st_set_threads (int threads)
{
  /* OpenBLAS threads its products; the engine's own parallel loops
   * (st_parallel_for) run between products, never beside them, so the two
   * never hold more threads than this at once. */
  st_use_threads (st_get_threads (threads));
  st_blas_set_threads (st_get_threads (threads));
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

int
st_threads (void)
{
  return CLAMP (run_threads > 0 ? run_threads : st_get_threads (0), 1,
                ST_PARALLEL_MAX);
}

void
st_parallel_for (int n, StRangeFunc fn, gpointer data)
{
  int threads = st_threads ();
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
    {
      void *p = zero ? g_try_malloc0 (bytes) : g_try_malloc (bytes);
      if (!p)
        st_note_alloc_failure ();
      return p;
    }
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
  if (!slot.ptr)
    st_note_alloc_failure ();
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

/* ------------------------------------------------------------ random */

void
st_rng_init (StRng *rng, uint64_t seed)
{
  rng->state = seed;
  rng->has_spare = FALSE;
  rng->spare = 0;
}

static uint64_t
st_rng_next (StRng *rng)
{
  uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double
st_rng_uniform (StRng *rng)
{
  return (double)(st_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

double
st_rng_normal (StRng *rng)
{
  double u, v, s;
  if (rng->has_spare)
    {
      rng->has_spare = FALSE;
      return rng->spare;
    }
  /* Marsaglia's polar method: no trigonometry, so the sequence is the same
   * with every libm. */
  do
    {
      u = 2.0 * st_rng_uniform (rng) - 1.0;
      v = 2.0 * st_rng_uniform (rng) - 1.0;
      s = u * u + v * v;
    }
  while (s >= 1.0 || s == 0.0);
  s = sqrt (-2.0 * log (s) / s);
  rng->spare = v * s;
  rng->has_spare = TRUE;
  return u * s;
}

/* ----------------------------------------------------- image layouts */

void
st_hwc_to_chw (const float *hwc, int w, int h, float *chw)
{
  size_t plane = (size_t)w * h;
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      chw[c * plane + i] = hwc[i * 3 + c];
}

void
st_chw_to_hwc (const float *chw, int w, int h, float *hwc)
{
  size_t plane = (size_t)w * h;
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      hwc[i * 3 + c] = chw[c * plane + i];
}

void
st_fit_long_side (int w, int h, int long_side, int *out_w, int *out_h)
{
  if (w >= h)
    {
      *out_w = long_side;
      *out_h = MAX (1, (int)lround ((double)h * long_side / w));
    }
  else
    {
      *out_h = long_side;
      *out_w = MAX (1, (int)lround ((double)w * long_side / h));
    }
}

/* Catmull-Rom cubic (a = -0.5): interpolating, sharp without ringing much. */
double
st_cubic_weight (double x)
{
  x = fabs (x);
  if (x < 1.0)
    return (1.5 * x - 2.5) * x * x + 1.0;
  if (x < 2.0)
    return ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0;
  return 0.0;
}

/* Weights of one 1-D resampling pass: for each output i, taps first[i] ..
 * first[i] + count - 1 (clamped to the source) with weights w[i * count]. */
typedef struct
{
  int count;
  int *first;    /* (out) */
  float *weight; /* (out, count) */
} Taps;

static gboolean
taps_init (Taps *t, int in, int out)
{
  double scale = (double)in / out;
  double stretch = MAX (scale, 1.0); /* widen the kernel when shrinking */
  double support = 2.0 * stretch;
  t->count = (int)ceil (support) * 2 + 1;
  t->first = g_try_new (int, out);
  t->weight = g_try_new0 (float, (size_t)out * t->count);
  if (!t->first || !t->weight)
    return FALSE;
  for (int i = 0; i < out; i++)
    {
      double center = (i + 0.5) * scale;
      int lo = (int)floor (center - support);
      double sum = 0.0;
      float *wi = t->weight + (size_t)i * t->count;
      t->first[i] = lo;
      for (int j = 0; j < t->count; j++)
        {
          double x = (lo + j + 0.5 - center) / stretch;
          wi[j] = (float)st_cubic_weight (x);
          sum += wi[j];
        }
      for (int j = 0; j < t->count; j++)
        wi[j] = (float)(wi[j] / sum);
    }
  return TRUE;
}

static void
taps_clear (Taps *t)
{
  g_free (t->first);
  g_free (t->weight);
}

void
st_resample_planes (const float *src, int c, int sw, int sh, float *dst, int dw,
                    int dh)
{
  Taps tx, ty;
  float *tmp = g_try_new (float, (size_t)sh *dw);
  if (!tmp || !taps_init (&tx, sw, dw) || !taps_init (&ty, sh, dh))
    {
      /* Only on exhausted memory: fall back to nearest neighbour, which
       * needs nothing. */
      for (int p = 0; p < c; p++)
        for (int y = 0; y < dh; y++)
          for (int x = 0; x < dw; x++)
            dst[((size_t)p * dh + y) * dw + x]
                = src[((size_t)p * sh + (size_t)y * sh / dh) * sw
                      + (size_t)x * sw / dw];
      g_free (tmp);
      return;
    }
  for (int p = 0; p < c; p++)
    {
      const float *sp = src + (size_t)p * sw * sh;
      float *dp = dst + (size_t)p * dw * dh;
      for (int y = 0; y < sh; y++)
        for (int x = 0; x < dw; x++)
          {
            const float *wx = tx.weight + (size_t)x * tx.count;
            double acc = 0.0;
            for (int j = 0; j < tx.count; j++)
              {
                int sx = CLAMP (tx.first[x] + j, 0, sw - 1);
                acc += wx[j] * sp[(size_t)y * sw + sx];
              }
            tmp[(size_t)y * dw + x] = (float)acc;
          }
      for (int y = 0; y < dh; y++)
        {
          const float *wy = ty.weight + (size_t)y * ty.count;
          for (int x = 0; x < dw; x++)
            {
              double acc = 0.0;
              for (int j = 0; j < ty.count; j++)
                {
                  int sy = CLAMP (ty.first[y] + j, 0, sh - 1);
                  acc += wy[j] * tmp[(size_t)sy * dw + x];
                }
              dp[(size_t)y * dw + x] = (float)acc;
            }
        }
    }
  taps_clear (&tx);
  taps_clear (&ty);
  g_free (tmp);
}

/* ------------------------------------------------------------ images */

/* The largest image the engine accepts: 2^28 pixels, so that every index
 * computed in int over a plane stays far from overflow. */
#define ST_MAX_PIXELS (1u << 28)

StImage *
st_image_new (int width, int height)
{
  StImage *image;
  if (width <= 0 || height <= 0
      || (guint64)width * (guint64)height > ST_MAX_PIXELS)
    return NULL;
  if (!(image = g_try_new0 (StImage, 1)))
    return NULL;
  image->width = width;
  image->height = height;
  image->pixels = st_floats_new ((size_t)width * height * 3);
  if (!image->pixels)
    {
      g_free (image);
      return NULL;
    }
  return image;
}

StImage *
st_image_copy (const StImage *image)
{
  StImage *copy = st_image_new (image->width, image->height);
  if (copy)
    memcpy (copy->pixels, image->pixels,
            (size_t)image->width * image->height * 3 * sizeof (float));
  return copy;
}

void
st_image_free (StImage *image)
{
  if (!image)
    return;
  g_free (image->pixels);
  g_free (image);
}
