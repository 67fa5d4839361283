/* embedded.c - the network built into the engine: no file, no download.
 *
 * It follows a prototype measured on this project: one layer of random
 * filters of 3, 5 and 7 px, applied to every level of a Gaussian-like
 * pyramid.  Random filters already make good texture statistics when there
 * are many of them and they see several scales (Ustyuzhaninov et al. 2017,
 * "What does it take to generate natural textures?"); the pyramid gives a
 * single layer the receptive field that depth gives VGG19.  Zero-mean
 * filters ignore the average brightness; a colour tap (below) gives the
 * style its palette and brightness instead. */
#include "network.h"

#include <math.h>
#include <string.h>

#define ST_EMB_FILTERS 128 /* per size: a Gram of 128 x 128 per level */
/* The finest level (level 0) uses the first 32 filters of each bank.  It
 * has three quarters of the pyramid's pixels, and its cost goes with the
 * filters (the convolutions) and their square (the Gram matrix and its
 * gradient).  64 filters instead of 128 made a pass about 1.5 times
 * faster with the same look; 32 save another quarter of a pass (user time
 * at 288 px, 1 thread: 7.2-8.2 s against 9.7-11.8 s).  At 384 px the look
 * did not change: Tübingen x Starry Night grid 7.2 against 6.6, edges
 * kept 0.80 and 0.80, border 0.88 against 0.84; x The Scream 4.0 / 0.87 /
 * 0.80 against 3.9 / 0.85 / 0.81; side by side at 200 % the same strokes.
 * The finest strokes are 3-7 px wide: a 3 x 3 x 3 patch has 27
 * dimensions, and the larger patches' coarse part is level 1's. */
#define ST_EMB_FINE_FILTERS 32
#define ST_EMB_SEED 0x5eed2015u /* fixed: the network must never change    */
/* The pyramid stops when the short side would drop below this: the
 * coarsest level stays 16-32 px, the scale of a painting's big strokes at
 * 1/16 of a 256-512 px image. */
#define ST_EMB_COARSEST 16
/* ... or after five levels: the coarsest level is then 1/16 of the image
 * at any size, as at 384 px, so a large result has the layout of a small
 * one with finer strokes (issue 18).  With up to eight, a 1920 px scale
 * also matched the painting's statistics at 1/32 and 1/64 of the image,
 * where they are its composition, not its strokes: they fought the
 * photo's layout, and the scale before the last ended above the one
 * before it.  Measured on 1920 px photos x Starry Night (edges kept,
 * layout, grid, the last two scales' total loss), eight levels then
 * five: Tübingen 0.754 / 0.696 / 11.2, 1.73 and 3.58, then 0.785 /
 * 0.711 / 10.2, 1.39 and 3.21; the forest path 0.439 / 0.420 / 16.6
 * (the trunks' period) then 0.467 / 0.439 / 16.4; the moss 0.830 /
 * 0.636 / 6.8 then 0.832 / 0.652 / 7.0; the same strokes at 100 %.
 * Up to a short side of 480 px nothing changes. */
#define ST_EMB_MAX_LEVELS 5
/* The content term compares the first 32 of each bank's 128 filters: a
 * 3 x 3 x 3 patch has only 27 dimensions, so 32 random projections already
 * pin its structure down, and the content targets (kept at full size for
 * the whole run) take a quarter of the memory. */
#define ST_EMB_CONTENT_CHANNELS 32
/* The content term sits on levels 1-3 (1/2 to 1/8 of the image; VGG19's
 * conv4_2 sees 1/8), not on the finest one (issue 14, "paints, not
 * tints").  Content on level 0 pinned the photo's fine detail, so the style
 * could only add grain and a tint; with level 0 free the painting's
 * strokes replace the photo's texture while levels 1-3 keep its layout and
 * its buildings.  A one-level pyramid (under 32 px) keeps level 0. */
#define ST_EMB_CONTENT_FIRST 1
#define ST_EMB_CONTENT_LEVELS 3
/* ... and on no level whose long side is over this (the three levels move
 * down while the last one exists): the photo's drawing as a 1920-2560 px
 * result's level 1 sees it, at every larger size and at every scale of
 * one.  Else a large result's last scale starts by pulling the strokes
 * the scale before painted freely (its level 0) back towards the photo's
 * finer detail: friends, 2056 x 3088, content 2.81 -> 3.99 at the last
 * scale (2.81 -> 2.78 now), the 12-megapixel sunset 2.39 -> 2.53 (2.32
 * now); the same pictures at 100 %, 50-100 MiB less. */
#define ST_EMB_CONTENT_SIDE 1280
/* The colour tap's share of the style term (each filter bank of each level
 * has 1): see the colour tap below. */
#define ST_EMB_COLOUR_SHARE 2.0

static const int emb_sizes[] = { 3, 5, 7 };

/* The colour tap: a 1 x 1 convolution of the image to (R, G, B, 1).  Its
 * Gram matrix holds the mean colour (the last row) and the colours' second
 * moments, so matching it matches the painting's mean colour, brightness
 * and colour spread, which zero-mean filters cannot see (The Scream used to
 * come out an orange grade with the photo's brightness).  Pixels stay in
 * [0, 1] (the range penalty), where the ReLU changes nothing. */
static const float emb_colour_weight[4 * 3]
    = { 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0 };
static const float emb_colour_bias[4] = { 0, 0, 0, 1 };
G_STATIC_ASSERT (G_N_ELEMENTS (emb_sizes) <= ST_EMB_MAX_SIZES);

/* n_filters random filters of 3 x k x k: zero mean, so that flat colour
 * gives no response and the features describe structure and colour
 * contrast, not brightness; unit length, so that every filter weighs the
 * same in the Gram. */
static void
random_filters (StRng *rng, int k, float *f)
{
  int len = 3 * k * k;
  for (int o = 0; o < ST_EMB_FILTERS; o++)
    {
      float *fo = f + (size_t)o * len;
      double mean = 0.0, norm = 0.0;
      for (int i = 0; i < len; i++)
        mean += (fo[i] = (float)st_rng_normal (rng));
      mean /= len;
      for (int i = 0; i < len; i++)
        {
          fo[i] -= (float)mean;
          norm += (double)fo[i] * fo[i];
        }
      for (int i = 0; i < len; i++)
        fo[i] = (float)(fo[i] / sqrt (norm));
    }
}

StNetwork *
st_network_new_embedded (void)
{
  StNetwork *net = g_try_new0 (StNetwork, 1);
  StRng rng;
  if (!net)
    return NULL;
  net->kind = ST_NETWORK_KIND_EMBEDDED;
  net->description = g_strdup (
      "embedded network (random filters on an image pyramid, no file)");
  net->n_sizes = G_N_ELEMENTS (emb_sizes);
  st_rng_init (&rng, ST_EMB_SEED);
  for (int s = 0; s < net->n_sizes; s++)
    {
      int k = emb_sizes[s];
      net->sizes[s] = k;
      net->filters[s] = st_floats_new ((size_t)ST_EMB_FILTERS * 3 * k * k);
      if (!net->filters[s])
        {
          st_embedded_free (net);
          g_free (net->description);
          g_free (net);
          return NULL;
        }
      random_filters (&rng, k, net->filters[s]);
    }
  return net;
}

void
st_embedded_free (StNetwork *net)
{
  for (int s = 0; s < net->n_sizes; s++)
    g_free (net->filters[s]);
}

int
st_embedded_levels (int w, int h)
{
  int s = MIN (w, h), levels = 1;
  while ((s + 1) / 2 >= ST_EMB_COARSEST && levels < ST_EMB_MAX_LEVELS)
    {
      s = (s + 1) / 2;
      levels++;
    }
  return levels;
}

gboolean
st_embedded_build (const StNetwork *net, int w, int h, StPooling pooling,
                   int levels, StGraph *g)
{
  int level_node = -1; /* the image */
  int lw = w, lh = h;
  (void)pooling; /* no pooling: a blurred pyramid */
  if (levels <= 0)
    levels = st_embedded_levels (w, h);
  int first = ST_EMB_CONTENT_FIRST, side = MAX (w, h);
  for (int l = 0; l < first; l++)
    side = (side + 1) / 2;
  while (side > ST_EMB_CONTENT_SIDE && first + ST_EMB_CONTENT_LEVELS < levels)
    {
      side = (side + 1) / 2;
      first++;
    }
  for (int l = 0; l < levels; l++)
    {
      if (l > 0)
        {
          StNode *down = st_graph_add (g, ST_OP_BLURDOWN, level_node);
          if (!down)
            return FALSE;
          if (level_node < 0)
            down->c = 3;
          lw = (lw + 1) / 2;
          lh = (lh + 1) / 2;
          down->w = lw;
          down->h = lh;
          level_node = g->n - 1;
        }
      for (int s = 0; s < net->n_sizes; s++)
        {
          StNode *conv = st_graph_add (g, ST_OP_CONV, level_node);
          if (!conv)
            return FALSE;
          conv->cin = 3;
          conv->c = l == 0 && levels > 1 ? ST_EMB_FINE_FILTERS : ST_EMB_FILTERS;
          conv->k = net->sizes[s];
          conv->pad = ST_PAD_SYMMETRIC;
          conv->weight = net->filters[s];
          conv->w = lw;
          conv->h = lh;
          g_snprintf (conv->name, sizeof conv->name, "L%dk%d", l,
                      net->sizes[s]);
          conv->style = TRUE;
          conv->level = l;
          /* the photo's shapes and layout, not its finest texture */
          conv->content = levels == 1
                          || (l >= first && l < first + ST_EMB_CONTENT_LEVELS);
          conv->content_c = ST_EMB_CONTENT_CHANNELS;
        }
    }
  {
    StNode *colour = st_graph_add (g, ST_OP_CONV, -1);
    if (!colour)
      return FALSE;
    colour->cin = 3;
    colour->c = 4;
    colour->k = 1;
    colour->pad = ST_PAD_SYMMETRIC;
    colour->weight = emb_colour_weight;
    colour->bias = emb_colour_bias;
    colour->w = w;
    colour->h = h;
    g_strlcpy (colour->name, "colour", sizeof colour->name);
    colour->style = TRUE;
    colour->style_share = ST_EMB_COLOUR_SHARE;
  }
  return TRUE;
}
