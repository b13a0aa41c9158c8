/*
 * render_glyphs.c — render an open-set character-recognition data set for Darknet's
 * `classifier` from CJK fonts. An identity is a character; its "photos" are that character
 * rendered in every font face that has a real glyph for it, each with its own seeded jitter:
 * like faces, identities differ finely (shared radicals) and vary a lot within themselves
 * (Song/Ming, Kai, Hei, Fangsong, Yuan styles; Chinese and Japanese forms of a character).
 *
 * Identities. The charset (--charset gb2312-1, the default: the 3755 level-1 hanzi of
 * GB 2312, EUC-CN 0xB0A1..0xD7F9, decoded with glibc iconv; or --chars FILE: every
 * non-space code point of a UTF-8 text, first occurrence order) is checked against every
 * face. A face has a REAL glyph for a character when FT_Get_Char_Index is not 0 (.notdef),
 * the glyph renders, its bitmap has ink (>= 4 pixels of coverage >= 1/2 at the master
 * size), it is not pixel-identical to the face's own .notdef glyph, and its glyph index is
 * not shared by 3 or more characters of the charset (a "missing glyph" box mapped to many
 * code points). A character is eligible with real glyphs in >= --min-fonts faces. The
 * eligible characters are shuffled with --split-seed (default --seed); the first
 * --identities of them are kept (0 = all), and of those the last --holdout are held out
 * for open-set verification: they never appear in train/ or test/.
 *
 * Duplicate faces. Unless --keep-duplicate-faces, a face whose glyphs are (near-)identical
 * to another face's is dropped before anything else (collections such as wqy-zenhei.ttc or
 * uming.ttc hold the same glyphs under several names; Takao, IPA and IPA P share IPAex's
 * kanji, WenQuanYi Micro Hei Droid Sans Fallback's, UKai/UMing bkai00mp/bsmi00lp's):
 * up to 256 characters spread over the charset are rendered at 48 ppem in
 * every face; when at least 16 are present in two faces and >= 90% of those differ by
 * less than 5% (sum |a-b| / sum max(a,b) over the glyph-origin-aligned bitmaps), the face
 * with fewer of the 256 (the later one on a tie) is a duplicate and dropped. Dropped faces
 * are named on stderr and in render.txt; the kept faces are numbered in the order given.
 *
 * Images. Glyphs are dark on a light background (ink on paper), 8-bit gray, binary PGM (P5;
 * Darknet reads it through stb_image, whose PNM loader is compiled in, as 3 channels).
 * Each (character, face) is rendered once by FreeType (outlines, no hinting, no embedded
 * bitmaps) at master_ppem = round(2 * 0.85 * min(W, H)), i.e. an em square of 0.85 of the
 * shorter side, oversampled 2x. Each image then draws, from a splitmix64 stream seeded by
 * (seed, code point, face, sample) alone — so the output does not depend on --threads or
 * on the order of work — in this order:
 *   rotation     uniform +-8 degrees
 *   scale        uniform 0.85 .. 1.05 of the em square
 *   shift        uniform +-8% of the width (x) and of the height (y)
 *   stroke       w uniform -1 .. 1: coverage c -> c^(2^-w) (gamma 0.5 .. 2; w > 0 bolder);
 *                then with probability 0.2 a dilation (max over the 3x3 cross) and with
 *                probability 0.2 a soft erosion ((c + min over the cross) / 2), both on
 *                the master, i.e. half an output pixel
 *   blur         Gaussian, sigma uniform 0 .. 0.8 output pixels (none below 0.05)
 *   noise        additive Gaussian, std uniform 0 .. 8 gray levels
 *   gray levels  contrast C uniform 0.5 .. 1, ink F uniform 0 .. 1-C, paper F + C (x 255)
 * The glyph's ink box (master pixels with coverage >= 1/4) is centered on the image plus
 * the shift, and the affine map (rotation, scale) is sampled bilinearly from the master at
 * 2x2 points per output pixel; blur, gray levels, noise follow; values are rounded and
 * clamped to 0..255.
 *
 * Output (Darknet's classifier layout; labels are "u" + 5 lowercase hex digits of the code
 * point, e.g. u04e00 for 一 — planes 0..15; plane 16 (private use) is refused — so no label
 * is a substring of another or of any other part of a relative path, and each listed path
 * contains exactly one label name):
 *   OUTDIR/train/<label>/<label>_f<face:02>_s<sample>.pgm  samples 0..S-1 of training ids
 *   OUTDIR/test/<label>/...      samples S..S+T-1 of training ids (closed-set test)
 *   OUTDIR/openset/<label>/...   samples 0..S+T-1 of held-out ids
 *   OUTDIR/train.list, test.list, openset.list   one path a line, relative to OUTDIR
 *   OUTDIR/labels.txt            training labels in class-index order (by code point)
 *   OUTDIR/openset-labels.txt    held-out labels (by code point)
 *   OUTDIR/identities.tsv        label, code point, character, split, faces with a glyph
 *   OUTDIR/fonts.tsv             face, path, index in file, name, kept identities it
 *                                covers, charset characters it covers, rejected glyphs
 *   OUTDIR/render.txt            every parameter and count as key=value (ends with
 *                                complete=1), written after everything else but
 *   OUTDIR/.complete             the completion mark, written last: a render without it
 *                                is incomplete
 * Run Darknet with OUTDIR as its working directory (the lists' paths are relative), e.g.
 * a .data file with classes=<lines of labels.txt>, train=train.list, valid=test.list,
 * labels=labels.txt; tools/asoftmax_eval takes openset.list with openset-labels.txt.
 *
 * Build: make render (needs libfreetype-dev; no Darknet).  Usage: run with --help.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <iconv.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#define TOOL "render_glyphs"
#define TOOL_NAME TOOL
#include "tool_util.h"

/* geometry and jitter (documented in the header comment and written to render.txt) */
#define EM_FILL 0.85          /* em square / shorter image side at scale 1 */
#define OVERSAMPLE 2          /* master bitmap pixels per output pixel */
#define ROT_MAX_DEG 8.0
#define SCALE_MIN 0.85
#define SCALE_MAX 1.05
#define SHIFT_MAX 0.08
#define STROKE_W_MAX 1.0      /* gamma = 2^-w, w in [-1, 1] */
#define DILATE_P 0.2
#define ERODE_P 0.2
#define BLUR_MAX 0.8
#define NOISE_MAX 8.0
#define CONTRAST_MIN 0.5
/* real-glyph test */
#define INK_LEVEL 128         /* a pixel with coverage >= this is ink */
#define INK_MIN_PIXELS 4
#define CENTER_LEVEL 64       /* ink box for centering */
#define SHARED_GLYPH_MAX 2    /* a glyph index shared by more charset characters = placeholder */
/* duplicate faces */
#define DUP_PPEM 48
#define DUP_PROBES 256
#define DUP_MIN_SHARED 16
#define DUP_SAME_DIFF 0.05
#define DUP_SAME_FRAC 0.90
/* limits */
#define SIDE_MIN 8
#define SIDE_MAX 4096
#define SAMPLES_MAX 1000
#define THREADS_MAX 64
#define FONTS_MAX 1000

static const char usage_text[] =
    "usage: render_glyphs [OPTIONS] OUTDIR FONT[:INDEX]...\n"
    "  renders every kept character (identity) in every font face that has a real glyph\n"
    "  for it, with seeded jitter, as Darknet classifier data under OUTDIR\n"
    "options:\n"
    "  --fonts-from FILE     more fonts, one path[:index] a line ('#' comments)\n"
    "  --charset NAME        gb2312-1 (default, 3755 hanzi), gb2312-2 (3008), gb2312 (6763),\n"
    "                        jis0208-1 (2965 level-1 kanji)\n"
    "  --chars FILE          the characters of a UTF-8 text instead (non-space, first\n"
    "                        occurrence order)\n"
    "  --size N              square images of N x N pixels (default 32)\n"
    "  --width W, --height H image size (override --size)\n"
    "  --min-fonts K         keep characters with real glyphs in >= K faces (default 8)\n"
    "  --identities N        keep the first N eligible characters after a seeded shuffle\n"
    "                        (default 0 = all)\n"
    "  --holdout H           of those, hold H out for open-set verification (default 0)\n"
    "  --per-font S          training samples per (identity, face) (default 2)\n"
    "  --test-per-font T     closed-set test samples per (identity, face) (default 1);\n"
    "                        held-out identities get S+T per face\n"
    "  --seed U64            jitter seed (default 1)\n"
    "  --split-seed U64      seed of the identity shuffle (default: --seed)\n"
    "  --threads N           worker threads (default 1); the output does not depend on N\n"
    "  --keep-duplicate-faces  do not drop faces whose glyphs duplicate an earlier face's\n"
    "  --force               OUTDIR may hold a previous render: clear what it wrote\n"
    "  --dry-run             check fonts and coverage, print the counts, write nothing\n"
    "  --quiet               no progress on stderr\n"
    "  -h, --help            this text\n";

/* the rest of --help (usage_text alone is what a usage error prints) */
static const char help_text[] =
    "  FONT is a .ttf/.otf file, or a .ttc/.otc collection whose face INDEX (default 0) is\n"
    "  used. OUTDIR must be empty or absent; --force clears what a previous render wrote\n"
    "  there (.complete first), and only that. --dry-run leaves OUTDIR untouched and prints\n"
    "  the counts on stdout, among them the eligible characters for every --min-fonts and\n"
    "  each face's coverage. E.g. every installed Chinese and Japanese face:\n"
    "    { fc-list :lang=zh file index; fc-list :lang=ja file index; } |\n"
    "        sed 's/: *:index=/:/' > fonts.txt\n"
    "    render_glyphs --size 32 --min-fonts 8 --identities 1000 --holdout 200 \\\n"
    "        data/glyphs --fonts-from fonts.txt\n"
    "exit status: 0 on success, 1 on bad input (one message), 2 on usage errors\n";

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
    fputs(usage_text, stderr);
    exit(2);
}

static void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, TOOL ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    usage();
}

static uint64_t parse_u64(const char *s, const char *what)
{
    char *end;
    unsigned long long v;
    const char *p = s;
    while (*p == ' ' || *p == '\t') ++p;
    if (*p < '0' || *p > '9') die("%s = '%s': must be an integer in [0, 2^64-1]", what, s);
    errno = 0;
    v = strtoull(p, &end, 10);
    if (errno || *end) die("%s = '%s': must be an integer in [0, 2^64-1]", what, s);
    return (uint64_t)v;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- counter-based random numbers ---- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t next64(uint64_t *s)
{
    *s += 0x9E3779B97F4A7C15ull;
    return mix64(*s);
}

static double u01(uint64_t *s) /* [0, 1) */
{
    return (double)(next64(s) >> 11) * 0x1.0p-53;
}

static double uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * u01(s);
}

/* the stream of one image: a function of (seed, code point, face, sample) only */
static uint64_t image_state(uint64_t seed, uint32_t cp, int face, long sample)
{
    uint64_t h = mix64(seed + 0x9E3779B97F4A7C15ull);
    h = mix64(h ^ (0x1000000000ull + cp));
    h = mix64(h ^ (((uint64_t)(uint32_t)face << 32) | (uint64_t)(uint32_t)sample));
    return h;
}

/* ---- characters ---- */

static int utf8_encode(uint32_t cp, char *out) /* out: 5 bytes; returns the length */
{
    int n;
    if (cp < 0x80) { out[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    out[n] = 0;
    return n;
}

static int is_space_or_control(uint32_t c)
{
    return c <= 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0x1680 || (c >= 0x2000 && c <= 0x200F) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

typedef struct {
    uint32_t *cp;
    long n, cap;
    unsigned char *seen; /* bit per code point */
} charlist;

static void chars_add(charlist *cl, uint32_t c)
{
    if (cl->seen[c >> 3] & (1u << (c & 7))) return;
    cl->seen[c >> 3] |= (unsigned char)(1u << (c & 7));
    if (cl->n == cl->cap) {
        cl->cap = cl->cap ? 2 * cl->cap : 4096;
        cl->cp = xrealloc(cl->cp, (size_t)cl->cap * sizeof *cl->cp);
    }
    cl->cp[cl->n++] = c;
}

static void chars_from_file(charlist *cl, const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char buf[1 << 16];
    size_t got, i;
    long long off = 0, start = 0;
    uint32_t c = 0;
    int need = 0, len = 0;
    struct stat st;
    if (!f) die("cannot open --chars file '%s': %s", path, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) die("--chars file '%s' is a directory", path);
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        for (i = 0; i < got; ++i, ++off) {
            unsigned b = buf[i];
            if (need == 0) {
                start = off;
                if (b < 0x80) { c = b; len = 1; }
                else if (b >= 0xC2 && b <= 0xDF) { c = b & 0x1F; need = 1; len = 2; }
                else if (b >= 0xE0 && b <= 0xEF) { c = b & 0x0F; need = 2; len = 3; }
                else if (b >= 0xF0 && b <= 0xF4) { c = b & 0x07; need = 3; len = 4; }
                else die("--chars file '%s': invalid UTF-8 at byte %lld", path, off);
            } else {
                if ((b & 0xC0) != 0x80) die("--chars file '%s': invalid UTF-8 at byte %lld", path, start);
                c = (c << 6) | (b & 0x3F);
                --need;
            }
            if (need) continue;
            if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
                (c >= 0xD800 && c <= 0xDFFF))
                die("--chars file '%s': invalid UTF-8 at byte %lld", path, start);
            if (c >= 0x100000)
                die("--chars file '%s': U+%04" PRIX32 " at byte %lld is in plane 16 (private use), which "
                    "5-hex-digit labels do not cover", path, c, start);
            if (!is_space_or_control(c)) chars_add(cl, c);
        }
    }
    if (ferror(f)) die("error reading --chars file '%s': %s", path, strerror(errno));
    fclose(f);
    if (need) die("--chars file '%s': invalid UTF-8 at byte %lld (truncated at the end)", path, start);
    if (cl->n == 0) die("--chars file '%s' holds no characters", path);
}

typedef struct {
    const char *name, *encoding, *what;
    unsigned lead_lo, lead_hi, trail_lo, trail_hi, last_trail_hi;
} charset_def;

static const charset_def charsets[] = {
    {"gb2312-1", "GB2312", "GB 2312 level-1 hanzi (EUC-CN 0xB0A1..0xD7F9)", 0xB0, 0xD7, 0xA1, 0xFE, 0xF9},
    {"gb2312-2", "GB2312", "GB 2312 level-2 hanzi (EUC-CN 0xD8A1..0xF7FE)", 0xD8, 0xF7, 0xA1, 0xFE, 0xFE},
    {"gb2312", "GB2312", "GB 2312 hanzi, both levels (EUC-CN 0xB0A1..0xF7FE)", 0xB0, 0xF7, 0xA1, 0xFE, 0xFE},
    {"jis0208-1", "EUC-JP", "JIS X 0208 level-1 kanji (EUC-JP 0xB0A1..0xCFD3)", 0xB0, 0xCF, 0xA1, 0xFE, 0xD3},
};

static void chars_from_charset(charlist *cl, const char *name)
{
    const charset_def *d = NULL;
    size_t k;
    unsigned lead, trail;
    iconv_t cd;
    for (k = 0; k < sizeof charsets / sizeof *charsets; ++k)
        if (!strcmp(charsets[k].name, name)) d = &charsets[k];
    if (!d) die("unknown charset '%s' (known: gb2312-1, gb2312-2, gb2312, jis0208-1; or --chars FILE)", name);
    cd = iconv_open("UTF-32LE", d->encoding);
    if (cd == (iconv_t)-1)
        die("iconv cannot convert from %s: %s (glibc's gconv modules missing?)", d->encoding, strerror(errno));
    for (lead = d->lead_lo; lead <= d->lead_hi; ++lead) {
        unsigned hi = lead == d->lead_hi ? d->last_trail_hi : d->trail_hi;
        for (trail = d->trail_lo; trail <= hi; ++trail) {
            char in[2], outb[8];
            char *ip = in, *op = outb;
            size_t il = 2, ol = sizeof outb;
            uint32_t c;
            in[0] = (char)lead;
            in[1] = (char)trail;
            iconv(cd, NULL, NULL, NULL, NULL);
            if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0 || sizeof outb - ol != 4) continue;
            c = (uint32_t)(unsigned char)outb[0] | (uint32_t)(unsigned char)outb[1] << 8 |
                (uint32_t)(unsigned char)outb[2] << 16 | (uint32_t)(unsigned char)outb[3] << 24;
            if (c > 0x10FFFF || is_space_or_control(c)) continue;
            chars_add(cl, c);
        }
    }
    iconv_close(cd);
    if (cl->n == 0) die("charset '%s': iconv decoded no characters", name);
}

/* ---- fonts ---- */

typedef struct {
    char *path;
    long index;
    char *name;
    int kept;           /* index among the kept faces, or -1 when dropped */
    int dup_of;         /* font (index in the given list) it duplicates, or -1 */
    int dup_same, dup_shared;
    long charset_glyphs, rejected, identities;
} font_t;

static const char *ft_error(FT_Error e)
{
    const char *s = FT_Error_String(e);
    static char buf[32];
    if (s) return s;
    snprintf(buf, sizeof buf, "FreeType error %d", (int)e);
    return buf;
}

static void split_font_spec(const char *spec, char **path, long *index)
{
    const char *colon;
    struct stat st;
    if (!spec) die("internal error: no font given");
    colon = strrchr(spec, ':');
    if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1) && stat(spec, &st) != 0) {
        char *what = xasprintf("font '%s': face index", spec);
        *index = parse_long(colon + 1, what, 0, 65535);
        free(what);
        *path = xstrdup(spec);
        (*path)[colon - spec] = 0;
    } else {
        *path = xstrdup(spec);
        *index = 0;
    }
}

static void add_font(font_t **fonts, int *n, const char *spec)
{
    font_t *f;
    if (*n >= FONTS_MAX) die("more than %d fonts", FONTS_MAX);
    *fonts = xrealloc(*fonts, (size_t)(*n + 1) * sizeof **fonts);
    f = &(*fonts)[*n];
    memset(f, 0, sizeof *f);
    split_font_spec(spec, &f->path, &f->index);
    f->kept = -1;
    f->dup_of = -1;
    ++*n;
}

static void fonts_from_file(font_t **fonts, int *n, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    struct stat st;
    if (!f) die("cannot open --fonts-from file '%s': %s", path, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) die("--fonts-from file '%s' is a directory", path);
    while ((got = getline(&line, &cap, f)) >= 0) {
        char *s = line, *e;
        (void)got;
        line[strcspn(line, "#\r\n")] = 0;
        while (*s == ' ' || *s == '\t') ++s;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
        if (*s) add_font(fonts, n, s);
    }
    free(line);
    fclose(f);
}

/* opens a face; exits with a message naming the font when it cannot be used */
static FT_Face open_face(FT_Library lib, const font_t *f, int check)
{
    FT_Face face;
    FT_Error e;
    if (check) {
        struct stat st;
        FT_Face probe;
        if (stat(f->path, &st) != 0) die("font '%s': %s", f->path, strerror(errno));
        if (!S_ISREG(st.st_mode)) die("font '%s' is not a regular file", f->path);
        if ((e = FT_New_Face(lib, f->path, -1, &probe)) != 0)
            die("font '%s': FreeType cannot read it: %s", f->path, ft_error(e));
        if (f->index >= probe->num_faces)
            die("font '%s' holds %ld face(s); face index %ld does not exist", f->path, (long)probe->num_faces,
                f->index);
        FT_Done_Face(probe);
    }
    if ((e = FT_New_Face(lib, f->path, f->index, &face)) != 0)
        die("font '%s' face %ld: FreeType cannot open it: %s", f->path, f->index, ft_error(e));
    if (check && !FT_IS_SCALABLE(face)) die("font '%s' face %ld has no outlines (a bitmap font)", f->path, f->index);
    if (FT_Select_Charmap(face, FT_ENCODING_UNICODE) != 0)
        die("font '%s' face %ld has no Unicode character map", f->path, f->index);
    return face;
}

static void set_ppem(FT_Face face, const font_t *f, int ppem)
{
    FT_Error e = FT_Set_Pixel_Sizes(face, 0, (FT_UInt)ppem);
    if (e) die("font '%s' face %ld: cannot scale to %d pixels: %s", f->path, f->index, ppem, ft_error(e));
}

typedef struct {
    int w, h, left, top;
    unsigned char *px;
    size_t cap;
} bitmap;

/* renders glyph gi at the face's current size: 0, or -1 when FreeType cannot */
static int render_glyph(FT_Face face, FT_UInt gi, bitmap *b)
{
    FT_Bitmap *bm;
    int r, pitch;
    size_t need;
    if (FT_Load_Glyph(face, gi, FT_LOAD_NO_BITMAP | FT_LOAD_NO_HINTING)) return -1;
    if (face->glyph->format != FT_GLYPH_FORMAT_BITMAP && FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL))
        return -1;
    bm = &face->glyph->bitmap;
    if (bm->pixel_mode != FT_PIXEL_MODE_GRAY || bm->num_grays != 256) return -1;
    if (bm->rows > 16384 || bm->width > 16384) return -1;
    b->w = (int)bm->width;
    b->h = (int)bm->rows;
    b->left = face->glyph->bitmap_left;
    b->top = face->glyph->bitmap_top;
    need = (size_t)b->w * (size_t)b->h;
    if (need > b->cap) {
        b->px = xrealloc(b->px, need);
        b->cap = need;
    }
    pitch = bm->pitch;
    for (r = 0; r < b->h; ++r) {
        const unsigned char *src = pitch >= 0 ? bm->buffer + (size_t)r * (size_t)pitch
                                              : bm->buffer + (size_t)(b->h - 1 - r) * (size_t)(-pitch);
        if (b->w) memcpy(b->px + (size_t)r * (size_t)b->w, src, (size_t)b->w);
    }
    return 0;
}

static int has_ink(const bitmap *b)
{
    size_t i, n = (size_t)b->w * (size_t)b->h;
    int ink = 0;
    for (i = 0; i < n; ++i)
        if (b->px[i] >= INK_LEVEL && ++ink >= INK_MIN_PIXELS) return 1;
    return 0;
}

static int same_bitmap(const bitmap *a, const bitmap *b)
{
    return a->w == b->w && a->h == b->h && a->left == b->left && a->top == b->top &&
           (a->w == 0 || a->h == 0 || !memcmp(a->px, b->px, (size_t)a->w * (size_t)a->h));
}

static void copy_bitmap(bitmap *dst, const bitmap *src)
{
    size_t n = (size_t)src->w * (size_t)src->h;
    dst->w = src->w;
    dst->h = src->h;
    dst->left = src->left;
    dst->top = src->top;
    dst->px = xmalloc(n);
    dst->cap = n;
    if (n) memcpy(dst->px, src->px, n);
}

/* relative difference of two glyphs aligned at their origins */
static double glyph_diff(const bitmap *a, const bitmap *b)
{
    int x0 = a->left < b->left ? a->left : b->left;
    int x1 = a->left + a->w > b->left + b->w ? a->left + a->w : b->left + b->w;
    int y0 = a->top > b->top ? a->top : b->top; /* top row, in y-up units */
    int y1 = a->top - a->h < b->top - b->h ? a->top - a->h : b->top - b->h;
    double num = 0, den = 0;
    int x, y;
    for (y = y0; y > y1; --y)
        for (x = x0; x < x1; ++x) {
            int ax = x - a->left, ay = a->top - y, bx = x - b->left, by = b->top - y;
            int va = ax >= 0 && ax < a->w && ay >= 0 && ay < a->h ? a->px[ay * a->w + ax] : 0;
            int vb = bx >= 0 && bx < b->w && by >= 0 && by < b->h ? b->px[by * b->w + bx] : 0;
            num += abs(va - vb);
            den += va > vb ? va : vb;
        }
    return den > 0 ? num / den : 0;
}

/* ---- the run ---- */

enum { ST_NONE = 0, ST_REAL, ST_NOTDEF, ST_BLANK, ST_SHARED, ST_ERROR };
enum { SPLIT_TRAIN = 0, SPLIT_OPEN = 1 };

typedef struct {
    uint32_t cp;
    long ci;         /* index in the charset */
    int split;
    int nfaces;
    char label[8];
} ident;

typedef struct {
    /* options */
    const char *outdir;
    int width, height;
    long min_fonts, n_identities, holdout, per_font, test_per_font, threads;
    uint64_t seed, split_seed;
    int quiet;
    /* fonts */
    font_t *fonts;
    int nfonts, nkept;
    int *kept_font;       /* kept face -> index in fonts */
    int master_ppem;
    double ratio;         /* master pixels per output pixel at scale 1 */
    bitmap *notdef;       /* per kept face, at master_ppem */
    /* characters */
    charlist chars;
    unsigned char *status; /* chars.n x nkept */
    FT_UInt *gi;           /* chars.n x nkept */
    int *nreal;            /* per character */
    /* identities: train (by code point) then held out (by code point) */
    ident *ids;
    long nids, ntrain;
    /* work distribution */
    atomic_long next, done, images;
    long progress_step;
    pthread_mutex_t print_lock;
    double t0;
} run_t;

typedef struct {
    run_t *r;
    FT_Library lib;
    FT_Face *faces; /* per kept face, at master_ppem */
    bitmap glyph;
    float *m0, *m1; /* padded master coverage */
    size_t mcap;
    float *o0, *o1; /* output coverage */
    unsigned char *out;
    char *path;
    size_t pathcap;
} worker_t;

static void worker_init(worker_t *w, run_t *r)
{
    int k;
    FT_Error e;
    memset(w, 0, sizeof *w);
    w->r = r;
    if ((e = FT_Init_FreeType(&w->lib)) != 0) die("cannot initialize FreeType: %s", ft_error(e));
    w->faces = xcalloc((size_t)r->nkept, sizeof *w->faces);
    for (k = 0; k < r->nkept; ++k) {
        const font_t *f = &r->fonts[r->kept_font[k]];
        w->faces[k] = open_face(w->lib, f, 0);
        set_ppem(w->faces[k], f, r->master_ppem);
    }
    w->o0 = xmalloc((size_t)r->width * (size_t)r->height * sizeof(float));
    w->o1 = xmalloc((size_t)r->width * (size_t)r->height * sizeof(float));
    w->out = xmalloc((size_t)r->width * (size_t)r->height);
    w->pathcap = strlen(r->outdir) + 64;
    w->path = xmalloc(w->pathcap);
}

static void worker_free(worker_t *w)
{
    int k;
    for (k = 0; k < w->r->nkept; ++k) FT_Done_Face(w->faces[k]);
    free(w->faces);
    FT_Done_FreeType(w->lib);
    free(w->glyph.px);
    free(w->m0);
    free(w->m1);
    free(w->o0);
    free(w->o1);
    free(w->out);
    free(w->path);
}

/* the status of character ci in kept face k (glyph rendered into w->glyph when real) */
static int glyph_status(worker_t *w, long ci, int k, FT_UInt *gi_out)
{
    run_t *r = w->r;
    FT_UInt gi = FT_Get_Char_Index(w->faces[k], r->chars.cp[ci]);
    *gi_out = gi;
    if (gi == 0) return ST_NONE;
    if (render_glyph(w->faces[k], gi, &w->glyph) != 0) return ST_ERROR;
    if (!has_ink(&w->glyph)) return ST_BLANK;
    if (same_bitmap(&w->glyph, &r->notdef[k])) return ST_NOTDEF;
    return ST_REAL;
}

static void *coverage_worker(void *arg)
{
    worker_t *w = arg;
    run_t *r = w->r;
    for (;;) {
        long c0 = atomic_fetch_add(&r->next, 16), ci;
        if (c0 >= r->chars.n) break;
        for (ci = c0; ci < c0 + 16 && ci < r->chars.n; ++ci) {
            int k;
            for (k = 0; k < r->nkept; ++k) {
                FT_UInt gi;
                size_t at = (size_t)ci * (size_t)r->nkept + (size_t)k;
                r->status[at] = (unsigned char)glyph_status(w, ci, k, &gi);
                r->gi[at] = gi;
            }
        }
    }
    return NULL;
}

/* ---- one image ---- */

typedef struct {
    double cx, cy; /* ink box center, in master pixels */
} master_info;

static float at_or_zero(const float *a, int w, int h, int x, int y)
{
    return x >= 0 && x < w && y >= 0 && y < h ? a[(size_t)y * (size_t)w + (size_t)x] : 0.0f;
}

static float bilinear(const float *a, int w, int h, double x, double y)
{
    double fx = x - 0.5, fy = y - 0.5, ax, ay;
    int x0, y0;
    if (fx < -2 || fy < -2 || fx > w + 1 || fy > h + 1) return 0.0f;
    x0 = (int)floor(fx);
    y0 = (int)floor(fy);
    ax = fx - x0;
    ay = fy - y0;
    return (float)((1 - ay) * ((1 - ax) * at_or_zero(a, w, h, x0, y0) + ax * at_or_zero(a, w, h, x0 + 1, y0)) +
                   ay * ((1 - ax) * at_or_zero(a, w, h, x0, y0 + 1) + ax * at_or_zero(a, w, h, x0 + 1, y0 + 1)));
}

static void blur(float *img, float *tmp, int w, int h, double sigma)
{
    float k[64];
    int rad = (int)ceil(3 * sigma), i, x, y;
    double sum = 0;
    if (rad > 31) rad = 31;
    for (i = -rad; i <= rad; ++i) sum += (k[i + rad] = (float)exp(-0.5 * i * i / (sigma * sigma)));
    for (i = 0; i <= 2 * rad; ++i) k[i] = (float)(k[i] / sum);
    for (y = 0; y < h; ++y)
        for (x = 0; x < w; ++x) {
            float v = 0;
            for (i = -rad; i <= rad; ++i) {
                int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
                v += k[i + rad] * img[y * w + xx];
            }
            tmp[y * w + x] = v;
        }
    for (y = 0; y < h; ++y)
        for (x = 0; x < w; ++x) {
            float v = 0;
            for (i = -rad; i <= rad; ++i) {
                int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
                v += k[i + rad] * tmp[yy * w + x];
            }
            img[y * w + x] = v;
        }
}

/* renders one jittered sample of the glyph in w->glyph into w->out */
static void render_sample(worker_t *w, const master_info *mi, uint64_t st)
{
    const run_t *r = w->r;
    const bitmap *g = &w->glyph;
    const int W = r->width, H = r->height, mw = g->w + 2, mh = g->h + 2;
    double theta = uniform(&st, -ROT_MAX_DEG, ROT_MAX_DEG) * M_PI / 180.0;
    double scale = uniform(&st, SCALE_MIN, SCALE_MAX);
    double dx = uniform(&st, -SHIFT_MAX, SHIFT_MAX) * W;
    double dy = uniform(&st, -SHIFT_MAX, SHIFT_MAX) * H;
    double weight = uniform(&st, -STROKE_W_MAX, STROKE_W_MAX);
    double morph = u01(&st);
    double sigma = uniform(&st, 0, BLUR_MAX);
    double noise = uniform(&st, 0, NOISE_MAX);
    double contrast = uniform(&st, CONTRAST_MIN, 1.0);
    double ink = uniform(&st, 0, 1.0 - contrast), paper = ink + contrast;
    double gamma = pow(2.0, -weight), c = cos(theta), s = sin(theta), k = r->ratio / scale;
    double ocx = 0.5 * W + dx, ocy = 0.5 * H + dy, mcx = mi->cx + 1, mcy = mi->cy + 1;
    float lut[256];
    float *m = w->m0;
    int x, y, i;
    size_t need = (size_t)mw * (size_t)mh;

    if (need > w->mcap) {
        w->m0 = xrealloc(w->m0, need * sizeof(float));
        w->m1 = xrealloc(w->m1, need * sizeof(float));
        w->mcap = need;
        m = w->m0;
    }
    for (i = 0; i < 256; ++i) lut[i] = (float)pow(i / 255.0, gamma);
    memset(w->m0, 0, need * sizeof(float));
    for (y = 0; y < g->h; ++y)
        for (x = 0; x < g->w; ++x) w->m0[(size_t)(y + 1) * (size_t)mw + (size_t)(x + 1)] = lut[g->px[y * g->w + x]];
    if (morph < DILATE_P || morph >= 1.0 - ERODE_P) {
        int dilate = morph < DILATE_P;
        for (y = 0; y < mh; ++y)
            for (x = 0; x < mw; ++x) {
                float v = at_or_zero(w->m0, mw, mh, x, y), e = v, n;
                n = at_or_zero(w->m0, mw, mh, x - 1, y); e = dilate ? fmaxf(e, n) : fminf(e, n);
                n = at_or_zero(w->m0, mw, mh, x + 1, y); e = dilate ? fmaxf(e, n) : fminf(e, n);
                n = at_or_zero(w->m0, mw, mh, x, y - 1); e = dilate ? fmaxf(e, n) : fminf(e, n);
                n = at_or_zero(w->m0, mw, mh, x, y + 1); e = dilate ? fmaxf(e, n) : fminf(e, n);
                w->m1[(size_t)y * (size_t)mw + (size_t)x] = dilate ? e : 0.5f * (v + e);
            }
        m = w->m1;
    }
    for (y = 0; y < H; ++y)
        for (x = 0; x < W; ++x) {
            float v = 0;
            int sx, sy;
            for (sy = 0; sy < 2; ++sy)
                for (sx = 0; sx < 2; ++sx) {
                    double px = x + 0.25 + 0.5 * sx - ocx, py = y + 0.25 + 0.5 * sy - ocy;
                    v += bilinear(m, mw, mh, mcx + k * (c * px + s * py), mcy + k * (-s * px + c * py));
                }
            w->o0[y * W + x] = 0.25f * v;
        }
    if (sigma >= 0.05) blur(w->o0, w->o1, W, H, sigma);
    for (i = 0; i < W * H; i += 2) {
        double u1 = ((double)(next64(&st) >> 11) + 1.0) * 0x1.0p-53, u2 = u01(&st);
        double rad = sqrt(-2.0 * log(u1)), z[2], v;
        int j;
        z[0] = rad * cos(2 * M_PI * u2);
        z[1] = rad * sin(2 * M_PI * u2);
        for (j = 0; j < 2 && i + j < W * H; ++j) {
            double cov = w->o0[i + j];
            cov = cov < 0 ? 0 : cov > 1 ? 1 : cov;
            v = 255.0 * (paper + (ink - paper) * cov) + noise * z[j];
            v = floor(v + 0.5);
            w->out[i + j] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

static void ink_center(const bitmap *g, master_info *mi)
{
    int x, y, x0 = g->w, x1 = -1, y0 = g->h, y1 = -1;
    for (y = 0; y < g->h; ++y)
        for (x = 0; x < g->w; ++x)
            if (g->px[y * g->w + x] >= CENTER_LEVEL) {
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
    if (x1 < 0) { x0 = 0; x1 = g->w - 1; y0 = 0; y1 = g->h - 1; }
    mi->cx = 0.5 * (x0 + x1 + 1);
    mi->cy = 0.5 * (y0 + y1 + 1);
}

static const char *split_dir(int split, long sample, long per_font)
{
    if (split == SPLIT_OPEN) return "openset";
    return sample < per_font ? "train" : "test";
}

static void image_path(const run_t *r, char *buf, size_t cap, const ident *id, int face, long sample)
{
    snprintf(buf, cap, "%s/%s/%s/%s_f%02d_s%ld.pgm", r->outdir, split_dir(id->split, sample, r->per_font),
             id->label, id->label, face, sample);
}

static void write_pgm(const char *path, const unsigned char *px, int w, int h)
{
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "P5\n%d %d\n255\n", w, h);
    fwrite(px, 1, (size_t)w * (size_t)h, f);
    if (ferror(f) || fclose(f) != 0) die("error writing %s: %s", path, strerror(errno));
}

static void *render_worker(void *arg)
{
    worker_t *w = arg;
    run_t *r = w->r;
    long nsamples = r->per_font + r->test_per_font;
    for (;;) {
        long i = atomic_fetch_add(&r->next, 1), s, d, nimg = 0;
        const ident *id;
        int k;
        if (i >= r->nids) break;
        id = &r->ids[i];
        for (k = 0; k < r->nkept; ++k) {
            FT_UInt gi;
            master_info mi;
            if (r->status[(size_t)id->ci * (size_t)r->nkept + (size_t)k] != ST_REAL) continue;
            if (glyph_status(w, id->ci, k, &gi) != ST_REAL)
                die("face %d changed its mind about %s (FreeType not deterministic?)", k, id->label);
            ink_center(&w->glyph, &mi);
            for (s = 0; s < nsamples; ++s) {
                render_sample(w, &mi, image_state(r->seed, id->cp, k, s));
                image_path(r, w->path, w->pathcap, id, k, s);
                write_pgm(w->path, w->out, r->width, r->height);
                ++nimg;
            }
        }
        atomic_fetch_add(&r->images, nimg);
        d = atomic_fetch_add(&r->done, 1) + 1;
        if (!r->quiet && (d % r->progress_step == 0 || d == r->nids)) {
            pthread_mutex_lock(&r->print_lock);
            fprintf(stderr, TOOL ": %ld / %ld identities, %ld images, %.1f s\n", d, r->nids,
                    (long)atomic_load(&r->images), now_s() - r->t0);
            pthread_mutex_unlock(&r->print_lock);
        }
    }
    return NULL;
}

static void run_workers(run_t *r, worker_t *ws, void *(*fn)(void *))
{
    pthread_t *th = xcalloc((size_t)r->threads, sizeof *th);
    long t;
    atomic_store(&r->next, 0);
    if (r->threads == 1) {
        fn(&ws[0]);
    } else {
        for (t = 0; t < r->threads; ++t)
            if (pthread_create(&th[t], NULL, fn, &ws[t]) != 0) die("cannot start thread %ld", t + 1);
        for (t = 0; t < r->threads; ++t) pthread_join(th[t], NULL);
    }
    free(th);
}

/* ---- duplicate faces ---- */

static void drop_duplicate_faces(run_t *r, FT_Face *faces)
{
    long np = r->chars.n < DUP_PROBES ? r->chars.n : DUP_PROBES, p;
    bitmap *probe = xcalloc((size_t)r->nfonts * (size_t)np, sizeof *probe);
    unsigned char *present = xcalloc((size_t)r->nfonts * (size_t)np, 1);
    bitmap tmp = {0};
    int i, j, oi, oj, *order = xcalloc((size_t)r->nfonts, sizeof *order);
    long *cover = xcalloc((size_t)r->nfonts, sizeof *cover);
    for (i = 0; i < r->nfonts; ++i) {
        set_ppem(faces[i], &r->fonts[i], DUP_PPEM);
        for (p = 0; p < np; ++p) {
            uint32_t cp = r->chars.cp[(long)((double)p * (double)r->chars.n / (double)np)];
            FT_UInt gi = FT_Get_Char_Index(faces[i], cp);
            if (gi && render_glyph(faces[i], gi, &tmp) == 0 && has_ink(&tmp)) {
                copy_bitmap(&probe[(size_t)i * (size_t)np + (size_t)p], &tmp);
                present[(size_t)i * (size_t)np + (size_t)p] = 1;
            }
        }
    }
    /* faces in order of decreasing probe coverage (then as given): each is compared with the
     * faces before it that were kept, so of two duplicates the one covering more is kept */
    for (i = 0; i < r->nfonts; ++i) {
        order[i] = i;
        for (p = 0; p < np; ++p) cover[i] += present[(size_t)i * (size_t)np + (size_t)p];
    }
    for (i = 1; i < r->nfonts; ++i) /* stable insertion sort: a few dozen faces */
        for (j = i; j > 0 && cover[order[j]] > cover[order[j - 1]]; --j) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    for (oj = 0; oj < r->nfonts; ++oj) {
        j = order[oj];
        for (oi = 0; oi < oj && r->fonts[j].dup_of < 0; ++oi) {
            int shared = 0, same = 0;
            i = order[oi];
            if (r->fonts[i].dup_of >= 0) continue;
            for (p = 0; p < np; ++p) {
                size_t a = (size_t)i * (size_t)np + (size_t)p, b = (size_t)j * (size_t)np + (size_t)p;
                if (!present[a] || !present[b]) continue;
                ++shared;
                if (glyph_diff(&probe[a], &probe[b]) < DUP_SAME_DIFF) ++same;
            }
            if (shared >= DUP_MIN_SHARED && same >= DUP_SAME_FRAC * shared) {
                r->fonts[j].dup_of = i;
                r->fonts[j].dup_same = same;
                r->fonts[j].dup_shared = shared;
            }
        }
    }
    free(order);
    free(cover);
    for (p = 0; p < (long)r->nfonts * np; ++p) free(probe[p].px);
    free(probe);
    free(present);
    free(tmp.px);
}

/* ---- output directory ---- */

static int is_label_name(const char *s)
{
    int i;
    if (s[0] != 'u') return 0;
    for (i = 1; i <= 5; ++i)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* label_fNN_sNN.pgm */
static int is_image_name(const char *s)
{
    const char *p = s + 6;
    if (!is_label_name(s) || strncmp(p, "_f", 2)) return 0;
    p += 2;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') ++p;
    if (strncmp(p, "_s", 2)) return 0;
    p += 2;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') ++p;
    return !strcmp(p, ".pgm");
}

static const char *const out_files[] = {
    ".complete", "render.txt", "train.list", "test.list", "openset.list", "labels.txt", "openset-labels.txt",
    "identities.tsv", "fonts.tsv",
};

static void remove_file(const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT) die("cannot remove %s: %s", path, strerror(errno));
}

/* --force: remove what a render writes, .complete (the completion mark) first */
static void clear_previous(const char *outdir)
{
    static const char *const splits[] = {"train", "test", "openset"};
    size_t i;
    for (i = 0; i < sizeof out_files / sizeof *out_files; ++i) {
        char *p = xasprintf("%s/%s", outdir, out_files[i]), *t = xasprintf("%s.tmp", p);
        remove_file(p);
        remove_file(t);
        free(p);
        free(t);
    }
    for (i = 0; i < 3; ++i) {
        char *sd = xasprintf("%s/%s", outdir, splits[i]);
        DIR *d = opendir(sd);
        struct dirent *e;
        if (!d) {
            if (errno != ENOENT) die("cannot read directory %s: %s", sd, strerror(errno));
            free(sd);
            continue;
        }
        while ((e = readdir(d))) {
            char *ld;
            DIR *d2;
            struct dirent *e2;
            if (strlen(e->d_name) != 6 || !is_label_name(e->d_name)) continue;
            ld = xasprintf("%s/%s", sd, e->d_name);
            if ((d2 = opendir(ld))) {
                while ((e2 = readdir(d2))) {
                    if (is_image_name(e2->d_name) && !strncmp(e2->d_name, e->d_name, 6)) {
                        char *f = xasprintf("%s/%s", ld, e2->d_name);
                        remove_file(f);
                        free(f);
                    }
                }
                closedir(d2);
                if (rmdir(ld) != 0 && errno != ENOTEMPTY && errno != EEXIST)
                    die("cannot remove directory %s: %s", ld, strerror(errno));
            }
            free(ld);
        }
        closedir(d);
        if (rmdir(sd) != 0 && errno != ENOTEMPTY && errno != EEXIST)
            die("cannot remove directory %s: %s", sd, strerror(errno));
        free(sd);
    }
}

/* OUTDIR: absent or empty, or --force; exits otherwise */
static void check_outdir(const char *outdir, int force)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int empty = 1;
    if (!*outdir) die("OUTDIR must not be empty");
    if (stat(outdir, &st) != 0) {
        if (errno == ENOENT) return;
        die("OUTDIR '%s': %s", outdir, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) die("OUTDIR '%s' exists and is not a directory", outdir);
    if (!(d = opendir(outdir))) die("cannot read OUTDIR '%s': %s", outdir, strerror(errno));
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    if (!empty && !force)
        die("OUTDIR '%s' is not empty (use --force to replace a previous render in it)", outdir);
    if (access(outdir, W_OK | X_OK) != 0) die("OUTDIR '%s' is not writable: %s", outdir, strerror(errno));
}

typedef struct {
    FILE *f;
    char *path, *tmp;
} outfile;

static outfile out_open(const char *outdir, const char *name)
{
    outfile o;
    o.path = xasprintf("%s/%s", outdir, name);
    o.tmp = xasprintf("%s.tmp", o.path);
    o.f = fopen(o.tmp, "w");
    if (!o.f) die("cannot write %s: %s", o.tmp, strerror(errno));
    return o;
}

static void out_close(outfile *o)
{
    if (ferror(o->f) || fclose(o->f) != 0) die("error writing %s: %s", o->tmp, strerror(errno));
    if (rename(o->tmp, o->path) != 0) die("cannot rename %s to %s: %s", o->tmp, o->path, strerror(errno));
    free(o->path);
    free(o->tmp);
}

static int cmp_ident(const void *a, const void *b)
{
    const ident *x = a, *y = b;
    if (x->split != y->split) return x->split - y->split;
    return x->cp < y->cp ? -1 : x->cp > y->cp;
}

static int cmp_gi(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return *x < *y ? -1 : *x > *y;
}

/* ---- main's steps ---- */

/* the options that are not settings of the run */
typedef struct {
    const char *charset, *chars_file, **fonts_from;
    int nfonts_from, force, dry_run, keep_dups;
} options;

/* what the steps after the coverage check share */
typedef struct {
    long *elig, nelig;   /* the eligible characters (indices into r->chars), shuffled */
    long *hist;          /* hist[k]: characters with real glyphs in >= k faces */
    long n_train_img, n_test_img, n_open_img;
    char *dropped;       /* "path:index=path:index ..." of the dropped duplicate faces */
} plan_t;

/* the command line into r's settings and o; exits 2 on usage errors, 0 after --help */
static void parse_options(int argc, char **argv, run_t *r, options *o)
{
    static const struct option longopts[] = {
        {"fonts-from", required_argument, NULL, 'F'}, {"charset", required_argument, NULL, 'C'},
        {"chars", required_argument, NULL, 'c'},      {"size", required_argument, NULL, 's'},
        {"width", required_argument, NULL, 'W'},      {"height", required_argument, NULL, 'H'},
        {"min-fonts", required_argument, NULL, 'k'},  {"identities", required_argument, NULL, 'n'},
        {"holdout", required_argument, NULL, 'o'},    {"per-font", required_argument, NULL, 'p'},
        {"test-per-font", required_argument, NULL, 't'}, {"seed", required_argument, NULL, 'S'},
        {"split-seed", required_argument, NULL, 'X'}, {"threads", required_argument, NULL, 'j'},
        {"keep-duplicate-faces", no_argument, NULL, 'K'}, {"force", no_argument, NULL, 'f'},
        {"dry-run", no_argument, NULL, 'd'},          {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    int opt, split_seed_set = 0;
    long size = 32, width = 0, height = 0;

    r->min_fonts = 8;
    r->per_font = 2;
    r->test_per_font = 1;
    r->threads = 1;
    r->seed = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'F':
            o->fonts_from = xrealloc(o->fonts_from, (size_t)(o->nfonts_from + 1) * sizeof *o->fonts_from);
            o->fonts_from[o->nfonts_from++] = optarg;
            break;
        case 'C': o->charset = optarg; break;
        case 'c': o->chars_file = optarg; break;
        case 's': size = parse_long(optarg, "--size", SIDE_MIN, SIDE_MAX); break;
        case 'W': width = parse_long(optarg, "--width", SIDE_MIN, SIDE_MAX); break;
        case 'H': height = parse_long(optarg, "--height", SIDE_MIN, SIDE_MAX); break;
        case 'k': r->min_fonts = parse_long(optarg, "--min-fonts", 1, FONTS_MAX); break;
        case 'n': r->n_identities = parse_long(optarg, "--identities", 0, 0x110000); break;
        case 'o': r->holdout = parse_long(optarg, "--holdout", 0, 0x110000); break;
        case 'p': r->per_font = parse_long(optarg, "--per-font", 1, SAMPLES_MAX); break;
        case 't': r->test_per_font = parse_long(optarg, "--test-per-font", 0, SAMPLES_MAX); break;
        case 'S': r->seed = parse_u64(optarg, "--seed"); break;
        case 'X': r->split_seed = parse_u64(optarg, "--split-seed"); split_seed_set = 1; break;
        case 'j': r->threads = parse_long(optarg, "--threads", 1, THREADS_MAX); break;
        case 'K': o->keep_dups = 1; break;
        case 'f': o->force = 1; break;
        case 'd': o->dry_run = 1; break;
        case 'q': r->quiet = 1; break;
        case 'h': fputs(usage_text, stdout); fputs(help_text, stdout); exit(0);
        case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt) usage_error("unknown option '-%c'", optopt);
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (o->charset && o->chars_file) usage_error("--charset and --chars exclude each other");
    if (argc - optind < 1) usage_error("OUTDIR missing");
    if (argc - optind < 2 && !o->nfonts_from) usage_error("no FONT given");
    r->outdir = argv[optind];
    r->width = (int)(width ? width : size);
    r->height = (int)(height ? height : size);
    if (!split_seed_set) r->split_seed = r->seed;
    if (r->n_identities > 0 && r->holdout >= r->n_identities)
        die("--holdout %ld must be less than --identities %ld (at least one training identity)", r->holdout,
            r->n_identities);
}

/* the charset, and the fonts of the command line (fonts[0..nfonts) after OUTDIR) and of
 * --fonts-from */
static void load_chars_and_fonts(run_t *r, options *o, char **fonts, int nfonts)
{
    int i;
    r->chars.seen = xcalloc(0x110000 / 8, 1);
    if (o->chars_file)
        chars_from_file(&r->chars, o->chars_file);
    else
        chars_from_charset(&r->chars, o->charset ? o->charset : "gb2312-1");
    for (i = 0; i < nfonts; ++i) add_font(&r->fonts, &r->nfonts, fonts[i]);
    for (i = 0; i < o->nfonts_from; ++i) fonts_from_file(&r->fonts, &r->nfonts, o->fonts_from[i]);
    free(o->fonts_from);
    o->fonts_from = NULL;
    if (r->nfonts == 0) die("no fonts given");
    if (r->min_fonts > r->nfonts)
        die("--min-fonts %ld is more than the %d font face(s) given", r->min_fonts, r->nfonts);
}

/* every face opened (and checked), named "family style" */
static FT_Face *open_faces(run_t *r, FT_Library lib)
{
    FT_Face *faces = xcalloc((size_t)r->nfonts, sizeof *faces);
    int i;
    for (i = 0; i < r->nfonts; ++i) {
        font_t *f = &r->fonts[i];
        faces[i] = open_face(lib, f, 1);
        f->name = xasprintf("%s %s", faces[i]->family_name ? faces[i]->family_name : "?",
                            faces[i]->style_name ? faces[i]->style_name : "?");
    }
    return faces;
}

/* duplicate faces dropped (named on stderr and in p->dropped), the others numbered as kept */
static void keep_distinct_faces(run_t *r, FT_Face *faces, int keep_dups, plan_t *p)
{
    int i;
    if (!keep_dups) drop_duplicate_faces(r, faces);
    r->kept_font = xcalloc((size_t)r->nfonts, sizeof *r->kept_font);
    for (i = 0; i < r->nfonts; ++i) {
        font_t *f = &r->fonts[i];
        if (f->dup_of >= 0) {
            char *d2 = xasprintf("%s%s%s:%ld=%s:%ld", p->dropped, *p->dropped ? " " : "", f->path, f->index,
                                 r->fonts[f->dup_of].path, r->fonts[f->dup_of].index);
            free(p->dropped);
            p->dropped = d2;
            if (!r->quiet)
                fprintf(stderr, TOOL ": dropping %s:%ld (%s): duplicates %s:%ld (%d of %d probe glyphs the same)\n",
                        f->path, f->index, f->name, r->fonts[f->dup_of].path, r->fonts[f->dup_of].index,
                        f->dup_same, f->dup_shared);
            continue;
        }
        f->kept = r->nkept;
        r->kept_font[r->nkept++] = i;
    }
    if (r->min_fonts > r->nkept)
        die("--min-fonts %ld is more than the %d distinct font face(s) (%d dropped as duplicates)", r->min_fonts,
            r->nkept, r->nfonts - r->nkept);
}

/* the master size and the .notdef glyph of each kept face */
static void render_notdefs(run_t *r, FT_Face *faces)
{
    bitmap tmp = {0};
    int k;
    {
        int side = r->width < r->height ? r->width : r->height;
        r->master_ppem = (int)lround(OVERSAMPLE * EM_FILL * side);
        r->ratio = r->master_ppem / (EM_FILL * side);
    }
    r->notdef = xcalloc((size_t)r->nkept, sizeof *r->notdef);
    for (k = 0; k < r->nkept; ++k) {
        int fi = r->kept_font[k];
        set_ppem(faces[fi], &r->fonts[fi], r->master_ppem);
        if (render_glyph(faces[fi], 0, &tmp) != 0) tmp.w = tmp.h = 0;
        copy_bitmap(&r->notdef[k], &tmp);
    }
    free(tmp.px);
}

/* which (character, kept face) has a real glyph; a glyph index that more than
 * SHARED_GLYPH_MAX characters map to is a placeholder; the eligible characters and the
 * counts of each face into p */
static void check_coverage(run_t *r, worker_t *ws, plan_t *p)
{
    long ci;
    int k;
    r->status = xcalloc((size_t)r->chars.n * (size_t)r->nkept, 1);
    r->gi = xcalloc((size_t)r->chars.n * (size_t)r->nkept, sizeof *r->gi);
    run_workers(r, ws, coverage_worker);
    {
        uint64_t *v = xcalloc((size_t)r->chars.n, sizeof *v);
        for (k = 0; k < r->nkept; ++k) {
            long n = 0, a, b;
            for (ci = 0; ci < r->chars.n; ++ci)
                if (r->status[(size_t)ci * (size_t)r->nkept + (size_t)k] == ST_REAL)
                    v[n++] = (uint64_t)r->gi[(size_t)ci * (size_t)r->nkept + (size_t)k] << 32 | (uint64_t)ci;
            qsort(v, (size_t)n, sizeof *v, cmp_gi);
            for (a = 0; a < n; a = b) {
                for (b = a + 1; b < n && v[b] >> 32 == v[a] >> 32; ++b) {}
                if (b - a > SHARED_GLYPH_MAX)
                    for (; a < b; ++a) r->status[(size_t)(v[a] & 0xFFFFFFFFu) * (size_t)r->nkept + (size_t)k] = ST_SHARED;
            }
        }
        free(v);
    }
    r->nreal = xcalloc((size_t)r->chars.n, sizeof *r->nreal);
    p->hist = xcalloc((size_t)r->nkept + 1, sizeof *p->hist);
    for (ci = 0; ci < r->chars.n; ++ci) {
        for (k = 0; k < r->nkept; ++k) {
            int stt = r->status[(size_t)ci * (size_t)r->nkept + (size_t)k];
            font_t *f = &r->fonts[r->kept_font[k]];
            if (stt == ST_REAL) { ++r->nreal[ci]; ++f->charset_glyphs; }
            else if (stt != ST_NONE) ++f->rejected;
        }
        ++p->hist[r->nreal[ci]];
    }
    for (k = r->nkept - 1; k >= 0; --k) p->hist[k] += p->hist[k + 1]; /* hist[k]: characters in >= k faces */
    p->elig = xcalloc((size_t)r->chars.n, sizeof *p->elig);
    p->nelig = 0;
    for (ci = 0; ci < r->chars.n; ++ci)
        if (r->nreal[ci] >= r->min_fonts) p->elig[p->nelig++] = ci;
    if (!r->quiet)
        fprintf(stderr, TOOL ": %ld characters x %d faces checked in %.1f s; %ld have real glyphs in >= %ld faces\n",
                r->chars.n, r->nkept, now_s() - r->t0, p->nelig, r->min_fonts);
}

/* identities: a seeded shuffle of the eligible characters, the first --identities kept,
 * the last --holdout of those held out; sorted by split, then code point */
static void split_identities(run_t *r, plan_t *p)
{
    uint64_t st = mix64(r->split_seed ^ 0x53504C4954534545ull);
    long n, j, *elig = p->elig, nelig = p->nelig;
    for (j = nelig - 1; j > 0; --j) {
        long x = (long)(next64(&st) % (uint64_t)(j + 1)), tmpi = elig[j];
        elig[j] = elig[x];
        elig[x] = tmpi;
    }
    if (nelig == 0)
        die("no character has real glyphs in >= %ld of the %d face(s)", r->min_fonts, r->nkept);
    if (r->n_identities > nelig)
        die("--identities %ld: only %ld characters have real glyphs in >= %ld faces", r->n_identities, nelig,
            r->min_fonts);
    n = r->n_identities ? r->n_identities : nelig;
    if (r->holdout >= n)
        die("--holdout %ld must be less than the %ld identities kept", r->holdout, n);
    r->nids = n;
    r->ntrain = n - r->holdout;
    r->ids = xcalloc((size_t)n, sizeof *r->ids);
    for (j = 0; j < n; ++j) {
        ident *id = &r->ids[j];
        id->ci = elig[j];
        id->cp = r->chars.cp[id->ci];
        id->split = j < r->ntrain ? SPLIT_TRAIN : SPLIT_OPEN;
        id->nfaces = r->nreal[id->ci];
        snprintf(id->label, sizeof id->label, "u%05" PRIx32, id->cp);
    }
    qsort(r->ids, (size_t)n, sizeof *r->ids, cmp_ident);
}

/* the kept identities each face covers, and the images of each split */
static void count_images(run_t *r, plan_t *p)
{
    long t;
    int k;
    for (t = 0; t < r->nids; ++t) {
        const ident *id = &r->ids[t];
        for (k = 0; k < r->nkept; ++k)
            if (r->status[(size_t)id->ci * (size_t)r->nkept + (size_t)k] == ST_REAL) ++r->fonts[r->kept_font[k]].identities;
        if (id->split == SPLIT_TRAIN) {
            p->n_train_img += id->nfaces * r->per_font;
            p->n_test_img += id->nfaces * r->test_per_font;
        } else {
            p->n_open_img += id->nfaces * (r->per_font + r->test_per_font);
        }
    }
}

/* --dry-run: the counts on stdout */
static void print_counts(const run_t *r, const plan_t *p)
{
    int k;
    printf("faces=%d\n", r->nkept);
    printf("dropped_faces=%s\n", p->dropped);
    printf("charset_size=%ld\n", r->chars.n);
    printf("eligible=%ld\n", p->nelig);
    printf("eligible_at_min_fonts=");
    for (k = 1; k <= r->nkept; ++k) printf("%s%d:%ld", k > 1 ? "," : "", k, p->hist[k]);
    printf("\nidentities=%ld\ntrain_identities=%ld\nopenset_identities=%ld\n", r->nids, r->ntrain,
           r->nids - r->ntrain);
    printf("train_images=%ld\ntest_images=%ld\nopenset_images=%ld\n", p->n_train_img, p->n_test_img,
           p->n_open_img);
    printf("# face\tpath\tindex\tname\tidentities\tcharset_glyphs\trejected\n");
    for (k = 0; k < r->nkept; ++k) {
        const font_t *f = &r->fonts[r->kept_font[k]];
        printf("# %d\t%s\t%ld\t%s\t%ld\t%ld\t%ld\n", k, f->path, f->index, f->name, f->identities,
               f->charset_glyphs, f->rejected);
    }
}

static const char *const split_names[] = {"train", "test", "openset"};

/* OUTDIR (cleared with --force), its split folders and one folder per identity */
static void make_out_dirs(const run_t *r, int force)
{
    long t;
    int i;
    make_dirs(r->outdir);
    if (force) clear_previous(r->outdir);
    for (i = 0; i < 3; ++i) {
        char *p = xasprintf("%s/%s", r->outdir, split_names[i]);
        make_dir(p);
        free(p);
    }
    for (t = 0; t < r->nids; ++t) {
        const ident *id = &r->ids[t];
        char *p = xasprintf("%s/%s/%s", r->outdir, id->split == SPLIT_OPEN ? "openset" : "train", id->label);
        make_dir(p);
        free(p);
        if (id->split == SPLIT_TRAIN && r->test_per_font > 0) {
            p = xasprintf("%s/test/%s", r->outdir, id->label);
            make_dir(p);
            free(p);
        }
    }
}

/* the three lists (identity in class order, face, sample), labels.txt,
 * openset-labels.txt, identities.tsv and fonts.tsv */
static void write_lists(const run_t *r)
{
    outfile o;
    long s, t, nsamples = r->per_font + r->test_per_font;
    int i, k;
    char u8[5];
    for (i = 0; i < 3; ++i) {
        char *name = xasprintf("%s.list", split_names[i]);
        o = out_open(r->outdir, name);
        free(name);
        for (t = 0; t < r->nids; ++t) {
            const ident *id = &r->ids[t];
            if ((id->split == SPLIT_OPEN) != (i == 2)) continue;
            for (k = 0; k < r->nkept; ++k) {
                if (r->status[(size_t)id->ci * (size_t)r->nkept + (size_t)k] != ST_REAL) continue;
                for (s = 0; s < nsamples; ++s)
                    if (!strcmp(split_dir(id->split, s, r->per_font), split_names[i]))
                        fprintf(o.f, "%s/%s/%s_f%02d_s%ld.pgm\n", split_names[i], id->label, id->label, k, s);
            }
        }
        out_close(&o);
    }
    o = out_open(r->outdir, "labels.txt");
    for (t = 0; t < r->ntrain; ++t) fprintf(o.f, "%s\n", r->ids[t].label);
    out_close(&o);
    o = out_open(r->outdir, "openset-labels.txt");
    for (t = r->ntrain; t < r->nids; ++t) fprintf(o.f, "%s\n", r->ids[t].label);
    out_close(&o);
    o = out_open(r->outdir, "identities.tsv");
    fprintf(o.f, "label\tcodepoint\tchar\tsplit\tfaces\n");
    for (t = 0; t < r->nids; ++t) {
        const ident *id = &r->ids[t];
        utf8_encode(id->cp, u8);
        fprintf(o.f, "%s\tU+%04" PRIX32 "\t%s\t%s\t%d\n", id->label, id->cp, u8,
                id->split == SPLIT_OPEN ? "openset" : "train", id->nfaces);
    }
    out_close(&o);
    o = out_open(r->outdir, "fonts.tsv");
    fprintf(o.f, "face\tpath\tindex\tname\tidentities\tcharset_glyphs\trejected\n");
    for (k = 0; k < r->nkept; ++k) {
        const font_t *f = &r->fonts[r->kept_font[k]];
        fprintf(o.f, "%d\t%s\t%ld\t%s\t%ld\t%ld\t%ld\n", k, f->path, f->index, f->name, f->identities,
                f->charset_glyphs, f->rejected);
    }
    out_close(&o);
}

/* last: render.txt, then the completion mark */
static void write_render_txt(const run_t *r, const options *o, const plan_t *p)
{
    outfile f = out_open(r->outdir, "render.txt");
    int k;
    fprintf(f.f, "# render_glyphs: every parameter and count of this render (written last)\n");
    fprintf(f.f, "seed=%" PRIu64 "\nsplit_seed=%" PRIu64 "\n", r->seed, r->split_seed);
    fprintf(f.f, "width=%d\nheight=%d\n", r->width, r->height);
    if (o->chars_file) fprintf(f.f, "chars_file=%s\n", o->chars_file);
    else fprintf(f.f, "charset=%s\n", o->charset ? o->charset : "gb2312-1");
    fprintf(f.f, "charset_size=%ld\n", r->chars.n);
    fprintf(f.f, "faces_given=%d\nfaces=%d\ndropped_faces=%s\n", r->nfonts, r->nkept, p->dropped);
    fprintf(f.f, "min_fonts=%ld\neligible=%ld\neligible_at_min_fonts=", r->min_fonts, p->nelig);
    for (k = 1; k <= r->nkept; ++k) fprintf(f.f, "%s%d:%ld", k > 1 ? "," : "", k, p->hist[k]);
    fprintf(f.f, "\nidentities_requested=%ld\nidentities=%ld\ntrain_identities=%ld\nopenset_identities=%ld\n",
            r->n_identities, r->nids, r->ntrain, r->nids - r->ntrain);
    fprintf(f.f, "per_font=%ld\ntest_per_font=%ld\n", r->per_font, r->test_per_font);
    fprintf(f.f, "train_images=%ld\ntest_images=%ld\nopenset_images=%ld\n", p->n_train_img, p->n_test_img,
            p->n_open_img);
    fprintf(f.f, "format=pgm\npolarity=dark-on-light\nem_fill=%.2f\nmaster_ppem=%d\n", EM_FILL, r->master_ppem);
    fprintf(f.f, "rotation_deg=%.1f\nscale_min=%.2f\nscale_max=%.2f\nshift_frac=%.2f\n", ROT_MAX_DEG, SCALE_MIN,
            SCALE_MAX, SHIFT_MAX);
    fprintf(f.f, "gamma_min=%.2f\ngamma_max=%.2f\ndilate_p=%.2f\nerode_p=%.2f\n", pow(2, -STROKE_W_MAX),
            pow(2, STROKE_W_MAX), DILATE_P, ERODE_P);
    fprintf(f.f, "blur_sigma_max=%.2f\nnoise_std_max=%.1f\ncontrast_min=%.2f\n", BLUR_MAX, NOISE_MAX,
            CONTRAST_MIN);
    fprintf(f.f, "complete=1\n");
    out_close(&f);
    f = out_open(r->outdir, ".complete");
    fprintf(f.f, "render_glyphs: %ld images\n", p->n_train_img + p->n_test_img + p->n_open_img);
    out_close(&f);
}

/* the images, the lists, render.txt and .complete */
static void write_render(run_t *r, worker_t *ws, const options *o, const plan_t *p)
{
    long total = p->n_train_img + p->n_test_img + p->n_open_img;
    make_out_dirs(r, o->force);
    r->progress_step = r->nids / 10 > 0 ? r->nids / 10 : 1;
    run_workers(r, ws, render_worker);
    write_lists(r);
    write_render_txt(r, o, p);
    if (atomic_load(&r->images) != total)
        die("wrote %ld images, expected %ld", (long)atomic_load(&r->images), total);
    if (!r->quiet)
        fprintf(stderr, TOOL ": wrote %ld images (train %ld, test %ld, openset %ld) of %ld identities "
                "(%ld train, %ld held out) from %d faces to %s in %.1f s\n",
                total, p->n_train_img, p->n_test_img, p->n_open_img, r->nids, r->ntrain,
                r->nids - r->ntrain, r->nkept, r->outdir, now_s() - r->t0);
}

static void free_run(run_t *r, worker_t *ws, plan_t *p)
{
    long t;
    int i, k;
    for (t = 0; t < r->threads; ++t) worker_free(&ws[t]);
    free(ws);
    for (k = 0; k < r->nkept; ++k) free(r->notdef[k].px);
    free(r->notdef);
    for (i = 0; i < r->nfonts; ++i) {
        free(r->fonts[i].path);
        free(r->fonts[i].name);
    }
    free(r->fonts);
    free(r->kept_font);
    free(r->chars.cp);
    free(r->chars.seen);
    free(r->status);
    free(r->gi);
    free(r->nreal);
    free(r->ids);
    free(p->elig);
    free(p->hist);
    free(p->dropped);
}

int main(int argc, char **argv)
{
    static run_t run;
    run_t *r = &run;
    options o = {0};
    plan_t p = {0};
    FT_Library lib;
    FT_Face *faces;
    FT_Error e;
    worker_t *ws;
    long t;
    int i;

    r->t0 = now_s();
    p.dropped = xstrdup("");
    parse_options(argc, argv, r, &o);
    load_chars_and_fonts(r, &o, argv + optind + 1, argc - optind - 1);

    if ((e = FT_Init_FreeType(&lib)) != 0) die("cannot initialize FreeType: %s", ft_error(e));
    faces = open_faces(r, lib);
    if (!o.dry_run) check_outdir(r->outdir, o.force);
    keep_distinct_faces(r, faces, o.keep_dups, &p);
    render_notdefs(r, faces);
    for (i = 0; i < r->nfonts; ++i) FT_Done_Face(faces[i]);
    free(faces);
    FT_Done_FreeType(lib);

    ws = xcalloc((size_t)r->threads, sizeof *ws);
    for (t = 0; t < r->threads; ++t) worker_init(&ws[t], r);
    check_coverage(r, ws, &p);
    split_identities(r, &p);
    count_images(r, &p);

    if (o.dry_run)
        print_counts(r, &p);
    else
        write_render(r, ws, &o, &p);
    free_run(r, ws, &p);
    return 0;
}
