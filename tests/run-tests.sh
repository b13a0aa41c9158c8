#!/usr/bin/env bash
# run-tests.sh DARKNET TESTDIR [SHIPPED] — run every test suite of the project (`make test`).
#   DARKNET is the test build (-O2 -g); TESTDIR holds the built test programs (test_asoftmax,
#   fmnist2darknet, ...) and scratch space. SHIPPED, when given, is the darknet users run
#   (-Ofast, OpenMP): the bad-input suite runs against it as well, and so does the unit suite
#   as TESTDIR/shipped/test_asoftmax (linked against the shipped libdarknet.a).
# Each suite prints its own `N passed, N failed` line; a suite that dies without one counts
# as one failure; `N skipped` (tests that need hardware that is absent) is counted apart,
# never as passed. Ends with the total `N passed, N failed, N skipped`; exit status 1 on
# any failure.
set -uo pipefail

DARKNET=${1:?usage: run-tests.sh DARKNET TESTDIR}
DIR=${2:?usage: run-tests.sh DARKNET TESTDIR [SHIPPED]}
SHIPPED=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
total_pass=0 total_fail=0 total_skip=0

suite() { # suite NAME COMMAND...
    local name=$1 log="$DIR/$1.log" line p f sk start=$SECONDS
    shift
    echo "== $name"
    "$@" > "$log" 2>&1
    local rc=$?
    grep -E '^(PASS|FAIL|SKIPPED|gradcheck|float vs|gpu vs|e2e|bad input)' "$log" | grep -v '^PASS' | head -40
    line=$(grep -oE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    if [ -z "$line" ]; then
        echo "   $name died without a summary (exit $rc); last lines of $log:"; tail -15 "$log"
        total_fail=$((total_fail + 1)); return
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed}
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1   # a non-zero exit is a failure even if uncounted
    sk=$(grep -oE '[0-9]+ skipped' "$log" | tail -1 | cut -d' ' -f1)
    sk=${sk:-0}
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + sk))
    echo "   $name: $p passed, $f failed, $sk skipped ($((SECONDS - start)) s)"
}

suite unit      "$DIR/test_asoftmax" "$DIR"
suite bad_input "$HERE/bad_input.sh" "$DARKNET" "$DIR/bad_input"
suite e2e       "$HERE/e2e_smoke.sh" "$DARKNET" "$DIR/fmnist2darknet" "$DIR/e2e"
if [ -n "$SHIPPED" ]; then
    suite unit_shipped      "$DIR/shipped/test_asoftmax" "$DIR/shipped"
    suite bad_input_shipped "$HERE/bad_input.sh" "$SHIPPED" "$DIR/bad_input_shipped"
else
    echo "== unit_shipped, bad_input_shipped"; echo "   SKIPPED: no shipped build given (SANITIZE=1)"
fi
suite eval_metrics  "$DIR/test_eval_metrics"
suite sphereface20  "$DIR/test_sphereface20" "$HERE/../cfg/sphereface20.cfg" "$DIR"
suite loader        "$DIR/test_loader" "$DIR"
suite network_parity_check "$DIR/test_network_parity_cpu" "$DIR" "$HERE/parity-head.cfg:16" \
    "$HERE/../cfg/fmnist-asoftmax.cfg:16" "$HERE/../cfg/fmnist-softmax.cfg:16"
suite eval_tool     "$HERE/test_eval_tool.sh" "$DARKNET" "$DIR/asoftmax_eval" "$DIR/e2e/data" "$DIR/eval_tool"
suite prepare_casia "$HERE/test_prepare_casia.sh" "$DIR/prepare_casia"

if [ -x "$DIR/test_asoftmax_gpu" ]; then
    suite gpu "$DIR/test_asoftmax_gpu"
    suite gpu_network "$DIR/test_network_gpu" "$DIR" "$HERE/parity-head.cfg:16" \
        "$HERE/../cfg/fmnist-asoftmax.cfg:16" "$HERE/../cfg/fmnist-softmax.cfg:16" \
        "$HERE/../cfg/sphereface20.cfg:2"
else
    echo "== gpu"; echo "   gpu: SKIPPED (not built: no CUDA toolkit, or SANITIZE=1)"; total_skip=$((total_skip + 2))
fi

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
