/*
 * bench_heads.c — `make bench`: the cost of an [asoftmax] head against the stock
 * [connected] output=C activation=linear + [softmax] head it replaces, measured side by side.
 *
 * For each shape (B batch, K features, C classes) the program parses two small cfgs with
 * Darknet's own parser (parse_network_cfg) into two real networks whose input is the K
 * features:
 *     stock:     [net] batch=B channels=K   [connected] output=C activation=linear   [softmax]
 *     asoftmax:  [net] batch=B channels=K   [asoftmax] output=C   (margin 4, official lambda)
 * and times one training step of each through Darknet's network API, exactly as
 * train_network runs it: net->train = 1, forward_network, backward_network, update_network
 * (SGD, momentum 0.9, decay 5e-4). The classes (random, the same for both heads): the
 * stock head gets the dense one-hot net->truth (B x C); the asoftmax head gets net->labels
 * (B ints, the class of each sample), which train_network sets for a network whose only
 * losses are [asoftmax] (network_takes_labels, patches/0007) and the layer reads instead of
 * the truth. The inputs are identical. The head is layer 0,
 * so net->delta is given a (B,K) buffer: the "previous layer's delta" that receives the
 * input gradient, as it would inside a real network (without it both heads would skip
 * their input-gradient GEMM). That buffer is zeroed outside the timed region.
 *
 * Timing: one warm-up step per head (page faults, OpenMP threads), then REPS repetitions;
 * each repetition times ITERS steps of the stock head and ITERS steps of the asoftmax head,
 * alternating which goes first. ITERS is chosen so that one sample lasts >= MIN_MS.
 * Reported: medians over the repetitions of ms per step (and of its forward / backward /
 * update parts), and the ratio asoftmax/stock as the median of the per-repetition ratios
 * (each measured back to back, so load from other processes cancels out) with its range;
 * also the ratio of the fastest samples of the two heads, which a busy machine disturbs
 * least (other processes can only add time).
 *
 * Memory, per head and shape (unless --no-mem): the program re-executes itself
 * (--mem-child) for one head, builds the network, runs two training steps and reports its
 * own peak resident set (VmHWM of /proc/self/status; a fresh process, so nothing of this
 * one is counted) and the part of it above its resident set before the network was built.
 * Also the bytes the head's layers allocate: measured as the heap (mallinfo2) the parse
 * leaves allocated minus the network's own arrays (input, truth, layer table), and checked
 * against the arrays the layers are documented to allocate:
 *     [asoftmax]:  output, delta (B*C each), weights, weight_updates (C*K each), cost (1),
 *                  and the state's arrays, as the layer reports them (asoftmax_allocated_bytes)
 *     [connected]: weights, weight_updates (C*K each), biases, bias_updates (C), output,
 *                  delta (B*C each) (+ batch-norm and adam arrays when present: none here)
 *     [softmax]:   output, delta, loss (B*C each), cost (1)
 * A difference is printed under the table (e.g. a scratch array added to the layer), with
 * its size in floats per B*K and per B*C. "extra" = what each head allocates beyond its
 * weights and their update buffer, in MiB and as floats per (B*C + B*K).
 *
 * Built with -DGPU -DCUDNN against build/darknet-gpu (`make bench`), the same program times
 * the GPU path (cudaDeviceSynchronize after each phase; memory = device bytes taken by each
 * network, from cudaMemGetInfo). forward_network_gpu's own host traffic is included: for
 * both heads the B x K input upload; for the stock head also the B x C truth upload and the
 * B x C output download; the asoftmax head (net->labels set) has neither: its forward copies
 * the B labels to the device and the B per-sample costs back. For the asoftmax head the GPU
 * build also reports, per shape, two device-side timings, each the median over the same
 * repetitions of ms per step from two CUDA events recorded on stream 0 (pjreddie's Darknet
 * runs everything there) around ITERS back-to-back steps:
 *     device step: asoftmax_forward_step_gpu(l, input_gpu, NULL, labels, 1, t) +
 *                  asoftmax_backward_step_gpu + asoftmax_update_step_gpu called directly on
 *                  the network's device buffers: about the summed kernel time of a step (no
 *                  B x C host traffic; the forward's one small synchronous copy of B floats,
 *                  the per-sample costs, is included);
 *     GEMM floor:  the step's three products alone, gemm_gpu (cuBLAS, FP32) with the layer's
 *                  shapes, transposes and betas on its own device arrays: X.W^T (B,C) into
 *                  l.output_gpu, delta.W (B,K) into the input delta, delta^T.X (C,K) into
 *                  l.weight_updates_gpu (saved and restored around the sample);
 * and the ratios network step / floor, device step / floor and the floor's TFLOP/s
 * (6 B K C flop per step). Without a CUDA device it prints "GPU: SKIPPED" and exits 0.
 *
 * Output: markdown tables on stdout (times + memory; the asoftmax step against its three
 * products, on the CPU, or against its device step and GEMM floor, on the GPU; the phase
 * breakdown). Normally run through scripts/bench.sh.
 *
 * Build: make bench (build/bench/bench_heads, and bench_heads_gpu with nvcc).
 * Usage: run with --help.
 */
#define _GNU_SOURCE
/* the finiteness checks of the costs need isfinite(): refuse -ffinite-math-only (-Ofast) */
#if defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__
#error "bench_heads checks costs with isfinite(): build without -ffinite-math-only (-Ofast)"
#endif
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "darknet.h"
#define TOOL_NAME "bench_heads"
#include "tool_util.h"
#include "asoftmax_layer.h"
#include "asoftmax_state.h" /* asoftmax_allocated_bytes: what the layer allocates */
#include "asoftmax_steps.h"
#include "gemm.h"
#ifdef GPU
/* Darknet's src/cuda.h (blas_handle, cuda_set_device): -I build/darknet-gpu/src must come
 * before CUDA's include folder, whose cuda.h is the driver API */
#include "cuda.h"
#endif

extern char **environ;

enum { HEAD_STOCK = 0, HEAD_ASOFTMAX = 1, NHEADS = 2 };
static const char *const head_name[NHEADS] = {"stock", "asoftmax"};

#define MAX_SHAPES 64
#define MAX_REPS 1000

typedef struct {
    int B, K, C;
} shape;

/* one training step, split into its three phases (ms) */
typedef struct {
    double fwd, bwd, upd;
} step_ms;

static int verbose;

static const char usage[] =
    "usage: bench_heads [--reps N] [--min-ms MS] [--budget-s S] [--no-mem] [--verbose] [B,K,C ...]\n"
    "       bench_heads --steps stock|asoftmax B,K,C N   (one head only, for profilers)\n"
    "       bench_heads --mem-child stock|asoftmax B,K,C";

/* the rest of --help (usage alone is what an argument error prints) */
static const char help_text[] =
    "  B,K,C         shapes: batch, features, classes (default: 128,128,10  256,512,10572\n"
    "                64,512,100000)\n"
    "  --reps N      repetitions per shape (default 5, 1..1000)\n"
    "  --min-ms MS   each timed sample runs enough steps to last at least MS ms (default 200)\n"
    "  --budget-s S  fewer repetitions (never below 3) where N of them would take more than\n"
    "                S seconds (default 0: always N)\n"
    "  --no-mem      skip the peak-RSS children (the allocation counts stay)\n"
    "  --verbose     keep Darknet's layer printout\n"
    "  --steps HEAD B,K,C N   N steps of one head, e.g. for\n"
    "                perf record -e cpu-clock -g build/bench/bench_heads --steps asoftmax 128,128,10 20000\n"
    "  --mem-child HEAD B,K,C internal: one head's memory, in a fresh process\n"
    "  -h, --help    this text\n"
    "output: markdown tables on stdout; bad arguments: a message and exit status 1\n";

/* ---------------------------------------------------------------- argument parsing */

/* "B,K,C" with B, K >= 1, C >= 2 and every array size below 2^31 elements (Darknet
 * indexes with int) */
static shape parse_shape(const char *s)
{
    shape sh;
    char buf[3][32];
    const char *p = s;
    int i;
    for (i = 0; i < 3; ++i) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof(buf[i]) || (i < 2 && p[n] != ',') || (i == 2 && p[n] != '\0'))
            die("shape '%s': expected B,K,C (three integers separated by commas)\n%s", s, usage);
        memcpy(buf[i], p, n);
        buf[i][n] = '\0';
        p += n + (i < 2);
    }
    sh.B = (int)parse_long(buf[0], "batch B", 1, 1 << 20);
    sh.K = (int)parse_long(buf[1], "features K", 1, 1 << 24);
    sh.C = (int)parse_long(buf[2], "classes C", 2, 1 << 24);
    if ((double)sh.B * sh.K > INT_MAX || (double)sh.B * sh.C > INT_MAX ||
        (double)sh.K * sh.C > INT_MAX)
        die("shape '%s': B*K, B*C and K*C must each stay below 2^31", s);
    return sh;
}

/* ---------------------------------------------------------------- small utilities */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* median of v[0..n-1] (n >= 1); sorts a copy */
static double median(const double *v, int n)
{
    double tmp[MAX_REPS];
    memcpy(tmp, v, (size_t)n * sizeof(double));
    qsort(tmp, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;
static unsigned long long rng_next(void) /* xorshift64 */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static float rng_uniform(float lo, float hi)
{
    return lo + (hi - lo) * (float)((rng_next() >> 11) * (1.0 / 9007199254740992.0));
}

/* bytes the C heap holds right now (all arenas + mmapped chunks) */
static double heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
}

/* Darknet prints every layer it builds to stderr; unless --verbose, that goes to a
 * temporary file that is replayed only if the program exits while muted (a Darknet error). */
static FILE *mute_log;
static int mute_saved_fd = -1;

static void stderr_restore(int replay)
{
    if (mute_saved_fd < 0) return;
    fflush(stderr);
    dup2(mute_saved_fd, STDERR_FILENO);
    close(mute_saved_fd);
    mute_saved_fd = -1;
    if (replay && mute_log) {
        char buf[4096];
        size_t n;
        rewind(mute_log);
        while ((n = fread(buf, 1, sizeof(buf), mute_log)) > 0) fwrite(buf, 1, n, stderr);
    }
}
static void stderr_replay_at_exit(void) { stderr_restore(1); }

static void stderr_mute(void)
{
    static int registered;
    if (verbose) return;
    if (!mute_log && !(mute_log = tmpfile())) return; /* cannot mute: just stay verbose */
    if (!registered) {
        atexit(stderr_replay_at_exit);
        registered = 1;
    }
    if (ftruncate(fileno(mute_log), 0) != 0) return;
    rewind(mute_log);
    fflush(stderr);
    mute_saved_fd = dup(STDERR_FILENO);
    if (mute_saved_fd < 0) return;
    dup2(fileno(mute_log), STDERR_FILENO);
}

/* ---------------------------------------------------------------- the two heads */

/*
 * The network for one head: parsed from a cfg written to a temporary file.
 * Contract: net->input (B,K) uniform in [-1, 1]; net->truth (B,C) one-hot, random labels;
 * asoftmax head: also net->labels (B ints, the same classes), ours, as train_network sets
 * it for a network whose only losses are [asoftmax] (the layer then reads the labels, and
 * forward_network_gpu neither pushes the truth nor pulls the output); the stock head has
 * net->labels = NULL and trains on the dense truth. net->delta (B,K) zeros, ours (free
 * both with free_head); net->train = 1.
 * *layers_heap (if not NULL): the heap bytes the parse left allocated, minus what the
 * network itself holds (struct, layer array, seen/t/cost, input, truth): the layers' own;
 * -1 where mallinfo2 does not see the allocations (a replaced malloc, e.g. ASan).
 */
static network *make_head(int head, shape s, double *layers_heap)
{
    double heap0;
    char path[] = "/tmp/bench_heads_XXXXXX";
    network *net;
    FILE *f;
    int fd = mkstemp(path), b, i;
    if (fd < 0) die("cannot create a temporary cfg in /tmp: %s", strerror(errno));
    f = fdopen(fd, "w");
    if (!f) die("fdopen %s: %s", path, strerror(errno));
    fprintf(f, "[net]\nbatch=%d\nsubdivisions=1\nwidth=1\nheight=1\nchannels=%d\n"
               "learning_rate=0.1\nmomentum=0.9\ndecay=0.0005\npolicy=constant\n\n",
            s.B, s.K);
    if (head == HEAD_STOCK)
        fprintf(f, "[connected]\noutput=%d\nactivation=linear\n\n[softmax]\ngroups=1\n", s.C);
    else
        fprintf(f, "[asoftmax]\noutput=%d\nmargin=4\n", s.C);
    if (fclose(f) != 0) die("cannot write %s: %s", path, strerror(errno));

    stderr_mute();
    heap0 = heap_in_use();
    net = parse_network_cfg(path);
    if (layers_heap && heap_in_use() == heap0) /* malloc replaced (e.g. ASan): unknown */
        *layers_heap = -1;
    else if (layers_heap)
        *layers_heap = heap_in_use() - heap0 -
                       (sizeof(network) + net->n * sizeof(layer) + sizeof(size_t) + sizeof(int) +
                        sizeof(float) +
                        ((double)net->inputs + net->truths) * net->batch * sizeof(float));
    stderr_restore(0);
    unlink(path);
    if (net->inputs != s.K || net->outputs != s.C || net->batch != s.B)
        die("%s head parsed to inputs %d outputs %d batch %d, expected %d %d %d", head_name[head],
            net->inputs, net->outputs, net->batch, s.K, s.C, s.B);

    for (i = 0; i < s.B * s.K; ++i) net->input[i] = rng_uniform(-1, 1);
    if (head == HEAD_ASOFTMAX) {
        /* what train_network gives a network whose only losses are [asoftmax]
         * (network_takes_labels): the class of each sample */
        if (!network_takes_labels(net)) die("the asoftmax head does not take labels");
        net->labels = calloc((size_t)s.B, sizeof(int));
        if (!net->labels) die("out of memory (%d labels)", s.B);
    }
    for (b = 0; b < s.B; ++b) {
        const int c = (int)(rng_next() % (unsigned)s.C);
        net->truth[(size_t)b * s.C + c] = 1;
        if (net->labels) net->labels[b] = c;
    }
    net->delta = calloc((size_t)s.B * s.K, sizeof(float));
    if (!net->delta) die("out of memory (%d x %d floats)", s.B, s.K);
#ifdef GPU
    net->delta_gpu = cuda_make_array(net->delta, (size_t)s.B * s.K);
#endif
    net->train = 1;
    return net;
}

static void free_head(network *net)
{
    free(net->delta);
    net->delta = NULL;
    free(net->labels); /* ours: free_network does not own it */
    net->labels = NULL;
#ifdef GPU
    cuda_free(net->delta_gpu);
    net->delta_gpu = NULL;
#endif
    free_network(net);
}

static void sync_device(void)
{
#ifdef GPU
    cudaError_t e = cudaDeviceSynchronize();
    if (e != cudaSuccess) die("CUDA error: %s", cudaGetErrorString(e));
#endif
}

/* one training step as train_network_datum does it; returns the phase times */
static step_ms train_step(network *net)
{
    step_ms t;
    double t0, t1, t2, t3;
    memset(net->delta, 0, (size_t)net->batch * net->inputs * sizeof(float));
#ifdef GPU
    fill_gpu(net->batch * net->inputs, 0, net->delta_gpu, 1);
#endif
    sync_device();
    *net->seen += net->batch;
    t0 = now_ms();
    forward_network(net);
    sync_device();
    t1 = now_ms();
    backward_network(net);
    sync_device();
    t2 = now_ms();
    update_network(net);
    sync_device();
    t3 = now_ms();
    t.fwd = t1 - t0;
    t.bwd = t2 - t1;
    t.upd = t3 - t2;
    return t;
}

/* ---------------------------------------------------------------- allocation counts */

/* the heap bytes behind one array of a layer (0 for NULL), page rounding included */
static double usable(const void *p) { return p ? (double)malloc_usable_size((void *)p) : 0; }

/* heap bytes of the arrays layer l is documented to allocate (see the header comment) */
static double layer_bytes(layer l)
{
    double n = 0;
    switch (l.type) {
    case CONNECTED:
        n += usable(l.weights) + usable(l.weight_updates) + usable(l.biases) +
             usable(l.bias_updates) + usable(l.output) + usable(l.delta);
        n += usable(l.scales) + usable(l.scale_updates) + usable(l.mean) + usable(l.mean_delta) +
             usable(l.variance) + usable(l.variance_delta) + usable(l.rolling_mean) +
             usable(l.rolling_variance) + usable(l.x) + usable(l.x_norm); /* batch_normalize */
        n += usable(l.m) + usable(l.v) + usable(l.bias_m) + usable(l.bias_v) + usable(l.scale_m) +
             usable(l.scale_v); /* adam */
        break;
    case SOFTMAX:
        n += usable(l.output) + usable(l.delta) + usable(l.loss) + usable(l.cost);
        break;
    case ASOFTMAX:
        n += usable(l.output) + usable(l.delta) + usable(l.weights) + usable(l.weight_updates) +
             usable(l.cost);
        n += (double)asoftmax_allocated_bytes(l, 0) - 2.0 * l.batch * l.outputs * sizeof(float) -
             2.0 * l.inputs * l.outputs * sizeof(float) - sizeof(float); /* its own arrays */
        break;
    default:
        die("unexpected layer type %d in a head", (int)l.type);
    }
    return n;
}

static double head_bytes(const network *net)
{
    double n = 0;
    int i;
    for (i = 0; i < net->n; ++i) n += layer_bytes(net->layers[i]);
    return n;
}

/* ---------------------------------------------------------------- peak memory */

#ifndef GPU
/* "VmHWM:   1234 kB" -> 1234; -1 if absent */
static long status_kb(const char *key)
{
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, key, n) && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* --mem-child HEAD B,K,C: prints "RSS_BEFORE_KB PEAK_KB" of this fresh process */
static int mem_child(const char *head_s, const char *shape_s)
{
    int head = !strcmp(head_s, "stock") ? HEAD_STOCK : !strcmp(head_s, "asoftmax") ? HEAD_ASOFTMAX : -1;
    shape s;
    network *net;
    long before;
    if (head < 0) die("--mem-child: head '%s' must be stock or asoftmax", head_s);
    s = parse_shape(shape_s);
    before = status_kb("VmRSS");
    net = make_head(head, s, NULL);
    train_step(net);
    train_step(net);
    if (!isfinite(*net->cost)) die("%s head: cost %g is not finite", head_name[head], *net->cost);
    printf("%ld %ld\n", before, status_kb("VmHWM"));
    free_head(net);
    return 0;
}

/* runs `self --mem-child HEAD B,K,C`; *before_kb, *peak_kb from its output */
static void measure_peak(const char *self, int head, shape s, long *before_kb, long *peak_kb)
{
    char shape_s[64], out[128] = {0};
    char *argv[] = {(char *)self, "--mem-child", (char *)head_name[head], shape_s, NULL};
    posix_spawn_file_actions_t fa;
    int pfd[2], status, rc;
    size_t got = 0;
    ssize_t n;
    pid_t pid;
    snprintf(shape_s, sizeof(shape_s), "%d,%d,%d", s.B, s.K, s.C);
    if (pipe(pfd) != 0) die("pipe: %s", strerror(errno));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, pfd[0]);
    posix_spawn_file_actions_addclose(&fa, pfd[1]);
    fflush(stdout);
    fflush(stderr);
    rc = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (rc != 0) die("cannot run %s: %s", self, strerror(rc));
    while (got < sizeof(out) - 1 && (n = read(pfd[0], out + got, sizeof(out) - 1 - got)) > 0)
        got += (size_t)n;
    close(pfd[0]);
    if (waitpid(pid, &status, 0) != pid) die("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        sscanf(out, "%ld %ld", before_kb, peak_kb) != 2)
        die("memory child for the %s head at %s failed (status %d, output '%s')",
            head_name[head], shape_s, status, out);
}
#endif

/* --steps HEAD B,K,C N: only N training steps of one head after one warm-up step, and
 * their mean ms per step; for profilers (perf record, valgrind --tool=callgrind) */
static int steps_only(const char *head_s, const char *shape_s, const char *n_s)
{
    int head = !strcmp(head_s, "stock") ? HEAD_STOCK : !strcmp(head_s, "asoftmax") ? HEAD_ASOFTMAX : -1;
    shape s;
    network *net;
    long n, i;
    double t = 0;
    if (head < 0) die("--steps: head '%s' must be stock or asoftmax", head_s);
    s = parse_shape(shape_s);
    n = parse_long(n_s, "--steps N", 1, 1000000);
    net = make_head(head, s, NULL);
    train_step(net);
    for (i = 0; i < n; ++i) {
        step_ms st = train_step(net);
        t += st.fwd + st.bwd + st.upd;
    }
    printf("%s %d,%d,%d: %ld training steps, %.3f ms per step, last cost %g\n", head_name[head],
           s.B, s.K, s.C, n, t / n, *net->cost);
    free_head(net);
    return 0;
}

/* ---------------------------------------------------------------- one shape */

typedef struct {
    shape s;
    int reps, iters;
    double ms[NHEADS], fwd[NHEADS], bwd[NHEADS], upd[NHEADS]; /* medians, ms per step */
    double ratio, ratio_lo, ratio_hi; /* asoftmax / stock, wall-clock: median, min, max */
    double min_ratio;                 /* fastest asoftmax step / fastest stock step */
    double bytes[NHEADS];             /* the layers' own allocations, measured on the heap */
    double counted[NHEADS];           /* the same, counted from the documented arrays */
    double extra[NHEADS];             /* bytes beyond weights + weight_updates */
    double mem_mib[NHEADS];           /* CPU: peak RSS; GPU: device memory of the network */
    double mem_delta_mib[NHEADS];     /* CPU: peak RSS above the RSS before building */
    int have_mem;
    double products_ms;               /* CPU: the head's three GEMMs alone (median), else 0 */
    double dev_ms, floor_ms;          /* GPU: the asoftmax device step and its GEMM floor
                                         (CUDA events, medians, ms per step), else 0 */
} result;

#ifndef GPU
/* The three products of one [asoftmax] training step at shape s, through Darknet's gemm()
 * (the build's BLAS) with the layer's shapes and transposes: X^.W^T (B,C), delta.W (B,K),
 * delta^T.X (C,K). Scratch arrays; ms for one set of the three. */
typedef struct {
    float *x, *w, *bc, *bk, *ck;
} products;

static products products_make(shape s)
{
    products p;
    size_t i;
    p.x = malloc(sizeof(float) * s.B * s.K);
    p.w = malloc(sizeof(float) * s.C * s.K);
    p.bc = calloc((size_t)s.B * s.C, sizeof(float));
    p.bk = calloc((size_t)s.B * s.K, sizeof(float));
    p.ck = calloc((size_t)s.C * s.K, sizeof(float));
    if (!p.x || !p.w || !p.bc || !p.bk || !p.ck) die("out of memory for the products at %d,%d,%d", s.B, s.K, s.C);
    for (i = 0; i < (size_t)s.B * s.K; ++i) p.x[i] = rng_uniform(-1, 1);
    for (i = 0; i < (size_t)s.C * s.K; ++i) p.w[i] = rng_uniform(-1, 1);
    return p;
}

static double products_time(products *p, shape s)
{
    double t0 = now_ms();
    gemm(0, 1, s.B, s.C, s.K, 1, p->x, s.K, p->w, s.K, 0, p->bc, s.C);
    gemm(0, 0, s.B, s.K, s.C, 1, p->bc, s.C, p->w, s.K, 0, p->bk, s.K);
    gemm(1, 0, s.C, s.K, s.B, 1, p->bc, s.C, p->x, s.K, 0, p->ck, s.K);
    return now_ms() - t0;
}

static void products_free(products *p)
{
    free(p->x); free(p->w); free(p->bc); free(p->bk); free(p->ck);
}
#else
/* Device-side timings of the [asoftmax] head: CUDA events recorded on stream 0, the stream
 * pjreddie's Darknet runs everything on; ms per step = the events' elapsed time / iters. */
static void cuda_ok(cudaError_t e, const char *what)
{
    if (e != cudaSuccess) die("CUDA error in %s: %s", what, cudaGetErrorString(e));
}

typedef struct {
    cudaEvent_t start, stop;
    float *wu_save; /* (C,K): the layer's weight_updates, kept across the GEMM floor */
} device_timer;

static device_timer device_timer_make(shape s)
{
    device_timer d;
    cuda_ok(cudaEventCreate(&d.start), "cudaEventCreate");
    cuda_ok(cudaEventCreate(&d.stop), "cudaEventCreate");
    cuda_ok(cudaMalloc((void **)&d.wu_save, sizeof(float) * (size_t)s.C * s.K), "cudaMalloc");
    return d;
}

static void device_timer_free(device_timer *d)
{
    cudaEventDestroy(d->start);
    cudaEventDestroy(d->stop);
    cudaFree(d->wu_save);
}

static double events_ms(device_timer *d, int iters)
{
    float ms = 0;
    cuda_ok(cudaEventRecord(d->stop, 0), "cudaEventRecord");
    cuda_ok(cudaEventSynchronize(d->stop), "cudaEventSynchronize");
    cuda_ok(cudaEventElapsedTime(&ms, d->start, d->stop), "cudaEventElapsedTime");
    return (double)ms / iters;
}

/* "device step": iters training steps of the [asoftmax] head (layer 0 of net) through the
 * layer's own GPU steps on device buffers, as forward/backward/update_network_gpu call them
 * with net->labels set, back to back between two events: no B x C host traffic; the forward
 * copies the B labels in and (synchronously) the B per-sample costs out. The input delta
 * accumulates over the iters steps (zeroed before, outside the events). */
static double device_step_ms(network *net, device_timer *d, int iters)
{
    const layer l = net->layers[0];
    int it;
    fill_gpu(net->batch * net->inputs, 0, net->delta_gpu, 1);
    cuda_ok(cudaEventRecord(d->start, 0), "cudaEventRecord");
    for (it = 0; it < iters; ++it) {
        *net->seen += net->batch;
        asoftmax_forward_step_gpu(l, net->input_gpu, NULL, net->labels, 1,
                                  (long)get_current_batch(net));
        asoftmax_backward_step_gpu(l, net->input_gpu, net->delta_gpu);
        asoftmax_update_step_gpu(l, net->batch * net->subdivisions, get_current_rate(net),
                                 net->momentum, net->decay);
    }
    return events_ms(d, iters);
}

/* "GEMM floor": the step's three products alone, iters sets between two events, through
 * Darknet's gemm_gpu (cuBLAS, the handle as Darknet leaves it: FP32) on the layer's own
 * device arrays with its shapes, transposes and betas: X.W^T -> output (B,C), delta.W ->
 * the input delta (B,K), delta^T.X -> weight_updates (C,K). The weight updates are restored
 * afterwards (outside the events), so the training the other timings continue is unchanged;
 * output is rewritten by the next forward. */
static double gemm_floor_ms(network *net, device_timer *d, int iters)
{
    const layer l = net->layers[0];
    const int B = l.batch, K = l.inputs, C = l.outputs;
    const size_t ck = sizeof(float) * (size_t)C * K;
    double ms;
    int it;
    cuda_ok(cudaMemcpy(d->wu_save, l.weight_updates_gpu, ck, cudaMemcpyDeviceToDevice), "cudaMemcpy");
    fill_gpu(B * K, 0, net->delta_gpu, 1);
    cuda_ok(cudaEventRecord(d->start, 0), "cudaEventRecord");
    for (it = 0; it < iters; ++it) {
        gemm_gpu(0, 1, B, C, K, 1, net->input_gpu, K, l.weights_gpu, K, 0, l.output_gpu, C);
        gemm_gpu(0, 0, B, K, C, 1, l.delta_gpu, C, l.weights_gpu, K, 1, net->delta_gpu, K);
        gemm_gpu(1, 0, C, K, B, 1, l.delta_gpu, C, net->input_gpu, K, 1, l.weight_updates_gpu, K);
    }
    ms = events_ms(d, iters);
    cuda_ok(cudaMemcpy(l.weight_updates_gpu, d->wu_save, ck, cudaMemcpyDeviceToDevice), "cudaMemcpy");
    return ms;
}
#endif

/*
 * Times the two heads at r->s: `reps` interleaved repetitions of r->iters steps each
 * (r->iters from min_ms), fewer (but at least 3) when one repetition is estimated to take
 * longer than budget_s / reps seconds (budget_s = 0: no limit).
 */
static void bench_shape(result *r, int reps, double min_ms, double budget_s, int do_mem,
                        const char *self)
{
    network *net[NHEADS];
    double tot[NHEADS][MAX_REPS], f[NHEADS][MAX_REPS], bk[NHEADS][MAX_REPS], u[NHEADS][MAX_REPS];
    double ratio[MAX_REPS], t1, fastest[NHEADS];
    int h, rep, it, k;
#ifndef GPU
    double prod[MAX_REPS];
    products pm = products_make(r->s);
    products_time(&pm, r->s); /* warm-up */
#endif
#ifdef GPU
    size_t free0, free1, total;
    double dev[MAX_REPS], flo[MAX_REPS];
    device_timer dt;
#endif
    (void)self;
    r->have_mem = 0;

#ifndef GPU
    if (do_mem) {
        for (h = 0; h < NHEADS; ++h) {
            long before, peak;
            measure_peak(self, h, r->s, &before, &peak);
            r->mem_mib[h] = peak / 1024.0;
            r->mem_delta_mib[h] = (peak - before) / 1024.0;
        }
        r->have_mem = 1;
    }
#endif
    for (h = 0; h < NHEADS; ++h) {
#ifdef GPU
        cudaMemGetInfo(&free0, &total);
#endif
        net[h] = make_head(h, r->s, &r->bytes[h]);
#ifdef GPU
        cudaMemGetInfo(&free1, &total);
        r->mem_mib[h] = r->mem_delta_mib[h] = ((double)free0 - (double)free1) / (1024.0 * 1024.0);
        r->have_mem = do_mem;
#endif
        r->counted[h] = head_bytes(net[h]);
        if (r->bytes[h] < 0) r->bytes[h] = r->counted[h];
        r->extra[h] = r->bytes[h] - 2.0 * r->s.C * r->s.K * sizeof(float);
        train_step(net[h]); /* warm-up: page faults, thread pool, cuBLAS */
        if (!isfinite(*net[h]->cost))
            die("%s head at %d,%d,%d: cost %g is not finite", head_name[h], r->s.B, r->s.K,
                r->s.C, *net[h]->cost);
    }
    /* calibrate on the stock head: enough steps for min_ms per sample */
    {
        step_ms t = train_step(net[HEAD_STOCK]);
        t1 = t.fwd + t.bwd + t.upd;
        r->iters = t1 >= min_ms ? 1 : (int)ceil(min_ms / (t1 > 1e-3 ? t1 : 1e-3));
        if (r->iters > 100000) r->iters = 100000;
        if (budget_s > 0 && reps > 3) {
            double per_rep_s = 2 * r->iters * t1 / 1e3;
            int fit = (int)(budget_s / per_rep_s);
            if (fit < reps) reps = fit > 3 ? fit : 3;
        }
    }
    r->reps = reps;
#ifdef GPU
    dt = device_timer_make(r->s);
    device_step_ms(net[HEAD_ASOFTMAX], &dt, 1); /* warm-up */
    gemm_floor_ms(net[HEAD_ASOFTMAX], &dt, 1);
#endif
    for (rep = 0; rep < reps; ++rep) {
        for (k = 0; k < NHEADS; ++k) {
            h = (rep % 2) ? NHEADS - 1 - k : k; /* alternate which head goes first */
            f[h][rep] = bk[h][rep] = u[h][rep] = 0;
            for (it = 0; it < r->iters; ++it) {
                step_ms t = train_step(net[h]);
                f[h][rep] += t.fwd;
                bk[h][rep] += t.bwd;
                u[h][rep] += t.upd;
            }
            f[h][rep] /= r->iters;
            bk[h][rep] /= r->iters;
            u[h][rep] /= r->iters;
            tot[h][rep] = f[h][rep] + bk[h][rep] + u[h][rep];
        }
#ifndef GPU
        prod[rep] = 0;
        for (it = 0; it < r->iters; ++it) prod[rep] += products_time(&pm, r->s);
        prod[rep] /= r->iters;
#else
        dev[rep] = device_step_ms(net[HEAD_ASOFTMAX], &dt, r->iters);
        if (!isfinite(*net[HEAD_ASOFTMAX]->layers[0].cost))
            die("asoftmax head at %d,%d,%d: device-step cost %g is not finite", r->s.B, r->s.K,
                r->s.C, *net[HEAD_ASOFTMAX]->layers[0].cost);
        flo[rep] = gemm_floor_ms(net[HEAD_ASOFTMAX], &dt, r->iters);
#endif
        ratio[rep] = tot[HEAD_ASOFTMAX][rep] / tot[HEAD_STOCK][rep];
        if (verbose)
            fprintf(stderr, "  %d,%d,%d rep %d: stock %.3f ms asoftmax %.3f ms ratio %.3f\n",
                    r->s.B, r->s.K, r->s.C, rep, tot[HEAD_STOCK][rep], tot[HEAD_ASOFTMAX][rep],
                    ratio[rep]);
#ifdef GPU
        if (verbose)
            fprintf(stderr, "  %d,%d,%d rep %d: asoftmax device step %.3f ms GEMM floor %.3f ms\n",
                    r->s.B, r->s.K, r->s.C, rep, dev[rep], flo[rep]);
#endif
    }
    for (h = 0; h < NHEADS; ++h) {
        r->ms[h] = median(tot[h], reps);
        r->fwd[h] = median(f[h], reps);
        r->bwd[h] = median(bk[h], reps);
        r->upd[h] = median(u[h], reps);
        if (!isfinite(*net[h]->cost)) die("%s head: cost is not finite after training", head_name[h]);
    }
    r->ratio = median(ratio, reps);
#ifndef GPU
    r->products_ms = median(prod, reps);
    r->dev_ms = r->floor_ms = 0;
    products_free(&pm);
#else
    r->products_ms = 0;
    r->dev_ms = median(dev, reps);
    r->floor_ms = median(flo, reps);
    device_timer_free(&dt);
#endif
    for (h = 0; h < NHEADS; ++h) {
        fastest[h] = tot[h][0];
        for (rep = 1; rep < reps; ++rep)
            if (tot[h][rep] < fastest[h]) fastest[h] = tot[h][rep];
    }
    r->min_ratio = fastest[HEAD_ASOFTMAX] / fastest[HEAD_STOCK];
    r->ratio_lo = r->ratio_hi = ratio[0];
    for (rep = 1; rep < reps; ++rep) {
        if (ratio[rep] < r->ratio_lo) r->ratio_lo = ratio[rep];
        if (ratio[rep] > r->ratio_hi) r->ratio_hi = ratio[rep];
    }
    for (h = 0; h < NHEADS; ++h) free_head(net[h]);
}

/* ---------------------------------------------------------------- output */

static void print_row(const result *r)
{
    const double BC = (double)r->s.B * r->s.C, BK = (double)r->s.B * r->s.K;
    const double MiB = 1024.0 * 1024.0;
    int h;
    printf("| %d | %d | %d | %.3g | %.2f | %.2f | **%.3f** (%.3f–%.3f) | %.3f |", r->s.B, r->s.K,
           r->s.C, 6e-9 * BC * r->s.K, r->ms[HEAD_STOCK], r->ms[HEAD_ASOFTMAX], r->ratio,
           r->ratio_lo, r->ratio_hi, r->min_ratio);
    for (h = 0; h < NHEADS; ++h) {
        if (!r->have_mem)
            printf(" – |");
#ifdef GPU
        else
            printf(" %.1f |", r->mem_mib[h]);
#else
        else
            printf(" %.1f / %.1f |", r->mem_mib[h], r->mem_delta_mib[h]);
#endif
    }
    for (h = 0; h < NHEADS; ++h)
        printf(" %.2f / %.2f (%.2f) |", r->bytes[h] / MiB, r->extra[h] / MiB,
               r->extra[h] / sizeof(float) / (BC + BK));
    printf("\n");
    fflush(stdout);
}

static void print_header(void)
{
#ifdef GPU
    const char *mem = "stock device MiB | asoftmax device MiB";
#else
    const char *mem = "stock peak RSS / Δ MiB | asoftmax peak RSS / Δ MiB";
#endif
    printf("| B | K | C | GFLOP/step | stock ms | asoftmax ms | ratio (min–max) | fastest ratio | "
           "%s | stock alloc / extra MiB (×(BC+BK)) | asoftmax alloc / extra MiB (×(BC+BK)) |\n",
           mem);
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    fflush(stdout);
}

#ifdef GPU
/* selects device 0; prints "GPU: SKIPPED (...)" and returns 0 without a CUDA device */
static int gpu_available(void)
{
    int ndev = 0;
    struct cudaDeviceProp prop;
    cudaError_t e = cudaGetDeviceCount(&ndev);
    if (e != cudaSuccess || ndev < 1) {
        printf("GPU: SKIPPED (no CUDA device: %s)\n",
               e != cudaSuccess ? cudaGetErrorString(e) : "device count 0");
        return 0;
    }
    gpu_index = 0;
    cuda_set_device(0);
    blas_handle(); /* the cuBLAS handle is not part of either head's memory */
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess)
        printf("GPU: %s (%d device%s)\n\n", prop.name, ndev, ndev > 1 ? "s" : "");
    return 1;
}
#endif

/* ---------------------------------------------------------------- main's steps */

typedef struct {
    shape shapes[MAX_SHAPES];
    int nshapes, reps, do_mem;
    double min_ms, budget_s;
} options;

/* the command line into o (the default shapes when none is given); --mem-child, --steps
 * and --help run here and exit */
static void parse_options(int argc, char **argv, options *o)
{
    static const shape defaults[] = {{128, 128, 10}, {256, 512, 10572}, {64, 512, 100000}};
    int i;
    o->nshapes = 0;
    o->reps = 5;
    o->do_mem = 1;
    o->min_ms = 200;
    o->budget_s = 0;
    for (i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "--mem-child")) {
#ifdef GPU
            die("--mem-child is not available in the GPU build");
#else
            if (argc != i + 3) die("--mem-child takes HEAD B,K,C\n%s", usage);
            exit(mem_child(argv[i + 1], argv[i + 2]));
#endif
        } else if (!strcmp(a, "--steps")) {
            if (argc != i + 4) die("--steps takes HEAD B,K,C N\n%s", usage);
#ifdef GPU
            if (gpu_available()) exit(steps_only(argv[i + 1], argv[i + 2], argv[i + 3]));
            exit(0);
#else
            gpu_index = -1;
            exit(steps_only(argv[i + 1], argv[i + 2], argv[i + 3]));
#endif
        } else if (!strcmp(a, "--reps")) {
            if (++i >= argc) die("--reps needs a value\n%s", usage);
            o->reps = (int)parse_long(argv[i], "--reps", 1, MAX_REPS);
        } else if (!strcmp(a, "--min-ms")) {
            if (++i >= argc) die("--min-ms needs a value\n%s", usage);
            o->min_ms = (double)parse_long(argv[i], "--min-ms", 0, 3600000);
        } else if (!strcmp(a, "--budget-s")) {
            if (++i >= argc) die("--budget-s needs a value\n%s", usage);
            o->budget_s = (double)parse_long(argv[i], "--budget-s", 0, 86400);
        } else if (!strcmp(a, "--no-mem")) {
            o->do_mem = 0;
        } else if (!strcmp(a, "--verbose")) {
            verbose = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            puts(usage);
            fputs(help_text, stdout);
            exit(0);
        } else if (a[0] == '-') {
            die("unknown option '%s'\n%s", a, usage);
        } else {
            if (o->nshapes == MAX_SHAPES) die("at most %d shapes", MAX_SHAPES);
            o->shapes[o->nshapes++] = parse_shape(a);
        }
    }
    if (!o->nshapes) {
        for (i = 0; i < (int)(sizeof(defaults) / sizeof(defaults[0])); ++i) o->shapes[i] = defaults[i];
        o->nshapes = i;
    }
}

/* this executable's path, for the --mem-child children */
static void find_self(char self[PATH_MAX])
{
    ssize_t n = readlink("/proc/self/exe", self, PATH_MAX - 1);
    if (n <= 0) die("cannot find this executable (/proc/self/exe): %s", strerror(errno));
    self[n] = '\0';
}

/* what the main table's columns mean */
static void print_intro(const options *o)
{
    printf("One training step (forward_network + backward_network + update_network) of the head "
           "alone; stock = [connected] linear + [softmax] (one-hot net->truth), asoftmax = "
           "[asoftmax] m=4 (net->labels, as train_network sets them).\n"
           "ms: medians of up to %d interleaved repetitions (see the breakdown for steps x reps); "
           "ratio = asoftmax/stock, the median of the per-repetition ratios (range in brackets);\n"
           "fastest ratio: fastest asoftmax sample / fastest stock sample (load from other "
           "processes only ever adds time).\n",
           o->reps);
#ifndef GPU
    if (o->do_mem)
        printf("Peak RSS = VmHWM of a fresh process that builds the head and trains 2 steps; "
               "Δ = its growth over the process before building.\n");
    printf("alloc = the layers' own arrays; extra = alloc beyond weights + weight_updates, also "
           "in floats per (B·C + B·K).\n");
#endif
    printf("\n");
}

/* a note for each head whose allocation differs from its documented arrays */
static void print_alloc_notes(const result *res, int nshapes)
{
    int i, h;
    for (i = 0; i < nshapes; ++i) {
        const result *r = &res[i];
        for (h = 0; h < NHEADS; ++h) {
            const double d = r->bytes[h] - r->counted[h], fl = d / sizeof(float);
            if (fabs(d) > 16384 && fabs(d) > 5e-3 * r->counted[h]) /* malloc slack: ~KiB */
                printf("\nnote: at %d,%d,%d the %s head holds %.0f bytes %s its documented arrays "
                       "(%.0f floats = %.3g·B·K = %.3g·B·C)\n", r->s.B, r->s.K, r->s.C,
                       head_name[h], fabs(d), d > 0 ? "more than" : "less than", fabs(fl),
                       fabs(fl) / ((double)r->s.B * r->s.K), fabs(fl) / ((double)r->s.B * r->s.C));
        }
    }
}

#ifndef GPU
/* the asoftmax step against its three products */
static void print_products_table(const result *res, int nshapes)
{
    int i;
    printf("\nThe [asoftmax] step against its three products alone (X^·W^T, delta·W, delta^T·X "
           "through the build's gemm(), same shapes, timed in the same repetitions; medians)\n\n");
    printf("| B | K | C | three products ms | asoftmax step ms | step / products |\n");
    printf("|---:|---:|---:|---:|---:|---:|\n");
    for (i = 0; i < nshapes; ++i) {
        const result *r = &res[i];
        printf("| %d | %d | %d | %.2f | %.2f | **%.2f** |\n", r->s.B, r->s.K, r->s.C, r->products_ms,
               r->ms[HEAD_ASOFTMAX], r->ms[HEAD_ASOFTMAX] / r->products_ms);
    }
}
#else
/* the asoftmax step against its device step and GEMM floor */
static void print_device_table(const result *res, int nshapes)
{
    int i;
    printf("\nThe [asoftmax] step on the device (medians over the same repetitions, ms per step).\n"
           "network step: the main table's asoftmax ms (forward/backward/update_network, host "
           "clock, a device sync after each phase, the B x K input upload included);\n"
           "device step: asoftmax_forward_step_gpu + asoftmax_backward_step_gpu + "
           "asoftmax_update_step_gpu on device buffers, steps back to back between two CUDA "
           "events on stream 0 (~ the summed kernel time; no B x C host traffic, the forward "
           "copies B labels in and B costs out);\n"
           "GEMM floor: the step's three products alone (gemm_gpu X^·W^T, delta·W, delta^T·X, "
           "FP32 cuBLAS on the layer's own device arrays), between two events; TFLOP/s = "
           "6·B·K·C flop / GEMM floor.\n\n");
    printf("| B | K | C | network step ms | device step ms | GEMM floor ms | step / floor | "
           "device / floor | floor TFLOP/s |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (i = 0; i < nshapes; ++i) {
        const result *r = &res[i];
        printf("| %d | %d | %d | %.3f | %.3f | %.3f | %.2f | **%.2f** | %.2f |\n", r->s.B,
               r->s.K, r->s.C, r->ms[HEAD_ASOFTMAX], r->dev_ms, r->floor_ms,
               r->ms[HEAD_ASOFTMAX] / r->floor_ms, r->dev_ms / r->floor_ms,
               6e-9 * r->s.B * r->s.K * (double)r->s.C / r->floor_ms);
    }
}
#endif

/* forward / backward / update of each head */
static void print_phase_table(const result *res, int nshapes)
{
    int i;
    printf("\nPhase breakdown (medians, ms per step): forward / backward / update\n\n");
    printf("| B | K | C | steps × reps | stock fwd | stock bwd | stock upd | asoftmax fwd | "
           "asoftmax bwd | asoftmax upd |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (i = 0; i < nshapes; ++i) {
        const result *r = &res[i];
        printf("| %d | %d | %d | %d × %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", r->s.B,
               r->s.K, r->s.C, r->iters, r->reps, r->fwd[0], r->bwd[0], r->upd[0], r->fwd[1],
               r->bwd[1], r->upd[1]);
    }
}

int main(int argc, char **argv)
{
    static options o;
    static result res[MAX_SHAPES];
    char self[PATH_MAX];
    int i;

    parse_options(argc, argv, &o);
    find_self(self);
#ifdef GPU
    if (!gpu_available()) return 0;
#else
    gpu_index = -1;
#endif

    print_intro(&o);
    print_header();
    for (i = 0; i < o.nshapes; ++i) {
        res[i].s = o.shapes[i];
        bench_shape(&res[i], o.reps, o.min_ms, o.budget_s, o.do_mem, self);
        print_row(&res[i]);
    }
    print_alloc_notes(res, o.nshapes);
#ifndef GPU
    print_products_table(res, o.nshapes);
#else
    print_device_table(res, o.nshapes);
#endif
    print_phase_table(res, o.nshapes);
    return 0;
}
