#!/usr/bin/env bash
# demo.sh DARKNET CONVERTER [EVAL] — the main job (`make demo`): train plain softmax and
# [asoftmax] side by side on Fashion-MNIST with Darknet's own `classifier train`, measure
# both with tools/asoftmax_eval (top-1, angular Fisher score, pair angles, LFW-style
# verification), draw the pictures with gnuplot and write build/demo/report.md.
#
# Two pairs of cfgs, each pair identical but for the head:
#   cfg/fmnist-{softmax,asoftmax}.cfg     128-d embedding: the numbers
#   cfg/fmnist2d-{softmax,asoftmax}.cfg   2-d embedding: the paper's picture
# Variables (defaults: ~9 min on 2 idle cores, OpenBLAS, ~1050 images/s per model side by side):
#   DEMO_BATCHES=1200     training batches of 128 for the 128-d pair (~2.5 min for the pair).
#                         At 800 the [asoftmax] top-1 ended 0.04 to 0.82 points below
#                         softmax's (5 runs, mean 0.34); at 1200 0.06 to 0.64 (5 runs,
#                         2026-11-29, mean 0.31), AFS 0.120-0.126 vs 0.277-0.331.
#   DEMO_BATCHES_2D=2400  training batches of 128 for the 2-d pair (~5 min; 0 = skip that
#                         pair). With ||x|| cos theta logits the 2-d [asoftmax] AFS was lower
#                         than softmax's in only 2 of 6 paired runs (docs/results/tuning-2026-11-29.md);
#                         with s=10 (normalized features, the default since 2026-11-29) in
#                         3 of 3 fresh demos and 3 single runs (docs/results/runs-2026-11-29.md).
#   DEMO_MARGINS=0        1: also train the 128-d cfg with a CosFace and an ArcFace head
#                         (cfg/fmnist-{cosface,arcface}.cfg: the same [asoftmax] layer with
#                         type=cosface / type=arcface) and report the four heads side by side
#                         (~2.5 min more)
#   DEMO_PARALLEL=1       train the two heads of each pair side by side, each with half the
#                         cores (OMP_NUM_THREADS overrides): on 2 cores one Darknet process
#                         gets ~1070 images/s from both, two one-thread processes ~950 each
#                         (1.8x); the pair also shares whatever else loads the machine.
#                         0 = one after another, each on all cores.
#   DEMO_TRAIN=0          training images to convert (0 = all 60000)
#   DEMO_PAIRS=6000       verification pairs (a multiple of 20), drawn with DEMO_SEED=1
#   DARKNET_FORK=pjreddie which Darknet DARKNET is, for the report (make demo FORK=alexeyab
#                         sets it); asoftmax_eval is always pjreddie's build: weights files are
#                         the same on both forks, and `classifier valid` of DARKNET must agree
#   DEMO_OUT=build/demo   where the outputs go (make demo FORK=alexeyab: build/alexeyab/demo)
# Outputs in DEMO_OUT: report.md, angles.png, features-2d.png, angles-2d.png,
# train-*.log, valid-*.log, eval-*.{txt,log}, eval-*-angles.tsv, eval-fmnist2d-*-features.tsv.
set -euo pipefail

usage="usage: demo.sh DARKNET CONVERTER [EVAL]   (EVAL default: build/asoftmax_eval)"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DARKNET=$(readlink -f "${1:?$usage}")
CONVERTER=$(readlink -f "${2:?$usage}")
EVAL=$(readlink -f "${3:-$ROOT/build/asoftmax_eval}")
for exe in "$DARKNET" "$CONVERTER" "$EVAL"; do
    [ -x "$exe" ] || { echo "demo: $exe is not an executable ($usage)" >&2; exit 1; }
done
OUT=$(readlink -m "${DEMO_OUT:-$ROOT/build/demo}")
FORK=${DARKNET_FORK:-pjreddie}
case $FORK in
    pjreddie) FORK_NAME="pjreddie's Darknet (61c9d02e)" ;;
    alexeyab) FORK_NAME="AlexeyAB's Darknet fork (59596d78)" ;;
    *) echo "demo: DARKNET_FORK='$FORK' must be pjreddie or alexeyab" >&2; exit 1 ;;
esac
DATA=$OUT/data
FMNIST=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
BATCHES=${DEMO_BATCHES:-1200}
BATCHES_2D=${DEMO_BATCHES_2D:-2400}
NTRAIN=${DEMO_TRAIN:-0}
PAIRS=${DEMO_PAIRS:-6000}
SEED=${DEMO_SEED:-1}
PARALLEL=${DEMO_PARALLEL:-1}
MARGINS=${DEMO_MARGINS:-0}
for v in "DEMO_BATCHES=$BATCHES" "DEMO_BATCHES_2D=$BATCHES_2D" "DEMO_TRAIN=$NTRAIN" \
         "DEMO_PAIRS=$PAIRS" "DEMO_SEED=$SEED" "DEMO_PARALLEL=$PARALLEL" "DEMO_MARGINS=$MARGINS"; do
    case ${v#*=} in ''|*[!0-9]*) echo "demo: ${v%%=*}='${v#*=}' must be a non-negative integer" >&2; exit 1;; esac
done
[ "$PARALLEL" -le 1 ] || { echo "demo: DEMO_PARALLEL must be 0 or 1" >&2; exit 1; }
[ "$MARGINS" -le 1 ] || { echo "demo: DEMO_MARGINS must be 0 or 1" >&2; exit 1; }
NCPU=$(getconf _NPROCESSORS_ONLN)
# side by side: each training gets half the cores (OMP_NUM_THREADS, if set, overrides);
# one by one: Darknet's default (all cores, or OMP_NUM_THREADS)
THREADS=
[ "$PARALLEL" = 1 ] && THREADS=${OMP_NUM_THREADS:-$(( NCPU / 2 > 1 ? NCPU / 2 : 1 ))}
[ "$BATCHES" -ge 1 ] || { echo "demo: DEMO_BATCHES must be >= 1" >&2; exit 1; }
[ "$PAIRS" -ge 20 ] && [ $((PAIRS % 20)) -eq 0 ] ||
    { echo "demo: DEMO_PAIRS=$PAIRS must be a positive multiple of 20 (10 folds, half same)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "demo: gnuplot is missing (scripts/install-deps.sh installs gnuplot-nox)" >&2; exit 1; }
# OMP_WAIT_POLICY=passive unless set: libgomp's default spinning is ~15% faster on an idle
# machine, but several times slower when something else holds a core (measured 2026-11-28:
# with a compile running beside it, the four measurements took ~200 s instead of ~30 s).
# The side-by-side trainings run one thread each, so it only matters for the measuring.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
t_start=$(date +%s)

mkdir -p "$DATA/backup"
echo "demo: converting Fashion-MNIST into $DATA"
"$CONVERTER" "$FMNIST/train-images-idx3-ubyte.gz" "$FMNIST/train-labels-idx1-ubyte.gz" "$DATA" train "$NTRAIN"
"$CONVERTER" "$FMNIST/t10k-images-idx3-ubyte.gz" "$FMNIST/t10k-labels-idx1-ubyte.gz" "$DATA" test 0
cat > "$DATA/fmnist.data" <<DATA
classes=10
train=train.list
valid=test.list
labels=labels.txt
backup=backup
top=1
DATA

declare -A secs ips loss pid
TAG=demo
. "$ROOT/scripts/train-lib.sh"
# start_train NAME BATCHES: cfg/NAME.cfg with max_batches=BATCHES -> $DATA/backup/NAME.weights,
# in the background ($THREADS OpenMP threads when the pair trains side by side)
start_train() {
    local name=$1 n=$2 cfg=$DATA/$1.cfg
    sed "s/^max_batches=.*/max_batches=$n/" "$ROOT/cfg/$name.cfg" > "$cfg"
    grep -qx "max_batches=$n" "$cfg" || { echo "demo: cannot set max_batches in $cfg" >&2; exit 1; }
    train_start "$name" "$cfg" fmnist.data "$THREADS"
}
# finish_train BATCHES NAME...: wait for these trainings (progress every 15 s); images/s
finish_train() {
    local n=$1 name; shift
    train_wait "$n" 15 "$@"
    for name; do ips[$name]=$(awk -v s="${secs[$name]}" -v n="$n" 'BEGIN{printf "%.0f", n*128/s}'); done
}
# train_two BATCHES NAME1 NAME2: two cfgs, side by side or one by one
train_two() {
    if [ "$PARALLEL" = 1 ]; then
        start_train "$2" "$1"; start_train "$3" "$1"
        finish_train "$1" "$2" "$3"
    else
        start_train "$2" "$1"; finish_train "$1" "$2"
        start_train "$3" "$1"; finish_train "$1" "$3"
    fi
}
# train_pair PREFIX BATCHES: PREFIX-softmax and PREFIX-asoftmax
train_pair() { train_two "$2" "$1-softmax" "$1-asoftmax"; }

# evaluate NAME: asoftmax_eval on the 10000 test images -> $OUT/eval-NAME.txt (+ .tsv files)
evaluate() {
    local name=$1
    echo "demo: measuring $name on the 10000 test images (asoftmax_eval)"
    (cd "$DATA" && "$EVAL" --pairs "$PAIRS" --seed "$SEED" --out "$OUT/eval-$name" \
        "$name.cfg" "backup/$name.weights" test.list labels.txt > "$OUT/eval-$name.log" 2>&1) ||
        { echo "demo: asoftmax_eval failed on $name; see $OUT/eval-$name.log" >&2; exit 1; }
    sed -n '/^asoftmax_eval: [^ ]*\.cfg$/,$p' "$OUT/eval-$name.log" | sed 's/^/  /'
}
kv() { sed -n "s/^$2=//p" "$OUT/eval-$1.txt"; } # kv NAME KEY

# ---- the 128-d pair ----
train_pair fmnist "$BATCHES"
for head in softmax asoftmax; do
    evaluate "fmnist-$head"
    # cross-check: Darknet's own validation must agree with asoftmax_eval's top-1
    (cd "$DATA" && "$DARKNET" classifier valid fmnist.data "fmnist-$head.cfg" "backup/fmnist-$head.weights" \
        > "$OUT/valid-fmnist-$head.log" 2>&1) ||
        { echo "demo: classifier valid failed on $head; see $OUT/valid-fmnist-$head.log" >&2; exit 1; }
    vtop=$(grep -E '^[0-9]+: top 1: ' "$OUT/valid-fmnist-$head.log" | tail -1 | sed -E 's/^[0-9]+: top 1: ([0-9.]+),.*/\1/')
    awk -v a="$vtop" -v b="$(kv "fmnist-$head" top1)" 'BEGIN { exit !((a - b) ^ 2 < 1e-10) }' ||
        { echo "demo: classifier valid top-1 $vtop != asoftmax_eval's $(kv "fmnist-$head" top1)" >&2; exit 1; }
    echo "  darknet classifier valid agrees: top-1 $vtop"
done
# ---- CosFace and ArcFace heads on the 128-d cfg (DEMO_MARGINS=1) ----
if [ "$MARGINS" = 1 ]; then
    train_two "$BATCHES" fmnist-cosface fmnist-arcface
    for head in cosface arcface; do
        evaluate "fmnist-$head"
    done
fi
# ---- the 2-d pair ----
if [ "$BATCHES_2D" -gt 0 ]; then
    train_pair fmnist2d "$BATCHES_2D"
    for head in softmax asoftmax; do
        evaluate "fmnist2d-$head"
    done
fi

# ---- pictures ----
echo "demo: drawing the pictures (gnuplot)"
palette=$(cat <<'GP'
set linetype 1 lc rgb '#1f77b4'; set linetype 2 lc rgb '#ff7f0e'; set linetype 3 lc rgb '#2ca02c'
set linetype 4 lc rgb '#d62728'; set linetype 5 lc rgb '#9467bd'; set linetype 6 lc rgb '#8c564b'
set linetype 7 lc rgb '#e377c2'; set linetype 8 lc rgb '#7f7f7f'; set linetype 9 lc rgb '#bcbd22'
set linetype 10 lc rgb '#17becf'
GP
)
# angles PNG PREFIX TITLE: same- vs different-class pair-angle densities, softmax | asoftmax,
# on one y scale, with each model's verification threshold (mean over folds) dashed
angles() {
    local png=$1 pre=$2 what=$3 ts ta
    ts=$(kv "$pre-softmax" verif_threshold_deg)
    ta=$(kv "$pre-asoftmax" verif_threshold_deg)
    gnuplot <<GP
set terminal pngcairo size 1000,380 font 'DejaVu Sans,10'
set output '$png'
fs = "$OUT/eval-$pre-softmax-angles.tsv"; fa = "$OUT/eval-$pre-asoftmax-angles.tsv"
ymax = 0
do for [f in fs." ".fa] {
    stats f using (\$5/(\$2-\$1)) nooutput; ymax = STATS_max > ymax ? STATS_max : ymax
    stats f using (\$6/(\$2-\$1)) nooutput; ymax = STATS_max > ymax ? STATS_max : ymax
}
set multiplot layout 1,2 title "$what: angles between the test images' embeddings, all pairs"
set xrange [0:180]; set xtics 30; set yrange [0:1.08*ymax]
set xlabel 'pair angle (degrees)'; set ylabel 'fraction of pairs per degree'
set key top right; set grid
set style fill transparent solid 0.35 noborder
do for [h in "softmax asoftmax"] {
    f = h eq "softmax" ? fs : fa; t = h eq "softmax" ? $ts : $ta
    set title sprintf("%s head", h)
    set arrow 1 from t, graph 0 to t, graph 1 nohead dt 2 lc rgb '#444444'
    plot f using ((\$1+\$2)/2):(\$5/(\$2-\$1)) with filledcurves y1=0 lc rgb '#1f77b4' title 'same class', \
         f using ((\$1+\$2)/2):(\$6/(\$2-\$1)) with filledcurves y1=0 lc rgb '#d62728' title 'different class', \
         NaN with lines dt 2 lc rgb '#444444' title sprintf('verification threshold %.1f°', t)
}
unset multiplot
GP
}
angles "$OUT/angles.png" fmnist "128-d embedding"
if [ "$BATCHES_2D" -gt 0 ]; then
    angles "$OUT/angles-2d.png" fmnist2d "2-d embedding"
    names=$(tr '\n' ' ' < "$DATA/labels.txt")
    gnuplot <<GP
set terminal pngcairo size 1000,1000 font 'DejaVu Sans,10'
set output '$OUT/features-2d.png'
$palette
names = "$names"
set multiplot layout 2,2 title "Fashion-MNIST test images (every 3rd), 2-d embedding, coloured by class; $BATCHES_2D training batches"
set size square; unset key
set xzeroaxis lt 1 lc rgb '#aaaaaa'; set yzeroaxis lt 1 lc rgb '#aaaaaa'
do for [h in "softmax asoftmax"] {
    f = "$OUT/eval-fmnist2d-".h."-features.tsv"
    stats f using 3:4 nooutput
    R = 1.05 * (abs(STATS_min_x) > abs(STATS_max_x) ? abs(STATS_min_x) : abs(STATS_max_x))
    R = abs(STATS_min_y) * 1.05 > R ? abs(STATS_min_y) * 1.05 : R
    R = abs(STATS_max_y) * 1.05 > R ? abs(STATS_max_y) * 1.05 : R
    set xrange [-R:R]; set yrange [-R:R]
    set title sprintf("%s: the 2-d features x", h)
    plot f every 3 using 3:4:(\$1+1) with points pt 7 ps 0.3 lc variable notitle
}
set key outside right center samplen 1 spacing 1.1
unset xtics; unset ytics; unset border; unset xzeroaxis; unset yzeroaxis
set xrange [-1.02:1.02]; set yrange [-1.02:1.02]
r(c) = 0.55 + 0.045*c
nx(a,b) = a/sqrt(a*a+b*b+1e-30); ny(a,b) = b/sqrt(a*a+b*b+1e-30)
do for [h in "softmax asoftmax"] {
    f = "$OUT/eval-fmnist2d-".h."-features.tsv"
    set title sprintf("%s: x/|x| (class k drawn on ring k)", h)
    plot f every 3 using (r(\$1)*nx(\$3,\$4)):(r(\$1)*ny(\$3,\$4)):(\$1+1) with points pt 7 ps 0.3 lc variable notitle, \
         for [i=1:10] NaN with points pt 7 ps 1.5 lc i title word(names, i)
}
unset multiplot
GP
fi

# ---- report ----
lam() { # lam CFG: "base gamma power min" of its [asoftmax]
    awk -F= '/^lambda_base=/{b=$2} /^lambda_gamma=/{g=$2} /^lambda_power=/{p=$2} /^lambda_min=/{m=$2}
             END { print b, g, p, m }' "$ROOT/cfg/$1.cfg"
}
lam_at() { # lam_at "base gamma power min" T
    awk -v t="$2" -v s="$1" 'BEGIN { split(s, a, " "); l = a[1] * (1 + a[2] * t) ^ (-a[3]);
                                      printf "%.1f", (l > a[4] ? l : a[4]) }'
}
lam_floor_t() { # the first batch at which lambda reaches its floor
    awk -v s="$1" 'BEGIN { split(s, a, " "); if (a[2] == 0) { print "never"; exit }
                           printf "%.0f", ((a[1] / a[4]) ^ (1 / a[3]) - 1) / a[2] }'
}
pct() { awk -v x="$1" 'BEGIN { printf "%.2f", 100 * x }'; }
head_keys() { # head_keys CFG: the [asoftmax] section's keys, "k=v k=v"
    sed -n '/^\[asoftmax\]/,$p' "$ROOT/cfg/$1.cfg" | grep -E '^[a-z_0-9]+=' | grep -v '^output=' | tr '\n' ' ' | sed 's/ $//'
}
row() { # row NAME BATCHES
    local n=$1
    printf '| %s | %s | %s | %.4f | %s ± %s | %.1f° ± %.1f° | %.1f° ± %.1f° | %.3f | %s |\n' \
        "$n" "$(kv "$n" embedding_dim)" "$(pct "$(kv "$n" top1)")" "$(kv "$n" afs)" \
        "$(pct "$(kv "$n" verif_mean)")" "$(pct "$(kv "$n" verif_std)")" \
        "$(kv "$n" same_angle_mean)" "$(kv "$n" same_angle_std)" \
        "$(kv "$n" diff_angle_mean)" "$(kv "$n" diff_angle_std)" "$(kv "$n" angle_overlap)" \
        "$2 / ${secs[$n]} s / ${ips[$n]}"
}
verdict() { # verdict PREFIX [HEAD]: one sentence comparing PREFIX-HEAD (default asoftmax) with softmax
    local s=$1-softmax a=$1-${2:-asoftmax} tag="[${2:-asoftmax}]"
    [ "${2:-asoftmax}" = asoftmax ] || tag="${2:-asoftmax}"
    awk -v tag="$tag" -v as="$(kv "$s" afs)" -v aa="$(kv "$a" afs)" -v vs="$(kv "$s" verif_mean)" -v va="$(kv "$a" verif_mean)" \
        -v ds="$(kv "$s" verif_std)" -v da="$(kv "$a" verif_std)" \
        -v ts="$(kv "$s" top1)" -v ta="$(kv "$a" top1)" -v os="$(kv "$s" angle_overlap)" -v oa="$(kv "$a" angle_overlap)" \
        'BEGIN {
            printf "%s vs softmax: AFS %.4f vs %.4f (%s); verification %.2f%% vs %.2f%% (%+.2f points, fold std %.2f/%.2f); ", tag,
                   aa, as, (aa < as ? sprintf("%.0f%% lower", 100 * (1 - aa / as)) : "NOT lower"), 100 * va, 100 * vs,
                   100 * (va - vs), 100 * da, 100 * ds
            printf "angle overlap %.3f vs %.3f; top-1 %.2f%% vs %.2f%%.\n", oa, os, 100 * ta, 100 * ts
        }'
}
L=$(lam fmnist-asoftmax)
report=$OUT/report.md
{
    echo "# Fashion-MNIST: softmax vs [asoftmax] ($(date -u '+%Y-%m-%d %H:%M UTC'), $(getconf _NPROCESSORS_ONLN) CPU cores)"
    echo
    echo "Darknet: $FORK_NAME, \`$(basename "$DARKNET")\` from ${DARKNET#"$ROOT"/}."
    echo
    echo "Command: \`make demo$([ "$FORK" = pjreddie ] || echo " FORK=$FORK") DEMO_BATCHES=$BATCHES DEMO_BATCHES_2D=$BATCHES_2D DEMO_TRAIN=$NTRAIN DEMO_PAIRS=$PAIRS DEMO_SEED=$SEED DEMO_PARALLEL=$PARALLEL$([ "$MARGINS" = 0 ] || echo " DEMO_MARGINS=1")\`"
    echo "($(( $(date +%s) - t_start )) s for conversion, training, measuring and drawing)."
    echo "Each pair of cfgs is identical but for the head; batch 128; measured by"
    echo "\`tools/asoftmax_eval\` on the 10000 test images at the embedding that feeds the head."
    if [ "$PARALLEL" = 1 ]; then
        echo "The two heads of each pair trained side by side, $THREADS thread(s) each (img/s is per model)."
    else
        echo "The models trained one after another${OMP_NUM_THREADS:+, $OMP_NUM_THREADS thread(s) each}."
    fi
    echo
    echo "| model | dim | top-1 % | AFS ↓ | verification % (10 folds) | same-class angle | different-class angle | overlap ↓ | batches / train s / img/s |"
    echo "|---|---|---|---|---|---|---|---|---|"
    row fmnist-softmax "$BATCHES"
    row fmnist-asoftmax "$BATCHES"
    if [ "$MARGINS" = 1 ]; then
        row fmnist-cosface "$BATCHES"
        row fmnist-arcface "$BATCHES"
    fi
    if [ "$BATCHES_2D" -gt 0 ]; then
        row fmnist2d-softmax "$BATCHES_2D"
        row fmnist2d-asoftmax "$BATCHES_2D"
    fi
    echo
    echo "- 128-d: $(verdict fmnist)"
    if [ "$MARGINS" = 1 ]; then
        echo "- 128-d, CosFace head ($(head_keys fmnist-cosface)): $(verdict fmnist cosface)"
        echo "- 128-d, ArcFace head ($(head_keys fmnist-arcface)): $(verdict fmnist arcface)"
    fi
    [ "$BATCHES_2D" -gt 0 ] && echo "- 2-d: $(verdict fmnist2d)"
    echo "- λ schedule of cfg/fmnist-asoftmax.cfg (base gamma power min = $L): λ = $(lam_at "$L" 0) at batch 0,"
    echo "  $(lam_at "$L" $((BATCHES / 2))) at batch $((BATCHES / 2)), $(lam_at "$L" "$BATCHES") at the end ($BATCHES); the floor is reached at batch $(lam_floor_t "$L")."
    if [ "$BATCHES_2D" -gt 0 ]; then
        L2=$(lam fmnist2d-asoftmax)
        echo "  cfg/fmnist2d-asoftmax.cfg ($L2): λ = $(lam_at "$L2" "$BATCHES_2D") at the end ($BATCHES_2D), floor at batch $(lam_floor_t "$L2")."
    fi
    echo "- top-1 of the 128-d models cross-checked against \`darknet classifier valid\` (identical)."
    echo "- AFS = angular Fisher score S_w/S_b (SphereFace appendix E): lower = classes tighter by angle."
    echo "  Verification: $PAIRS test-image pairs (half same class), cosine similarity, threshold chosen on"
    echo "  9 folds and applied to the 10th; mean ± sample std over the 10 folds."
    echo "  Angles: mean ± std over all pairs of test images; overlap = Σ min(p_same, p_diff) over 1° bins."
    echo "- final average training loss (not comparable across heads: [asoftmax] reports its margin loss):"
    echo "  $(for n in "${!loss[@]}"; do printf '%s %s\n' "$n" "${loss[$n]}"; done | sort | awk '{ printf "%s%s %s", (NR > 1 ? "; " : ""), $1, $2 }')."
    echo
    echo "![pair angles, 128-d](angles.png)"
    if [ "$BATCHES_2D" -gt 0 ]; then
        echo
        echo "![2-d features](features-2d.png)"
        echo
        echo "![pair angles, 2-d](angles-2d.png)"
    fi
} > "$report"
cat "$report"
echo "demo: done in $(( $(date +%s) - t_start )) s; report and pictures in $OUT"
