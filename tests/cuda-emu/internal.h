/*
 * internal.h — cuda-emu (tests/cuda-emu): what runtime.cpp shares with blas_rand.cpp (the
 * allocation table, the fatal report). Not a public header.
 */
#ifndef CUDA_EMU_INTERNAL_H
#define CUDA_EMU_INTERNAL_H

#include <cstddef>
#include <cstdint>

#include "cuda_runtime_api.h"

namespace cuda_emu {

/* what an allocation is: device memory (cudaMalloc), managed (cudaMallocManaged), pinned host
 * memory (cudaHostAlloc, cudaMallocHost) or registered host memory (cudaHostRegister) */
enum class MemKind { Device, Managed, Pinned, Registered };
const char *kind_name(MemKind k);

struct AllocInfo {
    char *base;     /* the pointer the program got */
    size_t size;
    MemKind kind;
    bool found;
};

/* the allocation that holds [p, p + n) (n = 0: p, or one past the end); found = false if none */
AllocInfo find_alloc(const void *p);

/* a device-accessible region of n bytes at p (kernels, cuBLAS, cuRAND): fatal if not */
void check_device_range(const void *p, size_t n, const char *what);

/* "cuda-emu: <message>" on stderr, then abort() */
[[noreturn]] void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* the emulator's counters (cuda_emu.h) */
extern unsigned long long stat_gemms;

/* a valid stream: 0, the legacy and per-thread streams, or one cudaStreamCreate made */
bool stream_valid(cudaStream_t s);

/* inside a kernel thread (host API calls are not allowed there) */
bool in_kernel();

} // namespace cuda_emu

#endif
