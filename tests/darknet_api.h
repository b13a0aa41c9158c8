/*
 * darknet_api.h — the few whole-network calls the C tests make, with one shape for both
 * Darknets the layer is built into (include after darknet.h and the network/parser headers).
 *
 *   pjreddie's Darknet: networks are heap pointers, forward_network(net) reads net->input,
 *     net->truth, net->train; train_network_datum(net) trains on them and updates.
 *   AlexeyAB's fork (darknet.h defines ASOFTMAX_DARKNET_ALEXEYAB): networks are values, the
 *     layers get a network_state, the parser leaves net.input/net.truth unallocated and has
 *     no net.truths, train_network_datum does not update (train_network does, once per call).
 *
 * Here: tn_parse/tn_free own a network*, with input (batch x inputs) and truth
 * (batch x TN_TRUTHS) buffers on both forks; the rest follows pjreddie's semantics
 * (tn_train_network: train_network on a data, which updates once per batch when
 * subdivisions = 1 on both).
 */
#ifndef TESTS_DARKNET_API_H
#define TESTS_DARKNET_API_H

#include <stdlib.h>

/* classes of the last layer: the width of the truth rows */
#define TN_TRUTHS(net) ((net)->layers[(net)->n - 1].outputs)

#ifdef ASOFTMAX_DARKNET_ALEXEYAB

static inline network *tn_parse(const char *cfg)
{
    network *net = calloc(1, sizeof(*net));
    if (!net) abort();
    *net = parse_network_cfg((char *)cfg);
    net->input = calloc((size_t)net->inputs * net->batch, sizeof(float));
    net->truth = calloc((size_t)TN_TRUTHS(net) * net->batch, sizeof(float));
    if (!net->input || !net->truth) abort();
    return net;
}

static inline void tn_free(network *net)
{
    free(net->input);
    free(net->truth);
    net->input = net->truth = NULL;
    free_network(*net);
    free(net);
}

static inline network_state tn_state(network *net, int train)
{
    network_state s = {0};
    s.net = *net;
    s.input = net->input;
    s.truth = train ? net->truth : NULL;
    s.train = train;
    return s;
}

static inline void tn_forward(network *net) { forward_network(*net, tn_state(net, net->train)); }
static inline void tn_backward(network *net) { backward_network(*net, tn_state(net, 1)); }
static inline float *tn_predict(network *net, float *input) { return network_predict(*net, input); }
static inline void tn_save(network *net, const char *path) { save_weights(*net, (char *)path); }
static inline size_t tn_batch_num(network *net) { return (size_t)get_current_batch(*net); }

/* The fork counts training batches twice: *net.seen (images; get_current_batch, so lambda)
 * and *net.cur_iteration (train_network's calls), and save_weights writes seen from
 * cur_iteration. Both are kept in step here as train_network keeps them. */
static inline void tn_set_batch_num(network *net, size_t t)
{
    *net->seen = (uint64_t)t * net->batch * net->subdivisions;
    *net->cur_iteration = (int)t;
}

/* one training step on net->input/net->truth, then the update (subdivisions = 1), as
 * train_network does it */
static inline float tn_train_step(network *net)
{
    float e = train_network_datum(*net, net->input, net->truth);
    *net->cur_iteration += 1;
    update_network(*net);
    return e;
}

/* train_network on data d (labels: the [asoftmax] path of patches/alexeyab/0009) */
static inline float tn_train_network(network *net, data d) { return train_network(*net, d); }
static inline int tn_takes_labels(network *net) { return network_takes_labels(*net); }

#else /* pjreddie's Darknet */

static inline network *tn_parse(const char *cfg) { return parse_network_cfg((char *)cfg); }
static inline void tn_free(network *net) { free_network(net); }
static inline void tn_forward(network *net) { forward_network(net); }
static inline void tn_backward(network *net) { backward_network(net); }
static inline float *tn_predict(network *net, float *input) { return network_predict(net, input); }
static inline void tn_save(network *net, const char *path) { save_weights(net, (char *)path); }
static inline size_t tn_batch_num(network *net) { return get_current_batch(net); }
static inline float tn_train_step(network *net) { return train_network_datum(net); }
static inline void tn_set_batch_num(network *net, size_t t)
{
    *net->seen = t * net->batch * net->subdivisions;
}
static inline float tn_train_network(network *net, data d) { return train_network(net, d); }
static inline int tn_takes_labels(network *net) { return network_takes_labels(net); }

#endif

#endif
