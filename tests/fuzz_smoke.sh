#!/usr/bin/env bash
# A short libFuzzer run of the bundle parser, seeded with a bundle of the test PKI. `make fuzz`
# runs the same target for longer.
set -euo pipefail
seed=$BUILD_DIR/fuzz-seed.bin
"$PORTLS" bundle build -o "$seed" "$PORTLS_TEST_CERTS/ca.pem" "$PORTLS_TEST_CERTS/other_ca.pem" > /dev/null
"$SOURCE_DIR/fuzz/run.sh" "$BUILD_DIR" "${FUZZ_SECONDS:-10}" "$seed" 2>&1 | tail -n 8
