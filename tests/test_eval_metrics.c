/*
 * test_eval_metrics.c — unit tests of tools/eval_metrics.c (the metrics of
 * tools/asoftmax_eval.c) on hand-made embeddings with known answers:
 *
 *   - cosines/angles of hand-picked vectors (45, 60, 90, 180 degrees; zero vector = 90);
 *   - top-1 accuracy, including ties;
 *   - angular Fisher score: perfectly separated classes (S_w = 0, AFS = 0, S_b by hand),
 *     a hand-computed case, identical classes (S_b = 0 -> +inf), all points equal (NaN),
 *     invalid labels;
 *   - pair-angle histograms: hand-counted bins, exact mean/std/min/max, overlap 0 for
 *     separated clusters and 0.5 for a hand-made case, histogram quantiles;
 *   - LFW-style pairs: same/different as requested, LFW fold order, distinct pairs,
 *     deterministic for a seed, refusals;
 *   - threshold choice and 10-fold verification: 100% on separated clusters, exactly 50%
 *     on identical features, and a hand-computed 2-fold case (75% +- 35.36%);
 *   - the LFW pairs.txt reader: paths, folds, and one clear error per malformed input;
 *   - all-pair scores: pair counts by hand, every score against em_cosine in row order
 *     (a zero row scores +0), histograms and stats identical to em_pair_angle_hist's;
 *   - the radix sort of scores against qsort (ties, -0/+0, tiny values), NaN refused;
 *   - TAR at FAR by hand: perfectly separated (TAR 1 at every FAR), reversed (TAR 0 below
 *     FAR 1), ties moving together (FAR reached below the target), all scores equal, the
 *     thresholds (the float above the (k+1)-th highest different score); not measurable
 *     (NA) when f x N_diff < 1, 1e-3 x 1000 and 0.29 x 100 not rounded down; refusals;
 *   - AUC by hand: 1, 0, 0.5 (all tied), 0.75 (half tied), 2/3 (a ties case);
 *   - random scores with many ties against an O(n^2) brute force (TAR, reached FAR, AUC,
 *     and that one float lower no longer meets the FAR);
 *   - the ROC curve: its rows by hand, row count of the log grid, monotone, rows equal to
 *     em_tar_at_far; separated clusters: TAR 1 at FAR 1e-3, AUC 1 over all pairs;
 *   - built with -fopenmp only (make test does not): scores, histograms, sorted scores,
 *     AUC and ROC the same for 1 and 3 threads.
 *
 * Built and run by `make test` (tests/run-tests.sh). Prints every failure, then a closing
 * `N passed, N failed` line; exit status 1 on any failure. Needs no Darknet and no data:
 *   gcc -std=gnu11 -Wall -Wextra -Wshadow -Werror -Itools tests/test_eval_metrics.c \
 *       tools/eval_metrics.c -lm -o test_eval_metrics && ./test_eval_metrics
 * (add -fopenmp for the thread-count checks).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_metrics.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#include "check.h"

#define NEAR(a, b, tol) (fabs((double)(a) - (double)(b)) <= (tol))

/* n samples of `classes` classes (row i has class i % classes) in d >= classes dims:
 * class c sits on the axis e_c with norm in [1, 3) and uniform noise of +-noise per dim. */
static float *clusters(int n, int d, int classes, double noise, int *labels)
{
    float *x = calloc((size_t)n * d, sizeof(float));
    int i, k;
    for (i = 0; i < n; ++i) {
        double r = 1 + 2 * urand();
        labels[i] = i % classes;
        for (k = 0; k < d; ++k) x[(size_t)i * d + k] = (float)(noise * (2 * urand() - 1));
        x[(size_t)i * d + labels[i]] += (float)r;
    }
    return x;
}

static void test_angles(void)
{
    const float e0[2] = {1, 0}, d45[2] = {1, 1}, e1[2] = {0, 2}, m0[2] = {-1, 0}, z[2] = {0, 0};
    const float a[3] = {1, 1, 0}, b[3] = {1, 0, 1}, c[3] = {1, 2, 2}, dd[3] = {2, 1, -2};
    CHECK(NEAR(em_angle_deg(e0, d45, 2), 45, 1e-9), "angle (1,0),(1,1) = %g", em_angle_deg(e0, d45, 2));
    CHECK(NEAR(em_angle_deg(e0, e1, 2), 90, 1e-9), "angle (1,0),(0,2) = %g", em_angle_deg(e0, e1, 2));
    CHECK(NEAR(em_angle_deg(e0, m0, 2), 180, 1e-9), "angle (1,0),(-1,0) = %g", em_angle_deg(e0, m0, 2));
    CHECK(NEAR(em_angle_deg(a, b, 3), 60, 1e-9), "angle (1,1,0),(1,0,1) = %g", em_angle_deg(a, b, 3));
    CHECK(NEAR(em_angle_deg(c, dd, 3), 90, 1e-9), "angle (1,2,2),(2,1,-2) = %g", em_angle_deg(c, dd, 3));
    CHECK(em_cosine(e0, z, 2) == 0 && NEAR(em_angle_deg(z, z, 2), 90, 1e-12),
          "zero vector: cosine %g, angle %g", em_cosine(e0, z, 2), em_angle_deg(z, z, 2));
    CHECK(NEAR(em_cosine(d45, d45, 2), 1, 1e-15) && em_angle_deg(d45, d45, 2) == 0,
          "a vector with itself: angle %g", em_angle_deg(d45, d45, 2));
}

static void test_top1(void)
{
    /* row 0: argmax 2; row 1: tie of 0 and 1 -> the first (0); row 2: argmax 1 */
    const float s[9] = {0.1f, 0.2f, 0.7f, 0.5f, 0.5f, 0.0f, -1, 3, 2};
    const int y1[3] = {2, 0, 1}, y2[3] = {2, 1, 0};
    CHECK(em_top1(s, 3, 3, y1) == 1.0, "top1 all right = %g", em_top1(s, 3, 3, y1));
    CHECK(NEAR(em_top1(s, 3, 3, y2), 1.0 / 3, 1e-15), "top1 one right = %g", em_top1(s, 3, 3, y2));
    CHECK(isnan(em_top1(s, 0, 3, y1)), "top1 of no rows is NaN");
}

static void test_afs(void)
{
    double afs, sw, sb;
    /* perfectly separated: every sample on its class axis (norms differ) */
    {
        const float x[18] = {1, 0, 0, 3, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 2};
        const int y[6] = {0, 0, 1, 1, 2, 2};
        /* mu_0 = 2e0, mu_1 = e1, mu_2 = 2e2, mu = (2/3, 1/3, 2/3) (unit length):
         * S_b = 2(1 - 2/3) + 2(1 - 1/3) + 2(1 - 2/3) = 8/3 */
        int rc = em_angular_fisher(x, 6, 3, y, 3, &afs, &sw, &sb);
        CHECK(rc == 0 && afs == 0 && sw == 0 && NEAR(sb, 8.0 / 3, 1e-12),
              "separated: rc %d AFS %g S_w %g S_b %g (want 0, 0, 8/3)", rc, afs, sw, sb);
    }
    /* hand-computed: class 0 = {(1,0), (0,1)}, class 1 = {(-1,0), (-1,0)}
     * mu_0 = (.5,.5): each sample at 45 deg -> S_w = 2(1 - sqrt2/2) = 2 - sqrt2
     * mu = (-.25, .25) at 135 deg; mu_0 at 45 deg: 1 - cos 90 = 1 (x2);
     * mu_1 at 180 deg: 1 - cos 45 (x2) -> S_b = 2 + 2 - sqrt2 = 4 - sqrt2 */
    {
        const float x[8] = {1, 0, 0, 1, -1, 0, -1, 0};
        const int y[4] = {0, 0, 1, 1};
        int rc = em_angular_fisher(x, 4, 2, y, 2, &afs, &sw, &sb);
        CHECK(rc == 0 && NEAR(sw, 2 - sqrt(2), 1e-12) && NEAR(sb, 4 - sqrt(2), 1e-12) &&
                  NEAR(afs, (2 - sqrt(2)) / (4 - sqrt(2)), 1e-12),
              "hand case: S_w %.15g S_b %.15g AFS %.15g (want %.15g %.15g %.15g)", sw, sb, afs,
              2 - sqrt(2), 4 - sqrt(2), (2 - sqrt(2)) / (4 - sqrt(2)));
    }
    /* identical classes: both classes = {(1,0), (0,1)}: S_b = 0, S_w = 4(1 - sqrt2/2) */
    {
        const float x[8] = {1, 0, 0, 1, 1, 0, 0, 1};
        const int y[4] = {0, 0, 1, 1};
        int rc = em_angular_fisher(x, 4, 2, y, 2, &afs, &sw, &sb);
        CHECK(rc == 0 && isinf(afs) && afs > 0 && sb == 0 && NEAR(sw, 4 - 2 * sqrt(2), 1e-12),
              "identical classes: AFS %g S_w %g S_b %g (want inf, 4-2sqrt2, 0)", afs, sw, sb);
    }
    /* all samples equal: 0/0 */
    {
        const float x[6] = {1, 2, 1, 2, 1, 2};
        const int y[3] = {0, 1, 1};
        int rc = em_angular_fisher(x, 3, 2, y, 2, &afs, NULL, NULL);
        CHECK(rc == 0 && isnan(afs), "all equal: AFS %g (want NaN)", afs);
    }
    /* an empty class is skipped: same answer with nclasses = 5 */
    {
        const float x[8] = {1, 0, 0, 1, -1, 0, -1, 0};
        const int y[4] = {0, 0, 1, 1};
        int rc = em_angular_fisher(x, 4, 2, y, 5, &afs, NULL, NULL);
        CHECK(rc == 0 && NEAR(afs, (2 - sqrt(2)) / (4 - sqrt(2)), 1e-12),
              "empty classes change AFS to %g", afs);
    }
    /* invalid input */
    {
        const float x[4] = {1, 0, 0, 1};
        const int bad[2] = {0, 2}, neg[2] = {-1, 0};
        CHECK(em_angular_fisher(x, 2, 2, bad, 2, &afs, NULL, NULL) == -1, "label >= nclasses accepted");
        CHECK(em_angular_fisher(x, 2, 2, neg, 2, &afs, NULL, NULL) == -1, "negative label accepted");
        CHECK(em_angular_fisher(x, 0, 2, bad, 2, &afs, NULL, NULL) == -1, "n = 0 accepted");
    }
    /* noisy separated clusters: small but positive */
    {
        int y[300];
        float *x = clusters(300, 10, 10, 0.05, y);
        int rc = em_angular_fisher(x, 300, 10, y, 10, &afs, &sw, &sb);
        CHECK(rc == 0 && afs > 0 && afs < 0.01, "noisy clusters: AFS %g not in (0, 0.01)", afs);
        free(x);
    }
}

static void test_hist(void)
{
    enum { NB = 180 };
    double same[NB] = {0}, diff[NB] = {0};
    em_pair_stats st;
    /* (1,0) and (0,1) same class: 90; (1,0)-(-1,0): 180; (0,1)-(-1,0): 90 */
    const float x[6] = {1, 0, 0, 1, -1, 0};
    const int y[3] = {0, 0, 1};
    int rc = em_pair_angle_hist(x, 3, 2, y, NB, same, diff, &st), b;
    double tot_s = 0, tot_d = 0;
    for (b = 0; b < NB; ++b) {
        tot_s += same[b];
        tot_d += diff[b];
    }
    CHECK(rc == 0 && same[90] == 1 && tot_s == 1 && diff[90] == 1 && diff[179] == 1 && tot_d == 2,
          "hand histogram: same[90] %g, diff[90] %g, diff[179] %g, totals %g %g", same[90],
          diff[90], diff[179], tot_s, tot_d);
    CHECK(st.n_same == 1 && st.n_diff == 2 && NEAR(st.same_mean, 90, 1e-9) &&
              st.same_std == 0 && NEAR(st.diff_mean, 135, 1e-9) && NEAR(st.diff_std, 45, 1e-9) &&
              NEAR(st.diff_min, 90, 1e-9) && NEAR(st.diff_max, 180, 1e-9) &&
              NEAR(st.same_min, 90, 1e-9) && NEAR(st.same_max, 90, 1e-9),
          "hand stats: same %g+-%g [%g,%g], diff %g+-%g [%g,%g]", st.same_mean, st.same_std,
          st.same_min, st.same_max, st.diff_mean, st.diff_std, st.diff_min, st.diff_max);
    /* p_same = {90: 1}, p_diff = {90: .5, 179: .5} -> overlap .5 */
    CHECK(NEAR(em_hist_overlap(same, diff, NB), 0.5, 1e-15), "hand overlap %g (want 0.5)",
          em_hist_overlap(same, diff, NB));
    CHECK(NEAR(em_hist_overlap(diff, diff, NB), 1, 1e-15), "self overlap %g (want 1)",
          em_hist_overlap(diff, diff, NB));
    /* quantiles: half of diff's mass lies below the end of bin 90 */
    CHECK(NEAR(em_hist_quantile(diff, NB, 0.5), 91, 1e-12) &&
              NEAR(em_hist_quantile(same, NB, 0.5), 90.5, 1e-12) &&
              NEAR(em_hist_quantile(diff, NB, 1), 180, 1e-12),
          "quantiles %g %g %g (want 91 90.5 180)", em_hist_quantile(diff, NB, 0.5),
          em_hist_quantile(same, NB, 0.5), em_hist_quantile(diff, NB, 1));
    {
        double empty[NB] = {0};
        CHECK(isnan(em_hist_overlap(empty, diff, NB)) && isnan(em_hist_quantile(empty, NB, .5)),
              "empty histogram must give NaN");
    }
    /* no pair of a kind: that kind's stats are NaN */
    {
        const int one[2] = {0, 0};
        double s2[4] = {0}, d2[4] = {0};
        rc = em_pair_angle_hist(x, 2, 2, one, 4, s2, d2, &st);
        CHECK(rc == 0 && st.n_diff == 0 && isnan(st.diff_mean) && s2[2] == 1,
              "one class: n_diff %g diff_mean %g same bin %g", st.n_diff, st.diff_mean, s2[2]);
    }
    /* separated clusters (orthogonal axes, noise 0.05): same < 10 deg, diff > 80 deg */
    {
        int yy[200];
        float *xx = clusters(200, 4, 4, 0.05, yy);
        memset(same, 0, sizeof(same));
        memset(diff, 0, sizeof(diff));
        rc = em_pair_angle_hist(xx, 200, 4, yy, NB, same, diff, &st);
        CHECK(rc == 0 && st.n_same == 4 * 50 * 49 / 2 && st.n_diff == 200 * 199 / 2 - 4900,
              "pair counts %g %g", st.n_same, st.n_diff);
        CHECK(st.same_max < 10 && st.diff_min > 80 && em_hist_overlap(same, diff, NB) == 0,
              "separated clusters: max same %g, min diff %g, overlap %g", st.same_max,
              st.diff_min, em_hist_overlap(same, diff, NB));
        free(xx);
    }
}

static void test_pairs(void)
{
    enum { N = 1000, NP = 6000, NF = 10 };
    int y[N], i, j, ok = 1, dup = 0, order = 1;
    em_pair *p = malloc(NP * sizeof(em_pair)), *q = malloc(NP * sizeof(em_pair));
    for (i = 0; i < N; ++i) y[i] = (i * 7) % 10;
    CHECK(em_make_pairs(y, N, NP, NF, 42, p) == 0, "make_pairs failed");
    for (i = 0; i < NP; ++i) {
        int per = NP / NF, want_same = (i % per) < per / 2;
        if (p[i].a == p[i].b || p[i].a < 0 || p[i].a >= N || p[i].b < 0 || p[i].b >= N ||
            p[i].same != (y[p[i].a] == y[p[i].b]))
            ok = 0;
        if (p[i].same != want_same || p[i].fold != i / per) order = 0;
    }
    CHECK(ok, "a pair is degenerate or its same flag disagrees with the labels");
    CHECK(order, "pairs are not in LFW order (per fold: 300 same, then 300 different)");
    /* distinct unordered pairs (O(NP^2) is fine here) */
    for (i = 0; i < NP && !dup; ++i)
        for (j = i + 1; j < NP; ++j)
            if ((p[i].a == p[j].a && p[i].b == p[j].b) || (p[i].a == p[j].b && p[i].b == p[j].a)) {
                dup = 1;
                break;
            }
    CHECK(!dup, "duplicate pair %d", i - 1);
    CHECK(em_make_pairs(y, N, NP, NF, 42, q) == 0 && memcmp(p, q, NP * sizeof(em_pair)) == 0,
          "same seed, different pairs");
    CHECK(em_make_pairs(y, N, NP, NF, 43, q) == 0 && memcmp(p, q, NP * sizeof(em_pair)) != 0,
          "different seeds, same pairs");
    CHECK(em_make_pairs(y, N, 6001, NF, 1, q) == -1, "npairs not a multiple of 2*folds accepted");
    {
        const int one[4] = {3, 3, 3, 3}, singletons[4] = {0, 1, 2, 3}, few[4] = {0, 0, 1, 1};
        CHECK(em_make_pairs(one, 4, 2, 1, 1, q) == -1, "a single class accepted");
        CHECK(em_make_pairs(singletons, 4, 2, 1, 1, q) == -1, "no class with two samples accepted");
        /* only 2 distinct same-class pairs exist, 5 are asked for */
        CHECK(em_make_pairs(few, 4, 20, 2, 1, q) == -1, "impossible pair count accepted");
        CHECK(em_make_pairs(few, 4, 4, 2, 1, q) == 0, "the 2 + 2 possible pairs refused");
    }
    free(p);
    free(q);
}

static void test_verification(void)
{
    double t, acc, mean, sd, fa[10], ft[10];
    /* thresholds */
    {
        const double s1[4] = {0.1, 0.2, 0.3, 0.4}, s2[4] = {0.1, 0.3, 0.2, 0.4};
        const int same[4] = {0, 0, 1, 1}, use[4] = {1, 1, 1, 0};
        CHECK(em_best_threshold(s1, same, NULL, 4, &t, &acc) == 0 && NEAR(t, 0.25, 1e-15) && acc == 1,
              "threshold of separable scores: t %g acc %g (want 0.25, 1)", t, acc);
        /* sorted 0.1 d, 0.2 s, 0.3 d, 0.4 s: best 3/4, first at t = 0.15 */
        CHECK(em_best_threshold(s2, same, NULL, 4, &t, &acc) == 0 && NEAR(t, 0.15, 1e-15) &&
                  acc == 0.75,
              "threshold of interleaved scores: t %g acc %g (want 0.15, 0.75)", t, acc);
        /* without the last pair: 0.1 d, 0.2 s, 0.3 d -> 2/3 right at t = 0.15 and at
         * t = 0.3 (all different); the first best is t = 0.15 */
        CHECK(em_best_threshold(s2, same, use, 4, &t, &acc) == 0 && NEAR(t, 0.15, 1e-15) &&
                  NEAR(acc, 2.0 / 3, 1e-15),
              "masked threshold: t %g acc %g (want 0.15, 2/3)", t, acc);
        CHECK(em_best_threshold(s2, same, (const int[4]){0, 0, 0, 0}, 4, &t, &acc) == -1,
              "no pair used accepted");
    }
    /* hand-computed 2 folds:
     *   fold 0: .9 s, .8 s, .2 d, .1 d     fold 1: .7 s, .6 d, .5 s, .3 d
     *   test fold 0 with t from fold 1 (= 0.4): 4/4;
     *   test fold 1 with t from fold 0 (= 0.5): .7 s ok, .6 d wrong, .5 s wrong, .3 d ok: 2/4
     *   mean 0.75, sample std sqrt(2 * 0.25^2 / 1) = 0.353553 */
    {
        const double s[8] = {.9, .8, .2, .1, .7, .6, .5, .3};
        const int same[8] = {1, 1, 0, 0, 1, 0, 1, 0}, fold[8] = {0, 0, 0, 0, 1, 1, 1, 1};
        int rc = em_verify_kfold(s, same, fold, 8, 2, fa, ft, &mean, &sd);
        CHECK(rc == 0 && fa[0] == 1 && fa[1] == 0.5 && NEAR(ft[0], 0.4, 1e-15) &&
                  NEAR(ft[1], 0.5, 1e-15) && NEAR(mean, 0.75, 1e-15) &&
                  NEAR(sd, sqrt(0.125), 1e-15),
              "2 folds: acc %g %g thr %g %g mean %g std %g (want 1 .5 .4 .5 .75 .353553)", fa[0],
              fa[1], ft[0], ft[1], mean, sd);
        CHECK(em_verify_kfold(s, same, fold, 8, 3, fa, ft, &mean, &sd) == -1,
              "a fold without pairs accepted");
        CHECK(em_verify_kfold(s, same, (const int[8]){0, 0, 0, 0, 1, 1, 1, 2}, 8, 2, fa, ft,
                              &mean, &sd) == -1,
              "a fold index >= nfolds accepted");
    }
    /* end to end on embeddings: separated clusters -> 100%; identical features -> 50% */
    {
        enum { N = 1000, D = 12, NP = 6000, NF = 10 };
        int y[N], i, sm[NP], fo[NP];
        double sc[NP];
        em_pair *p = malloc(NP * sizeof(em_pair));
        float *x = clusters(N, D, 10, 0.05, y);
        CHECK(em_make_pairs(y, N, NP, NF, 7, p) == 0, "make_pairs on clusters failed");
        for (i = 0; i < NP; ++i) {
            sc[i] = em_cosine(x + (size_t)p[i].a * D, x + (size_t)p[i].b * D, D);
            sm[i] = p[i].same;
            fo[i] = p[i].fold;
        }
        CHECK(em_verify_kfold(sc, sm, fo, NP, NF, fa, ft, &mean, &sd) == 0 && mean == 1 && sd == 0,
              "separated clusters: verification %g +- %g (want 1 +- 0)", mean, sd);
        /* every feature the same vector: all scores equal; the first best threshold is -inf
         * (everything "same"), right on exactly the 300 same pairs of each 600 */
        for (i = 0; i < N * D; ++i) x[i] = (float)(i % D + 1);
        for (i = 0; i < NP; ++i) sc[i] = em_cosine(x + (size_t)p[i].a * D, x + (size_t)p[i].b * D, D);
        CHECK(em_verify_kfold(sc, sm, fo, NP, NF, fa, ft, &mean, &sd) == 0 && mean == 0.5 &&
                  sd == 0 && isinf(ft[0]),
              "identical features: verification %g +- %g thr %g (want 0.5 +- 0, -inf)", mean, sd,
              ft[0]);
        free(x);
        free(p);
    }
}

/* ---- all-pair scores, sorting, TAR at FAR, AUC, ROC ---- */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static void test_pair_scores(void)
{
    enum { N = 60, D = 5, NB = 90 };
    int y[N], i, j, ok = 1, rc;
    size_t ns = 0, nd = 0, ks = 0, kd = 0;
    float *x, *ss, *ds;
    double h1s[NB] = {0}, h1d[NB] = {0}, h2s[NB] = {0}, h2d[NB] = {0};
    em_pair_stats st1, st2;
    {
        const int lab[7] = {5, -1, 5, 7, 5, -1, 9}; /* classes of 3, 2, 1, 1: 3 + 1 same pairs */
        CHECK(em_count_pairs(lab, 7, &ns, &nd) == 0 && ns == 4 && nd == 17,
              "count_pairs: %zu same %zu different (want 4, 17)", ns, nd);
        CHECK(em_count_pairs(lab, 0, &ns, &nd) == 0 && ns == 0 && nd == 0, "count_pairs of none");
    }
    x = clusters(N, D, 4, 0.6, y);
    for (i = 0; i < D; ++i) x[7 * D + i] = 0; /* a zero row: cosine 0 to everything */
    em_count_pairs(y, N, &ns, &nd);
    ss = malloc(ns * sizeof(float));
    ds = malloc(nd * sizeof(float));
    rc = em_pair_scores(x, N, D, y, ss, ds, NB, h1s, h1d, &st1);
    CHECK(rc == 0, "em_pair_scores failed");
    /* every pair, in row order, against em_cosine */
    for (i = 0; i < N && ok; ++i)
        for (j = i + 1; j < N; ++j) {
            double c = em_cosine(x + (size_t)i * D, x + (size_t)j * D, D);
            float s = y[i] == y[j] ? ss[ks++] : ds[kd++];
            if (!NEAR(s, c, 1e-6) || (s == 0 && signbit(s))) {
                ok = 0;
                CHECK(0, "pair score (%d, %d) = %.9g, em_cosine %.9g", i, j, s, c);
                break;
            }
        }
    CHECK(ok && ks == ns && kd == nd, "scores: %zu + %zu filled of %zu + %zu", ks, kd, ns, nd);
    /* the histograms and stats are em_pair_angle_hist's */
    rc = em_pair_angle_hist(x, N, D, y, NB, h2s, h2d, &st2);
    CHECK(rc == 0 && memcmp(h1s, h2s, sizeof(h1s)) == 0 && memcmp(h1d, h2d, sizeof(h1d)) == 0 &&
              memcmp(&st1, &st2, sizeof(st1)) == 0,
          "em_pair_scores' histograms/stats differ from em_pair_angle_hist's");
    /* scores only: the same scores */
    {
        float *s2 = malloc(ns * sizeof(float)), *d2 = malloc(nd * sizeof(float));
        rc = em_pair_scores(x, N, D, y, s2, d2, 0, NULL, NULL, NULL);
        CHECK(rc == 0 && memcmp(s2, ss, ns * sizeof(float)) == 0 &&
                  memcmp(d2, ds, nd * sizeof(float)) == 0,
              "scores without histograms differ");
        CHECK(em_pair_scores(x, N, D, y, s2, d2, 0, NULL, NULL, &st2) == -1,
              "stats without histograms accepted");
        CHECK(em_pair_scores(x, N, D, y, s2, NULL, 0, NULL, NULL, NULL) == -1,
              "same scores without different scores accepted");
        free(s2);
        free(d2);
    }
    free(x);
    free(ss);
    free(ds);
}

static void test_sort_scores(void)
{
    enum { N = 100000 };
    float *a = malloc(N * sizeof(float)), *b = malloc(N * sizeof(float));
    int i, ok = 1;
    const float small[7] = {0.5f, -0.0f, -1, 0.0f, 1, -0.25f, 0.5f};
    float s[7];
    memcpy(s, small, sizeof(s));
    CHECK(em_sort_scores(s, 7) == 0 && s[0] == -1 && s[1] == -0.25f && s[2] == 0 && !signbit(s[2]) &&
              s[3] == 0 && !signbit(s[3]) && s[4] == 0.5f && s[5] == 0.5f && s[6] == 1,
          "small sort: %g %g %g %g %g %g %g", s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
    /* large: many ties (a 1/1000 grid) and full-precision values, both signs, vs qsort */
    for (i = 0; i < N; ++i)
        a[i] = i % 3 ? (float)(floor(urand() * 2000) / 1000 - 1) : (float)(2 * urand() - 1);
    a[17] = -0.0f;
    a[18] = 0.0f;
    a[19] = 1e-30f;
    a[20] = -1e-30f;
    memcpy(b, a, N * sizeof(float));
    qsort(b, N, sizeof(float), cmp_float);
    CHECK(em_sort_scores(a, N) == 0, "sort failed");
    for (i = 0; i < N; ++i)
        if (a[i] != b[i] || !!signbit(a[i]) != (b[i] < 0)) ok = 0;
    CHECK(ok, "radix sort differs from qsort");
    a[5] = NAN;
    memcpy(b, a, N * sizeof(float));
    CHECK(em_sort_scores(a, N) == -1 && memcmp(a, b, N * sizeof(float)) == 0,
          "NaN: not refused, or the array changed");
    CHECK(em_sort_scores(NULL, 0) == 0, "sorting nothing refused");
    free(a);
    free(b);
}

/* brute force, straight from the definition: thresholds over every distinct score and
 * +inf; the lowest one with FAR <= f; its TAR and FAR. Returns 1 when f * nd < 1. */
static int brute_tar(const float *s, int ns, const float *d, int nd, double f, double *tar,
                     double *far)
{
    int i, j, acc_d, acc_s;
    float best = INFINITY;
    if ((double)nd * f < 1 - 1e-9) return 1;
    for (i = 0; i < ns + nd; ++i) {
        float t = i < ns ? s[i] : d[i - ns];
        for (acc_d = 0, j = 0; j < nd; ++j) acc_d += d[j] >= t;
        if ((double)acc_d / nd <= f + 1e-12 && t < best) best = t;
    }
    for (acc_d = 0, j = 0; j < nd; ++j) acc_d += d[j] >= best;
    for (acc_s = 0, j = 0; j < ns; ++j) acc_s += s[j] >= best;
    *tar = (double)acc_s / ns;
    *far = (double)acc_d / nd;
    return 0;
}

static double brute_auc(const float *s, int ns, const float *d, int nd)
{
    double w = 0;
    int i, j;
    for (i = 0; i < ns; ++i)
        for (j = 0; j < nd; ++j) w += s[i] > d[j] ? 1 : s[i] == d[j] ? 0.5 : 0;
    return w / ((double)ns * nd);
}

static int count_ge(const float *v, int n, float t)
{
    int i, c = 0;
    for (i = 0; i < n; ++i) c += v[i] >= t;
    return c;
}

static void test_tar_at_far(void)
{
    em_roc_point p;
    int rc;
    /* perfectly separated: TAR 1 at every measurable FAR, AUC 1 */
    {
        const float s[3] = {0.7f, 0.8f, 0.9f}, d[5] = {-0.2f, 0.0f, 0.1f, 0.2f, 0.3f};
        const double fs[4] = {0.2, 0.4, 0.6, 1};
        int i;
        for (i = 0; i < 4; ++i) {
            rc = em_tar_at_far(s, 3, d, 5, fs[i], &p);
            CHECK(rc == 0 && p.tar == 1 && NEAR(p.far, fs[i], 1e-15),
                  "separated, FAR %g: rc %d TAR %g FAR %g (want 1, %g)", fs[i], rc, p.tar, p.far, fs[i]);
        }
        /* f = 0.2: k = 1, d_(2) = 0.2: t = the float above 0.2 */
        rc = em_tar_at_far(s, 3, d, 5, 0.2, &p);
        CHECK(rc == 0 && p.thr == nextafterf(0.2f, 1) && p.far_target == 0.2,
              "separated threshold %.9g (want the float above 0.2)", p.thr);
        rc = em_tar_at_far(s, 3, d, 5, 1, &p);
        CHECK(rc == 0 && p.thr == -0.2f, "FAR 1: threshold %g (want the lowest score -0.2)", p.thr);
        CHECK(em_roc_auc(s, 3, d, 5) == 1, "separated AUC %g (want 1)", em_roc_auc(s, 3, d, 5));
    }
    /* reversed: every same pair below every different pair: TAR 0 below FAR 1, AUC 0 */
    {
        const float s[2] = {0.1f, 0.2f}, d[4] = {0.5f, 0.6f, 0.7f, 0.8f};
        rc = em_tar_at_far(s, 2, d, 4, 0.5, &p);
        CHECK(rc == 0 && p.tar == 0 && p.far == 0.5 && p.thr == nextafterf(0.6f, 1),
              "reversed, FAR .5: TAR %g FAR %g thr %.9g (want 0, .5, above .6)", p.tar, p.far, p.thr);
        rc = em_tar_at_far(s, 2, d, 4, 0.99, &p);
        CHECK(rc == 0 && p.tar == 0 && p.far == 0.75, "reversed, FAR .99: TAR %g FAR %g (want 0 .75)",
              p.tar, p.far);
        rc = em_tar_at_far(s, 2, d, 4, 1, &p);
        CHECK(rc == 0 && p.tar == 1 && p.far == 1 && p.thr == 0.1f, "reversed, FAR 1: %g %g %g",
              p.tar, p.far, p.thr);
        CHECK(em_roc_auc(s, 2, d, 4) == 0, "reversed AUC %g (want 0)", em_roc_auc(s, 2, d, 4));
    }
    /* ties: same {.5, .5, .7}, different {.3, .5, .5, .6} (sorted)
     *   f = .25 (k = 1): d_(2) = .5: accept s > .5: TAR 1/3, FAR 1/4
     *   f = .5  (k = 2): d_(3) = .5 again (the tie moves together): TAR 1/3, FAR 1/4
     *   f = .75 (k = 3): d_(4) = .3: TAR 3/3, FAR 3/4
     *   AUC: each .5 beats .3, ties two .5s, loses to .6: 2 of 4; .7 beats all 4:
     *   (2 + 2 + 4) / 12 = 2/3 */
    {
        const float s[3] = {0.5f, 0.5f, 0.7f}, d[4] = {0.3f, 0.5f, 0.5f, 0.6f};
        rc = em_tar_at_far(s, 3, d, 4, 0.25, &p);
        CHECK(rc == 0 && NEAR(p.tar, 1.0 / 3, 1e-15) && p.far == 0.25 && p.thr == nextafterf(0.5f, 1),
              "ties, FAR .25: TAR %g FAR %g thr %.9g", p.tar, p.far, p.thr);
        rc = em_tar_at_far(s, 3, d, 4, 0.5, &p);
        CHECK(rc == 0 && NEAR(p.tar, 1.0 / 3, 1e-15) && p.far == 0.25,
              "ties, FAR .5: TAR %g FAR %g (want 1/3, .25)", p.tar, p.far);
        rc = em_tar_at_far(s, 3, d, 4, 0.75, &p);
        CHECK(rc == 0 && p.tar == 1 && p.far == 0.75 && p.thr == nextafterf(0.3f, 1),
              "ties, FAR .75: TAR %g FAR %g thr %.9g", p.tar, p.far, p.thr);
        CHECK(NEAR(em_roc_auc(s, 3, d, 4), 2.0 / 3, 1e-15), "ties AUC %.17g (want 2/3)",
              em_roc_auc(s, 3, d, 4));
    }
    /* all scores equal: nothing between "all" and "none"; AUC 0.5 */
    {
        const float s[3] = {0.4f, 0.4f, 0.4f}, d[5] = {0.4f, 0.4f, 0.4f, 0.4f, 0.4f};
        rc = em_tar_at_far(s, 3, d, 5, 0.8, &p);
        CHECK(rc == 0 && p.tar == 0 && p.far == 0, "all equal, FAR .8: TAR %g FAR %g (want 0 0)",
              p.tar, p.far);
        rc = em_tar_at_far(s, 3, d, 5, 1, &p);
        CHECK(rc == 0 && p.tar == 1 && p.far == 1, "all equal, FAR 1: TAR %g FAR %g", p.tar, p.far);
        CHECK(em_roc_auc(s, 3, d, 5) == 0.5, "all equal AUC %g (want 0.5)", em_roc_auc(s, 3, d, 5));
        /* half the same pairs tied with every different pair, half above: 0.75 */
        {
            const float s2[2] = {0.4f, 0.9f};
            CHECK(em_roc_auc(s2, 2, d, 5) == 0.75, "half-tied AUC %g (want 0.75)",
                  em_roc_auc(s2, 2, d, 5));
        }
    }
    /* measurability: f * N_diff < 1 is NA; a whole f * N_diff is not rounded down */
    {
        float s[4] = {0.1f, 0.2f, 0.3f, 0.99f}, *d = malloc(10000 * sizeof(float));
        int i;
        for (i = 0; i < 10000; ++i) d[i] = (float)i / 10000;
        CHECK(em_tar_at_far(s, 4, d, 999, 1e-3, &p) == 1 && isnan(p.tar) && isnan(p.far),
              "1e-3 x 999 different pairs: not NA (TAR %g)", p.tar);
        rc = em_tar_at_far(s, 4, d, 1000, 1e-3, &p);
        CHECK(rc == 0 && p.far == 1e-3 && p.tar == 1 && p.thr == nextafterf(d[998], 1),
              "1e-3 x 1000: rc %d FAR %g TAR %g thr %.9g", rc, p.far, p.tar, p.thr);
        rc = em_tar_at_far(s, 4, d, 10000, 1e-4, &p);
        CHECK(rc == 0 && p.far == 1e-4, "1e-4 x 10000: rc %d FAR %g", rc, p.far);
        CHECK(em_tar_at_far(s, 4, d, 9999, 1e-4, &p) == 1, "1e-4 x 9999 measured");
        /* 0.29 * 100 = 28.999999999999996 in double: still 29 pairs */
        rc = em_tar_at_far(s, 4, d, 100, 0.29, &p);
        CHECK(rc == 0 && p.far == 0.29, "0.29 x 100: FAR %.17g (want 0.29)", p.far);
        CHECK(em_tar_at_far(s, 0, d, 100, 0.5, &p) == 1 && em_tar_at_far(s, 4, d, 0, 0.5, &p) == 1,
              "no same or no different pair: not NA");
        CHECK(em_tar_at_far(s, 4, d, 100, 0, &p) == -1 && em_tar_at_far(s, 4, d, 100, 1.5, &p) == -1 &&
                  em_tar_at_far(s, 4, d, 100, NAN, &p) == -1 && em_tar_at_far(s, 4, d, 100, .5, NULL) == -1,
              "FAR 0, 1.5, NaN or no result accepted");
        CHECK(isnan(em_roc_auc(s, 0, d, 10)) && isnan(em_roc_auc(s, 4, d, 0)), "AUC of nothing not NaN");
        free(d);
    }
    /* random scores with many ties against the brute force, for many FAR targets */
    {
        enum { NS = 300, ND = 2000 };
        float s[NS], d[ND];
        const double fs[9] = {4e-4, 1e-3, 2.5e-3, 0.01, 0.0137, 0.1, 0.5, 0.9, 1};
        int i, k, ok_t = 1, ok_low = 1, na = 0;
        for (i = 0; i < NS; ++i) s[i] = (float)(floor(urand() * 200) / 100 - 0.5);
        for (i = 0; i < ND; ++i) d[i] = (float)(floor(urand() * 200) / 100 - 1);
        for (i = 0; i < 5; ++i) d[i] = s[i]; /* exact cross ties */
        rc = em_sort_scores(s, NS);
        rc |= em_sort_scores(d, ND);
        CHECK(rc == 0 && NEAR(em_roc_auc(s, NS, d, ND), brute_auc(s, NS, d, ND), 1e-12),
              "random AUC %.15g, brute force %.15g", em_roc_auc(s, NS, d, ND), brute_auc(s, NS, d, ND));
        for (k = 0; k < 9; ++k) {
            double bt, bf;
            int rb = brute_tar(s, NS, d, ND, fs[k], &bt, &bf);
            rc = em_tar_at_far(s, NS, d, ND, fs[k], &p);
            if (rb) {
                na += rc == 1;
                continue;
            }
            if (rc != 0 || p.tar != bt || p.far != bf ||
                p.tar != (double)count_ge(s, NS, p.thr) / NS || p.far != (double)count_ge(d, ND, p.thr) / ND)
                ok_t = 0, printf("  FAR %g: rc %d TAR %g FAR %g, brute %g %g\n", fs[k], rc, p.tar, p.far, bt, bf);
            /* the lowest such threshold: one float lower accepts too many different pairs */
            if (fs[k] < 1 && (double)count_ge(d, ND, nextafterf(p.thr, -INFINITY)) / ND <= fs[k]) ok_low = 0;
        }
        CHECK(ok_t, "random: TAR@FAR differs from the brute force");
        CHECK(ok_low, "random: a lower threshold also meets the FAR");
        CHECK(na == 1, "random: %d NA targets (want 1: 4e-4 x 2000 < 1)", na);
    }
}

static void test_roc_curve(void)
{
    em_roc_point *p = NULL;
    int n = 0, rc, i, ok = 1;
    /* the ties case, 1 point a decade: rows none, FAR 0, f_lo = 1/4, then 10^0 = 1 */
    {
        const float s[3] = {0.5f, 0.5f, 0.7f}, d[4] = {0.3f, 0.5f, 0.5f, 0.6f};
        rc = em_roc_curve(s, 3, d, 4, 1e-6, 1, &p, &n);
        CHECK(rc == 0 && n == 4, "ties ROC: rc %d, %d rows (want 4)", rc, n);
        if (rc == 0 && n == 4) {
            CHECK(p[0].far == 0 && p[0].tar == 0 && p[0].thr == nextafterf(0.7f, 1),
                  "row 1: %g %g %.9g (want 0 0, above .7)", p[0].far, p[0].tar, p[0].thr);
            CHECK(p[1].far == 0 && NEAR(p[1].tar, 1.0 / 3, 1e-15) && p[1].thr == nextafterf(0.6f, 1),
                  "row 2 (FAR 0): %g %g %.9g (want 0 1/3, above .6)", p[1].far, p[1].tar, p[1].thr);
            CHECK(p[2].far_target == 0.25 && p[2].far == 0.25 && NEAR(p[2].tar, 1.0 / 3, 1e-15),
                  "row 3 (f = 1/4): %g %g %g", p[2].far_target, p[2].far, p[2].tar);
            CHECK(p[3].far_target == 1 && p[3].far == 1 && p[3].tar == 1 && p[3].thr == 0.3f,
                  "row 4 (f = 1): %g %g %g %g", p[3].far_target, p[3].far, p[3].tar, p[3].thr);
        }
        free(p);
        CHECK(em_roc_curve(s, 0, d, 4, 1e-6, 10, &p, &n) == 1 && p == NULL && n == 0,
              "ROC without same pairs: not NA");
        CHECK(em_roc_curve(s, 3, d, 4, 0, 10, &p, &n) == -1 && em_roc_curve(s, 3, d, 4, 1e-6, 0, &p, &n) == -1,
              "ROC: far_min 0 or 0 points a decade accepted");
    }
    /* 18000 random different pairs: f_lo = 1/18000 = 10^-4.26, grid 10^-4.2 .. 10^0 */
    {
        enum { NS = 1900, ND = 18000 };
        float *s = malloc(NS * sizeof(float)), *d = malloc(ND * sizeof(float));
        for (i = 0; i < NS; ++i) s[i] = (float)(0.3 + 0.4 * urand());
        for (i = 0; i < ND; ++i) d[i] = (float)(floor(urand() * 1000) / 1000 - 0.5);
        em_sort_scores(s, NS);
        em_sort_scores(d, ND);
        rc = em_roc_curve(s, NS, d, ND, 1e-6, 10, &p, &n);
        CHECK(rc == 0 && n == 3 + 43, "random ROC: rc %d, %d rows (want 46)", rc, n);
        for (i = 1; i < n; ++i)
            if (p[i].far < p[i - 1].far || p[i].tar < p[i - 1].tar || p[i].thr > p[i - 1].thr) ok = 0;
        CHECK(ok, "random ROC not monotone");
        CHECK(n > 3 && NEAR(p[2].far_target, 1.0 / ND, 1e-18) && p[2].far <= 1.0 / ND &&
                  NEAR(p[3].far_target, pow(10, -4.2), 1e-18) && p[n - 1].far_target == 1 &&
                  p[n - 1].far == 1 && p[n - 1].tar == 1,
              "random ROC grid: %g %g .. %g", p[2].far_target, p[3].far_target, p[n - 1].far_target);
        for (ok = 1, i = 2; i < n; ++i) {
            em_roc_point q;
            em_tar_at_far(s, NS, d, ND, p[i].far_target, &q);
            if (q.far_target != p[i].far_target || q.far != p[i].far || q.tar != p[i].tar ||
                q.thr != p[i].thr)
                ok = 0;
        }
        CHECK(ok, "random ROC rows differ from em_tar_at_far");
        free(p);
        free(s);
        free(d);
    }
    /* all pairs of separated clusters: TAR 1 at FAR 1e-3, AUC 1 */
    {
        enum { N = 400, D = 8 };
        int y[N];
        size_t ns, nd;
        float *x = clusters(N, D, 8, 0.05, y), *s, *d;
        em_roc_point q;
        em_count_pairs(y, N, &ns, &nd);
        s = malloc(ns * sizeof(float));
        d = malloc(nd * sizeof(float));
        rc = em_pair_scores(x, N, D, y, s, d, 0, NULL, NULL, NULL);
        rc |= em_sort_scores(s, ns);
        rc |= em_sort_scores(d, nd);
        CHECK(rc == 0 && em_tar_at_far(s, ns, d, nd, 1e-3, &q) == 0 && q.tar == 1 &&
                  em_roc_auc(s, ns, d, nd) == 1,
              "separated clusters, all pairs: TAR@1e-3 %g AUC %g (want 1 1)", q.tar,
              em_roc_auc(s, ns, d, nd));
        free(x);
        free(s);
        free(d);
    }
}

#ifdef _OPENMP
/* only when built with -fopenmp (make test builds this suite without it; see the header):
 * the scores, histograms, sorted scores and ROC are the same for 1 and 3 threads */
static void test_threads(void)
{
    enum { N = 700, D = 16, NB = 180 };
    int y[N], t;
    size_t ns, nd;
    float *x = clusters(N, D, 7, 0.8, y), *s[2], *d[2];
    double hs[2][NB], hd[2][NB], auc[2];
    em_roc_point *p[2];
    int np[2], rc = 0;
    em_count_pairs(y, N, &ns, &nd);
    for (t = 0; t < 2; ++t) {
        omp_set_num_threads(t ? 3 : 1);
        s[t] = malloc(ns * sizeof(float));
        d[t] = malloc(nd * sizeof(float));
        memset(hs[t], 0, sizeof(hs[t]));
        memset(hd[t], 0, sizeof(hd[t]));
        rc |= em_pair_scores(x, N, D, y, s[t], d[t], NB, hs[t], hd[t], NULL);
    }
    CHECK(memcmp(s[0], s[1], ns * sizeof(float)) == 0 && memcmp(d[0], d[1], nd * sizeof(float)) == 0 &&
              memcmp(hs[0], hs[1], sizeof(hs[0])) == 0 && memcmp(hd[0], hd[1], sizeof(hd[0])) == 0,
          "threads: scores or histograms differ between 1 and 3 threads");
    for (t = 0; t < 2; ++t) {
        omp_set_num_threads(t ? 3 : 1);
        rc |= em_sort_scores(s[t], ns) | em_sort_scores(d[t], nd);
        auc[t] = em_roc_auc(s[t], ns, d[t], nd);
        rc |= em_roc_curve(s[t], ns, d[t], nd, 1e-6, 10, &p[t], &np[t]);
    }
    CHECK(rc == 0 && memcmp(s[0], s[1], ns * sizeof(float)) == 0 &&
              memcmp(d[0], d[1], nd * sizeof(float)) == 0 && auc[0] == auc[1] && np[0] == np[1],
          "threads: sorted scores, AUC or ROC rows differ between 1 and 3 threads");
    for (t = 0; t < 2; ++t) {
        free(s[t]);
        free(d[t]);
        free(p[t]);
    }
    free(x);
    omp_set_num_threads(omp_get_num_procs());
}
#endif

/* writes text to a temporary file and parses it */
static int parse_text(const char *text, char ***paths, em_pair **pairs, int *np, int *ns,
                      char *err, size_t errlen)
{
    FILE *f = tmpfile();
    int rc;
    if (!f) return -2;
    fputs(text, f);
    rewind(f);
    rc = em_read_lfw_pairs(f, paths, pairs, np, ns, err, errlen);
    fclose(f);
    return rc;
}

static void test_lfw_reader(void)
{
    char **paths = NULL, err[256];
    em_pair *pairs = NULL;
    int np = 0, ns = 0, rc;
    const char *good = "2\t2\n"
                       "Abel_Pacheco\t1\t4\n"
                       "Akhmed_Zakayev 1 3\n"
                       "Abdel_Madi_Shabneh\t1\tDean_Barker\t1\r\n"
                       "Abdel_Madi_Shabneh 1 Giancarlo_Fisichella 1\n"
                       "Zoe_Ball 12 13\n"
                       "Zach_Safrin 1 2\n"
                       "A 1 B 10\n"
                       "C 100 D 1000\n"
                       "\n";
    rc = parse_text(good, &paths, &pairs, &np, &ns, err, sizeof(err));
    CHECK(rc == 0 && np == 8 && ns == 2, "good file: rc %d np %d sets %d (%s)", rc, np, ns,
          rc ? err : "");
    if (rc == 0) {
        CHECK(strcmp(paths[0], "Abel_Pacheco/Abel_Pacheco_0001.jpg") == 0 &&
                  strcmp(paths[1], "Abel_Pacheco/Abel_Pacheco_0004.jpg") == 0,
              "same-pair paths %s %s", paths[0], paths[1]);
        CHECK(strcmp(paths[4], "Abdel_Madi_Shabneh/Abdel_Madi_Shabneh_0001.jpg") == 0 &&
                  strcmp(paths[5], "Dean_Barker/Dean_Barker_0001.jpg") == 0,
              "different-pair paths %s %s", paths[4], paths[5]);
        CHECK(strcmp(paths[8], "Zoe_Ball/Zoe_Ball_0012.jpg") == 0 &&
                  strcmp(paths[15], "D/D_1000.jpg") == 0,
              "second set paths %s %s", paths[8], paths[15]);
        CHECK(pairs[0].same && pairs[1].same && !pairs[2].same && !pairs[3].same &&
                  pairs[4].same && !pairs[7].same && pairs[3].fold == 0 && pairs[4].fold == 1 &&
                  pairs[7].fold == 1 && pairs[5].a == 10 && pairs[5].b == 11,
              "same/fold/index fields wrong");
        em_free_lfw_pairs(paths, pairs, np);
    }
    {
        static const struct {
            const char *text, *want; /* want: the start of the error message */
        } bad[] = {
            {"", "line 1: empty"},
            {"10\n", "line 1: header"},
            {"10 300 5\n", "line 1: header"},
            {"x 300\n", "line 1: header"},
            {"0 300\n", "line 1: header"},
            {"1 1\nA 1 2\n", "line 3: file ends"},
            {"1 1\nA 1\nB 1 C 2\n", "line 2: expected a same-person"},
            {"1 1\nA 1 2 3\nB 1 C 2\n", "line 2: expected a same-person"},
            {"1 1\nA 1 x\nB 1 C 2\n", "line 2: expected a same-person"},
            {"1 1\nA 1 2\nB 1 C\n", "line 3: expected a different-person"},
            {"1 1\nA 1 2\nB 1 C 2 D\n", "line 3: expected a different-person"},
            {"1 1\nA 1 2\nB 1 C -2\n", "line 3: expected a different-person"},
            {"1 1\nA 1 2\nB 1 C 2\nD 1 2\n", "line 4: more lines"},
        };
        size_t i;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
            err[0] = 0;
            rc = parse_text(bad[i].text, &paths, &pairs, &np, &ns, err, sizeof(err));
            CHECK(rc == -1 && strncmp(err, bad[i].want, strlen(bad[i].want)) == 0,
                  "bad pairs file %zu: rc %d, message '%s' (want '%s...')", i, rc, err,
                  bad[i].want);
        }
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    urand_state = 88172645463325252ULL; /* the synthetic clusters' noise */
    test_angles();
    test_top1();
    test_afs();
    test_hist();
    test_pairs();
    test_verification();
    test_pair_scores();
    test_sort_scores();
    test_tar_at_far();
    test_roc_curve();
#ifdef _OPENMP
    test_threads();
#endif
    test_lfw_reader();
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
