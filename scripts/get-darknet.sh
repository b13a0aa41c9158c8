#!/usr/bin/env bash
# get-darknet.sh DEST — put a verified, pristine copy of pjreddie's Darknet at
# commit 61c9d02e into DEST (an ignored build folder). Never touches the submodule.
#
# Sources, in order:
#   1. the `darknet` submodule, if it is populated (or `git submodule update` can populate it);
#   2. Debian's `darknet` source package 0.0.0+git20180914.61c9d02e: only its upstream
#      .orig.tar.xz is used (not Debian's patches). The deb-src entry is derived from the
#      machine's own apt sources into a private apt state folder; /etc is not modified.
# Whatever the source, every file is checked against patches/darknet-61c9d02e.sha256.
set -euo pipefail

DEST=${1:?usage: get-darknet.sh DEST}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MANIFEST=$ROOT/patches/darknet-61c9d02e.sha256
DEB_VERSION=0.0.0+git20180914.61c9d02e
ORIG=darknet_${DEB_VERSION}.orig.tar.xz
ORIG_SHA256=ec536ae11853846aab96183d8ec18730a46cce71f7d935768d235029329f9e93
CACHE=$ROOT/build/cache

say() { printf 'get-darknet: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

verify_tree() { # verify_tree DIR: every manifest entry present and unchanged
    (cd "$1" && sha256sum --quiet --strict -c "$MANIFEST") >/dev/null 2>&1
}

if [ -f "$DEST/.verified" ] && verify_tree "$DEST"; then
    exit 0
fi

src=""
if [ -f "$ROOT/darknet/Makefile" ]; then
    src=$ROOT/darknet
elif [ -d "$ROOT/.git" ] && [ -f "$ROOT/.gitmodules" ]; then
    say "trying: git submodule update --init darknet"
    if (cd "$ROOT" && timeout 60 git -c protocol.version=2 submodule update --init darknet) >/dev/null 2>&1 \
        && [ -f "$ROOT/darknet/Makefile" ]; then
        src=$ROOT/darknet
    else
        say "submodule not reachable; using Debian's source package instead"
    fi
fi

if [ -n "$src" ]; then
    verify_tree "$src" || die "$src does not match $MANIFEST (is the submodule at 61c9d02e and unmodified?)"
    rm -rf "$DEST" && mkdir -p "$DEST"
    (cd "$src" && tar cf - --exclude=.git .) | (cd "$DEST" && tar xf -)
else
    mkdir -p "$CACHE"
    if [ ! -f "$CACHE/$ORIG" ] || ! echo "$ORIG_SHA256  $CACHE/$ORIG" | sha256sum --quiet -c - 2>/dev/null; then
        command -v apt-get >/dev/null || die "apt-get not found: populate the darknet submodule instead"
        apt_dir=$(mktemp -d)
        trap 'rm -rf "$apt_dir"' EXIT
        mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/archives/partial"
        # deb-src twins of the machine's own deb entries (deb822 and one-line formats)
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] && sed 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$f" > "$apt_dir/sources.list.d/$(basename "$f")"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] && sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$apt_dir/sources.list.d/derived.list"
        done
        opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
              -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
              -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
        say "fetching Debian source package darknet=$DEB_VERSION"
        apt-get "${opts[@]}" -qq update >/dev/null 2>&1 || say "warning: apt-get update reported errors"
        (cd "$apt_dir" && apt-get "${opts[@]}" -qq source --download-only "darknet=$DEB_VERSION-2" >/dev/null 2>&1 \
            || apt-get "${opts[@]}" -qq source --download-only darknet >/dev/null 2>&1) \
            || die "could not download Debian's darknet source package (no deb-src reachable?)"
        [ -f "$apt_dir/$ORIG" ] || die "Debian source package did not contain $ORIG"
        mv "$apt_dir/$ORIG" "$CACHE/$ORIG"
    fi
    echo "$ORIG_SHA256  $CACHE/$ORIG" | sha256sum --quiet -c - || die "$ORIG: checksum mismatch"
    rm -rf "$DEST" && mkdir -p "$DEST"
    tar xJf "$CACHE/$ORIG" -C "$DEST" --strip-components=1
fi

verify_tree "$DEST" || die "$DEST does not match $MANIFEST"
touch "$DEST/.verified"
say "verified Darknet 61c9d02e in $DEST ($(wc -l < "$MANIFEST") files)"
