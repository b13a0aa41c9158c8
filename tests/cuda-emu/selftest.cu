/*
 * selftest.cu — cuda-emu (tests/cuda-emu): the emulator's own test, compiled by the nvcc
 * stand-in (so it tests the rewriting too) and linked with libcudaemu.a:
 *
 *     tests/cuda-emu/build.sh --test        (or: build/cuda-emu/selftest)
 *
 * Block reductions with barriers in all three thread orders; a reduction with a missing
 * barrier that goes wrong in at least one order; shuffles, ballots, votes, partial warps;
 * atomics; static and dynamic shared memory; template kernels; 3-D indexing; the block order;
 * copies, memset, poisoned new memory, pinned and managed memory; streams and events; cuBLAS
 * sgemm against a naive loop on odd shapes (transposes, leading dimensions, TF32); cuRAND; half;
 * and every run-time check, each in a child process that must abort with its message.
 * Prints PASS:/FAIL: lines and "cuda-emu selftest: N passed, N failed"; exit status 1 on failure.
 */
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cublas_v2.h"
#include "cuda_fp16.h"
#include "cuda_runtime.h"
#include "curand.h"

static int n_pass, n_fail;

static void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(bool ok, const char *fmt, ...)
{
    va_list ap;
    printf(ok ? "PASS: " : "FAIL: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    ++(ok ? n_pass : n_fail);
}

#define CK(call)                                                                              \
    do {                                                                                      \
        cudaError_t e_ = (call);                                                              \
        if (e_ != cudaSuccess) {                                                              \
            printf("FAIL: %s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

static const int kOrders[] = {CUDA_EMU_FORWARD, CUDA_EMU_REVERSED, CUDA_EMU_SHUFFLED};

template <class T> static T *dev(size_t n)
{
    T *p = nullptr;
    CK(cudaMalloc((void **)&p, n * sizeof(T)));
    return p;
}

/* ---- reductions --------------------------------------------------------------------------- */
__global__ void block_sum(const float *x, float *out, int n)
{
    __shared__ float sh[256];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    sh[threadIdx.x] = i < n ? x[i] : 0;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = sh[0];
}

/* the same without the barrier inside the loop: a race whose result depends on the order */
__global__ void block_sum_racy(const float *x, float *out, int n)
{
    __shared__ float sh[256];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    sh[threadIdx.x] = i < n ? x[i] : 0;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1)
        if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    if (threadIdx.x == 0) out[blockIdx.x] = sh[0];
}

static bool run_sum(bool racy, int order)
{
    const int n = 1000, blocks = 4;
    std::vector<float> h(n), o(blocks);
    for (int i = 0; i < n; ++i) h[i] = (float)i;
    float *x = dev<float>(n), *out = dev<float>(blocks);
    CK(cudaMemcpy(x, h.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    cuda_emu_set_order(order, 7);
    if (racy) block_sum_racy<<<blocks, 256>>>(x, out, n);
    else block_sum<<<blocks, 256>>>(x, out, n);
    CK(cudaGetLastError());
    CK(cudaMemcpy(o.data(), out, blocks * sizeof(float), cudaMemcpyDeviceToHost));
    bool ok = true;
    for (int b = 0; b < blocks; ++b) {
        double want = 0;
        for (int i = b * 256; i < n && i < (b + 1) * 256; ++i) want += i;
        ok = ok && o[b] == (float)want;
    }
    CK(cudaFree(x));
    CK(cudaFree(out));
    return ok;
}

static void test_reductions()
{
    int wrong = 0;
    for (int order : kOrders) {
        check(run_sum(false, order), "block reduction with barriers, %s order", cuda_emu_order_name(order));
        wrong += !run_sum(true, order);
    }
    check(wrong > 0, "a reduction without its loop barrier is wrong in %d of 3 orders (must be >= 1)", wrong);
    cuda_emu_set_order(CUDA_EMU_FORWARD, 1);
}

/* ---- warps --------------------------------------------------------------------------------- */
__global__ void warp_ops(int *out)
{
    const unsigned t = threadIdx.x, lane = t % 32;
    int v = (int)t + 1, s = v;
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
    int x = v;
    for (int o = 1; o < 32; o <<= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
    int bc = __shfl_sync(0xffffffffu, v, 7);
    int seg = __shfl_sync(0xffffffffu, v, 3, 8);
    int scan = v;
    for (int o = 1; o < 32; o <<= 1) {
        int y = __shfl_up_sync(0xffffffffu, scan, o);
        if ((int)lane >= o) scan += y;
    }
    unsigned bal = __ballot_sync(0xffffffffu, t & 1);
    int any = __any_sync(0xffffffffu, t == 40);
    int all = __all_sync(0xffffffffu, t < 32);
    int *o = out + 8 * t;
    o[0] = lane == 0 ? s : -1;
    o[1] = x;
    o[2] = bc;
    o[3] = seg;
    o[4] = scan;
    o[5] = (int)bal;
    o[6] = any;
    o[7] = all;
}

/* a partial warp (block of 40): the ballot names only the lanes that exist */
__global__ void partial_warp(unsigned *out)
{
    unsigned b = __ballot_sync(0xffffffffu, 1);
    __syncwarp();
    if (threadIdx.x % 32 == 0) out[threadIdx.x / 32] = b;
}

static void test_warps()
{
    const int n = 64;
    int *d = dev<int>(8 * n);
    unsigned *p = dev<unsigned>(2);
    for (int order : kOrders) {
        cuda_emu_set_order(order, 3);
        warp_ops<<<1, n>>>(d);
        std::vector<int> h(8 * n);
        CK(cudaMemcpy(h.data(), d, sizeof(int) * 8 * n, cudaMemcpyDeviceToHost));
        bool ok = true;
        for (int t = 0; t < n; ++t) {
            const int w = t / 32, lane = t % 32, *o = &h[8 * t];
            int wsum = 0, scan = 0;
            for (int l = 0; l < 32; ++l) wsum += w * 32 + l + 1;
            for (int l = 0; l <= lane; ++l) scan += w * 32 + l + 1;
            ok = ok && (lane ? o[0] == -1 : o[0] == wsum) && o[1] == wsum && o[2] == w * 32 + 8 &&
                 o[3] == (t & ~7) + 4 && o[4] == scan && (unsigned)o[5] == 0xaaaaaaaau &&
                 o[6] == (w == 1) && o[7] == (w == 0);
        }
        check(ok, "shfl down/xor/idx/width 8/up, ballot, any, all over 2 warps, %s order", cuda_emu_order_name(order));
        partial_warp<<<1, 40>>>(p);
        unsigned hp[2];
        CK(cudaMemcpy(hp, p, sizeof hp, cudaMemcpyDeviceToHost));
        check(hp[0] == 0xffffffffu && hp[1] == 0xffu, "ballot in a partial warp of 8 lanes: 0x%x 0x%x, %s order",
              hp[0], hp[1], cuda_emu_order_name(order));
    }
    cuda_emu_set_order(CUDA_EMU_FORWARD, 1);
    CK(cudaFree(d));
    CK(cudaFree(p));
}

/* ---- atomics, shared memory, templates, indexing, block order ------------------------------ */
__global__ void atomics(int *count, float *fsum, int *mx, unsigned *cas)
{
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    atomicAdd(count, 1);
    atomicAdd(fsum, 0.5f);
    atomicMax(mx, (t * 37) % 1001);
    unsigned old = *cas, assumed;
    do {
        assumed = old;
        old = atomicCAS(cas, assumed, assumed + 2);
    } while (old != assumed);
}

__global__ void reverse_dynamic(const int *in, int *out)
{
    extern __shared__ int dyn[];
    const int t = threadIdx.x, n = blockDim.x;
    dyn[t] = in[blockIdx.x * n + t];
    __syncthreads();
    out[blockIdx.x * n + t] = dyn[n - 1 - t];
}

__global__ void counts(int *out)
{
    const int t = threadIdx.x;
    int c = __syncthreads_count(t % 3 == 0);
    int a = __syncthreads_and(t < 100);
    int o = __syncthreads_or(t == 5);
    int a2 = __syncthreads_and(t < 10);
    if (t == 0) { out[0] = c; out[1] = a; out[2] = o; out[3] = a2; }
}

template <class T> __global__ void scale(T *x, T a, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= a;
}

__global__ void index3d(int *out)
{
    const unsigned bx = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    const unsigned tx = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    const unsigned nt = blockDim.x * blockDim.y * blockDim.z;
    out[bx * nt + tx] = (int)(bx * nt + tx);
}

__global__ void block_order(int *counter, int *seq)
{
    if (threadIdx.x == 0) seq[atomicAdd(counter, 1)] = (int)blockIdx.x;
}

static void test_kernels()
{
    int *count = dev<int>(1), *mx = dev<int>(1);
    float *fsum = dev<float>(1);
    unsigned *cas = dev<unsigned>(1);
    CK(cudaMemset(count, 0, 4));
    CK(cudaMemset(mx, 0, 4));
    CK(cudaMemset(fsum, 0, 4));
    CK(cudaMemset(cas, 0, 4));
    atomics<<<4, 256>>>(count, fsum, mx, cas);
    int hc, hm;
    float hf;
    unsigned hcas;
    CK(cudaMemcpy(&hc, count, 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(&hm, mx, 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(&hf, fsum, 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(&hcas, cas, 4, cudaMemcpyDeviceToHost));
    int want_max = 0;
    for (int t = 0; t < 1024; ++t) want_max = std::max(want_max, (t * 37) % 1001);
    check(hc == 1024 && hf == 512.0f && hm == want_max && hcas == 2048,
          "atomicAdd int/float, atomicMax, atomicCAS loop over 4 blocks x 256: %d %g %d %u", hc, hf, hm, hcas);

    const int nb = 3, nt = 96;
    std::vector<int> in(nb * nt), out(nb * nt);
    for (int i = 0; i < nb * nt; ++i) in[i] = i * 3 + 1;
    int *din = dev<int>(nb * nt), *dout = dev<int>(nb * nt);
    CK(cudaMemcpy(din, in.data(), sizeof(int) * nb * nt, cudaMemcpyHostToDevice));
    for (int order : kOrders) {
        cuda_emu_set_order(order, 11);
        reverse_dynamic<<<nb, nt, nt * sizeof(int)>>>(din, dout);
        CK(cudaMemcpy(out.data(), dout, sizeof(int) * nb * nt, cudaMemcpyDeviceToHost));
        bool ok = true;
        for (int b = 0; b < nb; ++b)
            for (int t = 0; t < nt; ++t) ok = ok && out[b * nt + t] == in[b * nt + nt - 1 - t];
        check(ok, "extern __shared__ (dynamic) reverse within blocks, %s order", cuda_emu_order_name(order));
    }
    cuda_emu_set_order(CUDA_EMU_FORWARD, 1);

    counts<<<1, 128>>>(dout);
    int c[4];
    CK(cudaMemcpy(c, dout, sizeof c, cudaMemcpyDeviceToHost));
    check(c[0] == 43 && c[1] == 0 && c[2] == 1 && c[3] == 0, "__syncthreads_count/and/or: %d %d %d %d", c[0], c[1], c[2], c[3]);

    float fx[5] = {1, 2, 3, 4, 5};
    double dx[3] = {1, -2, 0.5};
    float *dfx = dev<float>(5);
    double *ddx = dev<double>(3);
    CK(cudaMemcpy(dfx, fx, sizeof fx, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(ddx, dx, sizeof dx, cudaMemcpyHostToDevice));
    scale<float><<<1, 32>>>(dfx, 2.0f, 5);
    scale<double><<<2, 2>>>(ddx, -4.0, 3);
    CK(cudaMemcpy(fx, dfx, sizeof fx, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(dx, ddx, sizeof dx, cudaMemcpyDeviceToHost));
    check(fx[0] == 2 && fx[4] == 10 && dx[0] == -4 && dx[1] == 8 && dx[2] == -2,
          "template kernels scale<float>, scale<double>");
    /* the rewriter leaves launches in strings and comments alone: k<<<1, 1>>>(x) */
    const char *text = "k<<<1, 1>>>(x)";
    check(strlen(text) == 14 && !strcmp(text + 1, "<<<1, 1>>>(x)"), "a launch in a string literal is not rewritten");

    const dim3 g(2, 3, 2), b(4, 2, 3);
    const int total = 2 * 3 * 2 * 4 * 2 * 3;
    int *d3 = dev<int>(total);
    std::vector<int> h3(total);
    for (int order : kOrders) {
        cuda_emu_set_order(order, 5);
        CK(cudaMemset(d3, 0xff, sizeof(int) * total));
        index3d<<<g, b>>>(d3);
        CK(cudaMemcpy(h3.data(), d3, sizeof(int) * total, cudaMemcpyDeviceToHost));
        bool ok = true;
        for (int i = 0; i < total; ++i) ok = ok && h3[i] == i;
        check(ok, "3-D grid (2,3,2) x block (4,2,3): every thread once, %s order", cuda_emu_order_name(order));
    }

    const int nblk = 16;
    int *ctr = dev<int>(1), *seq = dev<int>(nblk);
    for (int order : kOrders) {
        cuda_emu_set_order(order, 9);
        CK(cudaMemset(ctr, 0, 4));
        block_order<<<nblk, 4>>>(ctr, seq);
        int hs[nblk];
        CK(cudaMemcpy(hs, seq, sizeof hs, cudaMemcpyDeviceToHost));
        bool perm = true, fwd = true, rev = true;
        std::vector<int> seen(nblk, 0);
        for (int i = 0; i < nblk; ++i) {
            perm = perm && hs[i] >= 0 && hs[i] < nblk && !seen[hs[i]]++;
            fwd = fwd && hs[i] == i;
            rev = rev && hs[i] == nblk - 1 - i;
        }
        bool ok = perm && (order == CUDA_EMU_FORWARD ? fwd : order == CUDA_EMU_REVERSED ? rev : !fwd && !rev);
        check(ok, "blocks run in %s order (%d %d %d ...)", cuda_emu_order_name(order), hs[0], hs[1], hs[2]);
    }
    cuda_emu_set_order(CUDA_EMU_FORWARD, 1);
    for (void *p : {(void *)count, (void *)mx, (void *)fsum, (void *)cas, (void *)din, (void *)dout,
                    (void *)dfx, (void *)ddx, (void *)d3, (void *)ctr, (void *)seq})
        CK(cudaFree(p));
}

/* ---- memory, copies, streams, events ------------------------------------------------------- */
__global__ void add_one(float *x, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] += 1.0f;
}

static void test_memory()
{
    const int n = 300;
    float *d = dev<float>(n), *d2 = dev<float>(n);
    std::vector<float> h(n), back(n);
    unsigned char raw[16];
    CK(cudaMemcpy(raw, d, sizeof raw, cudaMemcpyDeviceToHost));
    bool poisoned = true;
    for (unsigned char c : raw) poisoned = poisoned && c == 0xff;
    float f0;
    CK(cudaMemcpy(&f0, d, 4, cudaMemcpyDeviceToHost));
    check(poisoned && isnan(f0), "new device memory is poisoned with 0xff (a float reads NaN)");

    for (int i = 0; i < n; ++i) h[i] = (float)i * 0.25f;
    CK(cudaMemcpy(d, h.data(), n * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(d2, d, n * 4, cudaMemcpyDeviceToDevice));
    add_one<<<(n + 127) / 128, 128>>>(d2, n);
    CK(cudaMemcpy(back.data(), d2, n * 4, cudaMemcpyDeviceToHost));
    bool ok = true;
    for (int i = 0; i < n; ++i) ok = ok && back[i] == h[i] + 1.0f;
    check(ok, "copies host->device->device->host around a kernel");

    cudaStream_t s;
    cudaEvent_t e0, e1;
    CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    CK(cudaEventRecord(e0, s));
    CK(cudaMemsetAsync(d2, 0, n * 4, s));
    add_one<<<3, 128, 0, s>>>(d2, n);
    CK(cudaMemcpyAsync(back.data(), d2, n * 4, cudaMemcpyDefault, s));
    CK(cudaEventRecord(e1, s));
    CK(cudaStreamWaitEvent(s, e1, 0));
    CK(cudaStreamSynchronize(s));
    float ms = -1;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    ok = cudaStreamQuery(s) == cudaSuccess && cudaEventQuery(e1) == cudaSuccess && ms >= 0;
    for (int i = 0; i < n; ++i) ok = ok && back[i] == 1.0f;
    check(ok, "stream, events, memsetAsync, async launch and copy (synchronous), elapsed %.3f ms host time", ms);
    CK(cudaEventDestroy(e0));
    CK(cudaEventDestroy(e1));
    CK(cudaStreamDestroy(s));

    float *pinned = nullptr, *managed = nullptr;
    CK(cudaHostAlloc((void **)&pinned, n * 4, cudaHostAllocMapped));
    CK(cudaMallocManaged((void **)&managed, n * 4, cudaMemAttachGlobal));
    for (int i = 0; i < n; ++i) pinned[i] = managed[i] = (float)i;
    add_one<<<3, 128>>>(pinned, n);
    add_one<<<3, 128>>>(managed, n);
    ok = true;
    for (int i = 0; i < n; ++i) ok = ok && pinned[i] == i + 1.0f && managed[i] == i + 1.0f;
    check(ok, "pinned and managed memory as kernel arguments");
    CK(cudaFreeHost(pinned));
    CK(cudaFree(managed));

    int count = 0;
    cudaDeviceProp prop;
    CK(cudaGetDeviceCount(&count));
    CK(cudaGetDeviceProperties(&prop, 0));
    size_t fr = 0, tot = 0;
    CK(cudaMemGetInfo(&fr, &tot));
    check(count == 1 && strstr(prop.name, "cuda-emu") && prop.warpSize == 32 && fr < tot,
          "one device, \"%s\", cc %d.%d, %d SMs", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
    CK(cudaFree(d));
    CK(cudaFree(d2));
    check(cudaGetLastError() == cudaSuccess && cudaDeviceSynchronize() == cudaSuccess, "no error left over");
}

/* ---- cuBLAS, cuRAND, half ------------------------------------------------------------------- */
static float tf32_round(float x)
{
    unsigned u;
    memcpy(&u, &x, 4);
    u = (u + 0x1000u) & 0xffffe000u;
    memcpy(&x, &u, 4);
    return x;
}

/* C = alpha op(A) op(B) + beta C, column-major, against a double loop */
static bool gemm_case(cublasHandle_t h, int ta, int tb, int m, int n, int k, int pad, bool tf32)
{
    const int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
    const int lda = std::max(ar, 1) + pad, ldb = std::max(br, 1) + pad, ldc = std::max(m, 1) + pad;
    const float alpha = 0.75f, beta = -1.5f;
    std::vector<float> A((size_t)lda * ac + 1), B((size_t)ldb * bc + 1), C((size_t)ldc * n + 1), R;
    unsigned s = 12345u + m * 7 + n * 13 + k;
    auto rnd = [&s]() { s = s * 1103515245u + 12345u; return (float)((s >> 8) % 2001) / 1000.0f - 1.0f + 1.0f / 4096; };
    for (float &v : A) v = rnd();
    for (float &v : B) v = rnd();
    for (float &v : C) v = rnd();
    R = C;
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < m; ++i) {
            double acc = 0;
            for (int p = 0; p < k; ++p) {
                float a = ta ? A[(size_t)i * lda + p] : A[(size_t)p * lda + i];
                float b = tb ? B[(size_t)p * ldb + j] : B[(size_t)j * ldb + p];
                if (tf32) { a = tf32_round(a); b = tf32_round(b); }
                acc += (double)a * b;
            }
            R[(size_t)j * ldc + i] = (float)(alpha * acc + beta * (double)C[(size_t)j * ldc + i]);
        }
    float *dA = dev<float>(A.size()), *dB = dev<float>(B.size()), *dC = dev<float>(C.size());
    CK(cudaMemcpy(dA, A.data(), A.size() * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dB, B.data(), B.size() * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dC, C.data(), C.size() * 4, cudaMemcpyHostToDevice));
    cublasSetMathMode(h, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
    cublasStatus_t st = cublasSgemm(h, ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                    m, n, k, &alpha, dA, lda, dB, ldb, &beta, dC, ldc);
    std::vector<float> G(C.size());
    CK(cudaMemcpy(G.data(), dC, C.size() * 4, cudaMemcpyDeviceToHost));
    bool ok = st == CUBLAS_STATUS_SUCCESS;
    for (size_t i = 0; i < G.size(); ++i) {
        const bool inside = (int)(i % ldc) < m && (int)(i / ldc) < n;
        const double tol = inside ? 1e-5 * (k + 2) : 0;
        ok = ok && fabs((double)G[i] - R[i]) <= tol; /* padding untouched */
    }
    CK(cudaFree(dA));
    CK(cudaFree(dB));
    CK(cudaFree(dC));
    return ok;
}

static void test_blas_rand()
{
    cublasHandle_t h;
    check(cublasCreate(&h) == CUBLAS_STATUS_SUCCESS, "cublasCreate");
    static const int shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {13, 17, 1}, {33, 2, 65}, {3, 1, 4}, {64, 31, 257}, {5, 6, 0}};
    int bad = 0, cases = 0;
    for (auto &sh : shapes)
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb)
                for (int pad = 0; pad < 2; ++pad) {
                    ++cases;
                    if (!gemm_case(h, ta, tb, sh[0], sh[1], sh[2], pad * 3, false)) {
                        ++bad;
                        printf("   sgemm mismatch: ta=%d tb=%d m=%d n=%d k=%d pad=%d\n", ta, tb, sh[0], sh[1], sh[2], pad * 3);
                    }
                }
    check(!bad, "cublasSgemm = naive loop on %d cases (odd shapes, k=0, N/T x N/T, padded leading dims)", cases);
    bool t = gemm_case(h, 1, 0, 9, 11, 300, 1, true) && gemm_case(h, 0, 1, 4, 3, 70, 0, true);
    check(t, "cublasSgemm in CUBLAS_TF32_TENSOR_OP_MATH = naive loop on TF32-rounded inputs");
    cublasMath_t mode;
    cublasGetMathMode(h, &mode);
    check(mode == CUBLAS_TF32_TENSOR_OP_MATH, "cublasGetMathMode returns the mode set");
    cublasDestroy(h);

    const size_t n = 100000;
    float *d = dev<float>(n);
    std::vector<float> u1(n), u2(n);
    curandGenerator_t g;
    curandCreateGenerator(&g, CURAND_RNG_PSEUDO_DEFAULT);
    curandSetPseudoRandomGeneratorSeed(g, 42);
    curandGenerateUniform(g, d, n);
    CK(cudaMemcpy(u1.data(), d, n * 4, cudaMemcpyDeviceToHost));
    curandSetPseudoRandomGeneratorSeed(g, 42);
    curandGenerateUniform(g, d, n);
    CK(cudaMemcpy(u2.data(), d, n * 4, cudaMemcpyDeviceToHost));
    double mean = 0;
    bool in = true;
    for (size_t i = 0; i < n; ++i) { mean += u1[i]; in = in && u1[i] > 0 && u1[i] <= 1; }
    mean /= n;
    check(in && u1 == u2 && fabs(mean - 0.5) < 0.01, "curandGenerateUniform: (0, 1], seeded, mean %.4f", mean);
    check(curandGenerateNormal(g, d, n, 2.0f, 3.0f) == CURAND_STATUS_SUCCESS, "curandGenerateNormal");
    CK(cudaMemcpy(u1.data(), d, n * 4, cudaMemcpyDeviceToHost));
    double m2 = 0, v2 = 0;
    for (float x : u1) m2 += x;
    m2 /= n;
    for (float x : u1) v2 += (x - m2) * (x - m2);
    v2 = sqrt(v2 / n);
    check(fabs(m2 - 2) < 0.05 && fabs(v2 - 3) < 0.05, "normal mean %.3f (2), stddev %.3f (3)", m2, v2);
    check(curandGenerateNormal(g, d, 3, 0, 1) == CURAND_STATUS_LENGTH_NOT_MULTIPLE, "curandGenerateNormal of an odd count is refused");
    curandDestroyGenerator(g);
    CK(cudaFree(d));

    half a = __float2half(1.0f / 3);
    check(__half2float(a) == 0.333251953125f && __half2float(__float2half(70000.0f)) == INFINITY &&
          __half2float(__float2half_rz(70000.0f)) == 65504.0f && __half2float(__float2half(1e-8f)) == 0.0f &&
          __half2float(__float2half(6e-8f)) == 0x1p-24f && __half2float(__float2half_ru(1.0001f)) == 1.0009765625f,
          "half conversions (nearest even, rz, ru, subnormal, overflow)");
}

/* ---- the run-time checks: each in a child that must abort with its message ------------------ */
static bool expect_death(const char *what, const char *needle, void (*fn)())
{
    int fd[2];
    if (pipe(fd) != 0) { perror("pipe"); exit(1); }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], 2);
        dup2(fd[1], 1);
        fn();
        cudaDeviceSynchronize();
        _exit(0);
    }
    close(fd[1]);
    std::string out;
    char buf[4096];
    ssize_t r;
    while ((r = read(fd[0], buf, sizeof buf)) > 0) out.append(buf, (size_t)r);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    const bool died = (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) ||
                      (WIFEXITED(status) && WEXITSTATUS(status) != 0); /* ASan exits 1 */
    const bool said = out.find(needle) != std::string::npos;
    std::string first = out.substr(0, out.find('\n'));
    check(died && said, "%s: %s (\"%.160s\")", what, died ? "fatal" : "NOT fatal", first.c_str());
    return died && said;
}

__global__ void nop(float *) {}
__global__ void big_shared(float *x)
{
    __shared__ float big[13000];
    big[threadIdx.x] = 1;
    __syncthreads();
    x[0] = big[0];
}
__global__ void write_all(float *x) { x[threadIdx.x] = 1.0f; }
__global__ void conditional_barrier(float *x)
{
    if (threadIdx.x < 16) __syncthreads();
    x[threadIdx.x] = 0;
}
__global__ void two_barriers(float *x)
{
    if (threadIdx.x % 2) {
        __syncthreads();
    } else {
        __syncthreads();
    }
    x[threadIdx.x] = 0;
}
__global__ void lane_exits(float *x)
{
    if (threadIdx.x == 5) return;
    x[threadIdx.x] = __shfl_sync(0xffffffffu, 1.0f, 0);
}

static float *D64() { return dev<float>(64); }
static void d_threads() { nop<<<1, 2048>>>(D64()); }
static void d_blockz() { nop<<<1, dim3(1, 1, 65)>>>(D64()); }
static void d_gridy() { nop<<<dim3(1, 65536), 32>>>(D64()); }
static void d_gridzero() { nop<<<0, 32>>>(D64()); }
static void d_dynshared() { nop<<<1, 32, 49153>>>(D64()); }
static void d_bigshared() { big_shared<<<1, 32>>>(D64()); }
static float host_array[64];
static void d_hostptr() { nop<<<1, 32>>>(host_array); }
static void d_freed() { float *d = D64(); cudaFree(d); nop<<<1, 1>>>(d); }
static void d_copy_oob() { float h[128] = {0}; cudaMemcpy(D64(), h, sizeof h, cudaMemcpyHostToDevice); }
static void d_copy_dir() { float a[4], b[4] = {0}; cudaMemcpy(a, b, sizeof a, cudaMemcpyHostToDevice); }
static void d_copy_dir2() { cudaMemcpy(D64(), D64(), 16, cudaMemcpyHostToDevice); }
static void d_copy_null() { float a[4]; cudaMemcpy(a, nullptr, sizeof a, cudaMemcpyDeviceToHost); }
static void d_memset_oob() { cudaMemset(D64() + 60, 0, 5 * sizeof(float)); }
static void d_free_host() { cudaFree(malloc(16)); }
static void d_free_twice() { float *d = D64(); cudaFree(d); cudaFree(d); }
static void d_free_inside() { cudaFree(D64() + 1); }
static void d_freehost_dev() { cudaFreeHost(D64()); }
static void d_overrun() { write_all<<<1, 65>>>(D64()); }
static void d_cond_barrier() { conditional_barrier<<<1, 32>>>(D64()); }
static void d_cond_barrier_rev() { cuda_emu_set_order(CUDA_EMU_REVERSED, 1); conditional_barrier<<<1, 32>>>(D64()); }
static void d_two_barriers() { two_barriers<<<1, 32>>>(D64()); }
static void d_lane_exits() { lane_exits<<<1, 32>>>(D64()); }
static void d_stream()
{
    cudaStream_t s;
    cudaStreamCreate(&s);
    cudaStreamDestroy(s);
    nop<<<1, 1, 0, s>>>(D64());
}
static void d_gemm_ld()
{
    cublasHandle_t h;
    cublasCreate(&h);
    float a = 1, b = 0, *A = D64(), *B = D64(), *C = D64();
    cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, &a, A, 3, B, 4, &b, C, 4);
}
static void d_gemm_extent()
{
    cublasHandle_t h;
    cublasCreate(&h);
    float a = 1, b = 0, *A = D64(), *B = D64(), *C = D64();
    cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, 8, 8, 9, &a, A, 9, B, 9, &b, C, 8); /* A needs 72 floats */
}
static void d_gemm_host()
{
    cublasHandle_t h;
    cublasCreate(&h);
    float a = 1, b = 0, *A = D64(), *C = D64();
    cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, &a, A, 4, host_array, 4, &b, C, 4);
}

static void test_checks()
{
    expect_death("2048 threads per block", "at most 1024", d_threads);
    expect_death("block z = 65", "block z may be at most 64", d_blockz);
    expect_death("grid y = 65536", "grid y and z may be at most 65535", d_gridy);
    expect_death("grid of 0 blocks", "a grid dimension is 0", d_gridzero);
    expect_death("49153 bytes of dynamic shared memory", "dynamic shared memory: at most", d_dynshared);
    expect_death("52000 bytes of static __shared__", "bytes of __shared__ memory", d_bigshared);
    expect_death("a host pointer as a kernel argument", "argument 1 of kernel nop", d_hostptr);
    expect_death("freed device memory as a kernel argument", "not device memory", d_freed);
    expect_death("cudaMemcpy past the end of the destination", "past the end of its allocation", d_copy_oob);
    expect_death("cudaMemcpyHostToDevice to host memory", "is not device memory", d_copy_dir);
    expect_death("cudaMemcpyHostToDevice from device memory", "is device memory (the kind says host)", d_copy_dir2);
    expect_death("cudaMemcpy from NULL", "the source is NULL", d_copy_null);
    expect_death("cudaMemset past the end", "past the end of their allocation", d_memset_oob);
    expect_death("cudaFree of malloc'ed memory", "a pointer it did not allocate", d_free_host);
    expect_death("cudaFree twice", "a pointer it did not allocate", d_free_twice);
    expect_death("cudaFree inside an allocation", "not the start of its allocation", d_free_inside);
    expect_death("cudaFreeHost of device memory", "free it with cudaFree", d_freehost_dev);
#if defined(__SANITIZE_ADDRESS__)
    expect_death("a kernel writes one past the end (ASan)", "AddressSanitizer", d_overrun);
#else
    expect_death("a kernel writes one past the end", "wrote past the end of device memory", d_overrun);
#endif
    expect_death("__syncthreads reached by half the block (forward)", "is never reached by 16 of the 32 threads", d_cond_barrier);
    expect_death("__syncthreads reached by half the block (reversed)", "is never reached by 16 of the 32 threads", d_cond_barrier_rev);
    expect_death("two different __syncthreads", "wait at different __syncthreads", d_two_barriers);
    expect_death("a lane exits before __shfl_sync", "has finished", d_lane_exits);
    expect_death("a launch on a destroyed stream", "not a live stream", d_stream);
    expect_death("cublasSgemm with lda < m", "ldA = 3, less than the 4 rows of A", d_gemm_ld);
    expect_death("cublasSgemm reading past the end of A", "run 32 bytes past the end", d_gemm_extent);
    expect_death("cublasSgemm with a host matrix", "not device-accessible memory", d_gemm_host);
}

int main()
{
    setvbuf(stdout, nullptr, _IOLBF, 0);
    test_reductions();
    test_warps();
    test_kernels();
    test_memory();
    test_blas_rand();
    test_checks();
    cuda_emu_stats st;
    cuda_emu_get_stats(&st);
    printf("cuda-emu stats: %llu launches, %llu blocks, %llu threads, %llu blocks with barriers, %llu switches, %llu gemms\n",
           st.launches, st.blocks, st.threads, st.full_blocks, st.switches, st.gemms);
    printf("cuda-emu selftest: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
