/*
 * asoftmax_generic.h — the batch math of the [asoftmax] layer, written once for a real
 * type and instantiated twice by asoftmax_layer.c: float (what Darknet trains with) and
 * double (what the finite-difference tests check in). Not a public header.
 *
 * Before including, define:
 *   ASM_REAL      float or double
 *   ASM_NAME(n)   n##_f or n##_d (each definition below names both functions it makes, so
 *                 that grep finds them)
 *   ASM_GEMM      a Darknet-style gemm(TA,TB,M,N,K,ALPHA,A,lda,B,ldb,BETA,C,ldc) on ASM_REAL
 *   ASM_GEMM_BETA0_READS_C  1 if that gemm reads C when BETA = 0 (Darknet's own loops scale
 *                 it: NaN * 0 = NaN, so C is zeroed first), 0 if it overwrites C
 * and have asoftmax_calloc(n, size) (calloc that exits on failure) in scope.
 *
 * Shapes: B samples, K features, C classes. x (B,K), w (C,K) row j = class j (stored,
 * not normalized). Math: docs/math.md §2-3.
 *
 * Threads (OpenMP, where the file is built with -fopenmp): every loop over rows is split
 * among threads only where each result is written by one thread in a fixed order, so that the
 * results do not depend on the number of threads; the two batch sums (the cost, and wcoef's
 * sum over samples) are taken in a fixed order after the parallel part.
 */

#ifndef ASM_GENERIC_ONCE
#define ASM_GENERIC_ONCE
/* loops over fewer entries than this run on one thread (the fork/join costs more) */
#define ASM_PAR_MIN 32768
/* wcoef's sum over the batch: the rows are cut into at most this many fixed chunks (B * c /
 * nchunk ..), each summed by one thread into its own (C) vector, and the vectors are added in
 * chunk order: the same sum whatever the number of threads */
#define ASM_CHUNKS 32
#ifdef _OPENMP
#include <omp.h>
#define ASM_MAX_THREADS() omp_get_max_threads()
#define ASM_THREAD() omp_get_thread_num()
#else
#define ASM_MAX_THREADS() 1
#define ASM_THREAD() 0
#endif
/* The per-entry loops (asm_forward_row: one exp per entry in double; asm_sumsq; the labels'
 * max) are also compiled for AVX-512 and AVX2, the copy picked once at load time from the
 * CPU (GCC's target_clones; under -Ofast the row loops then call glibc's 8- or 4-wide vector
 * exp instead of the 2-wide SSE2 one: ~3x faster on AVX-512). Only the speed differs: every
 * copy rounds to float at the same steps, and differences in double are far below the
 * resolution of the error bounds (tests/asoftmax_bounds.h). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) && \
    defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__) /* ifunc: glibc; not under ASan */
#define ASM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ASM_CLONES
#endif
#endif

/* sum of v_j^2 over v (k), in double */
/* asm_sumsq_f, asm_sumsq_d */
ASM_CLONES static double ASM_NAME(asm_sumsq)(int k, const ASM_REAL *v)
{
    double s = 0;
    int j;
    for (j = 0; j < k; ++j) s += (double)v[j] * v[j];
    return s;
}

/* norms (n) of the rows of a (n,k), accumulated in double, floored at ASOFTMAX_NORM_EPS */
/* asm_row_norms_f, asm_row_norms_d */
static void ASM_NAME(asm_row_norms)(int n, int k, const ASM_REAL *a, ASM_REAL *norms)
{
    int i;
#pragma omp parallel for schedule(static) if ((size_t)n * k >= ASM_PAR_MIN)
    for (i = 0; i < n; ++i) {
        const double s = sqrt(ASM_NAME(asm_sumsq)(k, a + (size_t)i * k));
        norms[i] = (ASM_REAL)(s > ASOFTMAX_NORM_EPS ? s : ASOFTMAX_NORM_EPS);
    }
}

/* out (n,k): row i += coef_i * row i of a (n,k); rows with coef_i = 0 are left as they are */
/* asm_add_scaled_rows_f, asm_add_scaled_rows_d */
static void ASM_NAME(asm_add_scaled_rows)(int n, int k, const ASM_REAL *coef, const ASM_REAL *a,
                                          ASM_REAL *out)
{
    int i;
#pragma omp parallel for schedule(static) if ((size_t)n * k >= ASM_PAR_MIN)
    for (i = 0; i < n; ++i) {
        const ASM_REAL c = coef[i], *v = a + (size_t)i * k;
        ASM_REAL *o = out + (size_t)i * k;
        int j;
        if (c == 0) continue;
        for (j = 0; j < k; ++j) o[j] += c * v[j];
    }
}

/*
 * One row (sample) of the forward pass, after the GEMM: docs/math.md §2.2, §3.2, §7.
 *   row (C):   in: x^_b . w_j;  out: p_bj (softmax of the margin logits, or of the plain
 *              logits when y < 0)
 *   drow (C):  delta_b (NULL: inference, row only)
 *   gzsum (C): += G'_bj u_bj as ASM_REAL (NULL: not wanted)
 *   *xcoef_b:  written where drow and xcoef_b are not NULL
 *   y: label (-1 none), g: the margin, r = ||x_b||, inv_wn (C) = 1 / ||w_j|| in double,
 *   e (C): scratch.
 * The plain logits are u_j = rho cos theta_j, rho = r (g->s = 0: u_j = z_j = w^_j . x) or
 * g->s (normalized features); dL/dz_j = G'_j kappa with kappa = rho / r.
 * Returns the row's cross-entropy (0 when y < 0). Every entry of the row in double; one exp
 * per entry (kept in e between the sum and the normalization) and no division per entry.
 */
/* asm_forward_row_f, asm_forward_row_d */
ASM_CLONES static double ASM_NAME(asm_forward_row)(int C, int y, const asoftmax_margin *g,
                                                   double r, const double *inv_wn, ASM_REAL *row,
                                                   ASM_REAL *drow, ASM_REAL *gzsum,
                                                   ASM_REAL *xcoef_b, ASM_REAL *ycoef_b, double *e)
{
    const double rho = g->s > 0 ? g->s : r, kappa = g->s > 0 ? g->s / r : 1;
    double uy = 0, a = 1, bcoef = 0, fmax, sum = 0, inv_sum, cost = 0;
    ASM_REAL mx;
    int j;

    /* logits: u_j = (x^ . w_j) / ||w_j|| * rho; the target gets the margin blend */
    for (j = 0; j < C; ++j) row[j] = (ASM_REAL)((double)row[j] * inv_wn[j] * rho);
    if (y >= 0) {
        uy = row[y];
        row[y] = (ASM_REAL)asoftmax_target_logit_g(g, uy, rho, &a, &bcoef);
    }

    /* stable softmax: p_j = exp(f_j - max) / sum; loss = log(sum) + max - f_y */
    mx = row[0];
    for (j = 1; j < C; ++j) mx = row[j] > mx ? row[j] : mx;
    fmax = mx;
    for (j = 0; j < C; ++j) {
        e[j] = exp((double)row[j] - fmax);
        sum += e[j];
    }
    inv_sum = 1 / sum;
    if (y >= 0) {
        cost = log(sum) + fmax - row[y];
        row[y] = (ASM_REAL)uy; /* f_y is spent: the row holds u again (uy came from a row entry) */
    }

    if (!drow) {
        for (j = 0; j < C; ++j) row[j] = (ASM_REAL)(e[j] * inv_sum);
    } else if (y < 0) {
        /* unlabeled: zero delta and xcoef, and nothing added to wcoef */
        for (j = 0; j < C; ++j) {
            row[j] = (ASM_REAL)(e[j] * inv_sum);
            drow[j] = 0;
        }
        if (xcoef_b) *xcoef_b = 0;
        if (ycoef_b) *ycoef_b = 0;
    } else if (g->caffe) {
        /* gradient=caffe (docs/math.md §5), s = 0 and weights of norm 1: delta = -(p - [j = y]),
         * the plain top_diff that the weight product takes as it is (no margin factor, no
         * normalization term: wcoef = 0); the target's x-gradient g_y (lambda w_y + cw w_y +
         * cx x) / (1 + lambda) with (cw, cx) of norm 1: xcoef, and ycoef for the w_y part
         * beyond delta's -g_y w_y */
        double xc, yc;
        for (j = 0; j < C; ++j) {
            double p = e[j] * inv_sum;
            drow[j] = (ASM_REAL)(-(p - (j == y)));
            row[j] = (ASM_REAL)p;
        }
        asoftmax_caffe_row_coefs(g, uy, r, e[y] * inv_sum - 1, &xc, &yc);
        if (xcoef_b) *xcoef_b = (ASM_REAL)xc;
        if (ycoef_b) *ycoef_b = (ASM_REAL)yc;
    } else {
        double gzrow = 0;
        for (j = 0; j < C; ++j) {
            double gz, p = e[j] * inv_sum;
            drow[j] = (ASM_REAL)asoftmax_grad_entry(1, j == y, p, row[j], inv_wn[j] * kappa, a, &gz);
            /* wcoef_j = (w^_j . dL/dw^_j) / ||w_j||^2 = sum_b G'_bj u_bj / ||w_j||^2: the
             * projection that keeps the w-gradient orthogonal to w_j (G' u = dL/dz z) */
            if (gzsum) gzsum[j] += (ASM_REAL)gz;
            gzrow += gz;
            row[j] = (ASM_REAL)p;
        }
        /* the part of dL/dx_b along x_b: s = 0: -g_y b / r, from ||x_b|| psi(c);
         * s > 0: sum_j G'_j u_j / r^2, which makes the x-gradient orthogonal to x_b */
        if (xcoef_b) *xcoef_b = (ASM_REAL)asoftmax_xcoef(g, e[y] * inv_sum - 1, bcoef, gzrow, r);
    }
    return cost;
}

/*
 * Forward pass; a pure function of (x, w, labels, the margin g).
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
 *   *work (*work_bytes bytes, may start NULL / 0): more scratch, grown here as needed and
 *   left for the next call (the layer keeps it; see asoftmax_forward below).
 * Returns the cross-entropy summed over the labeled rows (0 for inference).
 */
/* asm_forward_work_f, asm_forward_work_d */
static ASM_REAL ASM_NAME(asm_forward_work)(int B, int K, int C, const ASM_REAL *x,
                                           const ASM_REAL *w, const int *labels,
                                           const asoftmax_margin *g, ASM_REAL *out, ASM_REAL *delta,
                                           ASM_REAL *xcoef, ASM_REAL *wcoef, ASM_REAL *xnorm,
                                           ASM_REAL *wnorm, ASM_REAL *xhat, ASM_REAL *ycoef,
                                           void **work, size_t *work_bytes)
{
    const int nchunk = B < ASM_CHUNKS ? B : ASM_CHUNKS;
    const int par = (size_t)B * C >= ASM_PAR_MIN;
    const int nthreads = par ? ASM_MAX_THREADS() : 1;
    /* vectors start on their own cache lines (64 bytes): lengths rounded up to Cd, Bd, Cr */
    const size_t Cd = ((size_t)C + 7) & ~(size_t)7, Bd = ((size_t)B + 7) & ~(size_t)7;
    const size_t Cr = ((size_t)C + 15) & ~(size_t)15;
    /* the scratch: inv_wn (C) = 1 / ||w_j||, rowcost (B), e (nthreads, Cd) for
     * asm_forward_row, gzpart (nchunk, Cr): chunk c's sum of G'_bj z_bj over its rows */
    const size_t bytes = sizeof(double) * (Cd + Bd + (size_t)nthreads * Cd) +
                         sizeof(ASM_REAL) * (size_t)nchunk * Cr;
    double *inv_wn, *rowcost, *ebuf;
    ASM_REAL *gzpart;
    double cost = 0;
    int b, j;

    if (*work_bytes < bytes) {
        free(*work);
        *work = asoftmax_calloc(bytes, 1);
        *work_bytes = bytes;
    }
    inv_wn = (double *)*work;
    rowcost = inv_wn + Cd;
    ebuf = rowcost + Bd;
    gzpart = (ASM_REAL *)(ebuf + (size_t)nthreads * Cd);

    ASM_NAME(asm_row_norms)(C, K, w, wnorm);
    ASM_NAME(asm_row_norms)(B, K, x, xnorm);
    for (j = 0; j < C; ++j) inv_wn[j] = 1 / (double)wnorm[j];

    /* out = x^ w^T: cos theta_bj * ||w_j||, turned into z_bj = ||x_b|| cos theta_bj below */
#pragma omp parallel for schedule(static) if (par)
    for (b = 0; b < B; ++b) {
        int k;
        for (k = 0; k < K; ++k) xhat[(size_t)b * K + k] = x[(size_t)b * K + k] / xnorm[b];
        if (ASM_GEMM_BETA0_READS_C) memset(out + (size_t)b * C, 0, sizeof(ASM_REAL) * C);
    }
    ASM_GEMM(0, 1, B, C, K, 1, xhat, K, (ASM_REAL *)w, K, 0, out, C);

    /* the rows, chunk by chunk (a chunk's rows in order, on one thread) */
#pragma omp parallel num_threads(nthreads) if (par)
    {
        double *e = ebuf + (size_t)ASM_THREAD() * Cd;
        int ci;
#pragma omp for schedule(static)
        for (ci = 0; ci < nchunk; ++ci) {
            const int b0 = (int)((long long)B * ci / nchunk);
            const int b1 = (int)((long long)B * (ci + 1) / nchunk);
            ASM_REAL *gz = gzpart + (size_t)ci * Cr;
            int bb;
            memset(gz, 0, sizeof(ASM_REAL) * C);
            for (bb = b0; bb < b1; ++bb)
                rowcost[bb] = ASM_NAME(asm_forward_row)(
                    C, labels ? labels[bb] : -1, g, xnorm[bb], inv_wn, out + (size_t)bb * C,
                    delta ? delta + (size_t)bb * C : NULL, delta ? gz : NULL,
                    delta && xcoef ? xcoef + bb : NULL, delta && ycoef ? ycoef + bb : NULL, e);
        }
    }
    for (b = 0; b < B; ++b) cost += rowcost[b];
    if (wcoef) {
#pragma omp parallel for schedule(static) if (par)
        for (j = 0; j < C; ++j) {
            ASM_REAL s = 0;
            int ci;
            for (ci = 0; ci < nchunk; ++ci) s += gzpart[(size_t)ci * Cr + j];
            wcoef[j] = (ASM_REAL)(s / ((double)wnorm[j] * wnorm[j]));
        }
    }
    return (ASM_REAL)cost;
}

/* asm_forward_work with scratch of its own (allocated and freed here): the public functions
 * (asoftmax_layer.h), used by the tests. The layer calls asm_forward_work with the scratch
 * it keeps: a fresh (~1.5 MB) allocation at every step costs page faults and, with threads,
 * TLB shootdowns (measured: ~0.5 ms a step at B=256 K=512 C=10572 on 2 cores). */
/* asoftmax_forward_g_f, asoftmax_forward_g_d */
ASM_REAL ASM_NAME(asoftmax_forward_g)(int B, int K, int C, const ASM_REAL *x, const ASM_REAL *w,
                                      const int *labels, const asoftmax_margin *g, ASM_REAL *out,
                                      ASM_REAL *delta, ASM_REAL *xcoef, ASM_REAL *wcoef,
                                      ASM_REAL *xnorm, ASM_REAL *wnorm, ASM_REAL *xhat,
                                      ASM_REAL *ycoef)
{
    void *work = NULL;
    size_t work_bytes = 0;
    ASM_REAL cost = ASM_NAME(asm_forward_work)(B, K, C, x, w, labels, g, out, delta, xcoef,
                                               wcoef, xnorm, wnorm, xhat, ycoef, &work,
                                               &work_bytes);
    free(work);
    return cost;
}

/* SphereFace's integer margin m with lambda (m2 = m3 = s = 0) */
/* asoftmax_forward_f, asoftmax_forward_d */
ASM_REAL ASM_NAME(asoftmax_forward)(int B, int K, int C, const ASM_REAL *x, const ASM_REAL *w,
                                    const int *labels, int m, ASM_REAL lambda, ASM_REAL *out,
                                    ASM_REAL *delta, ASM_REAL *xcoef, ASM_REAL *wcoef,
                                    ASM_REAL *xnorm, ASM_REAL *wnorm, ASM_REAL *xhat)
{
    asoftmax_margin g;
    g.m1 = m;
    g.m2 = g.m3 = g.s = 0;
    g.lambda = lambda;
    g.caffe = 0;
    return ASM_NAME(asoftmax_forward_g)(B, K, C, x, w, labels, &g, out, delta, xcoef, wcoef,
                                        xnorm, wnorm, xhat, NULL);
}

/*
 * Backward pass: adds the negative gradients (Darknet convention) of the summed loss.
 *   dx (B,K) += delta w + xcoef o x      (skipped when dx == NULL: layer 0)
 *   dw (C,K) += delta^T x + wcoef o w
 */
/* asoftmax_backward_f, asoftmax_backward_d */
void ASM_NAME(asoftmax_backward)(int B, int K, int C, const ASM_REAL *x, const ASM_REAL *w,
                                 const ASM_REAL *delta, const ASM_REAL *xcoef,
                                 const ASM_REAL *wcoef, ASM_REAL *dx, ASM_REAL *dw)
{
    if (dx) {
        ASM_GEMM(0, 0, B, K, C, 1, (ASM_REAL *)delta, C, (ASM_REAL *)w, K, 1, dx, K);
        ASM_NAME(asm_add_scaled_rows)(B, K, xcoef, x, dx);
    }
    ASM_GEMM(1, 0, C, K, B, 1, (ASM_REAL *)delta, C, (ASM_REAL *)x, K, 1, dw, K);
    ASM_NAME(asm_add_scaled_rows)(C, K, wcoef, w, dw);
}

/* gradient=caffe: dx (B,K) += ycoef_b * w_{y_b} for the labeled rows (the target's part of
 * the official layer's x-gradient beyond delta's; asm_forward_row) */
/* asoftmax_backward_target_f, asoftmax_backward_target_d */
void ASM_NAME(asoftmax_backward_target)(int B, int K, const int *labels, const ASM_REAL *ycoef,
                                        const ASM_REAL *w, ASM_REAL *dx)
{
    int b, k;
    for (b = 0; b < B; ++b) {
        const ASM_REAL c = ycoef[b], *wy;
        ASM_REAL *o = dx + (size_t)b * K;
        if (labels[b] < 0 || c == 0) continue;
        wy = w + (size_t)labels[b] * K;
        for (k = 0; k < K; ++k) o[k] += c * wy[k];
    }
}

/* gradient=caffe: the weight rows (n,k) scaled to norm 1 in place, by their norms taken as in
 * asm_row_norms (the official layer renormalizes its weights at every forward pass) */
/* asoftmax_normalize_rows_f, asoftmax_normalize_rows_d */
void ASM_NAME(asoftmax_normalize_rows)(int n, int k, ASM_REAL *a, ASM_REAL *norms)
{
    int i, j;
    ASM_NAME(asm_row_norms)(n, k, a, norms);
    for (i = 0; i < n; ++i)
        for (j = 0; j < k; ++j) a[(size_t)i * k + j] = a[(size_t)i * k + j] / norms[i];
}
