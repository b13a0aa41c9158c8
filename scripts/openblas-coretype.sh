#!/usr/bin/env bash
# openblas-coretype.sh LIBDIR — print the OPENBLAS_CORETYPE this CPU should use, or nothing.
#
# Debian bookworm's OpenBLAS (0.3.21, DYNAMIC_ARCH) picks its kernels from the CPU's model
# number; a CPU newer than the library (e.g. family 6 model 207, Emerald Rapids) falls back
# to the generic Prescott kernels: ~4.5x slower products here (measured: the [asoftmax]
# head's three GEMMs at B=256 K=512 C=10572, 132 ms vs 29 ms with SkylakeX kernels). Where
# OpenBLAS fell back to Prescott, this names the kernels the CPU's flags allow: SkylakeX with
# AVX-512 (F, BW, VL, DQ), Haswell with AVX2 + FMA. An OPENBLAS_CORETYPE already set in the
# environment is kept (printed as is). The Makefile exports the result for its own targets.
set -u
LIBDIR=${1:?usage: openblas-coretype.sh LIBDIR}
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then echo "$OPENBLAS_CORETYPE"; exit 0; fi
[ -e "$LIBDIR/libopenblas.so" ] || exit 0
tmp=$(mktemp -d) || exit 0
trap 'rm -rf "$tmp"' EXIT
printf 'char *openblas_get_corename(void);\n#include <stdio.h>\nint main(void){puts(openblas_get_corename());return 0;}\n' > "$tmp/c.c"
${CC:-cc} "$tmp/c.c" -L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lopenblas -o "$tmp/core" 2>/dev/null || exit 0
core=$("$tmp/core" 2>/dev/null) || exit 0
case "$core" in
    Prescott|prescott|Core2|core2|Penryn|penryn|Dunnington|dunnington|Nehalem|nehalem) ;;
    *) exit 0 ;;   # OpenBLAS knows this CPU: let it choose
esac
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null) "
has() { case "$flags" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if has avx512f && has avx512bw && has avx512vl && has avx512dq; then echo SkylakeX
elif has avx2 && has fma; then echo Haswell
fi
