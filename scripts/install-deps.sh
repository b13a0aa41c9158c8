#!/usr/bin/env bash
# install-deps.sh — install the Debian packages the build, tests and demo need, if missing.
# Uses apt-get directly as root, or sudo when available; otherwise lists what is missing.
set -euo pipefail
# g++: AlexeyAB's fork has C++ files (src/http_stream.cpp) and links with g++
# libfreetype-dev, fonts-wqy-microhei, fonts-arphic-gkai00mp: dev/render_glyphs.c and its
# test (two small CJK faces, 10 MB)
# python3, perl: the tests make a synthetic font (test_render.sh) and NaN weights
# (test_eval_tool.sh) with them
pkgs=(gcc g++ make patch xz-utils dpkg-dev zlib1g-dev libopenblas-openmp-dev dataset-fashion-mnist
      gnuplot-nox fonts-dejavu-core libfreetype-dev pkg-config fonts-wqy-microhei fonts-arphic-gkai00mp
      python3 perl)
# CI's reliability jobs (`install-deps.sh --ci`): libFuzzer (clang + compiler-rt), valgrind
[ "${1:-}" = "--ci" ] && pkgs+=(clang libclang-rt-14-dev valgrind)
# `make demo-openset` (`install-deps.sh --openset`): every typeface of scripts/openset-fonts.txt
[ "${1:-}" = "--openset" ] && pkgs+=($(awk '!/^#/ && NF { print $1 }' "$(dirname "$0")/openset-fonts.txt" | sort -u))
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-deps: please install: ${missing[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
