/*
 * cuda_emu_kernel.h — cuda-emu (tests/cuda-emu): the CUDA kernel language for the host C++
 * compiler. tests/cuda-emu/nvcc compiles every .cu as C++ with `-include cuda_emu_kernel.h`,
 * after rewriting each launch `k<<<g, b, s, st>>>(args)` into
 *     ::cuda_emu::launch(k, ::cuda_emu::LaunchConfig(g, b, s, st), "k", __FILE__, __LINE__)(args)
 * and each `__shared__` declaration (see nvcc). The runtime (runtime.cpp) runs the blocks one
 * after another and the threads of a block as fibers that switch only at barriers and warp
 * operations; threadIdx & co. are globals it sets before it runs a thread.
 *
 * Not emulated (no __CUDA_ARCH__ is ever defined, this is the host pass): device math at the
 * ulp (host libm; --use_fast_math is ignored), tensor cores, textures, dynamic parallelism,
 * cooperative groups, clusters. See tests/cuda-emu/README.md.
 */
#ifndef CUDA_EMU_KERNEL_H
#define CUDA_EMU_KERNEL_H

#ifndef __cplusplus
#error "cuda_emu_kernel.h is for .cu files compiled as C++ (tests/cuda-emu/nvcc)"
#endif

#define __CUDACC__ 1
#define __NVCC__ 1
#define __CUDACC_VER_MAJOR__ 12
#define __CUDACC_VER_MINOR__ 0
#define __CUDACC_VER_BUILD__ 0

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmath>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cuda_runtime.h"
#include "cuda_fp16.h"

/* ---- the runtime's side (runtime.cpp) ---------------------------------------------------- */
extern "C" {
extern uint3 threadIdx;
extern uint3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;
/* the block's dynamic shared memory (`extern __shared__ T a[]`): one buffer, reused */
extern unsigned char cuda_emu_dynamic_smem[];
/* a barrier of the block: kind 0 __syncthreads, 1 _count, 2 _and, 3 _or; returns the count/and/or */
int cuda_emu_barrier(int kind, int pred, const char *file, int line);
/* a warp operation (a barrier of the lanes in mask); value/param per kind, see below */
unsigned long long cuda_emu_warp_op(int kind, unsigned mask, unsigned long long value, int param,
                                    int width, const char *file, int line);
unsigned cuda_emu_activemask(void);
/* a __shared__ variable seen by a thread: counted against 48 KiB, poisoned once a block */
void cuda_emu_shared_note(void *p, size_t size, const char *file, int line);
void cuda_emu_trap(const char *file, int line);
}

static constexpr int warpSize = 32;

namespace cuda_emu {

enum WarpKind { SHFL_IDX, SHFL_UP, SHFL_DOWN, SHFL_XOR, BALLOT, ANY, ALL, SYNCWARP };

struct LaunchConfig {
    dim3 grid, block;
    size_t shmem;
    cudaStream_t stream;
    LaunchConfig(dim3 g, dim3 b, size_t s = 0, cudaStream_t st = 0)
        : grid(g), block(b), shmem(s), stream(st) {}
};

struct Site {
    const char *kernel, *file;
    int line;
};

/* runs every block and thread; ptrs[i] is the kernel's argument number argi[i] (a pointer) */
void launch_kernel(const LaunchConfig &cfg, const Site &site, void (*run)(void *), void *ctx,
                   const void *const *ptrs, const int *argi, int nptrs);

template <class T, bool = std::is_pointer<T>::value> struct PointerArg {
    static void note(const T &, const void **, int *, int &, int) {}
};
template <class T> struct PointerArg<T, true> {
    static void note(const T &v, const void **ptrs, int *argi, int &n, int i)
    {
        /* function pointers are not memory */
        if (!std::is_function<typename std::remove_pointer<T>::type>::value) {
            ptrs[n] = (const void *)v;
            argi[n++] = i;
        }
    }
};

template <class... P> struct Launcher {
    void (*kernel)(P...);
    LaunchConfig cfg;
    Site site;

    struct Ctx {
        void (*kernel)(P...);
        std::tuple<P...> *args;
    };
    template <size_t... I> static void call(Ctx *c, std::index_sequence<I...>)
    {
        c->kernel(std::get<I>(*c->args)...); /* each thread gets its own copies of the arguments */
    }
    static void run(void *ctx) { call(static_cast<Ctx *>(ctx), std::index_sequence_for<P...>()); }
    template <size_t... I>
    static int note_all(const std::tuple<P...> &t, const void **ptrs, int *argi, std::index_sequence<I...>)
    {
        int n = 0;
        int dummy[] = {0, (PointerArg<P>::note(std::get<I>(t), ptrs, argi, n, (int)I), 0)...};
        (void)dummy;
        return n;
    }
    /* the arguments convert to the kernel's parameter types here, once, as in a call */
    void operator()(P... a) const
    {
        std::tuple<P...> args(a...);
        const void *ptrs[sizeof...(P) + 1];
        int argi[sizeof...(P) + 1];
        int n = note_all(args, ptrs, argi, std::index_sequence_for<P...>());
        Ctx c = {kernel, &args};
        launch_kernel(cfg, site, &Launcher::run, &c, ptrs, argi, n);
    }
};

template <class... P>
static inline Launcher<P...> launch(void (*k)(P...), LaunchConfig cfg, const char *name,
                                    const char *file, int line)
{
    return Launcher<P...>{k, cfg, Site{name, file, line}};
}

/* `__shared__ T a[N];` becomes `static T a[N]; ::cuda_emu::SharedNote n(&a, sizeof a, ...);` */
struct SharedNote {
    SharedNote(void *p, size_t size, const char *file, int line)
    {
        cuda_emu_shared_note(p, size, file, line);
    }
};

template <class T> static inline T warp_value(int kind, unsigned mask, T var, int param, int width,
                                              const char *file, int line)
{
    static_assert(sizeof(T) <= 8, "cuda-emu: warp shuffles of types wider than 8 bytes");
    unsigned long long v = 0, r;
    T out;
    memcpy(&v, &var, sizeof(T));
    r = cuda_emu_warp_op(kind, mask, v, param, width, file, line);
    memcpy(&out, &r, sizeof(T));
    return out;
}
template <class T> static inline T shfl(const char *f, int l, unsigned mask, T v, int lane, int width = 32)
{ return warp_value(SHFL_IDX, mask, v, lane, width, f, l); }
template <class T> static inline T shfl_up(const char *f, int l, unsigned mask, T v, unsigned d, int width = 32)
{ return warp_value(SHFL_UP, mask, v, (int)d, width, f, l); }
template <class T> static inline T shfl_down(const char *f, int l, unsigned mask, T v, unsigned d, int width = 32)
{ return warp_value(SHFL_DOWN, mask, v, (int)d, width, f, l); }
template <class T> static inline T shfl_xor(const char *f, int l, unsigned mask, T v, int m, int width = 32)
{ return warp_value(SHFL_XOR, mask, v, m, width, f, l); }
static inline void syncwarp(const char *f, int l, unsigned mask = 0xffffffffu)
{ cuda_emu_warp_op(SYNCWARP, mask, 0, 0, 32, f, l); }

} /* namespace cuda_emu */

/* ---- barriers and warp operations ------------------------------------------------------- */
#define __syncthreads() cuda_emu_barrier(0, 0, __FILE__, __LINE__)
#define __syncthreads_count(p) cuda_emu_barrier(1, (p) != 0, __FILE__, __LINE__)
#define __syncthreads_and(p) cuda_emu_barrier(2, (p) != 0, __FILE__, __LINE__)
#define __syncthreads_or(p) cuda_emu_barrier(3, (p) != 0, __FILE__, __LINE__)
#define __shfl_sync(...) ::cuda_emu::shfl(__FILE__, __LINE__, __VA_ARGS__)
#define __shfl_up_sync(...) ::cuda_emu::shfl_up(__FILE__, __LINE__, __VA_ARGS__)
#define __shfl_down_sync(...) ::cuda_emu::shfl_down(__FILE__, __LINE__, __VA_ARGS__)
#define __shfl_xor_sync(...) ::cuda_emu::shfl_xor(__FILE__, __LINE__, __VA_ARGS__)
#define __shfl(...) ::cuda_emu::shfl(__FILE__, __LINE__, 0xffffffffu, __VA_ARGS__)
#define __shfl_up(...) ::cuda_emu::shfl_up(__FILE__, __LINE__, 0xffffffffu, __VA_ARGS__)
#define __shfl_down(...) ::cuda_emu::shfl_down(__FILE__, __LINE__, 0xffffffffu, __VA_ARGS__)
#define __shfl_xor(...) ::cuda_emu::shfl_xor(__FILE__, __LINE__, 0xffffffffu, __VA_ARGS__)
#define __ballot_sync(mask, p) \
    ((unsigned)cuda_emu_warp_op(::cuda_emu::BALLOT, (mask), (p) != 0, 0, 32, __FILE__, __LINE__))
#define __any_sync(mask, p) ((int)cuda_emu_warp_op(::cuda_emu::ANY, (mask), (p) != 0, 0, 32, __FILE__, __LINE__))
#define __all_sync(mask, p) ((int)cuda_emu_warp_op(::cuda_emu::ALL, (mask), (p) != 0, 0, 32, __FILE__, __LINE__))
#define __ballot(p) __ballot_sync(0xffffffffu, p)
#define __any(p) __any_sync(0xffffffffu, p)
#define __all(p) __all_sync(0xffffffffu, p)
#define __syncwarp(...) ::cuda_emu::syncwarp(__FILE__, __LINE__, ##__VA_ARGS__)
#define __activemask() cuda_emu_activemask()
#define __trap() cuda_emu_trap(__FILE__, __LINE__)
#define __brkpt() cuda_emu_trap(__FILE__, __LINE__)

/* one block runs at a time, and its threads switch only at barriers: nothing to fence */
static inline void __threadfence(void) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
static inline void __threadfence_block(void) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
static inline void __threadfence_system(void) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
static inline void __nanosleep(unsigned) {}
static inline long long clock64(void) { return (long long)__builtin_ia32_rdtsc(); }
template <class T> static inline T __ldg(const T *p) { return *p; }

/* ---- atomics: plain operations (one block at a time, no switch inside an operation) ------ */
#define CUDA_EMU_ATOMIC(NAME, T, EXPR) \
    static inline T NAME(T *a, T v) { T o = *a; *a = (EXPR); return o; }
#define CUDA_EMU_ATOMIC_INT(NAME, EXPR) \
    CUDA_EMU_ATOMIC(NAME, int, EXPR) CUDA_EMU_ATOMIC(NAME, unsigned int, EXPR) \
    CUDA_EMU_ATOMIC(NAME, unsigned long long, EXPR) CUDA_EMU_ATOMIC(NAME, long long, EXPR)
CUDA_EMU_ATOMIC_INT(atomicAdd, o + v)
CUDA_EMU_ATOMIC(atomicAdd, float, o + v)
CUDA_EMU_ATOMIC(atomicAdd, double, o + v)
CUDA_EMU_ATOMIC(atomicSub, int, o - v)
CUDA_EMU_ATOMIC(atomicSub, unsigned int, o - v)
CUDA_EMU_ATOMIC_INT(atomicExch, v)
CUDA_EMU_ATOMIC(atomicExch, float, v)
CUDA_EMU_ATOMIC_INT(atomicMin, v < o ? v : o)
CUDA_EMU_ATOMIC_INT(atomicMax, v > o ? v : o)
CUDA_EMU_ATOMIC_INT(atomicAnd, o & v)
CUDA_EMU_ATOMIC_INT(atomicOr, o | v)
CUDA_EMU_ATOMIC_INT(atomicXor, o ^ v)
CUDA_EMU_ATOMIC(atomicInc, unsigned int, o >= v ? 0u : o + 1u)
CUDA_EMU_ATOMIC(atomicDec, unsigned int, (o == 0u || o > v) ? v : o - 1u)
#define CUDA_EMU_CAS(T) \
    static inline T atomicCAS(T *a, T cmp, T v) { T o = *a; if (o == cmp) *a = v; return o; }
CUDA_EMU_CAS(int)
CUDA_EMU_CAS(unsigned int)
CUDA_EMU_CAS(unsigned long long)
CUDA_EMU_CAS(unsigned short)

/* ---- math intrinsics: the host's libm, correctly rounded where CUDA's are (_rn) ----------- */
/* glibc declares (but does not export) __expf & co.: macros, so they mean the libm functions */
#define __expf(x) expf(x)
#define __exp10f(x) powf(10.0f, (x))
#define __logf(x) logf(x)
#define __log2f(x) log2f(x)
#define __log10f(x) log10f(x)
#define __powf(x, y) powf((x), (y))
#define __sinf(x) sinf(x)
#define __cosf(x) cosf(x)
#define __tanf(x) tanf(x)
#define __sincosf(x, s, c) sincosf((x), (s), (c))
static inline float __fdividef(float a, float b) { return a / b; }
static inline float fdividef(float a, float b) { return a / b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
static inline float __frcp_rn(float a) { return 1.0f / a; }
static inline float __fsqrt_rn(float a) { return sqrtf(a); }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __ddiv_rn(double a, double b) { return a / b; }
static inline double __drcp_rn(double a) { return 1.0 / a; }
static inline double __dsqrt_rn(double a) { return sqrt(a); }
static inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rsqrt(double x) { return 1.0 / sqrt(x); }
static inline float rcbrtf(float x) { return 1.0f / cbrtf(x); }
static inline float __saturatef(float x) { return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f; }
static inline float __int_as_float(int x) { float f; memcpy(&f, &x, 4); return f; }
static inline int __float_as_int(float x) { int i; memcpy(&i, &x, 4); return i; }
static inline float __uint_as_float(unsigned x) { float f; memcpy(&f, &x, 4); return f; }
static inline unsigned __float_as_uint(float x) { unsigned i; memcpy(&i, &x, 4); return i; }
static inline double __longlong_as_double(long long x) { double d; memcpy(&d, &x, 8); return d; }
static inline long long __double_as_longlong(double x) { long long i; memcpy(&i, &x, 8); return i; }
static inline int __double2hiint(double x) { return (int)(__double_as_longlong(x) >> 32); }
static inline int __double2loint(double x) { return (int)(unsigned)__double_as_longlong(x); }
static inline double __hiloint2double(int hi, int lo)
{ return __longlong_as_double((long long)(((unsigned long long)(unsigned)hi << 32) | (unsigned)lo)); }
static inline int __float2int_rn(float x) { return (int)nearbyintf(x); }
static inline int __float2int_rz(float x) { return (int)x; }
static inline int __float2int_rd(float x) { return (int)floorf(x); }
static inline int __float2int_ru(float x) { return (int)ceilf(x); }
static inline unsigned __float2uint_rn(float x) { return (unsigned)nearbyintf(x); }
static inline unsigned __float2uint_rz(float x) { return (unsigned)x; }
static inline long long __float2ll_rn(float x) { return (long long)nearbyintf(x); }
static inline long long __float2ll_rz(float x) { return (long long)x; }
static inline int __double2int_rn(double x) { return (int)nearbyint(x); }
static inline int __double2int_rz(double x) { return (int)x; }
static inline float __double2float_rn(double x) { return (float)x; }
static inline float __int2float_rn(int x) { return (float)x; }
static inline float __uint2float_rn(unsigned x) { return (float)x; }
static inline float __ll2float_rn(long long x) { return (float)x; }
static inline double __int2double_rn(int x) { return (double)x; }
static inline int __popc(unsigned x) { return __builtin_popcount(x); }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
static inline int __clz(int x) { return x ? __builtin_clz((unsigned)x) : 32; }
static inline int __clzll(long long x) { return x ? __builtin_clzll((unsigned long long)x) : 64; }
static inline int __ffs(int x) { return __builtin_ffs(x); }
static inline int __ffsll(long long x) { return __builtin_ffsll(x); }
static inline unsigned __brev(unsigned x)
{
    unsigned r = 0;
    for (int i = 0; i < 32; ++i, x >>= 1) r = (r << 1) | (x & 1u);
    return r;
}
static inline unsigned long long __brevll(unsigned long long x)
{
    unsigned long long r = 0;
    for (int i = 0; i < 64; ++i, x >>= 1) r = (r << 1) | (x & 1ull);
    return r;
}
static inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s)
{
    unsigned long long v = ((unsigned long long)y << 32) | x;
    unsigned r = 0;
    for (int i = 0; i < 4; ++i) r |= (unsigned)((v >> (8 * ((s >> (4 * i)) & 7u))) & 0xffu) << (8 * i);
    return r;
}
static inline int __mul24(int a, int b) /* the low 24 bits, sign-extended */
{ return (int)((long long)((int)((unsigned)a << 8) >> 8) * ((int)((unsigned)b << 8) >> 8)); }
static inline unsigned __umul24(unsigned a, unsigned b) { return (a & 0xffffffu) * (b & 0xffffffu); }
static inline int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
static inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
static inline long long __mul64hi(long long a, long long b) { return (long long)(((__int128)a * b) >> 64); }
static inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b)
{ return (unsigned long long)(((unsigned __int128)a * b) >> 64); }
static inline unsigned __sad(int a, int b, unsigned c) { return c + (unsigned)(a > b ? a - b : b - a); }
static inline unsigned __usad(unsigned a, unsigned b, unsigned c) { return c + (a > b ? a - b : b - a); }

/* min/max as CUDA's device overloads: fminf/fmin for floating point (NaN-ignoring), the usual
 * arithmetic conversions for integers */
static inline float min(float a, float b) { return fminf(a, b); }
static inline float max(float a, float b) { return fmaxf(a, b); }
static inline double min(double a, double b) { return fmin(a, b); }
static inline double max(double a, double b) { return fmax(a, b); }
template <class A, class B>
static inline typename std::common_type<A, B>::type min(A a, B b)
{
    typedef typename std::common_type<A, B>::type C;
    return (C)b < (C)a ? (C)b : (C)a;
}
template <class A, class B>
static inline typename std::common_type<A, B>::type max(A a, B b)
{
    typedef typename std::common_type<A, B>::type C;
    return (C)a < (C)b ? (C)b : (C)a;
}

#endif /* CUDA_EMU_KERNEL_H */
