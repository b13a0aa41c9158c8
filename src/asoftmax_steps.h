/*
 * asoftmax_steps.h — the [asoftmax] layer's steps, under Darknet's callbacks (which are only
 * the fork's calling convention around them, asoftmax_layer.c), and the cfg validation: what
 * the callbacks, the tests and the bench call.
 */
#ifndef ASOFTMAX_STEPS_H
#define ASOFTMAX_STEPS_H

#include <stddef.h>

#include "asoftmax_layer.h"

/* The steps both adapters call. input (B,K), delta_in (B,K) or NULL (layer 0): host pointers
 * for the CPU steps, device pointers for the _gpu steps. The classes: labels (B, on the host
 * for both steps; -1 = no label), else the one-hot truth (B,C; host for the CPU step, device
 * for the _gpu step), else none. Darknet's train_network passes labels (net.labels, the
 * patches "training step moves no B x C array"); other callers set the truth.
 * train != 0 with labels or a truth: margin logits, loss and l.delta; otherwise inference.
 * t: the training batch number, for lambda. */
void asoftmax_forward_step(layer l, const float *input, const float *truth, const int *labels,
                           int train, long t);
void asoftmax_backward_step(layer l, const float *input, float *delta_in);
void asoftmax_update_step(layer l, int batch, float learning_rate, float momentum, float decay);
#ifdef GPU
void asoftmax_forward_step_gpu(layer l, const float *input, const float *truth,
                               const int *labels, int train, long t);
void asoftmax_backward_step_gpu(layer l, const float *input, float *delta_in);
void asoftmax_update_step_gpu(layer l, int batch, float learning_rate, float momentum, float decay);
/* asoftmax_kernels.cu, called only from asoftmax_layer.c: the kernels of the forward step
 * (lambda and the margin already set); the gradient (delta and the row coefficients) and the
 * weight updates times `scale` (AlexeyAB's loss_scale) */
void asoftmax_forward_gpu(layer l, const float *input, const float *truth, const int *labels,
                          int train);
void asoftmax_scale_gradient_gpu(layer l, float scale);
void asoftmax_scale_updates_gpu(layer l, float scale);
#endif

/* Validates an [asoftmax] section (layer `index`, `inputs` floats in, last layer or not):
 * returns 0 and fills *p and *outputs, or returns -1 with one message naming the layer, the
 * key and the value in msg (e.g. "[asoftmax] layer 7: margin = '2.5': must be ..."). */
int asoftmax_parse_options(list *options, int inputs, int index, int is_last,
                           asoftmax_params *p, int *outputs, char *msg, size_t msglen);

#endif
