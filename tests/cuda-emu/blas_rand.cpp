/*
 * blas_rand.cpp — cuda-emu (tests/cuda-emu): cuBLAS and cuRAND on the host, part of
 * libcudaemu.a (build: tests/cuda-emu/build.sh).
 *
 * cublasSgemm checks its arguments the way a test tool should (fatal, "cuda-emu: ..."): a live
 * handle; m, n, k >= 0; lda/ldb/ldc at least the rows of their matrices; A, B and C
 * device-accessible memory (cudaMalloc, managed, pinned) that holds every element the
 * product reads or writes. Then it runs OpenBLAS's cblas_sgemm, column-major like cuBLAS;
 * with CUBLAS_TF32_TENSOR_OP_MATH it first rounds A and B to TF32 (10-bit mantissa, to
 * nearest, ties away from zero, as the tensor cores' cvt.rna.tf32.f32) and accumulates in
 * float. Summation order and blocking are OpenBLAS's, never cuBLAS's.
 *
 * cuRAND: a seeded splitmix64 generator per curandGenerator_t; uniform floats in (0, 1],
 * normals by Box-Muller (an even count, as cuRAND asks). Not cuRAND's sequences.
 */
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include <cblas.h>

#include "cublas_v2.h"
#include "curand.h"
#include "internal.h"

using namespace cuda_emu;

static const unsigned kBlasMagic = 0x424c4153u, kRandMagic = 0x52414e44u;

struct cublasContext {
    unsigned magic;
    cudaStream_t stream;
    cublasMath_t math;
    cublasPointerMode_t pointer_mode;
};

struct curandGenerator_st {
    unsigned magic;
    curandRngType_t type;
    unsigned long long state;
    cudaStream_t stream;
};

static std::mutex mu;
static std::set<const void *> handles, generators;

static cublasContext *need_handle(cublasHandle_t h, const char *api)
{
    std::lock_guard<std::mutex> g(mu);
    if (!handles.count(h)) fatal("%s: handle %p is not a live cuBLAS handle (cublasCreate)", api, (void *)h);
    return h;
}

static curandGenerator_st *need_gen(curandGenerator_t g, const char *api)
{
    std::lock_guard<std::mutex> l(mu);
    if (!generators.count(g)) fatal("%s: %p is not a live cuRAND generator", api, (void *)g);
    return g;
}

static float tf32(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7f800000u) != 0x7f800000u) { /* finite: round the low 13 bits away, ties away */
        u += 0x1000u;
        u &= 0xffffe000u;
    }
    memcpy(&x, &u, 4);
    return x;
}

/* a rows x cols column-major matrix with leading dimension ld, copied with TF32 rounding */
static std::vector<float> tf32_copy(const float *a, int rows, int cols, int ld)
{
    std::vector<float> v((size_t)ld * (cols - 1) + rows);
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) v[(size_t)c * ld + r] = tf32(a[(size_t)c * ld + r]);
    return v;
}

extern "C" {

cublasStatus_t cublasCreate_v2(cublasHandle_t *h)
{
    if (!h) fatal("cublasCreate: NULL handle pointer");
    *h = new cublasContext{kBlasMagic, nullptr, CUBLAS_DEFAULT_MATH, CUBLAS_POINTER_MODE_HOST};
    std::lock_guard<std::mutex> g(mu);
    handles.insert(*h);
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t h)
{
    need_handle(h, "cublasDestroy");
    std::lock_guard<std::mutex> g(mu);
    handles.erase(h);
    delete h;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t h, cudaStream_t s)
{
    need_handle(h, "cublasSetStream")->stream = s;
    if (!stream_valid(s)) fatal("cublasSetStream: stream %p is not a live stream", (void *)s);
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream_v2(cublasHandle_t h, cudaStream_t *s)
{
    *s = need_handle(h, "cublasGetStream")->stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t mode)
{
    need_handle(h, "cublasSetMathMode")->math = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t h, cublasMath_t *mode)
{
    *mode = need_handle(h, "cublasGetMathMode")->math;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetPointerMode_v2(cublasHandle_t h, cublasPointerMode_t mode)
{
    need_handle(h, "cublasSetPointerMode")->pointer_mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetPointerMode_v2(cublasHandle_t h, cublasPointerMode_t *mode)
{
    *mode = need_handle(h, "cublasGetPointerMode")->pointer_mode;
    return CUBLAS_STATUS_SUCCESS;
}

const char *cublasGetStatusName(cublasStatus_t s)
{
    switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    }
    return "CUBLAS_STATUS_UNKNOWN";
}
const char *cublasGetStatusString(cublasStatus_t s) { return cublasGetStatusName(s); }

/* a scalar argument: a host pointer, or device memory in CUBLAS_POINTER_MODE_DEVICE */
static float scalar(const cublasContext *c, const float *p, const char *what)
{
    if (!p) fatal("cublasSgemm: %s is NULL", what);
    if (c->pointer_mode == CUBLAS_POINTER_MODE_DEVICE) check_device_range(p, sizeof(float), what);
    return *p;
}

/* the matrix op(X) reads: rows x cols with leading dimension ld */
static void check_matrix(const char *name, const void *p, int rows, int cols, int ld, int m, int n,
                         int k)
{
    char what[160];
    if (ld < (rows > 1 ? rows : 1))
        fatal("cublasSgemm (m=%d n=%d k=%d): ld%s = %d, less than the %d rows of %s", m, n, k, name,
              ld, rows, name);
    if (rows == 0 || cols == 0) return;
    snprintf(what, sizeof what, "cublasSgemm (m=%d n=%d k=%d, ld%s=%d): matrix %s", m, n, k, name, ld, name);
    check_device_range(p, sizeof(float) * ((size_t)ld * (cols - 1) + rows), what);
}

cublasStatus_t cublasSgemm_v2(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                              int n, int k, const float *alpha, const float *A, int lda,
                              const float *B, int ldb, const float *beta, float *C, int ldc)
{
    cublasContext *c = need_handle(h, "cublasSgemm");
    if (in_kernel()) fatal("cublasSgemm called inside a kernel");
    if (m < 0 || n < 0 || k < 0) fatal("cublasSgemm: m=%d n=%d k=%d (negative)", m, n, k);
    if ((ta != CUBLAS_OP_N && ta != CUBLAS_OP_T && ta != CUBLAS_OP_C) ||
        (tb != CUBLAS_OP_N && tb != CUBLAS_OP_T && tb != CUBLAS_OP_C))
        fatal("cublasSgemm: transa=%d transb=%d are not cublasOperation_t values", (int)ta, (int)tb);
    const bool tA = ta != CUBLAS_OP_N, tB = tb != CUBLAS_OP_N;
    /* op(A) is m x k: A is m x k (N) or k x m (T); op(B) is k x n: B is k x n or n x k */
    check_matrix("A", A, tA ? k : m, tA ? m : k, lda, m, n, k);
    check_matrix("B", B, tB ? n : k, tB ? k : n, ldb, m, n, k);
    check_matrix("C", C, m, n, ldc, m, n, k);
    ++stat_gemms;
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    const float al = scalar(c, alpha, "alpha"), be = scalar(c, beta, "beta");
    std::vector<float> a32, b32;
    if (c->math == CUBLAS_TF32_TENSOR_OP_MATH && k > 0) {
        a32 = tf32_copy(A, tA ? k : m, tA ? m : k, lda);
        b32 = tf32_copy(B, tB ? n : k, tB ? k : n, ldb);
        A = a32.data();
        B = b32.data();
    }
    cblas_sgemm(CblasColMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans, m, n,
                k, al, A, lda, B, ldb, be, C, ldc);
    return CUBLAS_STATUS_SUCCESS;
}

static void check_vector(const char *api, const char *name, const float *x, int n, int inc)
{
    char what[128];
    if (n <= 0) return;
    if (inc == 0) fatal("%s: inc%s = 0", api, name);
    snprintf(what, sizeof what, "%s: vector %s (n=%d, inc=%d)", api, name, n, inc);
    size_t span = (size_t)(n - 1) * (size_t)(inc < 0 ? -inc : inc) + 1;
    check_device_range(x, sizeof(float) * span, what);
}

cublasStatus_t cublasSaxpy_v2(cublasHandle_t h, int n, const float *alpha, const float *x, int incx,
                              float *y, int incy)
{
    cublasContext *c = need_handle(h, "cublasSaxpy");
    check_vector("cublasSaxpy", "x", x, n, incx);
    check_vector("cublasSaxpy", "y", y, n, incy);
    if (n > 0) cblas_saxpy(n, scalar(c, alpha, "alpha"), x, incx, y, incy);
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSscal_v2(cublasHandle_t h, int n, const float *alpha, float *x, int incx)
{
    cublasContext *c = need_handle(h, "cublasSscal");
    check_vector("cublasSscal", "x", x, n, incx);
    if (n > 0) cblas_sscal(n, scalar(c, alpha, "alpha"), x, incx);
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasScopy_v2(cublasHandle_t h, int n, const float *x, int incx, float *y, int incy)
{
    need_handle(h, "cublasScopy");
    check_vector("cublasScopy", "x", x, n, incx);
    check_vector("cublasScopy", "y", y, n, incy);
    if (n > 0) cblas_scopy(n, x, incx, y, incy);
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSdot_v2(cublasHandle_t h, int n, const float *x, int incx, const float *y,
                             int incy, float *result)
{
    cublasContext *c = need_handle(h, "cublasSdot");
    check_vector("cublasSdot", "x", x, n, incx);
    check_vector("cublasSdot", "y", y, n, incy);
    if (c->pointer_mode == CUBLAS_POINTER_MODE_DEVICE) check_device_range(result, sizeof(float), "cublasSdot result");
    *result = n > 0 ? cblas_sdot(n, x, incx, y, incy) : 0.0f;
    return CUBLAS_STATUS_SUCCESS;
}

/* ---- cuRAND --------------------------------------------------------------------------------- */
static inline unsigned long long next64(curandGenerator_st *g)
{
    unsigned long long z = (g->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
/* (0, 1] in 2^-24 steps, as a float */
static inline float uniform(curandGenerator_st *g) { return (float)((next64(g) >> 40) + 1) * 0x1p-24f; }

curandStatus_t curandCreateGenerator(curandGenerator_t *pg, curandRngType_t type)
{
    if (!pg) fatal("curandCreateGenerator: NULL generator pointer");
    *pg = new curandGenerator_st{kRandMagic, type, 0, nullptr};
    std::lock_guard<std::mutex> l(mu);
    generators.insert(*pg);
    return CURAND_STATUS_SUCCESS;
}
curandStatus_t curandCreateGeneratorHost(curandGenerator_t *pg, curandRngType_t type)
{
    return curandCreateGenerator(pg, type);
}
curandStatus_t curandDestroyGenerator(curandGenerator_t g)
{
    need_gen(g, "curandDestroyGenerator");
    std::lock_guard<std::mutex> l(mu);
    generators.erase(g);
    delete g;
    return CURAND_STATUS_SUCCESS;
}
curandStatus_t curandSetPseudoRandomGeneratorSeed(curandGenerator_t g, unsigned long long seed)
{
    need_gen(g, "curandSetPseudoRandomGeneratorSeed")->state = seed;
    return CURAND_STATUS_SUCCESS;
}
curandStatus_t curandSetStream(curandGenerator_t g, cudaStream_t s)
{
    need_gen(g, "curandSetStream")->stream = s;
    if (!stream_valid(s)) fatal("curandSetStream: stream %p is not a live stream", (void *)s);
    return CURAND_STATUS_SUCCESS;
}
curandStatus_t curandGenerateUniform(curandGenerator_t g, float *out, size_t n)
{
    curandGenerator_st *G = need_gen(g, "curandGenerateUniform");
    if (n) check_device_range(out, n * sizeof(float), "curandGenerateUniform");
    for (size_t i = 0; i < n; ++i) out[i] = uniform(G);
    return CURAND_STATUS_SUCCESS;
}
curandStatus_t curandGenerateUniformDouble(curandGenerator_t g, double *out, size_t n)
{
    curandGenerator_st *G = need_gen(g, "curandGenerateUniformDouble");
    if (n) check_device_range(out, n * sizeof(double), "curandGenerateUniformDouble");
    for (size_t i = 0; i < n; ++i) out[i] = (double)((next64(G) >> 11) + 1) * 0x1p-53;
    return CURAND_STATUS_SUCCESS;
}
curandStatus_t curandGenerateNormal(curandGenerator_t g, float *out, size_t n, float mean, float stddev)
{
    curandGenerator_st *G = need_gen(g, "curandGenerateNormal");
    if (n % 2) return CURAND_STATUS_LENGTH_NOT_MULTIPLE;
    if (n) check_device_range(out, n * sizeof(float), "curandGenerateNormal");
    for (size_t i = 0; i < n; i += 2) {
        double u1 = uniform(G), u2 = uniform(G), r = std::sqrt(-2.0 * std::log(u1));
        out[i] = (float)(mean + stddev * r * std::cos(2 * M_PI * u2));
        out[i + 1] = (float)(mean + stddev * r * std::sin(2 * M_PI * u2));
    }
    return CURAND_STATUS_SUCCESS;
}
curandStatus_t curandGenerate(curandGenerator_t g, unsigned int *out, size_t n)
{
    curandGenerator_st *G = need_gen(g, "curandGenerate");
    if (n) check_device_range(out, n * sizeof(unsigned), "curandGenerate");
    for (size_t i = 0; i < n; ++i) out[i] = (unsigned)(next64(G) >> 32);
    return CURAND_STATUS_SUCCESS;
}

} /* extern "C" */
