/* checks.c - limits of the surroundings, and requests that cannot be
 * measured: refused with a message instead of a hang, a crash or a
 * "successful" wrong result (issue 13). */
#include "checks.h"
#include "blas.h"
#include "ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ------------------------------------------------------------ memory */

/* What OpenBLAS allocates per thread the first time the thread runs a
 * kernel: one buffer (128 MiB + a page on x86-64), kept for the process's
 * life.  Address space, mostly untouched: it counts against ulimit -v and
 * -d, not against resident memory. */
#define BLAS_BUFFER_BYTES ((guint64)130 << 20)
/* Code, GLib, stacks and the engine's own small allocations. */
#define SLACK_BYTES ((guint64)8 << 20)
/* What glibc's malloc maps for a moment while it places a thread's first
 * large block (a new arena reserves twice its 64 MiB heap to align it):
 * without it, a limit that leaves the buffers but not this made the first
 * BLAS call of the estimate's calibration retry forever (issue 20, ulimit
 * -v 200 to 250 MB with one thread). */
#define TRANSIENT_BYTES ((guint64)128 << 20)

/* /proc/self/statm: total program size and data+stack, in pages. */
static gboolean
vm_usage (guint64 *size, guint64 *data)
{
  unsigned long long s = 0, r, sh, text, lib, d = 0;
  FILE *f = fopen ("/proc/self/statm", "r");
  long page = sysconf (_SC_PAGESIZE);
  gboolean ok;

  if (!f)
    return FALSE;
  ok = fscanf (f, "%llu %llu %llu %llu %llu %llu", &s, &r, &sh, &text, &lib, &d)
       == 6;
  fclose (f);
  *size = (guint64)s * (guint64)page;
  *data = (guint64)d * (guint64)page;
  return ok;
}

/* Address space left under ulimit -v and ulimit -d. */
static guint64
address_space_left (void)
{
  struct rlimit as, data;
  guint64 size, used_data, left = G_MAXUINT64;

  if (!vm_usage (&size, &used_data))
    return G_MAXUINT64;
  if (getrlimit (RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
    left = (guint64)as.rlim_cur > size ? (guint64)as.rlim_cur - size : 0;
  if (getrlimit (RLIMIT_DATA, &data) == 0 && data.rlim_cur != RLIM_INFINITY)
    left = MIN (left, (guint64)data.rlim_cur > used_data
                          ? (guint64)data.rlim_cur - used_data
                          : 0);
  return left;
}

/* memory.max - memory.current of this process's cgroup (v2). */
static guint64
cgroup_left (void)
{
  char *text = NULL, *dir = NULL, *max = NULL, *current = NULL, *path;
  guint64 left = G_MAXUINT64;

  if (!g_file_get_contents ("/proc/self/cgroup", &text, NULL, NULL))
    return left;
  if (g_str_has_prefix (text, "0::"))
    {
      dir = g_strstrip (g_strdup (text + 3));
      path = g_build_filename ("/sys/fs/cgroup", dir, "memory.max", NULL);
      g_file_get_contents (path, &max, NULL, NULL);
      g_free (path);
      path = g_build_filename ("/sys/fs/cgroup", dir, "memory.current", NULL);
      g_file_get_contents (path, &current, NULL, NULL);
      g_free (path);
      if (max && current && g_ascii_isdigit (max[0]))
        {
          guint64 m = g_ascii_strtoull (max, NULL, 10);
          guint64 c = g_ascii_strtoull (current, NULL, 10);
          left = m > c ? m - c : 0;
        }
    }
  g_free (text);
  g_free (dir);
  g_free (max);
  g_free (current);
  return left;
}

/* A thread's stack (GLib's default, glibc's 8 MiB). */
#define STACK_BYTES ((guint64)8 << 20)

/* The BLAS buffers in use at once: OpenBLAS's own threads during a
 * threaded product (one each), and during a tiled pass (tiled.c) every
 * engine thread calling single-threaded products side by side, the
 * caller's buffer and those of threads - 1 workers (each with a stack).
 * Counted once for each: a limit that left room for the first but not
 * the workers' made OpenBLAS retry its mmap forever (ulimit -v 480-520 MB,
 * 2 threads, a 3000 x 2000 photo). */
static guint64
blas_reserve (int threads)
{
  guint64 t = (guint64)MAX (threads, 1);
  return (2 * t - 1) * BLAS_BUFFER_BYTES + (t - 1) * STACK_BYTES
         + TRANSIENT_BYTES + SLACK_BYTES;
}

size_t
st_memory_cap (int threads)
{
  guint64 as = address_space_left (), cg = cgroup_left (), cap = G_MAXUINT64;
  guint64 reserve = blas_reserve (threads);

  if (as != G_MAXUINT64)
    cap = as > reserve ? as - reserve : 0;
  if (cg != G_MAXUINT64)
    cap = MIN (cap, cg > SLACK_BYTES ? cg - SLACK_BYTES : 0);
  return (size_t)MIN (cap, (guint64)G_MAXSIZE);
}

static void
set_limit_error (guint64 as, guint64 need, int threads, GError **error)
{
  char *have = g_format_size_full (as, G_FORMAT_SIZE_IEC_UNITS);
  char *want = g_format_size_full (need, G_FORMAT_SIZE_IEC_UNITS);
  g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
               "out of memory: this process's memory limit (ulimit -v "
               "or -d) leaves %s of address space, and the numeric "
               "library needs about %s for %d thread%s; raise the limit "
               "or use fewer threads",
               have, want, threads, threads > 1 ? "s" : "");
  g_free (have);
  g_free (want);
}

gboolean
st_memory_precheck (int threads, GError **error)
{
  guint64 as, need = blas_reserve (threads);
  /* BLAS is loaded on first use (blas.c): load it now, so that the space
   * its library and threads take is already counted as used. */
  st_blas_loaded ();
  as = address_space_left ();

  if (as != G_MAXUINT64 && as < need)
    {
      set_limit_error (as, need, threads, error);
      return FALSE;
    }
  return TRUE;
}

size_t
st_memory_room (int threads, GError **error)
{
  size_t cap = st_memory_cap (threads);
  guint64 as;
  if (cap > 0)
    return cap;
  as = address_space_left ();
  if (as != G_MAXUINT64 && as <= blas_reserve (threads))
    set_limit_error (as, blas_reserve (threads), threads, error);
  else
    g_set_error_literal (error, ST_ERROR, ST_ERROR_MEMORY,
                         "out of memory: this process's memory limit (its "
                         "control group's memory.max) is used up");
  return 0;
}

/* ------------------------------------------------- what can be measured */

/* Below this the style term is lost in float rounding (the gradient's
 * scale is a float): the result is the photo. */
#define MIN_STYLE_WEIGHT 1e-6

gboolean
st_check_weights (const StParams *p, GError **error)
{
  if (p->style_weight >= 0 && p->style_weight < MIN_STYLE_WEIGHT)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "a style weight of %g transfers no style (the result "
                   "would be the photo); use at least %g, or leave it out "
                   "and set the strength",
                   p->style_weight, MIN_STYLE_WEIGHT);
      return FALSE;
    }
  return TRUE;
}

gboolean
st_blend_normalize (const double *w, int n, double *out, GError **error)
{
  double largest = 0.0, sum = 0.0;

  for (int j = 0; j < n; j++)
    {
      double v = w ? w[j] : 1.0;
      if (!isfinite (v) || v < 0)
        {
          g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                       "style blend weights must be positive numbers");
          return FALSE;
        }
      largest = MAX (largest, v);
    }
  if (!(largest > 0))
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "style blend weights add up to zero");
      return FALSE;
    }
  /* each divided by the largest is in [0, 1]: the sum is at most n */
  for (int j = 0; j < n; j++)
    sum += (w ? w[j] : 1.0) / largest;
  for (int j = 0; j < n && out; j++)
    out[j] = (w ? w[j] : 1.0) / largest / sum;
  return TRUE;
}

gboolean
st_check_style_image (const StImage *style, int index, int n_styles,
                      GError **error)
{
  size_t n = (size_t)style->width * style->height * 3;
  float lo[3] = { INFINITY, INFINITY, INFINITY },
        hi[3] = { -INFINITY, -INFINITY, -INFINITY };

  for (size_t i = 0; i < n; i++)
    {
      float v = style->pixels[i];
      lo[i % 3] = MIN (lo[i % 3], v);
      hi[i % 3] = MAX (hi[i % 3], v);
    }
  /* less than one 8-bit level of difference anywhere */
  if (hi[0] - lo[0] < 1.0f / 255 && hi[1] - lo[1] < 1.0f / 255
      && hi[2] - lo[2] < 1.0f / 255)
    {
      char which[32] = "";
      if (n_styles > 1)
        g_snprintf (which, sizeof which, " %d", index + 1);
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "the style image%s is one flat colour: it has no texture "
                   "or strokes to transfer; choose a painting",
                   which);
      return FALSE;
    }
  return TRUE;
}

gboolean
st_check_style_targets (const double *gram_norm, int n, int width, int height,
                        GError **error)
{
  for (int k = 0; k < n; k++)
    if (!(gram_norm[k] > 1e-24) || !isfinite (gram_norm[k]))
      {
        g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                     "at %d x %d the network sees nothing in the style "
                     "image (nearly flat): there is no style to measure; "
                     "choose a painting with texture, or a larger style "
                     "scale",
                     width, height);
        return FALSE;
      }
  return TRUE;
}

/* ----------------------------------------------------- the environment */

static void
add_problem (GPtrArray *out, const char *name, const char *value,
             const char *why)
{
  char *shown = g_strescape (value, NULL); /* a value is one line */
  g_ptr_array_add (out, g_strdup_printf ("%s=\"%s\" %s", name, shown, why));
  g_free (shown);
}

char **
st_environment_problems (void)
{
  GPtrArray *out = g_ptr_array_new ();
  const char *v;

  v = g_getenv ("ST_BLAS");
  if (v && *v && g_ascii_strcasecmp (v, "builtin") != 0 && !st_blas_loaded ())
    add_problem (out, "ST_BLAS", v,
                 "is ignored: no CBLAS library could be loaded from it, so the "
                 "engine's portable loops run instead (several times "
                 "slower); give a library such as libopenblas.so.0, or "
                 "\"builtin\"");
  v = g_getenv ("ST_CPU");
  if (v && *v && g_ascii_strcasecmp (v, "portable") != 0
      && g_ascii_strcasecmp (v, "avx2") != 0
      && g_ascii_strcasecmp (v, "avx512") != 0)
    add_problem (
        out, "ST_CPU", v,
        "is ignored: use portable, avx2 or avx512 (the processor's own level "
        "is used)");
  v = g_getenv ("ST_MEMORY_BUDGET");
  if (v && *v)
    {
      guint64 mib = 0;
      /* as estimate.c reads it: decimal MiB, more than 0, under 2^40 */
      if (!g_ascii_string_to_unsigned (v, 10, 1, ((guint64)1 << 40) - 1, &mib,
                                       NULL))
        add_problem (
            out, "ST_MEMORY_BUDGET", v,
            "is ignored: give a whole number of MiB, such as 2048 (half of the "
            "available memory is used)");
    }
  v = g_getenv ("ST_VGG19_WEIGHTS");
  if (v && *v && !g_file_test (v, G_FILE_TEST_IS_REGULAR))
    add_problem (out, "ST_VGG19_WEIGHTS", v,
                 "is ignored: it is not a file (the usual places are "
                 "searched)");
  v = g_getenv ("ST_NO_CALIBRATION");
  if (v
      && (g_ascii_strcasecmp (v, "0") == 0 || g_ascii_strcasecmp (v, "no") == 0
          || g_ascii_strcasecmp (v, "false") == 0
          || g_ascii_strcasecmp (v, "off") == 0))
    add_problem (out, "ST_NO_CALIBRATION", v,
                 "still turns the timing pass off (any value does); unset "
                 "the variable to keep it");
  if (out->len == 0)
    {
      g_ptr_array_free (out, TRUE);
      return NULL;
    }
  g_ptr_array_add (out, NULL);
  return (char **)g_ptr_array_free (out, FALSE);
}
