/* vgg19-layers.c - VGG19's architecture: the one description of its
 * convolutions that the weight loader (safetensors.c and
 * safetensors-tensors.c) and the graph (vgg19.c) share.  Plain tables,
 * below both, so that they call one way: vgg19.c -> safetensors.c ->
 * vgg19-layers.c. */
#include "internal.h"

/* The index of each convolution in torchvision's vgg19.features, and its
 * channels: blocks of 2, 2, 4, 4, 4 convolutions separated by pooling. */
const int st_vgg19_feature_index[ST_VGG19_N_CONV]
    = { 0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34 };
const int st_vgg19_c_in[ST_VGG19_N_CONV]
    = { 3,   64,  64,  128, 128, 256, 256, 256,
        256, 512, 512, 512, 512, 512, 512, 512 };
const int st_vgg19_c_out[ST_VGG19_N_CONV]
    = { 64,  64,  128, 128, 256, 256, 256, 256,
        512, 512, 512, 512, 512, 512, 512, 512 };
/* The literature's names, for the taps and for messages a person can
 * place. */
const char *const st_vgg19_layer_name[ST_VGG19_N_CONV]
    = { "conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2",
        "conv3_3", "conv3_4", "conv4_1", "conv4_2", "conv4_3", "conv4_4",
        "conv5_1", "conv5_2", "conv5_3", "conv5_4" };
