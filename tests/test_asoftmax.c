/*
 * test_asoftmax.c — unit tests of the [asoftmax] layer's math (CPU), no network needed:
 *
 *   1. finite-difference gradient checks, in double, of the layer's own code
 *      (asoftmax_forward_d / asoftmax_backward_d: the same source as the float layer)
 *      for m = 1..5, lambda in {0, 5, 1000}, odd shapes; the margin family; gradient=caffe
 *      against the Caffe layer's own formulas;
 *   2. the float instantiation (Darknet's gemm) against the double one, every entry within
 *      its derived rounding bound (tests/asoftmax_bounds.h);
 *   3. forward: m=1 is the modified softmax, psi continuous and decreasing, hand-computed
 *      cases, inference output, the lambda schedule, edge cases (zero vectors, huge logits,
 *      unlabeled rows);
 *   5. numeric stress (feature and weight norms 1e-30 .. 1e30);
 *   7. cfg validation: every invalid value, NaN and Inf spellings included, rejected by
 *      asoftmax_parse_options with the key and value named.
 * (4 and 6, the layer inside parsed networks: tests/test_asoftmax_network.c.)
 *
 * `make test` runs this program twice, for each fork: linked against the test build of
 * Darknet (-O2 -g) and against the shipped build (Darknet's -Ofast, OpenMP), so that a check
 * the compiler may drop under -ffinite-math-only (isnan/isfinite) shows up as a failure here.
 *   usage: test_asoftmax
 * Prints every failure, then a closing `N passed, N failed` line; exit status 1 on any
 * failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asoftmax_layer.h"
#include "asoftmax_batch.h"
#include "asoftmax_state.h"
#include "asoftmax_steps.h"
#include "darknet.h"
#include "list.h"
#include "option_list.h"

#include "asoftmax_bounds.h"
#include "check.h"
#include "reference.h"


/* analytic gradients dL/dx (B,K), dL/dw (C,K) (positive sign) */
static void grads_d(const problem *p, double *gx, double *gw)
{
    size_t BC = (size_t)p->B * p->C;
    double *out = dalloc(BC), *delta = dalloc(BC), *xc = dalloc(p->B), *wc = dalloc(p->C);
    double *xn = dalloc(p->B), *wn = dalloc(p->C), *xh = dalloc((size_t)p->B * p->K);
    size_t i;
    memset(gx, 0, sizeof(double) * p->B * p->K);
    memset(gw, 0, sizeof(double) * p->C * p->K);
    asoftmax_forward_d(p->B, p->K, p->C, p->x, p->w, p->y, p->m, p->lambda, out, delta, xc, wc,
                       xn, wn, xh);
    asoftmax_backward_d(p->B, p->K, p->C, p->x, p->w, delta, xc, wc, gx, gw);
    for (i = 0; i < (size_t)p->B * p->K; ++i) gx[i] = -gx[i];
    for (i = 0; i < (size_t)p->C * p->K; ++i) gw[i] = -gw[i];
    free(out); free(delta); free(xc); free(wc); free(xn); free(wn); free(xh);
}

/* cos(theta_y) of sample b */
static double cos_target(const problem *p, int b)
{
    const double *x = p->x + (size_t)b * p->K, *w = p->w + (size_t)p->y[b] * p->K;
    double xw = 0, xx = 0, ww = 0;
    int k;
    for (k = 0; k < p->K; ++k) {
        xw += x[k] * w[k];
        xx += x[k] * x[k];
        ww += w[k] * w[k];
    }
    return xw / sqrt(xx * ww);
}

/* true when c lies within `band` of a k-region boundary cos(j pi/m), j = 1..m-1 */
static int near_boundary(int m, double c, double band)
{
    int j;
    for (j = 1; j < m; ++j) if (fabs(c - cos(j * M_PI / m)) < band) return 1;
    return 0;
}

static double rel_err(double a, double n)
{
    double s = fmax(1.0, fmax(fabs(a), fabs(n)));
    return fabs(a - n) / s;
}

static double cost_g(const problem *p, const asoftmax_margin *g)
{
    double *out = dalloc((size_t)p->B * p->C), *xn = dalloc(p->B), *wn = dalloc(p->C);
    double *xh = dalloc((size_t)p->B * p->K);
    double c = asoftmax_forward_g_d(p->B, p->K, p->C, p->x, p->w, p->y, g, out, NULL, NULL, NULL,
                                    xn, wn, xh, NULL);
    free(out); free(xh); free(xn); free(wn);
    return c;
}

/* SphereFace's integer margin of a problem */
static asoftmax_margin margin_of(const problem *p)
{
    asoftmax_margin g = {p->m, 0, 0, 0, p->lambda, 0};
    return g;
}

/* d cost / d *v by central differences of step h */
static double central_diff(const problem *p, const asoftmax_margin *g, double *v, double h)
{
    const double v0 = *v;
    double fp, fm;
    *v = v0 + h; fp = cost_g(p, g);
    *v = v0 - h; fm = cost_g(p, g);
    *v = v0;
    return (fp - fm) / (2 * h);
}

/* worst relative error of the analytic dL/dw (gw) against central differences, over the
 * classes not marked in skip_class (counted in *skipped) */
static double check_w(problem *p, const asoftmax_margin *g, const double *gw, const int *skip_class,
                      double h, long *checked, long *skipped)
{
    double worst = 0;
    int j, k;
    for (j = 0; j < p->C; ++j)
        for (k = 0; k < p->K; ++k) {
            if (skip_class[j]) { ++*skipped; continue; }
            worst = fmax(worst, rel_err(gw[(size_t)j * p->K + k],
                                        central_diff(p, g, &p->w[(size_t)j * p->K + k], h)));
            ++*checked;
        }
    return worst;
}

/* ---- 1. gradient checks ---- */
static void test_gradcheck(void)
{
    static const int shapes[][3] = {{1, 1, 2}, {1, 3, 2}, {2, 5, 3}, {3, 7, 13}, {5, 4, 9}, {4, 16, 10}};
    static const double lambdas[] = {0, 5, 1000};
    const double h = 1e-6, band = 1e-3, tol = 1e-6;
    double worst = 0;
    long checked = 0, skipped = 0;
    int regions_hit[6][6] = {{0}};
    int s, li, m, b, k;
    for (m = 1; m <= 5; ++m) {
        for (li = 0; li < 3; ++li) {
            for (s = 0; s < (int)(sizeof(shapes) / sizeof(shapes[0])); ++s) {
                problem p = make_problem(shapes[s][0], shapes[s][1], shapes[s][2], m, lambdas[li],
                                         s == 4);
                const asoftmax_margin g = margin_of(&p);
                double *gx = dalloc((size_t)p.B * p.K), *gw = dalloc((size_t)p.C * p.K);
                int *skip_class = calloc((size_t)p.C, sizeof(int));
                double worst_here = 0;
                grads_d(&p, gx, gw);
                for (b = 0; b < p.B; ++b) {
                    double c;
                    int skip;
                    if (p.y[b] < 0) continue;
                    c = cos_target(&p, b);
                    skip = near_boundary(m, c, band);
                    if (skip) skip_class[p.y[b]] = 1;
                    else regions_hit[m][asoftmax_region(m, c)] = 1;
                    for (k = 0; k < p.K; ++k) {
                        if (skip) { ++skipped; continue; }
                        worst_here = fmax(worst_here, rel_err(gx[(size_t)b * p.K + k],
                                                              central_diff(&p, &g, &p.x[(size_t)b * p.K + k], h)));
                        ++checked;
                    }
                }
                worst_here = fmax(worst_here, check_w(&p, &g, gw, skip_class, h, &checked, &skipped));
                CHECK(worst_here < tol, "gradcheck m=%d lambda=%g B=%d K=%d C=%d: error %.3g >= %g",
                      m, lambdas[li], p.B, p.K, p.C, worst_here, tol);
                worst = fmax(worst, worst_here);
                free(gx); free(gw); free(skip_class);
                free_problem(&p);
            }
        }
    }
    for (m = 1; m <= 5; ++m)
        for (k = 0; k < m; ++k)
            CHECK(regions_hit[m][k], "gradcheck never exercised m=%d region k=%d", m, k);
    printf("gradcheck: %ld derivatives checked, %ld left out near k-boundaries, worst error %.3g\n",
           checked, skipped, worst);
}

/* ---- 1b. the margin family (m1 real, m2, m3, s): gradient checks and edge cases ---- */

/* analytic dL/dx, dL/dw (positive sign) for the margin g; 1 when every value is finite */
static int grads_g(const problem *p, const asoftmax_margin *g, double *gx, double *gw)
{
    size_t BC = (size_t)p->B * p->C, i;
    double *out = dalloc(BC), *delta = dalloc(BC), *xc = dalloc(p->B), *wc = dalloc(p->C);
    double *xn = dalloc(p->B), *wn = dalloc(p->C), *xh = dalloc((size_t)p->B * p->K);
    double cost;
    int finite = 1;
    memset(gx, 0, sizeof(double) * p->B * p->K);
    memset(gw, 0, sizeof(double) * p->C * p->K);
    cost = asoftmax_forward_g_d(p->B, p->K, p->C, p->x, p->w, p->y, g, out, delta, xc, wc, xn, wn, xh, NULL);
    asoftmax_backward_d(p->B, p->K, p->C, p->x, p->w, delta, xc, wc, gx, gw);
    finite = asoftmax_is_finite(cost);
    for (i = 0; i < (size_t)p->B * p->K; ++i) { gx[i] = -gx[i]; finite = finite && asoftmax_is_finite(gx[i]); }
    for (i = 0; i < (size_t)p->C * p->K; ++i) { gw[i] = -gw[i]; finite = finite && asoftmax_is_finite(gw[i]); }
    for (i = 0; i < BC; ++i) finite = finite && asoftmax_is_finite(out[i]);
    free(out); free(delta); free(xc); free(wc); free(xn); free(wn); free(xh);
    return finite;
}

/* true when c lies within `band` of a place where psi_general changes region:
 * m1 theta + m2 = k pi */
static int near_boundary_g(const asoftmax_margin *g, double c, double band)
{
    int k;
    for (k = 1; k <= (int)(g->m1 + 2); ++k) {
        const double t = (k * M_PI - g->m2) / g->m1;
        if (t >= 0 && t <= M_PI && fabs(c - cos(t)) < band) return 1;
    }
    return 0;
}

static void test_margins(void)
{
    const asoftmax_margin *margins = asm_margin_family;
    static const int shapes[][3] = {{1, 3, 2}, {3, 7, 13}, {6, 4, 9}, {4, 16, 10}};
    const double h = 1e-6, band = 1e-3, tol = 1e-6;
    double worst = 0, worst_orth = 0;
    long checked = 0, skipped = 0, past_pi = 0;
    size_t mi;
    int s, b, k;
    for (mi = 0; mi < (size_t)ASM_NFAMILY; ++mi) {
        const asoftmax_margin *g = &margins[mi];
        for (s = 0; s < (int)(sizeof(shapes) / sizeof(shapes[0])); ++s) {
            problem p = make_problem(shapes[s][0], shapes[s][1], shapes[s][2], 1, g->lambda, s == 2);
            double *gx = dalloc((size_t)p.B * p.K), *gw = dalloc((size_t)p.C * p.K);
            int *skip_class = calloc((size_t)p.C, sizeof(int)), finite;
            double worst_here = 0;
            /* every other sample points away from its class (theta near pi): ArcFace's
             * m1 theta + m2 then passes pi, and SphereFace-R reaches its last regions */
            for (b = 0; b < p.B; b += 2)
                if (p.y[b] >= 0)
                    for (k = 0; k < p.K; ++k)
                        p.x[(size_t)b * p.K + k] = -1.3 * p.w[(size_t)p.y[b] * p.K + k] + 0.2 * nrand();
            finite = grads_g(&p, g, gx, gw);
            CHECK(finite, "margin %zu: a non-finite cost or gradient", mi);
            for (b = 0; b < p.B; ++b) {
                double c, dot = 0, xx = 0, gg = 0;
                int skip;
                if (p.y[b] < 0) continue;
                c = cos_target(&p, b);
                past_pi += g->m1 * acos(c) + g->m2 > M_PI;
                skip = near_boundary_g(g, c, band);
                if (skip) skip_class[p.y[b]] = 1;
                for (k = 0; k < p.K; ++k) {
                    const double v0 = p.x[(size_t)b * p.K + k];
                    dot += gx[(size_t)b * p.K + k] * v0;
                    xx += v0 * v0;
                    gg += gx[(size_t)b * p.K + k] * gx[(size_t)b * p.K + k];
                    if (skip) { ++skipped; continue; }
                    worst_here = fmax(worst_here, rel_err(gx[(size_t)b * p.K + k],
                                                          central_diff(&p, g, &p.x[(size_t)b * p.K + k], h)));
                    ++checked;
                }
                /* s > 0: the loss does not change with ||x||, so dL/dx is orthogonal to x */
                if (g->s > 0 && gg > 0) worst_orth = fmax(worst_orth, fabs(dot) / sqrt(xx * gg));
            }
            worst_here = fmax(worst_here, check_w(&p, g, gw, skip_class, h, &checked, &skipped));
            CHECK(worst_here < tol, "gradcheck margin m1=%g m2=%g m3=%g s=%g lambda=%g B=%d K=%d C=%d: "
                  "error %.3g >= %g", g->m1, g->m2, g->m3, g->s, g->lambda, p.B, p.K, p.C, worst_here, tol);
            worst = fmax(worst, worst_here);
            free(gx); free(gw); free(skip_class);
            free_problem(&p);
        }
    }
    CHECK(past_pi > 0, "no sample had m1 theta + m2 > pi");
    CHECK(worst_orth < 1e-12, "s > 0: dL/dx not orthogonal to x (cosine %.3g)", worst_orth);
    printf("margins: %ld derivatives checked (%ld samples past pi), %ld left out near region boundaries, "
           "worst error %.3g\n", checked, past_pi, skipped, worst);

    /* psi_general: decreasing in theta on [0, pi], continuous, its derivative d/dc matches
     * central differences, and for an integer m1 it is SphereFace's psi */
    for (mi = 0; mi < (size_t)ASM_NFAMILY; ++mi) {
        const asoftmax_margin *g = &margins[mi];
        const int n = 20000;
        double prev = asoftmax_psi_general(g->m1, g->m2, g->m3, 1.0, NULL), worst_d = 0, jump = 0;
        int i, dec = 1;
        for (i = 1; i <= n; ++i) {
            const double t = M_PI * i / n, v = asoftmax_psi_general(g->m1, g->m2, g->m3, cos(t), NULL);
            dec = dec && v < prev;
            jump = fmax(jump, prev - v);
            prev = v;
        }
        CHECK(dec && jump < 0.01, "psi_general m1=%g m2=%g m3=%g: decreasing %d, largest step %g",
              g->m1, g->m2, g->m3, dec, jump);
        for (i = 1; i < 200; ++i) {
            const double c = -0.995 + 1.99 * i / 200;
            double d, num;
            if (near_boundary_g(g, c, 1e-4)) continue;
            asoftmax_psi_general(g->m1, g->m2, g->m3, c, &d);
            num = (asoftmax_psi_general(g->m1, g->m2, g->m3, c + 1e-7, NULL) -
                   asoftmax_psi_general(g->m1, g->m2, g->m3, c - 1e-7, NULL)) / 2e-7;
            worst_d = fmax(worst_d, rel_err(d, num));
        }
        CHECK(worst_d < 1e-5, "psi_general m1=%g m2=%g: d psi/dc off by %.3g", g->m1, g->m2, worst_d);
    }
    {
        int m, i;
        double e = 0, ed = 0;
        for (m = 1; m <= 6; ++m)
            for (i = 0; i <= 400; ++i) {
                const double c = -0.999 + 1.998 * i / 400;
                double d1, d2;
                e = fmax(e, fabs(asoftmax_psi_general(m, 0, 0, c, &d1) - asoftmax_psi(m, c, &d2)));
                ed = fmax(ed, fabs(d1 - d2) / fmax(1, fabs(d2)));
            }
        CHECK(e < 1e-9 && ed < 1e-6, "psi_general(integer m) vs psi: %.3g, derivative %.3g", e, ed);
    }

    /* no NaN: x along +w_y and -w_y (|cos theta| = 1), ArcFace with theta + m2 = pi exactly,
     * a zero feature vector, a zero weight row; every margin, float and double */
    for (mi = 0; mi < (size_t)ASM_NFAMILY; ++mi) {
        const asoftmax_margin *g = &margins[mi];
        enum { B = 5, K = 3, C = 4 };
        float x[B * K], w[C * K] = {1, 2, 2, 0, 1, 0, 0, 0, 0, -1, 0, 1};
        float out[B * C], delta[B * C], xc[B], wc[C], xn[B], wn[C], xh[B * K], cost;
        int y[B] = {0, 0, 3, 1, 2}, i, fin;
        const double t = M_PI - 0.5; /* theta + 0.5 = pi for w_3 = (-1, 0, 1)/sqrt 2 */
        for (k = 0; k < K; ++k) { x[k] = w[k]; x[K + k] = -2 * w[k]; x[3 * K + k] = 0; }
        x[2 * K] = (float)(-sin(M_PI / 4 + t) * 3); x[2 * K + 1] = 0; x[2 * K + 2] = (float)(cos(M_PI / 4 + t) * 3);
        x[4 * K] = 1; x[4 * K + 1] = -1; x[4 * K + 2] = 0.5f; /* its class (2) has a zero weight row */
        cost = asoftmax_forward_g_f(B, K, C, x, w, y, g, out, delta, xc, wc, xn, wn, xh, NULL);
        fin = asoftmax_is_finite(cost);
        for (i = 0; i < B * C; ++i) fin = fin && asoftmax_is_finite(out[i]) && asoftmax_is_finite(delta[i]);
        for (i = 0; i < B; ++i) fin = fin && asoftmax_is_finite(xc[i]);
        for (i = 0; i < C; ++i) fin = fin && asoftmax_is_finite(wc[i]);
        CHECK(fin, "margin m1=%g m2=%g m3=%g s=%g: NaN or Inf at |cos| = 1 / theta + m2 = pi / zero vectors",
              g->m1, g->m2, g->m3, g->s);
    }

    /* warm-up: m1, m2, m3 ramp linearly from 1, 0, 0; from t = warmup on, the values */
    {
        asoftmax_params pp = asoftmax_type_params(ASOFTMAX_ARCFACE);
        asoftmax_margin a0, a1, a2;
        pp.m1 = 3;
        pp.m3 = 0.2;
        pp.warmup = 1000;
        a0 = asoftmax_margin_at(&pp, 0, 0);
        a1 = asoftmax_margin_at(&pp, 250, 0);
        a2 = asoftmax_margin_at(&pp, 1000, 0);
        CHECK(a0.m1 == 1 && a0.m2 == 0 && a0.m3 == 0 && a0.s == 64, "warm-up at t = 0");
        CHECK(fabs(a1.m1 - 1.5) < 1e-12 && fabs(a1.m2 - 0.125) < 1e-12 && fabs(a1.m3 - 0.05) < 1e-12,
              "warm-up at t = 250: m1 %g m2 %g m3 %g", a1.m1, a1.m2, a1.m3);
        CHECK(a2.m1 == 3 && a2.m2 == 0.5 && a2.m3 == 0.2, "warm-up done at t = 1000");
    }
}

/* ---- 1c. gradient=caffe against the official Caffe layer's formulas ----
 * MarginInnerProduct (SphereFace's Caffe code, m = 1..4) written out as that code computes
 * it, from its sign polynomials: forward f_y = (|x| psi(c) + lambda x.w_y) / (1 + lambda) on
 * weights renormalized to norm 1; backward g = softmax(f) - onehot, weight gradient g^T X,
 * x-gradient sum_j g_j w_j with the target's (coeff_w w_y + coeff_x x) / (1 + lambda)
 * scaled to a unit coefficient vector, plus lambda / (1 + lambda) g_y w_y. */
static double sgn(double v) { return (v > 0) - (v < 0); }

static void caffe_reference(int B, int K, int C, int m, double lambda, const double *x,
                            const double *w, const int *y, double *dx, double *dw)
{
    int b, j, k;
    double *f = dalloc(C);
    memset(dx, 0, sizeof(double) * B * K);
    memset(dw, 0, sizeof(double) * C * K);
    for (b = 0; b < B; ++b) {
        const double *xb = x + (size_t)b * K;
        double xn = 0, mx = -INFINITY, sum = 0, c = 0, cw = 1, cx = 0, nrm;
        if (y[b] < 0) continue;
        for (k = 0; k < K; ++k) xn += xb[k] * xb[k];
        xn = sqrt(xn);
        for (j = 0; j < C; ++j) {
            double d = 0;
            for (k = 0; k < K; ++k) d += xb[k] * w[(size_t)j * K + k];
            f[j] = d;
            if (j == y[b]) c = d / xn;
        }
        if (m > 1) {
            const double s0 = sgn(c), c2 = c * c, c3 = c2 * c, c4 = c2 * c2;
            double psi;
            if (m == 2) {
                psi = 2 * s0 * c2 - 1;
                cw = 4 * s0 * c;
                cx = -(2 * s0 * c2 + 1) / xn;
            } else if (m == 3) {
                const double s1 = sgn(fabs(c) - 0.5), s2 = s0 * (1 + s1) - 2;
                psi = s1 * (4 * c3 - 3 * c) + s2;
                cw = s1 * (12 * c2 - 3);
                cx = -(8 * s1 * c3 - s2) / xn;
            } else {
                const double s3 = s0 * sgn(2 * c2 - 1), s4 = 2 * s0 + s3 - 3;
                psi = s3 * (8 * c4 - 8 * c2 + 1) + s4;
                cw = s3 * (32 * c3 - 16 * c);
                cx = -(s3 * (24 * c4 - 8 * c2 - 1) - s4) / xn;
            }
            f[y[b]] = (xn * psi + lambda * f[y[b]]) / (1 + lambda);
            nrm = sqrt(cw * cw + cx * cx);
            cw /= nrm;
            cx /= nrm;
        }
        for (j = 0; j < C; ++j) mx = fmax(mx, f[j]);
        for (j = 0; j < C; ++j) sum += exp(f[j] - mx);
        for (j = 0; j < C; ++j) {
            const double g = exp(f[j] - mx) / sum - (j == y[b]);
            const double *wj = w + (size_t)j * K;
            for (k = 0; k < K; ++k) dw[(size_t)j * K + k] += g * xb[k];
            if (m == 1 || j != y[b]) {
                for (k = 0; k < K; ++k) dx[(size_t)b * K + k] += g * wj[k];
            } else {
                for (k = 0; k < K; ++k)
                    dx[(size_t)b * K + k] += g * ((lambda + cw) * wj[k] + cx * xb[k]) / (1 + lambda);
            }
        }
    }
    free(f);
}

static void test_caffe_gradient(void)
{
    static const double lambdas[] = {0, 5, 1000};
    double worst = 0;
    int m, li, rep;
    for (m = 1; m <= 4; ++m)
        for (li = 0; li < 3; ++li)
            for (rep = 0; rep < 3; ++rep) {
                problem p = make_problem(5 + rep, 6, 7, m, lambdas[li], 1);
                const size_t BK = (size_t)p.B * p.K, CK = (size_t)p.C * p.K, BC = (size_t)p.B * p.C;
                asoftmax_margin g = {m, 0, 0, 0, lambdas[li], 1};
                double *out = dalloc(BC), *delta = dalloc(BC), *xc = dalloc(p.B), *wc = dalloc(p.C);
                double *yc = dalloc(p.B), *xn = dalloc(p.B), *wn = dalloc(p.C), *xh = dalloc(BK);
                double *dx = dalloc(BK), *dw = dalloc(CK), *rdx = dalloc(BK), *rdw = dalloc(CK), e = 0;
                size_t i;
                asoftmax_normalize_rows_d(p.C, p.K, p.w, wn); /* as the layer does in training */
                asoftmax_forward_g_d(p.B, p.K, p.C, p.x, p.w, p.y, &g, out, delta, xc, wc, xn, wn, xh, yc);
                asoftmax_backward_d(p.B, p.K, p.C, p.x, p.w, delta, xc, wc, dx, dw);
                asoftmax_backward_target_d(p.B, p.K, p.y, yc, p.w, dx);
                caffe_reference(p.B, p.K, p.C, m, lambdas[li], p.x, p.w, p.y, rdx, rdw);
                for (i = 0; i < BK; ++i) e = fmax(e, rel_err(-dx[i], rdx[i]));
                for (i = 0; i < CK; ++i) e = fmax(e, rel_err(-dw[i], rdw[i]));
                for (i = 0; i < (size_t)p.C; ++i) e = fmax(e, fabs(wc[i]));
                CHECK(e < 1e-12, "gradient=caffe m=%d lambda=%g B=%d: differs from the Caffe formulas by %.3g",
                      m, lambdas[li], p.B, e);
                worst = fmax(worst, e);
                free(out); free(delta); free(xc); free(wc); free(yc); free(xn); free(wn); free(xh);
                free(dx); free(dw); free(rdx); free(rdw);
                free_problem(&p);
            }
    printf("gradient=caffe vs the Caffe layer's formulas: worst difference %.3g\n", worst);
}

/* ---- 2. float instantiation against the exact (double) step, within derived bounds ---- */
/* Every float result (cost, training and inference output, the layer's delta, input delta,
 * weight updates) within its per-entry rounding bound (tests/asoftmax_bounds.h) of the
 * double layer on the same float inputs, for m = 1..5, lambda in {0, 5, 1000}, odd shapes
 * and the GPU test's largest conditioning: a zero feature vector and a zero weight row
 * (B=64 K=257 C=1000 m=5: where a fixed 1e-4 tolerance failed on an H200). */
/* one float step of problem p (inputs scaled to float, a zero feature vector and a zero
 * weight row) against the exact one within the derived bounds; returns the worst ratio */
static double float_case(const problem *p, const asoftmax_margin *g)
{
    const size_t BK = (size_t)p->B * p->K, CK = (size_t)p->C * p->K, BC = (size_t)p->B * p->C;
    float *xf = falloc(BK), *wf = falloc(CK), *of = falloc(BC), *df = falloc(BC);
    float *xcf = falloc(p->B), *wcf = falloc(p->C), *xnf = falloc(p->B), *wnf = falloc(p->C);
    float *dxf = falloc(BK), *dwf = falloc(CK), *xhf = falloc(BK), *ycf = falloc(p->B), cf;
    double q[6], qmax = 0;
    asm_bounds e;
    size_t i;
    for (i = 0; i < BK; ++i) xf[i] = (float)(3 * p->x[i]);
    for (i = 0; i < CK; ++i) wf[i] = (float)p->w[i];
    if (p->B > 2) memset(xf, 0, sizeof(float) * p->K);                            /* zero feature */
    if (p->C > 2) memset(wf + (size_t)(p->C - 1) * p->K, 0, sizeof(float) * p->K); /* zero weight row */
    e = asm_error_bounds_g(p->B, p->K, p->C, xf, wf, p->y, g);
    if (g->caffe) asoftmax_normalize_rows_f(p->C, p->K, wf, wnf); /* as the layer in training */
    cf = asoftmax_forward_g_f(p->B, p->K, p->C, xf, wf, p->y, g, of, df, xcf, wcf, xnf, wnf, xhf, ycf);
    asoftmax_backward_f(p->B, p->K, p->C, xf, wf, df, xcf, wcf, dxf, dwf);
    if (g->caffe) asoftmax_backward_target_f(p->B, p->K, p->y, ycf, wf, dxf);
    q[0] = asm_bound_ratio(1, &cf, &e.cost, &e.cost_err, 1);
    q[1] = asm_bound_ratio(BC, of, e.out, e.out_err, 1);
    q[2] = asm_bound_ratio(BC, df, e.delta, e.delta_err, 1);
    q[3] = asm_bound_ratio(BK, dxf, e.dx, e.dx_err, 1);
    q[4] = asm_bound_ratio(CK, dwf, e.dw, e.dw_err, 1);
    asoftmax_forward_g_f(p->B, p->K, p->C, xf, wf, NULL, g, of, NULL, NULL, NULL, xnf, wnf, xhf, NULL);
    q[5] = asm_bound_ratio(BC, of, e.out_inf, e.out_inf_err, 1);
    for (i = 0; i < 6; ++i) qmax = q[i] > qmax || q[i] != q[i] ? q[i] : qmax;
    CHECK(qmax <= 1, "float vs exact m1=%g m2=%g m3=%g s=%g lambda=%g caffe=%d B=%d K=%d C=%d: error / bound: "
          "cost %.3g, output %.3g, delta %.3g, input delta %.3g, weight updates %.3g, inference %.3g",
          g->m1, g->m2, g->m3, g->s, g->lambda, g->caffe, p->B, p->K, p->C, q[0], q[1], q[2], q[3],
          q[4], q[5]);
    asm_free_bounds(&e);
    free(xf); free(wf); free(of); free(df); free(xcf); free(wcf); free(xnf); free(wnf);
    free(dxf); free(dwf); free(xhf); free(ycf);
    return qmax;
}

static void test_float_vs_double(void)
{
    static const int shapes[][3] = {{1, 1, 2}, {3, 7, 13}, {17, 33, 10}, {64, 128, 100}, {64, 257, 1000}};
    static const double lambdas[] = {0, 5, 1000};
    const int nshapes = (int)(sizeof(shapes) / sizeof(shapes[0]));
    double worst = 0, worst_g = 0, q;
    int s, m, li;
    size_t mi;
    for (m = 1; m <= 5; ++m) {
        for (s = 0; s < nshapes; ++s) {
            for (li = 0; li < 3; ++li) {
                problem p;
                asoftmax_margin g;
                /* the large shape once: m = 5, lambda 5 (the GPU test's hardest case) */
                if (s == nshapes - 1 && (li != 1 || m != 5)) continue;
                p = make_problem(shapes[s][0], shapes[s][1], shapes[s][2], m, lambdas[li], 1);
                g = margin_of(&p);
                q = float_case(&p, &g);
                worst = q > worst || q != q ? q : worst;
                free_problem(&p);
            }
        }
    }
    for (mi = 0; mi < (size_t)ASM_NFAMILY; ++mi)
        for (s = 0; s < nshapes - 1; ++s) {
            problem p = make_problem(shapes[s][0], shapes[s][1], shapes[s][2], 1, asm_margin_family[mi].lambda, 1);
            q = float_case(&p, &asm_margin_family[mi]);
            worst_g = q > worst_g || q != q ? q : worst_g;
            free_problem(&p);
        }
    for (m = 1; m <= 4; ++m) /* gradient=caffe */
        for (li = 0; li < 3; ++li)
            for (s = 0; s < nshapes - 1; ++s) {
                problem p = make_problem(shapes[s][0], shapes[s][1], shapes[s][2], m, lambdas[li], 1);
                asoftmax_margin g = margin_of(&p);
                g.caffe = 1;
                q = float_case(&p, &g);
                worst_g = q > worst_g || q != q ? q : worst_g;
                free_problem(&p);
            }
    printf("float vs double: worst error / derived bound %.3g, margin family and gradient=caffe %.3g "
           "(must be <= 1)\n", worst, worst_g);
}

/* ---- 3. forward ---- */


static void test_forward(void)
{
    int m, i, b;
    /* m = 1 is the modified softmax for any lambda; inference is softmax(z) for any m */
    for (m = 1; m <= 5; ++m) {
        static const double lambdas[] = {0, 5, 1000};
        int li;
        for (li = 0; li < 3; ++li) {
            problem p = make_problem(4, 6, 7, m, lambdas[li], 1);
            double *ref = dalloc(28), *out = dalloc(28), *xn = dalloc(4), *wn = dalloc(7), cref, c, e = 0;
            double *xh = dalloc(24);
            int *y = p.y;
            modified_softmax(&p, &cref, ref);
            if (m == 1) {
                c = asoftmax_forward_d(4, 6, 7, p.x, p.w, p.y, 1, p.lambda, out, NULL, NULL, NULL, xn, wn, xh);
                for (i = 0; i < 28; ++i) e = fmax(e, fabs(out[i] - ref[i]));
                CHECK(fabs(c - cref) < 1e-12 && e < 1e-12,
                      "m=1 lambda=%g is not the modified softmax: cost %.17g vs %.17g, out %.3g",
                      p.lambda, c, cref, e);
            }
            p.y = NULL;
            modified_softmax(&p, &cref, ref);
            c = asoftmax_forward_d(4, 6, 7, p.x, p.w, NULL, m, p.lambda, out, NULL, NULL, NULL, xn, wn, xh);
            e = 0;
            for (i = 0; i < 28; ++i) e = fmax(e, fabs(out[i] - ref[i]));
            CHECK(c == 0 && e < 1e-12, "inference m=%d: cost %g, output differs by %.3g", m, c, e);
            p.y = y;
            free(ref); free(out); free(xn); free(wn); free(xh);
            free_problem(&p);
        }
    }

    /* psi: psi(0) = 1, psi(pi) = -(2m-1), continuous, strictly decreasing, psi' = dpsi/dc */
    for (m = 1; m <= 8; ++m) {
        const int n = 20000;
        double prev = asoftmax_psi(m, 1.0, NULL), worst_jump = 0, worst_d = 0;
        int decreasing = 1, j;
        CHECK(fabs(prev - 1) < 1e-12, "psi(0) = %g for m=%d", prev, m);
        CHECK(fabs(asoftmax_psi(m, -1.0, NULL) + (2 * m - 1)) < 1e-9, "psi(pi) = %g for m=%d",
              asoftmax_psi(m, -1.0, NULL), m);
        for (i = 1; i <= n; ++i) {
            double t = M_PI * i / n, v = asoftmax_psi(m, cos(t), NULL);
            if (!(v < prev)) decreasing = 0;
            prev = v;
        }
        CHECK(decreasing, "psi not strictly decreasing for m=%d", m);
        for (j = 1; j < m; ++j) {
            double t = j * M_PI / m;
            double lo = asoftmax_psi(m, cos(t - 1e-9), NULL), hi = asoftmax_psi(m, cos(t + 1e-9), NULL);
            worst_jump = fmax(worst_jump, fabs(lo - hi));
        }
        CHECK(worst_jump < 1e-6, "psi jumps by %g at a boundary for m=%d", worst_jump, m);
        for (i = 1; i < 200; ++i) {
            double c = -1 + 2.0 * i / 200, d, num;
            if (near_boundary(m, c, 1e-4)) continue;
            asoftmax_psi(m, c, &d);
            num = (asoftmax_psi(m, c + 1e-7, NULL) - asoftmax_psi(m, c - 1e-7, NULL)) / 2e-7;
            worst_d = fmax(worst_d, rel_err(d, num));
        }
        CHECK(worst_d < 1e-5, "psi' differs from finite differences by %g for m=%d", worst_d, m);
    }

    /* hand-computed psi values */
    CHECK(fabs(asoftmax_psi(2, 0.5, NULL) + 0.5) < 1e-12, "psi m=2 theta=60deg");
    CHECK(fabs(asoftmax_psi(4, 0.5, NULL) + 1.5) < 1e-12, "psi m=4 theta=60deg: -cos(240)-2 = -1.5");
    CHECK(fabs(asoftmax_psi(3, -1, NULL) + 5) < 1e-12, "psi m=3 theta=pi = -5");
    CHECK(asoftmax_region(4, 0.5) == 1 && asoftmax_region(4, -0.8) == 3, "k regions m=4");

    /* hand-computed losses: w0=(1,0), w1=(0,2), x=(2,2), y=0: theta0 = 45deg, z = (2, 2),
     * r = 2 sqrt 2. m=2: psi = cos 90 = 0; m=3: psi = cos 135 = -1/sqrt2, r psi = -2. */
    {
        double x[2] = {2, 2}, w[4] = {1, 0, 0, 2}, out[2], xn[1], wn[2], xh[2];
        int y[1] = {0};
        double c20 = asoftmax_forward_d(1, 2, 2, x, w, y, 2, 0, out, NULL, NULL, NULL, xn, wn, xh);
        double c21 = asoftmax_forward_d(1, 2, 2, x, w, y, 2, 1, out, NULL, NULL, NULL, xn, wn, xh);
        double c30 = asoftmax_forward_d(1, 2, 2, x, w, y, 3, 0, out, NULL, NULL, NULL, xn, wn, xh);
        CHECK(fabs(c20 - log(1 + exp(2.0))) < 1e-12, "hand case m=2 lambda=0: %.15g", c20);
        CHECK(fabs(c21 - log(1 + exp(1.0))) < 1e-12, "hand case m=2 lambda=1: %.15g", c21);
        CHECK(fabs(c30 - (log(exp(-2.0) + exp(2.0)) + 2)) < 1e-12, "hand case m=3 lambda=0: %.15g", c30);
        CHECK(fabs(out[0] - exp(-2.0) / (exp(-2.0) + exp(2.0))) < 1e-12, "hand case m=3 output");
    }

    /* lambda schedule (official defaults) */
    {
        asoftmax_params d = asoftmax_default_params();
        CHECK(asoftmax_lambda(&d, 0) == 1000.f, "lambda(0) = %g", asoftmax_lambda(&d, 0));
        CHECK(asoftmax_lambda(&d, 1659) == 5.f, "lambda(1659) = %g", asoftmax_lambda(&d, 1659));
        CHECK(asoftmax_lambda(&d, 1658) > 5.f, "lambda(1658) = %g", asoftmax_lambda(&d, 1658));
        CHECK(fabsf(asoftmax_lambda(&d, 100) - 1000.f / 13.f) < 1e-3f, "lambda(100) = %g",
              asoftmax_lambda(&d, 100));
        CHECK(d.m1 == 4 && d.lambda_gamma == 0.12f && d.lambda_power == 1.f, "defaults");
    }

    /* edge cases in float: zero feature, zero weight row, huge logits, unlabeled rows */
    {
        enum { B = 4, K = 5, C = 6 };
        float x[B * K], w[C * K], out[B * C], delta[B * C], xc[B], wc[C], xn[B], wn[C];
        float dx[B * K], dw[C * K], xh[B * K];
        int y[B] = {1, 2, 0, -1}, finite = 1;
        float cost;
        for (i = 0; i < B * K; ++i) x[i] = (float)(nrand() * 1e4); /* logits ~ 1e4 */
        for (i = 0; i < C * K; ++i) w[i] = (float)nrand();
        for (i = 0; i < K; ++i) x[0 * K + i] = 0; /* zero feature vector */
        for (i = 0; i < K; ++i) w[3 * K + i] = 0; /* zero weight row */
        memset(dx, 0, sizeof(dx));
        memset(dw, 0, sizeof(dw));
        cost = asoftmax_forward_f(B, K, C, x, w, y, 4, 0, out, delta, xc, wc, xn, wn, xh);
        asoftmax_backward_f(B, K, C, x, w, delta, xc, wc, dx, dw);
        finite = isfinite(cost);
        for (i = 0; i < B * C; ++i) finite &= isfinite(out[i]) && isfinite(delta[i]);
        for (i = 0; i < B * K; ++i) finite &= isfinite(dx[i]);
        for (i = 0; i < C * K; ++i) finite &= isfinite(dw[i]);
        CHECK(finite, "non-finite value with huge logits / zero vectors");
        for (i = 0; i < C; ++i)
            CHECK(fabsf(out[i] - 1.f / C) < 1e-6f, "zero feature: output %g, not 1/C", out[i]);
        for (i = 0; i < C; ++i) CHECK(delta[3 * C + i] == 0, "unlabeled row has a nonzero delta");
        CHECK(xc[3] == 0, "unlabeled row has a nonzero x coefficient");
        for (i = 0; i < K; ++i) CHECK(dx[3 * K + i] == 0, "unlabeled row has a nonzero input delta");
        /* the unlabeled row adds nothing to the cost */
        {
            float cost3 = asoftmax_forward_f(3, K, C, x, w, y, 4, 0, out, delta, xc, wc, xn, wn, xh);
            CHECK(cost3 == cost, "unlabeled row changed the cost: %g vs %g", cost, cost3);
        }
        for (b = 0; b < B; ++b) y[b] = -1;
        cost = asoftmax_forward_f(B, K, C, x, w, y, 4, 0, out, delta, xc, wc, xn, wn, xh);
        CHECK(cost == 0, "all rows unlabeled: cost %g", cost);
    }
}

/* ---- 5. numeric stress (float, the layer's precision) ---- */
/* (sections 5 and 6 run after section 4, see main) */

static int all_finite(const float *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) if (!isfinite(v[i])) return 0;
    return 1;
}

/* forward + backward + one SGD step + inference on the float path; 1 if all finite */
static int float_step_finite(int B, int K, int C, float *x, float *w, const int *y, int m,
                             float lambda)
{
    size_t BK = (size_t)B * K, CK = (size_t)C * K, BC = (size_t)B * C, i;
    float *out = falloc(BC), *delta = falloc(BC), *xc = falloc(B), *wc = falloc(C), *xn = falloc(B),
          *wn = falloc(C), *xh = falloc(BK), *dx = falloc(BK), *dw = falloc(CK);
    float cost = asoftmax_forward_f(B, K, C, x, w, y, m, lambda, out, delta, xc, wc, xn, wn, xh);
    int ok = isfinite(cost) && all_finite(out, BC) && all_finite(delta, BC);
    asoftmax_backward_f(B, K, C, x, w, delta, xc, wc, dx, dw);
    ok = ok && all_finite(dx, BK) && all_finite(dw, CK);
    for (i = 0; i < CK; ++i) w[i] += 0.1f / B * (dw[i] - 0.0005f * B * w[i]); /* as the update */
    ok = ok && all_finite(w, CK);
    asoftmax_forward_f(B, K, C, x, w, NULL, m, lambda, out, delta, xc, wc, xn, wn, xh);
    ok = ok && all_finite(out, BC);
    free(out); free(delta); free(xc); free(wc); free(xn); free(wn); free(xh); free(dx); free(dw);
    return ok;
}

static void test_stress(void)
{
    static const double scales[] = {1e-30, 1e-20, 1e-10, 1, 1e10, 1e20, 1e30};
    static const float lambdas[] = {0, 1e6f};
    enum { B = 3, K = 7, C = 13 };
    int si, wi, m, li, i, cases = 0;
    /* feature norms 1e-30 .. 1e30 against weight norms 1e-30, 1, 1e30; m = 1..8; lambda 0, 1e6.
     * The weight gradient is (I - w^w^T) G'x / ||w||: it scales as ||x|| / ||w||, so float can
     * hold it only while that ratio stays below ~1e30 (README, Limits); larger ratios are
     * not tested. */
    for (si = 0; si < 7; ++si) {
        for (wi = 0; wi < 7; wi += 3) {
            if (scales[si] / scales[wi] > 1e30) continue;
            for (m = 1; m <= 8; ++m) {
                for (li = 0; li < 2; ++li) {
                    float x[B * K], w[C * K];
                    int y[B] = {0, 5, 12};
                    urand_state = 77 + (unsigned)(si * 131 + wi * 17 + m * 3 + li);
                    for (i = 0; i < B * K; ++i) x[i] = (float)(nrand() * scales[si]);
                    for (i = 0; i < C * K; ++i) w[i] = (float)(nrand() * scales[wi]);
                    CHECK(float_step_finite(B, K, C, x, w, y, m, lambdas[li]),
                          "non-finite result: |x| ~ %g, |w| ~ %g, m=%d, lambda=%g", scales[si],
                          scales[wi], m, lambdas[li]);
                    ++cases;
                }
            }
        }
    }
    /* regression (fuzz): features ~1e30 and, after one step, weights ~1e29: x.w overflowed
     * float before the product was taken on x / ||x|| */
    {
        float x[2 * 6], w[4 * 6];
        int y[2] = {0, -1};
        for (i = 0; i < 12; ++i) x[i] = (i % 3 == 0) ? 1e30f : (i % 3 == 1 ? -1e30f : 1.f);
        for (i = 0; i < 24; ++i) w[i] = (i & 1) ? 1e29f : -3e29f;
        CHECK(float_step_finite(2, 6, 4, x, w, y, 4, 1000), "1e30 features with 1e29 weights");
        ++cases;
    }
    /* all-equal logits; |cos theta| = 1 exactly (x = +-w_y); batch 1 with C = 100000 */
    {
        float x[2 * 4], w[3 * 4], out[6], d[6], xc[2], wc[3], xn[2], wnn[3], xh[8];
        int y[2] = {1, 2};
        for (i = 0; i < 12; ++i) w[i] = (float)(i % 4 + 1);     /* three equal rows */
        for (i = 0; i < 8; ++i) x[i] = (float)nrand();
        asoftmax_forward_f(2, 4, 3, x, w, NULL, 4, 5, out, d, xc, wc, xn, wnn, xh);
        for (i = 0; i < 6; ++i) CHECK(fabsf(out[i] - 1.f / 3) < 1e-6f, "all-equal logits: %g", out[i]);
        for (i = 0; i < 12; ++i) w[i] = (float)nrand();
        for (i = 0; i < 4; ++i) { x[i] = w[4 + i]; x[4 + i] = -w[8 + i]; } /* cos = 1, cos = -1 */
        for (m = 1; m <= 8; ++m) {
            float wc2[12];
            memcpy(wc2, w, sizeof(wc2));
            CHECK(float_step_finite(2, 4, 3, x, wc2, y, m, 0), "|cos theta| = 1, m=%d", m);
            cases += 1;
        }
    }
    {
        const int Cbig = 100000, Kb = 8;
        float *w = falloc((size_t)Cbig * Kb), x[8];
        int y[1] = {Cbig - 1};
        for (i = 0; i < Cbig * Kb; ++i) w[i] = (float)nrand();
        for (i = 0; i < Kb; ++i) x[i] = (float)nrand() * 100;
        CHECK(float_step_finite(1, Kb, Cbig, x, w, y, 4, 5), "batch 1 with C = 100000");
        ++cases;
        free(w);
    }
    /* gradients still match finite differences at feature scales 1e-4 and 1e30, and m = 6..8 */
    {
        static const double gscale[] = {1e-4, 1e30, 1};
        double worst_s = 0;
        int g;
        for (g = 0; g < 3; ++g) {
            for (m = (g < 2 ? 4 : 6); m <= (g < 2 ? 4 : 8); ++m) {
                problem p = make_problem(3, 7, 13, m, 5, 0);
                double *gx = dalloc(21), *gw = dalloc(91), e = 0;
                int b, k;
                for (i = 0; i < 21; ++i) p.x[i] *= gscale[g];
                grads_d(&p, gx, gw);
                for (b = 0; b < 3; ++b) {
                    if (near_boundary(m, cos_target(&p, b), 1e-3)) continue;
                    for (k = 0; k < 7; ++k) {
                        const asoftmax_margin mg = margin_of(&p);
                        e = fmax(e, rel_err(gx[b * 7 + k], central_diff(&p, &mg, &p.x[b * 7 + k],
                                                                        1e-6 * gscale[g])));
                    }
                }
                CHECK(e < 1e-4, "gradcheck at feature scale %g, m=%d: error %.3g", gscale[g], m, e);
                worst_s = fmax(worst_s, e);
                free(gx); free(gw);
                free_problem(&p);
            }
        }
        printf("stress: %d finite-value cases, scaled gradchecks worst error %.3g\n", cases, worst_s);
    }
}

/* ---- 7. cfg validation, in whatever build this program is linked against ---- */

/* asoftmax_parse_options on one [asoftmax] section: key=val (key NULL: none), and `output=3`
 * unless key is "output";
 * returns its status, the message in msg */
static int parse_one(const char *key, const char *val, int inputs, int is_last,
                     asoftmax_params *p, char *msg, size_t len)
{
    list *options = make_list();
    int outputs = 0, rc;
    if (!key || strcmp(key, "output")) option_insert(options, "output", "3");
    if (key) option_insert(options, (char *)key, (char *)val);
    msg[0] = '\0';
    rc = asoftmax_parse_options(options, inputs, 7, is_last, p, &outputs, msg, len);
    free_list_contents(options); /* the kvp structs; keys and values are literals */
    free_list(options);
    return rc;
}

static void test_validation(void)
{
    /* every invalid value of README "Options"; NaN and Inf in every spelling strtod takes */
    static const char *bad[][2] = {
        {"margin", "0"}, {"margin", "-2"}, {"margin", "0.99"}, {"margin", "four"}, {"margin", "65"},
        {"margin", "nan"}, {"m2", "-0.1"}, {"m2", "3.1415926535897931"}, {"m2", "inf"}, {"m3", "-0.35"},
        {"m3", "2.5"}, {"s", "-1"}, {"s", "nan"}, {"s", "1e5"}, {"type", "normface"},
        {"type", "ArcFace"}, {"margin_warmup", "-5"}, {"margin_warmup", "1.5"}, {"gradient", "Caffe"},
        {"gradient", "approx"},
        {"margin", "99999999999999999999"}, {"output", "1"}, {"output", "ten"},
        {"lambda_base", "-1"}, {"lambda_base", "inf"}, {"lambda_base", "Infinity"},
        {"lambda_gamma", "nan"}, {"lambda_gamma", "-nan"}, {"lambda_gamma", "1e999"},
        {"lambda_power", "nan"}, {"lambda_power", "NAN"}, {"lambda_power", "nan(0x7)"},
        {"lambda_power", "-0.5"}, {"lambda_power", "-inf"}, {"lambda_min", "inf"},
        {"lambda_min", "5x"}, {"lambda_min", "0x1p200"}, {"lambda_min", "nan"},
        {"tf32", "2"}, {"tf32", "-1"}, {"tf32", "yes"}, {"tf32", "1.0"},
    };
    static const char *good[][2] = {
        {"lambda_power", "0"}, {"lambda_gamma", "1e-3"}, {"lambda_base", "3.4e38"},
        {"lambda_min", "0x1p-3"}, {"margin", "1"}, {"margin", "64"}, {"tf32", "0"},
        {"margin", "2.5"}, {"margin", "1.7"}, {"m2", "0"}, {"m2", "3.14159"}, {"m3", "2"},
        {"s", "0"}, {"s", "64"}, {"type", "sphereface"}, {"type", "cosface"},
        {"margin_warmup", "0"}, {"margin_warmup", "20000"}, {"gradient", "caffe"}, {"gradient", "exact"},
    };
    static const double finite[] = {0.0, -0.0, 1.0, -1e308, 1.7976931348623157e308,
                                    4.9406564584124654e-324};
    asoftmax_params p;
    char msg[512], want[128];
    size_t i;
    volatile double zero = 0; /* NaN and Inf made at run time, not folded by the compiler */

    for (i = 0; i < sizeof(finite) / sizeof(finite[0]); ++i)
        CHECK(asoftmax_is_finite(finite[i]), "asoftmax_is_finite(%g) is 0", finite[i]);
    CHECK(!asoftmax_is_finite(zero / zero) && !asoftmax_is_finite(1 / zero) &&
          !asoftmax_is_finite(-1 / zero), "asoftmax_is_finite accepts NaN or Inf");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        int rc = parse_one(bad[i][0], bad[i][1], 5, 1, &p, msg, sizeof(msg));
        snprintf(want, sizeof(want), "[asoftmax] layer 7: %s = '%s': ", bad[i][0], bad[i][1]);
        CHECK(rc == -1 && strstr(msg, want) == msg, "%s=%s: status %d, message '%s'", bad[i][0],
              bad[i][1], rc, msg);
    }
    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        int rc = parse_one(good[i][0], good[i][1], 5, 1, &p, msg, sizeof(msg));
        CHECK(rc == 0, "%s=%s rejected: %s", good[i][0], good[i][1], msg);
    }
    CHECK(parse_one("lambda_min", "0.25", 5, 1, &p, msg, sizeof(msg)) == 0 && p.lambda_min == 0.25f &&
          p.m1 == 4 && p.lambda_base == 1000.f && p.tf32 == 0,
          "a valid value is not stored as given");
    CHECK(parse_one("tf32", "1", 5, 1, &p, msg, sizeof(msg)) == 0 && p.tf32 == 1, "tf32=1: %s", msg);
    { /* gradient=caffe is SphereFace's: not with a scale or an additive margin */
        list *o = make_list();
        int outs = 0;
        option_insert(o, "output", "3");
        option_insert(o, "type", "arcface");
        option_insert(o, "gradient", "caffe");
        CHECK(asoftmax_parse_options(o, 5, 7, 1, &p, &outs, msg, sizeof(msg)) == -1 &&
              strstr(msg, "[asoftmax] layer 7: gradient = 'caffe': ") == msg, "caffe + arcface: '%s'", msg);
        free_list_contents(o);
        free_list(o);
    }
    /* type= chooses the published defaults; other keys still override them */
    CHECK(parse_one("type", "arcface", 5, 1, &p, msg, sizeof(msg)) == 0 && p.type == ASOFTMAX_ARCFACE &&
          p.s == 64 && p.m2 == 0.5 && p.m3 == 0 && p.m1 == 1 && p.lambda_base == 0 && p.lambda_min == 0,
          "type=arcface defaults: %s", msg);
    CHECK(parse_one("type", "cosface", 5, 1, &p, msg, sizeof(msg)) == 0 && p.type == ASOFTMAX_COSFACE &&
          p.s == 64 && p.m2 == 0 && p.m3 == 0.35 && p.m1 == 1 && p.lambda_base == 0,
          "type=cosface defaults: %s", msg);
    CHECK(parse_one(NULL, NULL, 0, 1, &p, msg, sizeof(msg)) == -1 &&
          strstr(msg, "[asoftmax] layer 7: inputs = '0': ") == msg, "empty input: '%s'", msg);
    CHECK(parse_one(NULL, NULL, 5, 0, &p, msg, sizeof(msg)) == -1 &&
          strstr(msg, "[asoftmax] layer 7: position: ") == msg, "not last: '%s'", msg);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep every line if a sanitizer ends the process */
    test_gradcheck();
    test_margins();
    test_caffe_gradient();
    test_float_vs_double();
    test_forward();
    test_stress();
    test_validation();
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
