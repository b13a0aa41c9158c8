/* driver_types.h — cuda-emu stand-in: the runtime's types live in cuda_runtime_api.h */
#include "cuda_runtime_api.h"
