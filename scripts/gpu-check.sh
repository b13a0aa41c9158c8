#!/usr/bin/env bash
# gpu-check.sh — `make gpu-check`: on a machine with an NVIDIA GPU and the CUDA toolkit,
# build the GPU variant of Darknet + [asoftmax], run the GPU-vs-CPU tests (also under
# compute-sanitizer's memcheck, racecheck, initcheck and synccheck) and the bad-input suite
# against the GPU binary, benchmark the head on the GPU against [connected]+[softmax]
# (dev/bench_heads.c), and train the Fashion-MNIST [asoftmax] smoke cfg with `darknet
# classifier train` on the GPU, once with one replica and once with `-gpus 0,0` (two
# replicas on one device: the multi-GPU weight sync path). Aims at under 10 minutes;
# prints a closing `N passed, N failed` line. Then the same layer checks on AlexeyAB's fork
# (its GPU build, the GPU-vs-CPU test, compute-sanitizer, bad input, a GPU training run).
#   GPU_ARCH   nvcc -gencode flags (default: only the local GPU's, for a fast build)
#   FMNIST_DIR the Fashion-MNIST idx .gz files (default: Debian's dataset-fashion-mnist)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/gpu-check
mkdir -p "$OUT"
cd "$ROOT" || exit 1
start=$SECONDS
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

arch=${GPU_ARCH:-}
if [ -z "$arch" ] && command -v nvidia-smi >/dev/null; then
    cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')
    [ -n "$cc" ] && arch="-gencode arch=compute_$cc,code=sm_$cc"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
echo "gpu-check: building (ARCH=${arch:-Darknet default})"
if ! make --no-print-directory gpu-build TEST_BIN="$OUT" ${arch:+ARCH="$arch"} > "$OUT/build.log" 2>&1; then
    tail -30 "$OUT/build.log"; echo "gpu-check: build failed"; echo "0 passed, 1 failed"; exit 1
fi
ok "GPU build (GPU=1 CUDNN=1 and CUDNN=0) in $((SECONDS - start)) s"

# test_suite NAME LOG COMMAND...: a C test program that ends with "N passed, N failed, N skipped"
test_suite() {
    local name=$1 log=$2 rc
    shift 2
    "$@" > "$log" 2>&1
    rc=$?
    grep -E '^(FAIL|SKIPPED|gpu vs|network parity|  )' "$log"
    if [ $rc -eq 0 ] && grep -q ' 0 failed, 0 skipped' "$log"; then
        ok "$name: $(grep -oE '[0-9]+ passed, [0-9]+ failed' "$log")"
    else
        bad "$name (exit $rc; log $log)"
    fi
}

test_suite "GPU vs CPU" "$OUT/gpu-tests.log" "$OUT/test_asoftmax_gpu"

# whole networks: one training step on the CPU and on the GPU, every layer's updates and the
# loss compared (float math; then, not gated, what cuDNN's default TF32 convolutions change)
PARITY_CFGS="tests/parity-head.cfg:16 cfg/fmnist-asoftmax.cfg:16 cfg/fmnist-softmax.cfg:16 cfg/sphereface20.cfg:2"
test_suite "whole-network GPU vs CPU" "$OUT/network-parity.log" "$OUT/test_network_gpu" "$OUT" $PARITY_CFGS
PARITY_TF32=1 "$OUT/test_network_gpu" "$OUT" $PARITY_CFGS > "$OUT/network-parity-tf32.log" 2>&1
echo "with TF32 allowed (not gated):"; grep -E '^network parity' "$OUT/network-parity-tf32.log"

if grep -q '^SKIPPED' "$OUT/gpu-tests.log"; then
    echo "gpu-check: no usable CUDA device here: only the build was checked"
    echo "$pass passed, $fail failed"
    exit 1
fi

GPU_DIR=$ROOT/build/darknet-gpu

# the GPU tests under NVIDIA's compute-sanitizer: out-of-bounds and misaligned accesses
# (memcheck), shared-memory races (racecheck), reads of uninitialized device memory
# (initcheck), illegal __syncthreads use (synccheck); small shapes (the tool is slow)
SANITIZER=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer \
            /usr/local/cuda/compute-sanitizer/compute-sanitizer 2>/dev/null | head -1)
if [ -n "$SANITIZER" ]; then
    for tool in memcheck racecheck initcheck synccheck; do
        t0=$SECONDS
        if timeout 600 "$SANITIZER" --tool "$tool" --error-exitcode 99 \
            "$OUT/test_asoftmax_gpu" --small > "$OUT/sanitizer-$tool.log" 2>&1; then
            ok "compute-sanitizer --tool $tool: $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/sanitizer-$tool.log" | tail -1) ($((SECONDS - t0)) s)"
        else
            grep -E '^========= (Invalid|Race|Uninitialized|Barrier|Error|ERROR)' "$OUT/sanitizer-$tool.log" | head -10
            bad "compute-sanitizer --tool $tool (log $OUT/sanitizer-$tool.log)"
        fi
    done
else
    bad "compute-sanitizer not found (CUDA toolkit's bin/): the sanitizer runs are owed"
fi

# the bad-input suite against the GPU binary (Darknet's flags for .cu files differ)
if tests/bad_input.sh "$GPU_DIR/darknet" "$OUT/bad_input" > "$OUT/bad_input.log" 2>&1; then
    ok "bad input on the GPU build: $(grep -oE '[0-9]+ passed, [0-9]+ failed' "$OUT/bad_input.log")"
else
    grep -E '^FAIL' "$OUT/bad_input.log"; bad "bad input on the GPU build (log $OUT/bad_input.log)"
fi
GPU_LINK="-L/usr/local/cuda/lib64 -lcuda -lcudart -lcublas -lcurand -lcudnn -lstdc++ -lm -pthread"

# the benchmark's GPU twin: [asoftmax] vs [connected]+[softmax] on the device
if gcc -std=gnu11 -O2 -DGPU -DCUDNN -I/usr/local/cuda/include -I"$GPU_DIR/include" -I"$GPU_DIR/src" -Itools \
    dev/bench_heads.c "$GPU_DIR/libdarknet.a" $GPU_LINK -o "$OUT/bench_heads_gpu" \
    && "$OUT/bench_heads_gpu" --reps 5 --budget-s 60 128,128,10 256,512,10572 64,512,100000 \
    > "$OUT/bench-gpu.log" 2>&1; then
    cat "$OUT/bench-gpu.log"
    if grep -q SKIPPED "$OUT/bench-gpu.log"; then bad "GPU benchmark SKIPPED (no device)"; else ok "GPU benchmark (table above)"; fi
else
    tail -20 "$OUT/bench-gpu.log" 2>/dev/null; bad "GPU benchmark (log $OUT/bench-gpu.log)"
fi
gcc -std=gnu11 -O2 -DGPU -DCUDNN -I/usr/local/cuda/include -I"$GPU_DIR/include" -I"$GPU_DIR/src" \
    tools/fmnist2darknet.c "$GPU_DIR/libdarknet.a" $GPU_LINK -lz -o "$OUT/fmnist2darknet" || bad "converter build"
for gpus in 0 0,0; do
    t0=$SECONDS
    if E2E_TRAIN_ARGS="-gpus $gpus" tests/e2e_smoke.sh "$GPU_DIR/darknet" "$OUT/fmnist2darknet" \
        "$OUT/e2e-gpus-$gpus" > "$OUT/e2e-gpus-$gpus.log" 2>&1; then
        ok "classifier train -gpus $gpus: $(grep -E 'loss fell' "$OUT/e2e-gpus-$gpus.log" | sed 's/^PASS: //') ($((SECONDS - t0)) s)"
    else
        grep -E '^FAIL' "$OUT/e2e-gpus-$gpus.log"
        bad "classifier train -gpus $gpus (log $OUT/e2e-gpus-$gpus.log)"
    fi
done

# AlexeyAB's fork: its GPU build, the same GPU-vs-CPU test (its adapter: network_state,
# device truth, its CUDA stream), memcheck + racecheck on it, bad input, one GPU training
ABO=$OUT/alexeyab
mkdir -p "$ABO"
t0=$SECONDS
if make --no-print-directory gpu-build FORK=alexeyab TEST_BIN="$ABO" ${arch:+ARCH="$arch"} > "$ABO/build.log" 2>&1; then
    ok "AlexeyAB fork: GPU build in $((SECONDS - t0)) s"
    test_suite "AlexeyAB fork: GPU vs CPU" "$ABO/gpu-tests.log" "$ABO/test_asoftmax_gpu"
    for tool in memcheck racecheck; do
        [ -n "$SANITIZER" ] || break
        if timeout 600 "$SANITIZER" --tool "$tool" --error-exitcode 99 \
            "$ABO/test_asoftmax_gpu" --small > "$ABO/sanitizer-$tool.log" 2>&1; then
            ok "AlexeyAB fork: compute-sanitizer --tool $tool"
        else
            bad "AlexeyAB fork: compute-sanitizer --tool $tool (log $ABO/sanitizer-$tool.log)"
        fi
    done
    AB_GPU=$ROOT/build/alexeyab/darknet-gpu/darknet
    if tests/bad_input.sh "$AB_GPU" "$ABO/bad_input" > "$ABO/bad_input.log" 2>&1; then
        ok "AlexeyAB fork: bad input on the GPU build: $(grep -oE '[0-9]+ passed, [0-9]+ failed' "$ABO/bad_input.log")"
    else
        grep -E '^FAIL' "$ABO/bad_input.log"; bad "AlexeyAB fork: bad input on the GPU build (log $ABO/bad_input.log)"
    fi
    if E2E_TRAIN_ARGS="-gpus 0" tests/e2e_smoke.sh "$AB_GPU" "$OUT/fmnist2darknet" "$ABO/e2e" > "$ABO/e2e.log" 2>&1; then
        ok "AlexeyAB fork: classifier train on the GPU: $(grep -E 'loss fell' "$ABO/e2e.log" | sed 's/^PASS: //')"
    else
        grep -E '^FAIL' "$ABO/e2e.log"; bad "AlexeyAB fork: classifier train on the GPU (log $ABO/e2e.log)"
    fi
else
    tail -20 "$ABO/build.log"; bad "AlexeyAB fork: GPU build (log $ABO/build.log)"
fi

echo "gpu-check: $((SECONDS - start)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
