#!/usr/bin/env bash
# portls diagnose against real servers on loopback: each finding with the right value and fix,
# the verdict and the exit status, in text and in JSON (parsed with python3's json).
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
pki=$PORTLS_TEST_CERTS
fail() { echo "FAIL: $*"; exit 1; }

# diag WANT_EXIT ARGS...: runs portls diagnose ARGS --json; the JSON lands in $json.
diag() {
    local want=$1 rc=0
    shift
    json=$(PORTLS_LOG_LEVEL=none "$PORTLS" diagnose "$@" --json 2>"$S_SERVER_WORK/diag.err") || rc=$?
    [ "$rc" -eq "$want" ] || fail "diagnose $*: exit $rc, not $want: $json $(cat "$S_SERVER_WORK/diag.err")"
}

# get EXPR: a python expression on the report r (the parsed JSON), printed; f(id) is a finding.
get() {
    python3 -c '
import json, sys
r = json.loads(sys.argv[1])
def f(i):
    m = [x for x in r["findings"] if x["id"] == i]
    return m[0] if m else {"level": "absent", "data": {}, "saw": "", "fix": ""}
print(eval(sys.argv[2]))' "$json" "$1"
}

# expect EXPR WANT: get EXPR must print WANT.
expect() {
    local got
    got=$(get "$1")
    [ "$got" = "$2" ] || fail "$1 is '$got', not '$2' in: $json"
}

# contains EXPR TEXT: get EXPR must contain TEXT.
contains() {
    local got
    got=$(get "$1")
    [[ $got == *"$2"* ]] || fail "$1 lacks '$2': '$got' in: $json"
}

www=$S_SERVER_WORK/www
mkdir -p "$www"
head -c 200000 /dev/zero | tr '\0' 'x' >"$www/big.txt"

# --- a server that sends 16 KiB records: the device needs IN_CONTENT_LEN 16384; TLS 1.3 and 1.2 ---
S_SERVER_DIR=$www start_s_server -WWW -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --path /big.txt --alpn http/1.1
expect 'r["verdict"]["connects"]' True
expect 'f("dns")["data"]["addresses"]' "['127.0.0.1']"
expect 'f("tcp")["data"]["connected"]' True
expect 'f("tls1.3")["data"]["accepted"]' True
contains 'f("tls1.3")["data"]["suite"]' "TLS1-3-"
expect 'f("tls1.2")["data"]["accepted"]' True
contains 'f("tls1.2")["data"]["suite"]' "TLS-ECDHE-ECDSA-WITH-"
expect 'f("legacy")["data"]["tls1.0"]' False
expect 'f("records")["data"]["needed_in_content_len"]' 16384
expect 'f("records")["level"]' warn
expect 'f("records")["fix"]' "CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=16384"
expect 'f("records")["data"]["largest_record_after_handshake"] > 16384' True
expect 'f("chain")["data"]["certificates"][0]["subject"]' "CN=localhost"
expect 'f("chain")["data"]["certificates"][0]["key"] + str(f("chain")["data"]["certificates"][0]["key_bits"])' EC256
expect 'f("chain")["data"]["certificates"][0]["signature"]' "ECDSA with SHA256"
expect 'f("chain-verify")["level"]' ok
expect 'f("client-auth")["data"]["requested"]' False
expect 'f("resumption-tls1.3")["data"]["resumed"]' True
expect 'f("resumption-tls1.2")["data"]["resumed"]' True
expect 'f("alpn")["level"]' warn # s_server without -alpn selects none
if [ "$HEAP_ACCOUNTING" = ON ]; then
    expect 'f("memory")["data"]["peak"] > f("memory")["data"]["idle"] > 0' True
fi
# the text report: the verdict line first, then the findings with their fixes
out=$(PORTLS_LOG_LEVEL=none "$PORTLS" diagnose "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --path /big.txt)
[ "$(head -n 1 <<<"$out")" = "VERDICT: a device with this configuration connects to localhost port $S_SERVER_PORT" ] ||
    fail "verdict line: $out"
grep -qF "  fix:   CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=16384" <<<"$out" || fail "records fix: $out"

# --- the ESP8266's heap: the default configuration's handshake does not fit in 20 KB, it does in
# the ESP32's; the fix names the small-device options ---
if [ "$HEAP_ACCOUNTING" = ON ]; then
    diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --device esp32
    expect 'f("memory")["level"]' ok
    expect 'r["device"]["typical_free_heap"]' 163840
    # some 34 KB with IN 16384, against the ESP8266's 40 KB: too close (or over) with the default
    # configuration, and the fix is the small-device options
    diag_rc=0
    json=$(PORTLS_LOG_LEVEL=none "$PORTLS" diagnose "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --device esp8266 \
        --json) || diag_rc=$?
    expect 'f("memory")["level"] in ("warn", "fail")' True
    expect 'f("memory")["data"]["peak"] > 40960 * 3 / 4' True
    expect 'r["verdict"]["connects"] == (f("memory")["level"] == "warn")' True
    [ "$diag_rc" -eq "$(get 'int(not r["verdict"]["connects"])')" ] || fail "esp8266: exit $diag_rc for $json"
    for opt in CONFIG_MBEDTLS_DYNAMIC_BUFFER=y CONFIG_MBEDTLS_DYNAMIC_FREE_CONFIG_DATA=y \
               CONFIG_MBEDTLS_DYNAMIC_FREE_CA_CERT=y CONFIG_MBEDTLS_DYNAMIC_FREE_PEER_CERT=y; do
        contains 'f("memory")["fix"]' "$opt"
    done
    contains 'f("memory")["data"]["measured_configuration"]' "CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=$(get 'r["configuration"]["CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN"]')"
    # a heap budget too small for the handshake: which allocation was refused
    diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --heap-limit 20000
    expect 'f("heap-limit")["level"]' fail
    expect 'f("heap-limit")["data"]["failed_allocation"] > 0' True
    expect 'f("heap-limit")["data"]["in_use"] + f("heap-limit")["data"]["failed_allocation"] > 20000' True
    contains 'f("heap-limit")["fix"]' "CONFIG_MBEDTLS_DYNAMIC_BUFFER=y"
    diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --heap-limit 10000000
    expect 'f("heap-limit")["level"]' ok
else
    diag 2 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --heap-limit 20000
fi
stop_s_server

# --- -max_send_frag 4096: records of 4 KiB at most, so a 4 KiB input buffer does ---
S_SERVER_DIR=$www start_s_server -WWW -max_send_frag 4096 -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --path /big.txt
expect 'f("records")["data"]["needed_in_content_len"]' 4096
expect 'f("records")["level"]' ok
expect 'f("records")["fix"]' "CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=4096"
expect 'f("records")["data"]["max_fragment_length"]' "not measured"
stop_s_server

# --- a TLS 1.0-only server: a device cannot reach it ---
start_s_server -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
expect 'f("legacy")["level"]' fail
expect 'f("legacy")["data"]["tls1.0"]' True
expect 'f("tls1.3")["data"]["accepted"] or f("tls1.2")["data"]["accepted"]' False
contains 'r["verdict"]["reason"]' "only TLS 1.0"
contains 'f("legacy")["fix"]' "upgrade the server to TLS 1.2"
stop_s_server

# --- the chain: incomplete, expired, wrong name ---
start_s_server -cert "$pki/server_int.pem" -key "$pki/server_int.key"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
expect 'f("chain-untrusted")["data"]["incomplete"]' True
expect 'f("chain-untrusted")["data"]["missing_issuer"]' "CN=portls test intermediate"
contains 'f("chain-untrusted")["fix"]' "send its whole chain"
stop_s_server
start_s_server -cert "$pki/server_int.pem" -key "$pki/server_int.key" -cert_chain "$pki/int.pem"
diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
expect 'len(f("chain")["data"]["certificates"])' 2
expect 'f("chain-untrusted")["level"]' absent
stop_s_server
start_s_server -cert "$pki/expired.pem" -key "$pki/expired.key"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
expect 'f("chain-expired")["level"]' fail
contains 'f("chain-expired")["saw"]' "expired on 2021-"
expect 'f("chain")["data"]["certificates"][0]["expired"]' True
stop_s_server
start_s_server -cert "$pki/server_named.pem" -key "$pki/server_named.key"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
expect 'f("chain-name")["level"]' fail
expect 'f("chain-name")["data"]["names"]' "server.test"
contains 'f("chain-name")["fix"]' "common_name"
stop_s_server

# --- a server that requires client certificates: none, the right one, a wrong CA's, a wrong key ---
S_SERVER_DIR=$www start_s_server -WWW -Verify 1 -verify_return_error -CAfile "$pki/ca.pem" \
    -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
expect 'f("client-auth")["data"]["problem"]' no-certificate
expect 'f("client-auth")["data"]["ca_names"]' "['/CN=portls test CA']"
diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key"
expect 'f("client-auth")["level"]' ok
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --cert "$pki/client_other.pem" --key "$pki/client_other.key"
expect 'f("client-auth")["data"]["problem"]' wrong-ca
contains 'f("client-auth")["saw"]' "unknown_ca"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client_other.key"
expect 'f("client-auth")["data"]["problem"]' key-mismatch
stop_s_server

# --- nginx with TLS 1.2 only, and a plain HTTP port ---
nginx_dir=$S_SERVER_WORK/nginx
mkdir -p "$nginx_dir/tmp"
tls_port=$(free_port)
plain_port=$(free_port)
cat >"$nginx_dir/nginx.conf" <<CONF
daemon off; master_process off; pid $nginx_dir/nginx.pid; error_log $nginx_dir/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $nginx_dir/tmp; proxy_temp_path $nginx_dir/tmp; fastcgi_temp_path $nginx_dir/tmp;
  uwsgi_temp_path $nginx_dir/tmp; scgi_temp_path $nginx_dir/tmp;
  server {
    listen 127.0.0.1:$tls_port ssl; listen 127.0.0.1:$plain_port;
    ssl_certificate $pki/server_ec.pem; ssl_certificate_key $pki/server_ec.key; ssl_protocols TLSv1.2;
    root $www;
  }
}
CONF
"$NGINX" -p "$nginx_dir" -c "$nginx_dir/nginx.conf" 2>"$nginx_dir/stderr" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null || true; stop_servers' EXIT
for _ in $(seq 100); do
    (exec 4<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && break
    sleep 0.05
done
diag 0 "localhost:$tls_port" --cacert "$pki/ca.pem" --path /big.txt
expect 'f("tls1.3")["data"]["accepted"]' False
contains 'f("tls1.3")["saw"]' "protocol_version"
expect 'f("tls1.2")["data"]["connected"]' True
expect 'f("records")["data"]["needed_in_content_len"]' 16384
expect 'f("resumption-tls1.2")["data"]["resumed"]' True
diag 1 "localhost:$plain_port" --cacert "$pki/ca.pem"
expect 'f("not-tls")["level"]' fail
contains 'f("not-tls")["fix"]' "is_plain_tcp"
contains 'f("not-tls")["means"]' "-0x7200"

# --- nothing listening; bad usage ---
diag 1 "127.0.0.1:$(free_port)" --cacert "$pki/ca.pem"
expect 'f("reachability")["level"]' fail
expect 'f("tcp")["data"]["connected"]' False
for bad in "--device esp99" "--heap-limit abc" "--cert $pki/client.pem" "--path"; do
    rc=0
    # shellcheck disable=SC2086
    err=$("$PORTLS" diagnose "localhost:$tls_port" $bad 2>&1) || rc=$?
    [ "$rc" -eq 2 ] || fail "diagnose $bad: exit $rc, not 2: $err"
done
rc=0
err=$("$PORTLS" diagnose "localhost:$tls_port" --heap-limit abc 2>&1) || rc=$?
grep -qF -- "--heap-limit 'abc' is not a number" <<<"$err" || fail "--heap-limit abc: $err"
rc=0
"$PORTLS" diagnose localhost:abc >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "localhost:abc: exit $rc, not 2"
echo "portls diagnose: all checks passed"
