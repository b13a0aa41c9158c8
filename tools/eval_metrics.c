/*
 * eval_metrics.c — pure metric functions of tools/asoftmax_eval.c: top-1, angular Fisher
 * score, pair-angle histograms and their overlap, all-pair scores, LFW-style k-fold
 * verification, TAR at FAR / ROC / AUC (exact, on radix-sorted float scores), and the LFW
 * pairs.txt reader. Contracts and shapes: eval_metrics.h. Unit tests:
 * tests/test_eval_metrics.c. Everything accumulates in double; nothing here prints or exits.
 */
#include "eval_metrics.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- vectors ---- */

double em_cosine(const float *a, const float *b, int d)
{
    double ab = 0, aa = 0, bb = 0, c;
    int k;
    for (k = 0; k < d; ++k) {
        ab += (double)a[k] * b[k];
        aa += (double)a[k] * a[k];
        bb += (double)b[k] * b[k];
    }
    if (aa == 0 || bb == 0) return 0;
    c = ab / sqrt(aa * bb);
    return c > 1 ? 1 : c < -1 ? -1 : c;
}

double em_angle_deg(const float *a, const float *b, int d)
{
    return acos(em_cosine(a, b, d)) * (180.0 / M_PI);
}

/* ---- classification ---- */

double em_top1(const float *scores, int n, int C, const int *labels)
{
    int i, j, hit = 0;
    if (n <= 0 || C <= 0) return NAN;
    for (i = 0; i < n; ++i) {
        const float *s = scores + (size_t)i * C;
        int best = 0;
        for (j = 1; j < C; ++j)
            if (s[j] > s[best]) best = j;
        hit += best == labels[i];
    }
    return (double)hit / n;
}

/* ---- angular Fisher score ---- */

/* cosine of two double vectors; 0 if either is zero */
static double cos_dd(const double *a, const double *b, int d)
{
    double ab = 0, aa = 0, bb = 0, c;
    int k;
    for (k = 0; k < d; ++k) {
        ab += a[k] * b[k];
        aa += a[k] * a[k];
        bb += b[k] * b[k];
    }
    if (aa == 0 || bb == 0) return 0;
    c = ab / sqrt(aa * bb);
    return c > 1 ? 1 : c < -1 ? -1 : c;
}

int em_angular_fisher(const float *x, int n, int d, const int *labels, int nclasses,
                      double *afs, double *sw, double *sb)
{
    double *mu, *mui, *xd, Sw = 0, Sb = 0;
    long *cnt;
    int i, k;
    if (!x || !labels || !afs || n <= 0 || d <= 0 || nclasses <= 0) return -1;
    for (i = 0; i < n; ++i)
        if (labels[i] < 0 || labels[i] >= nclasses) return -1;
    mu = calloc((size_t)d, sizeof(double));
    mui = calloc((size_t)nclasses * d, sizeof(double));
    cnt = calloc((size_t)nclasses, sizeof(long));
    xd = malloc((size_t)d * sizeof(double)); /* one feature row in double */
    if (!mu || !mui || !cnt || !xd) {
        free(mu); free(mui); free(cnt); free(xd);
        return -1;
    }
    for (i = 0; i < n; ++i) {
        const float *xi = x + (size_t)i * d;
        double *m = mui + (size_t)labels[i] * d;
        for (k = 0; k < d; ++k) {
            m[k] += xi[k];
            mu[k] += xi[k];
        }
        ++cnt[labels[i]];
    }
    for (k = 0; k < d; ++k) mu[k] /= n;
    for (i = 0; i < nclasses; ++i)
        for (k = 0; k < d; ++k)
            if (cnt[i]) mui[(size_t)i * d + k] /= cnt[i];
    for (i = 0; i < n; ++i) {
        for (k = 0; k < d; ++k) xd[k] = x[(size_t)i * d + k];
        Sw += 1 - cos_dd(mui + (size_t)labels[i] * d, xd, d);
    }
    for (i = 0; i < nclasses; ++i)
        if (cnt[i]) Sb += cnt[i] * (1 - cos_dd(mui + (size_t)i * d, mu, d));
    *afs = Sb > 0 ? Sw / Sb : Sw > 0 ? INFINITY : NAN;
    if (sw) *sw = Sw;
    if (sb) *sb = Sb;
    free(mu); free(mui); free(cnt); free(xd);
    return 0;
}

/* ---- pair-angle distributions ---- */

/* running sums of the pair angles of one kind */
typedef struct {
    double n, sum, sum2, min, max;
} acc_t;

static void acc_add(acc_t *a, double deg, double *hist, int nbins)
{
    int b = (int)(deg * nbins / 180.0);
    if (b >= nbins) b = nbins - 1;
    if (b < 0) b = 0;
    hist[b] += 1;
    a->n += 1;
    a->sum += deg;
    a->sum2 += deg * deg;
    if (deg < a->min) a->min = deg;
    if (deg > a->max) a->max = deg;
}

static void acc_merge(acc_t *a, const acc_t *b)
{
    a->n += b->n;
    a->sum += b->sum;
    a->sum2 += b->sum2;
    if (b->min < a->min) a->min = b->min;
    if (b->max > a->max) a->max = b->max;
}

static void acc_stats(const acc_t *s, const acc_t *dd, em_pair_stats *st)
{
    if (!st) return;
    st->n_same = s->n;
    st->n_diff = dd->n;
    st->same_mean = s->n > 0 ? s->sum / s->n : NAN;
    st->same_std = s->n > 0 ? sqrt(fmax(0, s->sum2 / s->n - st->same_mean * st->same_mean)) : NAN;
    st->same_min = s->n > 0 ? s->min : NAN;
    st->same_max = s->n > 0 ? s->max : NAN;
    st->diff_mean = dd->n > 0 ? dd->sum / dd->n : NAN;
    st->diff_std = dd->n > 0 ? sqrt(fmax(0, dd->sum2 / dd->n - st->diff_mean * st->diff_mean)) : NAN;
    st->diff_min = dd->n > 0 ? dd->min : NAN;
    st->diff_max = dd->n > 0 ? dd->max : NAN;
}

/* a.b in double with four independent partial sums (4x the speed of one chain) */
static double dot_d(const float *a, const float *b, int d)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int k = 0;
    for (; k + 4 <= d; k += 4) {
        s0 += (double)a[k] * b[k];
        s1 += (double)a[k + 1] * b[k + 1];
        s2 += (double)a[k + 2] * b[k + 2];
        s3 += (double)a[k + 3] * b[k + 3];
    }
    for (; k < d; ++k) s0 += (double)a[k] * b[k];
    return (s0 + s1) + (s2 + s3);
}

/* same-class count of each row's later pairs: offsets of row r's scores in the output
 * arrays, so that every pair has its place whatever thread computes it */
static int row_offsets(const int *labels, int n, size_t **offs, size_t **offd)
{
    size_t as = 0, ad = 0;
    int r, j;
    *offs = malloc((size_t)n * sizeof(size_t));
    *offd = malloc((size_t)n * sizeof(size_t));
    if (!*offs || !*offd) {
        free(*offs); free(*offd);
        *offs = *offd = NULL;
        return -1;
    }
    for (r = 0; r < n; ++r) {
        size_t s = 0;
        for (j = r + 1; j < n; ++j) s += labels[j] == labels[r];
        (*offs)[r] = as;
        (*offd)[r] = ad;
        as += s;
        ad += (size_t)(n - 1 - r) - s;
    }
    return 0;
}

int em_pair_scores(const float *x, int n, int d, const int *labels, float *same_s,
                   float *diff_s, int nbins, double *same, double *diff, em_pair_stats *st)
{
    const acc_t empty = {0, 0, 0, INFINITY, -INFINITY};
    acc_t as = empty, ad = empty, *ras = NULL, *rad = NULL;
    size_t *offs = NULL, *offd = NULL;
    float *u;
    int i, k, failed = 0, hist = same != NULL;
    if (!x || !labels || n <= 0 || d <= 0 || (same_s == NULL) != (diff_s == NULL) ||
        (same == NULL) != (diff == NULL) || (hist && nbins <= 0) || (!hist && st))
        return -1;
    u = malloc((size_t)n * d * sizeof(float));
    if (hist) {
        ras = malloc((size_t)n * sizeof(acc_t)); /* row i's pairs (i, j > i), reduced in row */
        rad = malloc((size_t)n * sizeof(acc_t)); /* order below: same sums for any thread count */
    }
    if (!u || (hist && (!ras || !rad)) || (same_s && row_offsets(labels, n, &offs, &offd))) {
        free(u); free(ras); free(rad);
        return -1;
    }
    /* unit rows (zero rows stay zero: cosine 0, angle 90) */
    for (i = 0; i < n; ++i) {
        const float *xi = x + (size_t)i * d;
        double nn = 0;
        for (k = 0; k < d; ++k) nn += (double)xi[k] * xi[k];
        nn = nn > 0 ? 1 / sqrt(nn) : 0;
        for (k = 0; k < d; ++k) u[(size_t)i * d + k] = (float)(xi[k] * nn);
    }
    /* O(n^2 d): rows shared out between OpenMP threads (when built with -fopenmp), each
     * with its own histogram; counts are whole numbers, so merging them is exact; scores go
     * to places fixed by the row offsets */
#ifdef _OPENMP
#pragma omp parallel
#endif
    {
        double *h = hist ? calloc((size_t)2 * nbins, sizeof(double)) : NULL;
        int r, j, b;
        if (hist && !h) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            failed = 1;
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 16)
#endif
        for (r = 0; r < n; ++r) {
            const float *ur = u + (size_t)r * d;
            float *ps = same_s ? same_s + offs[r] : NULL, *pd = diff_s ? diff_s + offd[r] : NULL;
            if (hist) {
                ras[r] = empty;
                rad[r] = empty;
                if (!h) continue;
            }
            for (j = r + 1; j < n; ++j) {
                double c = dot_d(ur, u + (size_t)j * d, d);
                c = c > 1 ? 1 : c < -1 ? -1 : c;
                if (labels[r] == labels[j]) {
                    if (ps) *ps++ = (float)c + 0.0f; /* + 0.0f: -0 becomes +0 */
                    if (hist) acc_add(&ras[r], acos(c) * (180.0 / M_PI), h, nbins);
                } else {
                    if (pd) *pd++ = (float)c + 0.0f;
                    if (hist) acc_add(&rad[r], acos(c) * (180.0 / M_PI), h + nbins, nbins);
                }
            }
        }
#ifdef _OPENMP
#pragma omp critical
#endif
        if (h) {
            for (b = 0; b < nbins; ++b) {
                same[b] += h[b];
                diff[b] += h[nbins + b];
            }
        }
        free(h);
    }
    if (hist)
        for (i = 0; i < n; ++i) {
            acc_merge(&as, &ras[i]);
            acc_merge(&ad, &rad[i]);
        }
    free(u); free(ras); free(rad); free(offs); free(offd);
    if (failed) return -1;
    if (hist) acc_stats(&as, &ad, st);
    return 0;
}

int em_pair_angle_hist(const float *x, int n, int d, const int *labels, int nbins,
                       double *same, double *diff, em_pair_stats *st)
{
    if (!same || !diff) return -1;
    return em_pair_scores(x, n, d, labels, NULL, NULL, nbins, same, diff, st);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

int em_count_pairs(const int *labels, int n, size_t *n_same, size_t *n_diff)
{
    int *v, i, j;
    size_t s = 0;
    if (!labels || n < 0 || !n_same || !n_diff) return -1;
    v = malloc((size_t)(n ? n : 1) * sizeof(int));
    if (!v) return -1;
    memcpy(v, labels, (size_t)n * sizeof(int));
    qsort(v, (size_t)n, sizeof(int), cmp_int);
    for (i = 0; i < n; i = j) {
        for (j = i; j < n && v[j] == v[i]; ++j) {}
        s += (size_t)(j - i) * (size_t)(j - i - 1) / 2;
    }
    free(v);
    *n_same = s;
    *n_diff = (size_t)n * (size_t)(n > 0 ? n - 1 : 0) / 2 - s;
    return 0;
}

int em_pairs_angle_hist(const float *x, int d, const em_pair *pairs, int np, int nbins,
                        double *same, double *diff, em_pair_stats *st)
{
    acc_t as = {0, 0, 0, INFINITY, -INFINITY}, ad = as;
    int i;
    if (!x || !pairs || !same || !diff || np < 0 || d <= 0 || nbins <= 0) return -1;
    for (i = 0; i < np; ++i) {
        double a = em_angle_deg(x + (size_t)pairs[i].a * d, x + (size_t)pairs[i].b * d, d);
        acc_add(pairs[i].same ? &as : &ad, a, pairs[i].same ? same : diff, nbins);
    }
    acc_stats(&as, &ad, st);
    return 0;
}

double em_hist_overlap(const double *p, const double *q, int nbins)
{
    double sp = 0, sq = 0, o = 0;
    int b;
    for (b = 0; b < nbins; ++b) {
        sp += p[b];
        sq += q[b];
    }
    if (!(sp > 0) || !(sq > 0)) return NAN;
    for (b = 0; b < nbins; ++b) o += fmin(p[b] / sp, q[b] / sq);
    return o;
}

double em_hist_quantile(const double *h, int nbins, double frac)
{
    double tot = 0, acc = 0, w = 180.0 / nbins, target;
    int b;
    for (b = 0; b < nbins; ++b) tot += h[b];
    if (!(tot > 0) || !(frac >= 0 && frac <= 1)) return NAN;
    target = frac * tot;
    for (b = 0; b < nbins; ++b) {
        if (h[b] > 0 && acc + h[b] >= target) return (b + (target - acc) / h[b]) * w;
        acc += h[b];
    }
    return 180.0;
}

/* ---- verification ---- */

/* splitmix64: a small, well-mixed, portable generator (same pairs on every machine) */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static int rng_below(uint64_t *s, int n) /* uniform in [0, n) */
{
    return (int)((double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0) * n);
}

/* open-addressing set of unordered pairs */
typedef struct {
    uint64_t *keys; /* 0 = empty; key = ((a+1) << 32) | (b+1), a < b */
    size_t mask;
} pairset;

static int pairset_insert(pairset *ps, int a, int b) /* 1 = new, 0 = already there */
{
    uint64_t key;
    size_t h;
    if (a > b) { int t = a; a = b; b = t; }
    key = ((uint64_t)(a + 1) << 32) | (uint64_t)(b + 1);
    h = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 17) & ps->mask;
    while (ps->keys[h]) {
        if (ps->keys[h] == key) return 0;
        h = (h + 1) & ps->mask;
    }
    ps->keys[h] = key;
    return 1;
}

int em_make_pairs(const int *labels, int n, int npairs, int nfolds, unsigned long long seed,
                  em_pair *pairs)
{
    int *start = NULL, *members = NULL, *fill = NULL, *eligible = NULL;
    int nclasses = 0, neligible = 0, i, f, per, half, ok = -1, distinct = 0;
    long draws = 0, max_draws;
    uint64_t s = seed;
    pairset ps = {NULL, 0};
    size_t cap = 16;

    if (!labels || !pairs || n < 2 || nfolds <= 0 || npairs <= 0 || npairs % (2 * nfolds))
        return -1;
    for (i = 0; i < n; ++i) {
        if (labels[i] < 0) return -1;
        if (labels[i] + 1 > nclasses) nclasses = labels[i] + 1;
    }
    /* class member lists (counting sort) */
    start = calloc((size_t)nclasses + 1, sizeof(int));
    fill = calloc((size_t)nclasses, sizeof(int));
    members = malloc((size_t)n * sizeof(int));
    eligible = malloc((size_t)n * sizeof(int));
    while (cap < (size_t)npairs * 4) cap <<= 1;
    ps.keys = calloc(cap, sizeof(uint64_t));
    ps.mask = cap - 1;
    if (!start || !fill || !members || !eligible || !ps.keys) goto out;
    for (i = 0; i < n; ++i) ++start[labels[i] + 1];
    for (i = 0; i < nclasses; ++i) {
        if (start[i + 1] > 0) ++distinct;
        start[i + 1] += start[i];
    }
    for (i = 0; i < n; ++i) members[start[labels[i]] + fill[labels[i]]++] = i;
    for (i = 0; i < n; ++i)
        if (start[labels[i] + 1] - start[labels[i]] >= 2) eligible[neligible++] = i;
    if (neligible == 0 || distinct < 2) goto out;

    per = npairs / nfolds;
    half = per / 2;
    max_draws = 100L * npairs;
    for (f = 0; f < nfolds; ++f) {
        em_pair *p = pairs + (size_t)f * per;
        for (i = 0; i < per; ++i) {
            int a, b;
            for (;;) {
                if (++draws > max_draws) goto out;
                if (i < half) { /* same class: a random eligible row, another of its class */
                    int c, k;
                    a = eligible[rng_below(&s, neligible)];
                    c = labels[a];
                    k = rng_below(&s, start[c + 1] - start[c] - 1);
                    b = members[start[c] + k];
                    if (b == a) b = members[start[c + 1] - 1]; /* skip a itself */
                } else { /* different classes */
                    a = rng_below(&s, n);
                    b = rng_below(&s, n);
                    if (labels[a] == labels[b]) continue;
                }
                if (pairset_insert(&ps, a, b)) break;
            }
            p[i].a = a;
            p[i].b = b;
            p[i].same = i < half;
            p[i].fold = f;
        }
    }
    ok = 0;
out:
    free(start); free(fill); free(members); free(eligible); free(ps.keys);
    return ok;
}

typedef struct {
    double s;
    int same;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return x < y ? -1 : x > y;
}

int em_best_threshold(const double *score, const int *same, const int *use, int np,
                      double *thr, double *acc)
{
    scored *v;
    int i, m = 0, pos = 0, correct, best;
    double best_t;
    if (!score || !same || !thr || np <= 0) return -1;
    v = malloc((size_t)np * sizeof(scored));
    if (!v) return -1;
    for (i = 0; i < np; ++i)
        if (!use || use[i]) {
            v[m].s = score[i];
            v[m].same = same[i] != 0;
            pos += v[m].same;
            ++m;
        }
    if (m == 0) {
        free(v);
        return -1;
    }
    qsort(v, (size_t)m, sizeof(scored), cmp_scored);
    /* t = -inf: everything is called "same" */
    correct = pos;
    best = correct;
    best_t = -INFINITY;
    /* raising t past each run of equal scores calls that run "different" */
    for (i = 0; i < m;) {
        int j = i;
        while (j < m && v[j].s == v[i].s) {
            correct += v[j].same ? -1 : 1;
            ++j;
        }
        if (correct > best) {
            best = correct;
            best_t = j < m ? 0.5 * (v[i].s + v[j].s) : v[i].s;
        }
        i = j;
    }
    *thr = best_t;
    if (acc) *acc = (double)best / m;
    free(v);
    return 0;
}

int em_verify_kfold(const double *score, const int *same, const int *fold, int np, int nfolds,
                    double *fold_acc, double *fold_thr, double *mean, double *std)
{
    int *use, f, i, rc = -1;
    double sum = 0, sum2 = 0;
    double *accs;
    if (!score || !same || !fold || !mean || !std || np <= 0 || nfolds < 2) return -1;
    use = malloc((size_t)np * sizeof(int));
    accs = malloc((size_t)nfolds * sizeof(double));
    if (!use || !accs) goto out;
    for (i = 0; i < np; ++i)
        if (fold[i] < 0 || fold[i] >= nfolds) goto out;
    for (f = 0; f < nfolds; ++f) {
        double t, a;
        int hit = 0, cnt = 0;
        for (i = 0; i < np; ++i) use[i] = fold[i] != f;
        if (em_best_threshold(score, same, use, np, &t, NULL)) goto out;
        for (i = 0; i < np; ++i)
            if (fold[i] == f) {
                ++cnt;
                hit += (score[i] > t) == (same[i] != 0);
            }
        if (cnt == 0) goto out;
        a = (double)hit / cnt;
        accs[f] = a;
        if (fold_acc) fold_acc[f] = a;
        if (fold_thr) fold_thr[f] = t;
        sum += a;
    }
    *mean = sum / nfolds;
    for (f = 0; f < nfolds; ++f) sum2 += (accs[f] - *mean) * (accs[f] - *mean);
    *std = sqrt(sum2 / (nfolds - 1));
    rc = 0;
out:
    free(use);
    free(accs);
    return rc;
}

/* ---- ROC and TAR at FAR ---- */

/* The scores are sorted as the unsigned keys of their bit patterns: a float's key orders
 * like the float (negative: all bits flipped; positive: the sign bit set). The arrays are
 * float; they are read and written through a type that may alias them. */
typedef uint32_t __attribute__((may_alias)) score_key;

static uint32_t float_key(uint32_t u)
{
    if (u == 0x80000000u) u = 0; /* -0 is +0 */
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
static uint32_t key_float(uint32_t k) { return (k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k; }

/* in-place MSD radix sort (American flag sort), 8 bits a level from bit `shift` down */
static void radix_level(score_key *a, size_t n, int shift, size_t cnt[256])
{
    size_t pos[256], end[256], i;
    int b;
    memset(cnt, 0, 256 * sizeof(size_t));
    for (i = 0; i < n; ++i) ++cnt[(a[i] >> shift) & 255];
    for (i = 0, b = 0; b < 256; ++b) {
        pos[b] = i;
        i += cnt[b];
        end[b] = i;
    }
    for (b = 0; b < 256; ++b)
        while (pos[b] < end[b]) {
            uint32_t v = a[pos[b]];
            int db = (int)((v >> shift) & 255);
            while (db != b) { /* move v to its bucket, pick up what was there */
                uint32_t t = a[pos[db]];
                a[pos[db]++] = v;
                v = t;
                db = (int)((v >> shift) & 255);
            }
            a[pos[b]++] = v;
        }
}

static void radix_sort(score_key *a, size_t n, int shift)
{
    size_t cnt[256], start = 0;
    int b;
    if (n < 64) { /* insertion sort */
        size_t i, j;
        for (i = 1; i < n; ++i) {
            uint32_t v = a[i];
            for (j = i; j > 0 && a[j - 1] > v; --j) a[j] = a[j - 1];
            a[j] = v;
        }
        return;
    }
    radix_level(a, n, shift, cnt);
    if (shift == 0) return;
    for (b = 0; b < 256; ++b) {
        if (cnt[b] > 1) radix_sort(a + start, cnt[b], shift - 8);
        start += cnt[b];
    }
}

int em_sort_scores(float *v, size_t n)
{
    score_key *a = (score_key *)v;
    size_t i, cnt[256], first[257];
    int b;
    if (!v && n) return -1;
    for (i = 0; i < n; ++i)
        if (isnan(v[i])) return -1;
    for (i = 0; i < n; ++i) a[i] = float_key(a[i]);
    /* the top level here, its 256 buckets shared out between OpenMP threads: the sorted
     * result is the same for any number of threads */
    if (n >= 64) {
        radix_level(a, n, 24, cnt);
        for (first[0] = 0, b = 0; b < 256; ++b) first[b + 1] = first[b] + cnt[b];
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
        for (b = 0; b < 256; ++b)
            if (cnt[b] > 1) radix_sort(a + first[b], cnt[b], 16);
    } else {
        radix_sort(a, n, 24);
    }
    for (i = 0; i < n; ++i) a[i] = key_float(a[i]);
    return 0;
}

/* number of elements of ascending a[n] that are > v */
static size_t count_above(const float *a, size_t n, float v)
{
    size_t lo = 0, hi = n; /* first index with a[i] > v */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] > v) hi = mid; else lo = mid + 1;
    }
    return n - lo;
}

/* the operating point "accept iff score > v", i.e. threshold the float just above v */
static void point_above(const float *same, size_t ns, const float *diff, size_t nd, float v,
                        double far_target, em_roc_point *pt)
{
    pt->far_target = far_target;
    pt->thr = nextafterf(v, INFINITY);
    pt->far = (double)count_above(diff, nd, v) / nd;
    pt->tar = (double)count_above(same, ns, v) / ns;
}

/* k = floor(f * nd): the number of different pairs allowed at or above the threshold. The
 * product is nudged up by 4 ulps so that a whole number (1e-3 * 1000) is not rounded down. */
static size_t far_count(double f, size_t nd)
{
    double k = floor(f * (double)nd * (1 + 4 * DBL_EPSILON));
    return k >= (double)nd ? nd : (size_t)k;
}

int em_tar_at_far(const float *same, size_t ns, const float *diff, size_t nd, double f,
                  em_roc_point *pt)
{
    size_t k;
    if (!pt || !(f > 0 && f <= 1) || (ns && !same) || (nd && !diff)) return -1;
    pt->far_target = f;
    pt->far = pt->tar = NAN;
    pt->thr = NAN;
    if (ns == 0 || nd == 0) return 1;
    k = far_count(f, nd);
    if (k == 0) return 1; /* f * nd < 1: FAR f cannot be told from FAR 0 */
    if (k >= nd) {        /* everything may be accepted: threshold = the lowest score */
        pt->thr = same[0] < diff[0] ? same[0] : diff[0];
        pt->far = pt->tar = 1;
        return 0;
    }
    /* the (k+1)-th highest different score must be rejected, everything above it accepted */
    point_above(same, ns, diff, nd, diff[nd - 1 - k], f, pt);
    return 0;
}

double em_roc_auc(const float *same, size_t ns, const float *diff, size_t nd)
{
    size_t i, j, lo = 0, eq;
    uint64_t wins2 = 0; /* 2 * #{s > d} + #{s = d} */
    double wins2_d = 0;
    int wide = (double)ns * (double)nd * 2 >= 1.8e19; /* would overflow 64 bits */
    if (!same || !diff || ns == 0 || nd == 0) return NAN;
    for (i = 0; i < ns; i = j) {
        for (j = i; j < ns && same[j] == same[i]; ++j) {}
        while (lo < nd && diff[lo] < same[i]) ++lo;
        for (eq = lo; eq < nd && diff[eq] == same[i]; ++eq) {}
        if (wide)
            wins2_d += (double)(j - i) * (2.0 * lo + (double)(eq - lo));
        else
            wins2 += (uint64_t)(j - i) * (2 * (uint64_t)lo + (eq - lo));
    }
    return (wide ? wins2_d : (double)wins2) / (2.0 * (double)ns * (double)nd);
}

int em_roc_curve(const float *same, size_t ns, const float *diff, size_t nd, double far_min,
                 int per_decade, em_roc_point **pts, int *npts)
{
    double f_lo;
    int j, j0, m = 0, cap;
    em_roc_point *p;
    if (!pts || !npts || !(far_min > 0 && far_min <= 1) || per_decade <= 0 ||
        (ns && !same) || (nd && !diff))
        return -1;
    *pts = NULL;
    *npts = 0;
    if (ns == 0 || nd == 0) return 1;
    f_lo = fmax(far_min, 1.0 / (double)nd);
    j0 = (int)ceil(per_decade * log10(f_lo) - 1e-9);
    cap = 4 - j0;
    p = malloc((size_t)cap * sizeof(em_roc_point));
    if (!p) return -1;
    /* nothing accepted: the threshold just above every score */
    point_above(same, ns, diff, nd, same[ns - 1] > diff[nd - 1] ? same[ns - 1] : diff[nd - 1], 0,
                &p[m++]);
    /* FAR 0: just above the highest different score */
    point_above(same, ns, diff, nd, diff[nd - 1], 0, &p[m++]);
    em_tar_at_far(same, ns, diff, nd, f_lo, &p[m++]);
    for (j = j0; j <= 0; ++j) {
        double f = pow(10, (double)j / per_decade);
        if (f > f_lo * (1 + 1e-9)) em_tar_at_far(same, ns, diff, nd, f, &p[m++]);
    }
    *pts = p;
    *npts = m;
    return 0;
}

/* ---- LFW pairs.txt ---- */

/* strtol on a whole token: 1 and *v on success */
static int parse_int(const char *tok, long lo, long hi, long *v)
{
    char *end;
    long x;
    if (!tok || !*tok) return 0;
    errno = 0;
    x = strtol(tok, &end, 10);
    if (errno || *end || x < lo || x > hi) return 0;
    *v = x;
    return 1;
}

/* splits line at blanks into at most 5 tokens; returns their number (5 = five or more) */
static int split(char *line, char *tok[5])
{
    char *save = NULL;
    int k = 0;
    char *t = strtok_r(line, " \t\r\n", &save);
    while (t && k < 5) {
        tok[k++] = t;
        t = strtok_r(NULL, " \t\r\n", &save);
    }
    return k;
}

static char *image_path(const char *name, long idx)
{
    size_t len = 2 * strlen(name) + 16;
    char *p = malloc(len);
    if (p) snprintf(p, len, "%s/%s_%04ld.jpg", name, name, idx);
    return p;
}

void em_free_lfw_pairs(char **paths, em_pair *pairs, int np)
{
    int i;
    if (paths)
        for (i = 0; i < 2 * np; ++i) free(paths[i]);
    free(paths);
    free(pairs);
}

int em_read_lfw_pairs(FILE *f, char ***paths_out, em_pair **pairs_out, int *np_out,
                      int *nsets_out, char *err, size_t errlen)
{
    char line[4096];
    char *tok[5];
    long sets, per, v1, v2;
    int lineno = 1, np, i, k;
    char **paths = NULL;
    em_pair *pairs = NULL;

    if (!f || !paths_out || !pairs_out || !np_out || !nsets_out) return -1;
    if (!fgets(line, sizeof(line), f)) {
        snprintf(err, errlen, "line 1: empty file, expected the header \"SETS PAIRS\"");
        return -1;
    }
    k = split(line, tok);
    if (k != 2 || !parse_int(tok[0], 1, 1000, &sets) || !parse_int(tok[1], 1, 1000000, &per) ||
        sets * per * 2 > INT_MAX / 2) {
        snprintf(err, errlen, "line 1: header must be \"SETS PAIRS\" (LFW: \"10 300\")");
        return -1;
    }
    np = (int)(sets * per * 2);
    paths = calloc((size_t)np * 2, sizeof(char *));
    pairs = calloc((size_t)np, sizeof(em_pair));
    if (!paths || !pairs) {
        snprintf(err, errlen, "out of memory for %d pairs", np);
        goto fail;
    }
    for (i = 0; i < np; ++i) {
        int same = (i % (2 * per)) < per;
        if (!fgets(line, sizeof(line), f)) {
            snprintf(err, errlen, "line %d: file ends after %d of %d pairs", lineno + 1, i, np);
            goto fail;
        }
        ++lineno;
        k = split(line, tok);
        if (same) {
            if (k != 3 || !parse_int(tok[1], 1, 99999, &v1) || !parse_int(tok[2], 1, 99999, &v2)) {
                snprintf(err, errlen, "line %d: expected a same-person line \"name idx1 idx2\"",
                         lineno);
                goto fail;
            }
            paths[2 * i] = image_path(tok[0], v1);
            paths[2 * i + 1] = image_path(tok[0], v2);
        } else {
            if (k != 4 || !parse_int(tok[1], 1, 99999, &v1) || !parse_int(tok[3], 1, 99999, &v2)) {
                snprintf(err, errlen,
                         "line %d: expected a different-person line \"name1 idx1 name2 idx2\"",
                         lineno);
                goto fail;
            }
            paths[2 * i] = image_path(tok[0], v1);
            paths[2 * i + 1] = image_path(tok[2], v2);
        }
        if (!paths[2 * i] || !paths[2 * i + 1]) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        pairs[i].a = 2 * i;
        pairs[i].b = 2 * i + 1;
        pairs[i].same = same;
        pairs[i].fold = (int)(i / (2 * per));
    }
    /* only blank lines may follow */
    while (fgets(line, sizeof(line), f)) {
        ++lineno;
        if (strspn(line, " \t\r\n") != strlen(line)) {
            snprintf(err, errlen, "line %d: more lines than the header's %ld x 2 x %ld pairs",
                     lineno, sets, per);
            goto fail;
        }
    }
    *paths_out = paths;
    *pairs_out = pairs;
    *np_out = np;
    *nsets_out = (int)sets;
    return 0;
fail:
    em_free_lfw_pairs(paths, pairs, np);
    return -1;
}
