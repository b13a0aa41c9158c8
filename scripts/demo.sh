#!/usr/bin/env bash
# demo.sh DARKNET CONVERTER — the main job (`make demo`): train the softmax and [asoftmax]
# Fashion-MNIST cfgs (cfg/fmnist-*.cfg, identical but for the head) side by side with
# Darknet's own commands, validate both on the 10k test images, and write
# build/demo/report.md.
#   DEMO_BATCHES=1000  training batches of 128 per model (about 5 min each on 2 cores)
#   DEMO_TRAIN=0       training images to convert (0 = all 60000)
set -euo pipefail

DARKNET=$(readlink -f "${1:?usage: demo.sh DARKNET CONVERTER}")
CONVERTER=$(readlink -f "${2:?usage: demo.sh DARKNET CONVERTER}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/demo
DATA=$OUT/data
FMNIST=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
BATCHES=${DEMO_BATCHES:-1000}
NTRAIN=${DEMO_TRAIN:-0}
case "$BATCHES$NTRAIN" in *[!0-9]*) echo "demo: DEMO_BATCHES and DEMO_TRAIN must be integers" >&2; exit 1;; esac
[ "$BATCHES" -ge 1 ] || { echo "demo: DEMO_BATCHES must be >= 1" >&2; exit 1; }

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

declare -A top1 loss secs ips
for head in softmax asoftmax; do
    cfg=$DATA/fmnist-$head.cfg
    sed "s/^max_batches=.*/max_batches=$BATCHES/" "$ROOT/cfg/fmnist-$head.cfg" > "$cfg"
    rm -f "$DATA/backup/fmnist-$head"*.weights
    log=$OUT/train-$head.log
    echo "demo: training fmnist-$head.cfg for $BATCHES batches (log: $log)"
    start=$(date +%s.%N)
    (cd "$DATA" && stdbuf -oL "$DARKNET" classifier train fmnist.data "$cfg" > "$log" 2>&1) &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 15
        last=$(grep -E '^[0-9]+, [0-9.]+: ' "$log" | tail -1 || true)
        [ -n "$last" ] && echo "  $head: batch $(cut -d, -f1 <<<"$last")/$BATCHES, avg loss $(awk '{print $4}' <<<"$last")"
    done
    wait "$pid" || { echo "demo: training $head failed; see $log" >&2; exit 1; }
    end=$(date +%s.%N)
    secs[$head]=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.0f", b-a}')
    ips[$head]=$(awk -v s="${secs[$head]}" -v n="$BATCHES" 'BEGIN{printf "%.0f", n*128/s}')
    loss[$head]=$(grep -E '^[0-9]+, [0-9.]+: ' "$log" | tail -1 | awk '{print $4}')
    weights=$(ls -t "$DATA/backup/fmnist-$head"*.weights | head -1)
    echo "demo: validating $head on the 10000 test images"
    (cd "$DATA" && "$DARKNET" classifier valid fmnist.data "$cfg" "$weights" > "$OUT/valid-$head.log" 2>&1) \
        || { echo "demo: validation of $head failed; see $OUT/valid-$head.log" >&2; exit 1; }
    top1[$head]=$(grep 'top 1:' "$OUT/valid-$head.log" | tail -1 | sed -E 's/.*top 1: ([0-9.]+).*/\1/')
done

report=$OUT/report.md
{
    echo "# Fashion-MNIST: softmax vs [asoftmax] ($(date -u +%Y-%m-%d), $(nproc) CPU cores)"
    echo
    echo "Command: \`make demo DEMO_BATCHES=$BATCHES DEMO_TRAIN=$NTRAIN\`. Both cfgs are identical but for"
    echo "the head; batch 128, $BATCHES batches, evaluated on the 10000 test images."
    echo
    echo "| head | top-1 (test) | final avg loss | train time (s) | images/s |"
    echo "|---|---|---|---|---|"
    for head in softmax asoftmax; do
        echo "| $head | ${top1[$head]} | ${loss[$head]} | ${secs[$head]} | ${ips[$head]} |"
    done
    echo
    echo "The two losses are not comparable: [asoftmax] reports the margin loss."
} > "$report"
cat "$report"
