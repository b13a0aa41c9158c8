#!/usr/bin/env bash
# bench.sh DARKNET BENCH_DIR — `make bench`: what an [asoftmax] head costs against the stock
# [connected] + [softmax] head, measured side by side in the same run. Prints markdown:
#
#   1. the machine (date, nproc, CPU model, load average when it started);
#   2. tools/bench_heads (BENCH_DIR/bench_heads): one training step (forward + backward +
#      update through Darknet's network API, as train_network runs it: the stock head on the
#      one-hot truth, the [asoftmax] head on net->labels) of each head at (B,K,C) = (128,128,10),
#      (256,512,10572) = the SphereFace-20 head, (64,512,100000); ms, ratio asoftmax/stock,
#      peak RSS and the layers' own allocations; then a sweep over K (B=128, C=1000) and a
#      sweep over C (B=128, K=512) showing how the ratio moves as the work grows;
#   3. end to end: `darknet classifier train` of cfg/fmnist-softmax.cfg and
#      cfg/fmnist-asoftmax.cfg (identical but for the head) for BENCH_E2E_BATCHES batches
#      on Fashion-MNIST, alternating the two cfgs for BENCH_E2E_ROUNDS rounds: images/s;
#   4. with DARKNET_LOOPS (the same build on Darknet's own gemm loops, BLAS=darknet) and
#      BENCH_DIR/bench_heads_loops: the head at (256,512,10572) and the end-to-end runs on
#      both builds, OpenBLAS against the loops;
#   5. the GPU tables from BENCH_DIR/bench_heads_gpu (prints "GPU: SKIPPED" without a device,
#      or when the GPU twin was not built): the same step on the device, and for the
#      [asoftmax] head its network step against its device step (the layer's own GPU steps
#      between CUDA events) and its GEMM floor (the three cuBLAS products alone), with the
#      ratios and the floor's TFLOP/s. Printed as the program writes them; nothing parsed.
# Timings are never pass/fail: the exit status is 0 unless something could not run.
#
# Variables (defaults take ~4 min on 2 cores):
#   BENCH_REPS=5          interleaved repetitions per shape
#   BENCH_BUDGET_S=45     per shape, fewer repetitions (never < 3) if BENCH_REPS would take longer
#   BENCH_MIN_MS=200      each timed sample lasts at least this long
#   BENCH_SHAPES="128,128,10 256,512,10572 64,512,100000"   the shapes of the first table
#   BENCH_SWEEP=1         0 = skip the K and C sweeps
#   BENCH_E2E_BATCHES=25  training batches (of 128) per end-to-end run; 0 = skip end to end
#   BENCH_E2E_ROUNDS=3    end-to-end runs per cfg (the two cfgs alternate)
#   FMNIST_DIR=/usr/share/datasets/fashion-mnist
# A longer, steadier run: BENCH_REPS=15 BENCH_BUDGET_S=0 BENCH_E2E_BATCHES=100 make bench
# Data: reuses build/demo/data (from `make demo`) when its train.list is there, else converts
# BENCH_E2E_IMAGES=2560 training images into BENCH_DIR/data with build/fmnist2darknet.
set -euo pipefail

usage="usage: bench.sh DARKNET BENCH_DIR [DARKNET_LOOPS]"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "$usage" >&2; exit 1; }
DARKNET=$(readlink -f "$1")
BDIR=$(readlink -f "$2")
DARKNET_LOOPS=${3:+$(readlink -f "$3")}
BENCH=$BDIR/bench_heads
BENCH_LOOPS=$BDIR/bench_heads_loops
BENCH_GPU=$BDIR/bench_heads_gpu
CONVERTER=$ROOT/build/fmnist2darknet  # `make converter`
for exe in "$DARKNET" "$BENCH"; do
    [ -x "$exe" ] || { echo "bench: $exe is not an executable ($usage)" >&2; exit 1; }
done
REPS=${BENCH_REPS:-5}
BUDGET=${BENCH_BUDGET_S:-45}
MIN_MS=${BENCH_MIN_MS:-200}
SWEEP=${BENCH_SWEEP:-1}
read -r -a SHAPES <<< "${BENCH_SHAPES:-128,128,10 256,512,10572 64,512,100000}"
[ "${#SHAPES[@]}" -ge 1 ] || { echo "bench: BENCH_SHAPES is empty" >&2; exit 1; }
E2E_BATCHES=${BENCH_E2E_BATCHES:-25}
E2E_ROUNDS=${BENCH_E2E_ROUNDS:-3}
E2E_IMAGES=${BENCH_E2E_IMAGES:-2560}
for v in "BENCH_REPS=$REPS" "BENCH_BUDGET_S=$BUDGET" "BENCH_MIN_MS=$MIN_MS" "BENCH_SWEEP=$SWEEP" \
         "BENCH_E2E_BATCHES=$E2E_BATCHES" "BENCH_E2E_ROUNDS=$E2E_ROUNDS" "BENCH_E2E_IMAGES=$E2E_IMAGES"; do
    case ${v#*=} in ''|*[!0-9]*) echo "bench: ${v%%=*}='${v#*=}' must be a non-negative integer" >&2; exit 1;; esac
done
[ "$REPS" -ge 1 ] || { echo "bench: BENCH_REPS must be >= 1" >&2; exit 1; }
[ "$E2E_ROUNDS" -ge 1 ] || { echo "bench: BENCH_E2E_ROUNDS must be >= 1" >&2; exit 1; }
[ "$E2E_BATCHES" -eq 0 ] || [ "$E2E_BATCHES" -ge 5 ] ||
    { echo "bench: BENCH_E2E_BATCHES must be 0 (skip) or >= 5 (the first 2 batches are warm-up)" >&2; exit 1; }
# libgomp's spin-waiting makes Darknet several times slower whenever anything else wants a
# core (see scripts/demo.sh); passive waiting costs nothing on an idle machine
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
t_start=$(date +%s)

echo "# make bench: [asoftmax] vs [connected] + [softmax]"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPU cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1));" \
     "load average at start $(cut -d' ' -f1-3 /proc/loadavg); OMP_WAIT_POLICY=$OMP_WAIT_POLICY" \
     "OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}; $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo 'not a git checkout')."
echo "Darknet: $DARKNET (the OPENMP=1 -Ofast build, products on OpenBLAS unless built with BLAS=darknet;" \
     "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})."
echo
common=(--reps "$REPS" --budget-s "$BUDGET" --min-ms "$MIN_MS")

echo "## The head alone, CPU"
echo
"$BENCH" "${common[@]}" "${SHAPES[@]}"
if [ "$SWEEP" -ne 0 ]; then
    echo
    echo "## Sweep over K (B = 128, C = 1000)"
    echo
    "$BENCH" "${common[@]}" --no-mem 128,16,1000 128,32,1000 128,64,1000 128,128,1000 \
        128,256,1000 128,512,1000 128,1024,1000 | sed -n '/^| B | K | C | GFLOP/,/^$/p'
    echo "## Sweep over C (B = 128, K = 512)"
    echo
    "$BENCH" "${common[@]}" --no-mem 128,512,10 128,512,30 128,512,100 128,512,300 \
        128,512,1000 128,512,3000 128,512,10000 | sed -n '/^| B | K | C | GFLOP/,/^$/p'
else
    echo
fi

# ---- end to end: darknet classifier train, both cfgs, alternating ----
if [ "$E2E_BATCHES" -gt 0 ]; then
    echo "## End to end: darknet classifier train on Fashion-MNIST (batch 128; $E2E_BATCHES batches per run; runs per cfg: $E2E_ROUNDS)"
    echo
    FMNIST=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
    OUT=$BDIR/e2e
    mkdir -p "$OUT/backup"
    # the images: build/demo/data when `make demo` converted them, else our own subset
    if [ -s "$ROOT/build/demo/data/train.list" ] && [ -s "$ROOT/build/demo/data/labels.txt" ] &&
       [ "$(wc -l < "$ROOT/build/demo/data/train.list")" -ge "$E2E_IMAGES" ]; then
        DATA=$ROOT/build/demo/data
        data_note="the $(wc -l < "$DATA/train.list") training images of build/demo/data"
    else
        [ -x "$CONVERTER" ] || { echo "bench: $CONVERTER is not an executable" >&2; exit 1; }
        DATA=$BDIR/data
        "$CONVERTER" "$FMNIST/train-images-idx3-ubyte.gz" "$FMNIST/train-labels-idx1-ubyte.gz" \
            "$DATA" train "$E2E_IMAGES" > "$OUT/convert.log" 2>&1 ||
            { cat "$OUT/convert.log" >&2; echo "bench: converting Fashion-MNIST failed" >&2; exit 1; }
        data_note="$E2E_IMAGES training images converted into $DATA"
    fi
    # Darknet runs in $DATA (the list's paths are relative to it); everything it writes goes to $OUT
    cat > "$OUT/fmnist.data" <<EOF
classes=10
train=$DATA/train.list
labels=$DATA/labels.txt
backup=$OUT/backup
top=1
EOF
    for name in fmnist-softmax fmnist-asoftmax; do
        sed "s/^max_batches=.*/max_batches=$E2E_BATCHES/" "$ROOT/cfg/$name.cfg" > "$OUT/$name.cfg"
        grep -qx "max_batches=$E2E_BATCHES" "$OUT/$name.cfg" ||
            { echo "bench: cannot set max_batches in $OUT/$name.cfg" >&2; exit 1; }
    done
    median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    # e2e_table DARKNET LABEL: the alternating runs with one darknet binary, and their table
    e2e_table() {
    local dn=$1 label=$2 runs round order name log start end n m s_med s_min w_med r_train r_wall
    runs=$OUT/runs-$label.tsv # round, cfg, median s/batch of the run, wall s of the run
    : > "$runs"
    for ((round = 1; round <= E2E_ROUNDS; ++round)); do
        order="fmnist-softmax fmnist-asoftmax"
        [ $((round % 2)) -eq 0 ] && order="fmnist-asoftmax fmnist-softmax"
        for name in $order; do
            log=$OUT/train-$label-$name-$round.log
            rm -f "$OUT/backup/$name"*.weights
            start=$(date +%s.%N)
            # stdout and stderr apart: stdout is block-buffered into the file, so a stderr line
            # ("Saving weights to ...") would land in the middle of a batch line
            (cd "$DATA" && "$dn" classifier train "$OUT/fmnist.data" "$OUT/$name.cfg" > "$log" 2> "$log.err") ||
                { tail -5 "$log" "$log.err" >&2; echo "bench: darknet classifier train $name failed; see $log" >&2; exit 1; }
            end=$(date +%s.%N)
            # "12, 0.026: 2.112, 2.301 avg, 0.05 rate, 0.281 seconds, 1536 images": the
            # seconds of train_network alone; batches 1-2 are warm-up
            n=$(grep -cE '^[0-9]+, [0-9.]+: .* seconds, [0-9]+ images$' "$log" || true)
            [ "$n" -eq "$E2E_BATCHES" ] ||
                { echo "bench: $log has $n batch lines, expected $E2E_BATCHES" >&2; exit 1; }
            m=$(grep -E '^[0-9]+, [0-9.]+: .* seconds, [0-9]+ images$' "$log" | tail -n +3 |
                sed -E 's/.* ([0-9.]+) seconds, [0-9]+ images$/\1/' | median)
            printf '%d\t%s\t%s\t%s\n' "$round" "$name" "$m" \
                "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" >> "$runs"
        done
    done
    echo "Build: $label ($dn)."
    echo
    echo "| cfg | median s/batch | fastest run s/batch | images/s (train) | median run s | images/s (wall) |"
    echo "|---|---:|---:|---:|---:|---:|"
    for name in fmnist-softmax fmnist-asoftmax; do
        s_med=$(awk -F'\t' -v n="$name" '$2 == n { print $3 }' "$runs" | median)
        s_min=$(awk -F'\t' -v n="$name" '$2 == n { print $3 }' "$runs" | sort -g | head -1)
        w_med=$(awk -F'\t' -v n="$name" '$2 == n { print $4 }' "$runs" | median)
        awk -v n="$name" -v s="$s_med" -v f="$s_min" -v w="$w_med" -v b="$E2E_BATCHES" \
            'BEGIN { printf "| %s | %.4f | %.4f | %.0f | %.1f | %.0f |\n", n, s, f, 128 / s, w, b * 128 / w }'
    done
    r_train=$(awk -F'\t' '{ v[$1, $2] = $3 } END { for (r = 1; (r, "fmnist-softmax") in v; ++r)
                  print v[r, "fmnist-asoftmax"] / v[r, "fmnist-softmax"] }' "$runs" | median)
    r_wall=$(awk -F'\t' '{ v[$1, $2] = $4 } END { for (r = 1; (r, "fmnist-softmax") in v; ++r)
                  print v[r, "fmnist-asoftmax"] / v[r, "fmnist-softmax"] }' "$runs" | median)
    printf '\nratio asoftmax/softmax: %.3f per batch (train), %.3f per run (wall). Runs: %s, logs: %s/train-%s-*.log\n\n' \
        "$r_train" "$r_wall" "$runs" "$OUT" "$label"
    }
    echo "Data: $data_note. Per run: the median of Darknet's per-batch train_network seconds"
    echo "(batches 3..$E2E_BATCHES); images/s (train) = 128 / the median of the runs' medians; images/s (wall) ="
    echo "$E2E_BATCHES × 128 / the median wall time of a run (start-up, image loading, weight saving included)."
    echo "The cfgs alternate run by run; ratio = the median over rounds of asoftmax/softmax in the same round."
    echo
    e2e_table "$DARKNET" openblas
    if [ -n "$DARKNET_LOOPS" ]; then e2e_table "$DARKNET_LOOPS" darknet-loops; fi
fi

# ---- OpenBLAS against Darknet's own loops, the head alone ----
if [ -n "$DARKNET_LOOPS" ] && [ -x "$BENCH_LOOPS" ]; then
    echo "## The head alone: OpenBLAS against Darknet's own gemm loops"
    echo
    echo "One training step at (B, K, C) = (256, 512, 10572), medians (ms); the same program built"
    echo "against each build, run one after the other."
    echo
    echo "| build | stock ms | asoftmax ms | asoftmax three products ms | asoftmax step / products |"
    echo "|---|---:|---:|---:|---:|"
    for b in openblas darknet-loops; do
        exe=$BENCH; [ "$b" = darknet-loops ] && exe=$BENCH_LOOPS
        "$exe" --reps 3 --budget-s "$BUDGET" --min-ms "$MIN_MS" --no-mem 256,512,10572 > "$BDIR/head-$b.md" 2>/dev/null ||
            { echo "bench: $exe failed" >&2; exit 1; }
        # the main table's row (GFLOP column 8.31) and the products table's row (bold ratio last)
        ms=$(grep -E '^\| 256 \| 512 \| 10572 \| 8\.31 \|' "$BDIR/head-$b.md" | head -1 |
             awk -F'|' '{ gsub(/ /, "", $6); gsub(/ /, "", $7); print $6, $7 }')
        pr=$(grep -E '^\| 256 \| 512 \| 10572 \| [0-9.]+ \| [0-9.]+ \| \*\*[0-9.]+\*\* \|$' "$BDIR/head-$b.md" | head -1 |
             awk -F'|' '{ gsub(/ /, "", $5); gsub(/[ *]/, "", $7); print $5, $7 }')
        read -r stock_ms asm_ms <<< "$ms"
        read -r prod_ms prod_ratio <<< "$pr"
        echo "| $b | $stock_ms | $asm_ms | $prod_ms | $prod_ratio |"
    done
    echo
fi

# ---- GPU ----
echo "## The head alone, GPU"
echo
if [ -x "$BENCH_GPU" ]; then
    "$BENCH_GPU" "${common[@]}" "${SHAPES[@]}" 128,512,1000 128,512,10000
else
    echo "GPU: SKIPPED (no GPU twin at $BENCH_GPU: nvcc or build/darknet-gpu missing)"
fi
echo
echo "bench: done in $(( $(date +%s) - t_start )) s"
