#!/usr/bin/env bash
# The benchmarks, against local peers: bench/run.sh BUILD_DIR bundle|mem|http|mqtt|ota
#   bundle  heap at verification time: the certificate bundle against the same CAs as a PEM chain
#   mem     the heap of one connection: the ESP-TLS client against a minimal OpenSSL client (TLS
#           1.2 and 1.3, ECDSA P-256 and RSA-2048 chains, mutual TLS), and the ESP-TLS server
#           against s_client; with record_size_limit in the build, TLS 1.3 against gnutls-serv,
#           which keeps to it (in a build with an input buffer below 16 KiB, that row alone: the
#           OpenSSL peers' 16 KiB records do not fit); then the whole client by allocation site
#           (the mqtt/ssl_mutual_auth round trip, an HTTPS GET); tables, also written as JSON to
#           bench/results/. Bytes.
#   http    esp_http_client against curl on one nginx: keep-alive and new-connection requests per
#           second (full and resumed handshakes), and a 256 MiB download; ratios, JSON likewise.
#   mqtt    the MQTT client against libmosquitto on one mosquitto broker over TLS: QoS 0 and 1
#           publish rates, connect time, heap while connected; ratios, JSON likewise.
#   ota     bench/run.sh BUILD_DIR ota SMALL_BUILD_DIR: a whole esp_https_ota update's peak heap,
#           BUILD_DIR's default buffers in one request and in 3 KiB ranges, SMALL_BUILD_DIR's
#           (dynamic buffers, 4 KiB input records) in 3 KiB ranges; a table, JSON likewise.
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
    rsl=
    if grep -q '^#define CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT 1' "$build/config/sdkconfig.h"; then
        rsl=1
        config="$config, record_size_limit"
    fi
    frees=$(sed -n 's/^#define CONFIG_MBEDTLS_DYNAMIC_FREE_\([A-Z_]*\) 1$/\1/p' "$build/config/sdkconfig.h" | tr '\n' ' ')
    [ -n "$frees" ] && config="$config, free after use: ${frees% }"
    if grep -q '^#define CONFIG_MBEDTLS_DYNAMIC_BUFFER 1' "$build/config/sdkconfig.h"; then
        config="$config, dynamic buffers"
    fi
    echo "ESP-TLS configuration: $config"
    results=$here/results/mem-$(date -u +%Y%m%dT%H%M%SZ).json
    echo "process: the whole process's heap, counted for both clients by the same malloc replacement"
    echo "(bench/malloc_count.c: usable bytes, the context, CA, key and name resolution included);"
    echo "account: the ESP-TLS connection's own account (esp_tls_heap.h: requested bytes of mbedTLS and ESP-TLS)"
    printf '%-22s %-6s %-8s | %-30s | %-30s\n' "" "" "" "process" "account"
    printf '%-22s %-6s %-8s | %9s %9s %10s | %9s %9s %10s\n' connection TLS side \
        "hs peak" idle "read peak" "hs peak" idle "read peak"
    echo "[" > "$results"
    first=1
    emit() { # name version side p_peak p_idle p_read a_peak a_idle a_read bytes_read ("-": not measured)
        printf '%-22s %-6s %-8s | %9s %9s %10s | %9s %9s %10s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9"
        [ $first = 1 ] || echo "," >> "$results"
        first=0
        json_num() { [ "$1" = - ] && echo null || echo "$1"; }
        printf '  {"connection": "%s", "tls": "%s", "side": "%s", "process_handshake_peak": %s, "process_idle": %s, "process_read_peak": %s, "account_handshake_peak": %s, "account_idle": %s, "account_read_peak": %s, "bytes_read": %s, "config": "%s"}' \
            "$1" "$2" "$3" "$(json_num "$4")" "$(json_num "$5")" "$(json_num "$6")" "$(json_num "$7")" \
            "$(json_num "$8")" "$(json_num "$9")" "${10}" "$config" >> "$results"
    }
    run_case() { # name server_cert server_key [mtls]
        local name=$1 cert=$2 key=$3 mtls=${4:-} extra=() client_cert=() v client bin
        if [ -n "$mtls" ]; then
            extra=(-Verify 1 -verify_return_error -CAfile "$pki/ca.pem")
            client_cert=("$pki/client.pem" "$pki/client.key")
        fi
        for v in 1.2 1.3; do
            S_SERVER_DIR=$www start_s_server -WWW "-tls${v/./_}" -cert "$pki/$cert" -key "$pki/$key" "${extra[@]}"
            # shellcheck disable=SC2046
            emit "$name" "$v" esp-tls $("$build/bench/bench_esp_tls_heap" "$S_SERVER_PORT" "$pki/ca.pem" "$v" "${client_cert[@]}")
            read -r p_peak p_idle p_read bytes < <("$build/bench/bench_openssl_heap" "$S_SERVER_PORT" "$pki/ca.pem" "$v" "${client_cert[@]}")
            emit "$name" "$v" openssl "$p_peak" "$p_idle" "$p_read" - - - "$bytes"
            stop_s_server
        done
    }
    # The ESP-TLS server: one session at a time, s_client sends 256 KiB and closes.
    run_server_case() { # name [mtls]
        local name=$1 mtls=${2:-} ca=() client_cert=() v out pid port waited
        if [ -n "$mtls" ]; then
            ca=("$pki/ca.pem")
            client_cert=(-cert "$pki/client.pem" -key "$pki/client.key")
        fi
        for v in 1.2 1.3; do
            out=$S_SERVER_WORK/server-heap-$v
            rm -f "$out"
            "$build/bench/bench_esp_tls_server_heap" "$pki/server_ec.pem" "$pki/server_ec.key" "$v" "${ca[@]}" > "$out" &
            pid=$!
            waited=0
            while [ ! -s "$out" ] && ((waited++ < 100)); do sleep 0.1; done
            port=$(head -1 "$out")
            [ -n "$port" ] || { echo "bench_esp_tls_server_heap did not start" >&2; exit 1; }
            for _ in warm-up measured; do
                head -c 262144 /dev/zero |
                    openssl s_client -connect "127.0.0.1:$port" "-tls${v/./_}" "${client_cert[@]}" > /dev/null 2>&1 || true
            done
            wait "$pid"
            read -r a_peak a_idle a_read bytes < <(tail -1 "$out")
            emit "$name" "$v" server - - - "$a_peak" "$a_idle" "$a_read" "$bytes"
        done
    }
    # A server that keeps its TLS 1.3 records within the client's record_size_limit.
    run_rsl_case() { # name server_cert server_key
        local p_peak p_idle p_read bytes
        start_gnutls_serv --http --httpdata "$www/big" --x509certfile "$pki/$2" --x509keyfile "$pki/$3"
        # shellcheck disable=SC2046
        emit "$1" 1.3 esp-tls $("$build/bench/bench_esp_tls_heap" "$GNUTLS_SERV_PORT" "$pki/ca.pem" 1.3)
        read -r p_peak p_idle p_read bytes < <("$build/bench/bench_openssl_heap" "$GNUTLS_SERV_PORT" "$pki/ca.pem" 1.3)
        emit "$1" 1.3 openssl "$p_peak" "$p_idle" "$p_read" - - - "$bytes"
        stop_gnutls_serv
    }
    if [ "$(lengths IN)" -eq 16384 ]; then
        run_case "ECDSA P-256 chain" server_ec.pem server_ec.key
        run_case "RSA-2048 chain" server_rsa.pem server_rsa.key
        run_case "mutual TLS (ECDSA)" server_ec.pem server_ec.key mtls
        run_server_case "ECDSA P-256 chain"
        run_server_case "mutual TLS (ECDSA)" mtls
    else
        echo "(openssl s_server's and s_client's 16 KiB records do not fit IN $(lengths IN): their rows need IN 16384)"
    fi
    if [ -n "$rsl" ] && command -v gnutls-serv >/dev/null; then
        run_rsl_case "ECDSA P-256, gnutls" server_ec.pem server_ec.key
    fi
    printf '\n]\n' >> "$results"
    if [ "$(lengths IN)" -eq 16384 ]; then
        whole_client # in the IN 16384 builds; ota-small's is test_example_heap_budget's
    fi
    echo
    echo "ESP-IDF's published figures (https_request, TLS 1.2): 42,196 B by default, 22,013 B with its dynamic buffers."
    echo "written to $results"
}

# The whole client, by allocation site (bench/heap_sites.h), counted from before the first call
# with no warm-up: ESP-IDF's mqtt/ssl_mutual_auth round trip against the tests' mosquitto, and an
# esp_http_client HTTPS GET from the tests' nginx.
whole_client() {
    whole_client_case mqtt_ssl_mutual_auth bench_mqtt_heap \
        "ESP-IDF's mqtt/ssl_mutual_auth round trip (mutual TLS 1.3 to mosquitto, subscribe, publish, receive, stop)"
    whole_client_case https_get bench_http_heap "an esp_http_client HTTPS GET (TLS 1.3 to nginx, verify, read, cleanup)"
    echo "goal (issue 15): the mqtt_ssl_mutual_auth round trip within 32,768 bytes in the small-device build"
}

whole_client_case() { # name program title
    local out peak idle after account file
    out=$(PORTLS_TEST_CERTS=$pki PORTLS_LOG_LEVEL=none "$build/bench/$2")
    read -r _ peak idle after <<<"$(grep '^total' <<<"$out")"
    account=$(awk '/^account/ {print $2}' <<<"$out")
    echo
    echo "== the whole client: $3; the whole process from before the first call, bytes"
    printf '%-26s %10s %10s\n' site peak idle
    awk '/^site/ && $2 != "before_counting" && ($3 != 0 || $4 != 0) {printf "%-26s %10s %10s\n", $2, $3, $4}' <<<"$out"
    printf '%-26s %10s %10s\n' "whole process" "$peak" "$idle"
    echo "after destroy: $after ($(awk '/^left/ {printf "%s%s %s", sep, $2, $3; sep=", "}' <<<"$out")); portls's own account peak: $account"
    file=${results%.json}-$1.json
    { printf '{"case": "%s", "config": "%s", "peak": %s, "idle": %s, "after": %s, "account_peak": %s, "sites": {' \
        "$1" "$config" "$peak" "$idle" "$after" "$account"
      awk '/^site/ {printf "%s\"%s\": {\"peak\": %s, \"idle\": %s}", sep, $2, $3, $4; sep=", "}' <<<"$out"
      printf '}}\n'; } > "$file"
    echo "written to $file"
}

bench_http() {
    PORTLS_TEST_CERTS=$pki PORTLS_LOG_LEVEL=none "$build/bench/bench_http" \
        "$here/results/http-$(date -u +%Y%m%dT%H%M%SZ).json"
}

bench_mqtt() {
    PORTLS_TEST_CERTS=$pki PORTLS_LOG_LEVEL=none "$build/bench/bench_mqtt" \
        "$here/results/mqtt-$(date -u +%Y%m%dT%H%M%SZ).json"
}

bench_ota() {
    local small=${1:?usage: bench/run.sh BUILD_DIR ota SMALL_BUILD_DIR} results label bin size config peak after first=1
    results=$here/results/ota-$(date -u +%Y%m%dT%H%M%SZ).json
    echo "== a whole update's heap: esp_https_ota() of a 256 KiB image from nginx (TLS 1.3, 16 KiB records)"
    echo "process peak and what stays allocated after it, bytes above the figure before (bench/malloc_count.c)"
    printf '%-58s %10s %8s\n' configuration peak after
    echo "[" > "$results"
    for row in "default buffers, one request|$build|0" "default buffers, 3 KiB ranges|$build|3072" \
               "dynamic buffers + IN 4096, 3 KiB ranges|$small|3072"; do
        IFS='|' read -r label bin size <<<"$row"
        config=$(sed -n 's/^#define CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN \([0-9]*\)/IN \1/p' "$bin/config/sdkconfig.h")
        read -r peak after < <(PORTLS_TEST_CERTS=$pki PORTLS_LOG_LEVEL=none "$bin/bench/bench_ota_heap" "$size")
        printf '%-58s %10s %8s\n' "$label ($config)" "$peak" "$after"
        [ $first = 1 ] || echo "," >> "$results"
        first=0
        printf '  {"configuration": "%s", "in_content_len": "%s", "request_size": %s, "peak": %s, "after": %s}' \
            "$label" "$config" "$size" "$peak" "$after" >> "$results"
    done
    printf '\n]\n' >> "$results"
    echo
    echo "ESP-IDF documents about 12 KiB saved by partial download with a 4 KiB input buffer on a chip."
    echo "written to $results"
}

case $which in
    bundle) bench_bundle ;;
    mem) bench_mem ;;
    http) bench_http ;;
    mqtt) bench_mqtt ;;
    ota) bench_ota "${3:-}" ;;
    *) echo "usage: bench/run.sh BUILD_DIR bundle|mem|http|mqtt|ota [SMALL_BUILD_DIR]" >&2; exit 2 ;;
esac
