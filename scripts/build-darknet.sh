#!/usr/bin/env bash
# build-darknet.sh DEST [MAKE ARGS...] — build Darknet with the [asoftmax] layer in DEST.
#
# DEST is a copy of the verified pristine tree (scripts/get-darknet.sh) with patches/*.patch
# applied and our src/ files added; Darknet's own Makefile builds it with MAKE ARGS
# (GPU=, CUDNN=, OPENMP=, DEBUG=, ARCH=, OPTS=...). The copy is remade when the patches or
# the arguments change; our sources are synced on every call (only changed files are
# copied, so make rebuilds only what changed). Leaves DEST/darknet, DEST/libdarknet.{a,so}.
set -euo pipefail

DEST=${1:?usage: build-darknet.sh DEST [MAKE ARGS...]}
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PRISTINE=$ROOT/build/darknet-src
JOBS=${JOBS:-$(nproc)}

"$ROOT/scripts/get-darknet.sh" "$PRISTINE"

stamp=$( { cat "$ROOT"/patches/*.patch; printf '%s\n' "$@"; } | sha256sum | cut -d' ' -f1)
if [ ! -f "$DEST/.asoftmax-stamp" ] || [ "$(cat "$DEST/.asoftmax-stamp")" != "$stamp" ]; then
    echo "build-darknet: preparing $DEST ($*)" >&2
    rm -rf "$DEST"
    mkdir -p "$(dirname "$DEST")"
    cp -a "$PRISTINE" "$DEST"
    for p in "$ROOT"/patches/*.patch; do
        patch -d "$DEST" -p1 --quiet --forward < "$p" || { echo "build-darknet: $p does not apply" >&2; exit 1; }
    done
    echo "$stamp" > "$DEST/.asoftmax-stamp"
fi

for f in "$ROOT"/src/*; do
    cmp -s "$f" "$DEST/src/$(basename "$f")" || cp "$f" "$DEST/src/"
done

echo "build-darknet: make -C $DEST $*" >&2
if ! make -C "$DEST" -j"$JOBS" "$@" > "$DEST/build.log" 2>&1; then
    grep -E -B2 -A6 'error:|Error [0-9]' "$DEST/build.log" | tail -40 >&2
    echo "build-darknet: build failed; full log: $DEST/build.log" >&2
    exit 1
fi
grep -E 'warning:' "$DEST/build.log" | grep asoftmax >&2 || true
