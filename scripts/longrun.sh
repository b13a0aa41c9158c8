#!/usr/bin/env bash
# longrun.sh DARKNET CONVERTER — `make longrun`: long-run stability of [asoftmax] training.
# Trains cfg/fmnist-asoftmax.cfg on all 60000 Fashion-MNIST images for LONGRUN_BATCHES
# (default 5000) batches of 128 with `darknet classifier train`, then checks that no loss is
# NaN/Inf, that the loss fell (mean of the last 100 batches below the first 100), and that
# the final weights validate. About 40 min on 2 cores (38 min measured); not part of CI. Progress every 30 s.
set -uo pipefail
# OpenMP threads that spin while waiting slow Darknet ~10x when another process shares a core
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

DARKNET=$(readlink -f "${1:?usage: longrun.sh DARKNET CONVERTER}")
CONVERTER=$(readlink -f "${2:?usage: longrun.sh DARKNET CONVERTER}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/longrun
DATA=$OUT/data
FMNIST=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
BATCHES=${LONGRUN_BATCHES:-5000}
case "$BATCHES" in ''|*[!0-9]*) echo "longrun: LONGRUN_BATCHES must be a positive integer" >&2; exit 1;; esac
[ "$BATCHES" -ge 200 ] || { echo "longrun: LONGRUN_BATCHES must be >= 200" >&2; exit 1; }
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

mkdir -p "$DATA/backup"
"$CONVERTER" "$FMNIST/train-images-idx3-ubyte.gz" "$FMNIST/train-labels-idx1-ubyte.gz" "$DATA" train 0 || exit 1
"$CONVERTER" "$FMNIST/t10k-images-idx3-ubyte.gz" "$FMNIST/t10k-labels-idx1-ubyte.gz" "$DATA" test 0 || exit 1
printf 'classes=10\ntrain=train.list\nvalid=test.list\nlabels=labels.txt\nbackup=backup\ntop=1\n' > "$DATA/fmnist.data"
sed "s/^max_batches=.*/max_batches=$BATCHES/" "$ROOT/cfg/fmnist-asoftmax.cfg" > "$DATA/longrun.cfg"
rm -f "$DATA/backup/longrun"*

echo "longrun: $BATCHES batches of fmnist-asoftmax.cfg (log: $OUT/train.log)"
start=$SECONDS
(cd "$DATA" && stdbuf -oL "$DARKNET" classifier train fmnist.data longrun.cfg > "$OUT/train.log" 2> "$OUT/train.err") &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    sleep 30
    last=$(grep -E '^[0-9]+, [0-9.]+: ' "$OUT/train.log" | tail -1)
    [ -n "$last" ] && echo "  batch $(cut -d, -f1 <<<"$last")/$BATCHES, avg loss $(awk '{print $4}' <<<"$last"), $((SECONDS - start)) s"
done
wait "$pid"; rc=$?
[ $rc -eq 0 ] && ok "classifier train exited 0 after $((SECONDS - start)) s" || bad "classifier train exit $rc"

grep -E '^[0-9]+, [0-9.]+: ' "$OUT/train.log" | awk '{print $3}' | tr -d , > "$OUT/loss.txt"
n=$(wc -l < "$OUT/loss.txt")
[ "$n" -ge "$BATCHES" ] && ok "$n loss lines" || bad "only $n loss lines of $BATCHES"
if grep -qiE 'nan|inf' "$OUT/loss.txt"; then bad "NaN/Inf loss"; else ok "no NaN/Inf in $n losses"; fi
read -r first last <<<"$(awk -v n="$n" 'NR<=100{a+=$1} NR>n-100{b+=$1} END{printf "%.4f %.4f", a/100, b/100}' "$OUT/loss.txt")"
awk -v a="$first" -v b="$last" 'BEGIN{exit !(b < a)}' && ok "loss fell: first 100 batches $first, last 100 $last" \
    || bad "loss did not fall: first 100 batches $first, last 100 $last"
if (cd "$DATA" && "$DARKNET" classifier valid fmnist.data longrun.cfg backup/longrun.weights > "$OUT/valid.log" 2>&1); then
    ok "classifier valid: $(grep 'top 1:' "$OUT/valid.log" | tail -1)"
else
    bad "classifier valid failed"
fi
echo "longrun: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
