/*
 * tool_util.h — the small helpers our command-line tools share (tools/asoftmax_eval.c,
 * tools/fmnist2darknet.c, tools/render_glyphs.c). Header-only, static functions.
 * Contract: the including file declares, before including this header,
 *     static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
 * which prints one message naming the tool and exits with status 1 (each tool prefixes its
 * own name). Needs _GNU_SOURCE (vasprintf) defined before the first system header.
 */
#ifndef ASOFTMAX_TOOL_UTIL_H
#define ASOFTMAX_TOOL_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* a formatted string on the heap (free it), or die */
static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int r;
    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0) die("out of memory");
    return s;
}

/* a whole-string integer in [lo, hi], or a message naming the option */
static long parse_long(const char *s, const char *what, long lo, long hi) __attribute__((unused));
static long parse_long(const char *s, const char *what, long lo, long hi)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        die("%s = '%s': must be an integer in [%ld, %ld]", what, s, lo, hi);
    return v;
}

#endif
