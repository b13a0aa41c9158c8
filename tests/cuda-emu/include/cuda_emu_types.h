/*
 * cuda_emu_types.h — cuda-emu (tests/cuda-emu): the CUDA qualifiers and vector types for the
 * host compiler, usable from C11 and C++. Stands in for CUDA's host_defines.h,
 * vector_types.h and vector_functions.h: Darknet's .c files see these through darknet.h
 * (-DGPU), the .cu files compiled as C++ by tests/cuda-emu/nvcc see them too.
 * Nothing here runs on a GPU: see tests/cuda-emu/README.md.
 */
#ifndef CUDA_EMU_TYPES_H
#define CUDA_EMU_TYPES_H

#include <stddef.h>

/* ---- function and variable qualifiers: host code, all of it ---------------------------- */
#define __host__
#define __device__
#define __global__
/* __noinline__ is left alone: GCC's own headers spell __attribute__((__noinline__)) */
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)
#define __grid_constant__
#define __managed__
#define __constant__
/* __restrict__ is a GCC keyword already (C and C++) */
#define CUDARTAPI
#define __cudart_builtin__
#define __device_builtin__
#ifndef __shared__
/* a block's __shared__ variables are statics: blocks run one after another. The nvcc stand-in
 * rewrites `__shared__ T a[N];` so the runtime also sees (checks the 48 KiB limit, poisons)
 * each one; this plain definition serves any it leaves alone. */
#define __shared__ static
#endif

/* ---- vector types (same members, sizes and alignments as CUDA's) ----------------------- */
#define CUDA_EMU_VEC1(T, N, A) typedef struct __attribute__((aligned(A))) N##1 { T x; } N##1;
#define CUDA_EMU_VEC2(T, N, A) typedef struct __attribute__((aligned(A))) N##2 { T x, y; } N##2;
#define CUDA_EMU_VEC3(T, N) typedef struct N##3 { T x, y, z; } N##3;
#define CUDA_EMU_VEC4(T, N, A) typedef struct __attribute__((aligned(A))) N##4 { T x, y, z, w; } N##4;
#define CUDA_EMU_VECS(T, N, A1, A2, A4) \
    CUDA_EMU_VEC1(T, N, A1) CUDA_EMU_VEC2(T, N, A2) CUDA_EMU_VEC3(T, N) CUDA_EMU_VEC4(T, N, A4)

CUDA_EMU_VECS(signed char, char, 1, 2, 4)
CUDA_EMU_VECS(unsigned char, uchar, 1, 2, 4)
CUDA_EMU_VECS(short, short, 2, 4, 8)
CUDA_EMU_VECS(unsigned short, ushort, 2, 4, 8)
CUDA_EMU_VECS(int, int, 4, 8, 16)
CUDA_EMU_VECS(unsigned int, uint, 4, 8, 16)
CUDA_EMU_VECS(long, long, 8, 16, 16)
CUDA_EMU_VECS(unsigned long, ulong, 8, 16, 16)
CUDA_EMU_VECS(long long, longlong, 8, 16, 16)
CUDA_EMU_VECS(unsigned long long, ulonglong, 8, 16, 16)
CUDA_EMU_VECS(float, float, 4, 8, 16)
CUDA_EMU_VECS(double, double, 8, 16, 16)

#define CUDA_EMU_MAKE1(T, N) static __inline__ N##1 make_##N##1(T x) { N##1 v; v.x = x; return v; }
#define CUDA_EMU_MAKE2(T, N) \
    static __inline__ N##2 make_##N##2(T x, T y) { N##2 v; v.x = x; v.y = y; return v; }
#define CUDA_EMU_MAKE3(T, N) \
    static __inline__ N##3 make_##N##3(T x, T y, T z) { N##3 v; v.x = x; v.y = y; v.z = z; return v; }
#define CUDA_EMU_MAKE4(T, N) \
    static __inline__ N##4 make_##N##4(T x, T y, T z, T w) \
    { N##4 v; v.x = x; v.y = y; v.z = z; v.w = w; return v; }
#define CUDA_EMU_MAKES(T, N) CUDA_EMU_MAKE1(T, N) CUDA_EMU_MAKE2(T, N) CUDA_EMU_MAKE3(T, N) CUDA_EMU_MAKE4(T, N)

CUDA_EMU_MAKES(signed char, char)
CUDA_EMU_MAKES(unsigned char, uchar)
CUDA_EMU_MAKES(short, short)
CUDA_EMU_MAKES(unsigned short, ushort)
CUDA_EMU_MAKES(int, int)
CUDA_EMU_MAKES(unsigned int, uint)
CUDA_EMU_MAKES(long, long)
CUDA_EMU_MAKES(unsigned long, ulong)
CUDA_EMU_MAKES(long long, longlong)
CUDA_EMU_MAKES(unsigned long long, ulonglong)
CUDA_EMU_MAKES(float, float)
CUDA_EMU_MAKES(double, double)

/* dim3: a plain struct in C (Darknet's C code writes `dim3 d = {x, y, 1};`); in C++ the
 * same layout with CUDA's constructor, so `dim3(32, 8)` and `k<<<n, 256>>>` work */
#ifdef __cplusplus
struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1)
        : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    constexpr operator uint3() const { return uint3{x, y, z}; }
};
#else
typedef struct dim3 { unsigned int x, y, z; } dim3;
#endif

#endif /* CUDA_EMU_TYPES_H */
