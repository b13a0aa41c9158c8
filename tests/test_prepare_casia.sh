#!/usr/bin/env bash
# test_prepare_casia.sh — tests of scripts/prepare-casia.sh on a small synthetic
# folder-per-identity tree whose identity names are built to break Darknet's strstr
# labelling: "1", "11", "111" (each a substring of the next), "0000045" / "0000451",
# "faces" (the name of the script's own symlink folder), "train" and "a b" (a blank).
# Checks, each printing PASS: or FAIL: —
#   - exit 0, one label "@<identity>@" per identity, every listed path exists;
#   - Darknet's rule (the FIRST label, in labels.txt order, that occurs anywhere in the
#     path) gives every image its own identity, and no path contains a second label;
#   - the same rule on the raw names would mislabel images (why the script exists);
#   - -v 1 holds out one image of every identity with more than one; lists are disjoint;
#   - bad input: '@' in a name, an identity without images, OUT_DIR with '@', a missing
#     SRC_ROOT, a non-numeric -v, a single identity: exit status 1 and a message.
# Last line: "prepare_casia: N passed, N failed"; exit status 1 on any failure.
#   usage: tests/test_prepare_casia.sh WORKDIR
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREP=$ROOT/scripts/prepare-casia.sh
W=${1:?usage: $0 WORKDIR}
rm -rf "$W"
mkdir -p "$W"
W=$(cd "$W" && pwd -P)
passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# Darknet's labelling (examples/classifier.c / data.c fill_truth): for each path, the first
# label j (file order) with strstr(path, labels[j]); prints "path<TAB>label<TAB>nmatches".
darknet_labels() { # LABELS LIST
    awk 'NR == FNR { lab[++n] = $0; next }
         { first = ""; m = 0
           for (j = 1; j <= n; ++j) if (index($0, lab[j])) { if (first == "") first = lab[j]; ++m }
           print $0 "\t" first "\t" m }' "$1" "$2"
}

SRC=$W/src
ids=(1 11 111 0000045 0000451 faces train "a b")
for id in "${ids[@]}"; do
    mkdir -p "$SRC/$id"
    for k in 001 002 003; do printf 'x' > "$SRC/$id/$k.jpg"; done
done
printf 'x' > "$SRC/111/004.PNG"     # other extensions are taken
printf 'x' > "$SRC/111/notes.txt"   # non-images are not
mkdir -p "$SRC/.cache"              # hidden folders are skipped

OUT=$W/out
if "$PREP" "$SRC" "$OUT" > "$W/prep.log" 2>&1; then
    pass "prepare-casia.sh exited 0"
else
    fail "prepare-casia.sh exited non-zero: $(tail -n 3 "$W/prep.log")"
fi
nl=$(wc -l < "$OUT/labels.txt" 2>/dev/null || echo 0)
nt=$(wc -l < "$OUT/train.list" 2>/dev/null || echo 0)
if [ "$nl" -eq ${#ids[@]} ] && [ "$nt" -eq $((3 * ${#ids[@]} + 1)) ] &&
   grep -qx 'classes=8' "$OUT/casia.data" && grep -qx "labels=$OUT/labels.txt" "$OUT/casia.data"; then
    pass "8 labels, 25 images, casia.data says classes=8"
else
    fail "labels $nl (want 8), images $nt (want 25), casia.data: $(tr '\n' ' ' < "$OUT/casia.data" 2>/dev/null)"
fi
if grep -qxv '@[^@]*@' "$OUT/labels.txt"; then fail "a label is not of the form @name@"; else pass "labels are @name@"; fi
missing=0
while IFS= read -r p; do [ -f "$p" ] || missing=$((missing + 1)); done < "$OUT/train.list"
if [ "$missing" -eq 0 ]; then pass "every listed path exists"; else fail "$missing listed paths do not exist"; fi

# Darknet's rule on the prepared lists: own identity, exactly one match
wrong=$(darknet_labels "$OUT/labels.txt" "$OUT/train.list" |
        awk -F'\t' '{ split($1, a, "/faces/"); split(a[2], b, "/"); if ($2 != b[1] || $3 != 1) print }')
if [ -z "$wrong" ]; then
    pass "Darknet's strstr rule gives every image its own identity, with no second match"
else
    fail "mislabelled by Darknet's rule: $(head -n 2 <<<"$wrong")"
fi

# the same rule with the raw names would go wrong (e.g. 111/003.jpg contains "1" first)
printf '%s\n' "${ids[@]}" > "$W/raw-labels.txt"
find "$SRC" -name '*.jpg' | sort > "$W/raw.list"
raw_wrong=$(darknet_labels "$W/raw-labels.txt" "$W/raw.list" |
            awk -F'\t' '{ n = split($1, a, "/"); if ($2 != a[n - 1]) ++w } END { print w + 0 }')
if [ "$raw_wrong" -gt 0 ]; then
    pass "control: raw identity names would mislabel $raw_wrong of $(wc -l < "$W/raw.list") images"
else
    fail "control: raw names were expected to collide under strstr, but did not"
fi

# -v 1: one held out per identity, disjoint from train
OUT2=$W/out-v
if "$PREP" -v 1 "$SRC" "$OUT2" > "$W/prep-v.log" 2>&1 &&
   [ "$(wc -l < "$OUT2/valid.list")" -eq 8 ] && [ "$(wc -l < "$OUT2/train.list")" -eq 17 ] &&
   [ -z "$(sort "$OUT2/train.list" "$OUT2/valid.list" | uniq -d)" ] &&
   grep -qx "valid=$OUT2/valid.list" "$OUT2/casia.data"; then
    pass "-v 1: 8 held out, 17 for training, disjoint"
else
    fail "-v 1: $(tail -n 2 "$W/prep-v.log"); valid $(wc -l < "$OUT2/valid.list" 2>/dev/null), train $(wc -l < "$OUT2/train.list" 2>/dev/null)"
fi

# bad input: exit status 1 and a message naming the problem
expect_fail() { # DESCRIPTION PATTERN ARGS...
    local what=$1 pat=$2 rc=0 msg
    shift 2
    msg=$("$PREP" "$@" 2>&1 >/dev/null) || rc=$?
    if [ "$rc" -eq 1 ] && grep -q -- "$pat" <<<"$msg"; then
        pass "$what: exit 1, '$msg'"
    else
        fail "$what: exit $rc, message '$msg' (want 1 and /$pat/)"
    fi
}
B=$W/bad1; mkdir -p "$B/x@y" "$B/ok"; printf x > "$B/x@y/1.jpg"; printf x > "$B/ok/1.jpg"
expect_fail "'@' in an identity" "label delimiter" "$B" "$W/o1"
B=$W/bad2; mkdir -p "$B/empty" "$B/ok"; printf x > "$B/ok/1.jpg"; printf x > "$B/empty/readme.txt"
expect_fail "identity without images" "has no .jpg" "$B" "$W/o2"
expect_fail "OUT_DIR with '@'" "contains '@'" "$SRC" "$W/o@3"
expect_fail "missing SRC_ROOT" "is not a folder" "$W/nonexistent" "$W/o4"
expect_fail "-v not a number" "non-negative integer" -v x "$SRC" "$W/o5"
B=$W/bad6; mkdir -p "$B/only"; printf x > "$B/only/1.jpg"
expect_fail "a single identity" ">= 2" "$B" "$W/o6"

echo "prepare_casia: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
