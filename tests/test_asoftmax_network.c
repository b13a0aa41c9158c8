/*
 * test_asoftmax_network.c — the [asoftmax] layer inside real parsed Darknet networks (CPU):
 *
 *   4. the Darknet adapter: forward/backward wiring, the update rule, lambda from
 *      get_current_batch, weights save/load bit-exact; train_network hands an [asoftmax]
 *      network labels (bit-identical to the truth) and a stock network trains as before;
 *   6. exact resume (momentum 0: bit-identical; with momentum: close).
 * The networks are driven through tests/darknet_api.h, so this one file tests the layer in
 * pjreddie's Darknet and in AlexeyAB's fork (`make test` builds it for both, and runs it
 * against the test build and the shipped -Ofast build).
 *   usage: test_asoftmax_network SCRATCH_DIR
 * Prints every failure, then a closing `N passed, N failed` line; exit status 1 on any
 * failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asoftmax_layer.h"
#include "asoftmax_batch.h"
#include "asoftmax_state.h"
#include "asoftmax_steps.h"
#include "darknet.h"
#include "list.h"
#include "network.h"
#include "option_list.h"
#include "parser.h"

#include "check.h"
#include "reference.h"
#include "darknet_api.h"
/* ---- 4. the Darknet adapter in a parsed network ---- */

static const char *net_cfg =
    "[net]\nbatch=3\nsubdivisions=1\ninputs=7\nlearning_rate=0.1\nmomentum=0.9\ndecay=0.0005\n"
    "max_batches=100\n\n"
    "[connected]\noutput=6\nactivation=linear\n\n"
    "[asoftmax]\noutput=13\nmargin=3\nlambda_base=1000\nlambda_gamma=0.12\nlambda_power=1\n"
    "lambda_min=5\n";

static network *load_net(const char *dir, const char *weights)
{
    char path[512];
    FILE *f;
    network *net;
    snprintf(path, sizeof(path), "%s/net.cfg", dir);
    f = fopen(path, "w");
    fputs(net_cfg, f);
    fclose(f);
    net = tn_parse(path);
    if (weights) load_weights(net, (char *)weights);
    return net;
}

static void fill_batch(network *net, unsigned seed)
{
    int i, b;
    urand_state = 0x1234567ULL + seed;
    for (i = 0; i < net->inputs * net->batch; ++i) net->input[i] = (float)nrand();
    memset(net->truth, 0, sizeof(float) * TN_TRUTHS(net) * net->batch);
    for (b = 0; b < net->batch; ++b) net->truth[b * TN_TRUTHS(net) + (int)(urand() * TN_TRUTHS(net))] = 1;
}

static void test_adapter(const char *dir)
{
    network *net = load_net(dir, NULL);
    layer *fc = &net->layers[0], *l = &net->layers[1];
    int B = net->batch, K = l->inputs, C = l->outputs, i;
    float *out = falloc((size_t)B * C), *delta = falloc((size_t)B * C), *xc = falloc(B),
          *wc = falloc(C), *xn = falloc(B), *wn = falloc(C), *dx = falloc((size_t)B * K),
          *dw = falloc((size_t)C * K), *w0 = falloc((size_t)C * K), *u0 = falloc((size_t)C * K),
          *xh = falloc((size_t)B * K);
    int labels[3];
    float cost;
    double e = 0;
    char wpath[512];

    CHECK(l->type == ASOFTMAX && net->n == 2 && K == 6 && C == 13, "parsed network shape");
    CHECK(strcmp(get_layer_string(l->type), "asoftmax") == 0, "get_layer_string");
    CHECK(l->asoftmax->p.m1 == 3 && l->asoftmax->p.lambda_min == 5.f, "parsed options");
    CHECK(TN_TRUTHS(net) == 13, "truth width %d", TN_TRUTHS(net));

    /* training forward + backward through the network equals the pure functions */
    fill_batch(net, 1);
    tn_set_batch_num(net, 1659); /* t = get_current_batch = 1659 -> lambda = 5 */
    net->train = 1;
    tn_forward(net);
    CHECK(l->asoftmax->lambda == 5.f, "lambda at t=1659 is %g", l->asoftmax->lambda);
    asoftmax_labels_from_truth(B, C, net->truth, labels);
    cost = asoftmax_forward_f(B, K, C, fc->output, l->weights, labels, 3, 5.f, out, delta, xc,
                              wc, xn, wn, xh);
    CHECK(cost == l->cost[0] && memcmp(out, l->output, sizeof(float) * B * C) == 0,
          "network forward differs from asoftmax_forward_f");
    memcpy(u0, l->weight_updates, sizeof(float) * C * K);
    tn_backward(net);
    asoftmax_backward_f(B, K, C, fc->output, l->weights, delta, xc, wc, dx, dw);
    for (i = 0; i < B * K; ++i) e = fmax(e, fabs(dx[i] - fc->delta[i]));
    for (i = 0; i < C * K; ++i) e = fmax(e, fabs(u0[i] + dw[i] - l->weight_updates[i]));
    CHECK(e == 0, "network backward differs from asoftmax_backward_f by %g", e);

    /* update: SGD with momentum and decay as the connected layer */
    {
        float lr = 0.1f, mom = 0.9f, dec = 0.0005f;
        memcpy(w0, l->weights, sizeof(float) * C * K);
        memcpy(u0, l->weight_updates, sizeof(float) * C * K);
#ifdef ASOFTMAX_DARKNET_ALEXEYAB
        update_asoftmax_layer(*l, B, lr, mom, dec);
#else
        {
            update_args a = {0};
            a.batch = B; a.learning_rate = lr; a.momentum = mom; a.decay = dec;
            update_asoftmax_layer(*l, a);
        }
#endif
        e = 0;
        for (i = 0; i < C * K; ++i) {
            float u = u0[i] + (-dec * B) * w0[i];
            float wn1 = w0[i] + (lr / B) * u;
            e = fmax(e, fabs(wn1 - l->weights[i]) + fabs(mom * u - l->weight_updates[i]));
        }
        CHECK(e < 1e-6, "update rule differs by %g", e);
    }

    /* inference: softmax of the plain logits */
    {
        float *pred = tn_predict(net, net->input);
        problem p = {B, K, C, 3, 0, dalloc((size_t)B * K), dalloc((size_t)C * K), NULL};
        double *ref = dalloc((size_t)B * C), cref;
        (void)pred;
        for (i = 0; i < B * K; ++i) p.x[i] = fc->output[i];
        for (i = 0; i < C * K; ++i) p.w[i] = l->weights[i];
        modified_softmax(&p, &cref, ref);
        e = 0;
        for (i = 0; i < B * C; ++i) e = fmax(e, fabs(l->output[i] - ref[i]));
        CHECK(e < 1e-5, "network_predict output differs from softmax(z) by %g", e);
        free(ref);
        free(p.x); free(p.w);
    }

    /* weights: save/load bit-exact, seen (and so lambda) continues */
    snprintf(wpath, sizeof(wpath), "%s/net.weights", dir);
    tn_set_batch_num(net, 700);
    tn_save(net, wpath);
    {
        network *net2 = load_net(dir, wpath);
        layer *l2 = &net2->layers[1];
        float c1, c2;
        CHECK(memcmp(l2->weights, l->weights, sizeof(float) * C * K) == 0,
              "weights differ after save/load");
        CHECK(memcmp(net2->layers[0].weights, fc->weights, sizeof(float) * K * 7) == 0,
              "the previous layer's weights differ after save/load");
        CHECK(tn_batch_num(net2) == 700, "resumed at batch %zu, not 700", tn_batch_num(net2));
        /* one identical training step on both: same lambda, same loss, same weights */
        fill_batch(net, 2);
        memcpy(net2->input, net->input, sizeof(float) * net->inputs * B);
        memcpy(net2->truth, net->truth, sizeof(float) * TN_TRUTHS(net) * B);
        memset(l->weight_updates, 0, sizeof(float) * C * K);
        memset(fc->weight_updates, 0, sizeof(float) * K * 7);
        memset(fc->bias_updates, 0, sizeof(float) * K);
        c1 = tn_train_step(net);
        c2 = tn_train_step(net2);
        CHECK(l->asoftmax->lambda == l2->asoftmax->lambda &&
              l->asoftmax->lambda == asoftmax_lambda(&l->asoftmax->p, 701),
              "lambda after resume %g vs %g", l2->asoftmax->lambda, l->asoftmax->lambda);
        CHECK(c1 == c2 && memcmp(l2->weights, l->weights, sizeof(float) * C * K) == 0,
              "a training step after resume differs: loss %g vs %g", c1, c2);
        tn_free(net2);
    }
    free(out); free(delta); free(xc); free(wc); free(xn); free(wn); free(dx); free(dw);
    free(w0); free(u0); free(xh);
    tn_free(net);
}

/* ---- 4b. train_network: [asoftmax] heads take B labels, not the B x C truth ----
 * (patches/0007, patches/alexeyab/0009). The labels path must give the very bits of the
 * dense-truth path it replaces (input and truth copied, train_network_datum), for an
 * [asoftmax] network; a stock network must keep the dense path. */
static const char *stock_cfg =
    "[net]\nbatch=3\nsubdivisions=1\ninputs=7\nlearning_rate=0.1\nmomentum=0.9\ndecay=0.0005\n"
    "max_batches=100\n\n[connected]\noutput=13\nactivation=linear\n\n[softmax]\n";

/* one batch of data: inputs from the seed; truth rows one-hot, one with a tie (the first
 * largest entry is the label) and one unlabeled (all zero) */
static data batch_data(network *net, unsigned seed)
{
    data d = {0};
    int b, i, C = TN_TRUTHS(net);
    d.X = make_matrix(net->batch, net->inputs);
    d.y = make_matrix(net->batch, C);
    urand_state = 0x7654321ULL + seed;
    for (b = 0; b < net->batch; ++b) {
        for (i = 0; i < net->inputs; ++i) d.X.vals[b][i] = (float)nrand();
        d.y.vals[b][(int)(urand() * C)] = 1;
    }
    d.y.vals[1][2] = d.y.vals[1][9] = 1;
    if (seed % 2) memset(d.y.vals[2], 0, sizeof(float) * C);
    return d;
}

static void test_train_network(const char *dir, const char *cfg_text, int takes_labels)
{
    char path[512], wpath[512];
    FILE *f;
    network *a, *b;
    int step, i, same = 1;
    snprintf(path, sizeof(path), "%s/tn.cfg", dir);
    snprintf(wpath, sizeof(wpath), "%s/tn.weights", dir);
    f = fopen(path, "w");
    fputs(cfg_text, f);
    fclose(f);
    a = tn_parse(path);
    tn_save(a, wpath);
    b = tn_parse(path);
    load_weights(b, wpath);
    CHECK(tn_takes_labels(a) == takes_labels, "network_takes_labels = %d for the %s cfg",
          tn_takes_labels(a), takes_labels ? "[asoftmax]" : "stock");
    memset(a->truth, 0, sizeof(float) * TN_TRUTHS(a) * a->batch);
    for (step = 0; step < 3; ++step) {
        data d = batch_data(a, (unsigned)step);
        for (i = 0; i < a->batch; ++i) {
            memcpy(b->input + (size_t)i * b->inputs, d.X.vals[i], sizeof(float) * b->inputs);
            memcpy(b->truth + (size_t)i * TN_TRUTHS(b), d.y.vals[i], sizeof(float) * TN_TRUTHS(b));
        }
        tn_train_network(a, d);
        tn_train_step(b);
        for (i = 0; i < a->n; ++i) {
            layer la = a->layers[i], lb = b->layers[i];
            if (la.cost) same = same && la.cost[0] == lb.cost[0];
            if (la.weights)
                same = same && !memcmp(la.weights, lb.weights, sizeof(float) * la.inputs * la.outputs);
            if (la.biases) same = same && !memcmp(la.biases, lb.biases, sizeof(float) * la.outputs);
        }
        free_data(d);
    }
    CHECK(same, "train_network on the %s cfg differs from the truth copied + train_network_datum",
          takes_labels ? "[asoftmax]" : "stock");
#ifndef ASOFTMAX_DARKNET_ALEXEYAB
    CHECK(a->labels == NULL, "net->labels is left set after train_network");
    if (takes_labels) { /* the truth was never copied */
        for (i = 0; i < TN_TRUTHS(a) * a->batch; ++i) same = same && a->truth[i] == 0;
        CHECK(same, "train_network copied the dense truth for an [asoftmax] network");
    }
#endif
    tn_free(a);
    tn_free(b);
}

/* ---- 6. exact resume: N steps in one run == N/2 steps, save, load, N/2 steps ---- */

static network *resume_net(const char *dir, const char *momentum, const char *weights)
{
    char path[512];
    FILE *f;
    network *net;
    snprintf(path, sizeof(path), "%s/resume.cfg", dir);
    f = fopen(path, "w");
    fprintf(f, "[net]\nbatch=4\nsubdivisions=1\ninputs=7\nlearning_rate=0.1\nmomentum=%s\n"
               "decay=0.0005\nmax_batches=100\n\n[connected]\noutput=6\nactivation=leaky\n\n"
               "[asoftmax]\noutput=5\nmargin=4\nlambda_gamma=50\n", momentum);
    fclose(f);
    srand(42); /* the same initial weights in every run */
    net = tn_parse(path);
    if (weights) load_weights(net, (char *)weights);
    return net;
}

static void train_steps(network *net, int from, int to)
{
    int i;
    for (i = from; i < to; ++i) {
        fill_batch(net, 1000u + (unsigned)i); /* batch i is the same data in every run */
        tn_train_step(net);
    }
}

static double max_weight_diff(network *a, network *b)
{
    double e = 0;
    int i, j;
    for (i = 0; i < a->n; ++i) {
        layer la = a->layers[i], lb = b->layers[i];
        for (j = 0; j < la.inputs * la.outputs; ++j) e = fmax(e, fabs(la.weights[j] - lb.weights[j]));
        if (la.biases) for (j = 0; j < la.outputs; ++j) e = fmax(e, fabs(la.biases[j] - lb.biases[j]));
    }
    return e;
}

static void test_resume(const char *dir)
{
    static const char *momenta[] = {"0", "0.9"};
    const int N = 8;
    char wpath[512];
    int mi;
    snprintf(wpath, sizeof(wpath), "%s/resume.weights", dir);
    for (mi = 0; mi < 2; ++mi) {
        network *one = resume_net(dir, momenta[mi], NULL), *half, *resumed;
        double e;
        train_steps(one, 0, N);
        half = resume_net(dir, momenta[mi], NULL);
        train_steps(half, 0, N / 2);
        tn_save(half, wpath);
        resumed = resume_net(dir, momenta[mi], wpath);
        CHECK(tn_batch_num(resumed) == (size_t)N / 2, "resumed at batch %zu",
              tn_batch_num(resumed));
        train_steps(resumed, N / 2, N);
        CHECK(resumed->layers[1].asoftmax->lambda == one->layers[1].asoftmax->lambda,
              "lambda after resume %g vs %g", resumed->layers[1].asoftmax->lambda,
              one->layers[1].asoftmax->lambda);
        e = max_weight_diff(one, resumed);
        if (mi == 0) {
            CHECK(e == 0, "momentum 0: resumed weights differ by %g (must be bit-identical)", e);
        } else {
            /* Darknet's weights file does not hold the momentum buffers (weight_updates) of
             * any layer, so a resumed run restarts momentum from zero: not bit-identical with
             * momentum > 0 (README, Limits); the lambda schedule still continues exactly */
            CHECK(isfinite(e), "momentum 0.9: resumed weights not finite");
        }
        printf("resume (momentum %s): %d steps vs %d + save/load + %d: max weight difference %g\n",
               momenta[mi], N, N / 2, N / 2, e);
        tn_free(one);
        tn_free(half);
        tn_free(resumed);
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep every line if a sanitizer ends the process */
    test_adapter(dir);
    test_train_network(dir, net_cfg, 1);
    test_train_network(dir, stock_cfg, 0);
    test_resume(dir);
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
