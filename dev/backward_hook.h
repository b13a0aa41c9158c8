/*
 * backward_hook.h — Darknet's CPU backward_network (src/network.c) with a callback just before
 * each layer's backward, where the layer's incoming l.delta is complete: used to measure and
 * to emulate the stock GPU clamp of [connected] deltas (dev/delta_probe.c,
 * tests/test_network_gpu.c). Header-only. With a NULL hook it is backward_network.
 */
#ifndef ASOFTMAX_BACKWARD_HOOK_H
#define ASOFTMAX_BACKWARD_HOOK_H

#include "darknet.h"

/* called with the layer (its delta may be modified), its index, and ctx */
typedef void (*backward_hook)(layer *l, int index, void *ctx);

static void backward_network_hooked(network *netp, backward_hook hook, void *ctx)
{
    network net = *netp, orig = net;
    int i;
    for (i = net.n - 1; i >= 0; --i) {
        layer l = net.layers[i];
        if (l.stopbackward) break;
        if (i == 0) {
            net = orig;
        } else {
            net.input = net.layers[i - 1].output;
            net.delta = net.layers[i - 1].delta;
        }
        net.index = i;
        if (hook) hook(&l, i, ctx);
        l.backward(l, net);
    }
}

#endif
