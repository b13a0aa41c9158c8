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
#   - TAR at FAR / ROC: every key, each NA or in [0, 1]; PREFIX-roc.tsv from (0, 0) to
#     (1, 1) with far and tar non-decreasing and the threshold non-increasing, far <= its
#     target; all 19900 pairs; TAR at 1e-4 <= 1e-3 <= 1e-2; pairs_tar_far1e-3=NA (with the
#     reason) for 100 different verification pairs, measured for 1000; the roc.tsv row at
#     FAR 1e-3 = tar_far1e-3; TAR at 1e-2, 1e-3 and the AUC against a brute force in awk from
#     the written features;
#   - --openset: 4 of the classes (4 names, 10 outputs) and 12 made-up identities (12
#     names): without --openset exit 1 naming --openset; with it top1=NA, openset=1, the
#     keys and roc.tsv as above, TAR at FAR 1e-4 NA (2556 different pairs) with the reason;
#     --openset with --lfw is a usage error;
#   - --pairs 0: the verification keys NA (and said so), top-1, AFS, the all-pairs ROC as
#     with pairs; with --lfw a usage error;
#   - LFW mode on a fake LFW tree (name/name_0001.jpg links to the test PNGs) and a
#     "2 3" pairs.txt: 12 pairs, 2 folds; the all-pairs ROC over its 12 images with the
#     name folders as identities (18 same, 48 different pairs), top1=NA;
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
skipped=0
finish() { echo "eval_tool: $passed passed, $failed failed, $skipped skipped"; [ "$failed" -eq 0 ]; exit $?; }
kv() { sed -n "s/^$1=//p" "$2"; } # kv KEY FILE
# the TAR-at-FAR and ROC keys (all pairs; the verification pairs)
ROC_KEYS="tar_far1e-2 tar_far1e-3 tar_far1e-4 roc_auc pairs_tar_far1e-3 pairs_roc_auc"
ROC_ALL_KEYS="openset roc_images roc_same_pairs roc_diff_pairs $ROC_KEYS thr_far1e-2 thr_far1e-3 thr_far1e-4 pairs_thr_far1e-3"
# roc_keys_ok FILE: every key there, each of ROC_KEYS NA or a number in [0, 1]; prints
# what is wrong, nothing when all is right
roc_keys_ok() {
    local k v bad=
    for k in $ROC_ALL_KEYS; do grep -q "^$k=" "$1" || bad="$bad missing:$k"; done
    for k in $ROC_KEYS; do
        v=$(kv "$k" "$1")
        [ "$v" = NA ] || awk -v v="$v" 'BEGIN { exit !(v ~ /^[0-9.]+(e[-+]?[0-9]+)?$/ && v >= 0 && v <= 1) }' \
            || bad="$bad $k=$v"
    done
    printf '%s' "$bad"
}
# roc_tsv_ok FILE: 4 columns (far tar threshold far_target); first row 0 0, last 1 1; far
# and tar non-decreasing, threshold non-increasing; far <= far_target; prints what is wrong
roc_tsv_ok() {
    awk -F'\t' '!/^#/ { n++
        if (NF != 4) { bad = "row " n ": " NF " columns"; exit }
        if ($1 < 0 || $1 > 1 || $2 < 0 || $2 > 1) { bad = "row " n ": far/tar outside [0, 1]"; exit }
        if (n == 1 && ($1 != 0 || $2 != 0)) { bad = "row 1 is not far 0, tar 0"; exit }
        if (n > 1 && ($1 < f || $2 < t || $3 > th)) { bad = "row " n " is not monotone"; exit }
        if ($4 > 0 && $1 > $4 * (1 + 1e-9)) { bad = "row " n ": far " $1 " above its target " $4; exit }
        f = $1; t = $2; th = $3 }
        END { if (bad == "" && n < 3) bad = n " rows"
              if (bad == "" && (f != 1 || t != 1)) bad = "last row " f " " t ", want 1 1"
              printf "%s", bad }' "$1"
}

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

# ---- --pairs 0: no verification pairs, everything else as before ----
if "$EVAL" --pairs 0 --out "$W/np0" smoke.cfg backup/smoke.weights test.list labels.txt \
        > "$W/np0.out" 2> "$W/np0.err"; then
    bad=
    for k in verif_mean verif_std verif_threshold_cos verif_threshold_deg pairs_tar_far1e-3 \
             pairs_thr_far1e-3 pairs_roc_auc; do
        [ "$(kv "$k" "$W/np0.txt")" = NA ] || bad="$bad $k=$(kv "$k" "$W/np0.txt")"
    done
    [ "$(kv verif_pairs "$W/np0.txt")" = 0 ] || bad="$bad verif_pairs=$(kv verif_pairs "$W/np0.txt")"
    grep -q '^verif_fold_acc=NA\(,NA\)\{9\}$' "$W/np0.txt" || bad="$bad verif_fold_acc=$(kv verif_fold_acc "$W/np0.txt")"
    for k in top1 afs tar_far1e-2 roc_auc same_pairs diff_pairs; do
        [ "$(kv "$k" "$W/np0.txt")" = "$(kv "$k" "$W/ev.txt")" ] || bad="$bad $k differs"
    done
    grep -q 'verification            NA (--pairs 0)' "$W/np0.out" || bad="$bad summary"
    [ -z "$bad" ] && pass "--pairs 0: verification keys NA, top-1/AFS/all-pairs ROC as with pairs" \
        || fail "--pairs 0:$bad"
else
    fail "--pairs 0 exited non-zero: $(tail -n 3 "$W/np0.err")"
fi

# ---- TAR at FAR, ROC ----
bad=$(roc_keys_ok "$W/ev.txt")
[ -z "$bad" ] && pass "TAR/ROC keys present, each NA or in [0, 1]" || fail "TAR/ROC keys:$bad"
bad=$(roc_tsv_ok "$W/ev-roc.tsv")
[ -z "$bad" ] && pass "ev-roc.tsv: $(grep -vc '^#' "$W/ev-roc.tsv") rows from (0, 0) to (1, 1), monotone" \
    || fail "ev-roc.tsv: $bad"
# the all-pairs ROC covers the pairs of the histograms: 200 images, all 19900 pairs
if [ "$(kv roc_images "$W/ev.txt")" = 200 ] && [ "$(kv openset "$W/ev.txt")" = 0 ] &&
   [ "$(kv roc_same_pairs "$W/ev.txt")" = "$(kv same_pairs "$W/ev.txt")" ] &&
   [ "$(kv roc_diff_pairs "$W/ev.txt")" = "$(kv diff_pairs "$W/ev.txt")" ]; then
    pass "ROC on the histograms' $(kv roc_same_pairs "$W/ev.txt") + $(kv roc_diff_pairs "$W/ev.txt") pairs"
else
    fail "ROC pairs: images $(kv roc_images "$W/ev.txt"), $(kv roc_same_pairs "$W/ev.txt") + $(kv roc_diff_pairs "$W/ev.txt"), histograms $(kv same_pairs "$W/ev.txt") + $(kv diff_pairs "$W/ev.txt")"
fi
# > 10000 different pairs: TAR at 1e-4 is measured, and TAR grows with FAR; 100 different
# verification pairs: TAR at FAR 1e-3 is NA, with the reason in a comment
t2=$(kv tar_far1e-2 "$W/ev.txt"); t3=$(kv tar_far1e-3 "$W/ev.txt"); t4=$(kv tar_far1e-4 "$W/ev.txt")
awk -v a="$t4" -v b="$t3" -v c="$t2" 'BEGIN { exit !(a != "NA" && a <= b && b <= c) }' \
    && pass "TAR at FAR 1e-4 <= 1e-3 <= 1e-2: $t4 $t3 $t2" || fail "TAR at FAR 1e-4, 1e-3, 1e-2: $t4 $t3 $t2"
[ "$(kv pairs_tar_far1e-3 "$W/ev.txt")" = NA ] && grep -q '^# pairs_tar_far1e-3=NA: .*needs >= 1000 different pairs' "$W/ev.txt" \
    && pass "100 different verification pairs: pairs_tar_far1e-3=NA, with the reason" \
    || fail "100 different verification pairs: pairs_tar_far1e-3=$(kv pairs_tar_far1e-3 "$W/ev.txt")"
# the ROC file's row at FAR 1e-3 is tar_far1e-3 with thr_far1e-3
row=$(awk -F'\t' '!/^#/ && $4 > 0.00099999 && $4 < 0.00100001 { print $2, $3 }' "$W/ev-roc.tsv")
awk -v r="$row" -v t="$t3" -v th="$(kv thr_far1e-3 "$W/ev.txt")" \
    'BEGIN { split(r, a, " "); exit !(r != "" && (a[1] - t) ^ 2 < 1e-12 && (a[2] - th) ^ 2 < 1e-14) }' \
    && pass "ev-roc.tsv at FAR 1e-3 = tar_far1e-3, thr_far1e-3" \
    || fail "ev-roc.tsv at FAR 1e-3: '$row', keys $t3 $(kv thr_far1e-3 "$W/ev.txt")"
# brute force from the written features (awk, every pair, sorted by sort -g): TAR at FAR 1e-2
# and 1e-3 and the AUC agree (the features are printed with 6 digits: +-2 pairs, 1e-4)
awk '!/^#/ { n++; lab[n] = $1; nn = 0; for (k = 3; k <= NF; k++) { x[n, k] = $k; nn += $k * $k }
             norm[n] = sqrt(nn); last = NF }
     END { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
               s = 0; for (k = 3; k <= last; k++) s += x[i, k] * x[j, k]
               printf "%s %.9f\n", lab[i] == lab[j] ? "S" : "D",
                      (norm[i] > 0 && norm[j] > 0) ? s / (norm[i] * norm[j]) : 0 } }' \
    "$W/ev-features.tsv" | sort -k2,2gr > "$W/brute-scores.txt"
brute=$(awk 'FNR == NR { if ($1 == "S") ns++; else nd++; next }
    FNR == 1 { k2 = int(0.01 * nd + 1e-9); k3 = int(0.001 * nd + 1e-9) }
    $1 == "S" { seen++; next }
    { auc += seen; dd++; if (dd == k2 + 1) t2 = seen / ns; if (dd == k3 + 1) t3 = seen / ns }
    END { printf "%.6f %.6f %.6f %d", t2, t3, auc / (ns * nd), ns }' "$W/brute-scores.txt" "$W/brute-scores.txt")
awk -v b="$brute" -v t2="$t2" -v t3="$t3" -v auc="$(kv roc_auc "$W/ev.txt")" \
    'BEGIN { split(b, a, " "); tol = 2.5 / a[4]
             exit !((a[1] - t2) ^ 2 <= tol ^ 2 && (a[2] - t3) ^ 2 <= tol ^ 2 && (a[3] - auc) ^ 2 <= 1e-8) }' \
    && pass "brute force from the features: TAR@1e-2, TAR@1e-3, AUC $brute (tool: $t2 $t3 $(kv roc_auc "$W/ev.txt"))" \
    || fail "brute force from the features: TAR@1e-2, TAR@1e-3, AUC $brute; tool: $t2 $t3 $(kv roc_auc "$W/ev.txt")"
# 2000 verification pairs: 1000 different ones measure TAR at FAR 1e-3
if "$EVAL" --pairs 2000 --out "$W/p2000" smoke.cfg backup/smoke.weights test.list labels.txt \
        > "$W/p2000.out" 2> "$W/p2000.err"; then
    v=$(kv pairs_tar_far1e-3 "$W/p2000.txt")
    awk -v v="$v" 'BEGIN { exit !(v != "NA" && v != "" && v >= 0 && v <= 1) }' \
        && grep -q "verification pairs *TAR at FAR 1e-3 [0-9]" "$W/p2000.out" \
        && pass "2000 verification pairs: pairs_tar_far1e-3=$v" \
        || fail "2000 verification pairs: pairs_tar_far1e-3=$v"
else
    fail "--pairs 2000: $(tail -n 2 "$W/p2000.err")"
fi

# ---- open set: identities that are not the network's classes ----
# 4 of the 10 classes (fewer names than the network's 10 outputs), and 12 made-up
# identities (more names): trouser/bag/sneaker/boot images linked as id00..id11
grep -E '_(trouser|bag|sneaker|boot)\.png$' test.list > "$W/open4.list"
printf 'trouser\nbag\nsneaker\nboot\n' > "$W/open4.labels"
mkdir -p "$W/open12"
i=0
while read -r p; do
    id=$(printf 'id%02d' $((i % 12)))
    ln -sf "$E2E/$p" "$W/open12/${id}_$(basename "$p")"
    echo "$W/open12/${id}_$(basename "$p")"
    i=$((i + 1))
done < <(head -n 120 test.list) > "$W/open12.list"
for i in $(seq 0 11); do printf 'id%02d\n' "$i"; done > "$W/open12.labels"
n4=$(wc -l < "$W/open4.list")
# expect WANT_RC PATTERN DESCRIPTION ARGS...: asoftmax_eval ARGS exits WANT_RC with a message matching PATTERN
expect() {
    local want=$1 pat=$2 what=$3 rc=0 msg
    shift 3
    msg=$("$EVAL" "$@" 2>&1 >/dev/null) || rc=$?
    if [ "$rc" -eq "$want" ] && grep -q -- "$pat" <<<"$msg"; then
        pass "$what: exit $rc"
    else
        fail "$what: exit $rc (want $want), message '$(tail -n 1 <<<"$msg")' (want /$pat/)"
    fi
}
expect 1 "4 names, the network 10 outputs.*pass --openset" "4 labels for 10 outputs without --openset" \
    --pairs 200 smoke.cfg backup/smoke.weights "$W/open4.list" "$W/open4.labels"
expect 1 "pass --openset" "12 labels for 10 outputs without --openset" \
    --pairs 200 smoke.cfg backup/smoke.weights "$W/open12.list" "$W/open12.labels"
expect 2 "usage" "--openset with --lfw" --openset --lfw "$W/pairs.txt" --lfw-root "$W/lfw" \
    smoke.cfg backup/smoke.weights
expect 2 "--pairs 0 is for an image list" "--pairs 0 with --lfw" --pairs 0 --lfw "$W/pairs.txt" \
    --lfw-root "$W/lfw" smoke.cfg backup/smoke.weights
if "$EVAL" --openset --pairs 200 --out "$W/open4" smoke.cfg backup/smoke.weights "$W/open4.list" \
        "$W/open4.labels" > "$W/open4.out" 2> "$W/open4.err"; then
    pass "--openset, 4 identities of $n4 images: exit 0"
    [ "$(kv top1 "$W/open4.txt")" = NA ] && [ "$(kv openset "$W/open4.txt")" = 1 ] &&
        grep -q "top-1 accuracy *NA" "$W/open4.out" \
        && pass "--openset: top1=NA, openset=1" \
        || fail "--openset: top1=$(kv top1 "$W/open4.txt") openset=$(kv openset "$W/open4.txt")"
    bad=$(roc_keys_ok "$W/open4.txt")
    [ -z "$bad" ] && pass "--openset: TAR/ROC keys, each NA or in [0, 1]" || fail "--openset: TAR/ROC keys:$bad"
    bad=$(roc_tsv_ok "$W/open4-roc.tsv")
    [ -z "$bad" ] && pass "--openset: roc.tsv monotone from (0, 0) to (1, 1)" || fail "--openset: roc.tsv: $bad"
    # 4 identities of about 20 images: about 760 same, 2400 different pairs (< 10000)
    ns=$(kv roc_same_pairs "$W/open4.txt"); nd=$(kv roc_diff_pairs "$W/open4.txt")
    [ "$(kv roc_images "$W/open4.txt")" = "$n4" ] && [ $((ns + nd)) -eq $((n4 * (n4 - 1) / 2)) ] &&
        [ "$(kv tar_far1e-4 "$W/open4.txt")" = NA ] && [ "$(kv tar_far1e-3 "$W/open4.txt")" != NA ] &&
        grep -q "TAR at FAR 1e-4 *NA (FAR 0.0001 needs >= 10000 different pairs, there are $nd)" "$W/open4.out" \
        && pass "--openset: $ns + $nd pairs; TAR at FAR 1e-4 NA, with the reason" \
        || fail "--openset: images $(kv roc_images "$W/open4.txt") of $n4, pairs $ns + $nd, tar_far1e-4=$(kv tar_far1e-4 "$W/open4.txt")"
    awk -v a="$(kv afs "$W/open4.txt")" 'BEGIN { exit !(a > 0) }' \
        && pass "--openset: AFS $(kv afs "$W/open4.txt") on the identities" || fail "--openset: afs=$(kv afs "$W/open4.txt")"
else
    fail "--openset, 4 identities: $(tail -n 2 "$W/open4.err")"
fi
if "$EVAL" --openset --pairs 240 --out "$W/open12" smoke.cfg backup/smoke.weights "$W/open12.list" \
        "$W/open12.labels" > "$W/open12.out" 2> "$W/open12.err" &&
   [ "$(kv top1 "$W/open12.txt")" = NA ] && [ "$(kv roc_images "$W/open12.txt")" = 120 ] &&
   [ -z "$(roc_keys_ok "$W/open12.txt")" ]; then
    pass "--openset, 12 made-up identities (more than the 10 outputs): roc_auc $(kv roc_auc "$W/open12.txt")"
else
    fail "--openset, 12 identities: $(tail -n 2 "$W/open12.err") $(roc_keys_ok "$W/open12.txt" 2>&1)"
fi

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
    pass "LFW mode: 12 pairs in 2 folds ($(grep verification "$W/lfw.out" | head -n 1 | sed 's/^ *//'))"
else
    fail "LFW mode: $(tail -n 2 "$W/lfw.err")"
fi
# all pairs of its 12 images, identities = the name folders (3 names x 4 images)
bad=$(roc_keys_ok "$W/lfw-ev.txt")$(roc_tsv_ok "$W/lfw-ev-roc.tsv")
[ -z "$bad" ] && [ "$(kv roc_same_pairs "$W/lfw-ev.txt")" = 18 ] && [ "$(kv roc_diff_pairs "$W/lfw-ev.txt")" = 48 ] &&
    [ "$(kv top1 "$W/lfw-ev.txt")" = NA ] \
    && pass "LFW mode: all-pairs ROC of 18 same-name + 48 other pairs, top1=NA" \
    || fail "LFW mode ROC:$bad same $(kv roc_same_pairs "$W/lfw-ev.txt") diff $(kv roc_diff_pairs "$W/lfw-ev.txt") top1 $(kv top1 "$W/lfw-ev.txt")"

# ---- bad input ----
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
else
    echo "SKIPPED: no perl to write NaN weights (scripts/install-deps.sh installs it)"; skipped=1
fi
expect 2 "usage" "a missing argument" smoke.cfg backup/smoke.weights test.list
finish
