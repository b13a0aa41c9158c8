#!/usr/bin/env bash
# cross_fork.sh PJ_DARKNET AB_DARKNET E2E_DATA WORKDIR — weights files move between the forks.
#
# Trains the e2e smoke cfg (cfg/fmnist-asoftmax.cfg, 40 batches of 32; E2E_DATA is a folder
# that tests/e2e_smoke.sh prepared: fmnist.data, smoke.cfg, the image lists) once with
# pjreddie's Darknet and once with AlexeyAB's fork, then, for each of the two weights files,
# with BOTH binaries:
#   (a) `classifier valid` exits 0 and prints the same top-1 on the 200 test images;
#   (b) `classifier predict -t 10` on the first 20 test images gives every class the same
#       probability, within 6e-5: pjreddie prints percentages with 2 decimals (a rounding
#       error up to 5e-5), the fork 6 decimals (5e-7); the two builds' float results differ
#       by ~1e-6 (different summation orders), so 6e-5 leaves that a 10x margin and still
#       catches a wrongly read or shifted weight, which moves probabilities by > 1e-3.
# Both forks write the same layout (header with `seen` as uint64, then each layer's floats;
# [asoftmax]: its outputs x inputs weights, row j = class j).
# Exit status = number of failed checks; the last line is "cross_fork: N passed, N failed".
set -uo pipefail

[ $# -eq 4 ] || { echo "usage: $0 PJ_DARKNET AB_DARKNET E2E_DATA WORKDIR" >&2; exit 2; }
abspath() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
PJ=$(abspath "$1") AB=$(abspath "$2") DATA=$(abspath "$3") WORK=$(abspath "$4")
for f in "$PJ" "$AB"; do [ -x "$f" ] || { echo "cross_fork: $f is not an executable" >&2; exit 2; }; done
for f in fmnist.data smoke.cfg train.list test.list labels.txt; do
    [ -s "$DATA/$f" ] || { echo "cross_fork: $DATA/$f missing (run tests/e2e_smoke.sh first)" >&2; exit 2; }
done
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# Darknet's drivers leak (examples/classifier.c); under ASan only our tests check leaks
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# predictions FORK EXE WEIGHTS OUT: "image class probability" lines of the first 20 images
predictions() {
    local fork=$1 exe=$2 w=$3 out=$4
    head -n 20 test.list | timeout 300 "$exe" classifier predict fmnist.data smoke.cfg "$w" -t 10 \
        ${fork:+-dont_show} > "$out.raw" 2> "$out.err" || return 1
    if [ -z "$fork" ]; then # pjreddie: "Enter Image Path: 57.85%: boot", then " 6.88%: sneaker"
        sed -E 's/^(Enter Image Path: )+//' "$out.raw" |
            awk '/^ *[0-9.]+%: / { split($0, a, "%: "); printf "%d %s %.6f\n", int(n / 10), a[2], a[1] / 100; n++ }'
    else # the fork: "boot: 0.578456" (other lines: timings, prompts)
        awk '/^[A-Za-z_-]+: [0-9.]+$/ { printf "%d %s %.6f\n", int(n / 10), substr($1, 1, length($1) - 1), $2; n++ }' "$out.raw"
    fi | sort > "$out"
}

for trainer in pjreddie alexeyab; do
    dir=$WORK/$trainer
    rm -rf "$dir"; mkdir -p "$dir/backup"
    for f in fmnist.data smoke.cfg train.list test.list labels.txt train test; do ln -s "$DATA/$f" "$dir/$f"; done
    cd "$dir" || exit 2
    exe=$PJ; [ "$trainer" = alexeyab ] && exe=$AB
    echo "cross_fork: training smoke.cfg with $trainer's Darknet"
    opt=(); [ "$trainer" = alexeyab ] && opt=(-dont_show)
    if ! timeout 600 "$exe" classifier train fmnist.data smoke.cfg "${opt[@]}" > train.log 2> train.err; then
        fail "$trainer: classifier train failed (see $dir/train.err)"; continue
    fi
    w=backup/smoke.weights; [ -s "$w" ] || w=backup/smoke_final.weights
    [ -s "$w" ] || { fail "$trainer: no weights written"; continue; }

    # (a) classifier valid on both forks
    tops=()
    for reader in pjreddie alexeyab; do
        rexe=$PJ; [ "$reader" = alexeyab ] && rexe=$AB
        t=$(timeout 300 "$rexe" classifier valid fmnist.data smoke.cfg "$w" 2> "valid-$reader.err" |
            grep -E '^[0-9]+: top 1: ' | tail -n 1 | sed -E 's/^[0-9]+: top 1: ([0-9.]+),.*/\1/')
        tops+=("${t:-none}")
    done
    if [ "${tops[0]}" != none ] && [ "${tops[0]}" = "${tops[1]}" ]; then
        pass "weights of $trainer: classifier valid top-1 ${tops[0]} on pjreddie's and on the fork's Darknet"
    else
        fail "weights of $trainer: classifier valid top-1 pjreddie ${tops[0]}, alexeyab ${tops[1]}"
    fi

    # (b) classifier predict on both forks: every class probability of 20 images
    if predictions "" "$PJ" "$w" pred-pjreddie.txt && predictions alexeyab "$AB" "$w" pred-alexeyab.txt &&
       [ "$(wc -l < pred-pjreddie.txt)" -eq 200 ] && [ "$(wc -l < pred-alexeyab.txt)" -eq 200 ]; then
        worst=$(join -j1 <(awk '{print $1"/"$2, $3}' pred-pjreddie.txt) <(awk '{print $1"/"$2, $3}' pred-alexeyab.txt) |
            awk 'BEGIN { w = 0; n = 0 } { d = $2 - $3; d = d < 0 ? -d : d; if (d > w) w = d; n++ }
                 END { if (n != 200) print "mismatch"; else printf "%.2g\n", w }')
        if [ "$worst" != mismatch ] && awk -v w="$worst" 'BEGIN { exit !(w <= 6e-5) }'; then
            pass "weights of $trainer: 20 images x 10 classes predicted alike on both forks (max |dp| $worst <= 6e-5)"
        else
            fail "weights of $trainer: predictions differ between the forks (max |dp| $worst; $dir/pred-*.txt)"
        fi
    else
        fail "weights of $trainer: classifier predict failed or printed too few lines ($dir/pred-*.txt)"
    fi
done

echo "cross_fork: $passed passed, $failed failed"
exit "$failed"
