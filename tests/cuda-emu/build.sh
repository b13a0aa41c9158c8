#!/usr/bin/env bash
# build.sh [--test] [DIR] — cuda-emu (tests/cuda-emu): build the emulator's runtime library
# DIR/libcudaemu.a and its self-test DIR/selftest (compiled by tests/cuda-emu/nvcc, so the
# self-test also tests the nvcc stand-in). DIR defaults to build/cuda-emu (build/cuda-emu-
# sanitize with SANITIZE=1) under the repository root. --test: run the self-test afterwards.
#
#   SANITIZE=1   ASan + UBSan (the fibers tell ASan about their stacks); link what uses this
#                library with -fsanitize=address,undefined too
#   CXX=...      the C++ compiler (default g++); OPT=... (default -O2 -g)
#
# Darknet with the emulator: see tests/cuda-emu/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
run_test=0
if [ "${1:-}" = --test ]; then run_test=1; shift; fi
SANITIZE=${SANITIZE:-0}
if [ "$SANITIZE" = 1 ]; then DEFAULT=$ROOT/build/cuda-emu-sanitize; else DEFAULT=$ROOT/build/cuda-emu; fi
DIR=${1:-$DEFAULT}
CXX=${CXX:-g++}
OPT=${OPT:--O2 -g}
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BLAS_INC=/usr/include/$MULTIARCH/openblas-openmp
[ -f "$BLAS_INC/cblas.h" ] || { echo "cuda-emu: $BLAS_INC/cblas.h not found (Debian: libopenblas-openmp-dev)" >&2; exit 1; }

SAN=""
[ "$SANITIZE" = 1 ] && SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"

mkdir -p "$DIR"
CXXFLAGS="-std=gnu++17 $OPT -fPIC -Wall -Wextra -Wshadow -Werror $SAN -I$HERE/include -I$HERE -I$BLAS_INC"
for src in runtime blas_rand; do
    if [ ! -f "$DIR/$src.o" ] || [ "$HERE/$src.cpp" -nt "$DIR/$src.o" ] || [ -n "$(find "$HERE/include" "$HERE/internal.h" -newer "$DIR/$src.o" 2>/dev/null | head -1)" ] \
       || [ "$(cat "$DIR/.flags" 2>/dev/null)" != "$CXXFLAGS" ]; then
        echo "cuda-emu: $CXX $src.cpp" >&2
        $CXX $CXXFLAGS -c "$HERE/$src.cpp" -o "$DIR/$src.o"
    fi
done
echo "$CXXFLAGS" > "$DIR/.flags"
rm -f "$DIR/libcudaemu.a"
ar rcs "$DIR/libcudaemu.a" "$DIR/runtime.o" "$DIR/blas_rand.o"

echo "cuda-emu: selftest (through tests/cuda-emu/nvcc)" >&2
CUDA_EMU_LIBDIR=$DIR "$HERE/nvcc" -O2 -g --compiler-options "-Wall -Wextra -Werror $SAN" \
    -gencode arch=compute_75,code=sm_75 "$HERE/selftest.cu" -o "$DIR/selftest"
echo "cuda-emu: built $DIR/libcudaemu.a and $DIR/selftest" >&2

if [ $run_test = 1 ]; then
    OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} "$DIR/selftest"
fi
