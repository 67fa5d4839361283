/* style-transfer - the engine on the command line.
 *
 *   style-transfer CONTENT STYLE [STYLE2 ...] -o OUT.png [options]
 *
 * Reads PNG/JPEG through gdk-pixbuf, writes PNG.  Exit status 0 on success,
 * 1 with a one-line message on stderr otherwise; on failure no output file
 * is left behind (the PNG is written to a temporary name and renamed). */
#include "style-transfer.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

typedef struct
{
  gboolean quiet;
  gboolean tty;
  gint64 last_draw;
} Cli;

static StImage *
load_image (const char *path, GError **error)
{
  GdkPixbuf *pb = gdk_pixbuf_new_from_file (path, error);
  StImage *image;
  if (!pb)
    return NULL;
  {
    GdkPixbuf *rot = gdk_pixbuf_apply_embedded_orientation (pb);
    g_object_unref (pb);
    pb = rot;
  }
  int w = gdk_pixbuf_get_width (pb), h = gdk_pixbuf_get_height (pb);
  int nc = gdk_pixbuf_get_n_channels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  gboolean alpha = gdk_pixbuf_get_has_alpha (pb);
  const guchar *px = gdk_pixbuf_read_pixels (pb);
  if (gdk_pixbuf_get_bits_per_sample (pb) != 8 || nc < 3
      || !(image = st_image_new (w, h)))
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "%s: unsupported or too large image (%d x %d)", path, w, h);
      g_object_unref (pb);
      return NULL;
    }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const guchar *s = px + (size_t)y * stride + (size_t)x * nc;
        float *d = image->pixels + ((size_t)y * w + x) * 3;
        /* Transparent areas are composited over white, as GIMP's
         * checkerboard-free export would flatten them. */
        float a = alpha ? s[3] / 255.0f : 1.0f;
        for (int c = 0; c < 3; c++)
          d[c] = a * (s[c] / 255.0f) + (1.0f - a);
      }
  g_object_unref (pb);
  return image;
}

static gboolean
save_png (const StImage *image, const char *path, GError **error)
{
  int w = image->width, h = image->height;
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  char *tmp;
  gboolean ok;
  if (!pb)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_MEMORY, "out of memory");
      return FALSE;
    }
  guchar *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        px[(size_t)y * stride + (size_t)x * 3 + c] = (guchar)lroundf (
            CLAMP (image->pixels[((size_t)y * w + x) * 3 + c], 0.0f, 1.0f)
            * 255.0f);
  tmp = g_strdup_printf ("%s.tmp-%d", path, (int)getpid ());
  ok = gdk_pixbuf_save (pb, tmp, "png", error, NULL);
  if (!ok)
    g_prefix_error (error, "cannot write %s: ", path);
  if (ok && g_rename (tmp, path) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "cannot write %s: %s", path, g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (tmp);
  g_free (tmp);
  g_object_unref (pb);
  return ok;
}

static gboolean
on_progress (const StProgress *p, gpointer data)
{
  Cli *cli = data;
  gint64 now = g_get_monotonic_time ();
  double left;
  char bar[31];
  int filled;
  if (cli->quiet || p->iteration == 0)
    return TRUE; /* nothing to report before the first iteration */
  if (!cli->tty)
    {
      /* A log, not an animation: one line per scale. */
      if (p->iteration == p->n_iterations)
        fprintf (stderr,
                 "scale %d/%d (%d x %d): %d iterations, loss %.4g (style "
                 "%.4g, content %.4g, smoothness %.4g), %.1f s\n",
                 p->scale, p->n_scales, p->width, p->height, p->iteration,
                 p->loss, p->style_loss, p->content_loss, p->tv_loss,
                 p->elapsed);
      return TRUE;
    }
  if (now - cli->last_draw < 100000 && p->iteration != p->n_iterations)
    return TRUE;
  cli->last_draw = now;
  filled = (int)(p->fraction * 30);
  memset (bar, '#', filled);
  memset (bar + filled, '-', 30 - filled);
  bar[30] = '\0';
  left = p->fraction > 0.01 ? p->elapsed * (1 - p->fraction) / p->fraction : 0;
  fprintf (stderr,
           "\r[%s] %3.0f%%  scale %d/%d  iteration %d/%d  loss %.4g  %s%.0f s "
           "left ",
           bar, p->fraction * 100, p->scale, p->n_scales, p->iteration,
           p->n_iterations, p->loss, p->fraction > 0.01 ? "" : "~", left);
  return TRUE;
}

int
main (int argc, char **argv)
{
  StParams params;
  Cli cli = { 0 };
  GError *error = NULL;
  char *output = NULL, *network_name = NULL, *optimizer = NULL, *pooling = NULL,
       *blend = NULL, *init = NULL;
  int iterations = 0, size = 0, seed = 0, threads = 0, scales = 0;
  double strength = 50, style_weight = -1, content_weight = -1, tv_weight = -1,
         style_scale = 1;
  gboolean preserve = FALSE, match = FALSE, quiet = FALSE;
  GOptionContext *ctx;
  StNetwork *net = NULL;
  StImage *content = NULL, *result = NULL;
  const StImage **styles = NULL;
  double *blend_weights = NULL;
  int n_styles = 0, status = 1;
  StStatus st;

  st_params_init (&params);
  GOptionGroup *group = g_option_group_new ("main", "", "", NULL, NULL);
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Write the result to this PNG file (required)", "OUT.png" },
    { "size", 's', 0, G_OPTION_ARG_INT, &size,
      "Long side of the result in pixels (default: the content's)", "N" },
    { "iterations", 'i', 0, G_OPTION_ARG_INT, &iterations,
      "Iterations at the first scale (default: automatic)", "N" },
    { "strength", 0, 0, G_OPTION_ARG_DOUBLE, &strength,
      "Style against content, 0-100 (default 50)", "P" },
    { "style-weight", 0, 0, G_OPTION_ARG_DOUBLE, &style_weight,
      "Raw style weight (overrides --strength)", "W" },
    { "content-weight", 0, 0, G_OPTION_ARG_DOUBLE, &content_weight,
      "Raw content weight", "W" },
    { "tv-weight", 0, 0, G_OPTION_ARG_DOUBLE, &tv_weight,
      "Total-variation (smoothness) weight", "W" },
    { "style-scale", 0, 0, G_OPTION_ARG_DOUBLE, &style_scale,
      "Size of the style's features relative to the result (default 1)", "F" },
    { "style-blend", 0, 0, G_OPTION_ARG_STRING, &blend,
      "Blend weights of the style images, comma separated", "W1,W2,..." },
    { "preserve-colors", 0, 0, G_OPTION_ARG_NONE, &preserve,
      "Keep the content's colours: transfer luminance only", NULL },
    { "match-colors", 0, 0, G_OPTION_ARG_NONE, &match,
      "Recolour the style to the content's colours first", NULL },
    { "init", 0, 0, G_OPTION_ARG_STRING, &init,
      "Start from the content (default) or from noise", "content|noise" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (default 0)", "N" },
    { "scales", 0, 0, G_OPTION_ARG_INT, &scales,
      "Number of coarse-to-fine scales (default: automatic)", "N" },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &optimizer,
      "lbfgs (default) or adam", "NAME" },
    { "pooling", 0, 0, G_OPTION_ARG_STRING, &pooling,
      "VGG19 pooling: avg (default) or max", "NAME" },
    { "network", 'n', 0, G_OPTION_ARG_STRING, &network_name,
      "embedded, vgg19 or a .safetensors file (default: vgg19 when "
      "installed, else embedded)",
      "NAME" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads,
      "Threads (default: all cores)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress output", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  g_option_group_add_entries (group, entries);
  ctx = g_option_context_new ("CONTENT STYLE [STYLE2 ...]");
  g_option_context_set_main_group (ctx, group);
  g_option_context_set_summary (
      ctx, "Paints CONTENT in the style of STYLE (Gatys et al. style "
           "transfer).");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    goto fail;
  if (argc < 3)
    {
      g_set_error (&error, ST_ERROR, ST_ERROR_INVALID,
                   "need a content image and at least one style image (see "
                   "--help)");
      goto fail;
    }
  if (!output)
    {
      g_set_error (&error, ST_ERROR, ST_ERROR_INVALID,
                   "no output file: add -o OUT.png");
      goto fail;
    }
  params.strength = strength;
  params.style_weight = style_weight;
  params.content_weight = content_weight;
  params.tv_weight = tv_weight;
  params.style_scale = style_scale;
  params.iterations = iterations;
  params.size = size;
  params.seed = (guint32)seed;
  params.threads = threads;
  params.scales = scales;
  params.preserve_colors = preserve;
  params.match_colors = match;
  if (optimizer && g_strcmp0 (optimizer, "lbfgs") != 0)
    {
      if (g_strcmp0 (optimizer, "adam") != 0)
        {
          g_set_error (&error, ST_ERROR, ST_ERROR_INVALID,
                       "--optimizer must be lbfgs or adam");
          goto fail;
        }
      params.optimizer = ST_OPTIMIZER_ADAM;
    }
  if (init && g_strcmp0 (init, "content") != 0)
    {
      if (g_strcmp0 (init, "noise") != 0)
        {
          g_set_error (&error, ST_ERROR, ST_ERROR_INVALID,
                       "--init must be content or noise");
          goto fail;
        }
      params.init = ST_INIT_NOISE;
    }
  if (pooling && g_strcmp0 (pooling, "avg") != 0)
    {
      if (g_strcmp0 (pooling, "max") != 0)
        {
          g_set_error (&error, ST_ERROR, ST_ERROR_INVALID,
                       "--pooling must be avg or max");
          goto fail;
        }
      params.pooling = ST_POOLING_MAX;
    }
  /* Negative or absurd numbers are refused by the engine's validation,
   * which names the parameter; catch them before reading any image. */
  if (iterations < 0 || size < 0 || seed < 0 || threads < 0 || scales < 0)
    {
      g_set_error (&error, ST_ERROR, ST_ERROR_INVALID,
                   "--iterations, --size, --seed, --threads and --scales "
                   "cannot be negative");
      goto fail;
    }
  if (!st_params_validate (&params, &error))
    goto fail;
  {
    /* Find out now, not after minutes of work, that the result cannot be
     * written. */
    char *dir = g_path_get_dirname (output);
    int bad = g_access (dir, W_OK) != 0 ? errno : 0;
    if (!bad && g_file_test (output, G_FILE_TEST_IS_DIR))
      bad = EISDIR;
    g_free (dir);
    if (bad)
      {
        g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (bad),
                     "cannot write %s: %s", output, g_strerror (bad));
        goto fail;
      }
  }

  n_styles = argc - 2;
  if (blend)
    {
      char **parts = g_strsplit (blend, ",", -1);
      if ((int)g_strv_length (parts) != n_styles)
        {
          g_set_error (&error, ST_ERROR, ST_ERROR_INVALID,
                       "--style-blend has %u weights for %d style images",
                       g_strv_length (parts), n_styles);
          g_strfreev (parts);
          goto fail;
        }
      blend_weights = g_new (double, n_styles);
      for (int j = 0; j < n_styles; j++)
        {
          char *end;
          blend_weights[j] = g_ascii_strtod (parts[j], &end);
          if (*end || end == parts[j])
            {
              g_set_error (&error, ST_ERROR, ST_ERROR_INVALID,
                           "--style-blend: \"%s\" is not a number", parts[j]);
              g_strfreev (parts);
              goto fail;
            }
        }
      g_strfreev (parts);
      params.style_blend = blend_weights;
    }

  if (!(content = load_image (argv[1], &error)))
    goto fail;
  styles = g_new0 (const StImage *, n_styles);
  for (int j = 0; j < n_styles; j++)
    if (!(styles[j] = load_image (argv[2 + j], &error)))
      goto fail;
  if (!(net = st_network_open (network_name, NULL, &error)))
    goto fail;

  cli.quiet = quiet;
  cli.tty = isatty (STDERR_FILENO);
  if (!quiet)
    {
      StEstimate est;
      if (st_estimate (net, content->width, content->height, &params, &est,
                       NULL)
          == ST_OK)
        fprintf (stderr,
                 "%s\n%d x %d, %d scale%s, %d iterations; about %.0f MiB and "
                 "%.0f s\n",
                 st_network_describe (net), est.width, est.height, est.n_scales,
                 est.n_scales > 1 ? "s" : "", est.total_iterations,
                 est.peak_bytes / 1048576.0, est.seconds);
    }
  st = st_transfer (net, content, styles, n_styles, &params, on_progress, &cli,
                    &result, &error);
  if (cli.tty && !quiet)
    fputc ('\n', stderr);
  if (st != ST_OK || !save_png (result, output, &error))
    goto fail;
  printf ("%s\n", output);
  status = 0;
  goto done;

fail:
  fprintf (stderr, "style-transfer: %s\n", error ? error->message : "failed");
done:
  g_clear_error (&error);
  st_image_free (result);
  st_image_free (content);
  for (int j = 0; styles && j < n_styles; j++)
    st_image_free ((StImage *)styles[j]);
  g_free (styles);
  g_free (blend_weights);
  st_network_free (net);
  g_free (output);
  g_free (network_name);
  g_free (optimizer);
  g_free (pooling);
  g_free (blend);
  g_free (init);
  g_option_context_free (ctx);
  return status;
}
