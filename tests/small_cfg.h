/*
 * small_cfg.h — for the C tests: copy a cfg with its [net] batch= and subdivisions= lines
 * replaced (batch=BATCH, subdivisions=1), so that a face-sized cfg runs one small
 * forward pass. Returns 0, or prints "FAIL: ..." and returns -1 (the cfg must have exactly
 * one batch= and one subdivisions= line).
 */
#ifndef ASOFTMAX_TESTS_SMALL_CFG_H
#define ASOFTMAX_TESTS_SMALL_CFG_H

#include <stdio.h>
#include <string.h>

static int write_small_cfg(const char *cfg, const char *out, int batch)
{
    FILE *in = fopen(cfg, "r"), *o;
    char line[1024];
    int nb = 0, ns = 0;
    if (!in) {
        printf("FAIL: cannot open %s\n", cfg);
        return -1;
    }
    o = fopen(out, "w");
    if (!o) {
        printf("FAIL: cannot write %s\n", out);
        fclose(in);
        return -1;
    }
    while (fgets(line, sizeof(line), in)) {
        if (strncmp(line, "batch=", 6) == 0) {
            fprintf(o, "batch=%d\n", batch);
            ++nb;
        } else if (strncmp(line, "subdivisions=", 13) == 0) {
            fprintf(o, "subdivisions=1\n");
            ++ns;
        } else {
            fputs(line, o);
        }
    }
    fclose(in);
    if (fclose(o) != 0) {
        printf("FAIL: cannot write %s\n", out);
        return -1;
    }
    if (nb != 1 || ns != 1) {
        printf("FAIL: %s: expected one batch= and one subdivisions= line, found %d and %d\n",
               cfg, nb, ns);
        return -1;
    }
    return 0;
}

#endif
