/*
 * tool_util.h — the small library every command-line tool of the project uses (every .c under tools/):
 * one message and exit status 1 on any error (die), checked allocation, whole-string number
 * parsing, reading a text file's lines, making directories. Header-only: static functions,
 * each marked unused, so a tool takes what it needs.
 *
 * Contract: the including file defines TOOL_NAME (the prefix of every message, e.g.
 * #define TOOL_NAME "asoftmax_eval") and _GNU_SOURCE (vasprintf, getline) before its first
 * system header, then includes this header.
 */
#ifndef ASOFTMAX_TOOL_UTIL_H
#define ASOFTMAX_TOOL_UTIL_H

#ifndef TOOL_NAME
#error "define TOOL_NAME (the tool's name, for its messages) before including tool_util.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define TOOL_UNUSED __attribute__((unused))

/* "TOOL_NAME: message" on stderr (after what stdout holds), exit status 1 */
static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2), unused));
static void die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, TOOL_NAME ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* ---- allocation: never NULL (a zero size asks for one byte) ---- */
static TOOL_UNUSED void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

static TOOL_UNUSED void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) die("out of memory (%zu x %zu bytes)", n, size);
    return p;
}

static TOOL_UNUSED void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

static TOOL_UNUSED char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p) die("out of memory");
    return p;
}

/* a formatted string on the heap (free it) */
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

/* ---- numbers: a whole decimal integer in [lo, hi], or a message naming `what` ---- */
static TOOL_UNUSED long parse_long(const char *s, const char *what, long lo, long hi)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        die("%s = '%s': must be an integer in [%ld, %ld]", what, s, lo, hi);
    return v;
}

/* ---- files ---- */

/* a readable file, not a directory, or a message naming `what` */
static TOOL_UNUSED void check_readable(const char *path, const char *what)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f) die("cannot open %s '%s': %s", what, path, strerror(errno));
    fclose(f);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) die("%s '%s' is a directory", what, path);
}

/* the non-empty lines of a text file (trailing \r\n and blanks removed), at least one;
 * *n gets their number */
static TOOL_UNUSED char **read_lines(const char *path, const char *what, int *n)
{
    FILE *f;
    char *line = NULL, **v = NULL;
    size_t cap = 0, len;
    ssize_t got;
    int m = 0, vcap = 0;
    check_readable(path, what);
    f = fopen(path, "r");
    if (!f) die("cannot open %s '%s': %s", what, path, strerror(errno));
    while ((got = getline(&line, &cap, f)) >= 0) {
        len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                       line[len - 1] == '\t'))
            line[--len] = 0;
        if (!len) continue;
        if (m == vcap) {
            vcap = vcap ? 2 * vcap : 1024;
            v = xrealloc(v, (size_t)vcap * sizeof(char *));
        }
        v[m++] = xstrdup(line);
    }
    free(line);
    fclose(f);
    if (m == 0) die("%s '%s' has no lines", what, path);
    *n = m;
    return v;
}

/* one directory: created, or already there (and a directory) */
static TOOL_UNUSED void make_dir(const char *path)
{
    struct stat st;
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        die("cannot create directory %s: %s", path, strerror(errno));
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) die("%s is not a directory", path);
}

/* mkdir -p, and the last one writable */
static TOOL_UNUSED void make_dirs(const char *path)
{
    char *p = xstrdup(path), *s;
    for (s = p + 1; *s; ++s)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                die("cannot create directory %s: %s", p, strerror(errno));
            *s = '/';
        }
    make_dir(p);
    if (access(p, W_OK | X_OK) != 0) die("directory %s is not writable: %s", p, strerror(errno));
    free(p);
}

#endif
