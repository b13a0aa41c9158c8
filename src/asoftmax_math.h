/*
 * asoftmax_math.h — the scalar formulas of A-Softmax (SphereFace, arXiv 1704.08063),
 * shared by the CPU layer, the CUDA kernels and the tests, so that no two copies
 * of psi, its derivative or the lambda schedule can drift apart.
 * Notation and derivations: docs/math.md §2-4.
 *
 *   psi(theta) = (-1)^k cos(m theta) - 2k,  theta in [k pi/m, (k+1) pi/m],  c = cos(theta)
 *   lambda(t)  = max(lambda_min, lambda_base * (1 + gamma t)^(-power))
 *
 * Everything here is a pure function of its arguments; no Darknet dependency.
 */
#ifndef ASOFTMAX_MATH_H
#define ASOFTMAX_MATH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __CUDACC__
#define ASOFTMAX_HD __host__ __device__
#else
#define ASOFTMAX_HD
#endif

/* Largest margin accepted from a cfg: psi stays well conditioned and cos(j pi / m)
 * boundaries stay distinct in float; SphereFace uses m <= 4. */
#define ASOFTMAX_MAX_MARGIN 64

/* Floor for ||x|| and ||w_j|| before dividing by them: a zero feature vector or a zero
 * weight row gives zero logits and finite gradients instead of NaN. */
#define ASOFTMAX_NORM_EPS 1e-12

typedef struct asoftmax_params {
    int margin;          /* m >= 1; m = 1 is the modified softmax */
    float lambda_base;   /* >= 0 */
    float lambda_gamma;  /* >= 0 */
    float lambda_power;  /* >= 0 */
    float lambda_min;    /* >= 0 */
    int tf32;            /* 1: the GPU's three products in TF32 (compute capability >= 8.0); 0: FP32 */
} asoftmax_params;

/* Official SphereFace-20 values. */
static inline asoftmax_params asoftmax_default_params(void)
{
    asoftmax_params p = {4, 1000.f, 0.12f, 1.f, 5.f, 0};
    return p;
}

/* 1 when v is neither NaN nor +-Inf, read from its IEEE-754 bits (exponent field all ones =
 * NaN or Inf). isfinite()/isnan() cannot be used for validation: Darknet builds with -Ofast,
 * whose -ffinite-math-only lets the compiler fold them to constants (a cfg value "nan" then
 * passed every check); an integer test of the bits holds whatever the float flags. */
static inline int asoftmax_is_finite(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    return ((u >> 52) & 0x7ff) != 0x7ff;
}

/* lambda at t batches trained (t = get_current_batch(net) in Darknet). */
static inline float asoftmax_lambda(const asoftmax_params *p, size_t t)
{
    double l = (double)p->lambda_base * pow(1.0 + (double)p->lambda_gamma * (double)t,
                                            -(double)p->lambda_power);
    return (float)(l > p->lambda_min ? l : p->lambda_min);
}

/* k = number of j in 1..m-1 with c <= cos(j pi / m): the region theta lies in. */
ASOFTMAX_HD static inline int asoftmax_region(int m, double c)
{
    int j, k = 0;
    for (j = 1; j < m; ++j) k += (c <= cos(j * M_PI / m));
    return k;
}

/* psi as a function of c = cos(theta) in [-1, 1]; *dpsi = d psi / d c.
 * T_m(c) = cos(m theta) and U_{m-1}(c) by their recurrences; psi' = (-1)^k m U_{m-1}(c). */
ASOFTMAX_HD static inline double asoftmax_psi(int m, double c, double *dpsi)
{
    double t0 = 1.0, t1 = c;          /* T_0, T_1 */
    double u0 = 1.0, u1 = 2.0 * c;    /* U_0, U_1 */
    int n, k = asoftmax_region(m, c);
    double sign = (k & 1) ? -1.0 : 1.0;
    for (n = 1; n < m; ++n) {
        double t2 = 2.0 * c * t1 - t0, u2 = 2.0 * c * u1 - u0;
        t0 = t1; t1 = t2;
        u0 = u1; u1 = u2;
    }
    /* now t1 = T_m(c) and u0 = U_{m-1}(c) */
    if (dpsi) *dpsi = sign * m * u0;
    return sign * t1 - 2.0 * k;
}

/* The target's margin logit and its gradient coefficients (docs/math.md §2.2, §3),
 * from z_y = w^_y . x and r = ||x|| (> 0):
 *   c   = clamp(z_y / r, -1, 1)
 *   f_y = (lambda z_y + r psi(c)) / (1 + lambda)
 *   *a  = (lambda + psi'(c)) / (1 + lambda)      scales g_y in G'
 *   *b  = (psi(c) - c psi'(c)) / (1 + lambda)    dL/dx gets g_y b x / r */
ASOFTMAX_HD static inline double asoftmax_target_logit(int m, double lambda, double zy, double r,
                                                       double *a, double *b)
{
    double c = zy / r, psi, dpsi;
    c = c > 1 ? 1 : (c < -1 ? -1 : c);
    psi = asoftmax_psi(m, c, &dpsi);
    *a = (lambda + dpsi) / (1 + lambda);
    *b = (psi - c * dpsi) / (1 + lambda);
    return (lambda * zy + r * psi) / (1 + lambda);
}

/* The backward state of one (sample, class) entry: probability p = softmax(f)_j, plain logit
 * z = w^_j . x, inv_wn = 1 / ||w_j|| (taken once per class, in double: no division per
 * entry), is_target = (j == y), a from asoftmax_target_logit.
 *   G'_j = (p - [j == y]) * (j == y ? a : 1)     (zero when the sample has no label)
 * Returns delta_j = -G'_j / ||w_j|| (Darknet's negative gradient w.r.t. x . w_j);
 * *gz = G'_j z, whose sum over the batch gives the weight-normalization term. */
ASOFTMAX_HD static inline double asoftmax_grad_entry(int labeled, int is_target, double p,
                                                     double z, double inv_wn, double a, double *gz)
{
    double g = labeled ? p - is_target : 0;
    double gp = is_target ? a * g : g;
    *gz = gp * z;
    return -gp * inv_wn;
}

#endif
