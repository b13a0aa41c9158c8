#!/usr/bin/env bash
# get-darknet.sh DEST [FORK] — put a verified, pristine copy of Darknet into DEST (an ignored
# build folder). Never touches the submodules. FORK is one of:
#
#   pjreddie (the default): pjreddie's Darknet at commit 61c9d02e. Sources, in order:
#     1. the `darknet` submodule, if it is populated (or `git submodule update` can populate it);
#     2. Debian's `darknet` source package 0.0.0+git20180914.61c9d02e: only its upstream
#        .orig.tar.xz is used (not Debian's patches). The deb-src entry is derived from the
#        machine's own apt sources into a private apt state folder; /etc is not modified.
#     Every file is checked against patches/darknet-61c9d02e.sha256.
#
#   alexeyab: AlexeyAB's fork at commit 59596d78 (59596d7880f6504768df41d6daa586f5cb2b932f).
#     Sources, in order:
#     1. the `darknet-alexeyab` submodule, if it is populated;
#     2. the tarball named by $DARKNET_ALEXEYAB_TARBALL, if set;
#     3. ../shared/upstream/darknet-alexeyab-59596d78.tar.xz beside the repository;
#     4. `git submodule update --init darknet-alexeyab` (needs GitHub).
#     A tarball is the fork's `git archive --prefix=darknet-59596d78/ 59596d78` (xz); its
#     sha256 is pinned below. Every file is checked against
#     patches/alexeyab/darknet-59596d78.sha256. Exit status 3: none of the sources exists.
set -euo pipefail

DEST=${1:?usage: get-darknet.sh DEST [pjreddie|alexeyab]}
FORK=${2:-pjreddie}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$ROOT/build/cache

say() { printf 'get-darknet: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

case $FORK in
    pjreddie)
        NAME="Darknet 61c9d02e"
        MANIFEST=$ROOT/patches/darknet-61c9d02e.sha256
        DEB_VERSION=0.0.0+git20180914.61c9d02e
        ORIG=darknet_${DEB_VERSION}.orig.tar.xz
        ORIG_SHA256=ec536ae11853846aab96183d8ec18730a46cce71f7d935768d235029329f9e93
        ;;
    alexeyab)
        NAME="AlexeyAB's Darknet 59596d78"
        MANIFEST=$ROOT/patches/alexeyab/darknet-59596d78.sha256
        SUBMODULE=darknet-alexeyab
        TARBALL=darknet-alexeyab-59596d78.tar.xz
        TARBALL_SHA256=250a054334b41ccef6cdf07d24406397e5539fdb0f35548a10eede8172c7cfc8
        SHARED_TARBALL=$(cd "$ROOT/.." && pwd)/shared/upstream/$TARBALL
        ;;
    *)
        die "unknown fork '$FORK': use pjreddie (the default) or alexeyab"
        ;;
esac

verify_tree() { # verify_tree DIR: every manifest entry present and unchanged
    (cd "$1" && sha256sum --quiet --strict -c "$MANIFEST") >/dev/null 2>&1
}

mismatches() { # mismatches DIR: name the first files that differ from the manifest
    (cd "$1" && sha256sum --quiet -c "$MANIFEST" 2>/dev/null | head -5 | sed 's/^/get-darknet:   /' >&2) || true
}

copy_tree() { # copy_tree SRC: DEST becomes a copy of the checked-out tree SRC (without .git)
    rm -rf "$DEST" && mkdir -p "$DEST"
    (cd "$1" && tar cf - --exclude=.git .) | (cd "$DEST" && tar xf -)
}

copy_submodule() { # copy_submodule DIR COMMIT: a submodule checkout, verified, then copied
    verify_tree "$1" || { mismatches "$1"; die "$1 does not match $MANIFEST (is the submodule at $2 and unmodified?)"; }
    copy_tree "$1"
}

fetch_pjreddie() {
    local src=""
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
        copy_submodule "$src" 61c9d02e
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
}

fetch_alexeyab() {
    local sub=$ROOT/$SUBMODULE tarball="" tried=()
    if [ -f "$sub/Makefile" ]; then
        copy_submodule "$sub" 59596d78
        return
    fi
    tried+=("the $SUBMODULE submodule (not populated)")
    if [ -n "${DARKNET_ALEXEYAB_TARBALL:-}" ]; then
        [ -f "$DARKNET_ALEXEYAB_TARBALL" ] \
            || die "DARKNET_ALEXEYAB_TARBALL=$DARKNET_ALEXEYAB_TARBALL: no such file (unset it to use the default sources)"
        tarball=$DARKNET_ALEXEYAB_TARBALL
    elif [ -f "$SHARED_TARBALL" ]; then
        tarball=$SHARED_TARBALL
    else
        tried+=("\$DARKNET_ALEXEYAB_TARBALL (not set)" "$SHARED_TARBALL (no such file)")
    fi
    if [ -n "$tarball" ]; then
        say "using $tarball"
        echo "$TARBALL_SHA256  $tarball" | sha256sum --quiet -c - >/dev/null 2>&1 \
            || die "$tarball: sha256 is not $TARBALL_SHA256 (not the fork's tree at 59596d78, or damaged)"
        rm -rf "$DEST" && mkdir -p "$DEST"
        tar xJf "$tarball" -C "$DEST" --strip-components=1 --no-same-owner \
            || die "$tarball: extraction failed"
        return
    fi
    if [ -e "$ROOT/.git" ] && [ -f "$ROOT/.gitmodules" ]; then
        say "trying: git submodule update --init $SUBMODULE"
        if (cd "$ROOT" && timeout 60 git -c protocol.version=2 submodule update --init "$SUBMODULE") >/dev/null 2>&1 \
            && [ -f "$sub/Makefile" ]; then
            copy_submodule "$sub" 59596d78
            return
        fi
        tried+=("git submodule update --init $SUBMODULE (GitHub not reachable)")
    fi
    say "error: no source for $NAME; tried:"
    local t
    for t in "${tried[@]}"; do say "  - $t"; done
    say "provide one of:"
    say "  - git submodule update --init $SUBMODULE   (needs GitHub)"
    say "  - DARKNET_ALEXEYAB_TARBALL=/path/to/$TARBALL, made in a clone of"
    say "    https://github.com/AlexeyAB/darknet.git with:"
    say "    git archive --prefix=darknet-59596d78/ 59596d7880f6504768df41d6daa586f5cb2b932f | xz > $TARBALL"
    say "  - that tarball at $SHARED_TARBALL"
    exit 3 # no source at all (make test skips the fork outside CI); other failures exit 1
}

if [ -f "$DEST/.verified" ]; then
    verify_tree "$DEST" && exit 0
    say "$DEST does not match $MANIFEST; fetching it again"
fi
rm -f "$DEST/.verified"

"fetch_$FORK"

verify_tree "$DEST" || { mismatches "$DEST"; die "$DEST does not match $MANIFEST"; }
touch "$DEST/.verified"
say "verified $NAME in $DEST ($(wc -l < "$MANIFEST") files)"
