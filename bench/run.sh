#!/usr/bin/env bash
# Runs the benchmarks against a local openssl s_server: bench/run.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/servers.sh
. "$here/../tests/servers.sh"
pki=$build/test-pki
"$here/../tests/gen_certs.sh" "$pki"
start_s_server -cert "$pki/server_ec.pem" -key "$pki/server_ec.key" -www
echo "== heap at verification time: certificate bundle against the same CAs as a PEM chain"
"$build/bench/bench_bundle_heap" "$S_SERVER_PORT" /etc/ssl/certs/ca-certificates.crt "$pki/ca.pem"
