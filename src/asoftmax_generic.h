/*
 * asoftmax_generic.h — the batch math of the [asoftmax] layer, written once for a real
 * type and instantiated twice by asoftmax_layer.c: float (what Darknet trains with) and
 * double (what the finite-difference tests check in). Not a public header.
 *
 * Before including, define:
 *   ASM_REAL      float or double
 *   ASM_NAME(n)   n##_f or n##_d
 *   ASM_GEMM      a Darknet-style gemm(TA,TB,M,N,K,ALPHA,A,lda,B,ldb,BETA,C,ldc) on ASM_REAL
 *
 * Shapes: B samples, K features, C classes. x (B,K), w (C,K) row j = class j (stored,
 * not normalized). Math: docs/math.md §2-3.
 */

/* norms (n) of the rows of a (n,k), accumulated in double, floored at ASOFTMAX_NORM_EPS */
static void ASM_NAME(asm_row_norms)(int n, int k, const ASM_REAL *a, ASM_REAL *norms)
{
    int i, j;
    for (i = 0; i < n; ++i) {
        const ASM_REAL *v = a + (size_t)i * k;
        double s = 0;
        for (j = 0; j < k; ++j) s += (double)v[j] * v[j];
        s = sqrt(s);
        norms[i] = (ASM_REAL)(s > ASOFTMAX_NORM_EPS ? s : ASOFTMAX_NORM_EPS);
    }
}

/* y (n) += alpha * x (n) */
static void ASM_NAME(asm_axpy)(int n, ASM_REAL alpha, const ASM_REAL *x, ASM_REAL *y)
{
    int i;
    if (alpha == 0) return;
    for (i = 0; i < n; ++i) y[i] += alpha * x[i];
}

/*
 * Forward pass; a pure function of (x, w, labels, m, lambda).
 *   labels (B): class of each sample, -1 = no label; labels == NULL means inference.
 *   out   (B,C): softmax of the margin logits f (plain logits z where a row has no label);
 *                 need not be initialized.
 *   Where delta != NULL, also writes the state backward needs (zeros for unlabeled rows):
 *     delta (B,C) = -dL/d(x w^T)                (Darknet's negative-gradient convention)
 *     xcoef (B), wcoef (C): so that  -dL/dx_b = sum_j delta_bj w_j + xcoef_b x_b
 *                                    -dL/dw_j = sum_b delta_bj x_b + wcoef_j w_j
 *   Scratch: xnorm (B) = ||x_b||, wnorm (C) = ||w_j|| (floored at ASOFTMAX_NORM_EPS),
 *   xhat (B,K) = x_b / ||x_b||. The product is taken as x^ . w_j, bounded by ||w_j||, so
 *   that features and weights near the float range (1e30) cannot overflow it.
 * Returns the cross-entropy summed over the labeled rows (0 for inference).
 */
ASM_REAL ASM_NAME(asoftmax_forward)(int B, int K, int C, const ASM_REAL *x, const ASM_REAL *w,
                                    const int *labels, int m, ASM_REAL lambda, ASM_REAL *out,
                                    ASM_REAL *delta, ASM_REAL *xcoef, ASM_REAL *wcoef,
                                    ASM_REAL *xnorm, ASM_REAL *wnorm, ASM_REAL *xhat)
{
    int b, j, k;
    size_t i;
    double cost = 0;
    ASM_NAME(asm_row_norms)(C, K, w, wnorm);
    ASM_NAME(asm_row_norms)(B, K, x, xnorm);
    if (wcoef) for (j = 0; j < C; ++j) wcoef[j] = 0;

    /* out = x^ w^T: cos theta_bj * ||w_j||, turned into z_bj = ||x_b|| cos theta_bj below */
    for (b = 0; b < B; ++b)
        for (k = 0; k < K; ++k) xhat[(size_t)b * K + k] = x[(size_t)b * K + k] / xnorm[b];
    for (i = 0; i < (size_t)B * C; ++i) out[i] = 0; /* gemm scales out by BETA = 0: NaN*0 = NaN */
    ASM_GEMM(0, 1, B, C, K, 1, xhat, K, (ASM_REAL *)w, K, 0, out, C);

    for (b = 0; b < B; ++b) {
        ASM_REAL *row = out + (size_t)b * C;
        ASM_REAL *drow = delta ? delta + (size_t)b * C : NULL;
        const int y = labels ? labels[b] : -1;
        const double r = xnorm[b];
        double zy = 0, a = 1, bcoef = 0, fmax, sum = 0;

        /* logits: f_j = z_j = w^_j . x; the target gets the margin blend */
        for (j = 0; j < C; ++j) row[j] = (ASM_REAL)((double)row[j] / wnorm[j] * r);
        if (y >= 0) {
            zy = row[y];
            row[y] = (ASM_REAL)asoftmax_target_logit(m, lambda, zy, r, &a, &bcoef);
        }

        /* stable softmax: p_j = exp(f_j - max) / sum; loss = log(sum) + max - f_y */
        fmax = row[0];
        for (j = 1; j < C; ++j) if (row[j] > fmax) fmax = row[j];
        for (j = 0; j < C; ++j) sum += exp(row[j] - fmax);
        if (y >= 0) cost += log(sum) + fmax - row[y];

        for (j = 0; j < C; ++j) {
            double p = exp(row[j] - fmax) / sum;
            if (drow) {
                double gz, z = (j == y) ? zy : row[j];
                drow[j] = (ASM_REAL)asoftmax_grad_entry(y >= 0, j == y, p, z, wnorm[j], a, &gz);
                /* wcoef_j = (w^_j . dL/dw^_j) / ||w_j||^2 = sum_b G'_bj z_bj / ||w_j||^2: the
                 * projection that keeps the w-gradient orthogonal to w_j */
                if (wcoef) wcoef[j] += (ASM_REAL)gz;
                /* xcoef_b = -g_y b / r: the part of dL/dx_b along x_b from ||x_b|| psi(c) */
                if (xcoef && j == y) xcoef[b] = (ASM_REAL)(-(p - 1) * bcoef / r);
            }
            row[j] = (ASM_REAL)p;
        }
        if (xcoef && y < 0) xcoef[b] = 0;
    }
    if (wcoef) for (j = 0; j < C; ++j) wcoef[j] = (ASM_REAL)(wcoef[j] / ((double)wnorm[j] * wnorm[j]));
    return (ASM_REAL)cost;
}

/*
 * Backward pass: adds the negative gradients (Darknet convention) of the summed loss.
 *   dx (B,K) += delta w + xcoef o x      (skipped when dx == NULL: layer 0)
 *   dw (C,K) += delta^T x + wcoef o w
 */
void ASM_NAME(asoftmax_backward)(int B, int K, int C, const ASM_REAL *x, const ASM_REAL *w,
                                 const ASM_REAL *delta, const ASM_REAL *xcoef,
                                 const ASM_REAL *wcoef, ASM_REAL *dx, ASM_REAL *dw)
{
    int i;
    if (dx) {
        ASM_GEMM(0, 0, B, K, C, 1, (ASM_REAL *)delta, C, (ASM_REAL *)w, K, 1, dx, K);
        for (i = 0; i < B; ++i) ASM_NAME(asm_axpy)(K, xcoef[i], x + (size_t)i * K, dx + (size_t)i * K);
    }
    ASM_GEMM(1, 0, C, K, B, 1, (ASM_REAL *)delta, C, (ASM_REAL *)x, K, 1, dw, K);
    for (i = 0; i < C; ++i) ASM_NAME(asm_axpy)(K, wcoef[i], w + (size_t)i * K, dw + (size_t)i * K);
}
