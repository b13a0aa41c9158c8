#!/usr/bin/env bash
# build-darknet.sh DEST [MAKE ARGS...] — build Darknet with the [asoftmax] layer in DEST.
#
# DARKNET_FORK picks the Darknet: pjreddie (the default; pristine tree build/darknet-src,
# patches/*.patch) or alexeyab (AlexeyAB's fork; build/darknet-alexeyab-src,
# patches/alexeyab/*.patch). DEST is a copy of the verified pristine tree
# (scripts/get-darknet.sh) with the fork's patches applied and our src/ files added;
# Darknet's own Makefile builds it with MAKE ARGS (GPU=, CUDNN=, OPENMP=, DEBUG=, ARCH=,
# OPTS=, LDFLAGS=, OPENBLAS=...: both Makefiles take these names). The copy is remade when
# the fork, its patches or the arguments change; our sources are synced on every call (only
# changed files are copied, so make rebuilds only what changed). Leaves DEST/darknet and
# DEST/libdarknet.a (pjreddie's also DEST/libdarknet.so).
set -euo pipefail

DEST=${1:?usage: [DARKNET_FORK=pjreddie|alexeyab] build-darknet.sh DEST [MAKE ARGS...]}
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FORK=${DARKNET_FORK:-pjreddie}
case $FORK in
    pjreddie) PRISTINE=$ROOT/build/darknet-src;          PATCHES=$ROOT/patches ;;
    alexeyab) PRISTINE=$ROOT/build/darknet-alexeyab-src; PATCHES=$ROOT/patches/alexeyab ;;
    *) echo "build-darknet: DARKNET_FORK=$FORK: use pjreddie (the default) or alexeyab" >&2; exit 2 ;;
esac
JOBS=${JOBS:-$(nproc)}

"$ROOT/scripts/get-darknet.sh" "$PRISTINE" "$FORK"

stamp=$( { echo "$FORK"; cat "$PATCHES"/*.patch; printf '%s\n' "$@"; } | sha256sum | cut -d' ' -f1)
if [ ! -f "$DEST/.asoftmax-stamp" ] || [ "$(cat "$DEST/.asoftmax-stamp")" != "$stamp" ]; then
    echo "build-darknet: preparing $DEST ($FORK: $*)" >&2
    rm -rf "$DEST"
    mkdir -p "$(dirname "$DEST")"
    cp -a "$PRISTINE" "$DEST"
    for p in "$PATCHES"/*.patch; do
        patch -d "$DEST" -p1 --quiet --forward < "$p" || { echo "build-darknet: $p does not apply" >&2; exit 1; }
    done
    echo "$stamp" > "$DEST/.asoftmax-stamp"
fi

for f in "$ROOT"/src/*; do
    cmp -s "$f" "$DEST/src/$(basename "$f")" || cp "$f" "$DEST/src/"
done

echo "build-darknet: make -C $DEST $* ($FORK)" >&2
if ! make -C "$DEST" -j"$JOBS" "$@" > "$DEST/build.log" 2>&1; then
    grep -E -B2 -A6 'error:|Error [0-9]' "$DEST/build.log" | tail -40 >&2
    echo "build-darknet: build failed; full log: $DEST/build.log" >&2
    exit 1
fi
grep -E 'warning:' "$DEST/build.log" | grep asoftmax >&2 || true
