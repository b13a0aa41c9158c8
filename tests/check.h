/*
 * check.h — what the C tests share: the one assertion, CHECK(cond, printf-style message),
 * which counts a pass or prints "FAIL file:line: message" and counts a failure (each test
 * program includes this once and ends with printf("%d passed, %d failed\n", n_pass,
 * n_fail)); urand(), a deterministic uniform [0,1) generator (xorshift64) independent
 * of Darknet's rand(), seeded by assigning urand_state, and nrand(), a standard normal from
 * it; falloc/dalloc, zeroed arrays of n floats/doubles (never NULL for n = 0).
 */
#ifndef ASOFTMAX_TESTS_CHECK_H
#define ASOFTMAX_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* the tests check results with isfinite()/isnan(): refuse a build that may fold them away */
#if defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__
#error "the tests need isfinite()/isnan(): build them without -ffinite-math-only (-Ofast)"
#endif

static int n_pass, n_fail;

#define CHECK(cond, ...)                                     \
    do {                                                     \
        if (cond) {                                          \
            ++n_pass;                                        \
        } else {                                             \
            ++n_fail;                                        \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);      \
            printf(__VA_ARGS__);                             \
            printf("\n");                                    \
        }                                                    \
    } while (0)

static unsigned long long urand_state = 0x9E3779B97F4A7C15ULL;

static inline double urand(void)
{
    urand_state ^= urand_state << 13;
    urand_state ^= urand_state >> 7;
    urand_state ^= urand_state << 17;
    return (double)(urand_state >> 11) / 9007199254740992.0;
}

static inline double nrand(void) /* standard normal (Box-Muller) */
{
    double u = urand() + 1e-12, v = urand();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static inline double *dalloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }
static inline float *falloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

#endif
