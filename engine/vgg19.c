/* vgg19.c - VGG19 (Simonyan and Zisserman 2014) as Gatys et al. use it:
 * content conv4_2, style conv1_1, conv2_1, conv3_1, conv4_1 and conv5_1,
 * after ReLU; the graph stops at the deepest layer in use (conv5_1).  Its
 * weights come from a file: safetensors.c reads it, with the architecture
 * tables of vgg19-layers.c, the one description of VGG19 that the loader
 * and the graph share. */
#include "network.h"

#include <string.h>

/* ------------------------------------------------------- architecture */

#define VGG_DEEPEST 12 /* conv5_1 */
#define VGG_CONTENT 9  /* conv4_2 */

/* Pools follow conv1_2, conv2_2, conv3_4 and conv4_4. */
static gboolean
pool_after (int i)
{
  return i == 1 || i == 3 || i == 7 || i == 11;
}

/* Style layers: the first convolution of each block. */
static gboolean
style_layer (int i)
{
  return i == 0 || i == 2 || i == 4 || i == 8 || i == 12;
}

/* ------------------------------------------------------------ network */

StNetwork *
st_network_load_vgg19 (const char *path, GError **error)
{
  StVgg19Weights *w = st_vgg19_weights_load (path, error);
  StNetwork *net;
  if (!w)
    return NULL;
  if (!(net = g_try_new0 (StNetwork, 1)))
    {
      st_vgg19_weights_free (w);
      g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                   "out of memory while loading %s", path);
      return NULL;
    }
  net->kind = ST_NETWORK_KIND_VGG19;
  net->vgg = w;
  net->description = g_strdup_printf (
      "VGG19 (%s, %s preprocessing)", path,
      w->preprocess == ST_PREPROCESS_CAFFE ? "caffe" : "torch");
  return net;
}

void
st_vgg19_free (StNetwork *net)
{
  st_vgg19_weights_free (net->vgg);
}

/* ---------------------------------------------------------------- graph */

/* The input as the weights expect it: torchvision's ImageNet mean and
 * standard deviation, or Caffe's BGR in [0, 255] minus the mean. */
static void
set_preprocess (StNode *pre, StPreprocess preprocess)
{
  static const float torch_mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float torch_std[3] = { 0.229f, 0.224f, 0.225f };
  static const float caffe_mean_bgr[3] = { 103.939f, 116.779f, 123.68f };
  for (int o = 0; o < 3; o++)
    {
      if (preprocess == ST_PREPROCESS_CAFFE)
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
}

gboolean
st_vgg19_build (const StNetwork *net, int w, int h, StPooling pooling,
                int levels, StGraph *g)
{
  const StVgg19Weights *vw = net->vgg;
  StNode *pre = st_graph_add (g, ST_OP_PREPROCESS, -1);
  int prev = 0;
  (void)levels; /* no pyramid */
  if (!pre)
    return FALSE;
  pre->c = 3;
  pre->h = h;
  pre->w = w;
  set_preprocess (pre, vw->preprocess);
  for (int i = 0; i <= VGG_DEEPEST; i++)
    {
      StNode *conv = st_graph_add (g, ST_OP_CONV, prev);
      if (!conv)
        return FALSE;
      conv->cin = vw->c_in[i];
      conv->c = vw->c_out[i];
      conv->k = 3;
      conv->pad = ST_PAD_ZERO;
      conv->weight = vw->weight[i];
      conv->bias = vw->bias[i];
      g_strlcpy (conv->name, st_vgg19_layer_name[i], sizeof conv->name);
      conv->style = style_layer (i);
      conv->content = i == VGG_CONTENT;
      prev = g->n - 1;
      if (pool_after (i) && i < VGG_DEEPEST)
        {
          StNode *pool = st_graph_add (
              g, pooling == ST_POOLING_MAX ? ST_OP_MAXPOOL : ST_OP_AVGPOOL,
              prev);
          if (!pool)
            return FALSE;
          pool->h /= 2;
          pool->w /= 2;
          prev = g->n - 1;
        }
    }
  return TRUE;
}
