/*
 * asoftmax_batch.h — the [asoftmax] layer's pure batch functions on raw row-major pointers:
 * x (B,K), w (C,K), labels (B), out/delta (B,C). One source (asoftmax_generic.h) compiled
 * twice in asoftmax_layer.c: _f in float (training), _d in double (the tests' gradient
 * checks). Shapes and contracts: asoftmax_generic.h; math: docs/math.md.
 */
#ifndef ASOFTMAX_BATCH_H
#define ASOFTMAX_BATCH_H

#include "asoftmax_math.h"

float asoftmax_forward_f(int B, int K, int C, const float *x, const float *w, const int *labels,
                         int m, float lambda, float *out, float *delta, float *xcoef,
                         float *wcoef, float *xnorm, float *wnorm, float *xhat);
/* the same with the general margin (m1 real, m2, m3, s, lambda: asoftmax_math.h) */
float asoftmax_forward_g_f(int B, int K, int C, const float *x, const float *w, const int *labels,
                           const asoftmax_margin *g, float *out, float *delta, float *xcoef,
                           float *wcoef, float *xnorm, float *wnorm, float *xhat, float *ycoef);
double asoftmax_forward_g_d(int B, int K, int C, const double *x, const double *w,
                            const int *labels, const asoftmax_margin *g, double *out,
                            double *delta, double *xcoef, double *wcoef, double *xnorm,
                            double *wnorm, double *xhat, double *ycoef);
/* gradient=caffe (g->caffe): ycoef (B) from the forward, then dx += ycoef_b w_{y_b}; and the
 * official layer's in-place renormalization of the weight rows (norms (n) written) */
void asoftmax_backward_target_f(int B, int K, const int *labels, const float *ycoef,
                                const float *w, float *dx);
void asoftmax_backward_target_d(int B, int K, const int *labels, const double *ycoef,
                                const double *w, double *dx);
void asoftmax_normalize_rows_f(int n, int k, float *a, float *norms);
void asoftmax_normalize_rows_d(int n, int k, double *a, double *norms);
void asoftmax_backward_f(int B, int K, int C, const float *x, const float *w, const float *delta,
                         const float *xcoef, const float *wcoef, float *dx, float *dw);
double asoftmax_forward_d(int B, int K, int C, const double *x, const double *w,
                          const int *labels, int m, double lambda, double *out, double *delta,
                          double *xcoef, double *wcoef, double *xnorm, double *wnorm,
                          double *xhat);
void asoftmax_backward_d(int B, int K, int C, const double *x, const double *w,
                         const double *delta, const double *xcoef, const double *wcoef,
                         double *dx, double *dw);

#endif
