/* vector_types.h — cuda-emu stand-in: see cuda_emu_types.h */
#include "cuda_emu_types.h"
