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

/* The margin family (docs/math.md §7): which published layer a section imitates; it only
 * chooses the defaults of the keys below (asoftmax_type_params). */
enum { ASOFTMAX_SPHEREFACE = 0, ASOFTMAX_ARCFACE = 1, ASOFTMAX_COSFACE = 2 };

typedef struct asoftmax_params {
    double m1;           /* the cfg key `margin`: m1 >= 1, real; an integer m1 (with m2 = m3 =
                          * 0) is SphereFace's psi */
    float lambda_base;   /* >= 0 */
    float lambda_gamma;  /* >= 0 */
    float lambda_power;  /* >= 0 */
    float lambda_min;    /* >= 0 */
    int tf32;            /* 1: the GPU's three products in TF32 (compute capability >= 8.0); 0: FP32 */
    double m2;           /* additive angular margin (ArcFace), 0 <= m2 < pi */
    double m3;           /* additive cosine margin (CosFace), >= 0 */
    double s;            /* > 0: normalized features, logits s cos theta; 0: ||x|| cos theta */
    int warmup;          /* margin_warmup: batches over which m1, m2, m3 ramp up from 1, 0, 0 */
    int type;            /* ASOFTMAX_SPHEREFACE, _ARCFACE or _COSFACE */
    int caffe;           /* gradient=caffe: the official Caffe layer's rule (docs/math.md §5) */
} asoftmax_params;

/* The defaults of each type: SphereFace's are the official SphereFace-20 values; ArcFace
 * (s = 64, m2 = 0.5) and CosFace (s = 64, m3 = 0.35) as published, with lambda = 0 (no
 * blend with the plain logit). */
static inline asoftmax_params asoftmax_type_params(int type)
{
    asoftmax_params p;
    memset(&p, 0, sizeof(p));
    p.type = type;
    p.m1 = 1;
    if (type == ASOFTMAX_SPHEREFACE) {
        p.m1 = 4;
        p.lambda_base = 1000.f;
        p.lambda_gamma = 0.12f;
        p.lambda_power = 1.f;
        p.lambda_min = 5.f;
    } else if (type == ASOFTMAX_ARCFACE) {
        p.s = 64;
        p.m2 = 0.5;
    } else {
        p.s = 64;
        p.m3 = 0.35;
    }
    return p;
}

/* Official SphereFace-20 values. */
static inline asoftmax_params asoftmax_default_params(void)
{
    return asoftmax_type_params(ASOFTMAX_SPHEREFACE);
}

/* The margin of one step: what the row formulas below take. */
typedef struct asoftmax_margin {
    double m1, m2, m3; /* m1 >= 1, 0 <= m2 < pi, m3 >= 0 */
    double s;          /* 0: logits ||x|| cos theta; > 0: s cos theta */
    double lambda;     /* >= 0 */
    int caffe;         /* 1: the official Caffe layer's gradient rule instead of the exact one */
} asoftmax_margin;

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

/* The margin at t batches trained, with lambda: during margin_warmup (t < warmup) m1, m2
 * and m3 ramp linearly from the plain logit's 1, 0, 0 (at t = 0) to their values. */
static inline asoftmax_margin asoftmax_margin_at(const asoftmax_params *p, size_t t, double lambda)
{
    asoftmax_margin g;
    const double w = (p->warmup > 0 && t < (size_t)p->warmup) ? (double)t / p->warmup : 1.0;
    g.m1 = w == 1.0 ? p->m1 : 1 + (p->m1 - 1) * w;
    g.m2 = p->m2 * w;
    g.m3 = p->m3 * w;
    g.s = p->s;
    g.lambda = lambda;
    g.caffe = p->caffe;
    return g;
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

/* 1 when psi is SphereFace's integer one (Chebyshev polynomials, no acos) */
ASOFTMAX_HD static inline int asoftmax_integer_margin(const asoftmax_margin *g)
{
    return g->m2 == 0 && g->m3 == 0 && g->m1 == floor(g->m1) && g->m1 <= ASOFTMAX_MAX_MARGIN;
}

/* Below this sin(theta) the derivative of the general psi is taken at the angle where
 * sin(theta) equals it (theta ~ 1e-6 from 0 or pi): d psi/dc = (-1)^k m1 sin(phi) / sin(theta)
 * is unbounded there for ArcFace (phi = m2 at theta = 0), and 0/0 for m2 = 0. */
#define ASOFTMAX_SIN_MIN 1e-6

/* The general psi of c = cos(theta) in [-1, 1] (docs/math.md §7), SphereFace-R's extension
 * of the combined margin: phi = m1 theta + m2, k = floor(phi / pi),
 *   psi = (-1)^k cos(phi) - 2k - m3,   d psi / dc = (-1)^k m1 sin(phi) / sin(theta).
 * Continuous, with a continuous derivative, and decreasing in theta on [0, pi] for every
 * m1 >= 1, m2 >= 0: where phi passes pi (ArcFace: theta > pi - m2) the target logit keeps
 * falling instead of rising again with cos(phi). Integer m1, m2 = 0: SphereFace's psi. */
ASOFTMAX_HD static inline double asoftmax_psi_general(double m1, double m2, double m3, double c,
                                                      double *dpsi)
{
    const double theta = acos(c), phi = m1 * theta + m2;
    const double k = floor(phi / M_PI);
    const double sign = fmod(k, 2.0) != 0 ? -1.0 : 1.0;
    if (dpsi) {
        double st = sqrt((1 - c) * (1 + c)), th = theta, ph, kd, sd;
        if (st < ASOFTMAX_SIN_MIN) {
            th = theta < M_PI / 2 ? asin(ASOFTMAX_SIN_MIN) : M_PI - asin(ASOFTMAX_SIN_MIN);
            st = ASOFTMAX_SIN_MIN;
        }
        ph = m1 * th + m2;
        kd = floor(ph / M_PI);
        sd = fmod(kd, 2.0) != 0 ? -1.0 : 1.0;
        *dpsi = sd * m1 * sin(ph) / st;
    }
    return sign * cos(phi) - 2 * k - m3;
}

/* psi(c) and *dpsi = psi'(c) of the margin g: SphereFace's Chebyshev form for an integer m1
 * with m2 = m3 = 0, the general form otherwise (the one place that chooses) */
ASOFTMAX_HD static inline double asoftmax_psi_margin(const asoftmax_margin *g, double c,
                                                     double *dpsi)
{
    if (asoftmax_integer_margin(g)) return asoftmax_psi((int)g->m1, c, dpsi);
    return asoftmax_psi_general(g->m1, g->m2, g->m3, c, dpsi);
}

/* The target's margin logit and its gradient coefficients (docs/math.md §2.2, §3, §7), from
 * the plain target logit u_y = rho cos theta_y, rho = ||x|| (s = 0) or s (s > 0):
 *   c   = clamp(u_y / rho, -1, 1)
 *   f_y = (lambda u_y + rho psi(c)) / (1 + lambda)
 *   *a  = d f_y / d u_y = (lambda + psi'(c)) / (1 + lambda)     scales g_y in G'
 *   *b  = (psi(c) - c psi'(c)) / (1 + lambda)   s = 0: dL/dx gets g_y b x / r (unused for s > 0) */
ASOFTMAX_HD static inline double asoftmax_target_logit_g(const asoftmax_margin *g, double uy,
                                                         double rho, double *a, double *b)
{
    double c = uy / rho, psi, dpsi;
    c = c > 1 ? 1 : (c < -1 ? -1 : c);
    psi = asoftmax_psi_margin(g, c, &dpsi);
    *a = (g->lambda + dpsi) / (1 + g->lambda);
    *b = (psi - c * dpsi) / (1 + g->lambda);
    return (g->lambda * uy + rho * psi) / (1 + g->lambda);
}

/* gradient=caffe (docs/math.md §5): the official Caffe layer writes the exact x-gradient of
 * the target's ||x|| psi(c) as cw w^_y + cx x with cw = psi'(c), cx = (psi - c psi') / r, and
 * back-propagates (cw, cx) / sqrt(cw^2 + cx^2) instead. Returns them, normalized, for the
 * target's plain logit u_y = r c (s = 0). */
ASOFTMAX_HD static inline void asoftmax_caffe_coefs(const asoftmax_margin *g, double uy, double r,
                                                    double *cw, double *cx)
{
    double c = uy / r, psi, dpsi, n;
    c = c > 1 ? 1 : (c < -1 ? -1 : c);
    psi = asoftmax_psi_margin(g, c, &dpsi);
    *cw = dpsi;
    *cx = (psi - c * dpsi) / r;
    n = sqrt(*cw * *cw + *cx * *cx);
    if (n > 0) { *cw /= n; *cx /= n; }
}

/* The per-row coefficients of the input gradient, for the CPU batch code and the kernels
 * alike (docs/math.md §3.2, §5, §7). With gy = p_y - 1 (the target's softmax gradient) and
 * r = ||x_b||:  -dL/dx_b = sum_j delta_bj w_j + xcoef_b x_b (+ ycoef_b w_{y_b}, caffe only).
 *   exact, s = 0:  xcoef = -gy bcoef / r       (bcoef from asoftmax_target_logit_g)
 *   exact, s > 0:  xcoef = gzrow / r^2         (gzrow = sum_j G'_j u_j over the row) */
ASOFTMAX_HD static inline double asoftmax_xcoef(const asoftmax_margin *g, double gy, double bcoef,
                                                double gzrow, double r)
{
    return g->s > 0 ? gzrow / (r * r) : -gy * bcoef / r;
}

/*   gradient=caffe: xcoef = -gy cx / (1 + lambda), ycoef = gy (1 - cw) / (1 + lambda), with
 *   (cw, cx) from asoftmax_caffe_coefs at the target's plain logit uy */
ASOFTMAX_HD static inline void asoftmax_caffe_row_coefs(const asoftmax_margin *g, double uy,
                                                        double r, double gy, double *xcoef,
                                                        double *ycoef)
{
    double cw, cx;
    asoftmax_caffe_coefs(g, uy, r, &cw, &cx);
    *xcoef = -gy * cx / (1 + g->lambda);
    *ycoef = gy * (1 - cw) / (1 + g->lambda);
}

/* The backward state of one (sample, class) entry: probability p = softmax(f)_j, plain logit
 * z = w^_j . x, inv_wn = 1 / ||w_j|| (taken once per class, in double: no division per
 * entry), is_target = (j == y), a from asoftmax_target_logit_g.
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
