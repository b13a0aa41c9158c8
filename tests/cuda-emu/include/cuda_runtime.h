/*
 * cuda_runtime.h — cuda-emu (tests/cuda-emu): the runtime API (cuda_runtime_api.h) plus the
 * C++ conveniences of CUDA's header (typed cudaMalloc, cudaMemcpyToSymbol, ...). Usable from
 * C11 and C++. The kernel language itself (threadIdx, __syncthreads, launches) comes from
 * cuda_emu_kernel.h, which tests/cuda-emu/nvcc includes first in every .cu it compiles.
 */
#ifndef CUDA_EMU_RUNTIME_H
#define CUDA_EMU_RUNTIME_H

#include "cuda_runtime_api.h"
#include "cuda_emu.h"

#ifdef __cplusplus
extern "C++" {
template <class T> static inline cudaError_t cudaMalloc(T **devPtr, size_t size)
{
    return cudaMalloc((void **)(void *)devPtr, size);
}
template <class T> static inline cudaError_t cudaMallocHost(T **ptr, size_t size)
{
    return cudaMallocHost((void **)(void *)ptr, size);
}
template <class T> static inline cudaError_t cudaHostAlloc(T **ptr, size_t size, unsigned int flags)
{
    return cudaHostAlloc((void **)(void *)ptr, size, flags);
}
template <class T>
static inline cudaError_t cudaMallocManaged(T **ptr, size_t size, unsigned int flags = cudaMemAttachGlobal)
{
    return cudaMallocManaged((void **)(void *)ptr, size, flags);
}
/* __constant__ and __device__ variables are host variables: copy straight into them */
template <class T>
static inline cudaError_t cudaMemcpyToSymbol(const T &symbol, const void *src, size_t count,
                                             size_t offset = 0,
                                             enum cudaMemcpyKind kind = cudaMemcpyHostToDevice)
{
    (void)kind;
    if (offset + count > sizeof(T)) return cudaErrorInvalidValue;
    return cudaMemcpyToSymbol_emu((void *)&symbol, src, count, offset);
}
template <class T>
static inline cudaError_t cudaMemcpyFromSymbol(void *dst, const T &symbol, size_t count,
                                               size_t offset = 0,
                                               enum cudaMemcpyKind kind = cudaMemcpyDeviceToHost)
{
    (void)kind;
    if (offset + count > sizeof(T)) return cudaErrorInvalidValue;
    return cudaMemcpyFromSymbol_emu(dst, (const void *)&symbol, count, offset);
}
template <class T> static inline cudaError_t cudaFuncSetCacheConfig(T *func, enum cudaFuncCache c)
{
    (void)func; (void)c;
    return cudaSuccess;
}
template <class T> static inline cudaError_t cudaFuncSetAttribute(T *func, int attr, int value)
{
    (void)func; (void)attr; (void)value;
    return cudaSuccess;
}
}
#endif

#endif /* CUDA_EMU_RUNTIME_H */
