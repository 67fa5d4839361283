/* network.c - the two networks, as graphs of layers, and their evaluation.
 *
 * The embedded network needs no file.  It follows a prototype measured on
 * this project: one layer of random filters of 3, 5 and 7 px, applied to
 * every level of a Gaussian-like pyramid.  Random filters already make
 * good texture statistics when there are many of them and they see several
 * scales (Ustyuzhaninov et al. 2017, "What does it take to generate
 * natural textures?"); the pyramid gives a single layer the receptive
 * field that depth gives VGG19, and zero-mean filters ignore the average
 * brightness, which the content term keeps anyway.
 *
 * VGG19 follows Gatys et al.: content conv4_2, style conv1_1 ... conv5_1,
 * after ReLU; the graph stops at the deepest layer in use (conv5_1). */
#include "network.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------- embedded network */

#define ST_EMB_FILTERS 128 /* per size: a Gram of 128 x 128 per level     */
#define ST_EMB_SEED 0x5eed2015u /* fixed: the network must never change */
#define ST_EMB_COARSEST                                                        \
  16 /* the pyramid stops when the short side would                            \
        drop below this: the coarsest level stays                              \
        16-32 px, the scale of a painting's big                                \
        strokes at 1/16 of a 256-512 px image */
#define ST_EMB_MAX_LEVELS 8
/* The content term compares the first 32 of each bank's 128 filters: a
 * 3 x 3 x 3 patch has only 27 dimensions, so 32 random projections already
 * pin its structure down, and the content targets (kept at full size for
 * the whole run) take a quarter of the memory: 120 instead of 480 MiB at
 * 512 px. */
#define ST_EMB_CONTENT_CHANNELS 32

static const int emb_sizes[] = { 3, 5, 7 };

StNetwork *
st_network_new_embedded (void)
{
  StNetwork *net = g_new0 (StNetwork, 1);
  StRng rng;
  net->kind = g_strdup ("embedded");
  net->description = g_strdup (
      "embedded network (random filters on an image pyramid, no file)");
  net->n_sizes = G_N_ELEMENTS (emb_sizes);
  st_rng_init (&rng, ST_EMB_SEED);
  for (int s = 0; s < net->n_sizes; s++)
    {
      int k = emb_sizes[s], len = 3 * k * k;
      float *f = g_new (float, (size_t)ST_EMB_FILTERS *len);
      net->sizes[s] = k;
      net->filters[s] = f;
      for (int o = 0; o < ST_EMB_FILTERS; o++)
        {
          float *fo = f + (size_t)o * len;
          double mean = 0.0, norm = 0.0;
          for (int i = 0; i < len; i++)
            mean += (fo[i] = (float)st_rng_normal (&rng));
          mean /= len;
          /* Zero mean: flat colour gives no response, so the features
           * describe structure and colour contrast, not brightness. */
          for (int i = 0; i < len; i++)
            {
              fo[i] -= (float)mean;
              norm += (double)fo[i] * fo[i];
            }
          /* Unit length: every filter weighs the same in the Gram. */
          for (int i = 0; i < len; i++)
            fo[i] = (float)(fo[i] / sqrt (norm));
        }
    }
  /* Weights found on tubingen + Starry Night (see README): style terms
   * are relative errors that start near 1, content relative errors near
   * 0; 2000 gives the painting's palette and strokes with the buildings
   * still sharp. */
  net->style_weight = 2000.0;
  net->content_weight = 1.0;
  net->tv_weight = ST_DEFAULT_TV_WEIGHT;
  net->default_iterations = 200;
  return net;
}

/* ------------------------------------------------------------- VGG19 */

/* conv index -> name; pools follow conv1_2, conv2_2, conv3_4, conv4_4 */
static const char *vgg_names[ST_VGG19_N_CONV]
    = { "conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2",
        "conv3_3", "conv3_4", "conv4_1", "conv4_2", "conv4_3", "conv4_4",
        "conv5_1", "conv5_2", "conv5_3", "conv5_4" };
#define VGG_DEEPEST 12 /* conv5_1 */

static gboolean
vgg_pool_after (int i)
{
  return i == 1 || i == 3 || i == 7 || i == 11;
}

StNetwork *
st_network_load_vgg19 (const char *path, GError **error)
{
  StVgg19Weights *w = st_vgg19_weights_load (path, error);
  StNetwork *net;
  if (!w)
    return NULL;
  net = g_new0 (StNetwork, 1);
  net->kind = g_strdup ("vgg19");
  net->vgg = w;
  net->description = g_strdup_printf (
      "VGG19 (%s, %s preprocessing)", path,
      w->preprocess == ST_PREPROCESS_CAFFE ? "caffe" : "torch");
  /* Same relative loss terms as the embedded network; VGG19's style
   * layers are fewer (5) and deeper, and the same balance holds. */
  net->style_weight = 2000.0;
  net->content_weight = 1.0;
  net->tv_weight = ST_DEFAULT_TV_WEIGHT;
  net->default_iterations = 300;
  return net;
}

void
st_network_free (StNetwork *network)
{
  if (!network)
    return;
  for (int s = 0; s < network->n_sizes; s++)
    g_free (network->filters[s]);
  if (network->vgg)
    st_vgg19_weights_free (network->vgg);
  g_free (network->kind);
  g_free (network->description);
  g_free (network);
}

const char *
st_network_kind (const StNetwork *network)
{
  return network->kind;
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
  if (g_ascii_strcasecmp (name, "embedded") == 0)
    return ST_NETWORK_EMBEDDED;
  if (g_ascii_strcasecmp (name, "vgg19") == 0)
    return ST_NETWORK_VGG19;
  return ST_NETWORK_FILE;
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
        return st_network_new_embedded ();
      net = st_network_load_vgg19 (path, error);
      g_free (path);
      return net;
    }
  if (st_network_choice (name) == ST_NETWORK_EMBEDDED)
    return st_network_new_embedded ();
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

/* ------------------------------------------------------------ graphs */

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

int
st_graph_min_side (const StNetwork *network)
{
  /* VGG19 halves the image four times before conv5_1. */
  return network->vgg ? 16 : 1;
}

static StNode *
graph_add (StGraph *g, StOp op, int input)
{
  StNode *node;
  g->nodes = g_renew (StNode, g->nodes, g->n + 1);
  node = &g->nodes[g->n++];
  memset (node, 0, sizeof *node);
  node->op = op;
  node->input = input;
  node->last_use = -1;
  node->tap_weight = 1.0;
  if (input >= 0)
    {
      node->c = g->nodes[input].c;
      node->h = g->nodes[input].h;
      node->w = g->nodes[input].w;
    }
  return node;
}

static void
graph_set_conv (StNode *node, int cin, int cout, int k, StPad pad,
                const float *weight, const float *bias)
{
  node->cin = cin;
  node->c = cout;
  node->k = k;
  node->pad = pad;
  node->weight = weight;
  node->bias = bias;
}

static void
build_embedded (const StNetwork *net, int w, int h, int levels, StGraph *g)
{
  int level_node = -1; /* the image */
  int lw = w, lh = h;
  for (int l = 0; l < levels; l++)
    {
      if (l > 0)
        {
          StNode *down = graph_add (g, ST_OP_BLURDOWN, level_node);
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
          StNode *conv = graph_add (g, ST_OP_CONV, level_node);
          graph_set_conv (conv, 3, ST_EMB_FILTERS, net->sizes[s],
                          ST_PAD_REFLECT, net->filters[s], NULL);
          conv->w = lw;
          conv->h = lh;
          g_snprintf (conv->name, sizeof conv->name, "L%dk%d", l,
                      net->sizes[s]);
          conv->style = TRUE;
          /* Content at the two finest levels: edges and shapes, not the
           * coarse colour layout the style is allowed to change. */
          conv->content = l < 2;
          conv->content_c = ST_EMB_CONTENT_CHANNELS;
        }
    }
}

static void
build_vgg (const StNetwork *net, int w, int h, StPooling pooling, StGraph *g)
{
  const StVgg19Weights *vw = net->vgg;
  StNode *pre = graph_add (g, ST_OP_PREPROCESS, -1);
  static const float torch_mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float torch_std[3] = { 0.229f, 0.224f, 0.225f };
  static const float caffe_mean_bgr[3] = { 103.939f, 116.779f, 123.68f };
  int prev = 0;

  pre->c = 3;
  pre->h = h;
  pre->w = w;
  for (int o = 0; o < 3; o++)
    {
      if (vw->preprocess == ST_PREPROCESS_CAFFE)
        {
          pre->perm[o] = 2 - o; /* RGB -> BGR */
          pre->scale[o] = 255.0f;
          pre->shift[o] = -caffe_mean_bgr[o];
        }
      else
        {
          pre->perm[o] = o;
          pre->scale[o] = 1.0f / torch_std[o];
          pre->shift[o] = -torch_mean[o] / torch_std[o];
        }
    }
  for (int i = 0; i <= VGG_DEEPEST; i++)
    {
      StNode *conv = graph_add (g, ST_OP_CONV, prev);
      graph_set_conv (conv, vw->c_in[i], vw->c_out[i], 3, ST_PAD_ZERO,
                      vw->weight[i], vw->bias[i]);
      g_strlcpy (conv->name, vgg_names[i], sizeof conv->name);
      conv->style = i == 0 || i == 2 || i == 4 || i == 8 || i == 12;
      conv->content = i == 9; /* conv4_2 */
      prev = g->n - 1;
      if (vgg_pool_after (i) && i < VGG_DEEPEST)
        {
          StNode *pool = graph_add (
              g, pooling == ST_POOLING_MAX ? ST_OP_MAXPOOL : ST_OP_AVGPOOL,
              prev);
          pool->h /= 2;
          pool->w /= 2;
          prev = g->n - 1;
        }
    }
}

gboolean
st_graph_build (const StNetwork *network, int w, int h, StPooling pooling,
                int levels, StGraph *graph, GError **error)
{
  int min_side = st_graph_min_side (network);
  memset (graph, 0, sizeof *graph);
  if (w < min_side || h < min_side)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "a %d x %d image is too small for %s (at least %d x %d "
                   "pixels)",
                   w, h, network->kind, min_side, min_side);
      return FALSE;
    }
  if (network->vgg)
    build_vgg (network, w, h, pooling, graph);
  else
    build_embedded (network, w, h,
                    levels > 0 ? levels : st_embedded_levels (w, h), graph);
  for (int i = 0; i < graph->n; i++)
    {
      StNode *node = &graph->nodes[i];
      if (node->input >= 0)
        graph->nodes[node->input].last_use = i;
      graph->n_style += node->style;
      graph->n_content += node->content;
      graph->style_sum += node->style ? node->tap_weight : 0.0;
      graph->content_sum += node->content ? node->tap_weight : 0.0;
    }
  return TRUE;
}

void
st_graph_clear (StGraph *graph)
{
  g_free (graph->nodes);
  memset (graph, 0, sizeof *graph);
}

/* -------------------------------------------------------- evaluation */

static size_t
node_size (const StNode *node)
{
  return (size_t)node->c * node->h * node->w;
}

size_t
st_node_content_size (const StNode *node)
{
  int c = node->content_c > 0 ? MIN (node->content_c, node->c) : node->c;
  return (size_t)c * node->h * node->w;
}

typedef struct
{
  const StGraph *g;
  int img_h, img_w;
  StPool *pool;    /* where buffers come from; NULL = malloc     */
  float **outs;    /* (n) forward outputs, freed after last use  */
  float **grads;   /* (n) gradients wrt outputs                  */
  uint8_t **masks; /* (n) ReLU masks / max-pool argmax           */
} Eval;

static void
eval_input_shape (const Eval *e, const StNode *node, int *c, int *h, int *w)
{
  if (node->input >= 0)
    {
      const StNode *in = &e->g->nodes[node->input];
      *c = in->c, *h = in->h, *w = in->w;
    }
  else
    *c = 3, *h = e->img_h, *w = e->img_w;
}

static gboolean
forward_node (Eval *e, int i, const float *image)
{
  const StNode *node = &e->g->nodes[i];
  const float *in = node->input >= 0 ? e->outs[node->input] : image;
  int c, h, w;
  float *out = st_pool_get (e->pool, node_size (node) * sizeof (float), FALSE);
  eval_input_shape (e, node, &c, &h, &w);
  if (!out)
    return FALSE;
  e->outs[i] = out;
  switch (node->op)
    {
    case ST_OP_PREPROCESS:
      for (int o = 0; o < 3; o++)
        {
          const float *src = in + (size_t)node->perm[o] * h * w;
          float *dst = out + (size_t)o * h * w;
          for (size_t p = 0; p < (size_t)h * w; p++)
            dst[p] = src[p] * node->scale[o] + node->shift[o];
        }
      break;
    case ST_OP_CONV:
      {
        size_t sc = st_conv_scratch_floats (node->cin, node->k, h, w);
        float *scratch = st_pool_get (e->pool, sc * sizeof (float), FALSE);
        gboolean ok;
        if (!(e->masks[i] = st_pool_get (e->pool, node_size (node), FALSE))
            || (sc && !scratch))
          {
            st_pool_put (e->pool, scratch);
            return FALSE;
          }
        ok = st_conv_forward (in, node->cin, h, w, node->weight, node->bias,
                              node->c, node->k, node->pad, out, e->masks[i],
                              scratch);
        st_pool_put (e->pool, scratch);
        return ok;
      }
    case ST_OP_MAXPOOL:
      if (!(e->masks[i] = st_pool_get (e->pool, node_size (node), FALSE)))
        return FALSE;
      st_maxpool_forward (in, c, h, w, out, e->masks[i]);
      break;
    case ST_OP_AVGPOOL:
      st_avgpool_forward (in, c, h, w, out);
      break;
    case ST_OP_BLURDOWN:
      st_blurdown_forward (in, c, h, w, out);
      break;
    }
  return TRUE;
}

/* grads[input] (or grad_image) += d(node)/d(input)^T grads[i]; frees the
 * node's gradient and mask. */
static gboolean
backward_node (Eval *e, int i, float *grad_image)
{
  const StNode *node = &e->g->nodes[i];
  float *g = e->grads[i];
  float *gin;
  int c, h, w;
  gboolean ok = TRUE;

  eval_input_shape (e, node, &c, &h, &w);
  if (node->input >= 0)
    {
      if (!e->grads[node->input]
          && !(e->grads[node->input] = st_pool_get (
                   e->pool,
                   node_size (&e->g->nodes[node->input]) * sizeof (float),
                   TRUE)))
        return FALSE;
      gin = e->grads[node->input];
    }
  else
    gin = grad_image;

  if (gin)
    switch (node->op)
      {
      case ST_OP_PREPROCESS:
        for (int o = 0; o < 3; o++)
          {
            float *dst = gin + (size_t)node->perm[o] * h * w;
            const float *src = g + (size_t)o * h * w;
            for (size_t p = 0; p < (size_t)h * w; p++)
              dst[p] += src[p] * node->scale[o];
          }
        break;
      case ST_OP_CONV:
        {
          size_t sc = st_conv_scratch_floats (node->cin, node->k, h, w);
          float *scratch = st_pool_get (e->pool, sc * sizeof (float), FALSE);
          st_relu_backward (g, e->masks[i], node_size (node));
          ok = (!sc || scratch)
               && st_conv_backward (g, node->cin, h, w, node->weight, node->c,
                                    node->k, node->pad, gin, scratch);
          st_pool_put (e->pool, scratch);
        }
        break;
      case ST_OP_MAXPOOL:
        st_maxpool_backward (g, e->masks[i], c, h, w, gin);
        break;
      case ST_OP_AVGPOOL:
        st_avgpool_backward (g, c, h, w, gin);
        break;
      case ST_OP_BLURDOWN:
        st_blurdown_backward (g, c, h, w, gin);
        break;
      }
  st_pool_put (e->pool, e->grads[i]);
  e->grads[i] = NULL;
  st_pool_put (e->pool, e->masks[i]);
  e->masks[i] = NULL;
  return ok;
}

static void
eval_init (Eval *e, const StGraph *g, StPool *pool, int w, int h)
{
  e->pool = pool;
  e->g = g;
  e->img_w = w;
  e->img_h = h;
  e->outs = g_new0 (float *, g->n);
  e->grads = g_new0 (float *, g->n);
  e->masks = g_new0 (uint8_t *, g->n);
}

static void
eval_clear (Eval *e)
{
  for (int i = 0; i < e->g->n; i++)
    {
      st_pool_put (e->pool, e->outs[i]);
      st_pool_put (e->pool, e->grads[i]);
      st_pool_put (e->pool, e->masks[i]);
    }
  g_free (e->outs);
  g_free (e->grads);
  g_free (e->masks);
}

/* A small-K convolution whose output only its own losses read: the
 * embedded network's taps, which st_tap_loss computes in bands. */
static gboolean
tap_fusable (const StNode *node)
{
  return node->op == ST_OP_CONV && node->style && node->last_use < 0
         && !node->bias && node->k > 1 && node->cin * node->k * node->k <= 256;
}

/* st_tap_loss for node i: adds its weighted style and content losses and
 * sends its gradient to its input's gradient (or the image's). */
static gboolean
fused_tap (Eval *e, int i, const float *image, const StTargets *targets,
           double ws, double wc, int si, int ci, float *grad_image,
           double *style, double *content)
{
  const StNode *node = &e->g->nodes[i];
  const float *in = node->input >= 0 ? e->outs[node->input] : image;
  float *gin = grad_image;
  int cc = node->content_c > 0 ? MIN (node->content_c, node->c) : node->c;
  double s = 0.0, c = 0.0;
  if (grad_image && node->input >= 0)
    {
      if (!e->grads[node->input]
          && !(e->grads[node->input] = st_pool_get (
                   e->pool,
                   node_size (&e->g->nodes[node->input]) * sizeof (float),
                   TRUE)))
        return FALSE;
      gin = e->grads[node->input];
    }
  if (!st_tap_loss (
          in, node->cin, node->h, node->w, node->weight, node->c, node->k,
          node->pad, targets->gram[si], targets->gram_norm[si], ws,
          node->content ? targets->features[ci] : NULL, cc,
          node->content ? targets->feature_norm[ci] : 1.0, wc, gin, &s, &c))
    return FALSE;
  *style += ws * s;
  if (node->content)
    *content += wc * c;
  return TRUE;
}

/* The image size a graph was built for. */
static void
graph_image_size (const StGraph *g, int *w, int *h)
{
  /* Both networks start with a node that keeps the image's size: the
   * preprocessing of VGG19, a level-0 convolution of the embedded one. */
  *w = g->nodes[0].w, *h = g->nodes[0].h;
}

double
st_graph_loss (const StGraph *graph, const float *image,
               const StTargets *targets, float *grad_image, StLossParts *parts,
               StPool *pool)
{
  Eval e;
  int w, h, si = 0, ci = 0;
  double style = 0.0, content = 0.0;
  double ws0 = targets->style_weight / MAX (graph->style_sum, 1e-30);
  double wc0 = targets->content_weight / MAX (graph->content_sum, 1e-30);
  float *scratch = NULL;
  size_t scratch_size = 0;
  gboolean ok = TRUE;

  graph_image_size (graph, &w, &h);
  eval_init (&e, graph, pool, w, h);
  for (int i = 0; i < graph->n && ok; i++)
    {
      const StNode *node = &graph->nodes[i];
      int n = node->h * node->w;
      double ws = ws0 * node->tap_weight, wc = wc0 * node->tap_weight;
      if (tap_fusable (node))
        {
          /* conv + ReLU + losses + gradient in cache-sized bands (tap.c):
           * the leaf's map, mask and gradient are never allocated */
          if (!(ok = fused_tap (&e, i, image, targets, ws, wc, si, ci,
                                grad_image, &style, &content)))
            break;
          si += node->style;
          ci += node->content;
          if (node->input >= 0 && graph->nodes[node->input].last_use == i)
            {
              st_pool_put (pool, e.outs[node->input]);
              e.outs[node->input] = NULL;
            }
          continue;
        }
      if (!(ok = forward_node (&e, i, image)))
        break;
      if ((node->style || node->content) && grad_image
          && !(e.grads[i]
               = st_pool_get (pool, node_size (node) * sizeof (float), TRUE)))
        {
          ok = FALSE;
          break;
        }
      if (node->style)
        {
          size_t need = (size_t)node->c * node->c;
          if (need > scratch_size)
            {
              g_free (scratch);
              scratch_size = need;
              if (!(scratch = st_floats_new (need)))
                {
                  ok = FALSE;
                  break;
                }
            }
          style += ws
                   * st_style_loss (e.outs[i], node->c, n, targets->gram[si],
                                    targets->gram_norm[si], ws, e.grads[i],
                                    scratch);
          si++;
        }
      if (node->content)
        {
          content
              += wc
                 * st_content_loss (e.outs[i], st_node_content_size (node),
                                    targets->features[ci],
                                    targets->feature_norm[ci], wc, e.grads[i]);
          ci++;
        }
      /* Free what no later node reads. */
      if (node->input >= 0 && graph->nodes[node->input].last_use == i)
        {
          st_pool_put (pool, e.outs[node->input]);
          e.outs[node->input] = NULL;
        }
      if (node->last_use < 0)
        {
          st_pool_put (pool, e.outs[i]);
          e.outs[i] = NULL;
          /* A leaf's gradient is complete now: send it to its input at
           * once, so that at most one leaf gradient is alive. */
          if (e.grads[i])
            ok = backward_node (&e, i, grad_image);
        }
    }
  for (int i = graph->n - 1; i >= 0 && ok && grad_image; i--)
    if (e.grads[i])
      ok = backward_node (&e, i, grad_image);
  g_free (scratch);
  eval_clear (&e);
  if (parts)
    {
      parts->style = style;
      parts->content = content;
    }
  return ok ? style + content : NAN;
}

gboolean
st_graph_features (const StGraph *graph, const float *image,
                   StFeature **features, int *n_out)
{
  return st_graph_taps (graph, image, TRUE, TRUE, features, n_out);
}

gboolean
st_graph_taps (const StGraph *graph, const float *image, gboolean style,
               gboolean content, StFeature **features, int *n_out)
{
  Eval e;
  int w, h, n = 0;
  gboolean ok = TRUE;
  StFeature *f = g_new0 (StFeature, graph->n_style + graph->n_content + 1);

  graph_image_size (graph, &w, &h);
  eval_init (&e, graph, NULL, w, h);
  for (int i = 0; i < graph->n && ok; i++)
    {
      const StNode *node = &graph->nodes[i];
      if (!(ok = forward_node (&e, i, image)))
        break;
      g_free (e.masks[i]);
      e.masks[i] = NULL;
      if ((style && node->style) || (content && node->content))
        {
          StFeature *fi = &f[n++];
          /* A content-only pass keeps just the channels the content loss
           * compares (the leading ones: CHW makes them one block). */
          gboolean part = !style && node->content_c > 0;
          size_t size = part ? st_node_content_size (node) : node_size (node);
          g_strlcpy (fi->name, node->name, sizeof fi->name);
          fi->c = (int)(size / ((size_t)node->h * node->w));
          fi->h = node->h;
          fi->w = node->w;
          fi->style = node->style;
          fi->content = node->content;
          if (!(fi->data = st_floats_dup (e.outs[i], size)))
            ok = FALSE;
        }
      if (node->input >= 0 && graph->nodes[node->input].last_use == i)
        {
          g_free (e.outs[node->input]);
          e.outs[node->input] = NULL;
        }
      if (node->last_use < 0)
        {
          g_free (e.outs[i]);
          e.outs[i] = NULL;
        }
    }
  eval_clear (&e);
  if (!ok)
    {
      st_features_free (f, n);
      return FALSE;
    }
  *features = f;
  *n_out = n;
  return TRUE;
}

StFeature *
st_network_features (const StNetwork *network, const float *image, int width,
                     int height, StPooling pooling, int *n_out)
{
  StGraph g;
  StFeature *f = NULL;
  *n_out = 0;
  if (!st_graph_build (network, width, height, pooling, 0, &g, NULL))
    return NULL;
  if (!st_graph_features (&g, image, &f, n_out))
    f = NULL;
  st_graph_clear (&g);
  return f;
}

void
st_features_free (StFeature *features, int n)
{
  if (!features)
    return;
  for (int i = 0; i < n; i++)
    g_free (features[i].data);
  g_free (features);
}

/* --------------------------------------------------------- estimates */

size_t
st_graph_peak_bytes (const StGraph *graph)
{
  /* Replays st_graph_loss's allocations: outputs live until their last
   * reader, masks and tap gradients until the backward pass. */
  size_t live = 0, peak = 0, fl = sizeof (float);
  size_t *out_bytes = g_new0 (size_t, graph->n);
  size_t scratch = 0;
  for (int i = 0; i < graph->n; i++)
    {
      const StNode *node = &graph->nodes[i];
      size_t sz = node_size (node);
      size_t col = 0;
      out_bytes[i] = sz * fl;
      live += out_bytes[i];
      if (node->op == ST_OP_CONV || node->op == ST_OP_MAXPOOL)
        live += sz;
      if (node->op == ST_OP_CONV)
        col = MIN ((size_t)COLUMN_BUDGET_BYTES, (size_t)node->cin * node->k
                                                    * node->k * node->h
                                                    * node->w * fl);
      if (node->style || node->content)
        live += sz * fl;
      if (node->style)
        scratch = MAX (scratch, (size_t)node->c * node->c * fl);
      peak = MAX (peak, live + col + scratch);
      if (node->input >= 0 && graph->nodes[node->input].last_use == i)
        live -= out_bytes[node->input];
      if (node->last_use < 0)
        {
          live -= out_bytes[i];
          if (node->style || node->content)
            live -= sz * fl + sz; /* eager backward of the leaf */
        }
    }
  /* Backward: the largest gradient pair alive at once. */
  for (int i = graph->n - 1; i >= 1; i--)
    {
      size_t pair = node_size (&graph->nodes[i]) * fl
                    + node_size (&graph->nodes[i - 1]) * fl;
      peak = MAX (peak, live + pair);
    }
  g_free (out_bytes);
  return peak;
}

size_t
st_graph_taps_peak_bytes (const StGraph *graph, gboolean style,
                          gboolean content)
{
  /* Replays st_graph_taps: outputs live until their last reader, the
   * copies of the wanted taps until the end. */
  size_t live = 0, peak = 0, kept = 0, fl = sizeof (float);
  for (int i = 0; i < graph->n; i++)
    {
      const StNode *node = &graph->nodes[i];
      size_t sz = node_size (node) * fl;
      size_t col = 0;
      live += sz;
      if (node->op == ST_OP_CONV)
        col = MIN ((size_t)COLUMN_BUDGET_BYTES, (size_t)node->cin * node->k
                                                    * node->k * node->h
                                                    * node->w * fl)
              + node_size (node);
      if (style && node->style)
        kept += sz;
      else if (content && node->content)
        kept += st_node_content_size (node) * fl;
      peak = MAX (peak, live + kept + col);
      if (node->input >= 0 && graph->nodes[node->input].last_use == i)
        live -= node_size (&graph->nodes[node->input]) * fl;
      if (node->last_use < 0)
        live -= sz;
    }
  return peak;
}

double
st_graph_flops (const StGraph *graph)
{
  double flops = 0.0;
  for (int i = 0; i < graph->n; i++)
    {
      const StNode *node = &graph->nodes[i];
      double hw = (double)node->h * node->w;
      if (node->op == ST_OP_CONV)
        flops += 2.0 * 2.0 * node->c * node->cin * node->k * node->k * hw;
      if (node->style) /* Gram by SYRK, its gradient by SYMM */
        flops += (double)node->c * node->c * hw * 3.0;
    }
  return flops;
}
