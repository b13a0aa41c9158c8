#!/usr/bin/env bash
# demo-openset.sh DARKNET RENDER EVAL — `make demo-openset`: open-set verification with
# thousands of identities. Characters are the identities and typefaces their photos
# (dev/render_glyphs.c renders GB 2312 level-1 hanzi in the faces of
# scripts/openset-fonts.txt, each image with seeded jitter). Some identities are held out:
# never trained on, they are what verification is measured on, as LFW's people are not
# CASIA-WebFace's. A softmax cfg and an [asoftmax] cfg that differ only in the head
# (cfg/chars-{softmax,asoftmax}.cfg: a SphereFace-10-style residual CNN, 512-d embedding)
# train side by side with Darknet's own `classifier train`; tools/asoftmax_eval measures:
#   open set  (held-out identities): verification accuracy on DEMO_PAIRS pairs (10 folds),
#             TAR at FAR 1e-3 / 1e-4 over all pairs, AFS, pair-angle overlap, ROC;
#   closed set (test images of the training identities, other jitter draws): top-1 (no
#             verification pairs there: --pairs 0, so a split of 2 faces is enough).
# Report: DEMO_OUT/report.md with roc.png and angles.png.
#
# Variables (defaults: 14 min on 2 idle cores, 2026-11-29):
#   OPENSET_FONTS=FILE    the faces, one "DEBIAN_PACKAGE FILE[:FACE_INDEX]" a line (default
#                         scripts/openset-fonts.txt: 15 faces); those installed are used
#   OPENSET_SIZE=small    small: 32x32 images, 1500 training + 300 held-out identities (of the
#                         2708 GB 2312 level-1 characters that 10 or more faces have), 2 training
#                         images per face, 1500 batches of 128 per head (~11 min side by side);
#                         large: 48x48 images, 2200 training + 500 held-out identities, 3 per
#                         face, 20000 batches (a long run: hours on 2 cores; not timed here)
#   OPENSET_IDENTITIES, OPENSET_HOLDOUT, OPENSET_BATCHES, OPENSET_SIZE_PX,
#   OPENSET_PER_FONT, OPENSET_MIN_FONTS override the preset;
#   DEMO_PAIRS=6000, DEMO_SEED=1 (render seed and pair seed), DEMO_OUT=build/openset
#   OMP_NUM_THREADS       threads per training (default: half the cores each)
# The rendered data are kept in DEMO_OUT/data and reused while the parameters are the same.
set -euo pipefail

usage="usage: demo-openset.sh DARKNET RENDER EVAL"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DARKNET=$(readlink -f "${1:?$usage}")
RENDER=$(readlink -f "${2:?$usage}")
EVAL=$(readlink -f "${3:?$usage}")
for exe in "$DARKNET" "$RENDER" "$EVAL"; do
    [ -x "$exe" ] || { echo "demo-openset: $exe is not an executable ($usage)" >&2; exit 1; }
done
OUT=$(readlink -m "${DEMO_OUT:-$ROOT/build/openset}")
SIZE=${OPENSET_SIZE:-small}
case $SIZE in
    small) P_IDS=1800 P_HOLD=300 P_BATCHES=1500 P_PX=32 P_PER=2 P_MIN=10 ;;
    large) P_IDS=2700 P_HOLD=500 P_BATCHES=20000 P_PX=48 P_PER=3 P_MIN=10 ;;
    *) echo "demo-openset: OPENSET_SIZE='$SIZE' must be small or large" >&2; exit 1 ;;
esac
IDS=${OPENSET_IDENTITIES:-$P_IDS}
HOLD=${OPENSET_HOLDOUT:-$P_HOLD}
BATCHES=${OPENSET_BATCHES:-$P_BATCHES}
PX=${OPENSET_SIZE_PX:-$P_PX}
PER=${OPENSET_PER_FONT:-$P_PER}
MINF=${OPENSET_MIN_FONTS:-$P_MIN}
PAIRS=${DEMO_PAIRS:-6000}
FONT_LIST=${OPENSET_FONTS:-$ROOT/scripts/openset-fonts.txt}
[ -r "$FONT_LIST" ] || { echo "demo-openset: OPENSET_FONTS='$FONT_LIST' is not a readable file" >&2; exit 1; }
SEED=${DEMO_SEED:-1}
for v in "OPENSET_IDENTITIES=$IDS" "OPENSET_HOLDOUT=$HOLD" "OPENSET_BATCHES=$BATCHES" \
         "OPENSET_SIZE_PX=$PX" "OPENSET_PER_FONT=$PER" "OPENSET_MIN_FONTS=$MINF" \
         "DEMO_PAIRS=$PAIRS" "DEMO_SEED=$SEED"; do
    case ${v#*=} in ''|*[!0-9]*) echo "demo-openset: ${v%%=*}='${v#*=}' must be a non-negative integer" >&2; exit 1;; esac
done
[ "$BATCHES" -ge 1 ] || { echo "demo-openset: OPENSET_BATCHES must be >= 1" >&2; exit 1; }
[ "$HOLD" -ge 2 ] && [ "$HOLD" -lt "$IDS" ] ||
    { echo "demo-openset: need 2 <= OPENSET_HOLDOUT ($HOLD) < OPENSET_IDENTITIES ($IDS)" >&2; exit 1; }
[ "$PAIRS" -ge 20 ] && [ $((PAIRS % 20)) -eq 0 ] ||
    { echo "demo-openset: DEMO_PAIRS=$PAIRS must be a positive multiple of 20 (10 folds, half same)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "demo-openset: gnuplot is missing (scripts/install-deps.sh installs gnuplot-nox)" >&2; exit 1; }
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
NCPU=$(getconf _NPROCESSORS_ONLN)
THREADS=${OMP_NUM_THREADS:-$(( NCPU / 2 > 1 ? NCPU / 2 : 1 ))}
t_start=$(date +%s)
DATA=$OUT/data

# ---- the faces: every listed face that is installed ----
mkdir -p "$OUT"
fonts=$OUT/fonts.txt; : > "$fonts"; missing=()
while read -r pkg spec; do
    case $pkg in ''|'#'*) continue ;; esac
    if [ -e "${spec%:*}" ] || [ -e "$spec" ]; then echo "$spec" >> "$fonts"; else missing+=("$pkg"); fi
done < "$FONT_LIST"
nfonts=$(grep -c . "$fonts" || true)
if [ ${#missing[@]} -gt 0 ]; then
    echo "demo-openset: $nfonts of $(( nfonts + ${#missing[@]} )) faces installed; missing: ${missing[*]}" >&2
    echo "  (scripts/install-deps.sh --openset installs them)" >&2
fi
[ "$nfonts" -ge "$MINF" ] ||
    { echo "demo-openset: need at least OPENSET_MIN_FONTS=$MINF faces, have $nfonts: run scripts/install-deps.sh --openset" >&2; exit 1; }

# ---- the data (rendered once per parameter set; render.txt records the parameters) ----
want="ids=$IDS hold=$HOLD px=$PX per=$PER min=$MINF seed=$SEED fonts=$(md5sum < "$fonts" | cut -c1-12)"
if [ -s "$DATA/.complete" ] && [ "$(cat "$DATA/.params" 2>/dev/null)" = "$want" ]; then
    echo "demo-openset: reusing the rendered data in $DATA ($want)"
else
    echo "demo-openset: rendering $IDS identities ($HOLD held out), ${PX}x$PX, $nfonts faces, into $DATA"
    rm -rf "$DATA"
    "$RENDER" --charset gb2312-1 --min-fonts "$MINF" --identities "$IDS" --holdout "$HOLD" \
        --per-font "$PER" --test-per-font 1 --size "$PX" --seed "$SEED" --threads "$NCPU" \
        --fonts-from "$fonts" "$DATA"
    echo "$want" > "$DATA/.params"
fi
NTRAIN=$(grep -c . "$DATA/labels.txt")
echo "demo-openset: $NTRAIN training identities, $(grep -c . "$DATA/train.list") training images;" \
     "$(grep -c . "$DATA/openset-labels.txt") held-out identities, $(grep -c . "$DATA/openset.list") images"
mkdir -p "$DATA/backup"
cat > "$DATA/chars.data" <<DATA
classes=$NTRAIN
train=train.list
valid=test.list
labels=labels.txt
backup=backup
top=1
DATA

declare -A secs pid loss
TAG=demo-openset
. "$ROOT/scripts/train-lib.sh"
# start_train NAME: cfg/NAME.cfg with the head's output = NTRAIN, image size PX, max_batches
start_train() {
    local name=$1 cfg=$DATA/$1.cfg
    awk -v n="$NTRAIN" -v b="$BATCHES" -v px="$PX" '
        /^# head/ { head = 1 }
        head && /^output=/ { $0 = "output=" n }
        /^max_batches=/ { $0 = "max_batches=" b }
        /^(width|height|min_crop|max_crop)=/ { sub(/=.*/, "=" px) }
        { print }' "$ROOT/cfg/$name.cfg" > "$cfg"
    train_start "$name" "$cfg" chars.data "$THREADS"
}
start_train chars-softmax; start_train chars-asoftmax
train_wait "$BATCHES" 30 chars-softmax chars-asoftmax

# ---- measuring ----
# evaluate NAME SET: SET=openset (held-out identities) or closed (test images of the
# training identities) -> $OUT/eval-NAME-SET.txt (+ -angles.tsv, -roc.tsv)
evaluate() {
    local name=$1 set=$2 args
    if [ "$set" = openset ]; then
        args=(--pairs "$PAIRS" --openset "$name.cfg" "backup/$name.weights" openset.list openset-labels.txt)
    else # the report takes only top-1 from the closed set: no verification pairs (a split of
         # 2 faces has 1 same-identity pair per identity), pair statistics on 1000 images
        args=(--pairs 0 --hist-max 1000 "$name.cfg" "backup/$name.weights" test.list labels.txt); fi
    echo "demo-openset: measuring $name on the $set images (asoftmax_eval)"
    (cd "$DATA" && "$EVAL" --seed "$SEED" --out "$OUT/eval-$name-$set" "${args[@]}" \
        > "$OUT/eval-$name-$set.log" 2>&1) ||
        { echo "demo-openset: asoftmax_eval failed on $name ($set); see $OUT/eval-$name-$set.log" >&2; exit 1; }
}
for name in chars-softmax chars-asoftmax; do evaluate "$name" openset; evaluate "$name" closed; done
kv() { sed -n "s/^$2=//p" "$OUT/eval-$1.txt"; } # kv NAME-SET KEY
pct() { case $1 in ''|NA) echo NA ;; *) awk -v x="$1" 'BEGIN { printf "%.2f", 100 * x }' ;; esac; }

# ---- pictures ----
echo "demo-openset: drawing the pictures (gnuplot)"
gnuplot <<GP
set terminal pngcairo size 700,500 font 'DejaVu Sans,10'
set output '$OUT/roc.png'
set logscale x; set format x '10^{%L}'; set xrange [1e-5:1]; set yrange [0:1]
set xlabel 'false accept rate (held-out identities, all pairs)'; set ylabel 'true accept rate'
set key bottom right; set grid
set title "Open set: $HOLD characters never seen in training"
plot '$OUT/eval-chars-softmax-openset-roc.tsv' using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'softmax', \
     '$OUT/eval-chars-asoftmax-openset-roc.tsv' using 1:2 with lines lw 2 lc rgb '#d62728' title '[asoftmax]'
GP
gnuplot <<GP
set terminal pngcairo size 1000,380 font 'DejaVu Sans,10'
set output '$OUT/angles.png'
set multiplot layout 1,2 title "Held-out identities: angles between embeddings, all pairs"
set xrange [0:180]; set xtics 30; set xlabel 'pair angle (degrees)'; set ylabel 'fraction of pairs per degree'
set key top right; set grid; set style fill transparent solid 0.35 noborder
do for [h in "softmax asoftmax"] {
    f = "$OUT/eval-chars-".h."-openset-angles.tsv"
    set title sprintf("%s head", h)
    plot f using ((\$1+\$2)/2):(\$5/(\$2-\$1)) with filledcurves y1=0 lc rgb '#1f77b4' title 'same identity', \
         f using ((\$1+\$2)/2):(\$6/(\$2-\$1)) with filledcurves y1=0 lc rgb '#d62728' title 'different identities'
}
unset multiplot
GP

# ---- report ----
row() { # row NAME
    local o=$1-openset c=$1-closed
    printf '| %s | %s ± %s | %s | %s | %.4f | %.3f | %s | %s / %s s |\n' "$1" \
        "$(pct "$(kv "$o" verif_mean)")" "$(pct "$(kv "$o" verif_std)")" \
        "$(pct "$(kv "$o" tar_far1e-3)")" "$(pct "$(kv "$o" tar_far1e-4)")" \
        "$(kv "$o" afs)" "$(kv "$o" angle_overlap)" "$(pct "$(kv "$c" top1)")" "$BATCHES" "${secs[$1]}"
}
report=$OUT/report.md
{
    echo "# Open-set characters: softmax vs [asoftmax] ($(date -u '+%Y-%m-%d %H:%M UTC'), $NCPU CPU cores)"
    echo
    echo "Command: \`make demo-openset OPENSET_SIZE=$SIZE\` (identities $IDS, held out $HOLD, ${PX}x$PX px,"
    echo "$PER training images per face, min faces $MINF, $BATCHES batches of 128, seed $SEED);"
    echo "$(( $(date +%s) - t_start )) s for rendering, training, measuring and drawing."
    echo "$nfonts typefaces; $NTRAIN training identities ($(grep -c . "$DATA/train.list") images),"
    echo "$HOLD held-out identities ($(grep -c . "$DATA/openset.list") images), never seen in training."
    echo "The two cfgs differ only in the head; they trained side by side, $THREADS thread(s) each."
    echo
    echo "| model | open-set verification % (10 folds) | TAR @ FAR 1e-3 % | TAR @ FAR 1e-4 % | open-set AFS ↓ | angle overlap ↓ | closed-set top-1 % | batches / train s |"
    echo "|---|---|---|---|---|---|---|---|"
    row chars-softmax
    row chars-asoftmax
    echo
    echo "- Verification: $PAIRS pairs of held-out images (half same identity), cosine similarity,"
    echo "  threshold chosen on 9 folds, accuracy on the 10th; mean ± sample std over the folds."
    echo "  TAR @ FAR: over all pairs of held-out images (tools/asoftmax_eval.c defines it)."
    echo "- Closed-set top-1: the network's own prediction on other jitter draws of the training identities."
    echo "- final average training loss (not comparable across heads): softmax ${loss[chars-softmax]}, [asoftmax] ${loss[chars-asoftmax]}."
    echo
    echo "![ROC, held-out identities](roc.png)"
    echo
    echo "![pair angles, held-out identities](angles.png)"
} > "$report"
cat "$report"
echo "demo-openset: done in $(( $(date +%s) - t_start )) s; report and pictures in $OUT"
