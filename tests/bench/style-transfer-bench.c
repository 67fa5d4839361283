/* style-transfer-bench.c - how fast and how big the engine's work is.
 *
 * One run measures, side by side:
 *   - one optimizer iteration's network work (st_graph_loss: forward with
 *     the style and content losses at the taps, backward to the image) for
 *     VGG19 up to conv5_1 with random weights and for the embedded
 *     network, at 256, 512 and 1024 px (square images), median of several
 *     repetitions after one warm-up pass;
 *   - GFLOP/s of that pass (st_graph_flops / time) beside the SGEMM peak
 *     of this machine (OpenBLAS, 2048^3), measured in the same run;
 *   - the peak resident memory of each size, each measured in a fresh
 *     child process (this program run again with --child) so that one
 *     size's peak cannot hide another's;
 *   - the same forward + input-gradient work in Debian's python3-torch
 *     (torch-peer.py: same weights file, same images, same loss), and our
 *     time / PyTorch's time;
 *   - an end-to-end Draft (100 iterations at the first scale) and Balanced
 *     (200) transfer at 512 px with the embedded network.
 *
 * The random VGG19 weights are written once, deterministically, to a
 * safetensors file in the temporary folder and loaded with
 * st_network_load_vgg19, the path a real weights file takes; PyTorch reads
 * the same file.  Nothing is downloaded.
 *
 * Run:  build/tests/bench/style-transfer-bench [--json] [--size N]
 *         [--network vgg19-random|embedded|FILE] [--threads N]
 *         [--repeat N] [--no-torch] [--no-e2e]
 *       build/tests/bench/style-transfer-bench --write-vgg19-random FILE
 *         (the same random weights for the command line, end-to-end.py)
 * or    meson test -C build --benchmark -v
 */
#include "driver.h"

#include "blas.h"
#include "cpu.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef ST_BENCH_DIR
#define ST_BENCH_DIR "."
#endif
#ifndef ST_BENCH_DATA_DIR
#define ST_BENCH_DATA_DIR "data"
#endif

#define SGEMM_N 2048
#define WEIGHTS_SEED 0xbe9c4u

/* ----------------------------------------------------------- options */

static int opt_size = 0;
static char *opt_network = NULL;
static int opt_threads = 0;
static gboolean opt_json = FALSE;
static int opt_repeat = 0;
static gboolean opt_no_torch = FALSE;
static gboolean opt_no_e2e = FALSE;
static char *opt_python = NULL;
static char *opt_torch_script = NULL;
/* internal: what a child process measures */
static gboolean opt_layers = FALSE;
static char *opt_child = NULL;   /* "pass", "draft" or "balanced" */
static char *opt_weights = NULL; /* the random VGG19 file          */
static char *opt_write_weights = NULL;

static GOptionEntry entries[]
    = { { "size", 's', 0, G_OPTION_ARG_INT, &opt_size,
          "Image side in pixels (default: 256, 512 and 1024)", "N" },
        { "network", 'n', 0, G_OPTION_ARG_STRING, &opt_network,
          "vgg19-random, embedded or a VGG19 .safetensors FILE (default: "
          "vgg19-random and embedded)",
          "NET" },
        { "threads", 't', 0, G_OPTION_ARG_INT, &opt_threads,
          "Threads (default: all cores; 1 and all cores at 512 px)", "N" },
        { "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json,
          "One JSON object per line instead of a table", NULL },
        { "repeat", 'r', 0, G_OPTION_ARG_INT, &opt_repeat,
          "Timed passes per size after one warm-up (default: 5, 3, 2 at 256, "
          "512, 1024 px)",
          "N" },
        { "no-torch", 0, 0, G_OPTION_ARG_NONE, &opt_no_torch,
          "Do not run the PyTorch peer", NULL },
        { "no-e2e", 0, 0, G_OPTION_ARG_NONE, &opt_no_e2e,
          "Do not run the end-to-end Draft and Balanced transfers", NULL },
        { "layers", 0, 0, G_OPTION_ARG_NONE, &opt_layers,
          "Time each convolution's forward and backward pass instead (one "
          "size, default 512 px)",
          NULL },
        { "python", 0, 0, G_OPTION_ARG_FILENAME, &opt_python,
          "Python with torch (default: /usr/bin/python3, Debian's)", "PATH" },
        { "torch-script", 0, 0, G_OPTION_ARG_FILENAME, &opt_torch_script,
          "The PyTorch peer (default: torch-peer.py beside this source)",
          "PATH" },
        { "write-vgg19-random", 0, 0, G_OPTION_ARG_FILENAME, &opt_write_weights,
          "Only write the random VGG19 weights to FILE (for the command "
          "line: end-to-end.py --network FILE)",
          "FILE" },
        { "child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_child,
          NULL, NULL },
        { "weights", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME,
          &opt_weights, NULL, NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL } };

/* ------------------------------------------------------------ helpers */

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* Processor time of the whole process (all its threads), seconds: on a
 * machine shared with other work it counts what the pass itself costs,
 * not the time it waited for a core. */
static double
cpu_s (void)
{
  struct rusage u;
  getrusage (RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec
         + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double
median (const double *v, int n)
{
  double *s = g_memdup2 (v, sizeof (double) * n);
  double m;
  qsort (s, n, sizeof (double), compare_doubles);
  m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  g_free (s);
  return m;
}

static double
minimum (const double *v, int n)
{
  double m = v[0];
  for (int i = 1; i < n; i++)
    m = MIN (m, v[i]);
  return m;
}

/* A "VmHWM:" style line of /proc/self/status, in MiB; -1 if absent. */
static double
proc_status_mb (const char *key)
{
  char *text = NULL;
  double mb = -1.0;
  if (g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    {
      const char *p = strstr (text, key);
      if (p)
        mb = g_ascii_strtod (p + strlen (key), NULL) / 1024.0;
    }
  g_free (text);
  return mb;
}

static double
maxrss_mb (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0; /* kB on Linux */
}

/* A JSON number, or null for NaN (not applicable / not measured). */
static void
json_number (GString *s, const char *key, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (isfinite (v))
    g_string_append_printf (s, ", \"%s\": %s", key,
                            g_ascii_formatd (buf, sizeof buf, "%.6g", v));
  else
    g_string_append_printf (s, ", \"%s\": null", key);
}

static double
json_get (JsonObject *o, const char *key)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;
  if (!n || JSON_NODE_HOLDS_NULL (n))
    return NAN;
  return json_node_get_double (n);
}

/* The last line of out that parses as a JSON object (children may print
 * other things before it). */
static JsonObject *
last_json_object (const char *out, JsonParser **parser_out)
{
  char **lines = g_strsplit (out ? out : "", "\n", -1);
  int n = (int)g_strv_length (lines);
  JsonObject *obj = NULL;
  for (int i = n - 1; i >= 0 && !obj; i--)
    {
      JsonParser *parser;
      if (lines[i][0] != '{')
        continue;
      parser = json_parser_new ();
      if (json_parser_load_from_data (parser, lines[i], -1, NULL)
          && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          obj = json_node_get_object (json_parser_get_root (parser));
          *parser_out = parser;
        }
      else
        g_object_unref (parser);
    }
  g_strfreev (lines);
  return obj;
}

/* ---------------------------------------------------- synthetic images */

/* Smooth, textured test images given by a formula, so that torch-peer.py
 * makes the very same ones (it has the same formulas): the content has
 * broad shapes, the style finer diagonal stripes, and the image being
 * optimised is a mix of the two.  (3, n, n), values in [0.1, 0.9]. */
static float *
synthetic_image (int n, int which)
{
  float *img = g_new (float, (size_t)3 * n * n);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++)
        {
          double content = 0.5
                           + 0.3 * sin (0.031 * x * (c + 1) + 0.017 * y)
                                 * cos (0.023 * y * (3 - c) - 0.011 * x);
          double style = 0.5
                         + 0.4 * sin (0.055 * (x + y) * (c + 1))
                               * sin (0.07 * (x - y) + c);
          double v = which == 0   ? content
                     : which == 1 ? style
                                  : 0.9 * content + 0.1 * style;
          img[((size_t)c * n + y) * n + x] = (float)v;
        }
  return img;
}

/* ------------------------------------------------ random VGG19 weights */

/* Writes VGG19 weights of the right shapes to a safetensors file, `to`
 * or a new temporary one: He-scaled normal filters (activations neither
 * vanish nor explode through 13 layers) and small positive biases, from
 * a fixed seed.  Returns the path (g_free, and remove a temporary file),
 * NULL with a message. */
static char *
write_random_vgg19 (const char *to, GError **error)
{
  char *path = to ? g_strdup (to) : NULL;
  int fd = to ? g_open (to, O_WRONLY | O_CREAT | O_TRUNC, 0644)
              : g_file_open_tmp ("st-bench-vgg19-XXXXXX.safetensors", &path,
                                 error);
  int open_errno = errno;
  FILE *f;
  GString *header
      = g_string_new ("{\"__metadata__\":{\"preprocess\":\"torch\"}");
  size_t offset = 0;
  StRng rng;
  uint64_t len;
  gboolean ok = TRUE;

  if (fd < 0)
    {
      if (to)
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (open_errno),
                     "cannot create %s: %s", to, g_strerror (open_errno));
      g_string_free (header, TRUE);
      g_free (path);
      return NULL;
    }
  for (int i = 0; i < ST_VGG19_N_CONV; i++)
    {
      size_t nw
          = (size_t)st_vgg19_c_out[i] * st_vgg19_c_in[i] * 9 * sizeof (float);
      size_t nb = (size_t)st_vgg19_c_out[i] * sizeof (float);
      g_string_append_printf (header,
                              ",\"features.%d.weight\":{\"dtype\":\"F32\","
                              "\"shape\":[%d,%d,3,3],\"data_offsets\":[%zu,"
                              "%zu]}",
                              st_vgg19_feature_index[i], st_vgg19_c_out[i],
                              st_vgg19_c_in[i], offset, offset + nw);
      offset += nw;
      g_string_append_printf (header,
                              ",\"features.%d.bias\":{\"dtype\":\"F32\","
                              "\"shape\":[%d],\"data_offsets\":[%zu,%zu]}",
                              st_vgg19_feature_index[i], st_vgg19_c_out[i],
                              offset, offset + nb);
      offset += nb;
    }
  g_string_append_c (header, '}');
  /* Pad with spaces so that the data starts 8-byte aligned and the engine
   * maps the F32 tensors in place. */
  while ((8 + header->len) % 8)
    g_string_append_c (header, ' ');
  len = GUINT64_TO_LE ((uint64_t)header->len);

  f = fdopen (fd, "wb");
  if (!f)
    {
      close (fd);
      ok = FALSE;
    }
  else
    {
      ok = fwrite (&len, 8, 1, f) == 1
           && fwrite (header->str, 1, header->len, f) == header->len;
      st_rng_init (&rng, WEIGHTS_SEED);
      for (int i = 0; i < ST_VGG19_N_CONV && ok; i++)
        {
          size_t nw = (size_t)st_vgg19_c_out[i] * st_vgg19_c_in[i] * 9;
          float *buf = g_new (float, nw);
          double std = sqrt (2.0 / (9.0 * st_vgg19_c_in[i]));
          for (size_t j = 0; j < nw; j++)
            buf[j] = (float)(std * st_rng_normal (&rng));
          ok = fwrite (buf, sizeof (float), nw, f) == nw;
          for (int j = 0; j < st_vgg19_c_out[i]; j++)
            buf[j] = (float)(0.1 * st_rng_uniform (&rng));
          ok = ok
               && fwrite (buf, sizeof (float), st_vgg19_c_out[i], f)
                      == (size_t)st_vgg19_c_out[i];
          g_free (buf);
        }
      ok = (fclose (f) == 0) && ok;
    }
  g_string_free (header, TRUE);
  if (!ok)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot write %s",
                   path);
      g_unlink (path);
      g_free (path);
      return NULL;
    }
  return path;
}

static double sgemm_peak (int threads);

/* ------------------------------------------------ child: one size pass */

static StNetwork *
open_network (const char *name, GError **error)
{
  if (g_strcmp0 (name, "embedded") == 0)
    return st_network_new_embedded ();
  if (g_strcmp0 (name, "vgg19-random") == 0)
    {
      StNetwork *net;
      char *path;
      if (opt_weights && opt_weights[0])
        return st_network_load_vgg19 (opt_weights, error);
      /* Run by hand (e.g. under perf): a file of its own, removed once
       * mapped. */
      if (!(path = write_random_vgg19 (NULL, error)))
        return NULL;
      net = st_network_load_vgg19 (path, error);
      g_unlink (path);
      g_free (path);
      return net;
    }
  return st_network_load_vgg19 (name, error);
}

/* Targets as st_transfer makes them at one scale (targets.c): the
 * content's features and the style's Gram matrices, both at the size of
 * the graph (n x n), with the network's weights. */
static gboolean
make_targets (const StNetwork *net, const StGraph *g, int n,
              const float *content, float *style, StTargets *t)
{
  StParams params;
  double blend = 1.0;
  GError *error = NULL;
  gboolean ok;

  st_params_init (&params);
  params.pooling = ST_POOLING_AVERAGE; /* as the graph */
  memset (t, 0, sizeof *t);
  t->style_weight = st_network_class (net)->style_weight;
  t->content_weight = st_network_class (net)->content_weight;
  ok = st_content_targets (g, content, t, &error) == ST_OK
       && st_style_targets (net, &params, n, n, 1, &style, &n, &n, &blend, g, t,
                            &error)
              == ST_OK;
  if (!ok)
    {
      g_printerr ("style-transfer-bench: %s\n", error->message);
      g_error_free (error);
    }
  return ok;
}

static int
child_pass (void)
{
  GError *error = NULL;
  StNetwork *net;
  StGraph g;
  StTargets t;
  StPool *pool;
  StLossParts parts = { 0, 0 };
  int n = opt_size > 0 ? opt_size : 512;
  int repeat = MAX (opt_repeat, 1);
  double *times = g_new (double, repeat);
  double *cpu_times = g_new (double, repeat);
  double loss = NAN, base_mb, t0, peak;
  StStatus status;
  float *content, *style, *x, *grad;
  GString *s;

  st_blas_set_threads (st_get_threads (opt_threads));
  if (!(net = open_network (opt_network, &error)))
    {
      g_printerr ("style-transfer-bench: %s\n", error->message);
      return 1;
    }
  base_mb = proc_status_mb ("VmRSS:");
  /* The SGEMM peak again, here and now: on a shared machine the load
   * changes from one minute to the next, and the efficiency must compare
   * the pass with a peak taken under the same load.  Its 48 MiB come and
   * go before the graph's buffers, below every pass's peak RSS. */
  peak = sgemm_peak (st_get_threads (opt_threads));
  if (st_graph_build (net, n, n, ST_POOLING_AVERAGE, 0,
                      st_get_threads (opt_threads), &g, &error)
      != ST_OK)
    {
      g_printerr ("style-transfer-bench: %s\n", error->message);
      return 1;
    }
  content = synthetic_image (n, 0);
  style = synthetic_image (n, 1);
  x = synthetic_image (n, 2);
  grad = g_new0 (float, (size_t)3 * n * n);
  if (!make_targets (net, &g, n, content, style, &t))
    return 1;
  pool = st_pool_new ();
  /* Warm-up: the pool allocates and the kernel pages in once, as in the
   * first iteration of a transfer; every later pass reuses the buffers. */
  status = st_graph_loss (&g, x, &t, grad, &parts, pool, &loss);
  for (int r = 0; r < repeat && status == ST_OK; r++)
    {
      double c0;
      memset (grad, 0, sizeof (float) * 3 * n * n);
      t0 = now_s ();
      c0 = cpu_s ();
      status = st_graph_loss (&g, x, &t, grad, &parts, pool, &loss);
      times[r] = now_s () - t0;
      cpu_times[r] = cpu_s () - c0;
    }
  if (status != ST_OK || !isfinite (loss))
    {
      g_printerr ("style-transfer-bench: the loss is not finite\n");
      return 1;
    }

  s = g_string_new ("{\"mode\": \"pass\"");
  json_number (s, "size", n);
  json_number (s, "threads", st_get_threads (opt_threads));
  json_number (s, "repeat", repeat);
  json_number (s, "ms_per_pass", 1000.0 * median (times, repeat));
  json_number (s, "ms_min", 1000.0 * minimum (times, repeat));
  json_number (s, "cpu_ms_per_pass", 1000.0 * median (cpu_times, repeat));
  json_number (s, "flops", st_graph_flops (&g));
  json_number (s, "sgemm_peak_gflops", peak);
  json_number (s, "loss", loss);
  json_number (s, "style_loss", parts.style);
  json_number (s, "content_loss", parts.content);
  json_number (s, "style_weight", st_network_class (net)->style_weight);
  json_number (s, "content_weight", st_network_class (net)->content_weight);
  json_number (s, "peak_rss_mb", proc_status_mb ("VmHWM:"));
  json_number (s, "maxrss_mb", maxrss_mb ());
  json_number (s, "base_rss_mb", base_mb);
  json_number (s, "est_peak_mb", st_graph_peak_bytes (&g) / 1048576.0);
  g_string_append (s, "}\n");
  fputs (s->str, stdout);
  g_string_free (s, TRUE);

  st_pool_free (pool);
  st_targets_clear (&t, g.n_style, g.n_content);
  st_graph_clear (&g);
  g_free (content);
  g_free (style);
  g_free (x);
  g_free (grad);
  g_free (times);
  g_free (cpu_times);
  st_network_free (net);
  return 0;
}

/* ----------------------------------------------- child: end to end */

static StImage *
load_image (const char *path, int fallback_side, int which)
{
  GdkPixbuf *pb = gdk_pixbuf_new_from_file (path, NULL);
  StImage *img;
  if (pb)
    {
      int w = gdk_pixbuf_get_width (pb);
      int h = gdk_pixbuf_get_height (pb);
      int nc = gdk_pixbuf_get_n_channels (pb);
      int rs = gdk_pixbuf_get_rowstride (pb);
      const guint8 *px = gdk_pixbuf_read_pixels (pb);
      img = st_image_new (w, h);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          for (int c = 0; c < 3; c++)
            img->pixels[((size_t)y * w + x) * 3 + c]
                = px[(size_t)y * rs + (size_t)x * nc + c] / 255.0f;
      g_object_unref (pb);
      return img;
    }
  else
    {
      /* No sample images: the synthetic ones, interleaved. */
      float *chw = synthetic_image (fallback_side, which);
      img = st_image_new (fallback_side, fallback_side);
      st_chw_to_hwc (chw, fallback_side, fallback_side, img->pixels);
      g_free (chw);
      return img;
    }
}

typedef struct
{
  StProgress last;
  int calls;
} E2eState;

static gboolean
e2e_progress (const StProgress *p, gpointer data)
{
  E2eState *st = data;
  st->last = *p;
  st->last.image = NULL;
  st->calls++;
  return TRUE;
}

static int
child_e2e (gboolean balanced)
{
  GError *error = NULL;
  StContext *engine = st_context_new (opt_threads);
  StNetwork *net = st_network_new_embedded ();
  char *cpath = g_build_filename (ST_BENCH_DATA_DIR, "chelsea.png", NULL);
  char *spath = g_build_filename (ST_BENCH_DATA_DIR, "swirls.png", NULL);
  StImage *content = load_image (cpath, 512, 0);
  StImage *style = load_image (spath, 512, 1);
  const StImage *styles[1] = { style };
  StImage *out = NULL;
  StParams p;
  E2eState st;
  StStatus status;
  double t0, seconds;
  GString *s;

  memset (&st, 0, sizeof st);
  st_params_init (&p);
  p.size = opt_size > 0 ? opt_size : 512;
  p.iterations = balanced ? 200 : 100;
  p.threads = opt_threads;
  t0 = now_s ();
  status = st_transfer (engine, net, content, styles, 1, &p, NULL, e2e_progress,
                        &st, &out, &error);
  seconds = now_s () - t0;
  if (status != ST_OK)
    {
      g_printerr ("style-transfer-bench: %s\n", error->message);
      return 1;
    }
  s = g_string_new ("{\"mode\": \"e2e\"");
  json_number (s, "size", MAX (out->width, out->height));
  json_number (s, "width", out->width);
  json_number (s, "height", out->height);
  json_number (s, "threads", st_get_threads (opt_threads));
  json_number (s, "iterations_first_scale", p.iterations);
  json_number (s, "scales", st.last.n_scales);
  json_number (s, "iterations_total", st.calls);
  json_number (s, "seconds", seconds);
  json_number (s, "loss", st.last.loss);
  json_number (s, "style_loss", st.last.style_loss);
  json_number (s, "content_loss", st.last.content_loss);
  json_number (s, "tv_loss", st.last.tv_loss);
  json_number (s, "peak_rss_mb", proc_status_mb ("VmHWM:"));
  json_number (s, "maxrss_mb", maxrss_mb ());
  g_string_append (s, "}\n");
  fputs (s->str, stdout);
  g_string_free (s, TRUE);
  st_image_free (out);
  st_image_free (content);
  st_image_free (style);
  g_free (cpath);
  g_free (spath);
  st_context_free (engine);
  st_network_free (net);
  return 0;
}

/* ------------------------------------------------ per-layer timings */

/* Each convolution of the graph alone, forward (with bias, ReLU and mask)
 * and backward (ReLU mask, then the input gradient), median of the
 * repetitions: where the time of a pass goes, for whoever optimises the
 * layers. */
static int
run_layers (void)
{
  GError *error = NULL;
  StNetwork *net;
  StGraph g;
  int n = opt_size > 0 ? opt_size : 512;
  int repeat = MAX (opt_repeat, 3);
  double *tf = g_new (double, repeat), *tb = g_new (double, repeat);
  double sum_f = 0.0, sum_b = 0.0, sum_flops = 0.0;
  const char *name = opt_network ? opt_network : "vgg19-random";

  st_blas_set_threads (st_get_threads (opt_threads));
  if (!(net = open_network (name, &error))
      || st_graph_build (net, n, n, ST_POOLING_AVERAGE, 0,
                         st_get_threads (opt_threads), &g, &error)
             != ST_OK)
    {
      g_printerr ("style-transfer-bench: %s\n", error->message);
      return 1;
    }
  if (!opt_json)
    printf ("%s, %d x %d px, %d thread%s, median of %d:\n%-8s %4s %4s "
            "%5s %9s %8s %9s %8s\n",
            name, n, n, st_get_threads (opt_threads),
            st_get_threads (opt_threads) > 1 ? "s" : "", repeat, "layer", "cin",
            "cout", "side", "fwd ms", "GFLOP/s", "bwd ms", "GFLOP/s");
  for (int i = 0; i < g.n; i++)
    {
      const StNode *node = &g.nodes[i];
      size_t in_n, out_n, sc;
      float *in, *out, *gin, *scratch;
      uint8_t *mask;
      double flops, f, b;
      if (node->op != ST_OP_CONV)
        continue;
      in_n = (size_t)node->cin * node->h * node->w;
      out_n = (size_t)node->c * node->h * node->w;
      sc = st_conv_scratch_floats (node->cin, node->k, node->h, node->w);
      in = g_new (float, in_n);
      for (size_t j = 0; j < in_n; j++)
        in[j] = (float)((j * 2654435761u) % 1000) / 1000.0f;
      out = g_new0 (float, out_n);
      gin = g_new0 (float, in_n);
      mask = g_new0 (uint8_t, out_n);
      scratch = sc ? g_new0 (float, sc) : NULL;
      flops = 2.0 * node->c * node->cin * node->k * node->k * (double)node->h
              * node->w;
      for (int r = 0; r <= repeat; r++)
        {
          double t0 = now_s ();
          st_conv_forward (in, node->cin, node->h, node->w, node->weight,
                           node->bias, node->c, node->k, node->pad, out, mask,
                           scratch, g.threads);
          if (r > 0)
            tf[r - 1] = now_s () - t0;
          t0 = now_s ();
          st_relu_backward (out, mask, out_n);
          st_conv_backward (out, node->cin, node->h, node->w, node->weight,
                            node->c, node->k, node->pad, gin, scratch,
                            g.threads);
          if (r > 0)
            tb[r - 1] = now_s () - t0;
        }
      f = median (tf, repeat);
      b = median (tb, repeat);
      sum_f += f;
      sum_b += b;
      sum_flops += flops;
      if (opt_json)
        {
          GString *s = g_string_new ("{\"kind\": \"layer\"");
          g_string_append_printf (s,
                                  ", \"network\": \"%s\", \"layer\": "
                                  "\"%s\"",
                                  name, node->name);
          json_number (s, "size", n);
          json_number (s, "threads", st_get_threads (opt_threads));
          json_number (s, "cin", node->cin);
          json_number (s, "cout", node->c);
          json_number (s, "side", node->w);
          json_number (s, "fwd_ms", 1000.0 * f);
          json_number (s, "bwd_ms", 1000.0 * b);
          json_number (s, "fwd_gflops", flops / f / 1e9);
          json_number (s, "bwd_gflops", flops / b / 1e9);
          g_string_append (s, "}\n");
          fputs (s->str, stdout);
          g_string_free (s, TRUE);
        }
      else
        printf ("%-8s %4d %4d %5d %9.1f %8.1f %9.1f %8.1f\n", node->name,
                node->cin, node->c, node->w, 1000.0 * f, flops / f / 1e9,
                1000.0 * b, flops / b / 1e9);
      g_free (in);
      g_free (out);
      g_free (gin);
      g_free (mask);
      g_free (scratch);
    }
  if (!opt_json)
    printf ("%-24s %9.1f %8.1f %9.1f %8.1f\n", "all convolutions",
            1000.0 * sum_f, sum_flops / sum_f / 1e9, 1000.0 * sum_b,
            sum_flops / sum_b / 1e9);
  st_graph_clear (&g);
  st_network_free (net);
  g_free (tf);
  g_free (tb);
  return 0;
}

/* ------------------------------------------------------- SGEMM peak */

/* The best of three 2048^3 products, in GFLOP/s, after one warm-up. */
static double
sgemm_peak (int threads)
{
  size_t nn = (size_t)SGEMM_N * SGEMM_N;
  float *a = g_new (float, nn), *b = g_new (float, nn), *c = g_new (float, nn);
  double best = G_MAXDOUBLE;
  for (size_t i = 0; i < nn; i++)
    {
      a[i] = (float)((i * 7 % 13) - 6) / 13.0f;
      b[i] = (float)((i * 5 % 11) - 5) / 11.0f;
    }
  st_blas_set_threads (threads);
  for (int r = 0; r < 4; r++)
    {
      double t0 = now_s (), t;
      st_sgemm (ST_NO_TRANS, ST_NO_TRANS, SGEMM_N, SGEMM_N, SGEMM_N, 1.0f, a,
                SGEMM_N, b, SGEMM_N, 0.0f, c, SGEMM_N);
      t = now_s () - t0;
      if (r > 0)
        best = MIN (best, t);
    }
  g_free (a);
  g_free (b);
  g_free (c);
  return 2.0 * SGEMM_N * (double)SGEMM_N * SGEMM_N / best / 1e9;
}

/* ------------------------------------------------------------ parent */

typedef struct
{
  double threads, gflops;
} Peak;

static char *self_exe;

static JsonObject *
run_child (char **argv, JsonParser **parser)
{
  char *out = NULL;
  int status = 0;
  GError *error = NULL;
  JsonObject *obj = NULL;
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                     &status, &error))
    {
      g_printerr ("style-transfer-bench: cannot run %s: %s\n", argv[0],
                  error->message);
      g_error_free (error);
      return NULL;
    }
  if (g_spawn_check_wait_status (status, NULL))
    obj = last_json_object (out, parser);
  else
    {
      /* The peer says why on its last line ({"error": ...}) or stderr. */
      JsonObject *e = last_json_object (out, parser);
      if (e && json_object_has_member (e, "error"))
        g_printerr ("style-transfer-bench: %s: %s\n", argv[1],
                    json_object_get_string_member (e, "error"));
      else
        g_printerr ("style-transfer-bench: %s failed\n", argv[1]);
      if (e)
        {
          g_object_unref (*parser);
          *parser = NULL;
        }
    }
  g_free (out);
  return obj;
}

static char *
cpu_model (void)
{
  char *text = NULL, *model = NULL;
  if (g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    {
      const char *p = strstr (text, "model name");
      if (p && (p = strchr (p, ':')))
        {
          const char *e = strchr (p, '\n');
          model = g_strstrip (
              g_strndup (p + 1, e ? (size_t)(e - p - 1) : strlen (p + 1)));
        }
    }
  g_free (text);
  return model ? model : g_strdup ("unknown CPU");
}

static double
load_average (void)
{
  double l[1] = { NAN };
  if (getloadavg (l, 1) < 1)
    return NAN;
  return l[0];
}

static double
peak_for (const Peak *peaks, int n, int threads)
{
  for (int i = 0; i < n; i++)
    if ((int)peaks[i].threads == threads)
      return peaks[i].gflops;
  return NAN;
}

static int
default_repeat (int size)
{
  if (opt_repeat > 0)
    return opt_repeat;
  return size <= 256 ? 5 : size <= 512 ? 3 : 2;
}

static void
print_table_header (void)
{
  printf ("%-13s %5s %3s %9s %7s %8s %6s %8s %8s %9s %8s %9s\n", "network",
          "size", "thr", "ms/pass", "GFLOP", "GFLOP/s", "eff", "RSS MiB",
          "est MiB", "torch ms", "ours/pt", "torch MiB");
}

static char *
fmt (const char *format, double v)
{
  return isfinite (v) ? g_strdup_printf (format, v) : g_strdup ("-");
}

static void
report_pass (const char *network, int size, int threads, int repeat,
             JsonObject *ours, JsonObject *torch, double peak)
{
  double ms = json_get (ours, "ms_per_pass");
  double flops = json_get (ours, "flops");
  double gflops = flops / (ms / 1000.0) / 1e9;
  double torch_ms = json_get (torch, "ms_per_pass");
  double ratio = ms / torch_ms;
  double rss = json_get (ours, "peak_rss_mb");
  /* the peak the child measured just before its passes, if any */
  double run_peak = peak;
  if (isfinite (json_get (ours, "sgemm_peak_gflops")))
    peak = json_get (ours, "sgemm_peak_gflops");
  if (opt_json)
    {
      GString *s = g_string_new ("{\"kind\": \"pass\"");
      g_string_append_printf (s, ", \"network\": \"%s\"", network);
      json_number (s, "size", size);
      json_number (s, "threads", threads);
      json_number (s, "repeat", repeat);
      json_number (s, "ms_per_pass", ms);
      json_number (s, "ms_min", json_get (ours, "ms_min"));
      json_number (s, "gflop_per_pass", flops / 1e9);
      json_number (s, "gflops", gflops);
      json_number (s, "sgemm_peak_gflops", peak);
      json_number (s, "efficiency", gflops / peak);
      json_number (s, "sgemm_peak_at_start_gflops", run_peak);
      json_number (s, "peak_rss_mb", rss);
      json_number (s, "maxrss_mb", json_get (ours, "maxrss_mb"));
      json_number (s, "base_rss_mb", json_get (ours, "base_rss_mb"));
      json_number (s, "est_peak_mb", json_get (ours, "est_peak_mb"));
      json_number (s, "loss", json_get (ours, "loss"));
      json_number (s, "torch_ms", torch_ms);
      json_number (s, "ratio_vs_torch", ratio);
      json_number (s, "cpu_ms_per_pass", json_get (ours, "cpu_ms_per_pass"));
      json_number (s, "torch_cpu_ms", json_get (torch, "cpu_ms_per_pass"));
      json_number (s, "cpu_ratio_vs_torch",
                   json_get (ours, "cpu_ms_per_pass")
                       / json_get (torch, "cpu_ms_per_pass"));
      json_number (s, "torch_loss", json_get (torch, "loss"));
      json_number (s, "torch_peak_rss_mb", json_get (torch, "peak_rss_mb"));
      g_string_append (s, "}\n");
      fputs (s->str, stdout);
      g_string_free (s, TRUE);
    }
  else
    {
      char *c[8] = { fmt ("%.0f%%", 100.0 * gflops / peak),
                     fmt ("%.0f", rss),
                     fmt ("%.0f", json_get (ours, "est_peak_mb")),
                     fmt ("%.0f", torch_ms),
                     fmt ("%.2f", ratio),
                     fmt ("%.0f", json_get (torch, "peak_rss_mb")),
                     NULL,
                     NULL };
      printf ("%-13s %5d %3d %9.1f %7.1f %8.1f %6s %8s %8s %9s %8s %9s\n",
              network, size, threads, ms, flops / 1e9, gflops, c[0], c[1], c[2],
              c[3], c[4], c[5]);
      if (isfinite (json_get (ours, "cpu_ms_per_pass")))
        printf ("  processor time per pass (all threads): %.0f ms here, %s "
                "ms in PyTorch, ratio %s\n",
                json_get (ours, "cpu_ms_per_pass"),
                c[6] = fmt ("%.0f", json_get (torch, "cpu_ms_per_pass")),
                c[7] = fmt ("%.2f", json_get (ours, "cpu_ms_per_pass")
                                        / json_get (torch, "cpu_ms_per_pass")));
      if (torch)
        {
          double lo = json_get (ours, "loss"), lt = json_get (torch, "loss");
          if (fabs (lo - lt) > 1e-3 * fabs (lt))
            printf ("  warning: loss %.6g here, %.6g in PyTorch\n", lo, lt);
        }
      for (int i = 0; i < 8; i++)
        g_free (c[i]);
    }
  fflush (stdout);
}

static void
report_e2e (const char *preset, JsonObject *o)
{
  if (opt_json)
    {
      GString *s = g_string_new ("{\"kind\": \"e2e\"");
      g_string_append_printf (s,
                              ", \"preset\": \"%s\", \"network\": "
                              "\"embedded\"",
                              preset);
      json_number (s, "size", json_get (o, "size"));
      json_number (s, "width", json_get (o, "width"));
      json_number (s, "height", json_get (o, "height"));
      json_number (s, "threads", json_get (o, "threads"));
      json_number (s, "iterations_first_scale",
                   json_get (o, "iterations_first_scale"));
      json_number (s, "iterations_total", json_get (o, "iterations_total"));
      json_number (s, "scales", json_get (o, "scales"));
      json_number (s, "seconds", json_get (o, "seconds"));
      json_number (s, "ms_per_pass", NAN);
      json_number (s, "gflops", NAN);
      json_number (s, "loss", json_get (o, "loss"));
      json_number (s, "style_loss", json_get (o, "style_loss"));
      json_number (s, "content_loss", json_get (o, "content_loss"));
      json_number (s, "tv_loss", json_get (o, "tv_loss"));
      json_number (s, "peak_rss_mb", json_get (o, "peak_rss_mb"));
      g_string_append (s, "}\n");
      fputs (s->str, stdout);
      g_string_free (s, TRUE);
    }
  else
    printf ("%-9s %4.0fx%-4.0f %3.0f thr %3.0f scales %4.0f iterations "
            "%7.1f s  loss %.4g (style %.4g, content %.4g, tv %.4g)  "
            "RSS %.0f MiB\n",
            preset, json_get (o, "width"), json_get (o, "height"),
            json_get (o, "threads"), json_get (o, "scales"),
            json_get (o, "iterations_total"), json_get (o, "seconds"),
            json_get (o, "loss"), json_get (o, "style_loss"),
            json_get (o, "content_loss"), json_get (o, "tv_loss"),
            json_get (o, "peak_rss_mb"));
  fflush (stdout);
}

static int
parent (void)
{
  GError *error = NULL;
  int cores = (int)g_get_num_processors ();
  int sizes_default[] = { 256, 512, 1024 };
  int n_sizes = opt_size > 0 ? 1 : 3;
  int *sizes = opt_size > 0 ? &opt_size : sizes_default;
  const char *nets_default[] = { "vgg19-random", "embedded" };
  const char *const *nets
      = opt_network ? (const char *const *)&opt_network : nets_default;
  int n_nets = opt_network ? 1 : 2;
  char *weights = NULL;
  Peak peaks[2];
  int n_peaks = 0;
  gboolean torch_ok = !opt_no_torch;
  const char *python = opt_python ? opt_python : "/usr/bin/python3";
  char *script = opt_torch_script
                     ? g_strdup (opt_torch_script)
                     : g_build_filename (ST_BENCH_DIR, "torch-peer.py", NULL);
  char *model = cpu_model ();
  GDateTime *dt = g_date_time_new_now_local ();
  char *date = g_date_time_format_iso8601 (dt);
  double t_start = now_s ();

  self_exe = g_file_read_link ("/proc/self/exe", NULL);
  if (!self_exe)
    self_exe = g_strdup ("style-transfer-bench");

  /* SGEMM peak for each thread count used: 1 and all cores by default. */
  {
    int list[2] = { opt_threads > 0 ? st_get_threads (opt_threads) : 1, cores };
    int n = opt_threads > 0 || cores == 1 ? 1 : 2;
    for (int i = 0; i < n; i++)
      {
        peaks[n_peaks].threads = list[i];
        peaks[n_peaks++].gflops = sgemm_peak (list[i]);
      }
  }

  if (opt_json)
    {
      GString *s = g_string_new ("{\"kind\": \"machine\"");
      g_string_append_printf (s,
                              ", \"date\": \"%s\", \"cpu\": \"%s\", "
                              "\"blas\": \"%s\", \"kernels\": \"%s\"",
                              date, model, st_blas_name (),
                              st_cpu_level_name (st_cpu_level ()));
      json_number (s, "cores", cores);
      json_number (s, "load_average_1min", load_average ());
      g_string_append (s, "}\n");
      fputs (s->str, stdout);
      for (int i = 0; i < n_peaks; i++)
        {
          g_string_assign (s, "{\"kind\": \"sgemm\"");
          json_number (s, "n", SGEMM_N);
          json_number (s, "threads", peaks[i].threads);
          json_number (s, "sgemm_peak_gflops", peaks[i].gflops);
          g_string_append (s, "}\n");
          fputs (s->str, stdout);
        }
      g_string_free (s, TRUE);
    }
  else
    {
      printf ("style-transfer-bench  %s\n%s, %d cores, load average %.2f\n"
              "BLAS: %s\nengine kernels: %s (processor: %s)\n",
              date, model, cores, load_average (), st_blas_name (),
              st_cpu_level_name (st_cpu_level ()),
              st_cpu_level_name (st_cpu_detected ()));
      for (int i = 0; i < n_peaks; i++)
        printf ("SGEMM %d^3 peak, %.0f thread%s: %.1f GFLOP/s\n", SGEMM_N,
                peaks[i].threads, peaks[i].threads > 1 ? "s" : "",
                peaks[i].gflops);
      if (strstr (st_blas_name (), "user's OPENBLAS_CORETYPE"))
        printf ("(the peak of the core OPENBLAS_CORETYPE forces, which may "
                "not be the best this processor has: unset it to compare)\n");
      printf ("\nOne iteration's network work (forward + gradient wrt the "
              "image, style + content losses), median.  GFLOP/s counts a "
              "direct\nconvolution's products; VGG19's 3x3 layers use "
              "Winograd F(4x4, 3x3), 4x fewer, so eff can pass 100 %%:\n");
      print_table_header ();
    }
  fflush (stdout);

  for (int ni = 0; ni < n_nets; ni++)
    {
      const char *net = nets[ni];
      gboolean vgg = g_strcmp0 (net, "embedded") != 0;
      if (g_strcmp0 (net, "vgg19-random") == 0 && !weights
          && !(weights = write_random_vgg19 (NULL, &error)))
        {
          g_printerr ("style-transfer-bench: %s\n", error->message);
          g_clear_error (&error);
          continue;
        }
      for (int si = 0; si < n_sizes; si++)
        {
          int size = sizes[si];
          int threads_list[2] = { cores, 1 };
          int n_threads = 1;
          if (opt_threads > 0)
            threads_list[0] = st_get_threads (opt_threads);
          else if (size == 512 && cores > 1)
            n_threads = 2;
          for (int ti = 0; ti < n_threads; ti++)
            {
              int threads = threads_list[ti];
              int repeat = default_repeat (size);
              char *a_size = g_strdup_printf ("%d", size);
              char *a_thr = g_strdup_printf ("%d", threads);
              char *a_rep = g_strdup_printf ("%d", repeat);
              char *argv[] = { self_exe,
                               "--child",
                               "pass",
                               "--network",
                               (char *)net,
                               "--size",
                               a_size,
                               "--threads",
                               a_thr,
                               "--repeat",
                               a_rep,
                               "--weights",
                               weights ? weights : "",
                               NULL };
              JsonParser *p_ours = NULL, *p_torch = NULL;
              JsonObject *ours = run_child (argv, &p_ours);
              JsonObject *torch = NULL;
              if (ours && vgg && torch_ok)
                {
                  char *sw = g_strdup_printf ("%.17g",
                                              json_get (ours, "style_weight"));
                  char *cw = g_strdup_printf (
                      "%.17g", json_get (ours, "content_weight"));
                  char *targv[]
                      = { (char *)python,
                          script,
                          "--weights",
                          weights && g_strcmp0 (net, "vgg19-random") == 0
                              ? weights
                              : (char *)net,
                          "--size",
                          a_size,
                          "--threads",
                          a_thr,
                          "--repeat",
                          a_rep,
                          "--style-weight",
                          sw,
                          "--content-weight",
                          cw,
                          NULL };
                  torch = run_child (targv, &p_torch);
                  if (!torch)
                    {
                      torch_ok = FALSE;
                      g_printerr ("style-transfer-bench: no PyTorch figures "
                                  "(is python3-torch installed?)\n");
                    }
                  g_free (sw);
                  g_free (cw);
                }
              if (ours)
                report_pass (net, size, threads, repeat, ours, torch,
                             peak_for (peaks, n_peaks, threads));
              if (p_ours)
                g_object_unref (p_ours);
              if (p_torch)
                g_object_unref (p_torch);
              g_free (a_size);
              g_free (a_thr);
              g_free (a_rep);
            }
        }
    }

  if (!opt_no_e2e)
    {
      const char *presets[] = { "draft", "balanced" };
      if (!opt_json)
        printf ("\nEnd to end, embedded network, %s/chelsea.png in the "
                "style of swirls.png:\n",
                ST_BENCH_DATA_DIR);
      for (int i = 0; i < 2; i++)
        {
          char *a_thr = g_strdup_printf ("%d", opt_threads);
          char *a_size = g_strdup_printf ("%d", opt_size > 0 ? opt_size : 512);
          char *argv[] = { self_exe,    "--child", (char *)presets[i],
                           "--threads", a_thr,     "--size",
                           a_size,      NULL };
          JsonParser *p = NULL;
          JsonObject *o = run_child (argv, &p);
          if (o)
            report_e2e (presets[i], o);
          if (p)
            g_object_unref (p);
          g_free (a_thr);
          g_free (a_size);
        }
    }

  if (!opt_json)
    printf ("\n%.0f s in all; load average now %.2f\n", now_s () - t_start,
            load_average ());
  if (weights)
    {
      g_unlink (weights);
      g_free (weights);
    }
  g_free (script);
  g_free (model);
  g_free (date);
  g_date_time_unref (dt);
  g_free (self_exe);
  return 0;
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new (
      "- how fast the style-transfer engine is, beside PyTorch");
  GError *error = NULL;
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("style-transfer-bench: %s\n", error->message);
      return 1;
    }
  g_option_context_free (ctx);
  if (opt_size < 0 || opt_size > 16384 || opt_repeat < 0 || opt_threads < 0)
    {
      g_printerr ("style-transfer-bench: --size, --repeat and --threads "
                  "must be positive\n");
      return 1;
    }
  if (opt_write_weights)
    {
      char *path = write_random_vgg19 (opt_write_weights, &error);
      if (!path)
        {
          g_printerr ("style-transfer-bench: %s\n", error->message);
          return 1;
        }
      g_print ("%s\n", path);
      g_free (path);
      return 0;
    }
  if (opt_layers)
    return run_layers ();
  if (g_strcmp0 (opt_child, "pass") == 0)
    return child_pass ();
  if (g_strcmp0 (opt_child, "draft") == 0)
    return child_e2e (FALSE);
  if (g_strcmp0 (opt_child, "balanced") == 0)
    return child_e2e (TRUE);
  return parent ();
}
