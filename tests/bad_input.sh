#!/usr/bin/env bash
# bad_input.sh DARKNET WORKDIR — every invalid [asoftmax] cfg stops the real `darknet`
# executable (the test build, the shipped -Ofast build, the GPU build) with exit status 1
# and exactly one message naming the layer, key and value; unknown keys are reported as
# Darknet reports them. Prints PASS/FAIL per case and a
# closing `N passed, N failed` line; exit status 1 on any failure.
set -uo pipefail

DARKNET=${1:?usage: bad_input.sh DARKNET WORKDIR}
WORK=${2:?usage: bad_input.sh DARKNET WORKDIR}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
DARKNET=$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")
pass=0 fail=0

NET=$'[net]\nbatch=2\ninputs=5\n'

# case NAME EXPECTED_MESSAGE CFG_TEXT
case_bad() {
    local name=$1 want=$2 cfg="$WORK/$1.cfg" out="$WORK/$1.log" rc n
    printf '%s' "$3" > "$cfg"
    (cd "$WORK" && "$DARKNET" classifier valid /dev/null "$cfg" </dev/null >"$out" 2>&1)
    rc=$?
    n=$(grep -c '^\[asoftmax\] layer' "$out")
    if [ "$rc" -eq 1 ] && [ "$n" -eq 1 ] && grep -qF -- "$want" "$out"; then
        pass=$((pass + 1)); echo "PASS: $name -> $(grep '^\[asoftmax\] layer' "$out")"
    else
        fail=$((fail + 1)); echo "FAIL: $name: exit $rc, $n messages, wanted '$want'; log:"; tail -5 "$out"
    fi
}

case_bad missing_output  "[asoftmax] layer 0: output: required"          "$NET"$'\n[asoftmax]\nmargin=4\n'
case_bad output_1        "[asoftmax] layer 0: output = '1':"             "$NET"$'\n[asoftmax]\noutput=1\n'
case_bad output_text     "[asoftmax] layer 0: output = 'ten':"           "$NET"$'\n[asoftmax]\noutput=ten\n'
case_bad output_huge     "[asoftmax] layer 0: output = '99999999999999999999':" "$NET"$'\n[asoftmax]\noutput=99999999999999999999\n'
case_bad margin_0        "[asoftmax] layer 0: margin = '0':"             "$NET"$'\n[asoftmax]\noutput=3\nmargin=0\n'
case_bad margin_negative "[asoftmax] layer 0: margin = '-2':"            "$NET"$'\n[asoftmax]\noutput=3\nmargin=-2\n'
case_bad margin_fraction "[asoftmax] layer 0: margin = '2.5':"           "$NET"$'\n[asoftmax]\noutput=3\nmargin=2.5\n'
case_bad margin_text     "[asoftmax] layer 0: margin = 'four':"          "$NET"$'\n[asoftmax]\noutput=3\nmargin=four\n'
case_bad margin_too_big  "[asoftmax] layer 0: margin = '65':"            "$NET"$'\n[asoftmax]\noutput=3\nmargin=65\n'
case_bad lambda_base_neg "[asoftmax] layer 0: lambda_base = '-1':"       "$NET"$'\n[asoftmax]\noutput=3\nlambda_base=-1\n'
case_bad lambda_gamma_nan "[asoftmax] layer 0: lambda_gamma = 'nan':"    "$NET"$'\n[asoftmax]\noutput=3\nlambda_gamma=nan\n'
case_bad lambda_power_neg "[asoftmax] layer 0: lambda_power = '-0.5':"   "$NET"$'\n[asoftmax]\noutput=3\nlambda_power=-0.5\n'
case_bad lambda_min_text "[asoftmax] layer 0: lambda_min = '5x':"        "$NET"$'\n[asoftmax]\noutput=3\nlambda_min=5x\n'
case_bad lambda_min_inf  "[asoftmax] layer 0: lambda_min = 'inf':"       "$NET"$'\n[asoftmax]\noutput=3\nlambda_min=inf\n'
case_bad lambda_power_nan "[asoftmax] layer 0: lambda_power = 'nan':"    "$NET"$'\n[asoftmax]\noutput=3\nlambda_power=nan\n'
case_bad lambda_base_NAN "[asoftmax] layer 0: lambda_base = 'NAN':"      "$NET"$'\n[asoftmax]\noutput=3\nlambda_base=NAN\n'
case_bad lambda_min_negnan "[asoftmax] layer 0: lambda_min = '-nan':"    "$NET"$'\n[asoftmax]\noutput=3\nlambda_min=-nan\n'
case_bad lambda_base_inf "[asoftmax] layer 0: lambda_base = 'Infinity':" "$NET"$'\n[asoftmax]\noutput=3\nlambda_base=Infinity\n'
case_bad lambda_gamma_overflow "[asoftmax] layer 0: lambda_gamma = '1e999':" "$NET"$'\n[asoftmax]\noutput=3\nlambda_gamma=1e999\n'
case_bad input_empty     "[asoftmax] layer 1: inputs = '0':"             "$NET"$'\n[connected]\noutput=0\n\n[asoftmax]\noutput=3\n'
case_bad not_last        "[asoftmax] layer 0: position: [asoftmax] reads the labels and must be the last layer" \
                                                                         "$NET"$'\n[asoftmax]\noutput=3\n\n[softmax]\n'

# a valid section with an unknown key: parsed, and the key is reported as Darknet does
printf '%s\n[asoftmax]\noutput=3\nmargni=2\n' "$NET" > "$WORK/unknown_key.cfg"
(cd "$WORK" && "$DARKNET" classifier valid /dev/null "$WORK/unknown_key.cfg" </dev/null >"$WORK/unknown_key.log" 2>&1)
if grep -qF "Unused field: 'margni = 2'" "$WORK/unknown_key.log" && grep -q ' asoftmax ' "$WORK/unknown_key.log" \
    && ! grep -q '^\[asoftmax\] layer' "$WORK/unknown_key.log"; then
    pass=$((pass + 1)); echo "PASS: unknown_key -> Unused field: 'margni = 2'"
else
    fail=$((fail + 1)); echo "FAIL: unknown_key not reported:"; tail -5 "$WORK/unknown_key.log"
fi

# `margin=` with no value never reaches the layer: Darknet's cfg reader drops the line
# and reports it itself (a limit documented in README.md)
printf '%s\n[asoftmax]\noutput=3\nmargin=\n' "$NET" > "$WORK/empty_value.cfg"
(cd "$WORK" && "$DARKNET" classifier valid /dev/null "$WORK/empty_value.cfg" </dev/null >"$WORK/empty_value.log" 2>&1)
if grep -qF "Config file error line 7, could parse: margin" "$WORK/empty_value.log"; then
    pass=$((pass + 1)); echo "PASS: empty_value -> reported by Darknet's cfg reader"
else
    fail=$((fail + 1)); echo "FAIL: empty_value not reported:"; tail -5 "$WORK/empty_value.log"
fi

# weights files: one that ends inside the layer is an error; one that ends before it (a
# backbone cut with `darknet partial`) keeps the initial weights
printf '%s\n[asoftmax]\noutput=3\n' "$NET" > "$WORK/w.cfg"
head -c 24 /dev/zero > "$WORK/truncated.weights"   # 16-byte header + 2 of 15 floats
head -c 16 /dev/zero > "$WORK/header_only.weights"
(cd "$WORK" && "$DARKNET" classifier valid /dev/null "$WORK/w.cfg" "$WORK/truncated.weights" </dev/null >"$WORK/truncated.log" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && grep -qF "[asoftmax] weights file is truncated: read 2 of 15 weights" "$WORK/truncated.log"; then
    pass=$((pass + 1)); echo "PASS: truncated_weights -> exit 1, $(grep -F '[asoftmax] weights' "$WORK/truncated.log")"
else
    fail=$((fail + 1)); echo "FAIL: truncated_weights: exit $rc"; tail -3 "$WORK/truncated.log"
fi
(cd "$WORK" && "$DARKNET" classifier valid /dev/null "$WORK/w.cfg" "$WORK/header_only.weights" </dev/null >"$WORK/header_only.log" 2>&1)
if grep -qF "keeping the initial weights" "$WORK/header_only.log" && ! grep -qF "truncated" "$WORK/header_only.log"; then
    pass=$((pass + 1)); echo "PASS: weights_end_before_layer -> initial weights kept, reported"
else
    fail=$((fail + 1)); echo "FAIL: weights_end_before_layer"; tail -3 "$WORK/header_only.log"
fi

echo "bad input: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
