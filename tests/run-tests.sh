#!/usr/bin/env bash
# run-tests.sh --fork NAME DARKNET TESTDIR SHIPPED [--fork NAME DARKNET TESTDIR SHIPPED]
#   — run every test suite of the project (`make test`), for each fork given.
#   NAME is pjreddie or alexeyab; DARKNET is that fork's test build (-O2 -g); TESTDIR holds
#   its test programs (test_asoftmax, test_asoftmax_network, ...) and scratch space; SHIPPED is the darknet users run
#   (-Ofast, OpenMP), or - (SANITIZE=1): the bad-input suite runs against it as well, and so
#   do the unit suites as TESTDIR/shipped/test_asoftmax{,_network} (linked against its
#   libdarknet.a).
#   pjreddie runs every suite; alexeyab runs the layer's suites (unit, bad input, e2e, the
#   shipped build, the GPU-vs-CPU test, the emulated GPU suites); with both, cross_fork
#   trains on each fork and predicts on the other. The emulated GPU suites (the GPU code on
#   the CPU, tests/cuda-emu) use TESTDIR/emu, which `make emu-build` fills. The tools (converter, asoftmax_eval) come from pjreddie's TESTDIR.
#   SKIPPED_FORK="NAME: reason" reports a fork that could not be tested (counted as skipped).
# Each suite prints its own `N passed, N failed` line; a suite that dies without one counts
# as one failure; `N skipped` (tests that need hardware that is absent) is counted apart,
# never as passed. Ends with the total `N passed, N failed, N skipped`; exit status 1 on
# any failure.
set -uo pipefail

usage="usage: run-tests.sh --fork NAME DARKNET TESTDIR SHIPPED [--fork ...]"
HERE=$(cd "$(dirname "$0")" && pwd)
total_pass=0 total_fail=0 total_skip=0
declare -A F_DARKNET F_DIR F_SHIPPED
forks=()
while [ $# -gt 0 ]; do
    [ "$1" = --fork ] && [ $# -ge 5 ] || { echo "$usage" >&2; exit 2; }
    case $2 in pjreddie|alexeyab) ;; *) echo "run-tests: unknown fork '$2' ($usage)" >&2; exit 2;; esac
    forks+=("$2"); F_DARKNET[$2]=$3; F_DIR[$2]=$4; F_SHIPPED[$2]=$5
    shift 5
done
[ ${#forks[@]} -gt 0 ] || { echo "$usage" >&2; exit 2; }

suite() { # suite NAME COMMAND...
    local name=$1 log="$DIR/${1##*/}.log" line p f sk start=$SECONDS
    shift
    echo "== $name"
    "$@" > "$log" 2>&1
    local rc=$?
    grep -E '^(PASS|FAIL|SKIPPED|gradcheck|float vs|gpu vs|e2e|bad input)' "$log" | grep -v '^PASS' | head -40
    line=$(grep -oE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    if [ -z "$line" ]; then
        echo "   $name died without a summary (exit $rc); last lines of $log:"; tail -15 "$log"
        # a fatal report of the CUDA emulation or a sanitizer may sit above the last lines
        grep -m 3 -E '^(cuda-emu|==[0-9]+==ERROR)|runtime error' "$log" | sed 's/^/   /'
        total_fail=$((total_fail + 1)); return
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed}
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1   # a non-zero exit is a failure even if uncounted
    sk=$(grep -oE '[0-9]+ skipped' "$log" | tail -1 | cut -d' ' -f1)
    sk=${sk:-0}
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + sk))
    echo "   $name: $p passed, $f failed, $sk skipped ($((SECONDS - start)) s)"
}

# the layer's suites, for one fork
layer_suites() { # layer_suites FORK PREFIX
    local fork=$1 p=$2 darknet=${F_DARKNET[$1]} shipped=${F_SHIPPED[$1]}
    DIR=${F_DIR[$1]}
    suite "${p}unit"      "$DIR/test_asoftmax"
    suite "${p}unit_network" "$DIR/test_asoftmax_network" "$DIR"
    suite "${p}bad_input" "$HERE/bad_input.sh" "$darknet" "$DIR/bad_input"
    suite "${p}e2e"       "$HERE/e2e_smoke.sh" "$darknet" "$CONVERTER" "$DIR/e2e"
    if [ "$shipped" != - ]; then
        suite "${p}unit_shipped"      "$DIR/shipped/test_asoftmax"
        suite "${p}unit_network_shipped" "$DIR/shipped/test_asoftmax_network" "$DIR/shipped"
        suite "${p}bad_input_shipped" "$HERE/bad_input.sh" "$shipped" "$DIR/bad_input_shipped"
    else
        echo "== ${p}unit_shipped, ${p}unit_network_shipped, ${p}bad_input_shipped"; echo "   SKIPPED: no shipped build given (SANITIZE=1)"
    fi
    if [ -x "$DIR/test_asoftmax_gpu" ] && ldd "$DIR/test_asoftmax_gpu" | grep -q 'libcuda.so.1 => not found'; then
        # the fork's library calls the driver API (cuCtxGetCurrent): no NVIDIA driver, no GPU
        echo "== ${p}gpu"; echo "   ${p}gpu: SKIPPED (no NVIDIA driver: libcuda.so.1 not found)"; total_skip=$((total_skip + 1))
    elif [ -x "$DIR/test_asoftmax_gpu" ]; then
        suite "${p}gpu" "$DIR/test_asoftmax_gpu"
    else
        echo "== ${p}gpu"; echo "   ${p}gpu: SKIPPED (not built: no CUDA toolkit, or SANITIZE=1)"; total_skip=$((total_skip + 1))
    fi
    emulated_suites "$fork" "$p"
}

# The GPU code run on the CPU (tests/cuda-emu: `make emu-build`), apart from the real-GPU
# suites: a pass here is "emulated", not "tested on a GPU". Two thread orders (a missing
# barrier can show in one order only): forward with every shape of test_asoftmax_gpu,
# reversed with --small (SANITIZE=1: --small in both); a GPU `classifier train` + `valid`
# (the labels path and the training forward without the output pull) in forward order.
emulated_suites() { # emulated_suites FORK PREFIX
    local p=$2 emu=$DIR/emu shapes=
    [ "${F_SHIPPED[$1]}" = - ] && shapes=--small
    if [ ! -x "$emu/test_asoftmax_gpu" ]; then
        echo "== ${p}gpu_emulated"; echo "   ${p}gpu_emulated: SKIPPED (not built: make emu-build)"
        total_skip=$((total_skip + 1)); return
    fi
    suite "${p}gpu_emulated"          env CUDA_EMU_ORDER=forward  "$emu/test_asoftmax_gpu" $shapes
    suite "${p}gpu_emulated_reversed" env CUDA_EMU_ORDER=reversed "$emu/test_asoftmax_gpu" --small
    suite "${p}e2e_gpu_emulated"      env CUDA_EMU_ORDER=forward  "$HERE/e2e_smoke.sh" "$emu/darknet" \
        "$CONVERTER" "$DIR/e2e_gpu_emulated"
    if [ -x "$emu/test_network_gpu" ]; then
        local order
        for order in forward reversed; do
            suite "${p}gpu_network_emulated_$order" env CUDA_EMU_ORDER=$order "$emu/test_network_gpu" \
                "$DIR" "$HERE/parity-head.cfg:16" "$HERE/../cfg/fmnist-asoftmax.cfg:16" \
                "$HERE/../cfg/fmnist-softmax.cfg:16" "$HERE/../cfg/sphereface20.cfg:2"
        done
    fi
}

PJ=${F_DIR[pjreddie]:-}
[ -n "$PJ" ] || { echo "run-tests: the tools come from pjreddie's TESTDIR: give --fork pjreddie" >&2; exit 2; }
CONVERTER=$PJ/fmnist2darknet

export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} # idle OpenMP threads must not spin
DIR=$PJ
suite cuda_emu_selftest "$DIR/emu/cuda_emu_selftest"
layer_suites pjreddie ""
DIR=$PJ
suite eval_metrics  "$DIR/test_eval_metrics"
suite sphereface20  "$DIR/test_sphereface20" "$HERE/../cfg/sphereface20.cfg" "$DIR"
suite loader        "$DIR/test_loader" "$DIR"
suite network_parity_check "$DIR/test_network_parity_cpu" "$DIR" "$HERE/parity-head.cfg:16" \
    "$HERE/../cfg/fmnist-asoftmax.cfg:16" "$HERE/../cfg/fmnist-softmax.cfg:16"
suite eval_tool     "$HERE/test_eval_tool.sh" "${F_DARKNET[pjreddie]}" "$DIR/asoftmax_eval" "$DIR/e2e/data" "$DIR/eval_tool"
suite prepare_casia "$HERE/test_prepare_casia.sh" "$DIR/prepare_casia"
suite render        "$HERE/test_render.sh" "$DIR/render_glyphs" "$DIR/render"
suite openset_smoke "$HERE/openset_smoke.sh" "${F_DARKNET[pjreddie]}" "$DIR/render_glyphs" "$DIR/asoftmax_eval" "$DIR/openset_smoke"
if [ -x "$DIR/test_network_gpu" ]; then
    suite gpu_network "$DIR/test_network_gpu" "$DIR" "$HERE/parity-head.cfg:16" \
        "$HERE/../cfg/fmnist-asoftmax.cfg:16" "$HERE/../cfg/fmnist-softmax.cfg:16" \
        "$HERE/../cfg/sphereface20.cfg:2"
else
    echo "== gpu_network"; echo "   gpu_network: SKIPPED (not built: no CUDA toolkit, or SANITIZE=1)"; total_skip=$((total_skip + 1))
fi
if [ -n "${F_DIR[alexeyab]:-}" ]; then
    layer_suites alexeyab "alexeyab/"
    DIR=${F_DIR[alexeyab]}
    suite cross_fork "$HERE/cross_fork.sh" "${F_DARKNET[pjreddie]}" "${F_DARKNET[alexeyab]}" \
        "$PJ/e2e/data" "$DIR/cross_fork"
fi

if [ -n "${SKIPPED_FORK:-}" ]; then # set by `make test` when a fork's source is absent
    echo "== ${SKIPPED_FORK%%:*}"; echo "   SKIPPED: ${SKIPPED_FORK#*: }"; total_skip=$((total_skip + 1))
fi

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
