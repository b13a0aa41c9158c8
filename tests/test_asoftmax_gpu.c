/*
 * test_asoftmax_gpu.c — every GPU result of the [asoftmax] layer against the CPU layer on
 * the same inputs: training output and cost, the layer's delta, the input delta, the
 * weight updates, the inference output, and the weights after several update steps;
 * m = 1..5, lambda in {0, 5, 1000}, odd shapes (batch 1, K = 1, C and K not multiples of
 * the 256-thread block, C = 10572), a zero feature vector, a zero weight row and an
 * unlabeled sample in every case that has room for them.
 *
 * Tolerance: 1e-4 on |gpu - cpu| / max(1, |cpu|). The GPU runs the same float/double steps
 * as the CPU (shared formulas in src/asoftmax_math.h) except for summation order: cuBLAS
 * vs Darknet's gemm over K (<= 512) float products and the block reductions, which move
 * float results by a few K * 2^-24 ~ 3e-5 relative at K = 512; three SGD steps add little.
 *
 * Usage: test_asoftmax_gpu [--small]   (--small: only the shapes up to B=17 K=33 C=10, for
 * runs under compute-sanitizer, `make gpu-check`).
 * Built against the GPU=1 build (`make test` when nvcc is installed, `make gpu-check`).
 * Without a CUDA device it prints SKIPPED and counts every case as skipped, never passed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asoftmax_layer.h"
#include "cuda.h"
#include "darknet.h"

#if defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__
#error "compare() must see NaN: build without -ffinite-math-only (-Ofast)"
#endif

static int n_pass, n_fail;
static double worst;

static unsigned long long rng = 88172645463325252ULL;
static float frand(void) /* uniform [-1, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) / 4503599627370496.0 - 1.0);
}

static float *falloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

/* max |a - b| / max(1, |b|) over n values; records a failure above the tolerance */
static void compare(const char *what, const float *gpu, const float *cpu, size_t n,
                    const char *where)
{
    double e = 0;
    size_t i;
    for (i = 0; i < n; ++i) {
        double d = fabs((double)gpu[i] - cpu[i]) / fmax(1.0, fabs(cpu[i]));
        if (!(d <= e)) e = d; /* NaN propagates as a failure */
    }
    if (e <= 1e-4) {
        ++n_pass;
    } else {
        ++n_fail;
        printf("FAIL %s: %s differs from the CPU by %.3g\n", where, what, e);
    }
    if (e > worst || e != e) worst = e;
}

static float *pull(float *x_gpu, size_t n)
{
    float *h = falloc(n);
    cuda_pull_array(x_gpu, h, n);
    return h;
}

static void run_case(int B, int K, int C, int m, float lambda)
{
    asoftmax_params p = asoftmax_default_params();
    layer l;
    network nc = {0}, ng = {0};
    size_t seen = (size_t)1200 * B, BK = (size_t)B * K, BC = (size_t)B * C, CK = (size_t)C * K;
    float *x = falloc(BK), *truth = falloc(BC), *dx = falloc(BK), *zeros = falloc(BK > BC ? BK : BC);
    float *out_c, *delta_c, *wu_c, *g, *dx_gpu;
    float cost_c;
    char where[128];
    int i, b, step;
    update_args a = {0};

    snprintf(where, sizeof(where), "B=%d K=%d C=%d m=%d lambda=%g", B, K, C, m, lambda);
    p.margin = m;
    p.lambda_base = lambda;
    p.lambda_min = lambda;
    l = make_asoftmax_layer(B, K, C, p);
    for (i = 0; i < (int)CK; ++i) l.weights[i] = frand();
    if (C > 2) memset(l.weights + (size_t)(C - 1) * K, 0, sizeof(float) * K); /* zero weight row */
    push_asoftmax_layer(l);
    for (i = 0; i < (int)BK; ++i) x[i] = 3 * frand();
    if (B > 2) memset(x, 0, sizeof(float) * K); /* zero feature vector */
    for (b = 0; b < B; ++b) truth[(size_t)b * C + (int)((frand() + 1) / 2 * C) % C] = 1;
    if (B > 1) memset(truth + (size_t)(B - 1) * C, 0, sizeof(float) * C); /* unlabeled */

    nc.batch = ng.batch = B;
    nc.subdivisions = ng.subdivisions = 1;
    nc.seen = ng.seen = &seen;
    nc.train = ng.train = 1;
    nc.truth = ng.truth = truth;
    nc.input = x;
    nc.delta = dx;
    ng.input_gpu = cuda_make_array(x, BK);
    ng.delta_gpu = dx_gpu = cuda_make_array(zeros, BK);

    /* one training pass */
    forward_asoftmax_layer(l, nc);
    out_c = falloc(BC); memcpy(out_c, l.output, sizeof(float) * BC);
    delta_c = falloc(BC); memcpy(delta_c, l.delta, sizeof(float) * BC);
    cost_c = l.cost[0];
    backward_asoftmax_layer(l, nc);
    wu_c = falloc(CK); memcpy(wu_c, l.weight_updates, sizeof(float) * CK);

    forward_asoftmax_layer_gpu(l, ng);
    compare("cost", &l.cost[0], &cost_c, 1, where);
    g = pull(l.output_gpu, BC); compare("training output", g, out_c, BC, where); free(g);
    g = pull(l.delta_gpu, BC); compare("layer delta", g, delta_c, BC, where); free(g);
    backward_asoftmax_layer_gpu(l, ng);
    g = pull(ng.delta_gpu, BK); compare("input delta", g, dx, BK, where); free(g);
    g = pull(l.weight_updates_gpu, CK); compare("weight updates", g, wu_c, CK, where); free(g);

    /* inference */
    nc.train = ng.train = 0;
    forward_asoftmax_layer(l, nc);
    forward_asoftmax_layer_gpu(l, ng);
    g = pull(l.output_gpu, BC); compare("inference output", g, l.output, BC, where); free(g);

    /* three SGD steps from the same state, as layer 0 (no input delta) */
    memset(l.weight_updates, 0, sizeof(float) * CK);
    push_asoftmax_layer(l);
    nc.train = ng.train = 1;
    nc.delta = NULL;
    ng.delta_gpu = NULL;
    a.batch = B; a.learning_rate = 0.1f; a.momentum = 0.9f; a.decay = 0.0005f;
    for (step = 0; step < 3; ++step) {
        forward_asoftmax_layer(l, nc);
        backward_asoftmax_layer(l, nc);
        update_asoftmax_layer(l, a);
        forward_asoftmax_layer_gpu(l, ng);
        backward_asoftmax_layer_gpu(l, ng);
        update_asoftmax_layer_gpu(l, a);
    }
    g = pull(l.weights_gpu, CK); compare("weights after 3 steps", g, l.weights, CK, where); free(g);

    cuda_free(ng.input_gpu);
    cuda_free(dx_gpu);
    free(x); free(truth); free(dx); free(zeros); free(out_c); free(delta_c); free(wu_c);
    free_layer(l);
}

int main(int argc, char **argv)
{
    static const int shapes[][3] = {{1, 1, 2}, {1, 5, 3}, {3, 7, 13}, {17, 33, 10},
                                    {64, 257, 1000}, {8, 512, 10572}};
    static const float lambdas[] = {0, 5, 1000};
    /* --small: the first four shapes only (for compute-sanitizer, which runs ~100x slower) */
    const int small = argc > 1 && !strcmp(argv[1], "--small");
    const int nshapes = small ? 4 : (int)(sizeof(shapes) / sizeof(shapes[0]));
    const int ncases = nshapes * 5 + 2; /* every shape for m = 1..5 at lambda 5, + 2 lambdas */
    int ndev = 0, s, m;
    cudaError_t e = cudaGetDeviceCount(&ndev);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (e != cudaSuccess || ndev == 0) {
        printf("SKIPPED: no CUDA device (%s): %d GPU-vs-CPU cases not run\n",
               e != cudaSuccess ? cudaGetErrorString(e) : "0 devices", ncases);
        printf("0 passed, 0 failed, %d skipped\n", ncases);
        return 0;
    }
    gpu_index = 0;
    cuda_set_device(0);
    for (s = 0; s < nshapes; ++s)
        for (m = 1; m <= 5; ++m) run_case(shapes[s][0], shapes[s][1], shapes[s][2], m, lambdas[1]);
    run_case(3, 7, 13, 4, lambdas[0]);
    run_case(17, 33, 10, 4, lambdas[2]);
    printf("gpu vs cpu: %d cases, worst difference %.3g (tolerance 1e-4)\n", ncases, worst);
    printf("%d passed, %d failed, 0 skipped\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
