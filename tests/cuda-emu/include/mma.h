/*
 * mma.h — cuda-emu stand-in. Tensor-core fragments (nvcuda::wmma) are NOT emulated: code that
 * uses them sits behind `#if __CUDA_ARCH__ >= ...` in Darknet, and __CUDA_ARCH__ is never
 * defined here (the host pass), so only the namespace is needed.
 */
#ifndef CUDA_EMU_MMA_H
#define CUDA_EMU_MMA_H
#ifdef __cplusplus
namespace nvcuda { namespace wmma {} }
#endif
#endif
