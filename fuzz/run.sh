#!/usr/bin/env bash
# Builds the bundle-parser fuzz target with clang's libFuzzer (plus ASan and UBSan) and runs it.
#   fuzz/run.sh BUILD_DIR SECONDS [SEED_BUNDLE...]
# The corpus lives in BUILD_DIR/fuzz-corpus and grows across runs; crashes stop the run with a
# non-zero status and leave the input in BUILD_DIR/fuzz-artifacts.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR SECONDS [SEED...]}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS [SEED...]}
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/fuzz_crt_bundle
corpus=$build/fuzz-corpus
mkdir -p "$corpus" "$build/fuzz-artifacts"
command -v clang > /dev/null || { echo "fuzz: clang is not installed (scripts/bootstrap installs it)" >&2; exit 1; }
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$src/components/esp-tls/bundle" "$src/fuzz/fuzz_crt_bundle.c" \
    "$src/components/esp-tls/bundle/crt_bundle_format.c" -o "$bin"
for seed in "$@"; do
    cp "$seed" "$corpus/seed-$(basename "$seed")"
done
"$bin" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/" "$corpus"
