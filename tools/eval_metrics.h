/*
 * eval_metrics.h — the metrics of tools/asoftmax_eval.c as small pure C functions on raw
 * arrays (no Darknet, no I/O except em_read_lfw_pairs), unit-tested by
 * tests/test_eval_metrics.c. Definitions: docs/math.md §6.
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
