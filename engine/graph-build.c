/* graph-build.c - a network's graph for one image size: the network's
 * own builder (st_network_class) called and the nodes' last uses and
 * taps counted; the floating-point work of a pass; and
 * st_network_features, for tests: a graph built and run forward once.
 * The builders append nodes with graph-nodes.c, the executor is
 * graph.c. */
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

StStatus
st_graph_build (const StNetwork *network, int w, int h, StPooling pooling,
                int levels, int threads, StGraph *graph, GError **error)
{
  int min_side = st_graph_min_side (network);
  gboolean ok;
  memset (graph, 0, sizeof *graph);
  if (w < min_side || h < min_side)
    {
      g_set_error (error, ST_ERROR, ST_ERROR_INVALID,
                   "a %d x %d image is too small for %s (at least %d x %d "
                   "pixels)",
                   w, h, st_network_class (network)->name, min_side, min_side);
      return ST_ERROR_INVALID;
    }
  ok = st_network_class (network)->build (network, w, h, pooling, levels,
                                          graph);
  if (!ok)
    {
      st_graph_clear (graph);
      g_set_error (error, ST_ERROR, ST_ERROR_MEMORY,
                   "out of memory building the network");
      return ST_ERROR_MEMORY;
    }
  graph->threads = threads;
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
  graph->head_blocks = st_head_eligible (graph);
  graph->head_tile = graph->head_blocks == 2   ? ST_HEAD_TILE2
                     : graph->head_blocks == 1 ? ST_HEAD_TILE
                                               : 0;
  return ST_OK;
}

int
st_graph_fine_part (const StGraph *graph, const StTargets *t, StGraph *fine,
                    StTargets *fine_t)
{
  int si = 0;
  memset (fine, 0, sizeof *fine);
  memset (fine_t, 0, sizeof *fine_t);
  fine_t->gram = g_try_new0 (float *, MAX (graph->n_style, 1));
  fine_t->gram_norm = g_try_new0 (double, MAX (graph->n_style, 1));
  if (!fine_t->gram || !fine_t->gram_norm)
    {
      st_graph_fine_clear (fine, fine_t);
      return -1;
    }
  fine_t->style_weight = t->style_weight;
  for (int i = 0; i < graph->n; i++)
    {
      const StNode *node = &graph->nodes[i];
      if (node->input < 0 && node->op == ST_OP_CONV && node->style
          && !node->content && node->last_use < 0)
        {
          StNode *copy = st_graph_add (fine, ST_OP_CONV, -1);
          if (!copy)
            {
              st_graph_fine_clear (fine, fine_t);
              return -1;
            }
          *copy = *node;
          fine_t->gram[fine->n_style] = t->gram[si];
          fine_t->gram_norm[fine->n_style++] = t->gram_norm[si];
        }
      si += node->style;
    }
  fine->style_shares = graph->style_shares;
  fine->cancel = graph->cancel;
  fine->threads = graph->threads;
  return fine->n_style;
}

void
st_graph_fine_clear (StGraph *fine, StTargets *fine_t)
{
  st_graph_clear (fine);
  g_free (fine_t->gram); /* the matrices are the whole graph's */
  g_free (fine_t->gram_norm);
  memset (fine_t, 0, sizeof *fine_t);
}

void
st_graph_clear (StGraph *graph)
{
  g_free (graph->nodes);
  memset (graph, 0, sizeof *graph);
}

/* ------------------------------------------------- features, for tests */

StFeature *
st_network_features (const StNetwork *network, const float *image, int width,
                     int height, StPooling pooling, int *n_out)
{
  StGraph g;
  StFeature *f = NULL;
  *n_out = 0;
  if (st_graph_build (network, width, height, pooling, 0, 1, &g, NULL) != ST_OK)
    return NULL;
  if (st_graph_features (&g, image, &f, n_out) != ST_OK)
    f = NULL;
  st_graph_clear (&g);
  return f;
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
