/* network.h - what a network is: its kind, its weights (network.c opens
 * and frees them), and the one table of what tells the kinds apart
 * (st_network_class, network.c): their default loss weights, smallest
 * side, graph builder (embedded.c, vgg19.c). */
#ifndef ST_NETWORK_H
#define ST_NETWORK_H

#include "graph.h"

G_BEGIN_DECLS

#define ST_EMB_MAX_SIZES 4

struct StNetwork
{
  StNetworkKind kind;
  char *description; /* for users */
  /* embedded: filters (ST_EMB_FILTERS, 3, k, k) for each k in sizes */
  int n_sizes;
  int sizes[ST_EMB_MAX_SIZES];
  float *filters[ST_EMB_MAX_SIZES];
  StVgg19Weights *vgg; /* VGG19 only */
};

/* Everything the engine decides by the kind of a network, for each kind:
 * nothing else tests which kind a network is. */
typedef struct
{
  const char *name; /* as st_network_open takes it, and in messages */
  /* the smallest short side its graph accepts */
  int min_side;
  /* the loss weights and iterations a run takes by default */
  double style_weight, content_weight, tv_weight;
  int iterations;
  /* the time estimate (estimate.c): a pass's cost per pixel at P pixels
   * is the calibration's times (P / calibration pixels)^-power, and times
   * (1 - fixed + fixed x calibration pixels / P), fixed being the share of
   * the calibration pass that does not grow with the pixels */
  double size_efficiency_power, fixed_fraction;
  /* the graph for a w x h image; levels: the embedded pyramid's (0 =
   * from the size); FALSE when out of memory */
  gboolean (*build) (const StNetwork *network, int w, int h, StPooling pooling,
                     int levels, StGraph *graph);
  /* the pyramid levels of a painting's graph at a w x h scale (0 for a
   * network without a pyramid) */
  int (*style_levels) (int w, int h);
  /* frees the weights of a network of this kind (not the network) */
  void (*free_weights) (StNetwork *network);
} StNetworkClass;

const StNetworkClass *st_network_class (const StNetwork *network);

/* embedded.c: pyramid levels for a w x h image, the graph, the filters
 * freed. */
int st_embedded_levels (int w, int h);
gboolean st_embedded_build (const StNetwork *network, int w, int h,
                            StPooling pooling, int levels, StGraph *graph);
void st_embedded_free (StNetwork *network);

/* vgg19.c: the graph up to the deepest layer the losses read, the
 * weights freed. */
gboolean st_vgg19_build (const StNetwork *network, int w, int h,
                         StPooling pooling, int levels, StGraph *graph);
void st_vgg19_free (StNetwork *network);

G_END_DECLS

#endif
