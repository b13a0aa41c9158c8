/*
 * asoftmax_state.h — struct asoftmax_state, the per-layer state behind layer.asoftmax: the
 * parsed parameters, the schedule's current lambda and margin, and every array the layer
 * allocates besides Darknet's own (output, delta, weights, weight_updates, cost), on the host
 * and (GPU builds) on the device. Shared by the by-value copies of the layer.
 */
#ifndef ASOFTMAX_STATE_H
#define ASOFTMAX_STATE_H

#include <stddef.h>

#include "asoftmax_layer.h"

/* the most blocks the GPU's rows pass splits one sample's row into (asoftmax_kernels.cu) */
#define ASOFTMAX_MAX_SPLIT 64

struct asoftmax_state {
    asoftmax_params p;
    float lambda;   /* lambda used by the last training forward pass */
    asoftmax_margin current; /* m1, m2, m3, s, lambda in force at the last training forward
                              * pass (the warm-up and lambda schedules at that batch) */
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

/* lambda and the margin (s->lambda, s->current) at training batch t */
void asoftmax_schedule(struct asoftmax_state *s, long t);
/* prints them on stderr at the first batch trained and every 100th (Darknet's callbacks) */
void asoftmax_report(struct asoftmax_state *s, long t);

/* The bytes the layer allocated for one network (make_asoftmax_layer): on the host, Darknet's
 * arrays of the layer and the state's (device = 0), or on the GPU (device = 1; 0 without a
 * GPU build or device arrays). What dev/bench_heads.c checks its heap measurement against. */
size_t asoftmax_allocated_bytes(layer l, int device);

#endif
