/*
 * asoftmax_eval.c — how angularly discriminative is a trained Darknet classifier's
 * embedding? The evaluation of the demos (`make demo`, `make demo-openset`): Darknet's own
 * forward pass (network_predict) over a labeled image list, or over LFW's pairs.txt with
 * --lfw, and metrics of the embedding that feeds the classification head: layer n-2 of a
 * cfg ending in [asoftmax], n-3 (the input of the final [connected]) of one ending in
 * [connected] + [softmax], so that a softmax/[asoftmax] twin pair is measured at the SAME
 * layer (--layer N picks another).
 *
 * It reports (definitions in docs/math.md §6; the metrics are tools/eval_metrics.c): top-1
 * of the network's own output (closed set only: the labels file names the network's
 * classes); the angular Fisher score; the same- and different-class pair-angle
 * distributions of every pair of up to --hist-max images and their overlap; LFW-style
 * k-fold verification on --pairs fixed-seed pairs; TAR at FAR 1e-2, 1e-3, 1e-4 and the ROC
 * AUC over ALL those pairs, TAR at FAR 1e-3 and the AUC of the verification pairs.
 * --openset: the identities are not the network's classes (top1=NA). --lfw: the folds are
 * pairs.txt's sets, the identity of an image its name folder (top1, afs NA).
 *
 * TAR at FAR (the definition PREFIX.txt refers to; also in tools/eval_metrics.h). Scores:
 * s = cos<x_a, x_b> of the raw embeddings as float (all pairs: rows normalized in float,
 * dot product in double); a pair is accepted ("same") iff s >= t.
 *   FAR(t) = #{different pairs: s >= t} / N_diff,  TAR(t) = #{same pairs: s >= t} / N_same.
 * TAR@FAR=f: with k = floor(f N_diff) and d_(k+1) the (k+1)-th highest different-pair
 * score, the threshold is the lowest one whose FAR <= f, t_f = the smallest float above
 * d_(k+1) (pairs of equal score move together, so the FAR reached may be below f), and
 * TAR@FAR=f = #{same: s > d_(k+1)} / N_same. f = 1: t_f = the lowest score, TAR = 1.
 * NA (not measurable) when f N_diff < 1 (k = 0: fewer than one different pair may pass, so
 * FAR f cannot be told from FAR 0; needs N_diff >= 1/f) or when there is no same or no
 * different pair. Exact: integer counts on the float scores (ties at float resolution,
 * <= 6e-8); all N_same + N_diff scores are kept (4 bytes a pair: 200 MB for 10000 images)
 * and radix-sorted; the result does not depend on the number of OpenMP threads.
 * ROC AUC = (1 / (N_same N_diff)) sum over (same s, different d) of [s > d] + [s = d]/2.
 *
 * Images: load_image_color(path, net->w, net->h), which resizes when the size differs
 * (`darknet classifier valid` center-crops instead: identical at the network's size);
 * labels as Darknet gives them: the one label name that occurs in the image path.
 *
 * Outputs: a readable summary on stdout; with --out PREFIX also
 *   PREFIX.txt            key=value lines (what scripts/demo.sh turns into the report); a
 *                         value not measured is NA (top1 with --openset or --lfw, afs with
 *                         --lfw, TAR at FAR when not measurable: a "# KEY=NA: why" comment
 *                         line comes before it). Besides the earlier keys: openset (0/1),
 *                         roc_images, roc_same_pairs, roc_diff_pairs (the all-pairs set),
 *                         tar_far1e-2, tar_far1e-3, tar_far1e-4 and thr_far1e-2.. (their
 *                         cosine thresholds t_f), roc_auc; pairs_tar_far1e-3,
 *                         pairs_thr_far1e-3, pairs_roc_auc (the --pairs pairs)
 *   PREFIX-angles.tsv     pair-angle histograms (gnuplot): lo hi same diff same_frac diff_frac
 *   PREFIX-roc.tsv        the all-pairs ROC (gnuplot: plot 'P-roc.tsv' u 1:2 w lines, with
 *                         set logscale x): far tar threshold far_target, by decreasing
 *                         threshold: nothing accepted (0, 0); FAR 0; TAR@FAR=f for f =
 *                         max(1e-6, 1/N_diff), then 10^(j/10) above it up to f = 1 (1, 1);
 *                         far and tar never decrease down the rows. Only the header when
 *                         there is no same or no different pair
 *   PREFIX-features.tsv   label and raw embedding per image (written when the embedding
 *                         has at most 3 dimensions, or with --features)
 *
 * Build: make eval (build/asoftmax_eval).  Usage: run with --help.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "darknet.h"
#include "eval_metrics.h"
#define TOOL_NAME "asoftmax_eval"
#include "tool_util.h"
#include "network.h" /* get_layer_string */

/* stb_image is compiled into libdarknet; Darknet's own loader exit(0)s on a bad image, so
 * every image is checked with stbi_info first. */
int stbi_info(char const *filename, int *x, int *y, int *comp);
const char *stbi_failure_reason(void);

static const char usage_text[] =
    "usage: asoftmax_eval [OPTIONS] CFG WEIGHTS LIST LABELS\n"
    "       asoftmax_eval [OPTIONS] --lfw PAIRS_TXT --lfw-root DIR CFG WEIGHTS\n"
    "  LIST: image paths, one a line; LABELS: class names, one a line (Darknet's .data files),\n"
    "  as many as the network has outputs (or any identities with --openset)\n"
    "options:\n"
    "  --openset       LABELS are identities the network was not trained on: no top-1\n"
    "                  (top1=NA); verification, TAR at FAR, ROC, AFS over those identities\n"
    "  --out PREFIX    also write PREFIX.txt (key=value), PREFIX-angles.tsv, PREFIX-roc.tsv,\n"
    "                  PREFIX-features.tsv\n"
    "  --layer N       embedding = output of layer N (default: the input of the head)\n"
    "  --pairs N       verification pairs (default 6000; a multiple of 2*folds; 0: no\n"
    "                  verification, its keys NA; not with --lfw)\n"
    "  --folds K       verification folds (default 10)\n"
    "  --seed S        seed of the pair draw and of the --hist-max subset (default 1)\n"
    "  --batch B       images per forward pass (default 64; at most the cfg's batch)\n"
    "  --bins N        pair-angle histogram bins over [0, 180] degrees (default 180)\n"
    "  --hist-max N    all-pairs histograms, TAR at FAR and ROC on at most N images\n"
    "                  (default 10000; 4 bytes of memory a pair: 200 MB at 10000)\n"
    "  --features      write PREFIX-features.tsv whatever the embedding size\n";

/* the rest of --help (usage_text alone is what a usage error prints) */
static const char help_text[] =
    "  --lfw PAIRS_TXT verify a face model on LFW's pairs.txt (header \"10 300\", then\n"
    "                  \"name idx1 idx2\" / \"name1 idx1 name2 idx2\" lines): one fold per set,\n"
    "                  the pair angles of its pairs, TAR at FAR and ROC over every pair of\n"
    "                  its distinct images (at most --hist-max), identity = name folder;\n"
    "                  top1, afs NA\n"
    "  --lfw-root DIR  the images of --lfw: DIR/name/name_0001.jpg\n"
    "  --help          this text\n"
    "  Each image path must contain exactly one name of LABELS (Darknet's labeling); paths\n"
    "  are relative to the working directory, as for Darknet.\n"
    "exit status: 0 on success, 1 on bad input (one message), 2 on usage errors\n";

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
    fputs(usage_text, stderr);
    exit(2);
}

/* Darknet's label of a path (the label name that occurs in it), or exit 1 */
static int label_of(const char *path, char **labels, int nl)
{
    int j, found = -1;
    for (j = 0; j < nl; ++j)
        if (strstr(path, labels[j])) {
            if (found >= 0)
                die("image '%s' matches two labels, '%s' and '%s' (Darknet takes the first: "
                    "rename so that each path contains exactly one label name)",
                    path, labels[found], labels[j]);
            found = j;
        }
    if (found < 0) die("image '%s' contains none of the %d label names", path, nl);
    return found;
}

/* Darknet's load_weights_upto reads without checking; compare the file's size with what
 * the cfg needs, for the layer types that carry weights here. Returns 0 when it matches,
 * 1 when a layer type with weights is not covered (no check). */
static int check_weights_size(network *net, const char *path)
{
    FILE *f = fopen(path, "rb");
    int hdr[3], i;
    long long need, have;
    if (!f) die("cannot open weights '%s': %s", path, strerror(errno));
    if (fread(hdr, sizeof(int), 3, f) != 3) die("weights '%s': shorter than its header", path);
    fseek(f, 0, SEEK_END);
    have = ftell(f);
    fclose(f);
    need = 3 * (long long)sizeof(int) +
           (((hdr[0] * 10 + hdr[1]) >= 2 && hdr[0] < 1000 && hdr[1] < 1000) ? (long long)sizeof(size_t)
                                                                            : (long long)sizeof(int));
    for (i = 0; i < net->n; ++i) {
        layer *l = &net->layers[i];
        long long p = 0;
        switch (l->type) {
        case CONVOLUTIONAL:
            p = (long long)l->n + (long long)l->c / l->groups * l->n * l->size * l->size +
                (l->batch_normalize ? 3LL * l->n : 0);
            break;
        case CONNECTED:
            p = (long long)l->outputs + (long long)l->outputs * l->inputs +
                (l->batch_normalize ? 3LL * l->outputs : 0);
            break;
        case ASOFTMAX: p = (long long)l->outputs * l->inputs; break;
        case BATCHNORM: p = 3LL * l->c; break;
        case DECONVOLUTIONAL: case CRNN: case RNN: case LSTM: case GRU: case LOCAL:
            fprintf(stderr, "asoftmax_eval: note: layer %d (%s) not covered by the weights-size "
                            "check; not checking '%s'\n", i, get_layer_string(l->type), path);
            return 1;
        default: break;
        }
        need += 4 * p;
    }
    if (have != need)
        die("weights '%s' has %lld bytes, the cfg needs %lld: the weights were not trained "
            "with this cfg (e.g. a softmax model with the [asoftmax] cfg)", path, have, need);
    return 0;
}

/* The embedding layer: the input of the head ([asoftmax], or [connected] + [softmax]).
 * head_desc gets a description. Returns -1 when the cfg has neither head. */
static int find_embedding(network *net, char *head_desc, size_t len)
{
    int n = net->n;
    if (n >= 2 && net->layers[n - 1].type == ASOFTMAX) {
        snprintf(head_desc, len, "asoftmax (layer %d)", n - 1);
        return n - 2;
    }
    if (n >= 3 && net->layers[n - 1].type == SOFTMAX && net->layers[n - 2].type == CONNECTED) {
        snprintf(head_desc, len, "connected + softmax (layers %d-%d)", n - 2, n - 1);
        return n - 3;
    }
    return -1;
}

/* Forward passes of B images at a time. feat (n, d) gets the embedding layer's output,
 * scores (n, C) the network's output (C = net->outputs; NULL = not wanted). */
static void embed(network *net, int emb, char **paths, int n, int B, float *feat, float *scores)
{
    int d = net->layers[emb].outputs, C = net->outputs, in = net->w * net->h * net->c;
    float *input = xcalloc((size_t)B * in, sizeof(float));
    int i, b, next_report = n / 4;
    for (i = 0; i < n; i += B) {
        int nb = n - i < B ? n - i : B;
        float *out;
        for (b = 0; b < nb; ++b) {
            image im = load_image_color(paths[i + b], net->w, net->h);
            if (im.w != net->w || im.h != net->h || im.c != net->c)
                die("image '%s' loaded as %dx%dx%d, the network takes %dx%dx%d (channels=3 "
                    "in the cfg?)", paths[i + b], im.w, im.h, im.c, net->w, net->h, net->c);
            memcpy(input + (size_t)b * in, im.data, sizeof(float) * in);
            free_image(im);
        }
        if (nb < B) memset(input + (size_t)nb * in, 0, sizeof(float) * (size_t)(B - nb) * in);
        out = network_predict(net, input);
        memcpy(feat + (size_t)i * d, net->layers[emb].output, sizeof(float) * (size_t)nb * d);
        /* a diverged model's NaN features would poison every metric (the pair histograms
         * cannot place a NaN angle): stop here with the reason */
        for (b = 0; b < nb * d; ++b)
            if (!isfinite(feat[(size_t)i * d + b]))
                die("image '%s': its embedding has a non-finite value (%g): these weights are not "
                    "usable (did training diverge? look for nan in the training log)",
                    paths[i + b / d], feat[(size_t)i * d + b]);
        if (scores) memcpy(scores + (size_t)i * C, out, sizeof(float) * (size_t)nb * C);
        if (i + nb >= next_report || i + nb == n) {
            fprintf(stderr, "asoftmax_eval: forward %d/%d images\n", i + nb, n);
            next_report = i + nb + n / 4 + 1;
        }
    }
    free(input);
}

static void check_images(char **paths, int n)
{
    int i, w, h, c;
    for (i = 0; i < n; ++i) {
        check_readable(paths[i], "image");
        if (!stbi_info(paths[i], &w, &h, &c))
            die("image '%s' cannot be decoded: %s", paths[i], stbi_failure_reason());
    }
}

/* whether two LFW paths "name/name_0001.jpg" have the same name folder */
static int same_name(const char *a, const char *b)
{
    size_t la = strcspn(a, "/");
    return la == strcspn(b, "/") && strncmp(a, b, la) == 0;
}

/* qsort of pair-end indices by their path (LFW mode) */
static char **sort_rel;
static int cmp_rel(const void *a, const void *b)
{
    int c = strcmp(sort_rel[*(const int *)a], sort_rel[*(const int *)b]);
    return c ? c : *(const int *)a - *(const int *)b;
}

static FILE *open_out(const char *prefix, const char *suffix, char *name, size_t len)
{
    FILE *f;
    snprintf(name, len, "%s%s", prefix, suffix);
    f = fopen(name, "w");
    if (!f) die("cannot write '%s': %s", name, strerror(errno));
    return f;
}

static void close_out(FILE *f, const char *name)
{
    if (ferror(f) | fclose(f)) die("error writing '%s'", name);
}

/* the FAR targets of the all-pairs TAR@FAR keys, and of the verification pairs' one */
#define N_FAR 3
static const double far_targets[N_FAR] = {1e-2, 1e-3, 1e-4};
static const char *const far_names[N_FAR] = {"1e-2", "1e-3", "1e-4"};
#define PAIRS_FAR 1e-3
#define PAIRS_FAR_NAME "1e-3"

/* TAR at FAR, ROC and AUC of one set of same/different scores */
typedef struct {
    size_t n_same, n_diff;
    int rc[N_FAR];             /* em_tar_at_far's: 0 measured, 1 not measurable */
    em_roc_point at[N_FAR];
    double auc;
    em_roc_point *roc;         /* (nroc) em_roc_curve's rows; NULL when not measurable */
    int nroc;
} roc_result;

/* ---- everything the run measured ---- */
typedef struct {
    const char *cfg, *weights;
    int lfw_mode, open_set, n, d, emb, nbins, nhist, np, nfolds;
    unsigned long long seed;
    char head[128];
    double top1, afs, sw, sb, overlap, vmean, vstd, thr_mean;
    double *same_h, *diff_h; /* (nbins) pair-angle histograms */
    double *fold_acc;        /* (nfolds) */
    em_pair_stats st;
    int roc_images;          /* all pairs of this many images (the --hist-max subset) */
    roc_result all, pairs;   /* ROC of all those pairs; of the verification pairs */
} results;

static double thr_deg(double c) { return acos(fmax(-1, fmin(1, c))) * 180 / M_PI; }

/* TAR at the FAR targets (far_targets[], or only PAIRS_FAR when pairs_only), AUC and the
 * ROC curve of the scores; sorts them */
static void roc_of(float *same, size_t ns, float *diff, size_t nd, int pairs_only, roc_result *o)
{
    int k;
    memset(o, 0, sizeof(*o));
    o->n_same = ns;
    o->n_diff = nd;
    if (em_sort_scores(same, ns) || em_sort_scores(diff, nd)) die("a pair score is NaN");
    for (k = 0; k < N_FAR; ++k) {
        double f = pairs_only ? PAIRS_FAR : far_targets[k];
        o->rc[k] = em_tar_at_far(same, ns, diff, nd, f, &o->at[k]);
        if (o->rc[k] < 0) die("TAR at FAR %g: invalid arguments", f);
        if (pairs_only) break;
    }
    o->auc = em_roc_auc(same, ns, diff, nd);
    if (!pairs_only && em_roc_curve(same, ns, diff, nd, 1e-6, 10, &o->roc, &o->nroc) < 0)
        die("ROC curve: out of memory");
}

/* Every pair of at most hist_max rows (a fixed-seed random subset above that): the
 * pair-angle histograms (with_hist) and the scores of the all-pairs ROC, in one pass.
 * y: the identity of each row. */
static void all_pairs(const float *feat, const int *y, int n, int d, int hist_max,
                      unsigned long long seed, int with_hist, results *r)
{
    const float *x = feat;
    const int *yx = y;
    float *sub = NULL, *ss, *ds;
    int *ysub = NULL, m = n;
    size_t ns, nd;
    if (n > hist_max) {
        int *perm = xcalloc((size_t)n, sizeof(int));
        unsigned long long s = seed * 2862933555777941757ULL + 3037000493ULL;
        int i, j, t;
        sub = xcalloc((size_t)hist_max * d, sizeof(float));
        ysub = xcalloc((size_t)hist_max, sizeof(int));
        for (i = 0; i < n; ++i) perm[i] = i;
        for (i = 0; i < hist_max; ++i) { /* partial Fisher-Yates, 64-bit LCG */
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            j = i + (int)((s >> 33) % (unsigned long long)(n - i));
            t = perm[i]; perm[i] = perm[j]; perm[j] = t;
            memcpy(sub + (size_t)i * d, feat + (size_t)perm[i] * d, sizeof(float) * d);
            ysub[i] = y[perm[i]];
        }
        free(perm);
        x = sub;
        yx = ysub;
        m = hist_max;
    }
    if (with_hist) r->nhist = m;
    r->roc_images = m;
    if (em_count_pairs(yx, m, &ns, &nd)) die("out of memory counting pairs");
    ss = malloc((ns ? ns : 1) * sizeof(float));
    ds = malloc((nd ? nd : 1) * sizeof(float));
    if (!ss || !ds)
        die("out of memory: the all-pairs ROC of %d images keeps %zu pair scores (%.2f GB): "
            "lower --hist-max", m, ns + nd, (double)(ns + nd) * sizeof(float) / 1e9);
    if (em_pair_scores(x, m, d, yx, ss, ds, r->nbins, with_hist ? r->same_h : NULL,
                       with_hist ? r->diff_h : NULL, with_hist ? &r->st : NULL))
        die("all-pairs scores failed (out of memory?)");
    roc_of(ss, ns, ds, nd, 0, &r->all);
    free(ss); free(ds); free(sub); free(ysub);
}

/* cosine scores of the pairs, then k-fold verification */
static void verify(const float *feat, int d, const em_pair *pairs, results *r)
{
    double *score = xcalloc((size_t)r->np, sizeof(double)), *thr = xcalloc((size_t)r->nfolds, sizeof(double));
    int *same = xcalloc((size_t)r->np, sizeof(int)), *fold = xcalloc((size_t)r->np, sizeof(int)), i;
    float *ss = xcalloc((size_t)r->np, sizeof(float)), *ds = xcalloc((size_t)r->np, sizeof(float));
    size_t ns = 0, nd = 0;
    for (i = 0; i < r->np; ++i) {
        score[i] = em_cosine(feat + (size_t)pairs[i].a * d, feat + (size_t)pairs[i].b * d, d);
        same[i] = pairs[i].same;
        fold[i] = pairs[i].fold;
        if (same[i]) ss[ns++] = (float)score[i]; else ds[nd++] = (float)score[i];
    }
    roc_of(ss, ns, ds, nd, 1, &r->pairs);
    free(ss); free(ds);
    if (em_verify_kfold(score, same, fold, r->np, r->nfolds, r->fold_acc, thr, &r->vmean, &r->vstd))
        die("verification: every one of the %d folds needs pairs", r->nfolds);
    r->thr_mean = 0;
    for (i = 0; i < r->nfolds; ++i) r->thr_mean += thr[i] / r->nfolds;
    free(score); free(thr); free(same); free(fold);
}

/* v with prec decimals, or NA when it was not measured (NaN) */
static const char *num(char buf[48], double v, int prec)
{
    if (isnan(v)) return "NA";
    snprintf(buf, 48, "%.*f", prec, v);
    return buf;
}

/* why TAR at FAR f of o is NA */
static const char *na_why(const roc_result *o, double f, char *buf, size_t len)
{
    if (!o->n_same) snprintf(buf, len, "no same-identity pair");
    else if (!o->n_diff) snprintf(buf, len, "no different-identity pair");
    else snprintf(buf, len, "FAR %g needs >= %.0f different pairs, there are %zu", f,
                  ceil(1 / f * (1 - 1e-12)), o->n_diff);
    return buf;
}

/* "0.9876 (cos >= 0.4312)" or "NA (why)" */
static const char *tar_text(const roc_result *o, int k, double f, char *buf, size_t len)
{
    char why[160];
    if (o->rc[k]) snprintf(buf, len, "NA (%s)", na_why(o, f, why, sizeof(why)));
    else snprintf(buf, len, "%.4f (cos >= %.4f, FAR %.2g)", o->at[k].tar, o->at[k].thr, o->at[k].far);
    return buf;
}

static void print_summary(const results *r)
{
    const em_pair_stats *st = &r->st;
    char b1[48], t[256];
    int k;
    printf("asoftmax_eval: %s\n  weights %s, %d images%s\n", r->cfg, r->weights, r->n,
           r->lfw_mode ? " (LFW pairs)" : r->open_set ? " (open set)" : "");
    printf("  embedding: layer %d, %d-d; head: %s\n", r->emb, r->d, r->head);
    if (!r->lfw_mode) {
        if (r->open_set)
            printf("  top-1 accuracy          NA (--openset: the identities are not the network's classes)\n");
        else
            printf("  top-1 accuracy          %s\n", num(b1, r->top1, 4));
        printf("  angular Fisher score    %.4f   (S_w %.2f / S_b %.2f; lower is better)\n",
               r->afs, r->sw, r->sb);
    }
    printf("  same-class pair angles  %.1f +- %.1f deg (5%%..95%%: %.1f..%.1f)  [%.0f pairs]\n",
           st->same_mean, st->same_std, em_hist_quantile(r->same_h, r->nbins, .05),
           em_hist_quantile(r->same_h, r->nbins, .95), st->n_same);
    printf("  diff-class pair angles  %.1f +- %.1f deg (5%%..95%%: %.1f..%.1f)  [%.0f pairs]\n",
           st->diff_mean, st->diff_std, em_hist_quantile(r->diff_h, r->nbins, .05),
           em_hist_quantile(r->diff_h, r->nbins, .95), st->n_diff);
    printf("  angle overlap           %.4f   (0 = disjoint, 1 = identical)\n", r->overlap);
    if (r->np > 0)
        printf("  verification            %.2f%% +- %.2f%%  (%d pairs, %d folds, threshold cos %.3f = %.1f deg)\n",
               100 * r->vmean, 100 * r->vstd, r->np, r->nfolds, r->thr_mean, thr_deg(r->thr_mean));
    else
        printf("  verification            NA (--pairs 0)\n");
    printf("  all pairs of %d images  %zu same-identity, %zu different-identity\n", r->roc_images,
           r->all.n_same, r->all.n_diff);
    for (k = 0; k < N_FAR; ++k)
        printf("    TAR at FAR %-9s   %s\n", far_names[k],
               tar_text(&r->all, k, far_targets[k], t, sizeof(t)));
    printf("    ROC AUC               %s\n", num(b1, r->all.auc, 6));
    if (r->np > 0)
        printf("  verification pairs      TAR at FAR %s %s; ROC AUC %s\n", PAIRS_FAR_NAME,
               tar_text(&r->pairs, 0, PAIRS_FAR, t, sizeof(t)), num(b1, r->pairs.auc, 6));
}

/* KEY=value (NA when not measured) of TAR at FAR f and its threshold, after a comment
 * saying why when it is NA */
static void put_tar(FILE *f, const char *prefix, const roc_result *o, int k, double far,
                    const char *name)
{
    char why[160];
    if (o->rc[k]) {
        fprintf(f, "# %star_far%s=NA: %s\n", prefix, name, na_why(o, far, why, sizeof(why)));
        fprintf(f, "%star_far%s=NA\n%sthr_far%s=NA\n", prefix, name, prefix, name);
    } else {
        fprintf(f, "%star_far%s=%.6f\n%sthr_far%s=%.9g\n", prefix, name, o->at[k].tar, prefix,
                name, o->at[k].thr);
    }
}

/* PREFIX.txt, PREFIX-angles.tsv, PREFIX-roc.tsv and (features != NULL) PREFIX-features.tsv */
static void write_files(const char *prefix, const results *r, const float *features,
                        const int *y, char **labels)
{
    const em_pair_stats *st = &r->st;
    char name[4096], b1[48], b2[48], b3[48];
    FILE *f = open_out(prefix, ".txt", name, sizeof(name));
    int i, k, b;
    fprintf(f, "# asoftmax_eval key=value summary (tools/asoftmax_eval.c); angles in degrees; "
               "NA = not measured\n");
    fprintf(f, "cfg=%s\nweights=%s\nmode=%s\nopenset=%d\nimages=%d\n", r->cfg, r->weights,
            r->lfw_mode ? "lfw" : "list", r->open_set, r->n);
    fprintf(f, "embedding_layer=%d\nembedding_dim=%d\nhead=%s\n", r->emb, r->d, r->head);
    fprintf(f, "top1=%s\n", num(b1, r->top1, 6));
    fprintf(f, "afs=%s\nafs_sw=%s\nafs_sb=%s\n", num(b1, r->afs, 6), num(b2, r->sw, 6), num(b3, r->sb, 6));
    fprintf(f, "hist_images=%d\nhist_bins=%d\n", r->nhist, r->nbins);
    fprintf(f, "same_pairs=%.0f\nsame_angle_mean=%s\nsame_angle_std=%s\n", st->n_same,
            num(b1, st->same_mean, 4), num(b2, st->same_std, 4));
    fprintf(f, "same_angle_p05=%s\nsame_angle_p95=%s\nsame_angle_max=%s\n",
            num(b1, em_hist_quantile(r->same_h, r->nbins, .05), 4),
            num(b2, em_hist_quantile(r->same_h, r->nbins, .95), 4), num(b3, st->same_max, 4));
    fprintf(f, "diff_pairs=%.0f\ndiff_angle_mean=%s\ndiff_angle_std=%s\n", st->n_diff,
            num(b1, st->diff_mean, 4), num(b2, st->diff_std, 4));
    fprintf(f, "diff_angle_p05=%s\ndiff_angle_p95=%s\ndiff_angle_min=%s\n",
            num(b1, em_hist_quantile(r->diff_h, r->nbins, .05), 4),
            num(b2, em_hist_quantile(r->diff_h, r->nbins, .95), 4), num(b3, st->diff_min, 4));
    fprintf(f, "angle_overlap=%s\n", num(b1, r->overlap, 6));
    fprintf(f, "verif_pairs=%d\nverif_folds=%d\nverif_seed=%llu\n", r->np, r->nfolds, r->seed);
    if (r->np == 0) fprintf(f, "# verif_*=NA: --pairs 0\n");
    fprintf(f, "verif_mean=%s\nverif_std=%s\n", num(b1, r->vmean, 6), num(b2, r->vstd, 6));
    fprintf(f, "verif_threshold_cos=%s\nverif_threshold_deg=%s\n", num(b1, r->thr_mean, 6),
            num(b2, r->np > 0 ? thr_deg(r->thr_mean) : NAN, 4));
    fprintf(f, "verif_fold_acc=");
    for (i = 0; i < r->nfolds; ++i) fprintf(f, "%s%s", i ? "," : "", num(b1, r->fold_acc[i], 4));
    fprintf(f, "\n");
    fprintf(f, "# TAR at FAR: accept iff cos >= thr; thr = the lowest threshold whose FAR <= the "
               "target (asoftmax_eval.c's header)\n");
    fprintf(f, "roc_images=%d\nroc_same_pairs=%zu\nroc_diff_pairs=%zu\n", r->roc_images,
            r->all.n_same, r->all.n_diff);
    for (k = 0; k < N_FAR; ++k) put_tar(f, "", &r->all, k, far_targets[k], far_names[k]);
    fprintf(f, "roc_auc=%s\n", num(b1, r->all.auc, 6));
    if (r->np > 0) {
        put_tar(f, "pairs_", &r->pairs, 0, PAIRS_FAR, PAIRS_FAR_NAME);
    } else {
        fprintf(f, "# pairs_*=NA: --pairs 0\npairs_tar_far%s=NA\npairs_thr_far%s=NA\n",
                PAIRS_FAR_NAME, PAIRS_FAR_NAME);
    }
    fprintf(f, "pairs_roc_auc=%s\n", num(b1, r->pairs.auc, 6));
    close_out(f, name);

    f = open_out(prefix, "-angles.tsv", name, sizeof(name));
    fprintf(f, "# pair-angle histograms (%s): %.0f same-class, %.0f different-class pairs\n",
            r->lfw_mode ? "the pairs of pairs.txt" : "all pairs", st->n_same, st->n_diff);
    fprintf(f, "# lo_deg\thi_deg\tsame\tdiff\tsame_frac\tdiff_frac\n");
    for (b = 0; b < r->nbins; ++b)
        fprintf(f, "%.4f\t%.4f\t%.0f\t%.0f\t%.8f\t%.8f\n", b * 180.0 / r->nbins,
                (b + 1) * 180.0 / r->nbins, r->same_h[b], r->diff_h[b],
                st->n_same > 0 ? r->same_h[b] / st->n_same : 0,
                st->n_diff > 0 ? r->diff_h[b] / st->n_diff : 0);
    close_out(f, name);

    f = open_out(prefix, "-roc.tsv", name, sizeof(name));
    fprintf(f, "# ROC of all pairs of %d images (%zu same-identity, %zu different-identity): "
               "accept iff cos >= threshold\n", r->roc_images, r->all.n_same, r->all.n_diff);
    if (!r->all.roc)
        fprintf(f, "# no ROC: %s\n", !r->all.n_same ? "no same-identity pair" : "no different-identity pair");
    fprintf(f, "# rows by decreasing threshold: nothing accepted; FAR 0; TAR at FAR far_target on a "
               "log grid (10 a decade) from max(1e-6, 1/#diff) to 1\n");
    fprintf(f, "# far\ttar\tthreshold\tfar_target\n");
    for (i = 0; i < r->all.nroc; ++i)
        fprintf(f, "%.9g\t%.9g\t%.9g\t%.9g\n", r->all.roc[i].far, r->all.roc[i].tar,
                r->all.roc[i].thr, r->all.roc[i].far_target);
    close_out(f, name);

    if (features) {
        f = open_out(prefix, "-features.tsv", name, sizeof(name));
        fprintf(f, "# label\tname\tf1..f%d: the raw %d-d embedding of each image\n", r->d, r->d);
        for (i = 0; i < r->n; ++i) {
            fprintf(f, "%d\t%s", y ? y[i] : -1, y ? labels[y[i]] : "-");
            for (k = 0; k < r->d; ++k) fprintf(f, "\t%.6g", features[(size_t)i * r->d + k]);
            fprintf(f, "\n");
        }
        close_out(f, name);
    }
    printf("  wrote %s.txt, %s-angles.tsv, %s-roc.tsv%s\n", prefix, prefix, prefix,
           features ? ", -features.tsv" : "");
}

/* ---- main's steps ---- */

/* the command line */
typedef struct {
    const char *out, *lfw, *lfw_root, *labels_path;
    int layer, npairs, nfolds, batch, nbins, hist_max, want_features, open_set;
    unsigned long long seed;
} options;

/* the images and their identities: y (closed set, --openset) or ylfw (--lfw), and with
 * --lfw the pairs of pairs.txt */
typedef struct {
    char **paths, **labels;
    int n, nl, *y, *ylfw;
    em_pair *pairs;
} dataset;

/* options into o, and the run's settings into r (cleared first); exits 2 on usage errors,
 * 0 after --help */
static void parse_options(int argc, char **argv, options *o, results *r)
{
    int opt;
    static const struct option longopts[] = {
        {"out", required_argument, 0, 'o'},      {"layer", required_argument, 0, 'l'},
        {"pairs", required_argument, 0, 'p'},    {"folds", required_argument, 0, 'k'},
        {"seed", required_argument, 0, 's'},     {"batch", required_argument, 0, 'b'},
        {"bins", required_argument, 0, 'n'},     {"hist-max", required_argument, 0, 'm'},
        {"features", no_argument, 0, 'f'},       {"lfw", required_argument, 0, 'L'},
        {"lfw-root", required_argument, 0, 'R'}, {"openset", no_argument, 0, 'O'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};

    memset(o, 0, sizeof(*o));
    o->layer = -1;
    o->npairs = 6000;
    o->nfolds = 10;
    o->batch = 64;
    o->nbins = 180;
    o->hist_max = 10000;
    o->seed = 1;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': o->out = optarg; break;
        case 'l': o->layer = (int)parse_long(optarg, "--layer", 0, INT_MAX); break;
        case 'p': o->npairs = (int)parse_long(optarg, "--pairs", 0, 10000000); break;
        case 'k': o->nfolds = (int)parse_long(optarg, "--folds", 2, 1000); break;
        case 's': o->seed = (unsigned long long)parse_long(optarg, "--seed", 0, LONG_MAX); break;
        case 'b': o->batch = (int)parse_long(optarg, "--batch", 1, 4096); break;
        case 'n': o->nbins = (int)parse_long(optarg, "--bins", 1, 180000); break;
        case 'm': o->hist_max = (int)parse_long(optarg, "--hist-max", 2, 1000000); break;
        case 'f': o->want_features = 1; break;
        case 'L': o->lfw = optarg; break;
        case 'R': o->lfw_root = optarg; break;
        case 'O': o->open_set = 1; break;
        case 'h': fputs(usage_text, stdout); fputs(help_text, stdout); exit(0);
        default: usage();
        }
    }
    memset(r, 0, sizeof(*r));
    r->lfw_mode = o->lfw != NULL;
    if (r->lfw_mode != (o->lfw_root != NULL)) {
        fprintf(stderr, "asoftmax_eval: --lfw and --lfw-root go together\n");
        usage();
    }
    if (r->lfw_mode && o->open_set) {
        fprintf(stderr, "asoftmax_eval: --openset is for an image list (--lfw is open-set already)\n");
        usage();
    }
    r->open_set = o->open_set;
    if (r->lfw_mode && o->npairs == 0) {
        fprintf(stderr, "asoftmax_eval: --pairs 0 is for an image list (--lfw takes pairs.txt's pairs)\n");
        usage();
    }
    if (argc - optind != (r->lfw_mode ? 2 : 4)) usage();
    if (!r->lfw_mode && o->npairs % (2 * o->nfolds))
        die("--pairs = %d must be a multiple of 2 x --folds = %d (half same, half different "
            "pairs in every fold)", o->npairs, 2 * o->nfolds);
    r->cfg = argv[optind];
    r->weights = argv[optind + 1];
    r->seed = o->seed;
    r->nbins = o->nbins;
    r->top1 = r->afs = r->sw = r->sb = NAN;
}

/* --lfw: the distinct images of pairs.txt's pairs (paths ROOT/rel), their name-folder
 * identities, the pairs (indexing the images) and the folds (pairs.txt's sets) */
static void read_lfw(const options *o, results *r, dataset *ds)
{
    FILE *f;
    char err[512], **rel;
    int *order, nsets, i, n;
    check_readable(o->lfw, "pairs file");
    f = fopen(o->lfw, "r");
    if (!f) die("cannot open pairs file '%s': %s", o->lfw, strerror(errno));
    if (em_read_lfw_pairs(f, &rel, &ds->pairs, &r->np, &nsets, err, sizeof(err)))
        die("pairs file '%s': %s", o->lfw, err);
    fclose(f);
    if (nsets < 2) die("pairs file '%s' has 1 set; k-fold verification needs >= 2", o->lfw);
    r->nfolds = nsets;
    /* each distinct image once: sort the 2*np pair ends by path, number the runs;
     * pair ends then index paths[] */
    order = xcalloc((size_t)2 * r->np, sizeof(int));
    ds->paths = xcalloc((size_t)2 * r->np, sizeof(char *));
    ds->ylfw = xcalloc((size_t)2 * r->np, sizeof(int)); /* identity = the name folder */
    for (i = 0; i < 2 * r->np; ++i) order[i] = i;
    sort_rel = rel;
    qsort(order, (size_t)2 * r->np, sizeof(int), cmp_rel);
    for (n = 0, i = 0; i < 2 * r->np; ++i) {
        int e = order[i];
        if (i == 0 || strcmp(rel[e], rel[order[i - 1]])) {
            size_t len = strlen(o->lfw_root) + strlen(rel[e]) + 2;
            ds->paths[n] = xcalloc(len, 1);
            snprintf(ds->paths[n], len, "%s/%s", o->lfw_root, rel[e]);
            /* sorted paths: the images of one name are consecutive */
            ds->ylfw[n] = n == 0 ? 0 : ds->ylfw[n - 1] + !same_name(rel[e], rel[order[i - 1]]);
            ++n;
        }
        if (e % 2 == 0) ds->pairs[e / 2].a = n - 1; else ds->pairs[e / 2].b = n - 1;
    }
    ds->n = n;
    em_free_lfw_pairs(rel, NULL, r->np);
    free(order);
}

/* an image list and its labels file: the label of each image */
static void read_list(const char *list_path, const options *o, results *r, dataset *ds)
{
    int i;
    ds->paths = read_lines(list_path, "image list", &ds->n);
    ds->labels = read_lines(o->labels_path, "labels file", &ds->nl);
    ds->y = xcalloc((size_t)ds->n, sizeof(int));
    for (i = 0; i < ds->n; ++i) ds->y[i] = label_of(ds->paths[i], ds->labels, ds->nl);
    r->np = o->npairs;
    r->nfolds = o->nfolds;
}

/* the network, checked against its weights, the images and the labels; the embedding
 * layer into r->emb, r->d, r->head; o->batch lowered to the cfg's batch at most, and set */
static network *load_checked_network(options *o, results *r, const dataset *ds)
{
    network *net = load_network((char *)r->cfg, (char *)r->weights, 0);
    check_weights_size(net, r->weights);
    if (net->c != 3)
        die("cfg '%s' has channels=%d: Darknet's classifier (and this tool) load 3-channel "
            "images; set channels=3", r->cfg, net->c);
    if (o->layer >= 0) {
        if (o->layer >= net->n) die("--layer = %d: the cfg has layers 0..%d", o->layer, net->n - 1);
        r->emb = o->layer;
        snprintf(r->head, sizeof(r->head), "(--layer %d)", r->emb);
    } else if ((r->emb = find_embedding(net, r->head, sizeof(r->head))) < 0) {
        die("cfg '%s' ends in neither [asoftmax] nor [connected] + [softmax]: pass --layer N",
            r->cfg);
    }
    r->d = net->layers[r->emb].outputs;
    if (!r->lfw_mode && !r->open_set && net->outputs != ds->nl)
        die("labels file '%s' has %d names, the network %d outputs: top-1 needs the network's "
            "own classes. For identities the network was not trained on (open-set "
            "verification) pass --openset", o->labels_path, ds->nl, net->outputs);
    if (o->batch > net->batch) o->batch = net->batch; /* the buffers hold the cfg's batch */
    set_batch_network(net, o->batch);
    fprintf(stderr, "asoftmax_eval: embedding = layer %d (%s, %d outputs); head %s\n", r->emb,
            get_layer_string(net->layers[r->emb].type), r->d, r->head);
    return net;
}

/* every metric of the embeddings feat (n, r->d) and (closed set) the network's scores
 * (n, C) into r; draws the verification pairs of an image list into ds->pairs */
static void compute_metrics(const options *o, results *r, dataset *ds, const float *feat,
                            const float *scores, int C)
{
    int i, n = ds->n, nl = ds->nl;
    r->same_h = xcalloc((size_t)r->nbins, sizeof(double));
    r->diff_h = xcalloc((size_t)r->nbins, sizeof(double));
    r->fold_acc = xcalloc((size_t)r->nfolds, sizeof(double));
    if (!r->lfw_mode) {
        if (!r->open_set) r->top1 = em_top1(scores, n, C, ds->y);
        if (em_angular_fisher(feat, n, r->d, ds->y, nl, &r->afs, &r->sw, &r->sb))
            die("angular Fisher score: invalid input");
        all_pairs(feat, ds->y, n, r->d, o->hist_max, o->seed, 1, r);
        ds->pairs = xcalloc((size_t)r->np + 1, sizeof(em_pair));
        if (r->np > 0 && em_make_pairs(ds->y, n, r->np, r->nfolds, o->seed, ds->pairs)) {
            double nsame = 0;
            long *cnt = xcalloc((size_t)nl, sizeof(long));
            for (i = 0; i < n; ++i) ++cnt[ds->y[i]];
            for (i = 0; i < nl; ++i) nsame += 0.5 * cnt[i] * (cnt[i] - 1);
            die("cannot draw %d distinct pairs, half of them same-class, from %d images of %d "
                "classes (%.0f same-class pairs exist): lower --pairs", r->np, n, nl, nsame);
        }
    } else {
        r->nhist = n;
        em_pairs_angle_hist(feat, r->d, ds->pairs, r->np, r->nbins, r->same_h, r->diff_h, &r->st);
        all_pairs(feat, ds->ylfw, n, r->d, o->hist_max, o->seed, 0, r);
    }
    r->overlap = em_hist_overlap(r->same_h, r->diff_h, r->nbins);
    if (r->np > 0) {
        verify(feat, r->d, ds->pairs, r);
    } else { /* --pairs 0: nothing measured */
        r->vmean = r->vstd = r->thr_mean = NAN;
        for (i = 0; i < r->nfolds; ++i) r->fold_acc[i] = NAN;
        roc_of(NULL, 0, NULL, 0, 1, &r->pairs);
    }
}

static void free_dataset(dataset *ds)
{
    int i;
    free(ds->pairs); free(ds->y); free(ds->ylfw);
    for (i = 0; i < ds->n; ++i) free(ds->paths[i]);
    free(ds->paths);
    for (i = 0; i < ds->nl; ++i) free(ds->labels[i]);
    free(ds->labels);
}

int main(int argc, char **argv)
{
    options o;
    results r;
    dataset ds;
    network *net;
    float *feat, *scores = NULL;
    int C;

    parse_options(argc, argv, &o, &r);
    check_readable(r.cfg, "cfg");
    check_readable(r.weights, "weights");
    memset(&ds, 0, sizeof(ds));
    if (r.lfw_mode) {
        read_lfw(&o, &r, &ds);
    } else {
        o.labels_path = argv[optind + 3];
        read_list(argv[optind + 2], &o, &r, &ds);
    }
    r.n = ds.n;
    fprintf(stderr, "asoftmax_eval: checking %d images\n", ds.n);
    check_images(ds.paths, ds.n);

    net = load_checked_network(&o, &r, &ds);
    C = net->outputs;
    feat = xcalloc((size_t)ds.n * r.d, sizeof(float));
    if (!r.lfw_mode && !r.open_set) scores = xcalloc((size_t)ds.n * C, sizeof(float));
    embed(net, r.emb, ds.paths, ds.n, o.batch, feat, scores);

    compute_metrics(&o, &r, &ds, feat, scores, C);

    print_summary(&r);
    if (o.out) write_files(o.out, &r, (o.want_features || r.d <= 3) ? feat : NULL, ds.y, ds.labels);

    free(feat); free(scores); free(r.same_h); free(r.diff_h); free(r.fold_acc);
    free(r.all.roc); free(r.pairs.roc);
    free_dataset(&ds);
    free_network(net);
    return 0;
}
