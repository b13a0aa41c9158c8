/*
 * asoftmax_bounds.h — how far may a float training step of the [asoftmax] layer be from the
 * exact one? Per-entry bounds on the rounding error of the float layer (CPU or GPU), derived
 * from the magnitudes each result sums and the condition of each formula; used by
 * tests/test_asoftmax.c (CPU float vs the exact step) and tests/test_asoftmax_gpu.c (GPU vs
 * the exact step, and GPU vs CPU within twice the bound). Header-only; test code.
 *
 * "Exact" = the double instantiation of the same layer (asoftmax_forward_d/backward_d) on
 * the same float inputs x (B,K) and w (C,K); its own error (~1e-16 relative) is neglected.
 * u = 2^-24 (float unit roundoff), g(n) = n u / (1 - n u) (Higham's gamma_n: any order of
 * summing n products, with or without FMA, errs by at most g(n) times the sum of their
 * absolute values). The bounds are first order in u, worst case, in the order the layer
 * computes (src/asoftmax_generic.h, src/asoftmax_kernels.cu; docs/math.md §2-3). Steps
 * marked (double) run in double and are stored in float once: their own errors (~1e-16
 * relative, from exp as well: glibc's scalar or vector exp and CUDA's are within a few
 * double ulps) are neglected like the exact step's, so it does not matter for the bound
 * whether a device divides by a norm or a sum or multiplies by its reciprocal taken in
 * double (the CPU: 1/n_j once per class, 1/sum once per row), nor in which order a thread
 * split sums:
 *
 *   norms r_b = ||x_b||, n_j = ||w_j||: summed in double, stored in float     rel. u
 *   x^ = x / r (float division)                                               rel. 2u
 *   S_bj = x^_b . w_j (GEMM over K)        e_S = (g(K) + 2u) A_bj,  A_bj = sum_k |x^_bk w_jk|
 *   z_bj = S_bj / n_j * r_b (double, stored float)   e_z = e_S r_b / n_j + 3u |z_bj|
 *           (3u: n_j and r_b were stored in float, and z is)
 *   target: c = clamp(z_y / r)             e_c = e_z / r + u |c|
 *           psi' varies at most by P2 = m^2 (m^2 - 1) / 3 per unit of c (max |T_m''| on
 *           [-1, 1]), so |psi'| <= |psi'(c)| + P2 e_c =: D on the interval
 *           f_y = (lambda z_y + r psi(c)) / (1 + lambda)
 *                                          e_fy = (lambda e_z + r D e_c + u r |psi|) / (1 + lambda) + u |f_y|
 *           a = (lambda + psi') / (1 + lambda),  b = (psi - c psi') / (1 + lambda)
 *                                          e_a = e_b = P2 e_c / (1 + lambda)
 *   softmax p_j = exp(f_j - max) / sum (double, stored float):
 *           d log p_j = d f_j - sum_k p_k d f_k, so
 *                                          e_p_j = p_j (e_f_j + E + u),  E = sum_k p_k e_f_k
 *   cost_b = log sum + max - f_y >= 0      e_cost_b = E + e_fy; the batch: sum_b e_cost_b + 2u cost
 *   G'_j = p_j (j != y), a (p_y - 1) (j = y), 0 unlabeled
 *                                          e_G = e_p_j, or |a| e_p_y + |p_y - 1| e_a
 *   delta_bj = -G'_bj / n_j (float)        e_delta = e_G / n_j + 2u |G'| / n_j
 *   xcoef_b = -(p_y - 1) b / r             e_xc = (e_p_y |b| + |p_y - 1| e_b) / r + 2u |xcoef|
 *   wcoef_j = sum_b G'_bj z_bj / n_j^2 (float terms; the CPU sums them in float, by fixed
 *             chunks of rows whose sums it adds in chunk order, the GPU in double: g(B + 1)
 *             covers any order of the float sum, so the CPU's bound covers both)
 *                                          e_wc = (sum_b (e_G |z| + |G'| e_z) + g(B + 1) sum_b |G' z|) / n_j^2 + 3u |wcoef|
 *   dx_b = sum_j delta_bj w_j + xcoef_b x_b (GEMM over C, then a float axpy)
 *                                          e_dx = sum_j e_delta |w_jk| + e_xc |x_bk| + g(C + 2) (sum_j |delta w_jk| + |xcoef x_bk|)
 *   dw_j = sum_b delta_bj x_b + wcoef_j w_j (GEMM over B, then a float axpy)
 *                                          e_dw = sum_b e_delta |x_bk| + e_wc |w_jk| + g(B + 2) (sum_b |delta x_bk| + |wcoef w_jk|)
 *   inference: as training with no target (f = z).
 *   Every stored float also carries 2^-126 absolutely (n of them for a sum of n): results
 *   below FLT_MIN may be flushed to zero (e.g. p_y ~ e^-300 when lambda = 0 and m = 5).
 *
 * Two float implementations each within the bound of the exact step differ by at most twice
 * it. The bounds are loose where errors cancel (typically the measured error is 1-10 % of
 * the bound) but they follow each entry's conditioning: a zero weight row (n_j floored at
 * 1e-12) has deltas ~1e12 whose weight gradient cancels to ~1e6, and its bound is large in
 * exactly that proportion, where a fixed relative tolerance fails.
 */
#ifndef ASOFTMAX_TESTS_BOUNDS_H
#define ASOFTMAX_TESTS_BOUNDS_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asoftmax_layer.h"

#define ASM_U (1.0 / 16777216.0) /* 2^-24 */
/* 2^-126 (FLT_MIN): a float result below it may be flushed to zero (GPUs, and CPUs under
 * -ffast-math's startup code), so every stored float carries this absolute error too */
#define ASM_TINY (1.0 / 85070591730234615865843651857942052864.0)

static double asm_gamma(double n) { return n * ASM_U / (1 - n * ASM_U); }

/* The margin family the tests run (CPU float vs exact, GPU vs CPU, gradient checks):
 * SphereFace-R (real m1 with a scale), real m1 with lambda, ArcFace, CosFace, combined,
 * SphereFace m = 4 with a scale, real m1 with m2, m3 and lambda, ArcFace at a small scale.
 * m1, m2, m3, s, lambda, caffe. */
static const asoftmax_margin asm_margin_family[] = {
    {1.7, 0, 0, 30, 0, 0}, {2.5, 0, 0, 0, 5, 0}, {1, 0.5, 0, 64, 0, 0}, {1, 0, 0.35, 64, 0, 0},
    {1.3, 0.2, 0.1, 16, 0, 0}, {4, 0, 0, 16, 5, 0}, {3.5, 0.3, 0.2, 0, 1, 0}, {1, 0.5, 0, 4, 0, 0},
};
#define ASM_NFAMILY ((int)(sizeof(asm_margin_family) / sizeof(asm_margin_family[0])))


/* The exact step and the error bound of each result, for float inputs x (B,K), w (C,K),
 * labels (B, -1 = unlabeled). Arrays: (B,C) out/delta/out_inf, (B,K) dx, (C,K) dw. */
typedef struct asm_bounds {
    int B, K, C;
    double cost, cost_err;
    double *out, *out_err;         /* training output (probabilities) */
    double *delta, *delta_err;     /* the layer's delta */
    double *dx, *dx_err;           /* input delta, net.delta += ... from zero */
    double *dw, *dw_err;           /* weight updates from zero */
    double *out_inf, *out_inf_err; /* inference output */
} asm_bounds;

static double *asm_bounds_alloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

/* e_p for one row of probabilities p (C) with logit errors ef (C); returns E = sum p ef */
static double asm_softmax_err(int C, const double *p, const double *ef, double *ep)
{
    double E = 0;
    int j;
    for (j = 0; j < C; ++j) E += p[j] * ef[j];
    for (j = 0; j < C; ++j) ep[j] = p[j] * (ef[j] + E + ASM_U) + ASM_TINY;
    return E;
}

/* The bound of one entry of a backward result: a GEMM sum of n products d_i v_i (d with error
 * de, stride ds; v exact, stride vs) plus a float axpy term coef * own (coef with error ecoef):
 *   sum de |v| + ecoef |own| + g(n + 2) (sum |d v| + |coef own|) + (n + 2) 2^-126 */
static double asm_product_err(int n, const double *d, const double *de, size_t ds, const double *v,
                              size_t vs, double coef, double ecoef, double own)
{
    double s = 0, t = 0;
    int i;
    for (i = 0; i < n; ++i) {
        const double av = fabs(v[(size_t)i * vs]);
        s += de[(size_t)i * ds] * av;
        t += fabs(d[(size_t)i * ds]) * av;
    }
    t += fabs(coef * own);
    return s + ecoef * fabs(own) + asm_gamma(n + 2) * t + (n + 2) * ASM_TINY;
}

/* |psi''| near c for the general margin: central differences of psi' (an analytic
 * function between region boundaries), the largest of three points around c spaced by the
 * interval's half-width ec (at least 1e-6), so that a boundary inside it is covered */
static double asm_psi2_near(const asoftmax_margin *g, double c, double ec)
{
    const double h = 1e-5, d = fmax(ec, 1e-6);
    double worst = 0;
    int i;
    for (i = -1; i <= 1; ++i) {
        double cc = c + i * d, lo, hi;
        cc = cc > 1 - 2 * h ? 1 - 2 * h : (cc < -1 + 2 * h ? -1 + 2 * h : cc);
        asoftmax_psi_general(g->m1, g->m2, g->m3, cc - h, &lo);
        asoftmax_psi_general(g->m1, g->m2, g->m3, cc + h, &hi);
        worst = fmax(worst, fabs(hi - lo) / (2 * h));
    }
    return worst;
}

/* The bounds for the margin g (docs/math.md §7): as above with the plain logits
 * u_bj = rho cos theta_bj, rho = ||x_b|| (s = 0) or s, and for the general psi the
 * SphereFace constant P2 replaced by |psi''| near c (asm_psi2_near: first order in u, like
 * every term here). s > 0: delta_bj = -G'_bj kappa / n_j, kappa = s / ||x_b|| (one more
 * rounding), and xcoef_b = sum_j G'_bj u_bj / ||x_b||^2 (a sum over the row):
 *   e_xc = (sum_j (e_G |u| + |G'| e_u) + g(C + 1) sum_j |G' u|) / r^2 + 3u |xcoef| */
static asm_bounds asm_error_bounds_g(int B, int K, int C, const float *xf, const float *wf,
                                     const int *labels, const asoftmax_margin *g)
{
    const size_t BK = (size_t)B * K, CK = (size_t)C * K, BC = (size_t)B * C;
    const int integer = asoftmax_integer_margin(g), m = (int)g->m1;
    const double u = ASM_U, lambda = g->lambda, P2int = (double)m * m * ((double)m * m - 1) / 3;
    asm_bounds r = {B, K, C, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    double *x = asm_bounds_alloc(BK), *w = asm_bounds_alloc(CK), *xc = asm_bounds_alloc(B),
           *wc = asm_bounds_alloc(C), *xn = asm_bounds_alloc(B), *wn = asm_bounds_alloc(C),
           *xh = asm_bounds_alloc(BK), *z = asm_bounds_alloc(BC), *ez = asm_bounds_alloc(BC),
           *ef = asm_bounds_alloc(BC), *eG = asm_bounds_alloc(BC), *exc = asm_bounds_alloc(B),
           *ewc = asm_bounds_alloc(C), *sgz = asm_bounds_alloc(C), *G = asm_bounds_alloc(BC),
           *yc = asm_bounds_alloc(B), *eyc = asm_bounds_alloc(B);
    size_t i;
    int b, j, k;

    r.out = asm_bounds_alloc(BC); r.out_err = asm_bounds_alloc(BC);
    r.delta = asm_bounds_alloc(BC); r.delta_err = asm_bounds_alloc(BC);
    r.dx = asm_bounds_alloc(BK); r.dx_err = asm_bounds_alloc(BK);
    r.dw = asm_bounds_alloc(CK); r.dw_err = asm_bounds_alloc(CK);
    r.out_inf = asm_bounds_alloc(BC); r.out_inf_err = asm_bounds_alloc(BC);
    for (i = 0; i < BK; ++i) x[i] = xf[i];
    if (g->caffe) { /* the weights as the layer renormalizes them in float (both devices alike) */
        float *wn1 = calloc((size_t)C, sizeof(float)), *w1 = calloc(CK ? CK : 1, sizeof(float));
        memcpy(w1, wf, sizeof(float) * CK);
        asoftmax_normalize_rows_f(C, K, w1, wn1);
        for (i = 0; i < CK; ++i) w[i] = w1[i];
        free(wn1);
        free(w1);
    } else {
        for (i = 0; i < CK; ++i) w[i] = wf[i];
    }

    /* the exact step */
    r.cost = asoftmax_forward_g_d(B, K, C, x, w, labels, g, r.out, r.delta, xc, wc, xn, wn, xh, yc);
    asoftmax_backward_d(B, K, C, x, w, r.delta, xc, wc, r.dx, r.dw);
    if (g->caffe && labels) asoftmax_backward_target_d(B, K, labels, yc, w, r.dx);
    asoftmax_forward_g_d(B, K, C, x, w, NULL, g, r.out_inf, NULL, NULL, NULL, xn, wn, xh, NULL);

    /* plain logits: u (in z), e_u, and e_f with the target's margin logit */
    for (b = 0; b < B; ++b) {
        const int y = labels ? labels[b] : -1;
        const double rho = g->s > 0 ? g->s : xn[b], kappa = g->s > 0 ? g->s / xn[b] : 1;
        double E;
        for (j = 0; j < C; ++j) {
            double S = 0, A = 0, eS;
            const size_t bj = (size_t)b * C + j;
            for (k = 0; k < K; ++k) {
                double t = xh[(size_t)b * K + k] * w[(size_t)j * K + k];
                S += t;
                A += fabs(t);
            }
            eS = (asm_gamma(K) + 2 * u) * A;
            z[bj] = S / wn[j] * rho;
            ez[bj] = eS * rho / wn[j] + 3 * u * fabs(z[bj]);
            ef[bj] = ez[bj];
            G[bj] = -r.delta[bj] * wn[j] / kappa;
        }
        /* inference: f = u everywhere */
        asm_softmax_err(C, r.out_inf + (size_t)b * C, ez + (size_t)b * C, r.out_inf_err + (size_t)b * C);
        if (y < 0) {
            /* unlabeled: zero delta and xcoef, exactly, on every device; the output is
             * softmax(u) as in inference */
            memcpy(r.out_err + (size_t)b * C, r.out_inf_err + (size_t)b * C, sizeof(double) * C);
            exc[b] = 0;
            continue;
        }
        {
            const size_t by = (size_t)b * C + y;
            const double uy = z[by];
            double a, bc, c = uy / rho, psi, dpsi, D, ec, ea, fy, py, P2;
            c = c > 1 ? 1 : (c < -1 ? -1 : c);
            fy = asoftmax_target_logit_g(g, uy, rho, &a, &bc);
            ec = ez[by] / rho + u * fabs(c);
            psi = asoftmax_psi_margin(g, c, &dpsi);
            P2 = integer ? P2int : asm_psi2_near(g, c, ec);
            D = fabs(dpsi) + P2 * ec;
            ef[by] = (lambda * ez[by] + rho * D * ec + u * rho * fabs(psi)) / (1 + lambda) + u * fabs(fy);
            ea = P2 * ec / (1 + lambda);
            E = asm_softmax_err(C, r.out + (size_t)b * C, ef + (size_t)b * C, r.out_err + (size_t)b * C);
            r.cost_err += E + ef[by];
            py = r.out[by];
            for (j = 0; j < C; ++j) eG[(size_t)b * C + j] = r.out_err[(size_t)b * C + j];
            eG[by] = fabs(a) * r.out_err[by] + fabs(py - 1) * ea;
            if (g->caffe) {
                /* gradient=caffe: delta = -(p - [j = y]) (e_p); (cw, cx) = (psi', q) / N with
                 * q = (psi - c psi') / r, N their norm: a unit vector moves by at most
                 * |d(psi', q)| / N, with d psi' = psi'' e_c, dq = -c psi'' e_c / r + 2u |q| */
                const double q = (psi - c * dpsi) / rho, N = sqrt(dpsi * dpsi + q * q);
                double cw, cx, ecc;
                asoftmax_caffe_coefs(g, uy, rho, &cw, &cx);
                ecc = N > 0 ? (P2 * ec * (1 + fabs(c) / rho) + 2 * u * fabs(q)) / N + 2 * u : 0;
                for (j = 0; j < C; ++j) eG[(size_t)b * C + j] = r.out_err[(size_t)b * C + j];
                exc[b] = (r.out_err[by] * fabs(cx) + fabs(py - 1) * ecc) / (1 + lambda) + 3 * u * fabs(xc[b]);
                eyc[b] = (r.out_err[by] * fabs(1 - cw) + fabs(py - 1) * ecc) / (1 + lambda) + 3 * u * fabs(yc[b]);
            } else if (g->s > 0) {
                double sg = 0, sa = 0;
                for (j = 0; j < C; ++j) {
                    const size_t bj = (size_t)b * C + j;
                    sg += eG[bj] * fabs(z[bj]) + fabs(G[bj]) * ez[bj];
                    sa += fabs(G[bj] * z[bj]);
                }
                exc[b] = (sg + asm_gamma(C + 1) * sa) / (xn[b] * xn[b]) + 3 * u * fabs(xc[b]);
            } else {
                exc[b] = (r.out_err[by] * fabs(bc) + fabs(py - 1) * ea) / rho + 2 * u * fabs(xc[b]);
            }
        }
    }

    r.cost_err += 2 * u * fabs(r.cost) + B * ASM_TINY; /* cost_b >= 0, stored as float (GPU: per row) */

    /* delta, wcoef (gradient=caffe: delta = -(p - [j = y]) as it is, wcoef = 0) */
    for (b = 0; b < B; ++b) {
        const double kappa = g->s > 0 ? g->s / xn[b] : 1, rk = g->s > 0 ? 3 * u : 2 * u;
        for (j = 0; j < C; ++j) {
            const size_t bj = (size_t)b * C + j;
            if (g->caffe) {
                r.delta_err[bj] = eG[bj] + u * fabs(r.delta[bj]) + ASM_TINY;
                continue;
            }
            r.delta_err[bj] = kappa * (eG[bj] + rk * fabs(G[bj])) / wn[j] + ASM_TINY;
            ewc[j] += eG[bj] * fabs(z[bj]) + fabs(G[bj]) * ez[bj];
            sgz[j] += fabs(G[bj] * z[bj]);
        }
    }
    for (j = 0; j < C; ++j)
        ewc[j] = (ewc[j] + asm_gamma(B + 1) * sgz[j]) / (wn[j] * wn[j]) + 3 * u * fabs(wc[j]);

    /* dx (B,K) = delta.W + diag(xcoef) X (+ ycoef_b w_{y_b}, gradient=caffe);
     * dw (C,K) = delta^T.X + diag(wcoef) W */
    for (b = 0; b < B; ++b)
        for (k = 0; k < K; ++k) {
            double *e = &r.dx_err[(size_t)b * K + k];
            *e = asm_product_err(C, r.delta + (size_t)b * C, r.delta_err + (size_t)b * C, 1, w + k, K,
                                 xc[b], exc[b], x[(size_t)b * K + k]);
            if (g->caffe && labels && labels[b] >= 0) {
                const double t = w[(size_t)labels[b] * K + k];
                *e += eyc[b] * fabs(t) + asm_gamma(C + 3) * fabs(yc[b] * t);
            }
        }
    for (j = 0; j < C; ++j)
        for (k = 0; k < K; ++k)
            r.dw_err[(size_t)j * K + k] = asm_product_err(
                B, r.delta + j, r.delta_err + j, C, x + k, K, wc[j], ewc[j], w[(size_t)j * K + k]);

    free(x); free(w); free(xc); free(wc); free(xn); free(wn); free(xh); free(z); free(ez);
    free(ef); free(eG); free(exc); free(ewc); free(sgz); free(G); free(yc); free(eyc);
    return r;
}

static void asm_free_bounds(asm_bounds *r)
{
    free(r->out); free(r->out_err); free(r->delta); free(r->delta_err); free(r->dx);
    free(r->dx_err); free(r->dw); free(r->dw_err); free(r->out_inf); free(r->out_inf_err);
}

/* max over n entries of |got - exact| / (scale * err), 0/0 counted as 0; NaN stays NaN.
 * <= 1 means every entry is within scale times its bound. */
static double asm_bound_ratio(size_t n, const float *got, const double *exact, const double *err,
                              double scale)
{
    double worst = 0;
    size_t i;
    for (i = 0; i < n; ++i) {
        double d = fabs((double)got[i] - exact[i]), q = d == 0 ? 0 : d / (scale * err[i]);
        if (!(q <= worst)) worst = q; /* NaN propagates */
    }
    return worst;
}

#endif
