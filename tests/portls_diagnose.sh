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

# Python without a version manager's shim in front (each start of one costs a second).
PYTHON=$(command -v /usr/bin/python3 || command -v python3)

# get EXPR: a python expression on the report r (the parsed JSON), printed; f(id) is a finding
# (level "absent" if the report has none).
PRELUDE='
import json, sys
r = json.loads(sys.argv[1])
def f(i):
    m = [x for x in r["findings"] if x["id"] == i]
    return m[0] if m else {"level": "absent", "data": {}, "saw": "", "fix": "", "means": ""}
'
get() {
    "$PYTHON" -c "$PRELUDE"'
print(eval(sys.argv[2]))' "$json" "$1"
}

# check: each line of stdin is a python expression on r and f() that must be true.
check() {
    "$PYTHON" -c "$PRELUDE"'
for line in sys.stdin.read().splitlines():
    if line.strip() and not eval(line):
        sys.exit("FAIL: not true: " + line + "\nin: " + sys.argv[1])' "$json" || exit 1
}

www=$S_SERVER_WORK/www
mkdir -p "$www"
head -c 200000 /dev/zero | tr '\0' 'x' >"$www/big.txt"

# --- a server that sends 16 KiB records: the device needs IN_CONTENT_LEN 16384; TLS 1.3 and 1.2 ---
S_SERVER_DIR=$www start_s_server -WWW -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --path /big.txt --alpn http/1.1
check <<'PY'
(r["verdict"]["connects"]) is True
(f("dns")["data"]["addresses"]) == ['127.0.0.1']
(f("tcp")["data"]["connected"]) is True
(f("tls1.3")["data"]["accepted"]) is True
'TLS1-3-' in (f("tls1.3")["data"]["suite"])
(f("tls1.2")["data"]["accepted"]) is True
'TLS-ECDHE-ECDSA-WITH-' in (f("tls1.2")["data"]["suite"])
(f("legacy")["data"]["tls1.0"]) is False
(f("records")["data"]["needed_in_content_len"]) == 16384
(f("records")["level"]) == 'warn'
(f("records")["fix"]) == 'CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=16384'
(f("records")["data"]["largest_record_after_handshake"] > 16384) is True
(f("chain")["data"]["certificates"][0]["subject"]) == 'CN=localhost'
(f("chain")["data"]["certificates"][0]["key"] + str(f("chain")["data"]["certificates"][0]["key_bits"])) == 'EC256'
(f("chain")["data"]["certificates"][0]["signature"]) == 'ECDSA with SHA256'
(f("chain-verify")["level"]) == 'ok'
f("chain-bundle")["data"]["verified"] is False if r["configuration"]["CONFIG_MBEDTLS_CERTIFICATE_BUNDLE"] else f("chain-bundle")["level"] == "absent"
(f("client-auth")["data"]["requested"]) is False
(f("resumption-tls1.3")["data"]["resumed"]) is True
(f("resumption-tls1.2")["data"]["resumed"]) is True
f("resumption-tls1.3")["data"]["ticket_lifetime"] == 7200
f("resumption-tls1.2")["data"]["ticket_lifetime"] == 7200
f("records")["data"]["max_fragment_length"] == "honoured"
4096 < f("records")["data"]["max_fragment_length_largest_record"] <= 4096 + 256
f("records")["data"]["record_size_limit"] == ("ignored" if r["configuration"]["CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT"] else "not sent")
f("records")["data"]["record_size_limit_acknowledged"] is False
f("records")["data"]["record_size_limit_largest_record"] == 16401
(f("alpn")["level"]) == 'warn'
PY
if [ "$HEAP_ACCOUNTING" = ON ]; then
    check <<'PY'
(f("memory")["data"]["peak"] > f("memory")["data"]["idle"] > 0) is True
PY
fi
# the text report: the verdict line first, then the findings with their fixes
out=$(PORTLS_LOG_LEVEL=none "$PORTLS" diagnose "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --path /big.txt)
[ "$(head -n 1 <<<"$out")" = "VERDICT: a device with this configuration connects to localhost port $S_SERVER_PORT" ] ||
    fail "verdict line: $out"
grep -qF "  fix:   CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=16384" <<<"$out" || fail "records fix: $out"

# --- memory: the handshake fits in the ESP32's heap; the ESP8266's is too small for comfort,
# and the fix names the small-device options; a budget shows which allocation is refused ---
if [ "$HEAP_ACCOUNTING" = ON ]; then
    diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --device esp32
    check <<'PY'
(f("memory")["level"]) == 'ok'
(r["device"]["typical_free_heap"]) == 163840
PY
    # some 34 KB with IN 16384, against the ESP8266's 40 KB: too close (or over) with the default
    # configuration, and the fix is the small-device options; with those (make small) about 18 KB
    diag_rc=0
    json=$(PORTLS_LOG_LEVEL=none "$PORTLS" diagnose "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --device esp8266 \
        --json) || diag_rc=$?
    check <<'PY'
r["device"]["typical_free_heap"] == 40960
(f("memory")["level"] in ("warn", "fail")) is not r["configuration"]["CONFIG_MBEDTLS_DYNAMIC_BUFFER"]
(f("memory")["data"]["peak"] > 40960 * 3 / 4) is not r["configuration"]["CONFIG_MBEDTLS_DYNAMIC_BUFFER"]
(r["verdict"]["connects"] == (f("memory")["level"] != "fail")) is True
PY
    [ "$diag_rc" -eq "$(get 'int(not r["verdict"]["connects"])')" ] || fail "esp8266: exit $diag_rc for $json"
    check <<'PY'
r["configuration"]["CONFIG_MBEDTLS_DYNAMIC_BUFFER"] or all(o + "=y" in f("memory")["fix"] for o in ("CONFIG_MBEDTLS_DYNAMIC_BUFFER", "CONFIG_MBEDTLS_DYNAMIC_FREE_CONFIG_DATA", "CONFIG_MBEDTLS_DYNAMIC_FREE_CA_CERT", "CONFIG_MBEDTLS_DYNAMIC_FREE_PEER_CERT"))
"CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=%d" % r["configuration"]["CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN"] in f("memory")["data"]["measured_configuration"]
PY
    # a heap budget too small for the handshake: which allocation was refused
    diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --heap-limit 20000
    check <<'PY'
(f("heap-limit")["level"]) == 'fail'
(f("heap-limit")["data"]["failed_allocation"] > 0) is True
(f("heap-limit")["data"]["in_use"] + f("heap-limit")["data"]["failed_allocation"] > 20000) is True
'CONFIG_MBEDTLS_DYNAMIC_BUFFER=y' in (f("heap-limit")["fix"])
PY
    diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --heap-limit 1
    check <<'PY'
"not even the connection's handle" in f("heap-limit")["saw"]
PY
    diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --heap-limit 10000000
    check <<'PY'
(f("heap-limit")["level"]) == 'ok'
PY
else
    diag 2 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --heap-limit 20000
fi

diag 0 "localhost:$S_SERVER_PORT" --capath "$pki/ca.pem"
check <<'PY'
f("chain-verify")["level"] == "ok"
"the CAs of" in f("chain-verify")["saw"]
PY
stop_s_server

# --- -max_send_frag 4096: records of 4 KiB at most, so a 4 KiB input buffer does ---
S_SERVER_DIR=$www start_s_server -WWW -max_send_frag 4096 -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --path /big.txt
check <<'PY'
(f("records")["data"]["needed_in_content_len"]) == 4096
(f("records")["level"]) == 'ok'
(f("records")["fix"]) == 'CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=4096'
PY
stop_s_server

# --- gnutls-serv keeps TLS 1.3 records within the record_size_limit the client sends: a 4 KiB
# input buffer does, with CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT=y (a build without it does not ask) ---
if command -v gnutls-serv >/dev/null; then
    start_gnutls_serv --http --httpdata "$www/big.txt" --x509certfile "$pki/server_ec.pem" \
        --x509keyfile "$pki/server_ec.key"
    diag 0 "localhost:$GNUTLS_SERV_PORT" --cacert "$pki/ca.pem" --path /big.txt
    if [ "$(get 'r["configuration"]["CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT"]')" = True ]; then
        check <<'PY'
f("records")["data"]["record_size_limit"] == "honoured"
f("records")["data"]["record_size_limit_acknowledged"] is True
f("records")["data"]["record_size_limit_sent"] == r["configuration"]["CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN"]
64 <= f("records")["data"]["record_size_limit_server"] <= 16385
r["configuration"]["CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN"] - 64 < f("records")["data"]["record_size_limit_largest_record"] <= r["configuration"]["CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN"] + 16
f("records")["data"]["answer_bytes"] > 200000
f("records")["data"]["needed_in_content_len"] <= 4096
f("records")["level"] == "ok"
f("records")["fix"] == "CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT=y and CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=4096"
PY
        in_len=$(get 'r["configuration"]["CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN"]')
        out=$(PORTLS_LOG_LEVEL=none "$PORTLS" diagnose "localhost:$GNUTLS_SERV_PORT" --cacert "$pki/ca.pem" --path /big.txt)
        grep -qF "record_size_limit $in_len: acknowledged by the server" <<<"$out" || fail "records text: $out"
    else
        check <<'PY'
f("records")["data"]["record_size_limit"] == "not sent"
f("records")["data"]["record_size_limit_sent"] == 0
f("records")["fix"] == "CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=16384"
PY
    fi
    stop_gnutls_serv
else
    gnutls_missing=1 # the rest runs; the test then says it skipped a part
fi

# --- a TLS 1.0-only server: a device cannot reach it ---
start_s_server -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
check <<'PY'
(f("legacy")["level"]) == 'fail'
(f("legacy")["data"]["tls1.0"]) is True
f("legacy")["data"]["tls1.0_suite"] != "" and f("legacy")["data"]["tls1.1"] is False
(f("tls1.3")["data"]["accepted"] or f("tls1.2")["data"]["accepted"]) is False
'only TLS 1.0' in (r["verdict"]["reason"])
'upgrade the server to TLS 1.2' in (f("legacy")["fix"])
PY
stop_s_server

# --- the chain: incomplete, expired, wrong name ---
start_s_server -cert "$pki/server_int.pem" -key "$pki/server_int.key"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
check <<'PY'
(f("chain-untrusted")["data"]["incomplete"]) is True
(f("chain-untrusted")["data"]["missing_issuer"]) == 'CN=portls test intermediate'
'send its whole chain' in (f("chain-untrusted")["fix"])
PY
stop_s_server
start_s_server -cert "$pki/server_int.pem" -key "$pki/server_int.key" -cert_chain "$pki/int.pem"
diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
check <<'PY'
(len(f("chain")["data"]["certificates"])) == 2
(f("chain-untrusted")["level"]) == 'absent'
PY
stop_s_server
# sent out of order: the root before the intermediate
cat "$pki/ca.pem" "$pki/int.pem" >"$S_SERVER_WORK/disorder.pem"
start_s_server -cert "$pki/server_int.pem" -key "$pki/server_int.key" -cert_chain "$S_SERVER_WORK/disorder.pem"
diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
check <<'PY'
f("chain-order")["level"] == "warn"
f("chain-order")["data"]["index"] == 1
len(f("chain")["data"]["certificates"]) == 3
PY
stop_s_server
start_s_server -cert "$pki/expired.pem" -key "$pki/expired.key"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
check <<'PY'
(f("chain-expired")["level"]) == 'fail'
'expired on 2021-' in (f("chain-expired")["saw"])
(f("chain")["data"]["certificates"][0]["expired"]) is True
PY
stop_s_server
start_s_server -cert "$pki/server_named.pem" -key "$pki/server_named.key"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
check <<'PY'
(f("chain-name")["level"]) == 'fail'
(f("chain-name")["data"]["names"]) == 'server.test'
'common_name' in (f("chain-name")["fix"])
PY
stop_s_server

# --- a server that requires client certificates: none, the right one, a wrong CA's, a wrong key ---
S_SERVER_DIR=$www start_s_server -WWW -Verify 1 -verify_return_error -CAfile "$pki/ca.pem" \
    -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
check <<'PY'
(f("client-auth")["data"]["problem"]) == 'no-certificate'
(f("client-auth")["data"]["ca_names"]) == ['/CN=portls test CA']
PY
diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key"
check <<'PY'
(f("client-auth")["level"]) == 'ok'
PY
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --cert "$pki/client_other.pem" --key "$pki/client_other.key"
check <<'PY'
(f("client-auth")["data"]["problem"]) == 'wrong-ca'
'unknown_ca' in (f("client-auth")["saw"])
PY
diag 1 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client_other.key"
check <<'PY'
(f("client-auth")["data"]["problem"]) == 'key-mismatch'
PY
stop_s_server

# --- a server that streams without end (s_server sends its stdin to each client): the answer is
# read up to 4 MiB and the run ends ---
start_s_server -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
cat /dev/zero >&3 &
feeder=$!
SECONDS=0
diag 0 "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
kill "$feeder"
wait "$feeder" 2>/dev/null || true
[ "$SECONDS" -lt 60 ] || fail "a streaming server kept diagnose $SECONDS s"
check <<'PY'
f("records")["data"]["answer_bytes"] == 4 * 1024 * 1024
PY
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
check <<'PY'
(f("tls1.3")["data"]["accepted"]) is False
'protocol_version' in (f("tls1.3")["saw"])
(f("tls1.2")["data"]["connected"]) is True
(f("records")["data"]["needed_in_content_len"]) == 16384
(f("resumption-tls1.2")["data"]["resumed"]) is True
f("resumption-tls1.2")["data"]["ticket_lifetime"] == 300
f("records")["data"]["max_fragment_length"] == "honoured"
PY
diag 1 "localhost:$plain_port" --cacert "$pki/ca.pem"
check <<'PY'
(f("not-tls")["level"]) == 'fail'
'is_plain_tcp' in (f("not-tls")["fix"])
'-0x7200' in (f("not-tls")["means"])
PY

# --- nothing listening; bad usage ---
diag 1 "127.0.0.1:$(free_port)" --cacert "$pki/ca.pem"
check <<'PY'
(f("reachability")["level"]) == 'fail'
(f("tcp")["data"]["connected"]) is False
PY
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
if [ -n "${gnutls_missing:-}" ]; then
    echo "portls diagnose: all checks passed but gnutls-serv's (no gnutls-serv: scripts/bootstrap installs gnutls-bin)"
    exit 77
fi
echo "portls diagnose: all checks passed"
