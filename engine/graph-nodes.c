/* graph-nodes.c - what every part of the graph code uses, below them
 * all: appending a node (the builders, embedded.c and vgg19.c), the
 * sizes of a node's output and content target (the executor, graph.c,
 * and the plan, estimate.c), and freeing the features a pass hands out.
 * It calls nothing of theirs, so that the files above it call one way:
 * graph-build.c -> network.c -> embedded.c, vgg19.c -> graph-nodes.c. */
#include "graph.h"

#include <string.h>

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
  node->level = -1;
  if (input >= 0)
    {
      node->c = g->nodes[input].c;
      node->h = g->nodes[input].h;
      node->w = g->nodes[input].w;
    }
  return node;
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

void
st_features_free (StFeature *features, int n)
{
  if (!features)
    return;
  for (int i = 0; i < n; i++)
    g_free (features[i].data);
  g_free (features);
}
