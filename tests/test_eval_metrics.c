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
 *   - the LFW pairs.txt reader: paths, folds, and one clear error per malformed input.
 *
 * Built and run by `make test` (tests/run-tests.sh). Prints every failure, then a closing
 * `N passed, N failed` line; exit status 1 on any failure. Needs no Darknet and no data:
 *   gcc -std=gnu11 -Wall -Wextra -Wshadow -Werror -Itools tests/test_eval_metrics.c \
 *       tools/eval_metrics.c -lm -o test_eval_metrics && ./test_eval_metrics
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_metrics.h"

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
    test_lfw_reader();
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
