/* internal.h - what the engine's files share, and what tests may call.
 * Not installed; front ends use style-transfer.h only. */
#ifndef ST_INTERNAL_H
#define ST_INTERNAL_H

#include "style-transfer.h"

G_BEGIN_DECLS

/* ------------------------------------------------------- VGG19 weights */

typedef enum
{
  ST_PREPROCESS_TORCH, /* RGB in [0,1], minus ImageNet mean, over std      */
  ST_PREPROCESS_CAFFE  /* BGR in [0,255], minus 103.939/116.779/123.68     */
} StPreprocess;

#define ST_VGG19_N_CONV 16

/* The 16 convolutions of torchvision's vgg19.features, in order
 * (features.N with N in 0,2,5,7,10,12,14,16,19,21,23,25,28,30,32,34).
 * Weights are read-only F32 views into one owned buffer the file was read
 * into (safetensors.c: read, never mapped). */
typedef struct
{
  char *path;
  StPreprocess preprocess;
  int c_in[ST_VGG19_N_CONV];
  int c_out[ST_VGG19_N_CONV];
  const float *weight[ST_VGG19_N_CONV]; /* (c_out, c_in, 3, 3) */
  const float *bias[ST_VGG19_N_CONV];   /* (c_out)             */
  float *converted; /* owner of every weight, as F32         */
} StVgg19Weights;

/* The architecture (vgg19.c): each convolution's index in vgg19.features,
 * its input and output channels, and its name in the literature. */
extern const int st_vgg19_feature_index[ST_VGG19_N_CONV];
extern const int st_vgg19_c_in[ST_VGG19_N_CONV];
extern const int st_vgg19_c_out[ST_VGG19_N_CONV];
extern const char *const st_vgg19_layer_name[ST_VGG19_N_CONV];

StVgg19Weights *st_vgg19_weights_load (const char *path, GError **error);
void st_vgg19_weights_free (StVgg19Weights *weights);

/* ------------------------------------------------- features, for tests */

typedef struct
{
  char name[16]; /* "conv1_1", ... or "L0k3" for the embedded network */
  int c, h, w;
  float *data; /* (c, h, w), or (c, c) when gram */
  gboolean style, content;
  gboolean gram;  /* data is the Gram matrix F F^T / (h w)              */
  gboolean input; /* data is the tap's input (c = its channels), from
                     which tiled.c makes the features again              */
  double norm;    /* content taps of st_graph_targets: |features|^2     */
} StFeature;

/* Forward pass only: the feature maps at every loss layer of the network
 * for image (3, h, w) RGB in [0,1], in network order.  *n_out is set. */
StFeature *st_network_features (const StNetwork *network, const float *image,
                                int width, int height, StPooling pooling,
                                int *n_out);
void st_features_free (StFeature *features, int n);

G_END_DECLS

#endif
