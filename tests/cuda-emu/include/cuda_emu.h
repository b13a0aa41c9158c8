/*
 * cuda_emu.h — cuda-emu (tests/cuda-emu): the emulator's own controls, for tests (C and C++).
 * cuda_runtime.h includes it. Environment variables read at the first CUDA call:
 *   CUDA_EMU_ORDER=forward|reversed|shuffled   the order the threads of a block (and the
 *                                              blocks of a grid) run; default forward
 *   CUDA_EMU_SEED=N                            the seed of `shuffled` (default 1)
 *   CUDA_EMU_STACK_KB=N                        each emulated thread's stack (default 64, 256
 *                                              under ASan)
 *   CUDA_EMU_SMS=N                             multiprocessors the device reports (default 80)
 *   CUDA_EMU_VERBOSE=1                         a line per launch on stderr
 *   CUDA_EMU_STATS=1                           the counters below on stderr at exit
 */
#ifndef CUDA_EMU_H
#define CUDA_EMU_H

#ifdef __cplusplus
extern "C" {
#endif

enum { CUDA_EMU_FORWARD = 0, CUDA_EMU_REVERSED = 1, CUDA_EMU_SHUFFLED = 2 };

/* set the thread/block order (overrides CUDA_EMU_ORDER); seed for CUDA_EMU_SHUFFLED */
void cuda_emu_set_order(int order, unsigned long long seed);
int cuda_emu_get_order(void);
const char *cuda_emu_order_name(int order);

struct cuda_emu_stats {
    unsigned long long launches;      /* kernel launches */
    unsigned long long blocks;        /* blocks run */
    unsigned long long threads;       /* emulated threads run */
    unsigned long long full_blocks;   /* blocks that met a barrier/warp op (a fiber a thread) */
    unsigned long long switches;      /* fiber switches */
    unsigned long long gemms;         /* cublasSgemm calls */
    size_t device_bytes;              /* device memory allocated now */
    size_t device_bytes_peak;
};
void cuda_emu_get_stats(struct cuda_emu_stats *s);

#ifdef __cplusplus
}
#endif

#endif /* CUDA_EMU_H */
