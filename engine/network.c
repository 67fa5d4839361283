/* network.c - the one table of what tells the kinds of network apart,
 * opening a network by the name a user gives, and what every network
 * answers: its kind and its description.  The networks themselves are in
 * embedded.c and vgg19.c, their graphs run in graph.c. */
#include "network.h"

#include <string.h>

static int
no_pyramid (int w, int h)
{
  (void)w;
  (void)h;
  return 0;
}

/* Both networks' loss weights are relative errors: style terms start near
 * 1, content near 0.  2000 (found on Tübingen + Starry Night with the
 * embedded network, see README) gives the painting's palette and strokes
 * with the buildings still sharp; VGG19's style layers are fewer (5) and
 * deeper, and the same balance holds.
 *
 * The embedded network's pass costs less per pixel at large sizes than
 * at the calibration's 192 x 128 (rows of tiles shared between threads
 * balance better, and the per-pass work that does not grow with the
 * pixels weighs less): its seconds per pixel at a scale of P pixels are
 * the calibration's times (P / 24576)^-0.05.  Fitted on a quiet 2-core
 * Xeon (2 threads, default settings, Tübingen x Starry Night; with an
 * iteration counted as 1.05 passes, estimate.c): at 384, 768 and 1920 px
 * the runs took 14.4, 37.6 and 106.8 s, and with the power 0.09 and 1.3
 * passes per iteration the estimates were 1.26-1.46, 1.09 and 1.04 of
 * that.
 *
 * VGG19's calibration pass at 192 x 128 spends about a third of its time
 * on work that does not grow in step with the pixels (most likely the
 * deep layers on maps of 24 x 16 and 12 x 8, where Winograd's 4 x 4 tiles
 * and each product's set-up weigh most), so a large pass costs about two
 * thirds of it per pixel: its seconds per pixel at P pixels are the
 * calibration's times (0.69 + 0.31 x 24576 / P).  Measured on a quiet
 * 2-core Xeon (random weights, 2 threads, Tübingen x Starry Night, 1920 x
 * 1080): the calibration said 8.9 us per pixel, the scales' passes cost
 * 8.1, 6.3, 5.9 and 6.2 us at 240, 480, 960 and 1920 px, and the plan,
 * 700 s, was 1.42 times the run's 492.6 s.  With the fixed share the
 * estimates were 0.83, 1.01 and 0.96 of runs of 84, 173 and 472 s at
 * 384, 768 and 1920 px (tests/bench/README.md, eleventh round). */
static const StNetworkClass classes[] = {
  [ST_NETWORK_KIND_EMBEDDED] = {
    .name = "embedded",
    .min_side = 1,
    .style_weight = 2000.0, .content_weight = 1.0,
    .tv_weight = ST_DEFAULT_TV_WEIGHT,
    .iterations = 200,
    .size_efficiency_power = 0.05,
    .build = st_embedded_build,
    .style_levels = st_embedded_levels,
    .free_weights = st_embedded_free,
  },
  [ST_NETWORK_KIND_VGG19] = {
    .name = "vgg19",
    .min_side = 16, /* it halves the image four times before conv5_1 */
    .style_weight = 2000.0, .content_weight = 1.0,
    .tv_weight = ST_DEFAULT_TV_WEIGHT,
    .iterations = 300,
    .size_efficiency_power = 0.0,
    .fixed_fraction = 0.31,
    .build = st_vgg19_build,
    .style_levels = no_pyramid,
    .free_weights = st_vgg19_free,
  },
};

const StNetworkClass *
st_network_class (const StNetwork *network)
{
  return &classes[network->kind];
}

void
st_network_free (StNetwork *network)
{
  if (!network)
    return;
  classes[network->kind].free_weights (network);
  g_free (network->description);
  g_free (network);
}

StNetworkKind
st_network_kind (const StNetwork *network)
{
  return network->kind;
}

const char *
st_network_kind_name (StNetworkKind kind)
{
  return classes[kind].name;
}

int
st_network_kind_iterations (StNetworkKind kind)
{
  return classes[kind].iterations;
}

const char *
st_network_describe (const StNetwork *network)
{
  return network->description;
}

StNetworkChoice
st_network_choice (const char *name)
{
  if (name == NULL || name[0] == '\0')
    return ST_NETWORK_BEST;
  if (g_ascii_strcasecmp (name, classes[ST_NETWORK_KIND_EMBEDDED].name) == 0)
    return ST_NETWORK_EMBEDDED;
  if (g_ascii_strcasecmp (name, classes[ST_NETWORK_KIND_VGG19].name) == 0)
    return ST_NETWORK_VGG19;
  return ST_NETWORK_FILE;
}

static StNetwork *
new_embedded (GError **error)
{
  StNetwork *net = st_network_new_embedded ();
  if (!net)
    g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                 "out of memory for the embedded network");
  return net;
}

StNetwork *
st_network_open (const char *name, const char *extra_dir, GError **error)
{
  char *path;
  StNetwork *net;
  if (st_network_choice (name) == ST_NETWORK_BEST)
    {
      path = st_network_find_vgg19 (extra_dir);
      if (!path)
        return new_embedded (error);
      net = st_network_load_vgg19 (path, error);
      g_free (path);
      return net;
    }
  if (st_network_choice (name) == ST_NETWORK_EMBEDDED)
    return new_embedded (error);
  if (st_network_choice (name) == ST_NETWORK_VGG19)
    {
      path = st_network_find_vgg19 (extra_dir);
      if (!path)
        {
          g_set_error (error, ST_ERROR, ST_ERROR_NOT_FOUND,
                       "VGG19 weights are not installed; install them with "
                       "\"%s\", or use the embedded network",
                       st_network_install_hint ());
          return NULL;
        }
      net = st_network_load_vgg19 (path, error);
      g_free (path);
      return net;
    }
  if (!g_file_test (name, G_FILE_TEST_EXISTS)
      && (strchr (name, G_DIR_SEPARATOR)
          || g_str_has_suffix (name, ".safetensors")))
    {
      g_set_error (error, ST_ERROR, ST_ERROR_NOT_FOUND,
                   "%s: no such network file", name);
      return NULL;
    }
  if (!g_file_test (name, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ST_ERROR, ST_ERROR_NOT_FOUND,
                   "unknown network \"%s\": use \"embedded\", \"vgg19\" or "
                   "the path of a .safetensors file",
                   name);
      return NULL;
    }
  return st_network_load_vgg19 (name, error);
}
