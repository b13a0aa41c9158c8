/*
 * test_loader.c — Darknet's classifier training loader on non-square networks
 * (patches/0003-classifier-nonsquare-crops.patch).
 *
 * `darknet classifier train` loads its batches with CLASSIFICATION_DATA and
 * args.size = net->w. Stock Darknet cropped every image to size x size, so a 112x96
 * (height x width) network such as cfg/sphereface20.cfg was fed 96x96 crops: a batch
 * buffer a sixth short of what the network reads. The patch crops to w x h whenever
 * args.w == args.size and args.h is set, and fixes the vertical jitter of
 * random_augment_args, which used the width where it meant the height, and
 * center_crop_image (the loader's center=1 and `classifier valid`), which cut a square
 * and stretched it to w x h.
 *
 *   1. 112x96 network, aligned 112x96 image, min_crop = max_crop = 96 (the cfg's
 *      settings), no rotation/aspect/colour change: the loaded row is w*h*3 floats and
 *      equals the image or its mirror (Darknet flips at random) to 1e-4, over many draws,
 *      so a vertical jitter would show;
 *   2. a square network keeps square crops (size x size), as before the patch;
 *   3. a network whose load_args leave h at 0 (other Darknet tools) keeps size x size;
 *   4. center_crop_image: an image of the network's shape comes back unchanged, a wider
 *      one gives its centred w x h window, a square network gets exactly the old square
 *      crop, and the loader's center=1 path gives the image or its mirror.
 *
 * Built and run by `make test` (tests/run-tests.sh). Prints every failure, then
 * `N passed, N failed`; exit status 1 on failure.
 *   usage: test_loader SCRATCH_DIR
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"

#include "check.h"

// pattern value of pixel (x, y, c): distinct along both axes and per channel
static float pattern(int x, int y, int c) { return (float)((x * 7 + y * 13 + c * 50) % 256) / 255.f; }

// writes a w x h RGB PNG with the pattern to DIR/NAME.png; returns its path (caller frees)
static char *write_pattern(const char *dir, const char *name, int w, int h)
{
    char path[4096];
    image im = make_image(w, h, 3);
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) im.data[(c * h + y) * w + x] = pattern(x, y, c);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    save_image_options(im, path, PNG, 0);
    free_image(im);
    snprintf(path, sizeof(path), "%s/%s.png", dir, name);
    return strdup(path);
}

// loads one batch of n copies of PATH the way classifier.c's train_classifier does
static data load_batch(char *path, int n, int net_w, int net_h, int min, int max, int center)
{
    char **paths = calloc((size_t)n, sizeof(char *));
    for (int i = 0; i < n; ++i) paths[i] = path;
    char *labels[] = {"face"};
    data d = {0};
    load_args args = {0};
    args.w = net_w;
    args.h = net_h;
    args.size = net_w;
    args.min = min;
    args.max = max;
    args.angle = 0;
    args.aspect = 1;
    args.hue = 0;
    args.saturation = 1;
    args.exposure = 1;
    args.paths = paths;
    args.n = n;
    args.m = 0;
    args.labels = labels;
    args.classes = 1;
    args.center = center;
    args.type = CLASSIFICATION_DATA;
    args.d = &d;
    pthread_join(load_data_in_thread(args), 0);
    free(paths);
    return d;
}

// largest |row - pattern| over the row read as w x h x 3, with the pattern's columns
// starting at x0, unflipped or mirrored
static double window_error(const float *row, int w, int h, int x0, int mirrored)
{
    double worst = 0;
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                int sx = x0 + (mirrored ? w - 1 - x : x);
                double e = fabs(row[(c * h + y) * w + x] - pattern(sx, y, c));
                if (e > worst) worst = e;
            }
    return worst;
}

static double row_error(const float *row, int w, int h, int mirrored)
{
    return window_error(row, w, h, 0, mirrored);
}

// largest |a - b| over two images of the same shape; 1e30 if the shapes differ
static double image_diff(image a, image b)
{
    if (a.w != b.w || a.h != b.h || a.c != b.c) return 1e30;
    double worst = 0;
    for (int i = 0; i < a.w * a.h * a.c; ++i) {
        double e = fabs(a.data[i] - b.data[i]);
        if (e > worst) worst = e;
    }
    return worst;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    srand(7);

    // 1. SphereFace's aligned 112x96 faces into a 112x96 network
    const int W = 96, H = 112, N = 32;
    char *face = write_pattern(argv[1], "loader-face-96x112", W, H);
    data d = load_batch(face, N, W, H, W, W, 0);
    CHECK(d.X.rows == N && d.X.cols == W * H * 3,
          "112x96 network: batch is %d x %d, want %d x %d", d.X.rows, d.X.cols, N, W * H * 3);
    CHECK(d.w == W && d.h == H, "112x96 network: data says %dx%d, want %dx%d", d.w, d.h, W, H);
    if (d.X.rows == N && d.X.cols == W * H * 3) {
        int exact = 0, mirrored = 0;
        double worst = 0;
        for (int i = 0; i < N; ++i) {
            double e0 = row_error(d.X.vals[i], W, H, 0), e1 = row_error(d.X.vals[i], W, H, 1);
            double e = e0 < e1 ? e0 : e1;
            if (e < 1e-4) (e0 <= e1 ? ++exact : ++mirrored);
            if (e > worst) worst = e;
        }
        CHECK(exact + mirrored == N, "112x96 network: %d of %d rows are the image (worst error %.3g)",
              exact + mirrored, N, worst);
        CHECK(exact > 0 && mirrored > 0, "112x96 network: %d unflipped, %d mirrored of %d (want both)",
              exact, mirrored, N);
        printf("112x96 network: %d rows of %d floats, %d as loaded + %d mirrored, worst error %.2g\n",
               N, d.X.cols, exact, mirrored, worst);
    }
    free_data(d);

    // 2. a square network: square crops, as in stock Darknet
    char *photo = write_pattern(argv[1], "loader-photo-40x48", 40, 48);
    d = load_batch(photo, 4, 32, 32, 32, 40, 0);
    CHECK(d.X.rows == 4 && d.X.cols == 32 * 32 * 3 && d.w == 32 && d.h == 32,
          "32x32 network: batch %d x %d (%dx%d), want 4 x %d (32x32)", d.X.rows, d.X.cols, d.w, d.h,
          32 * 32 * 3);
    free_data(d);

    // 3. load_args without h (as some Darknet examples fill them): size x size
    d = load_batch(photo, 2, 24, 0, 24, 24, 0);
    CHECK(d.X.rows == 2 && d.X.cols == 24 * 24 * 3 && d.w == 24 && d.h == 24,
          "h unset: batch %d x %d (%dx%d), want 2 x %d (24x24)", d.X.rows, d.X.cols, d.w, d.h, 24 * 24 * 3);
    free_data(d);

    // 4. center crops
    image im = load_image_color(face, 0, 0);
    image crop = center_crop_image(im, W, H);
    double e = crop.w == W && crop.h == H ? window_error(crop.data, W, H, 0, 0) : 1e30;
    CHECK(e < 1e-5, "center crop of a 96x112 image to 96x112: error %.3g", e);
    free_image(crop);
    free_image(im);

    char *wide = write_pattern(argv[1], "loader-wide-200x112", 200, H);
    im = load_image_color(wide, 0, 0);
    crop = center_crop_image(im, W, H);
    e = crop.w == W && crop.h == H ? window_error(crop.data, W, H, (200 - W) / 2, 0) : 1e30;
    CHECK(e < 1e-5, "center crop of a 200x112 image to 96x112: error %.3g against columns 52..147", e);
    free_image(crop);
    free_image(im);

    im = load_image_color(photo, 0, 0);  // 40x48: the old square crop is 40x40 at (0, 4)
    crop = center_crop_image(im, 32, 32);
    image square = crop_image(im, 0, 4, 40, 40);
    image want = resize_image(square, 32, 32);
    e = image_diff(crop, want);
    CHECK(e == 0, "center crop of a 40x48 image to 32x32 differs from the square crop by %.3g", e);
    free_image(want);
    free_image(square);
    free_image(crop);
    free_image(im);

    d = load_batch(face, 8, W, H, W, W, 1);
    int good = 0;
    for (int i = 0; i < d.X.rows && d.X.cols == W * H * 3; ++i) {
        double e0 = row_error(d.X.vals[i], W, H, 0), e1 = row_error(d.X.vals[i], W, H, 1);
        if ((e0 < e1 ? e0 : e1) < 1e-4) ++good;
    }
    CHECK(good == 8, "112x96 network, center=1: %d of 8 rows are the image or its mirror", good);
    free_data(d);

    free(face);
    free(photo);
    free(wide);
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
