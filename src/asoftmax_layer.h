/*
 * asoftmax_layer.h — Darknet's [asoftmax] layer: A-Softmax (SphereFace) angular-margin
 * classification head, a drop-in replacement for [connected] output=C + [softmax].
 *
 * Two levels:
 *   - pure batch functions asoftmax_forward_{f,d} / asoftmax_backward_{f,d} on raw
 *     pointers (float for training, double for the gradient checks), and
 *   - the Darknet adapter make_/forward_/backward_/update_asoftmax_layer, parse_asoftmax,
 *     save_/load_asoftmax_weights, which the patched parser.c/network.c/layer.c call.
 * Math: docs/math.md. Cfg keys: README.md.
 */
#ifndef ASOFTMAX_LAYER_H
#define ASOFTMAX_LAYER_H

#include <stdio.h>

#include "darknet.h"
#include "list.h" /* list: in darknet.h of pjreddie's Darknet, in list.h of the fork */
#include "asoftmax_math.h"

/* the most blocks the GPU's rows pass splits one sample's row into (asoftmax_kernels.cu) */
#define ASOFTMAX_MAX_SPLIT 64

/* Per-layer state, shared by the by-value copies of the layer (layer.asoftmax). */
struct asoftmax_state {
    asoftmax_params p;
    float lambda;   /* lambda used by the last training forward pass */
    asoftmax_margin margin; /* the margin of the last training forward pass (warm-up) */
    long reported;  /* the last batch whose lambda and margin were printed (-1: none) */
    int *labels;    /* (B) class of each sample from net.truth, -1 = no label */
    float *xcoef;   /* (B) see asoftmax_forward_f */
    float *ycoef;   /* (B) gradient=caffe: see asoftmax_backward_target_f */
    float *wcoef;   /* (C) */
    float *xnorm;   /* (B) ||x_b|| */
    float *wnorm;   /* (C) ||w_j|| */
    float *xhat;    /* (B,K) x_b / ||x_b|| */
    void *work;     /* scratch of the CPU forward pass (work_bytes bytes), kept between steps */
    size_t work_bytes;
#ifdef GPU
    /* device twins of the above, used when gpu_index >= 0 (src/asoftmax_kernels.cu) */
    int *labels_gpu;    /* (B) */
    float *xcoef_gpu;   /* (B) */
    float *ycoef_gpu;   /* (B) */
    float *wcoef_gpu;   /* (C) */
    float *xnorm_gpu;   /* (B) */
    float *wnorm_gpu;   /* (C) */
    float *xhat_gpu;    /* (B,K) */
    float *gz_gpu;      /* (B,C) G'.z, summed per class into wcoef */
    float *rowcost_gpu; /* (B) cross-entropy of each sample */
    float *rowcost;     /* (B) pinned host copy, summed in double in sample order */
    int *labels_pinned; /* (B) pinned host staging of the labels for their asynchronous copy */
    double *tgt_gpu;    /* (B,4) the target's z_y, a, b and margin logit (rows pass) */
    double *part_gpu;   /* (B,ASOFTMAX_MAX_SPLIT,3) each row block's max, sum of exp, sum of G'u */
#endif
};

/* ---- pure functions: shapes and contracts in asoftmax_generic.h ---- */
float asoftmax_forward_f(int B, int K, int C, const float *x, const float *w, const int *labels,
                         int m, float lambda, float *out, float *delta, float *xcoef,
                         float *wcoef, float *xnorm, float *wnorm, float *xhat);
/* the same with the general margin (m1 real, m2, m3, s, lambda: asoftmax_math.h) */
float asoftmax_forward_g_f(int B, int K, int C, const float *x, const float *w, const int *labels,
                           const asoftmax_margin *g, float *out, float *delta, float *xcoef,
                           float *wcoef, float *xnorm, float *wnorm, float *xhat, float *ycoef);
double asoftmax_forward_g_d(int B, int K, int C, const double *x, const double *w,
                            const int *labels, const asoftmax_margin *g, double *out,
                            double *delta, double *xcoef, double *wcoef, double *xnorm,
                            double *wnorm, double *xhat, double *ycoef);
/* gradient=caffe (g->caffe): ycoef (B) from the forward, then dx += ycoef_b w_{y_b}; and the
 * official layer's in-place renormalization of the weight rows (norms (n) written) */
void asoftmax_backward_target_f(int B, int K, const int *labels, const float *ycoef,
                                const float *w, float *dx);
void asoftmax_backward_target_d(int B, int K, const int *labels, const double *ycoef,
                                const double *w, double *dx);
void asoftmax_normalize_rows_f(int n, int k, float *a, float *norms);
void asoftmax_normalize_rows_d(int n, int k, double *a, double *norms);
void asoftmax_backward_f(int B, int K, int C, const float *x, const float *w, const float *delta,
                         const float *xcoef, const float *wcoef, float *dx, float *dw);
double asoftmax_forward_d(int B, int K, int C, const double *x, const double *w,
                          const int *labels, int m, double lambda, double *out, double *delta,
                          double *xcoef, double *wcoef, double *xnorm, double *wnorm,
                          double *xhat);
void asoftmax_backward_d(int B, int K, int C, const double *x, const double *w,
                         const double *delta, const double *xcoef, const double *wcoef,
                         double *dx, double *dw);

/* Labels from Darknet's one-hot truth (B, C): the index of the largest entry when it is
 * positive, else -1 (no label: the sample contributes nothing). */
void asoftmax_labels_from_truth(int B, int C, const float *truth, int *labels);

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
void push_asoftmax_layer(layer l);
void pull_asoftmax_layer(layer l);
/* asoftmax_kernels.cu, called only from asoftmax_layer.c: the kernels of the forward step
 * (lambda and the margin already set); the gradient (delta and the row coefficients) and the
 * weight updates times `scale` (AlexeyAB's loss_scale) */
void asoftmax_forward_gpu(layer l, const float *input, const float *truth, const int *labels,
                          int train);
void asoftmax_scale_gradient_gpu(layer l, float scale);
void asoftmax_scale_updates_gpu(layer l, float scale);
#endif

/* lambda and the margin (s->lambda, s->margin) at training batch t */
void asoftmax_schedule(struct asoftmax_state *s, long t);
/* prints them on stderr at the first batch trained and every 100th (Darknet's callbacks) */
void asoftmax_report(struct asoftmax_state *s, long t);

/* Validates an [asoftmax] section (layer `index`, `inputs` floats in, last layer or not):
 * returns 0 and fills *p and *outputs, or returns -1 with one message naming the layer, the
 * key and the value in msg (e.g. "[asoftmax] layer 7: margin = '2.5': must be ..."). */
int asoftmax_parse_options(list *options, int inputs, int index, int is_last,
                           asoftmax_params *p, int *outputs, char *msg, size_t msglen);

/* Darknet's parser entry: asoftmax_parse_options, then make_asoftmax_layer; an invalid
 * section prints its message and exits with status 1. */
layer parse_asoftmax(list *options, int batch, int inputs, int index, int is_last);

/* Weights file: the layer's outputs*inputs floats, row j = class j, as stored. */
void save_asoftmax_weights(layer l, FILE *fp);
void load_asoftmax_weights(layer l, FILE *fp);

#endif
