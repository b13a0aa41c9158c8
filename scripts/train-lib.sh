# train-lib.sh — sourced by scripts/demo.sh and scripts/demo-openset.sh: run Darknet's
# `classifier train` on prepared cfgs in the background and wait for them with progress.
# The caller defines DARKNET, DATA (the folder the .data file and backup/ are in), OUT (logs),
# TAG (the message prefix, e.g. "demo"), t_start (date +%s of the start) and the associative
# arrays pid, secs and loss (declare -A).

# train_start NAME CFG DATAFILE [THREADS]: train CFG (a file in DATA) in the background
# -> $OUT/train-NAME.log, $OUT/train-NAME.time ("start end" in seconds), DATA/backup/NAME.weights
train_start() {
    local name=$1 cfg=$2 datafile=$3 threads=${4:-} log=$OUT/train-$1.log
    rm -f "$DATA/backup/$name".weights "$DATA/backup/${name}"_*.weights "$OUT/train-$name.time"
    echo "$TAG: training $name.cfg for $(sed -n 's/^max_batches=//p' "$cfg") batches${threads:+ ($threads thread(s))} (log: $log)"
    (
        cd "$DATA"
        [ -n "$threads" ] && export OMP_NUM_THREADS=$threads
        s=$(date +%s.%N)
        stdbuf -oL "$DARKNET" classifier train "$datafile" "$cfg" > "$log" 2>&1
        echo "$s $(date +%s.%N)" > "$OUT/train-$name.time"
    ) &
    pid[$name]=$!
}

# train_wait BATCHES PERIOD NAME...: wait for these trainings, printing each one's batch and
# average loss every PERIOD seconds; then check each (exit status, no NaN loss, a weights
# file; AlexeyAB's fork's NAME_final.weights renamed NAME.weights) and set secs[NAME], loss[NAME]
train_wait() {
    local n=$1 period=$2 name last i busy; shift 2
    while :; do
        for i in $(seq "$period"); do
            busy=0
            for name; do kill -0 "${pid[$name]}" 2>/dev/null && busy=1; done
            [ "$busy" = 1 ] || break 2
            sleep 1
        done
        for name; do
            last=$(grep -E '^[0-9]+, [0-9.]+: ' "$OUT/train-$name.log" | tail -1 || true)
            [ -n "$last" ] && echo "  $name: batch $(cut -d, -f1 <<<"$last")/$n, avg loss $(awk '{print $4}' <<<"$last"), $(( $(date +%s) - t_start )) s into the $TAG"
        done
    done
    for name; do
        wait "${pid[$name]}" && [ -s "$OUT/train-$name.time" ] ||
            { echo "$TAG: training $name failed; see $OUT/train-$name.log" >&2; exit 1; }
        secs[$name]=$(awk '{printf "%.0f", $2 - $1}' "$OUT/train-$name.time")
        ! grep -E '^[0-9]+, [0-9.]+: ' "$OUT/train-$name.log" | tail -1 | grep -qi nan ||
            { echo "$TAG: training $name diverged (loss nan; see $OUT/train-$name.log); run it again" >&2; exit 1; }
        loss[$name]=$(grep -E '^[0-9]+, [0-9.]+: ' "$OUT/train-$name.log" | tail -1 | awk '{printf "%.3f", $4}')
        [ -s "$DATA/backup/$name.weights" ] || [ ! -s "$DATA/backup/${name}_final.weights" ] ||
            mv "$DATA/backup/${name}_final.weights" "$DATA/backup/$name.weights"
        [ -s "$DATA/backup/$name.weights" ] || { echo "$TAG: no $DATA/backup/$name.weights after training" >&2; exit 1; }
    done
}
