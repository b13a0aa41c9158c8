/*
 * test_network_gpu.c — whole-network CPU/GPU parity: the same cfg, weights, images and labels,
 * one training step (forward_network + backward_network, as train_network_datum does before
 * its update) on the CPU and on the GPU; every layer's weight, bias (and batch-norm scale)
 * updates and the loss compared. This is the check that would have caught Darknet's GPU-only
 * clamp of [connected] deltas to [-1, 1] (patches/0004): with it the Fashion-MNIST cfg's
 * embedding layer differed by up to 85 %.
 *
 *   usage: test_network_gpu SCRATCH_DIR CFG:BATCH[:WEIGHTS] ...
 *   e.g.   test_network_gpu /tmp cfg/fmnist-asoftmax.cfg:16 cfg/sphereface20.cfg:2
 * (WEIGHTS: start from a trained state instead of Darknet's random initialization)
 * The GPU run sets NVIDIA_TF32_OVERRIDE=0 (float math in cuDNN and cuBLAS) unless PARITY_TF32
 * is set in the environment; `make gpu-check` reports the TF32 run too, without gating on it.
 *
 * Each cfg is copied with batch=BATCH, subdivisions=1 (tests/small_cfg.h) and parsed twice in
 * this GPU build: with gpu_index = -1 (the CPU network) and 0 (the GPU network, cuDNN and
 * cuBLAS); the CPU network's random weights are saved and loaded into the GPU one. Images are
 * uniform in [0, 1), labels uniform; the batch counter is set so that lambda is at its floor.
 *
 * Tolerance, per layer, normwise: |gpu - cpu| / |cpu| <= 2 (d_ref + g(n)). The GPU differs from
 * the CPU only by rounding: every layer's sums in another order (cuDNN, cuBLAS) and its own
 * kernels. To first order each layer's rounding is a relative perturbation of at most g(n_l)
 * (n_l its reduction length, g(n) = n 2^-24 / (1 - n 2^-24)) of what it passes on, so the
 * whole forward pass errs at most like a relative input perturbation of g(N), N = sum of n_l.
 * d_ref measures what such a perturbation does in this network at this point: the CPU step is
 * rerun with every input value scaled by (1 +- g(N)) (random signs, 3 draws) and d_ref is the
 * largest normwise change of each layer's updates (and of the loss). This also covers the
 * kinks (a leaky slope or a max-pool choice flipping under rounding), which such a
 * perturbation flips more often than rounding does. g(n) adds the layer's own weight-gradient
 * sum (n = batch x output positions). The factor 2: the CPU and the GPU each carry such an
 * error. A semantic difference (a clamp, a missing term) is orders of magnitude above it.
 *
 * Built by `make gpu-build` against build/darknet-gpu; run by `make gpu-check`. Without a
 * CUDA device it prints SKIPPED and counts each cfg as skipped, never passed.
 *
 * The same file built without -DGPU (`make test`, against the CPU test build) checks the
 * check itself: the second network is a CPU twin, once plain (every difference must be 0)
 * and once with the stock GPU's clamp of [connected] deltas emulated in its backward pass
 * (wherever the clamp changes a delta the comparison must flag it; tests/parity-head.cfg,
 * lambda = 0, is a cfg where it does).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asoftmax_layer.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* Darknet's activations.h */
#include "connected_layer.h"
#include "convolutional_layer.h"
#pragma GCC diagnostic pop
#include "cuda.h"
#include "darknet.h"
#include "network.h"
#include "parser.h"

#include "backward_hook.h"
#include "check.h"
#include "small_cfg.h"

#define NPERT 3
#define MAXL 256

static double gam(double n) { return n * 0x1p-24 / (1 - n * 0x1p-24); }

/* the trainable arrays of a layer, in a fixed order: weights, biases, scales */
typedef struct {
    float *h[3];  /* host arrays of the updates */
    size_t n[3];
} updates;

static updates layer_updates(layer *l)
{
    updates u = {{NULL, NULL, NULL}, {0, 0, 0}};
    if (l->type == CONVOLUTIONAL) {
        u.h[0] = l->weight_updates; u.n[0] = (size_t)l->nweights;
        u.h[1] = l->bias_updates;   u.n[1] = (size_t)l->n;
        if (l->batch_normalize) { u.h[2] = l->scale_updates; u.n[2] = (size_t)l->n; }
    } else if (l->type == CONNECTED) {
        u.h[0] = l->weight_updates; u.n[0] = (size_t)l->inputs * l->outputs;
        u.h[1] = l->bias_updates;   u.n[1] = (size_t)l->outputs;
        if (l->batch_normalize) { u.h[2] = l->scale_updates; u.n[2] = (size_t)l->outputs; }
    } else if (l->type == ASOFTMAX) {
        u.h[0] = l->weight_updates; u.n[0] = (size_t)l->inputs * l->outputs;
    }
    return u;
}

/* length of the forward reduction of a layer (0: no products) */
static double reduction_length(layer *l)
{
    if (l->type == CONVOLUTIONAL) return (double)l->c / (l->groups > 0 ? l->groups : 1) * l->size * l->size;
    if (l->type == CONNECTED || l->type == ASOFTMAX) return l->inputs;
    return 0;
}

/* length of a layer's weight-gradient sums: batch x output positions */
static double update_length(layer *l)
{
    if (l->type == CONVOLUTIONAL) return (double)l->batch * l->out_h * l->out_w;
    return l->batch;
}

/* one step's results: a copy of every update array, the loss */
typedef struct {
    float *u[MAXL][3];
    double loss;
} step_result;

static void zero_updates(network *net)
{
    int i, k;
    for (i = 0; i < net->n; ++i) {
        updates u = layer_updates(&net->layers[i]);
        for (k = 0; k < 3; ++k) if (u.h[k]) memset(u.h[k], 0, sizeof(float) * u.n[k]);
    }
}

#ifndef GPU /* the CPU self-check build: no device code is ever reached */
static void pull_convolutional_layer(layer l) { (void)l; }
static void pull_connected_layer(layer l) { (void)l; }
static void push_convolutional_layer(layer l) { (void)l; }
static void push_connected_layer(layer l) { (void)l; }
static void pull_asoftmax_layer(layer l) { (void)l; }
static void push_asoftmax_layer(layer l) { (void)l; }
#endif

/* Darknet's pull_/push_{convolutional,connected}_layer move the weights, biases, their
 * updates and the batch-norm scales, but not the scales' updates: those move here */
static void move_scale_updates(layer *l, int to_device)
{
#ifdef GPU
    size_t n = l->type == CONVOLUTIONAL ? (size_t)l->n : (size_t)l->outputs;
    if (!l->batch_normalize || (l->type != CONVOLUTIONAL && l->type != CONNECTED)) return;
    if (to_device) cuda_push_array(l->scale_updates_gpu, l->scale_updates, n);
    else cuda_pull_array(l->scale_updates_gpu, l->scale_updates, n);
#else
    (void)l;
    (void)to_device;
#endif
}

static void pull_updates_gpu(network *net)
{
    int i;
    for (i = 0; i < net->n; ++i) {
        layer l = net->layers[i];
        if (l.type == CONVOLUTIONAL) pull_convolutional_layer(l);
        else if (l.type == CONNECTED) pull_connected_layer(l);
        else if (l.type == ASOFTMAX) pull_asoftmax_layer(l);
        move_scale_updates(&l, 0);
    }
}

static size_t n_clamped; /* entries the emulated clamp changed in the last run */

/* before each layer's CPU backward (dev/backward_hook.h): clamp a [connected] layer's
 * delta to [-1, 1], as stock backward_connected_layer_gpu does */
static void clamp_hook(layer *l, int index, void *ctx)
{
    size_t j;
    (void)index;
    (void)ctx;
    if (l->type != CONNECTED) return;
    for (j = 0; j < (size_t)l->outputs * l->batch; ++j)
        if (fabsf(l->delta[j]) > 1) {
            l->delta[j] = l->delta[j] > 0 ? 1 : -1;
            ++n_clamped;
        }
}

/* forward + backward on `net` (its own device) from images x and one-hot truth t; on the
 * CPU, `clamp` emulates the stock GPU's [connected] delta clamp */
static void train_step(network *net, const float *x, const float *t, int clamp, step_result *r)
{
    int i, k;
    zero_updates(net);
    if (net->gpu_index >= 0) { /* the zeroed updates (and the same weights) to the device */
        for (i = 0; i < net->n; ++i) {
            layer l = net->layers[i];
            if (l.type == CONVOLUTIONAL) push_convolutional_layer(l);
            else if (l.type == CONNECTED) push_connected_layer(l);
            else if (l.type == ASOFTMAX) push_asoftmax_layer(l);
            move_scale_updates(&l, 1);
        }
    }
    memcpy(net->input, x, sizeof(float) * net->inputs * net->batch);
    memcpy(net->truth, t, sizeof(float) * net->truths * net->batch);
    net->train = 1;
    forward_network(net);
    if (net->gpu_index >= 0) {
        backward_network(net);
        pull_updates_gpu(net);
    } else {
        backward_network_hooked(net, clamp ? clamp_hook : NULL, NULL);
    }
    r->loss = *net->cost;
    for (i = 0; i < net->n; ++i) {
        updates u = layer_updates(&net->layers[i]);
        for (k = 0; k < 3; ++k) {
            r->u[i][k] = NULL;
            if (!u.h[k]) continue;
            r->u[i][k] = malloc(sizeof(float) * u.n[k]);
            memcpy(r->u[i][k], u.h[k], sizeof(float) * u.n[k]);
        }
    }
}

static void free_result(int n, step_result *r)
{
    int i, k;
    for (i = 0; i < n; ++i) for (k = 0; k < 3; ++k) free(r->u[i][k]);
}

/* |a - b| / |b| over n values (0 when both are 0) */
static double rel_norm(const float *a, const float *b, size_t n)
{
    double d = 0, s = 0;
    size_t i;
    for (i = 0; i < n; ++i) {
        double e = (double)a[i] - b[i];
        d += e * e;
        s += (double)b[i] * b[i];
    }
    return d == 0 ? 0 : (s == 0 ? INFINITY : sqrt(d / s));
}

static void free_net(network *net)
{
    /* Darknet's free_network never frees these */
#ifdef GPU
    if (net->gpu_index >= 0) cuda_free(net->workspace);
    else
#endif
        free(net->workspace);
    free(net->steps);
    free(net->scales);
    free_network(net);
}

/* One parity run: returns max over the loss and every layer's updates of difference /
 * tolerance (> 1: not equal within rounding; NaN: a non-finite result; -1: could not run).
 * device: 0 = the GPU network, -1 = a CPU twin (with `clamp`: the stock GPU clamp emulated). */
static double run_cfg(const char *dir, const char *spec, int index, int device, int clamp)
{
    char small[4096], wfile[4096];
    char arg[4096], *colon, *weights, *end = NULL;
    const char *cfg;
    long batch;
    network *nc, *ng;
    float *x, *xp, *t;
    step_result rc, rg, rp;
    double N = 0, dref[MAXL][3] = {{0}}, dref_loss = 0, worst = 0;
    size_t nx, i;
    int li, k, p, B;

    /* CFG:BATCH[:WEIGHTS] */
    snprintf(arg, sizeof(arg), "%s", spec);
    colon = strchr(arg, ':');
    if (!colon || colon == arg) {
        printf("bad argument '%s': want CFG:BATCH[:WEIGHTS]\n", spec);
        return -1;
    }
    *colon = '\0';
    weights = strchr(colon + 1, ':');
    if (weights) *weights++ = '\0';
    batch = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || batch < 1 || batch > 4096) {
        printf("bad batch in '%s': want an integer 1..4096\n", spec);
        return -1;
    }
    B = (int)batch;
    cfg = arg;
    snprintf(small, sizeof(small), "%s/parity-%d.cfg", dir, index);
    snprintf(wfile, sizeof(wfile), "%s/parity.weights", dir);
    if (write_small_cfg(cfg, small, B)) return -1;

    n_clamped = 0;
    srand(2026);
    /* Darknet's load_/save_weights move a layer's arrays to/from the device whenever the
     * global gpu_index is >= 0, whatever the network's own: the CPU twin's file is read and
     * written while gpu_index says "no device" (else they pull from its NULL device arrays) */
    gpu_index = -1;
    nc = parse_network_cfg(small);
    if (nc->n > MAXL) {
        printf("%s: %d layers, more than %d\n", cfg, nc->n, MAXL);
        return -1;
    }
    if (weights) load_weights(nc, weights); /* a trained state (else Darknet's initialization) */
    save_weights(nc, wfile);
    gpu_index = device;
    ng = parse_network_cfg(small);
    load_weights(ng, wfile);
    *nc->seen = *ng->seen = (size_t)B * 100000; /* lambda at its floor */

    urand_state = 0x2545F4914F6CDD1DULL; /* the same images and labels in every run */
    nx = (size_t)nc->inputs * B;
    x = malloc(sizeof(float) * nx);
    xp = malloc(sizeof(float) * nx);
    t = calloc((size_t)nc->truths * B, sizeof(float));
    for (i = 0; i < nx; ++i) x[i] = (float)urand();
    for (k = 0; k < B; ++k) t[(size_t)k * nc->truths + (size_t)(urand() * nc->truths)] = 1;
    for (li = 0; li < nc->n; ++li) N += reduction_length(&nc->layers[li]);

    urand_state = 0x5DEECE66DULL; /* the same perturbations in every run */
    train_step(nc, x, t, 0, &rc);
    for (p = 0; p < NPERT; ++p) { /* the network's response to a perturbation of size g(N) */
        for (i = 0; i < nx; ++i) xp[i] = (float)(x[i] * (1 + (urand() < 0.5 ? -1 : 1) * gam(N)));
        train_step(nc, xp, t, 0, &rp);
        dref_loss = fmax(dref_loss, fabs(rp.loss - rc.loss) / fabs(rc.loss));
        for (li = 0; li < nc->n; ++li) {
            updates u = layer_updates(&nc->layers[li]);
            for (k = 0; k < 3; ++k)
                if (u.h[k]) dref[li][k] = fmax(dref[li][k], rel_norm(rp.u[li][k], rc.u[li][k], u.n[k]));
        }
        free_result(nc->n, &rp);
    }
    train_step(ng, x, t, clamp, &rg);

    {
        double d = fabs(rg.loss - rc.loss) / fabs(rc.loss), tol = 2 * (dref_loss + gam(N));
        if (!(d <= tol))
            printf("  %s batch %d: loss %.9g vs %.9g (cpu): relative difference %.3g > %.3g\n",
                   cfg, B, rg.loss, rc.loss, d, tol);
        worst = d / tol > worst || d != d ? d / tol : worst;
    }
    for (li = 0; li < nc->n; ++li) {
        static const char *what[3] = {"weight", "bias", "scale"};
        layer *l = &nc->layers[li];
        updates u = layer_updates(l);
        for (k = 0; k < 3; ++k) {
            double d, tol;
            if (!u.h[k]) continue;
            d = rel_norm(rg.u[li][k], rc.u[li][k], u.n[k]);
            tol = 2 * (dref[li][k] + gam(update_length(l)));
            if (!(d <= tol))
                printf("  %s batch %d: layer %d (%s) %s updates differ by %.3g (tolerance %.3g)\n",
                       cfg, B, li, get_layer_string(l->type), what[k], d, tol);
            worst = d / tol > worst || d != d ? d / tol : worst;
        }
    }
    printf("network parity %s batch %d (%s): %d layers, N = %.0f, loss %.6g (cpu) %.6g, "
           "worst difference / tolerance %.3g\n", cfg, B,
           device >= 0 ? "gpu" : clamp ? "cpu twin, stock gpu clamp emulated" : "cpu twin",
           nc->n, N, rc.loss, rg.loss, worst);
    if (clamp) printf("  the emulated clamp changed %zu delta entries\n", n_clamped);

    free_result(nc->n, &rc);
    free_result(ng->n, &rg);
    free(x); free(xp); free(t);
    free_net(nc);
    free_net(ng);
    return worst;
}

int main(int argc, char **argv)
{
    int i;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3) {
        fprintf(stderr, "usage: %s SCRATCH_DIR CFG:BATCH[:WEIGHTS] ...\n", argv[0]);
        return 2;
    }
#ifdef GPU
    {
        int ndev = 0;
        cudaError_t e;
        /* cuDNN may run FP32 convolutions in TF32 (10-bit mantissa) on Ampere and newer: not
         * rounding of float sums. Compare float with float unless PARITY_TF32 is set. */
        if (!getenv("PARITY_TF32")) setenv("NVIDIA_TF32_OVERRIDE", "0", 1);
        e = cudaGetDeviceCount(&ndev);
        if (e != cudaSuccess || ndev == 0) {
            printf("SKIPPED: no CUDA device (%s): %d whole-network parity checks not run\n",
                   e != cudaSuccess ? cudaGetErrorString(e) : "0 devices", argc - 2);
            printf("0 passed, 0 failed, %d skipped\n", argc - 2);
            return 0;
        }
        cuda_set_device(0);
        for (i = 2; i < argc; ++i) {
            double q = run_cfg(argv[1], argv[i], i - 1, 0, 0);
            CHECK(q >= 0 && q <= 1, "%s: GPU and CPU steps differ beyond rounding (difference / "
                  "tolerance %.3g)", argv[i], q);
        }
    }
#else
    /* the check itself, on CPU twins: exact agreement, and the stock GPU clamp detected */
    for (i = 2; i < argc; ++i) {
        double q = run_cfg(argv[1], argv[i], i - 1, -1, 0);
        CHECK(q == 0, "%s: two identical CPU steps differ (difference / tolerance %.3g)", argv[i], q);
        q = run_cfg(argv[1], argv[i], i - 1, -1, 1);
        if (n_clamped) /* where the clamp changed anything, the comparison must say so */
            CHECK(q > 1, "%s: the emulated GPU clamp of %zu [connected] deltas went unnoticed "
                  "(difference / tolerance %.3g)", argv[i], n_clamped, q);
    }
#endif
    printf("%d passed, %d failed, 0 skipped\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
