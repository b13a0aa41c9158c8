#!/usr/bin/env bash
# prepare-casia.sh — a CASIA-WebFace-style face set (one folder per identity) -> Darknet's
# classifier layout, for cfg/sphereface20.cfg:
#
#   scripts/prepare-casia.sh [-v N] SRC_ROOT OUT_DIR
#
#   SRC_ROOT/<identity>/<image>.{jpg,jpeg,png,bmp}   aligned faces (SphereFace: 112x96),
#                                                    e.g. CASIA-WebFace's 0000045/001.jpg
# writes
#   OUT_DIR/faces/@<identity>@ -> SRC_ROOT/<identity>   one symlink per identity
#   OUT_DIR/labels.txt       the label names "@<identity>@", one a line, sorted (C locale)
#   OUT_DIR/train.list       absolute image paths OUT_DIR/faces/@<identity>@/<image>
#   OUT_DIR/valid.list       with -v N: the last N images (sorted by name) of every
#                            identity that has more than N, held out of train.list
#   OUT_DIR/casia.data       classes, train, valid, labels, backup=OUT_DIR/backup, top=1
#
# Why the symlinks: Darknet's classifier gives an image the FIRST label whose name occurs
# anywhere in the image's path (strstr). Raw CASIA identities are numbers ("0000045"),
# which can occur inside other paths, and a name that is a substring of another name or of
# a folder above would silently take the wrong label. The label "@<identity>@" is
# delimited by '@', which is refused in identity names and in OUT_DIR, and the images are
# reached through OUT_DIR/faces/@<identity>@/..., so every listed path contains exactly
# one '@...@' and hence exactly one label name: its own. The script checks this on the
# lists it writes (exactly two '@' per path, the token between them = that image's
# identity) and stops with exit status 1 otherwise.
#
# Then: set [asoftmax] output= in the cfg to the number of classes printed (CASIA-WebFace:
# 10572), and train with this project's build (stock Darknet crops 112x96 inputs to
# squares; see the cfg's header):
#   build/darknet/darknet classifier train OUT_DIR/casia.data cfg/sphereface20.cfg
# Rerunning rewrites everything.
# Exit status 1 on bad input (missing folder, no identities, an identity without images,
# a name with '@' or a newline, OUT_DIR containing '@').
set -euo pipefail

usage() { echo "usage: $0 [-v N] SRC_ROOT OUT_DIR   (-v N: hold out N images per identity)" >&2; exit 2; }
die() { echo "prepare-casia: $*" >&2; exit 1; }

hold=0
while getopts "v:h" o; do
    case $o in
        v) case $OPTARG in ''|*[!0-9]*) die "-v '$OPTARG': must be a non-negative integer";; esac
           hold=$((10#$OPTARG));;
        *) usage;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage
[ -d "$1" ] || die "SRC_ROOT '$1' is not a folder"
SRC=$(cd "$1" && pwd -P)
mkdir -p "$2" || die "cannot create OUT_DIR '$2'"
OUT=$(cd "$2" && pwd -P)
case $OUT in *@*) die "OUT_DIR '$OUT' contains '@', the label delimiter: choose another folder";; esac
case $OUT/ in "$SRC"/*) die "OUT_DIR '$OUT' is inside SRC_ROOT '$SRC'";; esac
export LC_ALL=C

rm -rf "$OUT/faces"
mkdir -p "$OUT/faces" "$OUT/backup"
: > "$OUT/labels.txt.tmp"; : > "$OUT/train.list.tmp"; : > "$OUT/valid.list.tmp"
nid=0 nimg=0 nvalid=0
# identities: the immediate sub-folders of SRC_ROOT, sorted; NUL-separated to survive any name
while IFS= read -r -d '' dir; do
    id=${dir##*/}
    case $id in
        .*) echo "prepare-casia: note: skipping hidden folder '$dir'" >&2; continue;;
        *@*) die "identity folder '$dir': '@' is the label delimiter and may not occur in names";;
        *$'\n'*|*$'\r'*) die "identity folder '$dir': names may not contain line breaks";;
    esac
    # the images of this identity, sorted (names only; no line breaks allowed)
    imgs=()
    while IFS= read -r -d '' f; do
        case $f in
            *@*) die "image '$dir/$f': '@' is the label delimiter and may not occur in names";;
            *$'\n'*|*$'\r'*) die "image '$dir/$f': names may not contain line breaks";;
        esac
        imgs+=("$f")
    done < <(find -L "$dir/" -mindepth 1 -maxdepth 1 -type f \
                  \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.bmp' \) \
                  -printf '%f\0' | sort -z)
    [ ${#imgs[@]} -gt 0 ] || die "identity folder '$dir' has no .jpg/.jpeg/.png/.bmp image"
    label="@$id@"
    ln -s "$dir" "$OUT/faces/$label"
    printf '%s\n' "$label" >> "$OUT/labels.txt.tmp"
    ntrain=${#imgs[@]}
    if [ "$hold" -gt 0 ] && [ ${#imgs[@]} -gt "$hold" ]; then ntrain=$((${#imgs[@]} - hold)); fi
    for ((i = 0; i < ${#imgs[@]}; ++i)); do
        if [ "$i" -lt "$ntrain" ]; then
            printf '%s\n' "$OUT/faces/$label/${imgs[i]}"
        else
            printf '%s\n' "$OUT/faces/$label/${imgs[i]}" >&3
        fi
    done >> "$OUT/train.list.tmp" 3>> "$OUT/valid.list.tmp"
    nid=$((nid + 1)); nimg=$((nimg + ${#imgs[@]})); nvalid=$((nvalid + ${#imgs[@]} - ntrain))
    [ $((nid % 1000)) -eq 0 ] && echo "prepare-casia: $nid identities, $nimg images so far"
done < <(find -L "$SRC" -mindepth 1 -maxdepth 1 -type d -print0 | sort -z)
[ "$nid" -ge 2 ] || die "SRC_ROOT '$SRC' has $nid identity folder(s); a classifier needs >= 2"

# the label check: every path holds exactly two '@' and the token between them is a label,
# the one of the folder the path goes through; labels are distinct
dups=$(sort "$OUT/labels.txt.tmp" | uniq -d | head -3)
[ -z "$dups" ] || die "duplicate labels: $dups"
for list in train valid; do
    bad=$(awk -v out="$OUT/faces/" '
        NR == FNR { label[$0] = 1; next }
        {
            n = gsub(/@/, "@")
            p = substr($0, length(out) + 1); tok = substr(p, 1, index(substr(p, 2), "@") + 1)
            if (n != 2 || index($0, out) != 1 || !(tok in label) || substr(p, length(tok) + 1, 1) != "/") {
                print FNR ": " $0; exit
            }
        }' "$OUT/labels.txt.tmp" "$OUT/$list.list.tmp")
    [ -z "$bad" ] || die "label check failed in $list.list line $bad"
done

mv "$OUT/labels.txt.tmp" "$OUT/labels.txt"
mv "$OUT/train.list.tmp" "$OUT/train.list"
if [ "$nvalid" -gt 0 ]; then
    mv "$OUT/valid.list.tmp" "$OUT/valid.list"; valid=$OUT/valid.list
else
    rm -f "$OUT/valid.list.tmp" "$OUT/valid.list"; valid=$OUT/train.list
fi
cat > "$OUT/casia.data" <<EOF
classes=$nid
train=$OUT/train.list
valid=$valid
labels=$OUT/labels.txt
backup=$OUT/backup
top=1
EOF
echo "prepare-casia: $nid identities, $((nimg - nvalid)) training images, $nvalid held out"
echo "prepare-casia: wrote $OUT/casia.data; set [asoftmax] output=$nid in the cfg"
