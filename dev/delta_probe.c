/*
 * delta_probe.c — measure what the stock GPU clamp in backward_connected_layer_gpu does
 * (docs/connected-clamp.md, which has the commands and the results).
 *
 * Darknet's backward_connected_layer_gpu (src/connected_layer.c) starts with
 *     constrain_gpu(l.outputs*l.batch, 1, l.delta_gpu, 1);
 * i.e. it clamps the delta arriving at every [connected] layer to [-1,1] before the
 * activation gradient; backward_connected_layer (CPU) does not. This program trains a
 * classifier cfg on the CPU the way `darknet classifier train` does (train_classifier in
 * examples/classifier.c -> train_network -> train_network_datum in src/network.c:
 * forward_network, backward, update_network), except that the backward pass is this
 * file's copy of backward_network's loop, which, just before each [connected] layer's
 * backward, records statistics of that layer's incoming l.delta (entries with |delta|>1,
 * total entries, max |delta|, non-finite entries) and, with --clamp, clamps them to [-1,1]
 * exactly as constrain_kernel does (fminf(1, fmaxf(-1, x))): the old GPU semantics.
 * Everything else is Darknet's own code: load_network, the load_args of train_classifier
 * (CLASSIFICATION_DATA: random paths, the cfg's crop/angle/aspect/hue/saturation/exposure
 * augmentation, random flips), get_next_batch, forward_network, update_network.
 * Differences from `classifier train`, all for determinism: srand(SEED) replaces
 * srand(time(0)); the data of each step are loaded in this thread (load_data_blocking,
 * one loader thread's worth of rand() calls, in order) instead of by 32 threads in the
 * background; no weights are saved; net->random (resizing), tree= and tag= are refused.
 * Like the -Ofast-linked darknet binary it runs with flush-to-zero and denormals-are-zero
 * set (see main).
 *
 * Finally it measures top-1 on the first N images of the valid list like
 * `darknet classifier valid` (validate_classifier_single): batch 1, load_image_color,
 * center_crop_image to the network size, network_predict, top_k, and the true class is the
 * first label whose name occurs (strstr) in the image's path.
 *
 * Build: make test-build (build/tests/delta_probe; docs/connected-clamp.md has the one
 * cc command).  Usage: run with --help.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "darknet.h"
#define TOOL_NAME "delta_probe"
#include "tool_util.h"
#include "backward_hook.h"
#include "option_list.h" /* option_find: the quiet string lookup */

#define REPORT_EVERY 50

typedef struct {
    unsigned long long total, over, nonfinite; /* whole run */
    unsigned long long w_total, w_over;        /* current REPORT_EVERY window */
    float maxabs;
} delta_stats;

static const char usage_line[] =
    "usage: delta_probe CFG DATAFILE BATCHES [--clamp] [--seed N] [--valid N]\n";

/* the rest of --help (a usage error prints the message and usage_line) */
static const char help_text[] =
    "  CFG       a classifier cfg with at least one [connected] layer\n"
    "  DATAFILE  a Darknet .data file with train=, valid=, labels=, classes=; paths in it\n"
    "            and in its lists are relative to the working directory, as with Darknet:\n"
    "            run from the data directory (e.g. the one fmnist2darknet wrote)\n"
    "  BATCHES   training batches (of batch*subdivisions images), 1..max_batches of the cfg\n"
    "  --clamp   clamp each [connected] layer's incoming delta to [-1,1] (stock GPU)\n"
    "  --seed N  srand(N) before the weights are initialised (default 1)\n"
    "  --valid N top-1 on the first N images of valid= (default: all; 0: skip)\n"
    "  --help    this text\n"
    "output: one line per 50 batches (last batch, mean training loss of those batches as\n"
    "train_network reports it, learning rate, per [connected] layer the fraction of\n"
    "|delta|>1 in those batches), then per [connected] layer the fraction of |delta|>1 over\n"
    "the whole run and max |delta|, then \"top-1: ...\".\n"
    "exit status: 0 on success, 1 on any bad input\n";

static void usage_die(const char *msg)
{
    fprintf(stderr, "delta_probe: %s\n%s", msg, usage_line);
    exit(1);
}

static void need_readable(const char *path, const char *what)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "delta_probe: cannot open %s '%s': %s\n", what, path, strerror(errno));
        exit(1);
    }
    fclose(f);
}

/* get_paths() of Darknet exits 0 on a missing file, so check first; also refuse empty lists. */
static char **read_list(const char *path, const char *what, int *n)
{
    need_readable(path, what);
    list *pl = get_paths((char *)path);
    if (pl->size == 0) {
        fprintf(stderr, "delta_probe: %s '%s' is empty\n", what, path);
        exit(1);
    }
    *n = pl->size;
    char **a = (char **)list_to_array(pl);
    free_list(pl);
    return a;
}

/* Darknet's image loader exits 0 on a missing image: check the ones we may load. */
static void need_images(char **paths, int n, const char *what)
{
    for (int i = 0; i < n; ++i) {
        if (access(paths[i], R_OK) != 0) {
            fprintf(stderr, "delta_probe: %s image %d '%s' is not readable: %s "
                    "(paths are relative to the working directory)\n", what, i + 1, paths[i],
                    strerror(errno));
            exit(1);
        }
    }
}

static void probe_delta(layer l, delta_stats *st, int clamp)
{
    size_t n = (size_t)l.outputs * l.batch;
    unsigned long long over = 0, nonfinite = 0;
    float mx = st->maxabs;
    for (size_t j = 0; j < n; ++j) {
        float x = l.delta[j];
        float a = fabsf(x);
        if (!isfinite(x)) ++nonfinite;
        else if (a > mx) mx = a;
        if (a > 1) ++over;
        if (clamp) l.delta[j] = fminf(1.f, fmaxf(-1.f, x)); /* constrain_kernel, ALPHA=1 */
    }
    st->total += n;
    st->over += over;
    st->nonfinite += nonfinite;
    st->w_total += n;
    st->w_over += over;
    st->maxabs = mx;
}

/* before each layer's backward (dev/backward_hook.h): the probe, on [connected] layers */
typedef struct {
    delta_stats *stats;
    int clamp;
} probe_ctx;

static void probe_hook(layer *l, int index, void *ctx)
{
    probe_ctx *c = ctx;
    if (l->type == CONNECTED) probe_delta(*l, &c->stats[index], c->clamp);
}

/* train_network() + train_network_datum() of src/network.c with the probing backward. */
static float probe_train_network(network *net, data d, delta_stats *stats, int clamp)
{
    int batch = net->batch;
    if (d.X.rows % batch != 0) die("loaded data is not a multiple of the batch");
    int n = d.X.rows / batch;
    float sum = 0;
    for (int i = 0; i < n; ++i) {
        get_next_batch(d, batch, i * batch, net->input, net->truth);
        *net->seen += net->batch;
        net->train = 1;
        forward_network(net);
        {
            probe_ctx c = {stats, clamp};
            backward_network_hooked(net, probe_hook, &c);
        }
        float err = *net->cost;
        if (((*net->seen) / net->batch) % net->subdivisions == 0) update_network(net);
        sum += err;
    }
    return (float)sum / (n * batch);
}

int main(int argc, char **argv)
{
#if defined(__SSE__)
    /* build/darknet/darknet is linked with -Ofast, so gcc's crtfastmath.o switches on
     * flush-to-zero and denormals-are-zero at startup; this -O2 program does the same
     * so that its arithmetic (and its speed) matches `darknet classifier train`. */
    _mm_setcsr(_mm_getcsr() | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
#endif
    const char *pos[3];
    int npos = 0, clamp = 0, seen_seed = 0, seen_valid = 0;
    long seed = 1, nvalid = -1;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--clamp")) {
            clamp = 1;
        } else if (!strcmp(argv[i], "--help")) {
            fputs(usage_line, stdout);
            fputs(help_text, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--seed") || !strcmp(argv[i], "--valid")) {
            int is_seed = argv[i][2] == 's';
            if (i + 1 >= argc) usage_die(is_seed ? "--seed needs a value" : "--valid needs a value");
            if (is_seed ? seen_seed++ : seen_valid++) usage_die("an option is given twice");
            if (is_seed) seed = parse_long(argv[++i], "--seed", 0, UINT_MAX < LONG_MAX ? (long)UINT_MAX : LONG_MAX);
            else nvalid = parse_long(argv[++i], "--valid", 0, INT_MAX);
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            char buf[256];
            snprintf(buf, sizeof buf, "unknown option '%.200s'", argv[i]);
            usage_die(buf);
        } else {
            if (npos == 3) usage_die("too many arguments");
            pos[npos++] = argv[i];
        }
    }
    if (npos != 3) usage_die("CFG, DATAFILE and BATCHES are required");
    const char *cfgfile = pos[0], *datafile = pos[1];
    long nbatches = parse_long(pos[2], "BATCHES", 1, INT_MAX);
    need_readable(cfgfile, "cfg");
    need_readable(datafile, "data file");

    list *options = read_data_cfg((char *)datafile);
    if (option_find(options, "tree")) die("tree= (hierarchy) is not supported");
    if (option_find_int_quiet(options, "tag", 0)) die("tag= is not supported");
    char *train_list = option_find(options, "train");
    char *valid_list = option_find(options, "valid");
    char *label_list = option_find(options, "labels");
    char *classes_s = option_find(options, "classes");
    if (!train_list || !valid_list || !label_list || !classes_s)
        die("the data file needs train=, valid=, labels= and classes=");
    int classes = (int)parse_long(classes_s, "classes= in the data file", 1, 100000);

    int nlabels, ntrain, nvlist;
    char **labels = read_list(label_list, "labels file", &nlabels);
    if (nlabels < classes) {
        fprintf(stderr, "delta_probe: labels file '%s' has %d names, classes=%d\n", label_list, nlabels, classes);
        exit(1);
    }
    char **paths = read_list(train_list, "train list", &ntrain);
    char **vpaths = read_list(valid_list, "valid list", &nvlist);
    if (nvalid < 0) nvalid = nvlist;
    if (nvalid > nvlist) {
        fprintf(stderr, "delta_probe: --valid %ld but the valid list has %d images\n", nvalid, nvlist);
        exit(1);
    }
    need_images(paths, ntrain, "train");
    need_images(vpaths, (int)nvalid, "valid");

    srand((unsigned)seed);
    network *net = load_network((char *)cfgfile, 0, 0);
    if (net->random) die("random=1 (network resizing) is not supported");
    if (net->c != 3) die("the cfg needs channels=3 (Darknet's classifier loader makes 3-channel images)");
    if (net->w != net->h) die("the cfg needs width == height (the loader makes square crops)");
    if (net->truths != classes) {
        fprintf(stderr, "delta_probe: the network's output has %d values but classes=%d\n", net->truths, classes);
        exit(1);
    }
    if (net->max_batches > 0 && nbatches > net->max_batches) {
        fprintf(stderr, "delta_probe: BATCHES=%ld exceeds the cfg's max_batches=%d "
                "(classifier train stops there)\n", nbatches, net->max_batches);
        exit(1);
    }
    int nconn = 0;
    for (int i = 0; i < net->n; ++i) nconn += net->layers[i].type == CONNECTED;
    if (nconn == 0) die("the cfg has no [connected] layer");
    delta_stats *stats = calloc(net->n, sizeof *stats);
    if (!stats) die("out of memory");

    int imgs = net->batch * net->subdivisions;
    printf("delta_probe: cfg %s, data %s, %ld batches of %d, seed %ld, %s, lr %g momentum %g decay %g\n",
           cfgfile, datafile, nbatches, imgs, seed, clamp ? "CLAMP delta to [-1,1]" : "no clamp",
           net->learning_rate, net->momentum, net->decay);

    /* load_args exactly as train_classifier sets them (but one loader thread). */
    load_args args = {0};
    args.w = net->w;
    args.h = net->h;
    args.threads = 1;
    args.hierarchy = net->hierarchy;
    args.min = net->min_ratio * net->w;
    args.max = net->max_ratio * net->w;
    args.angle = net->angle;
    args.aspect = net->aspect;
    args.exposure = net->exposure;
    args.saturation = net->saturation;
    args.hue = net->hue;
    args.size = net->w;
    args.paths = paths;
    args.classes = classes;
    args.n = imgs;
    args.m = ntrain;
    args.labels = labels;
    args.type = CLASSIFICATION_DATA;

    double t0 = what_time_is_it_now();
    double wloss = 0;
    int wcount = 0;
    for (long b = 1; b <= nbatches; ++b) {
        data train;
        args.d = &train;
        load_data_blocking(args);
        float loss = probe_train_network(net, train, stats, clamp);
        free_data(train);
        wloss += loss;
        ++wcount;
        if (b % REPORT_EVERY == 0 || b == nbatches) {
            printf("batch %4ld  loss %.4f  rate %.5f", b, wloss / wcount, get_current_rate(net));
            for (int i = 0; i < net->n; ++i) {
                if (net->layers[i].type != CONNECTED) continue;
                printf("  L%d |d|>1 %.3g", i,
                       stats[i].w_total ? (double)stats[i].w_over / stats[i].w_total : 0.0);
                stats[i].w_over = stats[i].w_total = 0;
            }
            printf("  %.0f s\n", what_time_is_it_now() - t0);
            fflush(stdout);
            wloss = 0;
            wcount = 0;
        }
    }
    double train_s = what_time_is_it_now() - t0;
    for (int i = 0; i < net->n; ++i) {
        if (net->layers[i].type != CONNECTED) continue;
        printf("connected L%d (outputs %d): |delta|>1 in %llu of %llu entries = %.3g, max |delta| %.6g, "
               "non-finite %llu\n", i, net->layers[i].outputs, stats[i].over, stats[i].total,
               stats[i].total ? (double)stats[i].over / stats[i].total : 0.0, stats[i].maxabs,
               stats[i].nonfinite);
    }
    printf("training: %.1f s\n", train_s);

    if (nvalid > 0) {
        /* validate_classifier_single of examples/classifier.c, top-1 only */
        double t1 = what_time_is_it_now();
        set_batch_network(net, 1);
        int correct = 0, unlabeled = 0;
        for (long i = 0; i < nvalid; ++i) {
            int cls = -1;
            for (int j = 0; j < classes; ++j) {
                if (strstr(vpaths[i], labels[j])) {
                    cls = j;
                    break;
                }
            }
            if (cls < 0) ++unlabeled;
            image im = load_image_color(vpaths[i], 0, 0);
            image crop = center_crop_image(im, net->w, net->h);
            float *pred = network_predict(net, crop.data);
            int top = -1;
            top_k(pred, classes, 1, &top);
            if (top == cls) ++correct;
            free_image(im);
            free_image(crop);
        }
        printf("top-1: %.4f (%d of %ld valid images%s), %.1f s\n", (double)correct / nvalid, correct,
               nvalid, unlabeled ? ", some without a label in their path" : "",
               what_time_is_it_now() - t1);
        if (unlabeled) printf("unlabeled valid images: %d (counted as wrong, as classifier valid does)\n", unlabeled);
    }

    free(stats);
    free_network(net);
    free_ptrs((void **)labels, nlabels);
    free_ptrs((void **)paths, ntrain);
    free_ptrs((void **)vpaths, nvlist);
    free_list(options);
    return 0;
}
