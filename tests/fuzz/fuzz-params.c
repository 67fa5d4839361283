/* fuzz-params.c - parameter validation, the estimate and a tiny transfer
 * with the embedded network, on any StParams and any image sizes.
 *
 * Everything is passed to st_params_validate and st_estimate as the
 * fuzzer made it (sizes up to INT_MAX, NaN, Inf, out-of-range enums):
 * both must answer without crashing and without allocating the request.
 * Only then, for st_transfer, does the harness clamp what is legitimately
 * expensive - the images' sizes, the result's size, the iterations, the
 * scales, a style scale above 2 - so that one input costs milliseconds;
 * everything else (weights, history, optimizer, seeds, blends, budget)
 * goes in unchanged.  Contract checked: ST_OK gives an image of the estimated
 * size with finite pixels in [0,1]; anything else gives no image and a
 * one-line message; the caller's images are not changed. */
#include "internal.h"
#include "fuzz-input.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_SIDE 40 /* content and result, for the transfer */
#define MAX_STYLE_SIDE 40
#define MAX_ITERATIONS 3
#define MAX_SCALES 3
#define MAX_STYLE_SCALE 2.0

static StNetwork *net;
static StContext *engine; /* the harness's, as a front end's */

static StImage *
make_image (FuzzInput *in, int w, int h)
{
  StImage *image = g_new0 (StImage, 1);
  size_t n = (size_t)w * h * 3;
  int pattern = fuzz_range (in, 0, 3);
  image->width = w;
  image->height = h;
  image->pixels = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    switch (pattern)
      {
      case 0: /* flat */
        image->pixels[i] = 0.5f;
        break;
      case 1: /* stripes */
        image->pixels[i] = (float)((i / 3 + i % 3) % 5) / 4.0f;
        break;
      default: /* from the input, some out of [0,1] */
        image->pixels[i] = (float)fuzz_bits (in, 1) / 200.0f;
        break;
      }
  if (fuzz_range (in, 0, 15) == 15) /* a pixel that is not a number */
    image->pixels[fuzz_range (in, 0, (int)n - 1)]
        = fuzz_bool (in) ? NAN : INFINITY;
  return image;
}

static void
free_image (StImage *image)
{
  if (image)
    g_free (image->pixels);
  g_free (image);
}

static gboolean
one_line (const GError *error)
{
  return error && error->message && *error->message
         && !strchr (error->message, '\n');
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzInput in = { data, size };
  StParams p;
  StEstimate e;
  GError *error = NULL;
  StImage *content, *styles[3] = { NULL, NULL, NULL }, *result = NULL;
  StImage *content_copy;
  double blend[3];
  int cw, ch, n_styles;
  StStatus st;

  /* The estimate's timing pass is the same for every input (a fixed
   * size), and under the sanitizers each (pooling, threads) pair's took
   * 5-10 s: slow units, and near libFuzzer's 20 s timeout on a busy
   * machine.  Its guess instead; the plan's arithmetic is what is fuzzed. */
  if (!net)
    {
      g_setenv ("ST_NO_CALIBRATION", "1", FALSE);
      net = st_network_new_embedded ();
    }
  if (!engine)
    engine = st_context_new (0);

  st_params_init (&p);
  p.strength = fuzz_double (&in);
  p.style_weight = fuzz_double (&in);
  p.content_weight = fuzz_double (&in);
  p.tv_weight = fuzz_double (&in);
  p.iterations = fuzz_int (&in);
  p.size = fuzz_int (&in);
  p.start_size = fuzz_int (&in);
  p.scales = fuzz_int (&in);
  p.style_scale = fuzz_double (&in);
  p.init = (StInit)fuzz_int (&in);
  p.seed = (guint32)fuzz_bits (&in, 4);
  p.preserve_colors = fuzz_bool (&in);
  p.match_colors = fuzz_bool (&in);
  p.pooling = (StPooling)fuzz_int (&in);
  p.optimizer = (StOptimizer)fuzz_int (&in);
  p.history = fuzz_int (&in);
  p.learning_rate = fuzz_double (&in);
  p.threads = fuzz_int (&in);
  p.want_preview = fuzz_bool (&in);
  p.memory_budget = fuzz_bool (&in) ? (size_t)fuzz_bits (&in, 8) : 0;
  cw = fuzz_int (&in);
  ch = fuzz_int (&in);

  /* Validation and the estimate: any values at all. */
  if (st_params_validate (&p, &error))
    {
      if (error)
        abort ();
    }
  else if (!one_line (error))
    abort ();
  g_clear_error (&error);
  st = st_estimate (engine, net, cw, ch, &p, &e, &error);
  if (st == ST_OK)
    {
      if (error || e.width <= 0 || e.height <= 0 || e.n_scales <= 0
          || e.peak_bytes == 0 || !(e.seconds >= 0))
        abort ();
    }
  else if (!one_line (error))
    abort ();
  g_clear_error (&error);

  /* The transfer: bounded work, everything else as given. */
  if (p.threads > 2 || p.threads < 0)
    p.threads = fuzz_range (&in, 0, 2);
  if (p.iterations > MAX_ITERATIONS)
    p.iterations = fuzz_range (&in, 1, MAX_ITERATIONS);
  if (p.iterations == 0)
    p.iterations = 1; /* automatic would be the network's default: 100s */
  if (p.size > MAX_SIDE)
    p.size = fuzz_range (&in, 12, MAX_SIDE);
  if (p.start_size > MAX_SIDE)
    p.start_size = fuzz_range (&in, 1, MAX_SIDE);
  if (p.style_scale > MAX_STYLE_SCALE) /* the style pass is side x scale */
    p.style_scale = fuzz_range (&in, 5, 20) / 10.0;
  if (p.scales > MAX_SCALES)
    p.scales = fuzz_range (&in, 1, MAX_SCALES);
  cw = fuzz_range (&in, 1, MAX_SIDE);
  ch = fuzz_range (&in, 1, MAX_SIDE);
  content = make_image (&in, cw, ch);
  content_copy = st_image_copy (content);
  n_styles = fuzz_range (&in, 1, 3);
  for (int j = 0; j < n_styles; j++)
    {
      styles[j] = make_image (&in, fuzz_range (&in, 1, MAX_STYLE_SIDE),
                              fuzz_range (&in, 1, MAX_STYLE_SIDE));
      blend[j] = fuzz_double (&in);
    }
  p.style_blend = fuzz_bool (&in) ? blend : NULL;

  st = st_transfer (engine, net, content, (const StImage *const *)styles,
                    n_styles, &p, NULL, NULL, NULL, &result, &error);
  if (getenv ("FUZZ_VERBOSE")) /* what the inputs reach, for people */
    fprintf (stderr, "transfer %d x %d: status %d%s%s\n", cw, ch, st,
             error ? ": " : "", error ? error->message : "");
  if (st == ST_OK)
    {
      size_t n;
      if (error || !result || result->width <= 0 || result->height <= 0)
        abort ();
      n = (size_t)result->width * result->height * 3;
      for (size_t i = 0; i < n; i++)
        if (!(result->pixels[i] >= 0.0f && result->pixels[i] <= 1.0f))
          abort ();
    }
  else if (result || !one_line (error))
    abort ();
  if (content_copy
      && memcmp (content->pixels, content_copy->pixels,
                 (size_t)cw * ch * 3 * sizeof (float))
             != 0
      && !isnan (content->pixels[0]))
    abort (); /* the caller's image was changed */
  g_clear_error (&error);
  st_image_free (result);
  st_image_free (content_copy);
  free_image (content);
  for (int j = 0; j < n_styles; j++)
    free_image (styles[j]);
  return 0;
}
