/*
 * eval_metrics.h — the metrics of tools/asoftmax_eval.c as small pure C functions on raw
 * arrays (no Darknet, no I/O except em_read_lfw_pairs), unit-tested by
 * tests/test_eval_metrics.c. Definitions: docs/math.md §6; TAR at FAR, ROC and AUC below.
 *
 * Conventions for every function below:
 *   x       (n, d) row-major float features, one row per sample, NOT normalized
 *           (the functions normalize where the metric needs angles);
 *   labels  (n) class of each row, 0 <= labels[i] < nclasses;
 *   angles  in degrees, in [0, 180]; a zero vector has angle 90 to everything
 *           (cosine 0), so that it never counts as a perfect match;
 *   return  0 on success, -1 on invalid arguments (never prints, never exits).
 */
#ifndef EVAL_METRICS_H
#define EVAL_METRICS_H

#include <stddef.h>
#include <stdio.h>

/* NaN means "not measured" in these results (e.g. top-1 without a classifier); a build with
 * -ffinite-math-only (-Ofast, -ffast-math) may fold isnan() to 0, so refuse it. */
#if defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__
#error "eval_metrics needs NaN: build without -ffinite-math-only (-Ofast / -ffast-math)"
#endif

/* ---- vectors ---- */

/* cos<a, b> in [-1, 1] (clamped), accumulated in double; 0 if either vector is zero. */
double em_cosine(const float *a, const float *b, int d);
/* angle<a, b> in degrees, acos(em_cosine) * 180/pi. */
double em_angle_deg(const float *a, const float *b, int d);

/* ---- classification ---- */

/* Top-1 accuracy of scores (n, C): fraction of rows whose largest score (the first one on
 * ties) is at labels[i]. Returns NaN when n <= 0 or C <= 0. */
double em_top1(const float *scores, int n, int C, const int *labels);

/* ---- angular Fisher score (SphereFace appendix E; docs/math.md §6) ----
 *   mu_i = mean of the (raw) features of class i, mu = mean of all n features,
 *   S_w  = sum_i sum_{x in class i} (1 - cos<x, mu_i>),
 *   S_b  = sum_i n_i (1 - cos<mu_i, mu>),    AFS = S_w / S_b  (lower is better).
 * Classes with no sample are skipped. *afs = +inf when S_b = 0 < S_w, NaN when both are 0.
 * sw, sb may be NULL. */
int em_angular_fisher(const float *x, int n, int d, const int *labels, int nclasses,
                      double *afs, double *sw, double *sb);

/* ---- pair-angle distributions ----
 * Histograms of the angle of every unordered pair {i, j}, i < j, of the n rows: same-class
 * pairs into same[nbins], different-class pairs into diff[nbins]; bin b covers
 * [b, b+1) * 180/nbins degrees (180 goes into the last bin). Counts are added to what the
 * arrays hold. The summary (may be NULL) gets the exact mean, std, min and max of each kind
 * (the fields of a kind are NaN when it has no pair). O(n^2 d); rows are normalized once;
 * shared between OpenMP threads when compiled with -fopenmp, with the same result for any
 * number of threads. On -1 (bad arguments, out of memory) the arrays may be partly filled. */
typedef struct {
    double n_same, n_diff;
    double same_mean, same_std, same_min, same_max;
    double diff_mean, diff_std, diff_min, diff_max;
} em_pair_stats;
int em_pair_angle_hist(const float *x, int n, int d, const int *labels, int nbins,
                       double *same, double *diff, em_pair_stats *st);

/* The number of same-class and different-class unordered pairs {i < j} of n labels
 * (n_same = sum over classes of n_c (n_c - 1) / 2, n_diff = n (n-1)/2 - n_same). */
int em_count_pairs(const int *labels, int n, size_t *n_same, size_t *n_diff);

/* em_pair_angle_hist that also keeps every pair's score: the cosine of pair {i < j}
 * (rows normalized once, in float; dot product in double, clamped to [-1, 1]) rounded to
 * float (-0 stored as +0) goes to same_s[] or diff_s[] (sizes: em_count_pairs), in the
 * order i = 0..n-1, j = i+1..n-1, whatever the number of OpenMP threads. same_s and diff_s
 * may both be NULL (no scores), same and diff both NULL (no histograms, nbins ignored; st
 * must then be NULL). One O(n^2 d) pass; -1 on invalid arguments or out of memory. */
int em_pair_scores(const float *x, int n, int d, const int *labels, float *same_s,
                   float *diff_s, int nbins, double *same, double *diff, em_pair_stats *st);

/* Overlap coefficient of two histograms over the same bins: sum_b min(p(b), q(b)) with p, q
 * the histograms normalized to sum 1: 0 = disjoint, 1 = identical distributions.
 * NaN when either histogram is empty. */
double em_hist_overlap(const double *p, const double *q, int nbins);

/* The angle below which a fraction `frac` (0..1) of the histogram's mass lies, read off
 * the bins (linear inside the bin): resolution 180/nbins degrees. NaN when empty. */
double em_hist_quantile(const double *h, int nbins, double frac);

/* ---- verification (LFW protocol) ---- */

/* One verification pair: rows a and b of x, same = 1 when they share a class, fold = the
 * cross-validation fold the pair belongs to (0..nfolds-1). */
typedef struct {
    int a, b, same, fold;
} em_pair;

/* em_pair_angle_hist over a given list of pairs: x holds the rows the pairs index; pair i
 * goes to same[] when pairs[i].same, else to diff[]. */
int em_pairs_angle_hist(const float *x, int d, const em_pair *pairs, int np, int nbins,
                        double *same, double *diff, em_pair_stats *st);

/* Draws npairs distinct pairs (unordered, a != b) with a fixed-seed generator, LFW style:
 * fold f holds pairs [f*per, (f+1)*per), per = npairs/nfolds, of which the first half are
 * same-class pairs and the second half different-class pairs (pairs.txt's order).
 * npairs must be a positive multiple of 2*nfolds; needs at least one class with two
 * samples and at least two classes. Returns -1 on invalid arguments or when not enough
 * distinct pairs exist (more than 100*npairs draws). */
int em_make_pairs(const int *labels, int n, int npairs, int nfolds, unsigned long long seed,
                  em_pair *pairs);

/* The threshold t on scores (cosine similarities) that maximizes the accuracy of
 * "same iff score > t" over the pairs i with use[i] != 0 (use NULL = all). Candidates:
 * -inf and the midpoints between consecutive distinct scores (and the largest score);
 * ties go to the smallest t. *acc (may be NULL) gets that accuracy. Returns -1 when no pair
 * is used. */
int em_best_threshold(const double *score, const int *same, const int *use, int np,
                      double *thr, double *acc);

/* k-fold verification: for each fold f, the threshold is chosen on the other folds
 * (em_best_threshold) and the accuracy measured on fold f. fold_acc[nfolds] and
 * fold_thr[nfolds] may be NULL; *mean and *std (sample standard deviation, n-1) get the
 * mean and spread of the fold accuracies. Every fold must hold at least one pair. */
int em_verify_kfold(const double *score, const int *same, const int *fold, int np, int nfolds,
                    double *fold_acc, double *fold_thr, double *mean, double *std);

/* ---- ROC and TAR at FAR (verification by a score threshold) ----
 * Scores s are cosine similarities of same pairs (same[N_same]) and different pairs
 * (diff[N_diff]) as float; a pair is accepted (called "same") iff s >= t.
 *   FAR(t) = #{different pairs: s >= t} / N_diff,   TAR(t) = #{same pairs: s >= t} / N_same.
 * TAR at FAR f (0 < f <= 1): k = floor(f N_diff) different pairs may be accepted. With
 * d_(k+1) the (k+1)-th highest different score, the lowest threshold with FAR(t) <= f is
 * t_f = the smallest float above d_(k+1) (pairs of equal score are accepted or rejected
 * together, so FAR(t_f) may be below f), and
 *   TAR@FAR=f = TAR(t_f) = #{same: s > d_(k+1)} / N_same,  reached FAR = #{diff: s > d_(k+1)} / N_diff.
 * k >= N_diff (f = 1): t_f = the lowest score, TAR = FAR = 1. Not measurable when
 * f N_diff < 1 (k = 0: no FAR between 0 and f exists, the value would be TAR at FAR 0) or
 * when N_same or N_diff is 0. Exact: integer counts on the float scores; ties are at float
 * resolution (2^-24 relative, <= 6e-8 in [-1, 1]). f N_diff is rounded up by 4 ulps before
 * the floor, so that 1e-3 x 1000 counts as 1.
 * AUC = (1 / (N_same N_diff)) sum over (same s, different d) of ([s > d] + [s = d] / 2): the
 * area under the ROC through every distinct threshold (straight across ties), the chance
 * that a random same pair scores above a random different pair. Exact while
 * 2 N_same N_diff < 2^64, then summed in double. */

/* An operating point: accept iff score >= thr; far, tar as reached; far_target the f it was
 * asked for (0 for the FAR-0 rows of em_roc_curve). */
typedef struct {
    double far_target, far, tar;
    float thr;
} em_roc_point;

/* Sorts v[n] ascending in place (radix sort of the float bit patterns, O(n), no extra
 * memory; -0 becomes +0; the top level shared between OpenMP threads, the same result for
 * any number). Returns -1, v unchanged, when v holds a NaN. The functions below take
 * arrays sorted by it. */
int em_sort_scores(float *v, size_t n);

/* TAR at FAR f, as defined above, of ascending same[ns], diff[nd]. Returns 0 with *pt set;
 * 1 when not measurable (f nd < 1, ns = 0 or nd = 0: pt's values NaN); -1 on invalid
 * arguments (f outside (0, 1], NULL). O(log n). */
int em_tar_at_far(const float *same, size_t ns, const float *diff, size_t nd, double f,
                  em_roc_point *pt);

/* AUC as defined above of ascending same[ns], diff[nd]; NaN when either is empty. O(ns + nd). */
double em_roc_auc(const float *same, size_t ns, const float *diff, size_t nd);

/* The ROC for a plot, thresholds decreasing (far and tar non-decreasing), in a malloc'd
 * *pts of *npts rows:
 *   1. nothing accepted: thr = the float above the highest score, far = tar = 0;
 *   2. FAR 0: thr = the float above the highest different score;
 *   3. TAR@FAR=f for f = f_lo = max(far_min, 1/nd), then f = 10^(j/per_decade) for every
 *      whole j <= 0 with f > f_lo; the last row is f = 1 (thr = the lowest score, 1, 1).
 * Returns 0; 1 (nothing allocated) when ns = 0 or nd = 0; -1 on invalid arguments
 * (far_min outside (0, 1], per_decade <= 0) or out of memory. */
int em_roc_curve(const float *same, size_t ns, const float *diff, size_t nd, double far_min,
                 int per_decade, em_roc_point **pts, int *npts);

/* ---- LFW pairs.txt ----
 * Format: a header line "S N" (LFW: "10 300"), then S sets of N same-person lines
 * "name idx1 idx2" followed by N different-person lines "name1 idx1 name2 idx2", fields
 * separated by blanks/tabs. Fills, per pair, the two image paths "name/name_%04d.jpg"
 * (relative to the LFW image root), same, and fold = set index. Allocates *paths (2*np
 * strings, pair i -> paths[2i], paths[2i+1]) and *pairs (np, a = 2i, b = 2i+1); free with
 * em_free_lfw_pairs. On a format error returns -1 and writes a message naming the line
 * into err (errlen bytes). */
int em_read_lfw_pairs(FILE *f, char ***paths, em_pair **pairs, int *np, int *nsets,
                      char *err, size_t errlen);
void em_free_lfw_pairs(char **paths, em_pair *pairs, int np);

#endif
