/*
 * asoftmax_layer.h — Darknet's [asoftmax] layer: A-Softmax (SphereFace) angular-margin
 * classification head, a drop-in replacement for [connected] output=C + [softmax]. The public
 * header: what the patched Darknet files (parser.c, network.c, layer.c, darknet.h) call.
 * The rest of the layer has headers of its own:
 *   asoftmax_math.h   the scalar formulas (psi, lambda, the margin family, the gradient terms)
 *   asoftmax_batch.h  the pure batch functions on raw pointers, in float and double
 *   asoftmax_state.h  struct asoftmax_state (layer.asoftmax): the layer's arrays, CPU and GPU
 *   asoftmax_steps.h  the steps under Darknet's callbacks, the cfg validation: what the
 *                     callbacks, the tests and the bench call
 * Math: docs/math.md. Cfg keys: README.md.
 */
#ifndef ASOFTMAX_LAYER_H
#define ASOFTMAX_LAYER_H

#include <stdio.h>

#include "darknet.h"
#include "list.h" /* list: in darknet.h of pjreddie's Darknet, in list.h of the fork */
#include "asoftmax_math.h"

struct asoftmax_state; /* asoftmax_state.h */

/* ---- Darknet adapter ----
 * Two Darknets, one layer: pjreddie's (layers get the network by value, update gets
 * update_args) and AlexeyAB's fork, whose patched darknet.h defines ASOFTMAX_DARKNET_ALEXEYAB
 * (layers get a network_state; on the GPU its input, truth and delta are device pointers;
 * update gets (batch, learning_rate, momentum, decay) and update_gpu also a loss_scale).
 * Both call the same steps below them. All of the glue is in asoftmax_layer.c, which calls
 * into asoftmax_kernels.cu (kernels, the _gpu steps, push/pull), never the other way. */
layer make_asoftmax_layer(int batch, int inputs, int outputs, asoftmax_params p);
void free_asoftmax_state(struct asoftmax_state *s);
#ifdef ASOFTMAX_DARKNET_ALEXEYAB
void forward_asoftmax_layer(layer l, network_state state);
void backward_asoftmax_layer(layer l, network_state state);
void update_asoftmax_layer(layer l, int batch, float learning_rate, float momentum, float decay);
#ifdef GPU
void forward_asoftmax_layer_gpu(layer l, network_state state);
void backward_asoftmax_layer_gpu(layer l, network_state state);
void update_asoftmax_layer_gpu(layer l, int batch, float learning_rate, float momentum,
                               float decay, float loss_scale);
#endif
#else
void forward_asoftmax_layer(layer l, network net);
void backward_asoftmax_layer(layer l, network net);
void update_asoftmax_layer(layer l, update_args a);
#ifdef GPU
void forward_asoftmax_layer_gpu(layer l, network net);
void backward_asoftmax_layer_gpu(layer l, network net);
void update_asoftmax_layer_gpu(layer l, update_args a);
#endif
#endif

/* Darknet's parser entry: asoftmax_parse_options (asoftmax_steps.h), then make_asoftmax_layer;
 * an invalid section prints its message and exits with status 1. */
layer parse_asoftmax(list *options, int batch, int inputs, int index, int is_last);

/* Weights file: the layer's outputs*inputs floats, row j = class j, as stored. */
void save_asoftmax_weights(layer l, FILE *fp);
void load_asoftmax_weights(layer l, FILE *fp);
#ifdef GPU
void push_asoftmax_layer(layer l);
void pull_asoftmax_layer(layer l);
#endif

/* Labels from Darknet's one-hot truth (B, C): the index of the largest entry when it is
 * positive, else -1 (no label: the sample contributes nothing). train_network calls it
 * (patches "training step moves no B x C array"). */
void asoftmax_labels_from_truth(int B, int C, const float *truth, int *labels);

#endif
