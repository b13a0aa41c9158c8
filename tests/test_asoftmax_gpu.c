/*
 * test_asoftmax_gpu.c — every GPU result of the [asoftmax] layer against the exact step and
 * against the CPU layer on the same inputs: training output and cost, the layer's delta,
 * the input delta, the weight updates, the inference output, and three SGD updates
 * (weights and momentum buffer); m = 1..5, lambda in {0, 5, 1000}, odd shapes (batch 1,
 * K = 1, C and K not multiples of the 256-thread block, C = 10572), a zero feature vector,
 * a zero weight row and an unlabeled sample in every case that has room for them.
 *
 * Tolerances are derived per entry (tests/asoftmax_bounds.h): E = a first-order worst-case
 * bound on the float rounding error of the layer's step, from the magnitudes each result
 * sums (g(n) = n 2^-24 times the sum of |terms|, for any summation order: Darknet's gemm,
 * cuBLAS, the block reductions) and the condition of each formula (psi', psi'' up to m^2 and
 * m^2 (m^2 - 1) / 3, the softmax). Checked: |gpu - exact| <= E and |gpu - cpu| <= 2 E, where
 * exact is the double layer on the same float inputs (the CPU's own |cpu - exact| <= E is
 * checked by tests/test_asoftmax.c). An update step: both devices start it from the same
 * weights and momentum (pushed from the CPU), so the bound is that step's:
 *   U' = U + dw - decay B W    |dU'| <= 2 E_dw + 4u (|U| + |dw| + decay B |W|)
 *   W' = W + lr / B U'         |dW'| <= lr / B |dU'| + 4u (|W| + lr / B |U'|)
 *   U'' = momentum U'          |dU''| <= momentum |dU'| + 2u |U''|
 * A fixed tolerance cannot serve: a zero weight row (norm floored at 1e-12) has weight
 * gradients summed from terms ~1e12 that cancel to ~1e6, a relative difference of 1e-4 there
 * is rounding, while elsewhere 1e-5 may already be a bug.
 *
 * The layer is driven through asoftmax_{forward,backward,update}_step and their _gpu twins,
 * which both Darknets' callbacks call, so this file is the same test for both forks. The
 * labels the GPU finds in the device truth are checked against asoftmax_labels_from_truth,
 * with a tie (the first largest entry wins) and an unlabeled row.
 *
 * Usage: test_asoftmax_gpu [--small]   (--small: only the shapes up to B=17 K=33 C=10, for
 * runs under compute-sanitizer, `make gpu-check`).
 * Built against the GPU=1 build (`make test` when nvcc is installed, `make gpu-check`).
 * Without a CUDA device it prints SKIPPED and counts every case as skipped, never passed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asoftmax_layer.h"
#include "asoftmax_batch.h"
#include "asoftmax_state.h"
#include "asoftmax_steps.h"
#include "darknet.h"
#ifdef ASOFTMAX_DARKNET_ALEXEYAB
#include "dark_cuda.h"
#else
#include "cuda.h"
/* Darknet's src/cuda.h declares it, but -I/usr/local/cuda/include finds CUDA's cuda.h first */
cublasHandle_t blas_handle(void);
#endif

#include "asoftmax_bounds.h"

#if defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__
#error "compare() must see NaN: build without -ffinite-math-only (-Ofast)"
#endif

static int n_pass, n_fail;
static double worst; /* largest error / bound seen */

static unsigned long long rng = 88172645463325252ULL;
static float frand(void) /* uniform [-1, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) / 4503599627370496.0 - 1.0);
}

static float *falloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

/* one check: max over n entries of |gpu - ref| / (scale * bound) must be <= 1 */
static void check_bound(const char *what, const char *vs, size_t n, const float *gpu,
                        const double *ref, const double *bound, double scale, const char *where)
{
    double q = asm_bound_ratio(n, gpu, ref, bound, scale);
    if (q <= 1) {
        ++n_pass;
    } else {
        ++n_fail;
        printf("FAIL %s: %s: |gpu - %s| is %.3g times its bound\n", where, what, vs, q);
    }
    if (q > worst || q != q) worst = q;
}

/* the GPU result against the exact step (bound E) and the CPU's (bound 2 E) */
static void compare(const char *what, size_t n, const float *gpu, const float *cpu,
                    const double *exact, const double *bound, const char *where)
{
    double *c = malloc(sizeof(double) * (n ? n : 1));
    size_t i;
    for (i = 0; i < n; ++i) c[i] = cpu[i];
    check_bound(what, "exact", n, gpu, exact, bound, 1, where);
    check_bound(what, "cpu", n, gpu, c, bound, 2, where);
    free(c);
}

static float *pull(float *x_gpu, size_t n)
{
    float *h = falloc(n);
    cuda_pull_array(x_gpu, h, n);
    return h;
}

static void run_case_g(int B, int K, int C, asoftmax_margin mg)
{
    const double u = ASM_U;
    asoftmax_params p = asoftmax_default_params();
    layer l;
    const long t = 1200;
    size_t BK = (size_t)B * K, BC = (size_t)B * C, CK = (size_t)C * K, i;
    float *x = falloc(BK), *truth = falloc(BC), *dx = falloc(BK), *zeros = falloc(BK > BC ? BK : BC);
    float *out_c, *delta_c, *wu_c, *g, *dx_gpu, *x_gpu, *truth_gpu;
    double *tolw = calloc(CK, sizeof(double)), *tolu = calloc(CK, sizeof(double));
    double *refw = calloc(CK, sizeof(double)), *refu = calloc(CK, sizeof(double));
    int *labels = calloc((size_t)B, sizeof(int)), *labels_g = calloc((size_t)B, sizeof(int));
    float cost_c;
    char where[128];
    int b, step;
    asm_bounds e;
    const float lr = 0.1f, momentum = 0.9f, decay = 0.0005f;

    const float lambda = (float)mg.lambda;
    snprintf(where, sizeof(where), "B=%d K=%d C=%d m1=%g m2=%g m3=%g s=%g lambda=%g", B, K, C,
             mg.m1, mg.m2, mg.m3, mg.s, lambda);
    p.m1 = mg.m1;
    p.m2 = mg.m2;
    p.m3 = mg.m3;
    p.s = mg.s;
    p.caffe = mg.caffe;
    p.lambda_base = lambda;
    p.lambda_min = lambda; /* lambda(t) = lambda for every t */
    mg.lambda = lambda;    /* the float the layer uses */
    l = make_asoftmax_layer(B, K, C, p);
    for (i = 0; i < CK; ++i) l.weights[i] = frand();
    if (C > 2) memset(l.weights + (size_t)(C - 1) * K, 0, sizeof(float) * K); /* zero weight row */
    push_asoftmax_layer(l);
    for (i = 0; i < BK; ++i) x[i] = 3 * frand();
    if (B > 2) memset(x, 0, sizeof(float) * K); /* zero feature vector */
    for (b = 0; b < B; ++b) truth[(size_t)b * C + (int)((frand() + 1) / 2 * C) % C] = 1;
    if (B > 3) { /* a tie: the first largest entry is the label */
        memset(truth + (size_t)C, 0, sizeof(float) * C);
        truth[(size_t)C + C / 2] = truth[(size_t)C + C - 1] = 1;
    }
    if (B > 1) memset(truth + (size_t)(B - 1) * C, 0, sizeof(float) * C); /* unlabeled */
    asoftmax_labels_from_truth(B, C, truth, labels);
    x_gpu = cuda_make_array(x, BK);
    truth_gpu = cuda_make_array(truth, BC);
    dx_gpu = cuda_make_array(zeros, BK);

    /* one training pass */
    e = asm_error_bounds_g(B, K, C, x, l.weights, labels, &mg);
    asoftmax_forward_step(l, x, truth, NULL, 1, t);
    out_c = falloc(BC); memcpy(out_c, l.output, sizeof(float) * BC);
    delta_c = falloc(BC); memcpy(delta_c, l.delta, sizeof(float) * BC);
    cost_c = l.cost[0];
    asoftmax_backward_step(l, x, dx);
    wu_c = falloc(CK); memcpy(wu_c, l.weight_updates, sizeof(float) * CK);

    asoftmax_forward_step_gpu(l, x_gpu, truth_gpu, NULL, 1, t);
    /* the fork's stream is non-blocking: wait for it before a default-stream copy */
    if (cudaDeviceSynchronize() == cudaSuccess &&
        cudaMemcpy(labels_g, l.asoftmax->labels_gpu, sizeof(int) * B, cudaMemcpyDeviceToHost) == cudaSuccess
        && memcmp(labels_g, labels, sizeof(int) * B) == 0) {
        ++n_pass;
    } else {
        ++n_fail;
        printf("FAIL %s: the labels found on the GPU differ from asoftmax_labels_from_truth\n", where);
    }
    compare("cost", 1, &l.cost[0], &cost_c, &e.cost, &e.cost_err, where);
    g = pull(l.output_gpu, BC); compare("training output", BC, g, out_c, e.out, e.out_err, where); free(g);
    g = pull(l.delta_gpu, BC); compare("layer delta", BC, g, delta_c, e.delta, e.delta_err, where); free(g);
    if (!mg.caffe) { /* the labels path (train_network's net.labels: B host ints, no truth on
       * the device) runs the same kernels on the same labels: bit-identical output, delta and
       * cost (gradient=caffe would renormalize the weights once more first) */
        float *o1 = pull(l.output_gpu, BC), *d1 = pull(l.delta_gpu, BC), *o2, *d2;
        const float c1 = l.cost[0];
        asoftmax_forward_step_gpu(l, x_gpu, NULL, labels, 1, t);
        o2 = pull(l.output_gpu, BC);
        d2 = pull(l.delta_gpu, BC);
        if (c1 == l.cost[0] && !memcmp(o1, o2, sizeof(float) * BC) && !memcmp(d1, d2, sizeof(float) * BC)) {
            ++n_pass;
        } else {
            ++n_fail;
            printf("FAIL %s: the GPU step with host labels differs from the one with the truth\n", where);
        }
        free(o1); free(d1); free(o2); free(d2);
    }
    asoftmax_backward_step_gpu(l, x_gpu, dx_gpu);
    g = pull(dx_gpu, BK); compare("input delta", BK, g, dx, e.dx, e.dx_err, where); free(g);
    g = pull(l.weight_updates_gpu, CK); compare("weight updates", CK, g, wu_c, e.dw, e.dw_err, where); free(g);

    /* inference */
    asoftmax_forward_step(l, x, NULL, NULL, 0, t);
    asoftmax_forward_step_gpu(l, x_gpu, NULL, NULL, 0, t);
    g = pull(l.output_gpu, BC); compare("inference output", BC, g, l.output, e.out_inf, e.out_inf_err, where); free(g);
    asm_free_bounds(&e);

    /* three SGD steps, as layer 0 (no input delta); each starts from the CPU's state */
    memset(l.weight_updates, 0, sizeof(float) * CK);
    for (step = 0; step < 3; ++step) {
        const double lrb = (double)lr / B;
        float *w0 = falloc(CK), *u0 = falloc(CK);
        char here[160];
        push_asoftmax_layer(l);
        memcpy(w0, l.weights, sizeof(float) * CK);
        memcpy(u0, l.weight_updates, sizeof(float) * CK);
        e = asm_error_bounds_g(B, K, C, x, l.weights, labels, &mg);
        asoftmax_forward_step(l, x, truth, NULL, 1, t);
        asoftmax_backward_step(l, x, NULL);
        asoftmax_update_step(l, B, lr, momentum, decay);
        asoftmax_forward_step_gpu(l, x_gpu, truth_gpu, NULL, 1, t);
        asoftmax_backward_step_gpu(l, x_gpu, NULL);
        asoftmax_update_step_gpu(l, B, lr, momentum, decay);
        for (i = 0; i < CK; ++i) {
            const double dw = fabs(e.dw[i]), un = u0[i] + e.dw[i] - (double)decay * B * w0[i];
            const double du = 2 * e.dw_err[i] + 4 * u * (fabs(u0[i]) + dw + decay * B * fabs(w0[i]));
            refw[i] = l.weights[i];
            refu[i] = l.weight_updates[i];
            tolw[i] = lrb * du + 4 * u * (fabs(w0[i]) + lrb * fabs(un));
            tolu[i] = momentum * du + 2 * u * momentum * fabs(un);
        }
        snprintf(here, sizeof(here), "%s step %d", where, step + 1);
        /* both within the tolerance of each other; refw/refu = the CPU's results (scale 1:
         * the tolerances above already hold both devices' errors) */
        g = pull(l.weights_gpu, CK); check_bound("weights after the update", "cpu", CK, g, refw, tolw, 1, here); free(g);
        g = pull(l.weight_updates_gpu, CK); check_bound("momentum buffer", "cpu", CK, g, refu, tolu, 1, here); free(g);
        asm_free_bounds(&e);
        free(w0); free(u0);
    }

#ifdef ASOFTMAX_DARKNET_ALEXEYAB
    /* the fork's mixed-precision loss_scale through its callbacks: backward scales the whole
     * gradient by it, update divides it back out. With a power of two every scaling is exact,
     * so the step must be bit-identical to the one at loss_scale 1, and the input delta
     * exactly loss_scale times it. */
    {
        float *w0 = falloc(CK), *w1 = falloc(CK), *w2 = falloc(CK), *d1 = falloc(BK), *d2 = falloc(BK);
        int ls_ok;
        memcpy(w0, l.weights, sizeof(float) * CK); /* the start of both steps */
        for (step = 0; step < 2; ++step) {
            const float ls = step ? 8.f : 1.f;
            uint64_t seen = (uint64_t)t * B;
            network_state st = {0};
            st.net.seen = &seen; st.net.batch = B; st.net.subdivisions = 1; st.net.loss_scale = ls;
            st.input = x_gpu; st.truth = truth_gpu; st.train = 1; st.delta = dx_gpu;
            memcpy(l.weights, w0, sizeof(float) * CK);
            memset(l.weight_updates, 0, sizeof(float) * CK);
            push_asoftmax_layer(l);
            cuda_push_array(dx_gpu, zeros, BK);
            forward_asoftmax_layer_gpu(l, st);
            backward_asoftmax_layer_gpu(l, st);
            update_asoftmax_layer_gpu(l, B, lr, momentum, decay, ls);
            cuda_pull_array(dx_gpu, step ? d2 : d1, BK);
            cuda_pull_array(l.weights_gpu, step ? w2 : w1, CK);
        }
        ls_ok = memcmp(w2, w1, sizeof(float) * CK) == 0;
        for (i = 0; i < BK; ++i) ls_ok = ls_ok && d2[i] == 8.f * d1[i];
        if (ls_ok) {
            ++n_pass;
        } else {
            ++n_fail;
            printf("FAIL %s: loss_scale 8 changes the step (the fork's callbacks)\n", where);
        }
        free(w0); free(w1); free(w2); free(d1); free(d2);
    }
#endif
    cuda_free(x_gpu);
    cuda_free(truth_gpu);
    cuda_free(dx_gpu);
    free(x); free(truth); free(dx); free(zeros); free(out_c); free(delta_c); free(wu_c);
    free(tolw); free(tolu); free(refw); free(refu); free(labels); free(labels_g);
    free_layer(l);
}

/* tf32=1: the products run in TF32 and Darknet's cuBLAS handle gets its math mode back; the
 * step stays a proper softmax (rows sum to 1) with a finite cost. Its accuracy against FP32
 * is a measurement (docs/gpu.md), not a bound checked here. */
static void tf32_case(int B, int K, int C)
{
    asoftmax_params p = asoftmax_default_params();
    layer l;
    size_t BK = (size_t)B * K, BC = (size_t)B * C, i;
    float *x = falloc(BK), *g, *x_gpu;
    int *labels = calloc((size_t)B, sizeof(int)), b, ok;
    cublasMath_t before = CUBLAS_PEDANTIC_MATH, after = CUBLAS_DEFAULT_MATH;
    double sum_err = 0;
    p.tf32 = 1;
    l = make_asoftmax_layer(B, K, C, p);
    for (i = 0; i < BK; ++i) x[i] = 3 * frand();
    for (b = 0; b < B; ++b) labels[b] = (int)((frand() + 1) / 2 * C) % C;
    x_gpu = cuda_make_array(x, BK);
    cublasGetMathMode(blas_handle(), &before);
    asoftmax_forward_step_gpu(l, x_gpu, NULL, labels, 1, 5000);
    cublasGetMathMode(blas_handle(), &after);
    g = pull(l.output_gpu, BC);
    for (b = 0; b < B; ++b) {
        double sum = 0;
        for (i = 0; i < (size_t)C; ++i) sum += g[(size_t)b * C + i];
        sum_err = fmax(sum_err, fabs(sum - 1));
    }
    ok = before == after && sum_err < 1e-4 && l.cost[0] == l.cost[0] && fabs(l.cost[0]) < 1e30;
    if (ok) {
        ++n_pass;
    } else {
        ++n_fail;
        printf("FAIL tf32 B=%d K=%d C=%d: math mode %d -> %d, rows sum to 1 within %g, cost %g\n",
               B, K, C, (int)before, (int)after, sum_err, l.cost[0]);
    }
    free(g); free(x); free(labels);
    cuda_free(x_gpu);
    free_layer(l);
}

static void run_case(int B, int K, int C, int m, float lambda)
{
    asoftmax_margin mg = {m, 0, 0, 0, lambda, 0};
    run_case_g(B, K, C, mg);
}

int main(int argc, char **argv)
{
    static const int shapes[][3] = {{1, 1, 2}, {1, 5, 3}, {3, 7, 13}, {17, 33, 10},
                                    {64, 257, 1000}, {8, 512, 10572}};
    static const float lambdas[] = {0, 5, 1000};
    /* --small: the first four shapes only (for compute-sanitizer, which runs ~100x slower) */
    const int small = argc > 1 && !strcmp(argv[1], "--small");
    const int nshapes = small ? 4 : (int)(sizeof(shapes) / sizeof(shapes[0]));
    const int nfamily = ASM_NFAMILY;
    /* every shape for m = 1..5 at lambda 5, + 2 lambdas, the margin family and gradient=caffe
     * m = 1..4 on 1 or 2 shapes, tf32 */
    const int ncases = nshapes * 5 + 2 + (nfamily + 4) * (small ? 1 : 2) + 1;
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
    for (s = 0; s < ASM_NFAMILY; ++s) {
        run_case_g(17, 33, 10, asm_margin_family[s]);
        if (!small) run_case_g(64, 257, 1000, asm_margin_family[s]);
    }
    for (m = 1; m <= 4; ++m) { /* gradient=caffe */
        asoftmax_margin mg = {m, 0, 0, 0, lambdas[1], 1};
        run_case_g(17, 33, 10, mg);
        if (!small) run_case_g(64, 257, 1000, mg);
    }
    tf32_case(64, 257, 1000);
    printf("gpu vs cpu: %d cases, worst error / derived bound %.3g (must be <= 1)\n", ncases, worst);
    printf("%d passed, %d failed, 0 skipped\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
