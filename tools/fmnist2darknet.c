/*
 * fmnist2darknet.c — convert Fashion-MNIST idx files (.gz) to Darknet's classifier layout:
 * the data of `make demo` (and the e2e smoke test, the bench, the long run), from the
 * gzipped idx files of Debian's `dataset-fashion-mnist` package
 * (/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz).
 *
 * It checks them (magic 2051 for images, 2049 for labels, equal counts, 28x28 images) and
 * writes, for the first N images (N=0: all of them):
 *
 *   OUTDIR/SPLIT/NNNNN_<label>.png   one grayscale PNG per image (via libdarknet)
 *   OUTDIR/SPLIT.list                one path per line, relative to OUTDIR
 *                                    (e.g. train/00042_coat.png)
 *   OUTDIR/labels.txt                the 10 class names, in label order 0..9
 *
 * Darknet's classifier gives an image the first label whose name occurs (strstr) in the
 * image's path, so no class name may be a substring of another one or of SPLIT; this is
 * checked before anything is written. Fashion-MNIST's "T-shirt/top" is called "top"
 * because "shirt" is a class of its own.
 *
 * Build: make converter (build/fmnist2darknet).  Usage: run with --help.
 */
#define _GNU_SOURCE /* vasprintf */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <zlib.h>

#include "darknet.h"
#define TOOL_NAME "fmnist2darknet"
#include "tool_util.h"

#define IMG_ROWS 28
#define IMG_COLS 28
#define IMG_PIXELS (IMG_ROWS * IMG_COLS)
#define NCLASSES 10
#define IDX_IMAGES_MAGIC 2051u
#define IDX_LABELS_MAGIC 2049u
#define PROGRESS_EVERY 10000
/* save_image_options() formats "<name>.png" into a 256-byte stack buffer. */
#define DARKNET_NAME_MAX (256 - 5)

static const char *const class_names[NCLASSES] = {
    "top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot",
};

static const char usage_text[] =
    "usage: fmnist2darknet IMAGES.gz LABELS.gz OUTDIR SPLIT N\n"
    "  writes the first N images (N=0: all) to OUTDIR/SPLIT/NNNNN_<label>.png,\n"
    "  the list OUTDIR/SPLIT.list (paths relative to OUTDIR) and OUTDIR/labels.txt\n";

/* the rest of --help (usage_text alone is what a usage error prints) */
static const char help_text[] =
    "  IMAGES.gz, LABELS.gz: Fashion-MNIST's gzipped idx files, e.g.\n"
    "  /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz and\n"
    "  train-labels-idx1-ubyte.gz (Debian's dataset-fashion-mnist)\n"
    "  Run Darknet with its working directory at OUTDIR (the list's paths are relative).\n"
    "  A rerun whose OUTDIR/SPLIT.list already lists exactly the expected images, all\n"
    "  present, with the right labels.txt, prints \"reusing ...\" and writes nothing.\n"
    "  -h, --help   this text\n"
    "exit status: 0 on success, 1 on any problem (one message)\n";

static void usage(void)
{
    fputs(usage_text, stderr);
    exit(1);
}

/* ---- idx reading ---- */

static gzFile open_gz(const char *path)
{
    gzFile f;
    struct stat st;
    if (stat(path, &st) != 0) die("cannot open %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) die("%s is not a regular file", path);
    errno = 0;
    f = gzopen(path, "rb");
    if (!f) die("cannot open %s: %s", path, errno ? strerror(errno) : "zlib error");
    return f;
}

static void read_exact(gzFile f, const char *path, void *buf, unsigned len, const char *what)
{
    int got = gzread(f, buf, len);
    if (got < 0) {
        int err;
        const char *msg = gzerror(f, &err);
        die("%s: error reading %s: %s", path, what, msg ? msg : "zlib error");
    }
    if ((unsigned)got != len)
        die("%s: short read of %s (got %d of %u bytes): file truncated?", path, what, got, len);
}

static unsigned be32(const unsigned char *p)
{
    return ((unsigned)p[0] << 24) | ((unsigned)p[1] << 16) | ((unsigned)p[2] << 8) | p[3];
}

/* Opens an images file and checks its header; returns the image count. */
static gzFile open_images(const char *path, unsigned *count)
{
    unsigned char h[16];
    gzFile f = open_gz(path);
    unsigned magic, rows, cols;
    read_exact(f, path, h, sizeof h, "the idx3 header");
    magic = be32(h);
    if (magic != IDX_IMAGES_MAGIC)
        die("%s: bad magic number %u (expected %u, an idx3 images file)", path, magic,
            IDX_IMAGES_MAGIC);
    *count = be32(h + 4);
    rows = be32(h + 8);
    cols = be32(h + 12);
    if (rows != IMG_ROWS || cols != IMG_COLS)
        die("%s: images are %ux%u, expected %dx%d", path, rows, cols, IMG_ROWS, IMG_COLS);
    if (*count == 0 || *count > 10000000u) die("%s: implausible image count %u", path, *count);
    return f;
}

/* Reads all labels (the files are small); returns the count. */
static unsigned char *read_labels(const char *path, unsigned *count)
{
    unsigned char h[8];
    unsigned char *labels;
    unsigned magic, i;
    gzFile f = open_gz(path);
    read_exact(f, path, h, sizeof h, "the idx1 header");
    magic = be32(h);
    if (magic != IDX_LABELS_MAGIC)
        die("%s: bad magic number %u (expected %u, an idx1 labels file)", path, magic,
            IDX_LABELS_MAGIC);
    *count = be32(h + 4);
    if (*count == 0 || *count > 10000000u) die("%s: implausible label count %u", path, *count);
    labels = malloc(*count);
    if (!labels) die("out of memory");
    read_exact(f, path, labels, *count, "the labels");
    for (i = 0; i < *count; ++i)
        if (labels[i] >= NCLASSES)
            die("%s: label %u of image %u is out of range 0..%d", path, labels[i], i,
                NCLASSES - 1);
    gzclose(f);
    return labels;
}

/* ---- output helpers ---- */

static void check_names(const char *split)
{
    int i, j;
    if (!*split) die("SPLIT must not be empty");
    if (strchr(split, '/')) die("SPLIT '%s' must be a plain name without '/'", split);
    if (!strcmp(split, ".") || !strcmp(split, "..")) die("SPLIT '%s' is not allowed", split);
    for (i = 0; i < NCLASSES; ++i) {
        for (j = 0; j < NCLASSES; ++j)
            if (i != j && strstr(class_names[j], class_names[i]))
                die("class name '%s' is a substring of class name '%s': Darknet would "
                    "mislabel images", class_names[i], class_names[j]);
        if (strstr(split, class_names[i]))
            die("class name '%s' is a substring of SPLIT '%s': Darknet would mislabel every "
                "image", class_names[i], split);
    }
}

static int is_nonempty_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* The relative path (from OUTDIR) of image i, without the ".png". */
static char *image_stem(const char *split, unsigned i, unsigned label)
{
    return xasprintf("%s/%05u_%s", split, i, class_names[label]);
}

static int labels_file_ok(const char *path)
{
    char line[64];
    int i = 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (i >= NCLASSES || strcmp(line, class_names[i])) {
            fclose(f);
            return 0;
        }
        ++i;
    }
    fclose(f);
    return i == NCLASSES;
}

/* True when OUTDIR/SPLIT.list lists exactly images 0..n-1 and they all exist. */
static int can_reuse(const char *outdir, const char *split, const unsigned char *labels,
                     unsigned n)
{
    char *list_path = xasprintf("%s/%s.list", outdir, split);
    char *labels_path = xasprintf("%s/labels.txt", outdir);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned i = 0;
    int ok = labels_file_ok(labels_path);
    FILE *f = ok ? fopen(list_path, "r") : NULL;
    if (!f) ok = 0;
    while (ok && (len = getline(&line, &cap, f)) >= 0) {
        char *stem, *want, *full;
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        if (i >= n) { ok = 0; break; }
        stem = image_stem(split, i, labels[i]);
        want = xasprintf("%s.png", stem);
        full = xasprintf("%s/%s", outdir, want);
        if (strcmp(line, want) || !is_nonempty_file(full)) ok = 0;
        free(stem);
        free(want);
        free(full);
        ++i;
    }
    if (ok && i != n) ok = 0;
    if (f) fclose(f);
    free(line);
    free(list_path);
    free(labels_path);
    return ok;
}

static FILE *open_tmp(const char *tmp)
{
    FILE *f = fopen(tmp, "w");
    if (!f) die("cannot write %s: %s", tmp, strerror(errno));
    return f;
}

static void close_and_rename(FILE *f, const char *tmp, const char *final)
{
    if (ferror(f) || fclose(f) != 0) die("error writing %s: %s", tmp, strerror(errno));
    if (rename(tmp, final) != 0)
        die("cannot rename %s to %s: %s", tmp, final, strerror(errno));
}

int main(int argc, char **argv)
{
    const char *images_path, *labels_path, *outdir, *split;
    char *end = NULL;
    long nl;
    unsigned n_images, n_labels, n, i;
    unsigned char *labels;
    unsigned char pixels[IMG_PIXELS];
    gzFile fi;
    char *split_dir, *list_path, *list_tmp, *names_path, *names_tmp;
    FILE *list_f, *names;
    image im;

    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage_text, stdout);
        fputs(help_text, stdout);
        return 0;
    }
    if (argc != 6) usage();
    images_path = argv[1];
    labels_path = argv[2];
    outdir = argv[3];
    split = argv[4];

    errno = 0;
    nl = strtol(argv[5], &end, 10);
    if (end == argv[5] || *end != '\0' || errno == ERANGE || nl < 0 || nl > INT_MAX)
        die("N must be a non-negative integer (0 = all images), got '%s'", argv[5]);
    if (!*outdir) die("OUTDIR must not be empty");

    check_names(split);

    /* Read and check both headers (and the small labels file) before writing anything. */
    labels = read_labels(labels_path, &n_labels);
    fi = open_images(images_path, &n_images);
    if (n_images != n_labels)
        die("%s has %u images but %s has %u labels", images_path, n_images, labels_path,
            n_labels);
    n = nl == 0 ? n_images : (unsigned)nl;
    if (n > n_images) die("N=%u but %s has only %u images", n, images_path, n_images);

    if (can_reuse(outdir, split, labels, n)) {
        fprintf(stderr, "fmnist2darknet: reusing %s/%s.list (%u images, all present)\n", outdir,
                split, n);
        gzclose(fi);
        free(labels);
        return 0;
    }

    split_dir = xasprintf("%s/%s", outdir, split);
    make_dirs(split_dir);
    list_path = xasprintf("%s/%s.list", outdir, split);
    list_tmp = xasprintf("%s.tmp", list_path);
    names_path = xasprintf("%s/labels.txt", outdir);
    names_tmp = xasprintf("%s.%s.tmp", names_path, split); /* splits may run in parallel */

    {
        /* The longest image name must fit Darknet's 256-byte buffer in save_image_options. */
        char *longest = xasprintf("%s/%s/%05u_pullover", outdir, split, n ? n - 1 : 0);
        if (strlen(longest) > DARKNET_NAME_MAX)
            die("OUTDIR/SPLIT is too long: Darknet's PNG writer takes paths up to %d bytes",
                DARKNET_NAME_MAX + 4);
        free(longest);
    }

    names = open_tmp(names_tmp);
    for (i = 0; i < NCLASSES; ++i) fprintf(names, "%s\n", class_names[i]);
    close_and_rename(names, names_tmp, names_path);

    list_f = open_tmp(list_tmp);
    im = make_image(IMG_COLS, IMG_ROWS, 1);
    for (i = 0; i < n; ++i) {
        int k;
        char *stem = image_stem(split, i, labels[i]);
        char *full_stem = xasprintf("%s/%s", outdir, stem);
        char *full_png = xasprintf("%s.png", full_stem);
        read_exact(fi, images_path, pixels, IMG_PIXELS, "image data");
        for (k = 0; k < IMG_PIXELS; ++k) im.data[k] = pixels[k] / 255.0f;
        remove(full_png);
        save_image_options(im, full_stem, PNG, 0);
        if (!is_nonempty_file(full_png)) die("could not write %s", full_png);
        fprintf(list_f, "%s.png\n", stem);
        free(stem);
        free(full_stem);
        free(full_png);
        if ((i + 1) % PROGRESS_EVERY == 0)
            fprintf(stderr, "fmnist2darknet: %s: %u / %u images\n", split, i + 1, n);
    }
    free_image(im);
    gzclose(fi);
    close_and_rename(list_f, list_tmp, list_path);

    fprintf(stderr, "fmnist2darknet: wrote %u images to %s, list %s, labels %s\n", n, split_dir,
            list_path, names_path);
    free(labels);
    free(split_dir);
    free(list_path);
    free(list_tmp);
    free(names_path);
    free(names_tmp);
    return 0;
}
