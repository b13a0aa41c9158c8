#!/usr/bin/env bash
# test_eval_tool.sh — tests of tools/asoftmax_eval.c through the real executable, on the
# model the end-to-end smoke test just trained (tests/e2e_smoke.sh: cfg smoke.cfg, weights
# backup/smoke.weights, 200 Fashion-MNIST test images, `classifier valid` log valid.log).
# Checks, each printing PASS: or FAIL: —
#   - it runs, writes every key of PREFIX.txt, PREFIX-angles.tsv with 180 bins whose counts
#     add up to all 200*199/2 pairs, and (with --features) one feature row per image;
#   - its top-1 equals `darknet classifier valid`'s on the same weights and images (the same
#     forward pass), and the embedding is layer 4 (the 128-d [connected]);
#   - a softmax twin of the cfg (trained 2 batches here) is measured at the same layer 4,
#     i.e. n-3 for [connected] + [softmax] against n-2 for [asoftmax];
#   - LFW mode on a fake LFW tree (name/name_0001.jpg links to the test PNGs) and a
#     "2 3" pairs.txt: 12 pairs, 2 folds;
#   - bad input: exit status 1 with a message for a missing or mismatched weights file, a
#     path with no label, an unreadable or undecodable image, an empty list, bad numbers;
#     exit 2 for a usage error.
# Last line "eval_tool: N passed, N failed"; exit status 1 on any failure.
#   usage: tests/test_eval_tool.sh DARKNET ASOFTMAX_EVAL E2E_DATA_DIR WORKDIR
set -uo pipefail

[ $# -eq 4 ] || { echo "usage: $0 DARKNET ASOFTMAX_EVAL E2E_DATA_DIR WORKDIR" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
abspath() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
DARKNET=$(abspath "$1")
EVAL=$(abspath "$2")
E2E=$(abspath "$3")
W=$(abspath "$4")
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# see tests/e2e_smoke.sh: Darknet's driver code leaks by design under ASan builds
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() { echo "eval_tool: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
kv() { sed -n "s/^$1=//p" "$2"; } # kv KEY FILE

for f in smoke.cfg backup/smoke.weights test.list labels.txt valid.log; do
    [ -s "$E2E/$f" ] || { fail "missing $E2E/$f (run tests/e2e_smoke.sh first)"; finish; }
done
rm -rf "$W"
mkdir -p "$W"
cd "$E2E" || exit 2

# ---- a normal run ----
if "$EVAL" --pairs 200 --features --out "$W/ev" smoke.cfg backup/smoke.weights test.list labels.txt \
        > "$W/ev.out" 2> "$W/ev.err"; then
    pass "asoftmax_eval exited 0"
else
    fail "asoftmax_eval exited non-zero: $(tail -n 3 "$W/ev.err")"; finish
fi
missing=
for k in cfg weights images embedding_layer embedding_dim top1 afs afs_sw afs_sb hist_images \
         same_pairs same_angle_mean same_angle_p95 diff_pairs diff_angle_mean diff_angle_p05 \
         angle_overlap verif_pairs verif_folds verif_mean verif_std verif_threshold_cos verif_fold_acc; do
    grep -q "^$k=" "$W/ev.txt" || missing="$missing $k"
done
[ -z "$missing" ] && pass "every key in ev.txt" || fail "keys missing from ev.txt:$missing"
sum=$(awk '!/^#/ { s += $3 + $4; n++ } END { print n, s }' "$W/ev-angles.tsv")
[ "$sum" = "180 19900" ] && pass "180 histogram bins holding all 19900 pairs" \
    || fail "histogram: bins and pairs '$sum', want '180 19900'"
rows=$(grep -vc '^#' "$W/ev-features.tsv")
cols=$(awk '!/^#/ { print NF; exit }' "$W/ev-features.tsv")
[ "$rows" -eq 200 ] && [ "$cols" -eq 130 ] && pass "features: 200 rows of label, name, 128 values" \
    || fail "features: $rows rows of $cols columns, want 200 of 130"

top1=$(kv top1 "$W/ev.txt")
valid_top1=$(grep -E '^[0-9]+: top 1: ' valid.log | tail -n 1 | sed -E 's/^[0-9]+: top 1: ([0-9.]+),.*/\1/')
if awk -v a="$top1" -v b="$valid_top1" 'BEGIN { exit !(a != "" && b != "" && (a - b) ^ 2 < 1e-12) }'; then
    pass "top-1 $top1 = darknet classifier valid's $valid_top1"
else
    fail "top-1 $top1 differs from darknet classifier valid's $valid_top1"
fi
[ "$(kv embedding_layer "$W/ev.txt")" = 4 ] && [ "$(kv embedding_dim "$W/ev.txt")" = 128 ] \
    && pass "[asoftmax] cfg: embedding = layer 4 (128-d)" \
    || fail "[asoftmax] cfg: embedding layer $(kv embedding_layer "$W/ev.txt"), dim $(kv embedding_dim "$W/ev.txt")"
v=$(kv verif_mean "$W/ev.txt")
awk -v v="$v" 'BEGIN { exit !(v > 0.5 && v <= 1) }' && pass "verification $v above chance" \
    || fail "verification $v not in (0.5, 1]"

# ---- the softmax twin: same embedding layer ----
sed -e 's/^batch=.*/batch=16/' -e 's/^max_batches=.*/max_batches=2/' \
    -e 's/^learning_rate=.*/learning_rate=0.01/' -e 's/^policy=.*/policy=constant/' \
    "$ROOT/cfg/fmnist-softmax.cfg" > "$W/twin.cfg"
printf 'classes=10\ntrain=train.list\nvalid=test.list\nlabels=labels.txt\nbackup=%s\ntop=1\n' \
    "$W" > "$W/twin.data"
if "$DARKNET" classifier train "$W/twin.data" "$W/twin.cfg" > "$W/twin-train.log" 2>&1 &&
   [ -s "$W/twin.weights" ]; then
    if "$EVAL" --pairs 100 --out "$W/twin" "$W/twin.cfg" "$W/twin.weights" test.list labels.txt \
            > "$W/twin.out" 2> "$W/twin.err" &&
       [ "$(kv embedding_layer "$W/twin.txt")" = 4 ] && grep -q '^head=connected + softmax' "$W/twin.txt"; then
        pass "softmax twin: embedding = layer 4, the input of [connected] + [softmax]"
    else
        fail "softmax twin: $(tail -n 2 "$W/twin.err"); embedding layer $(kv embedding_layer "$W/twin.txt" 2>/dev/null)"
    fi
    # the other head's weights do not fit: refused, not read silently
    msg=$("$EVAL" --pairs 200 smoke.cfg "$W/twin.weights" test.list labels.txt 2>&1 >/dev/null); rc=$?
    [ "$rc" -eq 1 ] && grep -q "the cfg needs" <<<"$msg" && pass "softmax weights with the [asoftmax] cfg: exit 1" \
        || fail "softmax weights with the [asoftmax] cfg: exit $rc, '$msg'"
else
    fail "could not train the softmax twin: $(tail -n 3 "$W/twin-train.log")"
fi

# ---- LFW mode on a fake LFW tree ----
mkdir -p "$W/lfw"
n=0
while read -r p; do
    name=$(basename "$p" .png); name=${name#*_}   # class name, e.g. trouser
    n=$(( $(ls "$W/lfw/$name" 2>/dev/null | wc -l) + 1 ))
    mkdir -p "$W/lfw/$name"
    ln -s "$E2E/$p" "$W/lfw/$name/$(printf '%s_%04d.jpg' "$name" "$n")"
done < <(head -n 60 test.list)
{
    echo "2 3"
    for set in 0 1; do
        for name in trouser bag sneaker; do echo "$name $((1 + set)) $((3 + set))"; done
        echo "trouser 1 bag 2"; echo "sneaker 2 trouser $((2 + set))"; echo "bag 1 sneaker 3"
    done
} > "$W/pairs.txt"
if "$EVAL" --lfw "$W/pairs.txt" --lfw-root "$W/lfw" --out "$W/lfw-ev" smoke.cfg \
        backup/smoke.weights > "$W/lfw.out" 2> "$W/lfw.err" &&
   [ "$(kv mode "$W/lfw-ev.txt")" = lfw ] && [ "$(kv verif_pairs "$W/lfw-ev.txt")" = 12 ] &&
   [ "$(kv verif_folds "$W/lfw-ev.txt")" = 2 ]; then
    pass "LFW mode: 12 pairs in 2 folds ($(grep verification "$W/lfw.out" | sed 's/^ *//'))"
else
    fail "LFW mode: $(tail -n 2 "$W/lfw.err")"
fi

# ---- bad input ----
expect() { # WANT_RC PATTERN DESCRIPTION ARGS...
    local want=$1 pat=$2 what=$3 rc=0 msg
    shift 3
    msg=$("$EVAL" "$@" 2>&1 >/dev/null) || rc=$?
    if [ "$rc" -eq "$want" ] && grep -q -- "$pat" <<<"$msg"; then
        pass "$what: exit $rc"
    else
        fail "$what: exit $rc (want $want), message '$(tail -n 1 <<<"$msg")' (want /$pat/)"
    fi
}
head -n 3 test.list > "$W/nolabel.list"; echo "test/00000_nothing.png" >> "$W/nolabel.list"
head -n 3 test.list > "$W/missing.list"; echo "test/99999_bag.png" >> "$W/missing.list"
printf 'not an image\n' > "$W/00001_bag.png"
head -n 3 test.list > "$W/broken.list"; echo "$W/00001_bag.png" >> "$W/broken.list"
: > "$W/empty.list"
expect 1 "cannot open weights" "missing weights" smoke.cfg "$W/none.weights" test.list labels.txt
expect 1 "cannot open cfg" "missing cfg" "$W/none.cfg" backup/smoke.weights test.list labels.txt
expect 1 "contains none of the" "a path without label" smoke.cfg backup/smoke.weights "$W/nolabel.list" labels.txt
expect 1 "cannot open image" "a missing image" smoke.cfg backup/smoke.weights "$W/missing.list" labels.txt
expect 1 "cannot be decoded" "a file that is no image" smoke.cfg backup/smoke.weights "$W/broken.list" labels.txt
expect 1 "has no lines" "an empty list" smoke.cfg backup/smoke.weights "$W/empty.list" labels.txt
expect 1 "multiple of 2 x --folds" "--pairs 7" --pairs 7 smoke.cfg backup/smoke.weights test.list labels.txt
expect 1 "must be an integer" "--pairs abc" --pairs abc smoke.cfg backup/smoke.weights test.list labels.txt
expect 1 "lower --pairs" "too many pairs" smoke.cfg backup/smoke.weights test.list labels.txt
expect 1 "must be an integer" "--folds 1" --folds 1 smoke.cfg backup/smoke.weights test.list labels.txt
expect 1 "cfg has layers" "--layer 99" --pairs 200 --layer 99 smoke.cfg backup/smoke.weights test.list labels.txt
# the weights of a diverged training (every float NaN, the header kept): exit 1, no hang
if command -v perl >/dev/null; then
    n=$(( ($(wc -c < backup/smoke.weights) - 20) / 4 ))
    { head -c 20 backup/smoke.weights; perl -e 'print pack("f<", 9**9**9 / 9**9**9) x $ARGV[0]' "$n"; } > "$W/nan.weights"
    expect 1 "non-finite value" "NaN weights (a diverged training)" --pairs 200 smoke.cfg "$W/nan.weights" test.list labels.txt
fi
expect 2 "usage" "a missing argument" smoke.cfg backup/smoke.weights test.list
finish
