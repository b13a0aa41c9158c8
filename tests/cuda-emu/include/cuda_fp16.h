/*
 * cuda_fp16.h — cuda-emu (tests/cuda-emu): the half type and its conversions in software
 * (IEEE binary16; __float2half rounds to nearest even, _rz/_ru/_rd as named). Arithmetic on
 * half goes through float (C++: half converts to and from float). C11 and C++.
 */
#ifndef CUDA_EMU_CUDA_FP16_H
#define CUDA_EMU_CUDA_FP16_H

#include <math.h>
#include <string.h>
#include "cuda_emu_types.h"

#ifdef __cplusplus
struct __half;
extern "C++" {
struct __half {
    unsigned short __x;
    __half() = default;
    inline __half(float f);
    inline operator float() const;
};
struct __half2 {
    __half x, y;
};
}
#else
typedef struct __half { unsigned short __x; } __half;
typedef struct __half2 { __half x, y; } __half2;
#endif
typedef struct __half half;
typedef struct __half2 half2;

/* float -> binary16 bits; mode 0 nearest even, 1 toward zero, 2 up, 3 down */
static __inline__ unsigned short cuda_emu_float2half_bits(float f, int mode)
{
    unsigned int u, sign;
    double a, q, m, n, frac;
    int e, up;
    memcpy(&u, &f, sizeof u);
    sign = (u >> 16) & 0x8000u;
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)(sign | 0x7e00u); /* NaN */
    a = fabs((double)f);
    if (a == 0) return (unsigned short)sign;
    e = ilogb(a);
    if (isinf(a) || e > 15) goto overflow;
    q = ldexp(1.0, (e < -14 ? -14 : e) - 10);
    m = a / q;
    n = floor(m);
    frac = m - n;
    up = mode == 0 ? (frac > 0.5 || (frac == 0.5 && fmod(n, 2.0) == 1.0))
       : mode == 1 ? 0
       : mode == 2 ? (frac > 0 && !sign)
       : (frac > 0 && sign);
    n += up;
    if (n * q > 65504.0) goto overflow;
    if (e < -14) return (unsigned short)(sign | (unsigned int)n); /* subnormal (or min normal) */
    /* n = 2048 (rounded up to the next power of two) carries into the exponent, as it should */
    return (unsigned short)(sign | (((unsigned int)(e + 15) << 10) + ((unsigned int)n - 1024u)));
overflow:
    if (mode == 0 || (mode == 2 && !sign) || (mode == 3 && sign) || isinf(a))
        return (unsigned short)(sign | 0x7c00u);
    return (unsigned short)(sign | 0x7bffu); /* the largest finite half */
}

static __inline__ float cuda_emu_half_bits2float(unsigned short h)
{
    unsigned int e = (h >> 10) & 0x1f, m = h & 0x3ffu;
    double v;
    if (e == 31) v = m ? NAN : INFINITY;
    else if (e == 0) v = ldexp((double)m, -24);
    else v = ldexp((double)(m | 0x400u), (int)e - 25);
    return (float)((h & 0x8000u) ? -v : v);
}

#define CUDA_EMU_F2H(NAME, MODE) \
    static __inline__ __half NAME(float f) { __half h; h.__x = cuda_emu_float2half_bits(f, MODE); return h; }
CUDA_EMU_F2H(__float2half, 0)
CUDA_EMU_F2H(__float2half_rn, 0)
CUDA_EMU_F2H(__float2half_rz, 1)
CUDA_EMU_F2H(__float2half_ru, 2)
CUDA_EMU_F2H(__float2half_rd, 3)
static __inline__ float __half2float(__half h) { return cuda_emu_half_bits2float(h.__x); }
static __inline__ __half2 __float2half2_rn(float f)
{
    __half2 r;
    r.x = __float2half_rn(f);
    r.y = r.x;
    return r;
}
static __inline__ __half2 __floats2half2_rn(float a, float b)
{
    __half2 r;
    r.x = __float2half_rn(a);
    r.y = __float2half_rn(b);
    return r;
}
static __inline__ float __low2float(__half2 h) { return __half2float(h.x); }
static __inline__ float __high2float(__half2 h) { return __half2float(h.y); }
static __inline__ unsigned short __half_as_ushort(__half h) { return h.__x; }
static __inline__ __half __ushort_as_half(unsigned short x) { __half h; h.__x = x; return h; }

#ifdef __cplusplus
extern "C++" {
inline __half::__half(float f) : __x(cuda_emu_float2half_bits(f, 0)) {}
inline __half::operator float() const { return cuda_emu_half_bits2float(__x); }
static inline __half __hadd(__half a, __half b) { return __half((float)a + (float)b); }
static inline __half __hsub(__half a, __half b) { return __half((float)a - (float)b); }
static inline __half __hmul(__half a, __half b) { return __half((float)a * (float)b); }
static inline __half __hdiv(__half a, __half b) { return __half((float)a / (float)b); }
static inline __half __hfma(__half a, __half b, __half c) { return __half((float)a * (float)b + (float)c); }
static inline bool __hisnan(__half a) { return (a.__x & 0x7fffu) > 0x7c00u; }
}
#endif

#endif /* CUDA_EMU_CUDA_FP16_H */
