/*
 * reference.h — what the C tests of the layer's math share: a problem instance in double
 * (x, w, labels drawn from check.h's generator) and the modified softmax written out directly
 * (softmax of ||x|| cos theta_j, with its cross-entropy), an independent reference for the
 * layer's m = 1 forward and its inference output. Include after check.h.
 */
#ifndef ASOFTMAX_TESTS_REFERENCE_H
#define ASOFTMAX_TESTS_REFERENCE_H

#include <math.h>
#include <stdlib.h>

#include "check.h"

/* A problem instance in double. */
typedef struct {
    int B, K, C, m;
    double lambda;
    double *x, *w;
    int *y;
} problem;

static __attribute__((unused)) problem make_problem(int B, int K, int C, int m, double lambda, int with_unlabeled)
{
    problem p = {B, K, C, m, lambda, dalloc((size_t)B * K), dalloc((size_t)C * K),
                 calloc((size_t)B, sizeof(int))};
    int i;
    for (i = 0; i < B * K; ++i) p.x[i] = nrand();
    for (i = 0; i < C * K; ++i) p.w[i] = nrand() * 0.5;
    for (i = 0; i < B; ++i) p.y[i] = (int)(urand() * C);
    if (with_unlabeled && B > 1) p.y[B - 1] = -1;
    return p;
}

static __attribute__((unused)) void free_problem(problem *p)
{
    free(p->x);
    free(p->w);
    free(p->y);
}

/* the modified softmax: L = sum_b logsumexp(z_b) - z_by, z_bj = w^_j . x_b */
static void modified_softmax(const problem *p, double *cost, double *out)
{
    int b, j, k;
    *cost = 0;
    for (b = 0; b < p->B; ++b) {
        double *z = out + (size_t)b * p->C, mx = -INFINITY, s = 0;
        for (j = 0; j < p->C; ++j) {
            double xw = 0, ww = 0;
            for (k = 0; k < p->K; ++k) {
                xw += p->x[(size_t)b * p->K + k] * p->w[(size_t)j * p->K + k];
                ww += p->w[(size_t)j * p->K + k] * p->w[(size_t)j * p->K + k];
            }
            z[j] = xw / sqrt(ww);
            mx = fmax(mx, z[j]);
        }
        for (j = 0; j < p->C; ++j) s += exp(z[j] - mx);
        if (p->y && p->y[b] >= 0) *cost += log(s) + mx - z[p->y[b]];
        for (j = 0; j < p->C; ++j) z[j] = exp(z[j] - mx) / s;
    }
}

#endif
