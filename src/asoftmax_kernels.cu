/*
 * asoftmax_kernels.cu — the [asoftmax] layer on the GPU, with exactly the CPU semantics of
 * asoftmax_forward_f / asoftmax_backward_f (src/asoftmax_generic.h); the per-element
 * formulas come from src/asoftmax_math.h, shared with the CPU code.
 *
 * The three products X.W^T, delta.W and delta^T.X go through cuBLAS (Darknet's gemm_gpu);
 * everything else is O(B.K + C.K + B.C) work in the kernels below. Built by Darknet's
 * Makefile when GPU=1; tested against the CPU by tests/test_asoftmax_gpu.c (`make gpu-check`).
 */
#include <stdio.h>
#include <stdlib.h>

/* the CUDA headers darknet.h includes, first, so that they are not seen inside extern "C" */
#include "cublas_v2.h"
#include "cuda_runtime.h"
#include "curand.h"
#ifdef CUDNN
#include "cudnn.h"
#endif

extern "C" {
#include "asoftmax_layer.h"
#include "blas.h"
#include "gemm.h"
#include "network.h"
#ifdef ASOFTMAX_DARKNET_ALEXEYAB
#include "dark_cuda.h"
}
/* AlexeyAB's fork runs every kernel, copy and cuBLAS call on its own stream (non-blocking
 * with cuDNN): launching on the default stream, or copying synchronously, would race it.
 * Its gemm_ongpu takes device pointers (its gemm_gpu takes host pointers). */
#define ASM_STREAM get_cuda_stream()
#define ASM_GEMM gemm_ongpu
#define ASM_AXPY axpy_ongpu
#define ASM_SCAL scal_ongpu
#else
#include "cuda.h"
}
/* pjreddie's Darknet runs everything on the default stream; gemm_gpu takes device pointers */
#define ASM_STREAM ((cudaStream_t)0)
#define ASM_GEMM gemm_gpu
#define ASM_AXPY axpy_gpu
#define ASM_SCAL scal_gpu
#endif

#define ASM_THREADS 256 /* threads per block of the row kernels (a power of two) */

static void asoftmax_cuda_check(cudaError_t e, const char *what, const char *file, int line)
{
    if (e != cudaSuccess) {
        fprintf(stderr, "[asoftmax] CUDA error at %s:%d: %s: %s\n", file, line, what,
                cudaGetErrorString(e));
        exit(EXIT_FAILURE);
    }
}
#define ASM_CUDA(call) asoftmax_cuda_check((call), #call, __FILE__, __LINE__)
#define ASM_LAUNCHED(name) asoftmax_cuda_check(cudaGetLastError(), name, __FILE__, __LINE__)

static unsigned asoftmax_blocks(size_t n)
{
    return (unsigned)((n + ASM_THREADS - 1) / ASM_THREADS);
}

/* Block-wide reductions over ASM_THREADS threads; every thread gets the result. */
__device__ static double block_sum(double v, double *sh)
{
    int s;
    sh[threadIdx.x] = v;
    __syncthreads();
    for (s = ASM_THREADS / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
        __syncthreads();
    }
    v = sh[0];
    __syncthreads();
    return v;
}

__device__ static double block_max(double v, double *sh)
{
    int s;
    sh[threadIdx.x] = v;
    __syncthreads();
    for (s = ASM_THREADS / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) sh[threadIdx.x] = fmax(sh[threadIdx.x], sh[threadIdx.x + s]);
        __syncthreads();
    }
    v = sh[0];
    __syncthreads();
    return v;
}

/* labels (B) from the one-hot truth (B,C) on the device, one block a row: the index of the
 * first largest entry when it is positive, else -1; the twin of asoftmax_labels_from_truth */
__global__ static void labels_kernel(int C, const float *truth, int *labels)
{
    __shared__ double sh[ASM_THREADS];
    __shared__ int first;
    const float *t = truth + (size_t)blockIdx.x * C;
    double mx = -INFINITY;
    int j;
    for (j = threadIdx.x; j < C; j += ASM_THREADS) mx = fmax(mx, (double)t[j]);
    mx = block_max(mx, sh);
    if (threadIdx.x == 0) first = C;
    __syncthreads();
    for (j = threadIdx.x; j < C; j += ASM_THREADS)
        if ((double)t[j] == mx) { atomicMin(&first, j); break; }
    __syncthreads();
    if (threadIdx.x == 0) labels[blockIdx.x] = mx > 0 ? first : -1;
}

/* norms (n) of the rows of a (n,k), in double, floored at ASOFTMAX_NORM_EPS; one block a row */
__global__ static void row_norms_kernel(int n, int k, const float *a, float *norms)
{
    __shared__ double sh[ASM_THREADS];
    const float *v = a + (size_t)blockIdx.x * k;
    double s = 0;
    int i;
    for (i = threadIdx.x; i < k; i += ASM_THREADS) s += (double)v[i] * v[i];
    s = sqrt(block_sum(s, sh));
    if (threadIdx.x == 0) norms[blockIdx.x] = (float)(s > ASOFTMAX_NORM_EPS ? s : ASOFTMAX_NORM_EPS);
}

/*
 * One block per sample b. In: out (B,C) = x^.w^T (cos theta * ||w_j||), xnorm (B), wnorm (C),
 * labels (B) or NULL (inference). Out: out = probabilities; where delta != NULL also
 * delta (B,C), gz (B,C) = G'.z (summed by wcoef_kernel), xcoef (B); rowcost (B).
 * The same steps, in the same float/double precision, as asoftmax_forward_f.
 */
__global__ static void rows_kernel(int C, const int *labels, int m, float lambda, float *out,
                                   float *delta, float *gz, float *xcoef, float *rowcost,
                                   const float *xnorm, const float *wnorm)
{
    __shared__ double sh[ASM_THREADS];
    __shared__ double s_zy, s_a, s_b;
    const int b = blockIdx.x;
    const int y = labels ? labels[b] : -1;
    const double r = xnorm[b];
    float *row = out + (size_t)b * C;
    double fmx = -INFINITY, sum = 0;
    int j;

    for (j = threadIdx.x; j < C; j += ASM_THREADS) row[j] = (float)((double)row[j] / wnorm[j] * r);
    __syncthreads();
    if (threadIdx.x == 0) {
        s_zy = 0; s_a = 1; s_b = 0;
        if (y >= 0) {
            double a, bc;
            s_zy = row[y];
            row[y] = (float)asoftmax_target_logit(m, lambda, s_zy, r, &a, &bc);
            s_a = a; s_b = bc;
        }
    }
    __syncthreads();

    for (j = threadIdx.x; j < C; j += ASM_THREADS) fmx = fmx > row[j] ? fmx : row[j];
    fmx = block_max(fmx, sh);
    for (j = threadIdx.x; j < C; j += ASM_THREADS) sum += exp(row[j] - fmx);
    sum = block_sum(sum, sh);
    if (threadIdx.x == 0) rowcost[b] = (float)(y >= 0 ? log(sum) + fmx - row[y] : 0);
    __syncthreads(); /* row[y] is read above before it is overwritten below */

    for (j = threadIdx.x; j < C; j += ASM_THREADS) {
        double p = exp(row[j] - fmx) / sum;
        if (delta) {
            double g, z = (j == y) ? s_zy : row[j];
            delta[(size_t)b * C + j] =
                (float)asoftmax_grad_entry(y >= 0, j == y, p, z, 1.0 / wnorm[j], s_a, &g);
            gz[(size_t)b * C + j] = (float)g;
            if (j == y) xcoef[b] = (float)(-(p - 1) * s_b / r);
        }
        row[j] = (float)p;
    }
    if (delta && y < 0 && threadIdx.x == 0) xcoef[b] = 0;
}

/* wcoef (C): sum_b gz_bj / ||w_j||^2, one thread per class (coalesced over j) */
__global__ static void wcoef_kernel(int B, int C, const float *gz, const float *wnorm, float *wcoef)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    double s = 0;
    int b;
    if (j >= C) return;
    for (b = 0; b < B; ++b) s += gz[(size_t)b * C + j];
    wcoef[j] = (float)(s / ((double)wnorm[j] * wnorm[j]));
}

/* y (n,k) = x (n,k) / norms_i row by row. __fdiv_rn: the IEEE-rounded quotient, as on the
 * CPU, even if this file is ever built with --use_fast_math (whose approximate division
 * flushes denormals and returns 0 for divisors > 2^126); Darknet's Makefile does not use it. */
__global__ static void divide_rows_kernel(size_t nk, int k, const float *norms, const float *x,
                                          float *y)
{
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < nk) y[i] = __fdiv_rn(x[i], norms[i / k]);
}

/* y (n,k) += coef_i * x (n,k) row by row */
__global__ static void add_scaled_rows_kernel(size_t nk, int k, const float *coef, const float *x,
                                              float *y)
{
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < nk) y[i] += coef[i / k] * x[i];
}

extern "C" void push_asoftmax_layer(layer l)
{
    cuda_push_array(l.weights_gpu, l.weights, (size_t)l.inputs * l.outputs);
    cuda_push_array(l.weight_updates_gpu, l.weight_updates, (size_t)l.inputs * l.outputs);
}

extern "C" void pull_asoftmax_layer(layer l)
{
    cuda_pull_array(l.weights_gpu, l.weights, (size_t)l.inputs * l.outputs);
    cuda_pull_array(l.weight_updates_gpu, l.weight_updates, (size_t)l.inputs * l.outputs);
}

/* The GPU twin of asoftmax_forward_step: input (B,K) and truth (B,C) or NULL on the device */
extern "C" void asoftmax_forward_step_gpu(layer l, const float *input, const float *truth,
                                          int train, long t)
{
    struct asoftmax_state *s = l.asoftmax;
    const int B = l.batch, K = l.inputs, C = l.outputs;
    float *x = (float *)input;
    int b;
    train = train && truth;
    if (train) {
        labels_kernel<<<B, ASM_THREADS, 0, ASM_STREAM>>>(C, truth, s->labels_gpu);
        ASM_LAUNCHED("labels_kernel");
        s->lambda = asoftmax_lambda(&s->p, t);
    }
    row_norms_kernel<<<C, ASM_THREADS, 0, ASM_STREAM>>>(C, K, l.weights_gpu, s->wnorm_gpu);
    ASM_LAUNCHED("row_norms_kernel (weights)");
    row_norms_kernel<<<B, ASM_THREADS, 0, ASM_STREAM>>>(B, K, x, s->xnorm_gpu);
    ASM_LAUNCHED("row_norms_kernel (input)");
    divide_rows_kernel<<<asoftmax_blocks((size_t)B * K), ASM_THREADS, 0, ASM_STREAM>>>(
        (size_t)B * K, K, s->xnorm_gpu, x, s->xhat_gpu);
    ASM_LAUNCHED("divide_rows_kernel");
    ASM_GEMM(0, 1, B, C, K, 1, s->xhat_gpu, K, l.weights_gpu, K, 0, l.output_gpu, C);
    rows_kernel<<<B, ASM_THREADS, 0, ASM_STREAM>>>(C, train ? s->labels_gpu : NULL, s->p.margin,
                                                   s->lambda, l.output_gpu, l.delta_gpu, s->gz_gpu,
                                                   s->xcoef_gpu, s->rowcost_gpu, s->xnorm_gpu,
                                                   s->wnorm_gpu);
    ASM_LAUNCHED("rows_kernel");
    wcoef_kernel<<<asoftmax_blocks(C), ASM_THREADS, 0, ASM_STREAM>>>(B, C, s->gz_gpu, s->wnorm_gpu,
                                                                     s->wcoef_gpu);
    ASM_LAUNCHED("wcoef_kernel");
    if (train) {
        double cost = 0;
        ASM_CUDA(cudaMemcpyAsync(s->rowcost, s->rowcost_gpu, sizeof(float) * B,
                                 cudaMemcpyDeviceToHost, ASM_STREAM));
        ASM_CUDA(cudaStreamSynchronize(ASM_STREAM));
        for (b = 0; b < B; ++b) cost += s->rowcost[b];
        l.cost[0] = (float)cost;
    }
}

extern "C" void asoftmax_backward_step_gpu(layer l, const float *input, float *delta_in)
{
    struct asoftmax_state *s = l.asoftmax;
    const int B = l.batch, K = l.inputs, C = l.outputs;
    float *x = (float *)input;
    if (delta_in) {
        ASM_GEMM(0, 0, B, K, C, 1, l.delta_gpu, C, l.weights_gpu, K, 1, delta_in, K);
        add_scaled_rows_kernel<<<asoftmax_blocks((size_t)B * K), ASM_THREADS, 0, ASM_STREAM>>>(
            (size_t)B * K, K, s->xcoef_gpu, x, delta_in);
        ASM_LAUNCHED("add_scaled_rows_kernel (input delta)");
    }
    ASM_GEMM(1, 0, C, K, B, 1, l.delta_gpu, C, x, K, 1, l.weight_updates_gpu, K);
    add_scaled_rows_kernel<<<asoftmax_blocks((size_t)C * K), ASM_THREADS, 0, ASM_STREAM>>>(
        (size_t)C * K, K, s->wcoef_gpu, l.weights_gpu, l.weight_updates_gpu);
    ASM_LAUNCHED("add_scaled_rows_kernel (weight updates)");
}

/* SGD with momentum and weight decay, exactly as update_connected_layer_gpu's weight part. */
extern "C" void asoftmax_update_step_gpu(layer l, int batch, float learning_rate, float momentum,
                                         float decay)
{
    const int n = l.inputs * l.outputs;
    learning_rate *= l.learning_rate_scale;
    ASM_AXPY(n, -decay * batch, l.weights_gpu, 1, l.weight_updates_gpu, 1);
    ASM_AXPY(n, learning_rate / batch, l.weight_updates_gpu, 1, l.weights_gpu, 1);
    ASM_SCAL(n, momentum, l.weight_updates_gpu, 1);
}

#ifdef ASOFTMAX_DARKNET_ALEXEYAB
/* state.input, state.truth and state.delta are device pointers here */
extern "C" void forward_asoftmax_layer_gpu(layer l, network_state state)
{
    asoftmax_forward_step_gpu(l, state.input, state.truth, state.train, get_current_batch(state.net));
}

/* Mixed precision (the fork's loss_scale, with CUDNN_HALF): a loss layer hands back its
 * gradient times loss_scale (backward_softmax_layer_gpu) and every update divides by it. So
 * the whole gradient is scaled here, the layer's delta and the two row coefficients, before
 * the products; nothing to do at the default loss_scale = 1. */
extern "C" void backward_asoftmax_layer_gpu(layer l, network_state state)
{
    const float ls = state.net.loss_scale;
    if (ls != 1.0f) {
        struct asoftmax_state *s = l.asoftmax;
        ASM_SCAL(l.batch * l.outputs, ls, l.delta_gpu, 1);
        ASM_SCAL(l.batch, ls, s->xcoef_gpu, 1);
        ASM_SCAL(l.outputs, ls, s->wcoef_gpu, 1);
    }
    asoftmax_backward_step_gpu(l, state.input, state.delta);
}

/* loss_scale: the fork's mixed-precision loss scaling, undone first as its [connected] does */
extern "C" void update_asoftmax_layer_gpu(layer l, int batch, float learning_rate, float momentum,
                                          float decay, float loss_scale)
{
    if (loss_scale != 1.0f)
        ASM_SCAL(l.inputs * l.outputs, 1.0f / loss_scale, l.weight_updates_gpu, 1);
    asoftmax_update_step_gpu(l, batch, learning_rate, momentum, decay);
}
#else
/* net.input_gpu and net.delta_gpu are the previous layer's device arrays; net.truth_gpu holds
 * the truth that forward_network_gpu pushed (when net.truth is set) */
extern "C" void forward_asoftmax_layer_gpu(layer l, network net)
{
    asoftmax_forward_step_gpu(l, net.input_gpu, net.truth ? net.truth_gpu : NULL, net.train,
                              (long)get_current_batch(&net));
}

extern "C" void backward_asoftmax_layer_gpu(layer l, network net)
{
    asoftmax_backward_step_gpu(l, net.input_gpu, net.delta_gpu);
}

extern "C" void update_asoftmax_layer_gpu(layer l, update_args a)
{
    asoftmax_update_step_gpu(l, a.batch, a.learning_rate, a.momentum, a.decay);
}
#endif
