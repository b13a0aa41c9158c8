/*
 * test_sphereface20.c — cfg/sphereface20.cfg (SphereFace-20 + [asoftmax]) inside Darknet:
 *
 *   1. it parses (a copy with batch=1, subdivisions=1: small and fast; the cfg's 256/16
 *      means forward passes of 16) into the 30 layers of SphereFace-20: 20 convolutions, 8 [shortcut]s each
 *      adding the unit's input (3 layers back) of the same shape, fc5 512-d on 7x6x512,
 *      [asoftmax] 512 -> 10572 with m = 4, s = 30 and the official lambda schedule, batch
 *      normalization on every convolution, burn_in 1000, 112x96x3 input;
 *   2. one training forward pass on random images with random labels: finite positive
 *      cost, output rows are probabilities;
 *   3. one backward pass: every delta and weight update finite, and the gradient reaches
 *      the first convolution (non-zero weight updates there).
 * The layer's own gradients are checked in tests/test_asoftmax.c; this test is about the
 * cfg: that the face network is wired as intended and runs end to end.
 *
 * Built and run by `make test` (tests/run-tests.sh); a forward + backward pass of
 * SphereFace-20 is ~10 GFLOP per image: about 4 s on 2 cores with the -O2 test build.
 * Prints every failure, then `N passed, N failed`; exit status 1 on failure.
 *   usage: test_sphereface20 CFG SCRATCH_DIR     (e.g. cfg/sphereface20.cfg /tmp)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asoftmax_layer.h"
#include "asoftmax_state.h"
#include "darknet.h"
#include "network.h"

#include "check.h"
#include "small_cfg.h"

enum { BATCH = 1, CLASSES = 10572, EMB = 512, NLAYERS = 30 };

static int all_finite(const float *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i)
        if (!isfinite(v[i])) return 0;
    return 1;
}

static void fill_batch(network *net)
{
    int i, b;
    for (i = 0; i < net->inputs * net->batch; ++i) net->input[i] = (float)urand();
    memset(net->truth, 0, sizeof(float) * net->truths * net->batch);
    for (b = 0; b < net->batch; ++b) net->truth[b * net->truths + (int)(urand() * CLASSES)] = 1;
}

int main(int argc, char **argv)
{
    char path[4096];
    network *net;
    int i, nconv = 0, nshort = 0, shapes_ok = 1;
    float cost0;
    clock_t t0 = clock();
    double nz = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 3) {
        fprintf(stderr, "usage: %s CFG SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    urand_state = 0x2545F4914F6CDD1DULL; /* the random images and labels */
    snprintf(path, sizeof(path), "%s/sphereface20-test.cfg", argv[2]);
    if (write_small_cfg(argv[1], path, BATCH)) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    srand(2017);
    net = parse_network_cfg(path);

    /* ---- 1. structure ---- */
    CHECK(net->n == NLAYERS, "%d layers, want %d", net->n, NLAYERS);
    CHECK(net->h == 112 && net->w == 96 && net->c == 3 && net->batch == BATCH,
          "input %dx%dx%d batch %d, want 112x96x3 batch %d", net->h, net->w, net->c, net->batch,
          BATCH);
    if (net->n != NLAYERS) goto done;
    for (i = 0; i < net->n - 2; ++i) {
        layer *l = &net->layers[i];
        if (l->type == CONVOLUTIONAL) {
            ++nconv;
            if (l->size != 3 || l->activation != LEAKY || !l->batch_normalize) shapes_ok = 0;
        } else if (l->type == SHORTCUT) {
            layer *from = &net->layers[l->index];
            ++nshort;
            /* adds the unit's input: 3 layers back, same shape */
            if (l->index != i - 3 || from->outputs != l->outputs || l->out_c != from->out_c)
                shapes_ok = 0;
        } else {
            shapes_ok = 0;
        }
    }
    CHECK(nconv == 20 && nshort == 8 && shapes_ok,
          "%d convolutions, %d shortcuts (want 20, 8), all 3x3 leaky batch-normalized with "
          "matching shortcuts: %d",
          nconv, nshort, shapes_ok);
    {
        layer *last_conv = &net->layers[NLAYERS - 3], *fc5 = &net->layers[NLAYERS - 2],
              *fc6 = &net->layers[NLAYERS - 1];
        CHECK(last_conv->out_w == 6 && last_conv->out_h == 7 && last_conv->out_c == 512,
              "before fc5: %dx%dx%d (h x w x c), want 7x6x512", last_conv->out_h,
              last_conv->out_w, last_conv->out_c);
        CHECK(fc5->type == CONNECTED && fc5->inputs == 7 * 6 * 512 && fc5->outputs == EMB &&
                  fc5->activation == LINEAR,
              "fc5: type %d, %d -> %d, activation %d", fc5->type, fc5->inputs, fc5->outputs,
              fc5->activation);
        CHECK(fc6->type == ASOFTMAX && fc6->inputs == EMB && fc6->outputs == CLASSES &&
                  fc6->asoftmax->p.m1 == 4 && fc6->asoftmax->p.lambda_base == 1000.f &&
                  fc6->asoftmax->p.lambda_gamma == 0.12f && fc6->asoftmax->p.lambda_power == 1.f &&
                  fc6->asoftmax->p.lambda_min == 5.f && fc6->asoftmax->p.s == 30 &&
                  net->burn_in == 1000,
              "fc6: type %d, %d -> %d, or its options differ from m=4, s=30, 1000/0.12/1/5, "
              "or burn_in != 1000", fc6->type,
              fc6->inputs, fc6->outputs);
        CHECK(net->truths == CLASSES, "net->truths = %d", net->truths);
    }

    /* ---- 2. forward ---- */
    fill_batch(net);
    net->train = 1;
    forward_network(net);
    cost0 = *net->cost;
    CHECK(isfinite(cost0) && cost0 > 0, "training cost %g", cost0);
    {
        int b;
        double worst = 0;
        for (b = 0; b < BATCH; ++b) {
            double s = 0;
            int j;
            for (j = 0; j < CLASSES; ++j) s += net->output[b * CLASSES + j];
            worst = fmax(worst, fabs(s - 1));
        }
        CHECK(all_finite(net->output, (size_t)BATCH * CLASSES) && worst < 1e-3,
              "output rows are not probabilities (|sum - 1| up to %g)", worst);
    }

    /* ---- 3. backward ---- */
    backward_network(net);
    {
        int bad = -1;
        for (i = 0; i < net->n && bad < 0; ++i) {
            layer *l = &net->layers[i];
            if (!all_finite(l->delta, (size_t)l->outputs * l->batch)) bad = i;
            if (l->weight_updates && !all_finite(l->weight_updates, (size_t)l->nweights)) bad = i;
            if (l->type == ASOFTMAX && !all_finite(l->weight_updates, (size_t)l->outputs * l->inputs))
                bad = i;
        }
        CHECK(bad < 0, "non-finite delta or weight update in layer %d", bad);
    }
    for (i = 0; i < net->layers[0].nweights; ++i) nz += fabs(net->layers[0].weight_updates[i]);
    CHECK(nz > 0, "no gradient reached the first convolution");

    printf("sphereface20: batch %d, training cost %.2f (%.2f per sample; ln %d = %.2f), "
           "forward + backward %.1f s CPU\n",
           BATCH, cost0, cost0 / BATCH, CLASSES, log((double)CLASSES),
           (double)(clock() - t0) / CLOCKS_PER_SEC);

done:
    /* Darknet's free_network never frees these (a leak in Darknet, not ours): free them here
     * so that `make test SANITIZE=1` reports only leaks of our own */
    free(net->workspace);
    free(net->steps);
    free(net->scales);
    free_network(net);
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
