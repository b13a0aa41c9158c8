#!/usr/bin/env bash
# openset_smoke.sh — `make demo-openset` end to end on a tiny set: scripts/demo-openset.sh
# with 40 identities (10 held out), the faces of scripts/openset-fonts.txt that are
# installed (CI installs two), 6 training batches per head. Checks, each printing PASS: or
# FAIL: —
#   - cfg/chars-softmax.cfg and cfg/chars-asoftmax.cfg are identical above the "# head"
#     comment (the pair differs only in the head);
#   - the script exits 0 and its report has a row per head with the open-set keys measured
#     (verification, TAR at FAR 1e-3, AFS: numbers, not NA) and a closed-set top-1;
#   - asoftmax_eval ran in open-set mode on the held-out identities (openset=1, top1=NA,
#     every held-out image) and closed-set on the training identities' test images;
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

# the installed faces of the demo's list
nf=0
while read -r pkg spec; do
    case $pkg in ''|'#'*) continue ;; esac
    [ -e "${spec%:*}" ] && nf=$((nf + 1))
done < "$ROOT/scripts/openset-fonts.txt"
if [ "$nf" -lt 2 ]; then
    echo "SKIPPED: fewer than 2 faces of scripts/openset-fonts.txt installed (scripts/install-deps.sh installs two)"
    echo "openset_smoke: 0 passed, 0 failed"; exit 0
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
        DEMO_PAIRS=200 DEMO_OUT="$W/out" OMP_NUM_THREADS=1 "$@" \
        "$ROOT/scripts/demo-openset.sh" "$DARKNET" "$RENDER" "$EVAL" > "$log" 2>&1
}
if run_demo "$W/run1.log"; then pass "demo-openset.sh exited 0 ($nf faces)"
else fail "demo-openset.sh exited non-zero: $(tail -n 5 "$W/run1.log")"; fi

O=$W/out
kv() { sed -n "s/^$2=//p" "$O/eval-$1.txt" 2>/dev/null; }
isnum() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }
for h in softmax asoftmax; do
    row=$(grep -E "^\| chars-$h \|" "$O/report.md" 2>/dev/null || true)
    if [ -n "$row" ] && ! grep -q NA <<<"$row"; then pass "report row for $h: $row"
    else fail "report row for $h missing or with NA: '$row'"; fi
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
    if isnum "$(kv "chars-$h-closed" top1)"; then pass "$h closed set: top-1 $(kv "chars-$h-closed" top1)"
    else fail "$h closed set: top1='$(kv "chars-$h-closed" top1)'"; fi
    [ -s "$O/eval-chars-$h-openset-roc.tsv" ] && pass "$h: ROC file written" || fail "$h: no ROC file"
done
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
for bad in OPENSET_BATCHES=x OPENSET_HOLDOUT=40 OPENSET_SIZE=huge DEMO_PAIRS=30; do
    if run_demo "$W/bad.log" "$bad"; then fail "$bad: exit 0"
    elif [ $? = 1 ] && grep -q '^demo-openset: ' "$W/bad.log"; then pass "$bad: exit 1, $(head -n 1 "$W/bad.log")"
    else fail "$bad: $(tail -n 2 "$W/bad.log")"; fi
done
echo "openset_smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
