/* cublas_api.h — cuda-emu stand-in: see cublas_v2.h */
#include "cublas_v2.h"
