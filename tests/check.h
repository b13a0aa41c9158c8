/*
 * check.h — the tests' one assertion: CHECK(cond, printf-style message) counts a pass or
 * prints "FAIL file:line: message" and counts a failure. Each test program includes this
 * once and ends with printf("%d passed, %d failed\n", n_pass, n_fail).
 */
#ifndef ASOFTMAX_TESTS_CHECK_H
#define ASOFTMAX_TESTS_CHECK_H

#include <stdio.h>

static int n_pass, n_fail;

#define CHECK(cond, ...)                                     \
    do {                                                     \
        if (cond) {                                          \
            ++n_pass;                                        \
        } else {                                             \
            ++n_fail;                                        \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);      \
            printf(__VA_ARGS__);                             \
            printf("\n");                                    \
        }                                                    \
    } while (0)

#endif
