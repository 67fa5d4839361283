/* graph-build.c - a network's graph for one image size: what the
 * builders (embedded.c, vgg19.c) share, the sizes of its nodes and the
 * floating-point work of a pass; and st_network_features, for tests: a
 * graph built and run forward once.  The executor is graph.c. */
#include "network.h"

#include <string.h>

int
st_graph_min_side (const StNetwork *network)
{
  return st_network_class (network)->min_side;
}

int
st_graph_style_levels (const StNetwork *network, int w, int h)
{
  return st_network_class (network)->style_levels (w, h);
}

StNode *
st_graph_add (StGraph *g, StOp op, int input)
{
  StNode *nodes = g_try_renew (StNode, g->nodes, g->n + 1), *node;
  if (!nodes)
    return NULL;
  g->nodes = nodes;
  node = &g->nodes[g->n++];
  memset (node, 0, sizeof *node);
  node->op = op;
  node->input = input;
  node->last_use = -1;
  if (input >= 0)
    {
      node->c = g->nodes[input].c;
      node->h = g->nodes[input].h;
      node->w = g->nodes[input].w;
    }
  return node;
}

gboolean
st_graph_build (const StNetwork *network, int w, int h, StPooling pooling,
                int levels, StGraph *graph, GError **error)
{
  int min_side = st_graph_min_side (network);
  gboolean ok;
  memset (graph, 0, sizeof *graph);
  if (w < min_side || h < min_side)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "a %d x %d image is too small for %s (at least %d x %d "
                   "pixels)",
                   w, h, st_network_class (network)->name, min_side,
                   min_side);
      return FALSE;
    }
  ok = st_network_class (network)->build (network, w, h, pooling, levels,
                                          graph);
  if (!ok)
    {
      st_graph_clear (graph);
      g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                   "out of memory building the network");
      return FALSE;
    }
  for (int i = 0; i < graph->n; i++)
    {
      StNode *node = &graph->nodes[i];
      if (node->input >= 0)
        graph->nodes[node->input].last_use = i;
      graph->n_style += node->style;
      graph->n_content += node->content;
      if (node->style)
        graph->style_shares += node->style_share > 0 ? node->style_share : 1.0;
    }
  return TRUE;
}

void
st_graph_clear (StGraph *graph)
{
  g_free (graph->nodes);
  memset (graph, 0, sizeof *graph);
}

size_t
st_node_size (const StNode *node)
{
  return (size_t)node->c * node->h * node->w;
}

size_t
st_node_content_size (const StNode *node)
{
  int c = node->content_c > 0 ? MIN (node->content_c, node->c) : node->c;
  return (size_t)c * node->h * node->w;
}

/* ------------------------------------------------- features, for tests */

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

/* --------------------------------------------------------------- cost */

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
