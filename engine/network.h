/* network.h - what a network is: its weights and default loss weights
 * (network.c opens and frees them), and how each kind builds its graph
 * (embedded.c, vgg19.c). */
#ifndef ST_NETWORK_H
#define ST_NETWORK_H

#include "graph.h"

G_BEGIN_DECLS

#define ST_EMB_MAX_SIZES 4

struct StNetwork
{
  char *kind;        /* "embedded" or "vgg19" */
  char *description; /* for users             */
  /* embedded: filters (ST_EMB_FILTERS, 3, k, k) for each k in sizes */
  int n_sizes;
  int sizes[ST_EMB_MAX_SIZES];
  float *filters[ST_EMB_MAX_SIZES];
  StVgg19Weights *vgg; /* VGG19 only */
  double style_weight, content_weight, tv_weight;
  int default_iterations;
};

/* embedded.c: pyramid levels for a w x h image, and the graph. */
int st_embedded_levels (int w, int h);
gboolean st_embedded_build (const StNetwork *network, int w, int h, int levels,
                            StGraph *graph);

/* vgg19.c: the graph up to the deepest layer the losses read. */
gboolean st_vgg19_build (const StNetwork *network, int w, int h,
                         StPooling pooling, StGraph *graph);

G_END_DECLS

#endif
