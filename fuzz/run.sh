#!/usr/bin/env bash
# Runs one libFuzzer target for FUZZ_SECONDS (default 10) under ASan and UBSan.
#   fuzz/run.sh BINARY WORK_DIR SEED_DIR MAX_LEN
# The corpus lives in WORK_DIR/corpus and grows across runs, starting from the checked-in seeds;
# a crash stops the run with a non-zero status and leaves the input in WORK_DIR/artifacts.
set -euo pipefail
bin=${1:?usage: run.sh BINARY WORK_DIR SEED_DIR MAX_LEN}
work=${2:?usage: run.sh BINARY WORK_DIR SEED_DIR MAX_LEN}
seeds=${3:?usage: run.sh BINARY WORK_DIR SEED_DIR MAX_LEN}
max_len=${4:?usage: run.sh BINARY WORK_DIR SEED_DIR MAX_LEN}
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
"$bin" -max_total_time="${FUZZ_SECONDS:-10}" -max_len="$max_len" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" 2>&1 | tail -n 12
exit "${PIPESTATUS[0]}"
