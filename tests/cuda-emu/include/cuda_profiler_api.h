/* cuda_profiler_api.h — cuda-emu stand-in: cudaProfilerStart/Stop are no-ops (cuda_runtime_api.h) */
#include "cuda_runtime_api.h"
