/*
 * cuda.h — cuda-emu (tests/cuda-emu): the few driver-API names the forks use (AlexeyAB's
 * dark_cuda.c calls cuCtxGetCurrent). Its include guard is not CUDA_H: pjreddie's own
 * src/cuda.h uses that one.
 */
#ifndef CUDA_EMU_CUDA_H
#define CUDA_EMU_CUDA_H

#include "cuda_runtime_api.h"

#define CUDA_VERSION 12000

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cudaError_enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_NOT_SUPPORTED = 801,
    CUDA_ERROR_UNKNOWN = 999
} CUresult;

typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef unsigned long long CUdeviceptr;

CUresult cuInit(unsigned int flags);
CUresult cuDriverGetVersion(int *version);
CUresult cuDeviceGet(CUdevice *device, int ordinal);
CUresult cuDeviceGetCount(int *count);
CUresult cuCtxGetCurrent(CUcontext *pctx);
CUresult cuCtxSetCurrent(CUcontext ctx);
CUresult cuCtxSynchronize(void);
CUresult cuGetErrorString(CUresult error, const char **pStr);

#ifdef __cplusplus
}
#endif

#endif /* CUDA_EMU_CUDA_H */
