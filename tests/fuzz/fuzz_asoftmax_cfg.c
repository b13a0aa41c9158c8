/*
 * fuzz_asoftmax_cfg.c — libFuzzer target for the [asoftmax] section: arbitrary option text
 * must give either a valid layer or exactly one clean error message — never a crash, a
 * hang, a sanitizer report, or a non-finite output, cost or gradient from the layer it built.
 *
 * Input: byte 0 picks the layer's input size (1..16), whether the section is the cfg's last
 * (bit 7 clear) and the batch counter t (bits 4-6); the rest is the section's text, read line
 * by line through Darknet's own strip() + read_option() as read_cfg does. A valid section
 * is built with make_asoftmax_layer (batch 2, at most 2^16 weights per input to bound memory)
 * and run forward + backward + update on inputs taken from the text's bytes.
 *
 * Build and run: make fuzz [FUZZ_SECONDS=60]  (clang, libFuzzer, ASan + UBSan; seed corpus
 * tests/fuzz/corpus, new inputs kept in build/fuzz-corpus).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asoftmax_layer.h"
#include "asoftmax_steps.h" /* asoftmax_parse_options */
#include "darknet.h"
#include "list.h"
#include "option_list.h"
#include "utils.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_finite(const float *v, size_t n, const char *what)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        if (!isfinite(v[i])) {
            fprintf(stderr, "fuzz: non-finite %s[%zu] = %g\n", what, i, v[i]);
            abort();
        }
    }
}

static void exercise(int inputs, size_t t, const asoftmax_params *p, int outputs,
                     const uint8_t *bytes, size_t nbytes)
{
    static const float values[8] = {0.f, 1.f, -1.f, 0.5f, 1e-30f, -1e30f, 3.f, 1e30f};
    const int B = 2;
    layer l = make_asoftmax_layer(B, inputs, outputs, *p);
    network net = {0};
    size_t seen = t * B, i;
    float *x = calloc((size_t)B * inputs, sizeof(float));
    float *dx = calloc((size_t)B * inputs, sizeof(float));
    float *truth = calloc((size_t)B * outputs, sizeof(float));
    update_args a = {0};
    for (i = 0; i < (size_t)B * inputs; ++i) x[i] = nbytes ? values[bytes[i % nbytes] & 7] : 0;
    truth[nbytes ? bytes[0] % outputs : 0] = 1; /* sample 0 labeled, sample 1 unlabeled */
    net.batch = B;
    net.subdivisions = 1;
    net.seen = &seen;
    net.train = 1;
    net.input = x;
    net.delta = dx;
    net.truth = truth;
    forward_asoftmax_layer(l, net);
    backward_asoftmax_layer(l, net);
    check_finite(l.cost, 1, "cost");
    check_finite(l.output, (size_t)B * outputs, "output");
    check_finite(l.delta, (size_t)B * outputs, "delta");
    check_finite(dx, (size_t)B * inputs, "input delta");
    check_finite(l.weight_updates, (size_t)inputs * outputs, "weight_updates");
    a.batch = B; a.learning_rate = 0.1f; a.momentum = 0.9f; a.decay = 0.0005f;
    update_asoftmax_layer(l, a);
    net.train = 0;
    forward_asoftmax_layer(l, net);
    check_finite(l.output, (size_t)B * outputs, "inference output");
    free(x);
    free(dx);
    free(truth);
    free_layer(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int inputs, is_last, outputs;
    size_t t;
    char *text, *line, *next;
    list *options;
    asoftmax_params p;
    char msg[512];
    if (size < 1) return 0;
    inputs = 1 + data[0] % 16;
    is_last = !(data[0] & 0x80);
    t = (size_t)((data[0] >> 4) & 7) * 1000;
    text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    options = make_list();
    for (line = text; line; line = next) { /* as read_cfg: strip, skip comments and headers */
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        strip(line);
        if (line[0] == '\0' || line[0] == '#' || line[0] == ';' || line[0] == '[') continue;
        read_option(line, options); /* keys and values point into text */
    }
    if (asoftmax_parse_options(options, inputs, 0, is_last, &p, &outputs, msg, sizeof(msg)) == 0) {
        if ((size_t)outputs * inputs <= (1u << 16)) exercise(inputs, t, &p, outputs, data, size);
    } else if (strncmp(msg, "[asoftmax] layer 0: ", 20) != 0 || strchr(msg, '\n')) {
        fprintf(stderr, "fuzz: malformed error message: %s\n", msg);
        abort();
    }
    free_list_contents(options);
    free_list(options);
    free(text);
    return 0;
}
