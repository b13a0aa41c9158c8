#!/usr/bin/env bash
# openset_smoke.sh — `make demo-openset` end to end on a tiny set: scripts/demo-openset.sh
# with 40 identities (10 held out), 6 training batches per head, and always the same two
# faces, the ones scripts/install-deps.sh installs (WenQuanYi Micro Hei, AR PL KaitiM GB),
# named in a list of its own (OPENSET_FONTS): the test's inputs do not change with the
# typefaces a machine happens to have. Checks, each printing PASS: or FAIL: —
#   - cfg/chars-softmax.cfg and cfg/chars-asoftmax.cfg are identical above the "# head"
#     comment (the pair differs only in the head);
#   - the script exits 0 and its report has a row per head with the open-set keys measured
#     (verification, TAR at FAR 1e-3, AFS: numbers, not NA; TAR at FAR 1e-4 NA exactly when
#     there are fewer than 10^4 different held-out pairs, as with these two faces) and a
#     closed-set top-1;
#   - asoftmax_eval ran in open-set mode on the held-out identities (openset=1, top1=NA,
#     every held-out image) and closed-set on the training identities' test images (top-1,
#     no verification pairs: verif_mean=NA);
#   - the demo used exactly the two named faces, whatever else is installed;
#   - the ROC files and pictures exist; a second run reuses the rendered data;
#   - bad variables exit 1 with a message.
# Last line: "openset_smoke: N passed, N failed"; exit status 1 on any failure.
#   usage: tests/openset_smoke.sh DARKNET RENDER EVAL WORKDIR
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: $0 DARKNET RENDER EVAL WORKDIR"
DARKNET=${1:?$usage} RENDER=${2:?$usage} EVAL=${3:?$usage} W=${4:?$usage}
rm -rf "$W"; mkdir -p "$W"
# Darknet's driver code never frees its options and buffers: under an ASan build (make test
# SANITIZE=1) LeakSanitizer would fail every darknet and tool run on leaks that are not ours
# (the layer's own allocations are leak-checked by the unit tests); demo-openset.sh runs
# darknet under stdbuf, whose LD_PRELOAD library comes before the ASan runtime
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:verify_asan_link_order=0"
passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# the two faces scripts/install-deps.sh installs, and only those
FONTS=$W/fonts.txt
grep -E '^(fonts-wqy-microhei|fonts-arphic-gkai00mp) ' "$ROOT/scripts/openset-fonts.txt" > "$FONTS"
nf=0
while read -r pkg spec; do
    if [ -e "${spec%:*}" ]; then nf=$((nf + 1))
    else echo "SKIPPED: $pkg is not installed ($spec; scripts/install-deps.sh installs it)"; fi
done < "$FONTS"
if [ "$nf" -ne 2 ]; then
    echo "openset_smoke: 0 passed, 0 failed, 1 skipped"; exit 0
fi

above_head() { sed '/^# head/,$d' "$1" | grep -v '^#'; }
if cmp -s <(above_head "$ROOT/cfg/chars-softmax.cfg") <(above_head "$ROOT/cfg/chars-asoftmax.cfg"); then
    pass "cfg/chars-{softmax,asoftmax}.cfg identical above '# head'"
else
    fail "cfg/chars-{softmax,asoftmax}.cfg differ above '# head'"
fi

run_demo() { # run_demo LOG [VAR=VALUE...]
    local log=$1; shift
    env OPENSET_IDENTITIES=40 OPENSET_HOLDOUT=10 OPENSET_BATCHES=6 OPENSET_MIN_FONTS=2 \
        DEMO_PAIRS=200 DEMO_OUT="$W/out" OPENSET_FONTS="$FONTS" OMP_NUM_THREADS=1 "$@" \
        "$ROOT/scripts/demo-openset.sh" "$DARKNET" "$RENDER" "$EVAL" > "$log" 2>&1
}
if run_demo "$W/run1.log"; then pass "demo-openset.sh exited 0 ($nf faces)"
else fail "demo-openset.sh exited non-zero: $(tail -n 5 "$W/run1.log")"; fi

O=$W/out
kv() { sed -n "s/^$2=//p" "$O/eval-$1.txt" 2>/dev/null; }
isnum() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }
for h in softmax asoftmax; do
    # the row: every column measured, but TAR at FAR 1e-4, which is NA exactly when the
    # held-out pairs cannot measure it (fewer than 10^4 different pairs: 2 faces give 1620)
    row=$(grep -E "^\| chars-$h \|" "$O/report.md" 2>/dev/null || true)
    nd=$(kv "chars-$h-openset" roc_diff_pairs)
    na_ok=$([ "${nd:-0}" -lt 10000 ] && echo NA || echo measured)
    cols=$(awk -F' *[|] *' '{ for (i = 3; i <= 9; i++) if (i != 5) printf "%s", ($i ~ /NA/ ? "NA" : ""); }' <<<"$row")
    t4=$(awk -F' *[|] *' '{ print ($5 == "NA" ? "NA" : "measured") }' <<<"$row")
    if [ -n "$row" ] && [ -z "$cols" ] && [ "$t4" = "$na_ok" ]; then
        pass "report row for $h ($nd different held-out pairs: TAR@FAR 1e-4 $t4): $row"
    else fail "report row for $h missing, with NA, or TAR@FAR 1e-4 '$t4' for $nd different pairs: '$row'"; fi
    ok=1
    for k in verif_mean tar_far1e-3 afs angle_overlap roc_auc; do
        isnum "$(kv "chars-$h-openset" "$k")" || { ok=0; fail "$h open set: $k='$(kv "chars-$h-openset" "$k")'"; }
    done
    [ "$ok" = 1 ] && pass "$h open set: verification, TAR@FAR 1e-3, AFS, overlap, AUC measured"
    nopen=$(grep -c . "$O/data/openset.list" 2>/dev/null || echo 0)
    if [ "$(kv "chars-$h-openset" openset)" = 1 ] && [ "$(kv "chars-$h-openset" top1)" = NA ] &&
       [ "$(kv "chars-$h-openset" images)" = "$nopen" ] && [ "$nopen" -gt 0 ]; then
        pass "$h: open-set mode on the $nopen images of the held-out identities"
    else
        fail "$h: openset='$(kv "chars-$h-openset" openset)' top1='$(kv "chars-$h-openset" top1)' images='$(kv "chars-$h-openset" images)' (list: $nopen)"
    fi
    if isnum "$(kv "chars-$h-closed" top1)" && [ "$(kv "chars-$h-closed" verif_mean)" = NA ]; then
        pass "$h closed set: top-1 $(kv "chars-$h-closed" top1), no verification pairs"
    else fail "$h closed set: top1='$(kv "chars-$h-closed" top1)' verif_mean='$(kv "chars-$h-closed" verif_mean)'"; fi
    [ -s "$O/eval-chars-$h-openset-roc.tsv" ] && pass "$h: ROC file written" || fail "$h: no ROC file"
done
if [ "$(grep -c . "$O/fonts.txt" 2>/dev/null)" = 2 ] && grep -q wqy-microhei "$O/fonts.txt" &&
   grep -q gkai00mp "$O/fonts.txt" && grep -q '^2 typefaces' "$O/report.md"; then
    pass "the demo used exactly the two named faces"
else
    fail "faces used: $(tr '\n' ' ' < "$O/fonts.txt" 2>/dev/null)"
fi
for f in roc.png angles.png; do
    [ -s "$O/$f" ] && pass "$f drawn" || fail "$f missing"
done
# the held-out identities never trained on
if [ -s "$O/data/openset-labels.txt" ] && ! grep -qxFf "$O/data/openset-labels.txt" "$O/data/labels.txt"; then
    pass "held-out identities are not training labels"
else
    fail "held-out identities overlap the training labels (or are missing)"
fi
if run_demo "$W/run2.log" OPENSET_BATCHES=2 && grep -q 'reusing the rendered data' "$W/run2.log"; then
    pass "a second run reuses the rendered data"
else
    fail "second run: $(tail -n 3 "$W/run2.log")"
fi
for bad in OPENSET_BATCHES=x OPENSET_HOLDOUT=40 OPENSET_SIZE=huge DEMO_PAIRS=30 OPENSET_FONTS=/nonexistent; do
    if run_demo "$W/bad.log" "$bad"; then fail "$bad: exit 0"
    elif [ $? = 1 ] && grep -q '^demo-openset: ' "$W/bad.log"; then pass "$bad: exit 1, $(head -n 1 "$W/bad.log")"
    else fail "$bad: $(tail -n 2 "$W/bad.log")"; fi
done
echo "openset_smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
