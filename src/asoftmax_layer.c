/*
 * asoftmax_layer.c — the [asoftmax] layer on the CPU (A-Softmax, SphereFace).
 * Built inside Darknet's tree by the top-level Makefile (see README.md); tested by
 * tests/test_asoftmax.c (`make test`).
 */
#include "asoftmax_layer.h"
#include "asoftmax_batch.h"
#include "asoftmax_state.h"
#include "asoftmax_steps.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "network.h"
#include "option_list.h"
#include "utils.h"

#ifdef ASOFTMAX_DARKNET_ALEXEYAB
#include "dark_cuda.h"
#else
#include "cuda.h"
#endif

static void *asoftmax_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "[asoftmax] out of memory allocating %zu x %zu bytes\n", n, size);
        exit(EXIT_FAILURE);
    }
    return p;
}

/* A plain reference GEMM in double with Darknet's gemm() signature (row-major,
 * C = ALPHA op(A) op(B) + BETA C); used only by the double instantiation. */
static void asoftmax_gemm_d(int TA, int TB, int M, int N, int K, double ALPHA, double *A,
                            int lda, double *B, int ldb, double BETA, double *C, int ldc)
{
    int i, j, k;
    for (i = 0; i < M; ++i) {
        for (j = 0; j < N; ++j) {
            double s = 0;
            for (k = 0; k < K; ++k) {
                double av = TA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                double bv = TB ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                s += av * bv;
            }
            C[(size_t)i * ldc + j] = ALPHA * s + (BETA == 0 ? 0 : BETA * C[(size_t)i * ldc + j]);
        }
    }
}

#ifdef GPU
/* page-locked host memory (the copies from and to it are asynchronous), zeroed */
static void *asoftmax_pinned(size_t bytes)
{
    void *p = NULL;
    cudaError_t e = cudaHostAlloc(&p, bytes ? bytes : 1, cudaHostAllocDefault);
    if (e != cudaSuccess) {
        fprintf(stderr, "[asoftmax] cudaHostAlloc of %zu bytes: %s\n", bytes, cudaGetErrorString(e));
        exit(EXIT_FAILURE);
    }
    memset(p, 0, bytes ? bytes : 1);
    return p;
}

/* n doubles on the device, zeroed (Darknet's cuda_make_array is for floats) */
static double *asoftmax_device_doubles(size_t n)
{
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, sizeof(double) * (n ? n : 1));
    if (e == cudaSuccess) e = cudaMemset(p, 0, sizeof(double) * (n ? n : 1));
    if (e != cudaSuccess) {
        fprintf(stderr, "[asoftmax] cudaMalloc of %zu doubles: %s\n", n, cudaGetErrorString(e));
        exit(EXIT_FAILURE);
    }
    return p;
}
#endif

#define ASM_REAL float
#define ASM_NAME(n) n##_f
#define ASM_GEMM gemm
/* Darknet's own gemm_cpu scales C by BETA even when BETA = 0; with OPENBLAS=1
 * (patches/0005) gemm() is cblas_sgemm, which then overwrites C without reading it */
#ifdef OPENBLAS
#define ASM_GEMM_BETA0_READS_C 0
#else
#define ASM_GEMM_BETA0_READS_C 1
#endif
#include "asoftmax_generic.h"
#undef ASM_REAL
#undef ASM_NAME
#undef ASM_GEMM
#undef ASM_GEMM_BETA0_READS_C

#define ASM_REAL double
#define ASM_NAME(n) n##_d
#define ASM_GEMM asoftmax_gemm_d
#define ASM_GEMM_BETA0_READS_C 0
#include "asoftmax_generic.h"
#undef ASM_REAL
#undef ASM_NAME
#undef ASM_GEMM
#undef ASM_GEMM_BETA0_READS_C

/* largest of v (n >= 1) */
ASM_CLONES static float asoftmax_max(int n, const float *v)
{
    float mx = v[0];
    int j;
    for (j = 1; j < n; ++j) mx = v[j] > mx ? v[j] : mx;
    return mx;
}

void asoftmax_labels_from_truth(int B, int C, const float *truth, int *labels)
{
    int b;
#pragma omp parallel for schedule(static) if ((size_t)B * C >= ASM_PAR_MIN)
    for (b = 0; b < B; ++b) {
        const float *t = truth + (size_t)b * C;
        const float mx = asoftmax_max(C, t);
        int best = 0;
        while (best < C - 1 && t[best] != mx) ++best; /* the first largest entry */
        labels[b] = mx > 0 ? best : -1;
    }
}

layer make_asoftmax_layer(int batch, int inputs, int outputs, asoftmax_params p)
{
    int i;
    layer l = {0};
    struct asoftmax_state *s = asoftmax_calloc(1, sizeof(*s));
    const size_t nw = (size_t)inputs * outputs;
    const float scale = sqrtf(2.f / inputs); /* as make_connected_layer */

    l.type = ASOFTMAX;
    l.learning_rate_scale = 1;
#ifdef ASOFTMAX_DARKNET_ALEXEYAB
    l.train = 1; /* the fork updates, and zeroes the delta of, only layers with l.train */
#endif
    l.batch = batch;
    l.inputs = inputs;
    l.outputs = outputs;
    l.nweights = inputs * outputs;
    l.h = l.w = 1;
    l.c = inputs;
    l.out_h = l.out_w = 1;
    l.out_c = outputs;

    l.output = asoftmax_calloc((size_t)batch * outputs, sizeof(float));
    l.delta = asoftmax_calloc((size_t)batch * outputs, sizeof(float));
    l.weights = asoftmax_calloc(nw, sizeof(float));
    l.weight_updates = asoftmax_calloc(nw, sizeof(float));
    l.cost = asoftmax_calloc(1, sizeof(float));
    for (i = 0; i < l.nweights; ++i) l.weights[i] = scale * rand_uniform(-1, 1);

    s->p = p;
    s->lambda = asoftmax_lambda(&p, 0);
    s->current = asoftmax_margin_at(&p, (size_t)p.warmup, s->lambda); /* inference: its s */
    s->reported = -1;
    s->labels = asoftmax_calloc((size_t)batch, sizeof(int));
    s->xcoef = asoftmax_calloc((size_t)batch, sizeof(float));
    s->ycoef = asoftmax_calloc((size_t)batch, sizeof(float));
    s->xnorm = asoftmax_calloc((size_t)batch, sizeof(float));
    s->wcoef = asoftmax_calloc((size_t)outputs, sizeof(float));
    s->wnorm = asoftmax_calloc((size_t)outputs, sizeof(float));
    s->xhat = asoftmax_calloc((size_t)batch * inputs, sizeof(float));
    l.asoftmax = s;

    l.forward = forward_asoftmax_layer;
    l.backward = backward_asoftmax_layer;
    l.update = update_asoftmax_layer;
#ifdef GPU
    if (gpu_index >= 0) {
        l.forward_gpu = forward_asoftmax_layer_gpu;
        l.backward_gpu = backward_asoftmax_layer_gpu;
        l.update_gpu = update_asoftmax_layer_gpu;
        l.output_gpu = cuda_make_array(l.output, (size_t)batch * outputs);
        l.delta_gpu = cuda_make_array(l.delta, (size_t)batch * outputs);
        l.weights_gpu = cuda_make_array(l.weights, nw);
        l.weight_updates_gpu = cuda_make_array(l.weight_updates, nw);
#ifdef ASOFTMAX_DARKNET_ALEXEYAB
        s->labels_gpu = cuda_make_int_array((size_t)batch); /* the fork's takes no host array */
#else
        s->labels_gpu = cuda_make_int_array(s->labels, (size_t)batch);
#endif
        s->xcoef_gpu = cuda_make_array(s->xcoef, (size_t)batch);
        s->ycoef_gpu = cuda_make_array(s->ycoef, (size_t)batch);
        s->xnorm_gpu = cuda_make_array(s->xnorm, (size_t)batch);
        s->wcoef_gpu = cuda_make_array(s->wcoef, (size_t)outputs);
        s->wnorm_gpu = cuda_make_array(s->wnorm, (size_t)outputs);
        s->xhat_gpu = cuda_make_array(s->xhat, (size_t)batch * inputs);
        s->gz_gpu = cuda_make_array(NULL, (size_t)batch * outputs);
        s->rowcost_gpu = cuda_make_array(NULL, (size_t)batch);
        s->rowcost = asoftmax_pinned((size_t)batch * sizeof(float));
        s->labels_pinned = asoftmax_pinned((size_t)batch * sizeof(int));
        s->tgt_gpu = asoftmax_device_doubles((size_t)batch * 4);
        s->part_gpu = asoftmax_device_doubles((size_t)batch * ASOFTMAX_MAX_SPLIT * 3);
    }
#endif

    fprintf(stderr, "asoftmax             %4d  ->  %4d   m1=%g m2=%g m3=%g s=%g lambda=max(%g, %g*(1+%g*t)^-%g)%s%s%s\n",
            inputs, outputs, p.m1, p.m2, p.m3, p.s, p.lambda_min, p.lambda_base,
            p.lambda_gamma, p.lambda_power, p.warmup ? " warmup" : "", p.tf32 ? " tf32" : "",
            p.caffe ? " gradient=caffe" : "");
    return l;
}

size_t asoftmax_allocated_bytes(layer l, int device)
{
    const size_t B = (size_t)l.batch, K = (size_t)l.inputs, C = (size_t)l.outputs;
    const size_t f = sizeof(float);
    const struct asoftmax_state *s = l.asoftmax;
    if (!s) return 0;
    if (!device) /* output, delta; weights, weight_updates; cost; the state and its arrays */
        return 2 * B * C * f + 2 * C * K * f + f + sizeof(*s) + B * sizeof(int) +
               3 * B * f /* xcoef, ycoef, xnorm */ + 2 * C * f /* wcoef, wnorm */ +
               B * K * f /* xhat */ + s->work_bytes;
#ifdef GPU
    if (s->labels_gpu) /* the same on the device, plus gz (B,C), rowcost (B), tgt, part */
        return 2 * B * C * f + 2 * C * K * f + B * sizeof(int) + 3 * B * f + 2 * C * f +
               B * K * f + B * C * f + B * f + B * 4 * sizeof(double) +
               B * ASOFTMAX_MAX_SPLIT * 3 * sizeof(double);
#endif
    return 0;
}

void free_asoftmax_state(struct asoftmax_state *s)
{
    if (!s) return;
#ifdef GPU
    if (s->labels_gpu) cudaFree(s->labels_gpu);
    if (s->xcoef_gpu) cuda_free(s->xcoef_gpu);
    if (s->ycoef_gpu) cuda_free(s->ycoef_gpu);
    if (s->xnorm_gpu) cuda_free(s->xnorm_gpu);
    if (s->wcoef_gpu) cuda_free(s->wcoef_gpu);
    if (s->wnorm_gpu) cuda_free(s->wnorm_gpu);
    if (s->xhat_gpu) cuda_free(s->xhat_gpu);
    if (s->gz_gpu) cuda_free(s->gz_gpu);
    if (s->rowcost_gpu) cuda_free(s->rowcost_gpu);
    if (s->rowcost) cudaFreeHost(s->rowcost);
    if (s->labels_pinned) cudaFreeHost(s->labels_pinned);
    if (s->tgt_gpu) cudaFree(s->tgt_gpu);
    if (s->part_gpu) cudaFree(s->part_gpu);
#endif
    free(s->labels);
    free(s->xcoef);
    free(s->ycoef);
    free(s->xnorm);
    free(s->wcoef);
    free(s->wnorm);
    free(s->xhat);
    free(s->work);
    free(s);
}

/* lambda and the margin at training batch t, for the CPU and the GPU step */
void asoftmax_schedule(struct asoftmax_state *s, long t)
{
    s->lambda = asoftmax_lambda(&s->p, (size_t)t);
    s->current = asoftmax_margin_at(&s->p, (size_t)t, s->lambda);
}

/* Darknet's callbacks, after a training forward at batch t: lambda and the margin on stderr at
 * the first batch trained and at every ASOFTMAX_REPORT_EVERY-th (once per batch, whatever the
 * subdivisions) */
#define ASOFTMAX_REPORT_EVERY 100
void asoftmax_report(struct asoftmax_state *s, long t)
{
    if (t != s->reported && (s->reported < 0 || t % ASOFTMAX_REPORT_EVERY == 0)) {
        fprintf(stderr, "[asoftmax] batch %ld: lambda %g, m1 %g, m2 %g, m3 %g\n", t, s->lambda,
                s->current.m1, s->current.m2, s->current.m3);
        s->reported = t;
    }
}

/* Training (train with labels or a truth): output = softmax of the margin logits, cost[0] = summed
 * cross-entropy, l.delta and the state for backward. Otherwise: output =
 * softmax(||x|| cos theta_j), the plain angular classifier. */
void asoftmax_forward_step(layer l, const float *input, const float *truth, const int *labels,
                           int train, long t)
{
    struct asoftmax_state *s = l.asoftmax;
    float cost;
    train = train && (truth || labels);
    if (train) {
        if (labels) memcpy(s->labels, labels, sizeof(int) * (size_t)l.batch);
        else asoftmax_labels_from_truth(l.batch, l.outputs, truth, s->labels);
        asoftmax_schedule(s, t);
        /* gradient=caffe: the official layer renormalizes its weights at every forward pass */
        if (s->p.caffe) asoftmax_normalize_rows_f(l.outputs, l.inputs, l.weights, s->wnorm);
    }
    cost = asm_forward_work_f(l.batch, l.inputs, l.outputs, input, l.weights,
                              train ? s->labels : NULL, &s->current, l.output,
                              l.delta, s->xcoef, s->wcoef, s->xnorm, s->wnorm, s->xhat,
                              s->ycoef, &s->work, &s->work_bytes);
    if (train) l.cost[0] = cost;
}

/* delta_in += dL/dinput (when not NULL), weight_updates += dL/dW (negative gradients) */
void asoftmax_backward_step(layer l, const float *input, float *delta_in)
{
    struct asoftmax_state *s = l.asoftmax;
    asoftmax_backward_f(l.batch, l.inputs, l.outputs, input, l.weights, l.delta, s->xcoef,
                        s->wcoef, delta_in, l.weight_updates);
    if (s->p.caffe && delta_in)
        asoftmax_backward_target_f(l.batch, l.inputs, s->labels, s->ycoef, l.weights, delta_in);
}

/* SGD with momentum and weight decay, exactly as update_connected_layer's weight part
 * (axpy_cpu, axpy_cpu, scal_cpu over the C*K weights), in one pass over U = weight_updates
 * and W = weights with the same float operations per entry, so the same bits:
 *   U += (-decay * batch) W;   W += (lr / batch) U;   U *= momentum */
void asoftmax_update_step(layer l, int batch, float learning_rate, float momentum, float decay)
{
    const float neg_decay = -decay * batch, rate = learning_rate * l.learning_rate_scale / batch;
    const long n = (long)l.inputs * l.outputs;
    float *w = l.weights, *u = l.weight_updates;
    long i;
#pragma omp parallel for schedule(static) if (n >= ASM_PAR_MIN)
    for (i = 0; i < n; ++i) {
        const float ui = u[i] + neg_decay * w[i];
        w[i] += rate * ui;
        u[i] = momentum * ui;
    }
}

#ifdef ASOFTMAX_DARKNET_ALEXEYAB
void forward_asoftmax_layer(layer l, network_state state)
{
    const long t = (long)get_current_batch(state.net);
    asoftmax_forward_step(l, state.input, state.truth, state.net.labels, state.train, t);
    if (state.train) asoftmax_report(l.asoftmax, t);
}

void backward_asoftmax_layer(layer l, network_state state)
{
    asoftmax_backward_step(l, state.input, state.delta);
}

void update_asoftmax_layer(layer l, int batch, float learning_rate, float momentum, float decay)
{
    asoftmax_update_step(l, batch, learning_rate, momentum, decay);
}
#else
void forward_asoftmax_layer(layer l, network net)
{
    const long t = (long)get_current_batch(&net);
    asoftmax_forward_step(l, net.input, net.truth, net.labels, net.train, t);
    if (net.train) asoftmax_report(l.asoftmax, t);
}

void backward_asoftmax_layer(layer l, network net)
{
    asoftmax_backward_step(l, net.input, net.delta);
}

void update_asoftmax_layer(layer l, update_args a)
{
    asoftmax_update_step(l, a.batch, a.learning_rate, a.momentum, a.decay);
}
#endif

#ifdef GPU
/* The GPU twin of asoftmax_forward_step: lambda and the margin here, the kernels in
 * asoftmax_kernels.cu (asoftmax_forward_gpu) */
void asoftmax_forward_step_gpu(layer l, const float *input, const float *truth,
                               const int *labels, int train, long t)
{
    if (train && (truth || labels)) asoftmax_schedule(l.asoftmax, t);
    asoftmax_forward_gpu(l, input, truth, labels, train);
}

#ifdef ASOFTMAX_DARKNET_ALEXEYAB
/* state.input, state.truth and state.delta are device pointers here */
void forward_asoftmax_layer_gpu(layer l, network_state state)
{
    const long t = (long)get_current_batch(state.net);
    asoftmax_forward_step_gpu(l, state.input, state.truth, state.net.labels, state.train, t);
    if (state.train) asoftmax_report(l.asoftmax, t);
}

/* the fork's mixed-precision loss_scale: the gradient scaled before the products
 * (asoftmax_scale_gradient_gpu); nothing to do at the default loss_scale = 1 */
void backward_asoftmax_layer_gpu(layer l, network_state state)
{
    if (state.net.loss_scale != 1.0f) asoftmax_scale_gradient_gpu(l, state.net.loss_scale);
    asoftmax_backward_step_gpu(l, state.input, state.delta);
}

void update_asoftmax_layer_gpu(layer l, int batch, float learning_rate, float momentum,
                               float decay, float loss_scale)
{
    if (loss_scale != 1.0f) asoftmax_scale_updates_gpu(l, 1.0f / loss_scale);
    asoftmax_update_step_gpu(l, batch, learning_rate, momentum, decay);
}
#else
/* net.input_gpu and net.delta_gpu are the previous layer's device arrays; net.truth_gpu holds
 * the truth that forward_network_gpu pushed (when net.truth is set) */
void forward_asoftmax_layer_gpu(layer l, network net)
{
    const long t = (long)get_current_batch(&net);
    asoftmax_forward_step_gpu(l, net.input_gpu, net.truth ? net.truth_gpu : NULL, net.labels,
                              net.train, t);
    if (net.train) asoftmax_report(l.asoftmax, t);
}

void backward_asoftmax_layer_gpu(layer l, network net)
{
    asoftmax_backward_step_gpu(l, net.input_gpu, net.delta_gpu);
}

void update_asoftmax_layer_gpu(layer l, update_args a)
{
    asoftmax_update_step_gpu(l, a.batch, a.learning_rate, a.momentum, a.decay);
}
#endif
#endif

/* ---- cfg parsing: every value validated, one clear message ---- */

typedef struct {
    int index;    /* layer index, for the message */
    char *msg;    /* where the first error goes */
    size_t len;
    int failed;
} asoftmax_cfg;

static void asoftmax_cfg_error(asoftmax_cfg *c, const char *key, const char *val, const char *why)
{
    if (c->failed) return;
    c->failed = 1;
    if (val) snprintf(c->msg, c->len, "[asoftmax] layer %d: %s = '%s': %s", c->index, key, val, why);
    else snprintf(c->msg, c->len, "[asoftmax] layer %d: %s: %s", c->index, key, why);
}

/* Integer option in [lo, hi]; `def` when absent unless `required`. */
static int asoftmax_opt_int(asoftmax_cfg *c, list *options, const char *key, int def,
                            int required, long lo, long hi, const char *why)
{
    char *end = NULL;
    long v;
    char *val = option_find(options, (char *)key);
    if (!val) {
        if (required) asoftmax_cfg_error(c, key, NULL, why);
        return def;
    }
    errno = 0;
    v = strtol(val, &end, 10);
    if (end == val || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
        asoftmax_cfg_error(c, key, val, why);
        return def;
    }
    return (int)v;
}

/* Finite real option in [lo, hi] (hi excluded when hi_open); `def` when absent. The
 * finiteness test reads the bits (asoftmax_is_finite), so that "nan" and "inf" are rejected
 * in the -Ofast build users run, not only in the test build. */
static double asoftmax_opt_real(asoftmax_cfg *c, list *options, const char *key, double def,
                                double lo, double hi, int hi_open, const char *why)
{
    char *end = NULL;
    double v;
    char *val = option_find(options, (char *)key);
    if (!val) return def;
    errno = 0;
    v = strtod(val, &end);
    if (end == val || *end != '\0' || errno == ERANGE || !asoftmax_is_finite(v) || v < lo ||
        v > hi || (hi_open && v == hi)) {
        asoftmax_cfg_error(c, key, val, why);
        return def;
    }
    return v;
}

/* Finite float option >= 0 */
static float asoftmax_opt_nonneg(asoftmax_cfg *c, list *options, const char *key, float def)
{
    return (float)asoftmax_opt_real(c, options, key, def, 0, FLT_MAX, 0, "must be a finite number >= 0");
}

int asoftmax_parse_options(list *options, int inputs, int index, int is_last,
                           asoftmax_params *p, int *outputs, char *msg, size_t msglen)
{
    asoftmax_cfg c = {index, msg, msglen, 0};
    char *type = option_find(options, "type");
    *p = asoftmax_default_params();
    if (type) {
        if (!strcmp(type, "sphereface")) *p = asoftmax_type_params(ASOFTMAX_SPHEREFACE);
        else if (!strcmp(type, "arcface")) *p = asoftmax_type_params(ASOFTMAX_ARCFACE);
        else if (!strcmp(type, "cosface")) *p = asoftmax_type_params(ASOFTMAX_COSFACE);
        else asoftmax_cfg_error(&c, "type", type, "must be sphereface, arcface or cosface");
    }
    *outputs = asoftmax_opt_int(&c, options, "output", 0, 1, 2, 1 << 24,
                                "required: the number of classes, an integer >= 2");
    p->m1 = asoftmax_opt_real(&c, options, "margin", p->m1, 1, ASOFTMAX_MAX_MARGIN, 0,
                                  "must be a number m1 with 1 <= m1 <= 64 (1: no multiplicative margin)");
    p->m2 = asoftmax_opt_real(&c, options, "m2", p->m2, 0, M_PI, 1,
                              "must be an angle in radians with 0 <= m2 < pi");
    p->m3 = asoftmax_opt_real(&c, options, "m3", p->m3, 0, 2, 0, "must be a number with 0 <= m3 <= 2");
    p->s = asoftmax_opt_real(&c, options, "s", p->s, 0, 1e4, 0,
                             "must be a number with 0 <= s <= 10000 (0: logits ||x|| cos theta)");
    p->warmup = asoftmax_opt_int(&c, options, "margin_warmup", p->warmup, 0, 0, 1 << 30,
                                 "must be an integer number of batches >= 0");
    {
        char *grad = option_find(options, "gradient");
        if (grad && !strcmp(grad, "caffe")) p->caffe = 1;
        else if (grad && strcmp(grad, "exact"))
            asoftmax_cfg_error(&c, "gradient", grad, "must be exact (the default) or caffe");
        if (p->caffe && (p->s != 0 || p->m2 != 0 || p->m3 != 0))
            asoftmax_cfg_error(&c, "gradient", grad,
                               "caffe is the official SphereFace layer's rule: it needs s=0, m2=0 and m3=0");
    }
    p->lambda_base = asoftmax_opt_nonneg(&c, options, "lambda_base", p->lambda_base);
    p->lambda_gamma = asoftmax_opt_nonneg(&c, options, "lambda_gamma", p->lambda_gamma);
    p->lambda_power = asoftmax_opt_nonneg(&c, options, "lambda_power", p->lambda_power);
    p->lambda_min = asoftmax_opt_nonneg(&c, options, "lambda_min", p->lambda_min);
    p->tf32 = asoftmax_opt_int(&c, options, "tf32", p->tf32, 0, 0, 1,
                               "must be 0 (FP32 products) or 1 (TF32 products on the GPU)");
    if (inputs < 1) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%d", inputs);
        asoftmax_cfg_error(&c, "inputs", buf,
                           "the layer's input is empty (check [net] width/height/channels)");
    }
    if (!is_last)
        asoftmax_cfg_error(&c, "position", NULL,
                           "[asoftmax] reads the labels and must be the last layer of the cfg");
    if (!c.failed && (double)inputs * *outputs > 2147483647.0)
        asoftmax_cfg_error(&c, "output", option_find(options, "output"),
                           "inputs * output exceeds 2^31-1 weights");
    return c.failed ? -1 : 0;
}

layer parse_asoftmax(list *options, int batch, int inputs, int index, int is_last)
{
    asoftmax_params p;
    int outputs;
    char msg[512];
    if (asoftmax_parse_options(options, inputs, index, is_last, &p, &outputs, msg, sizeof(msg))) {
        fprintf(stderr, "\n%s\n", msg);
        exit(EXIT_FAILURE);
    }
    return make_asoftmax_layer(batch, inputs, outputs, p);
}

/* ---- weights file ---- */

void save_asoftmax_weights(layer l, FILE *fp)
{
    const size_t n = (size_t)l.inputs * l.outputs;
#ifdef GPU
    if (l.weights_gpu) pull_asoftmax_layer(l);
#endif
    if (fwrite(l.weights, sizeof(float), n, fp) != n) {
        fprintf(stderr, "[asoftmax] could not write %zu weights\n", n);
        exit(EXIT_FAILURE);
    }
}

/* A file that ends before this layer (a backbone from `darknet partial`) keeps the initial
 * weights; a file that ends inside this layer is truncated: an error. */
void load_asoftmax_weights(layer l, FILE *fp)
{
    const size_t n = (size_t)l.inputs * l.outputs;
    size_t got = fread(l.weights, sizeof(float), n, fp);
    if (got == 0) {
        fprintf(stderr, "\n[asoftmax] weights file has no weights for this layer: "
                        "keeping the initial weights\n");
    } else if (got != n) {
        fprintf(stderr, "\n[asoftmax] weights file is truncated: read %zu of %zu weights\n", got,
                n);
        exit(EXIT_FAILURE);
    }
#ifdef GPU
    if (l.weights_gpu) push_asoftmax_layer(l);
#endif
}
