#!/usr/bin/env bash
# test_render.sh — tests of dev/render_glyphs.c through the real executable, on tiny
# renders (24x24, a few dozen identities, two font faces: a few seconds in all) of the
# characters of a small UTF-8 file, with two fonts Debian ships:
#   /usr/share/fonts/truetype/wqy/wqy-microhei.ttc          (fonts-wqy-microhei; 2 faces
#                                                            with the same glyphs)
#   /usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf  (fonts-arphic-gkai00mp)
# Checks, each printing PASS: or FAIL: —
#   - determinism: the same seed gives byte-identical output (sha256 of every file, lists
#     included) with --threads 1 and 2, and with --fonts-from; --seed 8 --split-seed 7
#     gives the same identities and lists but other images; with --identities 0 a new seed
#     reshuffles the split of the same identities;
#   - labels.txt and openset-labels.txt are disjoint and together identities.tsv's labels;
#     every listed path exists and is a P5 PGM of the right size; each path contains
#     exactly one label name of all labels (Darknet's strstr rule);
#   - splits: no identity in both train and openset, no file in both train.list and
#     test.list, test.list only training identities, openset.list only held-out ones;
#   - counts: images per identity and face as --per-font/--test-per-font say, faces per
#     identity >= --min-fonts, totals as render.txt says; the second microhei face is
#     dropped as a duplicate (kept with --keep-duplicate-faces); non-square images;
#   - glyphs that are not real do not count: a synthetic font (made with python3) maps
#     characters to a copy of its .notdef box, an empty glyph, and one glyph shared by 3;
#   - images are neither blank nor all alike (contrast, ink fraction, distinct);
#   - --force replaces a previous render and leaves foreign files; --dry-run writes nothing;
#   - bad input: exit status 1 with one message line naming the problem; usage errors: 2.
# When a font is missing it prints SKIPPED: and exits 0.
# Last line "render: N passed, N failed"; exit status 1 on any failure.
#   usage: tests/test_render.sh RENDER_BIN SCRATCH_DIR
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 RENDER_BIN SCRATCH_DIR" >&2; exit 2; }
abspath() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
BIN=$(abspath "$1")
W=$(abspath "$2")
MICRO=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
GKAI=/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf
passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() { echo "render: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
kv() { sed -n "s/^$1=//p" "$2"; } # kv KEY FILE

for f in "$MICRO" "$GKAI"; do
    if [ ! -r "$f" ]; then
        echo "SKIPPED: font $f is not installed (packages fonts-wqy-microhei, fonts-arphic-gkai00mp)"
        echo "render: 0 passed, 0 failed, 1 skipped"
        exit 0
    fi
done
[ -x "$BIN" ] || { fail "$BIN is not an executable"; finish; }
rm -rf "$W"
mkdir -p "$W"
cd "$W" || exit 2

# 140 common hanzi both fonts have, 3 traditional ones only microhei has, and an emoji
# neither has (with spaces, a newline and a repeat that must be ignored)
printf '%s\n' '的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下' \
    '而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现' \
    '前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常' \
    '与活正感 龍 體 鬱 😀 的' > chars.txt
SZ=24
COMMON=(--chars chars.txt --size $SZ --min-fonts 2 --identities 30 --holdout 6 --per-font 2
        --test-per-font 1 --quiet)
FONTS=("$MICRO" "$MICRO:1" "$GKAI")

render() { # render OUTDIR ARGS... -> exit status; stderr in OUTDIR.err
    local out=$1
    shift
    "$BIN" "$out" "$@" 2> "$out.err"   # GNU getopt: options may follow OUTDIR
}
# sha256 of every file under a render, by relative path
digest() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

# ---- determinism ----
render A --seed 7 --threads 1 "${COMMON[@]}" "${FONTS[@]}"; rc=$?
if [ "$rc" -eq 0 ] && [ "$(kv complete A/render.txt)" = 1 ] && [ -s A/.complete ]; then
    pass "render exited 0 and wrote render.txt (complete=1) and .complete"
else
    fail "render exited $rc: $(tail -n 3 A.err)"; finish
fi
render B --seed 7 --threads 2 "${COMMON[@]}" "${FONTS[@]}"
if digest A > A.sha && digest B > B.sha && cmp -s A.sha B.sha; then
    pass "--threads 1 and --threads 2: $(wc -l < A.sha) identical files"
else
    fail "--threads 1 and --threads 2 differ: $(diff A.sha B.sha | head -n 4 | tr '\n' ' ')"
fi
printf '# the same fonts\n%s\n  %s  \n\n%s # kai\n' "${FONTS[@]}" > fonts.txt
render C --seed 7 "${COMMON[@]}" --fonts-from fonts.txt
digest C > C.sha
cmp -s A.sha C.sha && pass "--fonts-from gives the same render" || fail "--fonts-from render differs"
render D --seed 8 --split-seed 7 "${COMMON[@]}" "${FONTS[@]}"
same_lists=1
for f in labels.txt openset-labels.txt identities.tsv fonts.tsv train.list test.list openset.list; do
    cmp -s "A/$f" "D/$f" || same_lists=0
done
nsame=0
while read -r p; do cmp -s "A/$p" "D/$p" && nsame=$((nsame + 1)); done < <(cat A/train.list A/test.list A/openset.list)
if [ "$same_lists" -eq 1 ] && [ "$nsame" -eq 0 ]; then
    pass "--seed 8 --split-seed 7: same identities and lists, every image different"
else
    fail "--seed 8 --split-seed 7: lists the same: $same_lists, identical images: $nsame"
fi
render E0 --seed 7 "${COMMON[@]}" --identities 0 "${FONTS[@]}"
render E1 --seed 8 "${COMMON[@]}" --identities 0 "${FONTS[@]}"
if cmp -s <(cut -f 1,2,3,5 E0/identities.tsv | sort) <(cut -f 1,2,3,5 E1/identities.tsv | sort) &&
   ! cmp -s E0/openset-labels.txt E1/openset-labels.txt && [ "$(wc -l < E0/identities.tsv)" -eq 141 ]; then
    pass "--identities 0: a new seed reshuffles the split of the same 140 identities"
else
    fail "--identities 0 with seeds 7 and 8: identities or split not as expected"
fi

# ---- identity lists ----
cd A || exit 2
nt=$(wc -l < labels.txt) no=$(wc -l < openset-labels.txt)
if cmp -s <(sort labels.txt openset-labels.txt) <(tail -n +2 identities.tsv | cut -f 1 | sort) &&
   [ -z "$(sort labels.txt openset-labels.txt | uniq -d)" ] && [ "$nt" -eq 24 ] && [ "$no" -eq 6 ]; then
    pass "24 training + 6 held-out labels: disjoint, together identities.tsv"
else
    fail "labels: $nt training, $no held out, or they overlap or differ from identities.tsv"
fi
bad=$(tail -n +2 identities.tsv | while IFS=$'\t' read -r l cp ch sp nf; do
    [ "$l" = "$(printf 'u%05x' "0x${cp#U+}")" ] && [ -n "$ch" ] && [ "$nf" -ge 2 ] &&
        { [ "$sp" = train ] || [ "$sp" = openset ]; } || echo "$l $cp $ch $sp $nf"
done)
[ -z "$bad" ] && pass "identities.tsv: label = u + code point, split, faces >= --min-fonts" \
    || fail "identities.tsv has bad rows: $(head -n 2 <<<"$bad" | tr '\n' ' ')"
bad=0 nimg=0
hdr=$(printf 'P5\n%d %d\n255\n' $SZ $SZ | od -An -c | tr -d ' \n')
hlen=$(printf 'P5\n%d %d\n255\n' $SZ $SZ | wc -c)
while read -r p; do
    nimg=$((nimg + 1))
    if [ ! -f "$p" ] || [ "$(stat -c %s "$p")" -ne $((hlen + SZ * SZ)) ] ||
       [ "$(head -c "$hlen" "$p" | od -An -c | tr -d ' \n')" != "$hdr" ]; then
        bad=$((bad + 1)); [ "$bad" -le 3 ] && echo "   bad image $p"
    fi
done < <(cat train.list test.list openset.list)
[ "$bad" -eq 0 ] && pass "all $nimg listed images exist and are ${SZ}x${SZ} binary PGMs" \
    || fail "$bad of $nimg listed images missing or not ${SZ}x${SZ} P5"
[ "$nimg" -eq "$(find train test openset -type f | wc -l)" ] && pass "no image outside the lists" \
    || fail "$(find train test openset -type f | wc -l) files on disk, $nimg listed"
# Darknet's rule: the label names that occur (strstr) in the path; exactly one, its folder's
cat labels.txt openset-labels.txt > "$W/all-labels"
multi=$(awk 'NR == FNR { lab[++n] = $0; next }
             { m = 0; for (j = 1; j <= n; ++j) if (index($0, lab[j])) { m++; hit = lab[j] }
               split($0, part, "/"); if (m != 1 || hit != part[2]) print }' "$W/all-labels" train.list test.list openset.list)
[ -z "$multi" ] && pass "each path contains exactly one label name, its folder's" \
    || fail "paths with no, several or another label: $(head -n 2 <<<"$multi" | tr '\n' ' ')"

# ---- splits ----
lab() { sed -E 's|^[a-z]+/(u[0-9a-f]{5})/.*|\1|' "$1" | sort -u; }
if [ -z "$(comm -12 <(lab train.list) <(lab openset.list))" ] &&
   [ -z "$(comm -12 <(sort train.list) <(sort test.list))" ] &&
   cmp -s <(lab train.list) <(sort labels.txt) && cmp -s <(lab test.list) <(sort labels.txt) &&
   cmp -s <(lab openset.list) <(sort openset-labels.txt) &&
   ! grep -qv '^train/' train.list && ! grep -qv '^test/' test.list && ! grep -qv '^openset/' openset.list; then
    pass "splits: train/test = training identities, openset = held-out ones, no shared file"
else
    fail "splits overlap or hold the wrong identities"
fi

# ---- counts ----
# per identity and face: train s0,s1; test s2; openset s0..s2
cnt=$(awk -F '\t' 'NR > 1 { print $1, $4, $5 }' identities.tsv | while read -r l split nf; do
    if [ "$split" = train ]; then
        a=$(grep -c "^train/$l/" train.list); b=$(grep -c "^test/$l/" test.list)
        [ "$a" -eq $((2 * nf)) ] && [ "$b" -eq "$nf" ] || echo "$l: train $a test $b faces $nf"
        [ "$(grep "^test/$l/" test.list | grep -vc '_s2\.pgm$')" -eq 0 ] || echo "$l: test sample not s2"
    else
        a=$(grep -c "^openset/$l/" openset.list)
        [ "$a" -eq $((3 * nf)) ] || echo "$l: openset $a faces $nf"
    fi
    for f in 00 01; do
        [ "$(grep -c "/${l}_f${f}_" train.list test.list openset.list | awk -F: '{ s += $2 } END { print s }')" -eq 3 ] ||
            echo "$l: face $f has not 3 samples"
    done
done)
[ -z "$cnt" ] && pass "per identity and face: 2 train + 1 test samples, or 3 open-set samples" \
    || fail "counts: $(head -n 3 <<<"$cnt" | tr '\n' ' ')"
tot="$(wc -l < train.list) $(wc -l < test.list) $(wc -l < openset.list)"
want="$(kv train_images render.txt) $(kv test_images render.txt) $(kv openset_images render.txt)"
[ "$tot" = "$want" ] && [ "$tot" = "96 48 36" ] && pass "list sizes 96 48 36 = render.txt's counts" \
    || fail "list sizes '$tot', render.txt '$want', want '96 48 36'"
if [ "$(kv faces render.txt)" = 2 ] && [ "$(kv faces_given render.txt)" = 3 ] &&
   grep -q "^dropped_faces=$MICRO:1=$MICRO:0\$" render.txt && [ "$(tail -n +2 fonts.tsv | wc -l)" -eq 2 ]; then
    pass "microhei face 1 dropped as a duplicate of face 0"
else
    fail "duplicate face: faces=$(kv faces render.txt) dropped='$(kv dropped_faces render.txt)'"
fi
cd "$W" || exit 2
render K --seed 7 "${COMMON[@]}" --keep-duplicate-faces "${FONTS[@]}"
[ "$(kv faces K/render.txt)" = 3 ] && [ "$(kv train_images K/render.txt)" = 144 ] \
    && pass "--keep-duplicate-faces: 3 faces, 144 training images" \
    || fail "--keep-duplicate-faces: faces=$(kv faces K/render.txt) train_images=$(kv train_images K/render.txt)"
# min-fonts: the three traditional characters only microhei has
render M1 --seed 7 --chars chars.txt --size $SZ --min-fonts 1 --quiet "${FONTS[@]}"
trad=$(awk -F '\t' '$3 == "龍" || $3 == "體" || $3 == "鬱" { print $3 $5 }' M1/identities.tsv | sort | tr -d '\n')
if [ "$(kv eligible M1/render.txt)" = 143 ] && [ "$trad" = "體1鬱1龍1" ] && [ "$(kv eligible A/render.txt)" = 140 ] &&
   ! grep -qE $'\t(龍|體|鬱)\t' E0/identities.tsv && [ "$(kv eligible_at_min_fonts M1/render.txt)" = "1:143,2:140" ]; then
    pass "--min-fonts: 143 characters in >= 1 face, 140 in >= 2; 龍體鬱 only with 1"
else
    fail "--min-fonts: eligible $(kv eligible M1/render.txt) / $(kv eligible A/render.txt), traditional '$trad'"
fi
render R --seed 7 --chars chars.txt --width 20 --height 28 --min-fonts 2 --identities 3 --quiet "${FONTS[@]}"
p=$(head -n 1 R/train.list)
[ "$(head -c 13 "R/$p" | tr '\n' ' ')" = "P5 20 28 255 " ] && [ "$(stat -c %s "R/$p")" -eq $((13 + 20 * 28)) ] \
    && pass "--width 20 --height 28: a 20x28 PGM" || fail "--width 20 --height 28: $(head -c 13 "R/$p" | tr '\n' ' ')"

# ---- glyphs that are not real ----
if command -v python3 > /dev/null; then
    python3 - "$W/fake.ttf" <<'EOF'
# a minimal TrueType font: glyph 0 (.notdef) a box; U+4E00 -> a copy of that box, U+4E01 -> an
# empty glyph, U+4E02 -> a cross, U+4E03..U+4E05 -> one shared filled square, U+4E06 -> a bar
import struct, sys
def rect(x0, y0, x1, y1, cw=True):
    pts = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
    return pts if cw else pts[::-1]
def glyph(contours):
    if not contours: return b''
    pts = [p for c in contours for p in c]
    xs = [p[0] for p in pts]; ys = [p[1] for p in pts]
    out = struct.pack('>hhhhh', len(contours), min(xs), min(ys), max(xs), max(ys))
    end = -1
    for c in contours:
        end += len(c); out += struct.pack('>H', end)
    out += struct.pack('>H', 0) + bytes([1] * len(pts))
    dx = dy = b''; px = py = 0
    for x, y in pts:
        dx += struct.pack('>h', x - px); dy += struct.pack('>h', y - py); px, py = x, y
    out += dx + dy
    return out + b'\0' * (-len(out) % 4)
box = [rect(100, 0, 900, 800), rect(200, 100, 800, 700, False)]
glyphs = [glyph(box), glyph(box), glyph([]), glyph([rect(100, 350, 900, 450), rect(450, -100, 550, 800)]),
          glyph([rect(150, 50, 850, 750)]), glyph([rect(50, 300, 950, 420)])]
cmap = {0x4E00: 1, 0x4E01: 2, 0x4E02: 3, 0x4E03: 4, 0x4E04: 4, 0x4E05: 4, 0x4E06: 5}
loca = [0]
for g in glyphs: loca.append(loca[-1] + len(g))
segs = sorted(cmap) + [0xFFFF]
n = len(segs); p2 = 1 << (n.bit_length() - 1)
codes = b''.join(struct.pack('>H', c) for c in segs)
delta = b''.join(struct.pack('>H', ((cmap[c] - c) if c != 0xFFFF else 1) & 0xFFFF) for c in segs)
body = struct.pack('>HHHH', 2 * n, 2 * p2, p2.bit_length() - 1, 2 * n - 2 * p2) + codes + b'\0\0' + codes + delta + b'\0\0' * n
ng = len(glyphs)
tables = {
    b'cmap': struct.pack('>HHHHI', 0, 1, 3, 1, 12) + struct.pack('>HHH', 4, 6 + len(body), 0) + body,
    b'glyf': b''.join(glyphs),
    b'head': struct.pack('>IIIIHHqqhhhhHHhhh', 0x10000, 0x10000, 0, 0x5F0F3CF5, 0x000B, 1000, 0, 0,
                         0, -100, 950, 800, 0, 8, 2, 1, 0),
    b'hhea': struct.pack('>IhhhHhhhhhhhhhhhH', 0x10000, 800, -200, 0, 1000, 0, 0, 950, 1, 0, 0, 0, 0, 0, 0, 0, ng),
    b'hmtx': b''.join(struct.pack('>Hh', 1000, 0) for _ in glyphs),
    b'loca': b''.join(struct.pack('>I', o) for o in loca),
    b'maxp': struct.pack('>IHHHHHHHHHHHHHH', 0x10000, ng, 8, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
}
def checksum(d):
    d += b'\0' * (-len(d) % 4)
    return sum(struct.unpack('>%dI' % (len(d) // 4), d)) & 0xFFFFFFFF
nt = len(tables); q = 1 << (nt.bit_length() - 1)
out = struct.pack('>IHHHH', 0x10000, nt, 16 * q, q.bit_length() - 1, 16 * nt - 16 * q)
off = 12 + 16 * nt; data = b''
for tag in sorted(tables):
    d = tables[tag]
    out += tag + struct.pack('>III', checksum(d), off + len(data), len(d))
    data += d + b'\0' * (-len(d) % 4)
open(sys.argv[1], 'wb').write(out + data)
EOF
    printf '一丁丂七丄丅丆万\n' > fake-chars.txt   # U+4E00..U+4E07; U+4E07 is not mapped
    "$BIN" --dry-run --chars fake-chars.txt --min-fonts 1 --quiet unused fake.ttf "$MICRO" > fake.out 2> fake.err
    row=$(awk -F '\t' '$1 == "# 0" && $2 == "fake.ttf" { print $6 "\t" $7 }' fake.out)
    if [ "$row" = $'2\t5' ] && grep -q '^eligible_at_min_fonts=1:8,2:2$' fake.out; then
        pass "synthetic font: .notdef copy, empty glyph, 3-way shared glyph rejected; 2 real glyphs"
    else
        fail "synthetic font: real/rejected '$row' (want 2, 5); $(grep eligible_at fake.out) $(tail -n 1 fake.err)"
    fi
else
    echo "SKIPPED: no python3 to build the synthetic font"
    echo "render: synthetic-font check 1 skipped"
fi

# ---- images: not blank, not all alike ----
cd A || exit 2
stats=$(cat train.list test.list openset.list | while read -r p; do
    tail -c $((SZ * SZ)) "$p" | od -An -v -tu1 | tr -s ' ' '\n' | grep -v '^$' |
        awk -v p="$p" '{ v[NR] = $1; if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1 }
             END { mid = (lo + hi) / 2; for (i = 1; i <= NR; ++i) ink += v[i] < mid; print p, hi - lo, ink / NR }'
done)
bad=$(awk '$2 < 60 || $3 < 0.03 || $3 > 0.6' <<<"$stats")
range=$(awk 'NR == 1 { a = b = $3 } { if ($3 < a) a = $3; if ($3 > b) b = $3; c += $2 } END { printf "ink %.2f..%.2f, mean contrast %.0f", a, b, c / NR }' <<<"$stats")
[ -z "$bad" ] && pass "every image has contrast >= 60 and ink in 3%..60% ($range)" \
    || fail "blank or saturated images: $(head -n 3 <<<"$bad" | tr '\n' ' ')"
ndist=$(cat train.list test.list openset.list | xargs sha256sum | cut -d' ' -f1 | sort -u | wc -l)
[ "$ndist" -eq "$nimg" ] && pass "all $nimg images differ" || fail "$ndist distinct images of $nimg"
cd "$W" || exit 2

# ---- --force, --dry-run ----
echo keep > A/notes.txt
mkdir -p A/train/u04e00x && echo keep > A/train/u04e00x/mine.pgm
render A --seed 7 "${COMMON[@]}" "${FONTS[@]}"; rc=$?
[ "$rc" -eq 1 ] && grep -q "is not empty" A.err && [ "$(wc -l < A.err)" -eq 1 ] \
    && pass "a non-empty OUTDIR without --force: exit 1, one message" || fail "non-empty OUTDIR: exit $rc, '$(cat A.err)'"
render A --seed 7 --force "${COMMON[@]}" "${FONTS[@]}"; rc=$?
digest A | grep -v -e ' ./notes.txt$' -e ' ./train/u04e00x/mine.pgm$' > A2.sha
[ "$rc" -eq 0 ] && cmp -s A.sha A2.sha && [ -f A/notes.txt ] && [ -f A/train/u04e00x/mine.pgm ] \
    && pass "--force: the same render again, foreign files left" || fail "--force: exit $rc, $(diff A.sha A2.sha | head -n 2 | tr '\n' ' ')"
render A --seed 9 --identities 12 --holdout 2 --force --chars chars.txt --size $SZ --min-fonts 2 --quiet "${FONTS[@]}"
[ "$(find A/train A/test A/openset -name '*.pgm' ! -name mine.pgm | wc -l)" -eq "$(cat A/*.list | wc -l)" ] \
    && pass "--force with a smaller render: no stale image left" || fail "--force left stale images"
"$BIN" --dry-run "${COMMON[@]}" "$W/dry" "${FONTS[@]}" > dry.out 2>&1; rc=$?
[ "$rc" -eq 0 ] && [ ! -e "$W/dry" ] && grep -q '^train_images=96$' dry.out \
    && pass "--dry-run: counts printed, nothing written" || fail "--dry-run: exit $rc, $(tail -n 1 dry.out)"

# ---- bad input ----
expect() { # WANT_RC PATTERN DESCRIPTION ARGS...
    local want=$1 pat=$2 what=$3 rc=0 msg
    shift 3
    rm -rf "$W/bad"
    msg=$("$BIN" "$@" 2>&1 >/dev/null) || rc=$?
    [ -e "$W/bad" ] && created="$created '$what'"
    if [ "$rc" -eq "$want" ] && grep -q -- "$pat" <<<"$msg" && { [ "$want" -eq 2 ] || [ "$(wc -l <<<"$msg")" -eq 1 ]; }; then
        pass "$what: exit $rc"
    else
        fail "$what: exit $rc (want $want), message '$(head -n 2 <<<"$msg" | tr '\n' ' ')' (want /$pat/, one line)"
    fi
}
created=
printf '\xe4\xb8\n' > badutf8.txt
printf '😀\n' > nothing.txt
printf '一\xf4\x80\x80\x80\n' > plane16.txt   # U+100000: a 6-hex-digit label would contain u10000
mkdir -p full && echo x > full/x
expect 1 "No such file" "a missing font file" "${COMMON[@]}" bad /nonexistent/font.ttf "$GKAI"
expect 1 "face index 5 does not exist" "a face index past the collection" "${COMMON[@]}" bad "$MICRO:5" "$GKAI"
expect 1 "FreeType cannot read" "a file that is no font" "${COMMON[@]}" bad chars.txt "$GKAI"
expect 1 "must be less than --identities" "--holdout >= --identities" "${COMMON[@]}" --holdout 30 bad "${FONTS[@]}"
expect 1 "must be less than the 140 identities" "--holdout >= all identities" "${COMMON[@]}" --identities 0 --holdout 140 bad "${FONTS[@]}"
expect 1 "only 140 characters" "--identities > eligible" "${COMMON[@]}" --identities 141 bad "${FONTS[@]}"
expect 1 "--size = '0'" "--size 0" "${COMMON[@]}" --size 0 bad "${FONTS[@]}"
expect 1 "--size = '100000'" "--size 100000" "${COMMON[@]}" --size 100000 bad "${FONTS[@]}"
expect 1 "--per-font = 'two'" "--per-font two" "${COMMON[@]}" --per-font two bad "${FONTS[@]}"
expect 1 "--seed = '-1'" "--seed -1" "${COMMON[@]}" --seed -1 bad "${FONTS[@]}"
expect 1 "--threads = '3x'" "--threads 3x" "${COMMON[@]}" --threads 3x bad "${FONTS[@]}"
expect 1 "unknown charset 'big5'" "--charset big5" --charset big5 --min-fonts 1 --quiet bad "${FONTS[@]}"
expect 1 "more than the 3 font face" "--min-fonts 4 with 3 faces" "${COMMON[@]}" --min-fonts 4 bad "${FONTS[@]}"
expect 1 "more than the 2 distinct" "--min-fonts 3 with 2 distinct faces" "${COMMON[@]}" --min-fonts 3 bad "${FONTS[@]}"
expect 1 "invalid UTF-8 at byte 0" "--chars with invalid UTF-8" --chars badutf8.txt --min-fonts 1 --quiet bad "${FONTS[@]}"
expect 1 "U+100000 at byte 3 is in plane 16" "--chars with a plane-16 character" --chars plane16.txt --min-fonts 1 --quiet bad "${FONTS[@]}"
expect 1 "cannot open --chars file" "a missing --chars file" --chars nochars.txt --min-fonts 1 --quiet bad "${FONTS[@]}"
expect 1 "no character has real glyphs" "--chars without glyphs" --chars nothing.txt --min-fonts 1 --quiet bad "${FONTS[@]}"
expect 1 "is not empty" "a non-empty OUTDIR" "${COMMON[@]}" full "${FONTS[@]}"
expect 1 "not a directory" "OUTDIR is a file" "${COMMON[@]}" full/x "${FONTS[@]}"
expect 2 "usage" "no arguments"
expect 2 "usage" "OUTDIR without fonts" "${COMMON[@]}" bad
expect 2 "unknown option '--sise'" "an unknown option" --sise 3 bad "${FONTS[@]}"
expect 2 "needs a value" "an option without its value" bad "${FONTS[@]}" --size
expect 2 "exclude each other" "--charset with --chars" --charset gb2312-1 --chars chars.txt bad "${FONTS[@]}"
[ -z "$created" ] && pass "no failed run created its OUTDIR" || fail "failed runs created their OUTDIR:$created"
finish
