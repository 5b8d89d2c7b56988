#!/usr/bin/env bash
# The benchmarks, against local openssl s_server peers: bench/run.sh BUILD_DIR bundle|mem
#   bundle  heap at verification time: the certificate bundle against the same CAs as a PEM chain
#   mem     the heap of one client connection, ESP-TLS against a minimal OpenSSL client: TLS 1.2
#           and 1.3, ECDSA P-256 and RSA-2048 chains, mutual TLS; a table, also written as JSON
#           to bench/results/. Figures in bytes.
set -euo pipefail
build=${1:-build}
which=${2:-bundle}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/servers.sh
. "$here/../tests/servers.sh"
pki=$build/test-pki
"$here/../tests/gen_certs.sh" "$pki"
pki=$(cd "$pki" && pwd)

bench_bundle() {
    start_s_server -cert "$pki/server_ec.pem" -key "$pki/server_ec.key" -www
    echo "== heap at verification time: certificate bundle against the same CAs as a PEM chain"
    "$build/bench/bench_bundle_heap" "$S_SERVER_PORT" /etc/ssl/certs/ca-certificates.crt "$pki/ca.pem"
}

bench_mem() {
    www=$S_SERVER_WORK/www
    mkdir -p "$www"
    head -c 262144 /dev/zero > "$www/big" # answered in 16 KiB records

    lengths() { sed -n "s/^#define CONFIG_MBEDTLS_SSL_$1_CONTENT_LEN \([0-9]*\)/\1/p" "$build/config/sdkconfig.h"; }
    config="IN $(lengths IN) / OUT $(lengths OUT)"
    frees=$(sed -n 's/^#define CONFIG_MBEDTLS_DYNAMIC_FREE_\([A-Z_]*\) 1$/\1/p' "$build/config/sdkconfig.h" | tr '\n' ' ')
    [ -n "$frees" ] && config="$config, free after use: ${frees% }"
    if grep -q '^#define CONFIG_MBEDTLS_DYNAMIC_BUFFER 1' "$build/config/sdkconfig.h"; then
        config="$config, dynamic buffers"
    fi
    echo "ESP-TLS configuration: $config"
    results=$here/results/mem-$(date -u +%Y%m%dT%H%M%SZ).json
    printf '%-22s %-6s %-8s %14s %10s %12s\n' connection TLS client "handshake peak" idle "read peak"
    echo "[" > "$results"
    first=1
    run_case() { # name server_cert server_key [mtls]
        local name=$1 cert=$2 key=$3 mtls=${4:-} extra=() client_cert=() v client bin hs idle rd bytes
        if [ -n "$mtls" ]; then
            extra=(-Verify 1 -verify_return_error -CAfile "$pki/ca.pem")
            client_cert=("$pki/client.pem" "$pki/client.key")
        fi
        for v in 1.2 1.3; do
            S_SERVER_DIR=$www start_s_server -WWW "-tls${v/./_}" -cert "$pki/$cert" -key "$pki/$key" "${extra[@]}"
            for client in esp-tls openssl; do
                bin=$build/bench/bench_esp_tls_heap
                [ "$client" = openssl ] && bin=$build/bench/bench_openssl_heap
                read -r hs idle rd bytes < <("$bin" "$S_SERVER_PORT" "$pki/ca.pem" "$v" "${client_cert[@]}")
                printf '%-22s %-6s %-8s %14s %10s %12s\n' "$name" "$v" "$client" "$hs" "$idle" "$rd"
                [ $first = 1 ] || echo "," >> "$results"
                first=0
                printf '  {"connection": "%s", "tls": "%s", "client": "%s", "handshake_peak": %s, "idle": %s, "read_peak": %s, "bytes_read": %s, "config": "%s"}' \
                    "$name" "$v" "$client" "$hs" "$idle" "$rd" "$bytes" "$config" >> "$results"
            done
            stop_s_server
        done
    }
    run_case "ECDSA P-256 chain" server_ec.pem server_ec.key
    run_case "RSA-2048 chain" server_rsa.pem server_rsa.key
    run_case "mutual TLS (ECDSA)" server_ec.pem server_ec.key mtls
    printf '\n]\n' >> "$results"
    echo
    echo "ESP-IDF's published figures (https_request, TLS 1.2): 42,196 B by default, 22,013 B with its dynamic buffers."
    echo "written to $results"
}

case $which in
    bundle) bench_bundle ;;
    mem) bench_mem ;;
    *) echo "usage: bench/run.sh BUILD_DIR bundle|mem" >&2; exit 2 ;;
esac
