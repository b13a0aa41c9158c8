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
#include <string.h>

/* the CUDA headers darknet.h includes, first, so that they are not seen inside extern "C" */
#include "cublas_v2.h"
#include "cuda_runtime.h"
#include "curand.h"
#ifdef CUDNN
#include "cudnn.h"
#endif

extern "C" {
#include "asoftmax_layer.h"
#include "asoftmax_state.h"
#include "asoftmax_steps.h"
#include "blas.h"
#include "gemm.h"
#ifdef ASOFTMAX_DARKNET_ALEXEYAB
#include "dark_cuda.h"
}
/* AlexeyAB's fork runs every kernel, copy and cuBLAS call on its own stream (non-blocking
 * with cuDNN): launching on the default stream, or copying synchronously, would race it.
 * Its gemm_ongpu takes device pointers (its gemm_gpu takes host pointers). */
#define ASM_STREAM get_cuda_stream()
#define ASM_DEVICE_GEMM gemm_ongpu
#define ASM_DEVICE_AXPY axpy_ongpu
#define ASM_DEVICE_SCAL scal_ongpu
#else
#include "cuda.h"
}
/* pjreddie's Darknet runs everything on the default stream; gemm_gpu takes device pointers */
#define ASM_STREAM ((cudaStream_t)0)
#define ASM_DEVICE_GEMM gemm_gpu
#define ASM_DEVICE_AXPY axpy_gpu
#define ASM_DEVICE_SCAL scal_gpu
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
 * The rows pass, split over S blocks per sample so that small batches still fill the GPU
 * (grid (B, S); block (b, s) owns the columns j = s*ASM_THREADS + threadIdx.x + t*S*ASM_THREADS
 * of row b). In: out (B,C) = x^.w^T (cos theta * ||w_j||), xnorm (B), wnorm (C), labels (B)
 * or NULL (inference), the margin g. Same steps, in the same float/double precision, as
 * asm_forward_row (src/asoftmax_generic.h): plain logits u_j = rho cos theta_j with
 * rho = ||x|| (g.s = 0) or g.s.
 *
 * rows_logits_kernel: out = the plain logits, the target's replaced by the margin logit
 * (tgt[4b..4b+3] = u_y, a, b of asoftmax_target_logit_g, and the margin logit); the block's
 * max of its columns and sum of exp(logit - that max), in double, to part (B,S,3).
 */
__global__ static void rows_logits_kernel(int C, const int *labels, asoftmax_margin g,
                                          float *out, double *tgt, double *part,
                                          const float *xnorm, const float *wnorm)
{
    __shared__ double sh[ASM_THREADS];
    const int b = blockIdx.x, S = gridDim.y;
    const int y = labels ? labels[b] : -1;
    const double rho = g.s > 0 ? g.s : (double)xnorm[b];
    float *row = out + (size_t)b * C;
    double mx = -INFINITY, sum = 0;
    int j;

    for (j = blockIdx.y * ASM_THREADS + threadIdx.x; j < C; j += S * ASM_THREADS) {
        float v = (float)((double)row[j] / wnorm[j] * rho);
        if (j == y) {
            double a, bc, uy = v;
            v = (float)asoftmax_target_logit_g(&g, uy, rho, &a, &bc);
            tgt[4 * b] = uy; tgt[4 * b + 1] = a; tgt[4 * b + 2] = bc; tgt[4 * b + 3] = v;
        }
        row[j] = v;
        mx = mx > v ? mx : v;
    }
    mx = block_max(mx, sh);
    for (j = blockIdx.y * ASM_THREADS + threadIdx.x; j < C; j += S * ASM_THREADS)
        sum += exp(row[j] - mx);
    sum = block_sum(sum, sh);
    if (threadIdx.x == 0) {
        part[3 * ((size_t)b * S + blockIdx.y)] = mx;
        part[3 * ((size_t)b * S + blockIdx.y) + 1] = sum;
    }
}

/*
 * rows_probs_kernel: the row's max and sum from the S partial ones (every block combines them
 * in the same order, so all agree bit for bit; S = 1 gives the one-block values exactly);
 * out = probabilities; where delta != NULL also delta (B,C), gz (B,C) = G'.u (summed by
 * wcoef_kernel), the block's sum of its G'.u (part slot 2, for xcoef when g.s > 0), and for
 * g.s = 0 xcoef (B); rowcost (B).
 */
__global__ static void rows_probs_kernel(int C, const int *labels, asoftmax_margin g, float *out,
                                         float *delta, float *gz, float *xcoef, float *ycoef,
                                         float *rowcost,
                                         const double *tgt, double *part, const float *xnorm,
                                         const float *wnorm)
{
    __shared__ double sh[ASM_THREADS];
    const int b = blockIdx.x, S = gridDim.y;
    const int y = labels ? labels[b] : -1;
    const double kappa = g.s > 0 ? g.s / (double)xnorm[b] : 1.0;
    const double *pb = part + 3 * (size_t)b * S;
    float *row = out + (size_t)b * C;
    double fmx = -INFINITY, sum = 0, uy = 0, ta = 1, tb = 0, gzs = 0;
    int j, s;

    for (s = 0; s < S; ++s) fmx = fmx > pb[3 * s] ? fmx : pb[3 * s];
    for (s = 0; s < S; ++s) sum += S == 1 ? pb[1] : pb[3 * s + 1] * exp(pb[3 * s] - fmx);
    if (y >= 0) { uy = tgt[4 * b]; ta = tgt[4 * b + 1]; tb = tgt[4 * b + 2]; }
    if (blockIdx.y == 0 && threadIdx.x == 0) {
        rowcost[b] = (float)(y >= 0 ? log(sum) + fmx - (double)(float)tgt[4 * b + 3] : 0);
        if (delta && y < 0) xcoef[b] = ycoef[b] = 0;
    }
    for (j = blockIdx.y * ASM_THREADS + threadIdx.x; j < C; j += S * ASM_THREADS) {
        double p = exp(row[j] - fmx) / sum;
        if (delta && g.caffe) { /* gradient=caffe: asm_forward_row's branch */
            delta[(size_t)b * C + j] = (float)(y >= 0 ? -(p - (j == y)) : 0);
            gz[(size_t)b * C + j] = 0;
            if (j == y) {
                double xc, yc;
                asoftmax_caffe_row_coefs(&g, uy, (double)xnorm[b], p - 1, &xc, &yc);
                xcoef[b] = (float)xc;
                ycoef[b] = (float)yc;
            }
        } else if (delta) {
            double gv, u = (j == y) ? uy : row[j];
            delta[(size_t)b * C + j] =
                (float)asoftmax_grad_entry(y >= 0, j == y, p, u, kappa / wnorm[j], ta, &gv);
            gz[(size_t)b * C + j] = (float)gv;
            gzs += gv;
            if (j == y && !(g.s > 0)) xcoef[b] = (float)asoftmax_xcoef(&g, p - 1, tb, 0, (double)xnorm[b]);
        }
        row[j] = (float)p;
    }
    if (delta && g.s > 0) {
        gzs = block_sum(gzs, sh);
        if (threadIdx.x == 0) part[3 * ((size_t)b * S + blockIdx.y) + 2] = gzs;
    }
}

/* g.s > 0: xcoef (B) = sum_j G'_bj u_bj / ||x_b||^2 from the S blocks' sums, in block order;
 * 0 for unlabeled rows. One thread a row. */
__global__ static void xcoef_kernel(int B, int S, asoftmax_margin g, const int *labels,
                                    const double *part, const float *xnorm, float *xcoef)
{
    const int b = blockIdx.x * blockDim.x + threadIdx.x;
    double t = 0;
    int s;
    if (b >= B) return;
    for (s = 0; s < S; ++s) t += part[3 * ((size_t)b * S + s) + 2];
    xcoef[b] = (float)(labels && labels[b] >= 0 ? asoftmax_xcoef(&g, 0, 0, t, (double)xnorm[b]) : 0);
}

/* wcoef (C): sum_b gz_bj / ||w_j||^2. Block (32, ASM_WC_ROWS): threadIdx.x over 32 classes
 * (coalesced), threadIdx.y over the samples b = y, y + ASM_WC_ROWS, ...; the partial sums
 * are added in a fixed order (deterministic). */
#define ASM_WC_ROWS 8
__global__ static void wcoef_kernel(int B, int C, const float *gz, const float *wnorm, float *wcoef)
{
    __shared__ double sh[ASM_WC_ROWS][32];
    const int j = blockIdx.x * 32 + threadIdx.x;
    double s = 0;
    int b;
    if (j < C)
        for (b = threadIdx.y; b < B; b += ASM_WC_ROWS) s += gz[(size_t)b * C + j];
    sh[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && j < C) {
        for (b = 1; b < ASM_WC_ROWS; ++b) s += sh[b][threadIdx.x];
        wcoef[j] = (float)(s / ((double)wnorm[j] * wnorm[j]));
    }
}

/* x^ (n,k) = x / ||x|| row by row, with norms (n) = ||x_i|| in double, floored at
 * ASOFTMAX_NORM_EPS: one block a row, the row read twice (the second time from cache).
 * __fdiv_rn: the IEEE-rounded quotient by the float norm, as on the CPU, even if this file is
 * ever built with --use_fast_math (whose approximate division flushes denormals and returns
 * 0 for divisors > 2^126); Darknet's Makefile does not use it. */
__global__ static void normalize_rows_kernel(int k, const float *x, float *norms, float *xhat)
{
    __shared__ double sh[ASM_THREADS];
    const float *v = x + (size_t)blockIdx.x * k;
    float *o = xhat + (size_t)blockIdx.x * k;
    double s = 0;
    float nf;
    int i;
    for (i = threadIdx.x; i < k; i += ASM_THREADS) s += (double)v[i] * v[i];
    s = sqrt(block_sum(s, sh));
    nf = (float)(s > ASOFTMAX_NORM_EPS ? s : ASOFTMAX_NORM_EPS);
    if (threadIdx.x == 0) norms[blockIdx.x] = nf;
    for (i = threadIdx.x; i < k; i += ASM_THREADS) o[i] = __fdiv_rn(v[i], nf);
}

/* gradient=caffe: dx (B,K) += ycoef_b w_{y_b} for the labeled rows (asoftmax_backward_target) */
__global__ static void add_target_rows_kernel(size_t bk, int k, const int *labels,
                                              const float *ycoef, const float *w, float *dx)
{
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    int y;
    if (i >= bk) return;
    y = labels[i / k];
    if (y >= 0 && ycoef[i / k] != 0) dx[i] += ycoef[i / k] * w[(size_t)y * k + i % k];
}

/* y (n,k) += coef_i * x (n,k) row by row */
__global__ static void add_scaled_rows_kernel(size_t nk, int k, const float *coef, const float *x,
                                              float *y)
{
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < nk) y[i] += coef[i / k] * x[i];
}

/* S, the blocks per sample of the rows pass: enough blocks for ASM_ROW_BLOCKS_PER_SM per
 * multiprocessor at this batch, at most ASM_MAX_SPLIT, and at least ASM_THREADS columns per
 * block (so S = 1 for narrow rows and for batches that fill the GPU on their own) */
#define ASM_ROW_BLOCKS_PER_SM 4
static int asoftmax_row_split(int B, int C)
{
    static int sms = 0;
    int S, most = (C + ASM_THREADS - 1) / ASM_THREADS;
    if (!sms) {
        int dev = 0;
        ASM_CUDA(cudaGetDevice(&dev));
        ASM_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    }
    S = (ASM_ROW_BLOCKS_PER_SM * sms + B - 1) / B;
    if (S > most) S = most;
    if (S > ASOFTMAX_MAX_SPLIT) S = ASOFTMAX_MAX_SPLIT;
    return S < 1 ? 1 : S;
}

/* tf32=1: the layer's products in TF32 on tensor cores (cuBLAS rounds the inputs to a 10-bit
 * mantissa, accumulates in FP32); the handle is Darknet's, so its mode is restored after
 * each product. tf32=0: the handle as Darknet left it (FP32). */
static void asoftmax_gemm(const struct asoftmax_state *s, int TA, int TB, int M, int N, int K,
                          float ALPHA, float *A, int lda, float *B, int ldb, float BETA, float *C,
                          int ldc)
{
    cublasHandle_t h = blas_handle();
    cublasMath_t mode = CUBLAS_DEFAULT_MATH;
    if (s->p.tf32) {
        cublasGetMathMode(h, &mode);
        cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH);
    }
    ASM_DEVICE_GEMM(TA, TB, M, N, K, ALPHA, A, lda, B, ldb, BETA, C, ldc);
    if (s->p.tf32) cublasSetMathMode(h, mode);
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

/* The kernels of asoftmax_forward_step_gpu (asoftmax_layer.c, which sets lambda and the
 * margin first): input (B,K) on the device; labels (B) on the host, else truth (B,C) on the
 * device, else none (inference). With labels, the step moves B ints to the device and B floats
 * (the per-sample costs) back, whatever C is. */
extern "C" void asoftmax_forward_gpu(layer l, const float *input, const float *truth,
                                     const int *labels, int train)
{
    struct asoftmax_state *s = l.asoftmax;
    const int B = l.batch, K = l.inputs, C = l.outputs;
    float *x = (float *)input;
    int b;
    train = train && (truth || labels);
    if (train) {
        if (labels) { /* through the pinned host buffer: an asynchronous copy */
            memcpy(s->labels_pinned, labels, sizeof(int) * (size_t)B);
            ASM_CUDA(cudaMemcpyAsync(s->labels_gpu, s->labels_pinned, sizeof(int) * (size_t)B,
                                     cudaMemcpyHostToDevice, ASM_STREAM));
        } else {
            labels_kernel<<<B, ASM_THREADS, 0, ASM_STREAM>>>(C, truth, s->labels_gpu);
            ASM_LAUNCHED("labels_kernel");
        }
        if (s->p.caffe) { /* gradient=caffe: the weights renormalized in place, as the CPU */
            normalize_rows_kernel<<<C, ASM_THREADS, 0, ASM_STREAM>>>(K, l.weights_gpu, s->wnorm_gpu,
                                                                   l.weights_gpu);
            ASM_LAUNCHED("normalize_rows_kernel (weights)");
        }
    }
    row_norms_kernel<<<C, ASM_THREADS, 0, ASM_STREAM>>>(C, K, l.weights_gpu, s->wnorm_gpu);
    ASM_LAUNCHED("row_norms_kernel (weights)");
    normalize_rows_kernel<<<B, ASM_THREADS, 0, ASM_STREAM>>>(K, x, s->xnorm_gpu, s->xhat_gpu);
    ASM_LAUNCHED("normalize_rows_kernel");
    asoftmax_gemm(s, 0, 1, B, C, K, 1, s->xhat_gpu, K, l.weights_gpu, K, 0, l.output_gpu, C);
    {
        const int S = asoftmax_row_split(B, C);
        const dim3 grid((unsigned)B, (unsigned)S);
        const int *lab = train ? s->labels_gpu : NULL;
        rows_logits_kernel<<<grid, ASM_THREADS, 0, ASM_STREAM>>>(
            C, lab, s->current, l.output_gpu, s->tgt_gpu, s->part_gpu, s->xnorm_gpu, s->wnorm_gpu);
        ASM_LAUNCHED("rows_logits_kernel");
        rows_probs_kernel<<<grid, ASM_THREADS, 0, ASM_STREAM>>>(
            C, lab, s->current, l.output_gpu, l.delta_gpu, s->gz_gpu, s->xcoef_gpu, s->ycoef_gpu,
            s->rowcost_gpu, s->tgt_gpu, s->part_gpu, s->xnorm_gpu, s->wnorm_gpu);
        ASM_LAUNCHED("rows_probs_kernel");
        if (s->current.s > 0) {
            xcoef_kernel<<<asoftmax_blocks(B), ASM_THREADS, 0, ASM_STREAM>>>(
                B, S, s->current, lab, s->part_gpu, s->xnorm_gpu, s->xcoef_gpu);
            ASM_LAUNCHED("xcoef_kernel");
        }
    }
    wcoef_kernel<<<(unsigned)((C + 31) / 32), dim3(32, ASM_WC_ROWS), 0, ASM_STREAM>>>(
        B, C, s->gz_gpu, s->wnorm_gpu, s->wcoef_gpu);
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
        asoftmax_gemm(s, 0, 0, B, K, C, 1, l.delta_gpu, C, l.weights_gpu, K, 1, delta_in, K);
        add_scaled_rows_kernel<<<asoftmax_blocks((size_t)B * K), ASM_THREADS, 0, ASM_STREAM>>>(
            (size_t)B * K, K, s->xcoef_gpu, x, delta_in);
        ASM_LAUNCHED("add_scaled_rows_kernel (input delta)");
        if (s->p.caffe) {
            add_target_rows_kernel<<<asoftmax_blocks((size_t)B * K), ASM_THREADS, 0, ASM_STREAM>>>(
                (size_t)B * K, K, s->labels_gpu, s->ycoef_gpu, l.weights_gpu, delta_in);
            ASM_LAUNCHED("add_target_rows_kernel");
        }
    }
    asoftmax_gemm(s, 1, 0, C, K, B, 1, l.delta_gpu, C, x, K, 1, l.weight_updates_gpu, K);
    add_scaled_rows_kernel<<<asoftmax_blocks((size_t)C * K), ASM_THREADS, 0, ASM_STREAM>>>(
        (size_t)C * K, K, s->wcoef_gpu, l.weights_gpu, l.weight_updates_gpu);
    ASM_LAUNCHED("add_scaled_rows_kernel (weight updates)");
}

/* Mixed precision (AlexeyAB's loss_scale, with CUDNN_HALF): a loss layer hands back its
 * gradient times loss_scale (backward_softmax_layer_gpu) and every update divides by it. So
 * the whole gradient is scaled, the layer's delta and the three row coefficients (xcoef,
 * wcoef, and gradient=caffe's ycoef), before the products of the backward step. */
extern "C" void asoftmax_scale_gradient_gpu(layer l, float scale)
{
    struct asoftmax_state *s = l.asoftmax;
    ASM_DEVICE_SCAL(l.batch * l.outputs, scale, l.delta_gpu, 1);
    ASM_DEVICE_SCAL(l.batch, scale, s->xcoef_gpu, 1);
    ASM_DEVICE_SCAL(l.outputs, scale, s->wcoef_gpu, 1);
    ASM_DEVICE_SCAL(l.batch, scale, s->ycoef_gpu, 1);
}

/* weight_updates times `scale`: the update undoes the loss scaling first, as the fork's
 * [connected] does */
extern "C" void asoftmax_scale_updates_gpu(layer l, float scale)
{
    ASM_DEVICE_SCAL(l.inputs * l.outputs, scale, l.weight_updates_gpu, 1);
}

/* SGD with momentum and weight decay, exactly as update_connected_layer_gpu's weight part. */
extern "C" void asoftmax_update_step_gpu(layer l, int batch, float learning_rate, float momentum,
                                         float decay)
{
    const int n = l.inputs * l.outputs;
    learning_rate *= l.learning_rate_scale;
    ASM_DEVICE_AXPY(n, -decay * batch, l.weights_gpu, 1, l.weight_updates_gpu, 1);
    ASM_DEVICE_AXPY(n, learning_rate / batch, l.weight_updates_gpu, 1, l.weights_gpu, 1);
    ASM_DEVICE_SCAL(n, momentum, l.weight_updates_gpu, 1);
}
