#!/usr/bin/env bash
# portls connect against openssl s_server: the report on success, the decoded record on failure,
# and the exit status.
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
pki=$PORTLS_TEST_CERTS
fail() { echo "FAIL: $*"; exit 1; }

start_s_server -tls1_3 -alpn h2 -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
port=$S_SERVER_PORT

out=$("$PORTLS" connect "localhost:$port" --cacert "$pki/ca.pem" --alpn h2,http/1.1) || fail "connect: exit $?"
for want in "TLS version:  TLSv1.3" "ALPN:         h2" "subject: CN=localhost" "issuer:  CN=portls test CA" \
            "key:     EC 256 bits" "Verification: OK" "Timing: DNS"; do
    grep -qF "$want" <<<"$out" || fail "missing '$want' in: $out"
done
# the heap line, in a build that counts the heap (PORTLS_HEAP_ACCOUNTING)
if [ "$HEAP_ACCOUNTING" = ON ]; then
    grep -qF "Heap: peak" <<<"$out" || fail "missing the heap line in: $out"
else
    grep -qF "Heap:" <<<"$out" && fail "a heap line without heap accounting: $out"
fi

# expect_exit CODE ARGS...: runs portls ARGS quietly; its output lands in $err.
expect_exit() {
    local want=$1 rc=0
    shift
    err=$(PORTLS_LOG_LEVEL=none "$PORTLS" "$@" 2>&1) || rc=$?
    [ "$rc" -eq "$want" ] || fail "portls $*: exit $rc, not $want: $err"
}

expect_exit 1 connect "localhost:$port" --cacert "$pki/other_ca.pem"
for want in "ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED (0x801a)" "-0x2700" "verify flags: 0x8" "not correctly signed"; do
    grep -qF -- "$want" <<<"$err" || fail "missing '$want' in: $err"
done

# The diagnosis is the tool's own (it survives PORTLS_LOG_LEVEL=none), printed once: the chain the
# server sent with names and dates, the trust used, and a try: line.
for want in "Peer certificate chain (NOT verified):" "[0] subject: CN=localhost" "issuer:  CN=portls test CA" \
            "valid:   " "Trust: --cacert $pki/other_ca.pem" "try: --cacert FILE holding \"CN=portls test CA\""; do
    [ "$(grep -cF -- "$want" <<<"$err")" -eq 1 ] || fail "diagnosis: '$want' not once in: $err"
done
# the time of each phase up to the failure, the failed handshake's too
grep -qE "Timing: DNS [0-9.]+ ms, TCP [0-9.]+ ms, TLS [0-9.]*[1-9][0-9.]* ms" <<<"$err" || fail "failure timing: $err"

# No --cacert: the built-in (Mozilla) bundle, or without one (a system mbedTLS) the system trust
# store; neither knows the test CA. --capath does.
expect_exit 1 connect "localhost:$port"
grep -qF "verify flags: 0x8" <<<"$err" || fail "bundle: no NOT_TRUSTED flag in: $err"
grep -qE "^Trust: the (built-in bundle|system trust store)" <<<"$err" || fail "bundle: trust not named: $err"

# --bundle FILE: a bundle that portls bundle build made, as the trust; a build whose mbedTLS has no
# trusted-certificate callback (a system mbedTLS) refuses it and says why
"$PORTLS" bundle build -o "$S_SERVER_WORK/ca.bundle" "$pki/ca.pem" >/dev/null
"$PORTLS" bundle build -o "$S_SERVER_WORK/other.bundle" "$pki/other_ca.pem" >/dev/null
if [ "$BUNDLE" != ON ]; then
    expect_exit 1 connect "localhost:$port" --bundle "$S_SERVER_WORK/ca.bundle"
    grep -qF "cannot use a bundle" <<<"$err" || fail "--bundle without bundle support: $err"
else
    expect_exit 0 connect "localhost:$port" --bundle "$S_SERVER_WORK/ca.bundle"
    expect_exit 1 connect "localhost:$port" --bundle "$S_SERVER_WORK/other.bundle"
    grep -qF "Trust: --bundle $S_SERVER_WORK/other.bundle" <<<"$err" || fail "--bundle: trust not named: $err"
    expect_exit 1 connect "localhost:$port" --bundle "$pki/ca.pem"
    grep -qF "not a valid certificate bundle" <<<"$err" || fail "--bundle of a PEM file: $err"
fi
expect_exit 2 connect "localhost:$port" --bundle "$S_SERVER_WORK/ca.bundle" --cacert "$pki/ca.pem"

# --json: the README's schema, parsed
json=$("$PORTLS" connect "localhost:$port" --cacert "$pki/ca.pem" --alpn h2 --json) || fail "--json: exit $?"
python3 - "$json" <<'PY' || fail "--json: $json"
import json, sys
d = json.loads(sys.argv[1])
assert d["connected"] is True and d["port"] > 0 and d["host"] == "localhost", d
assert d["tls"]["version"] == "TLSv1.3" and d["tls"]["alpn"] == "h2" and d["tls"]["resumed"] is False, d
assert d["chain"][0]["subject"] == "CN=localhost" and d["chain"][0]["key_type"] == "EC", d
assert d["chain"][0]["key_bits"] == 256 and d["chain"][0]["not_after"].endswith("Z"), d
assert d["verification"] == {"ok": True, "flags": 0, "name_checked": True, "name": "localhost"}, d
assert d["timing_ms"]["tls"] > 0 and d["trust"].startswith("--cacert "), d
PY
# --reconnect --json: the second connection nested, resumed
json=$("$PORTLS" connect "localhost:$port" --cacert "$pki/ca.pem" --reconnect --json) || fail "--reconnect --json: exit $?"
python3 - "$json" <<'PY' || fail "--reconnect --json: $json"
import json, sys
d = json.loads(sys.argv[1])
assert d["resumable_session"] is True and d["tls"]["resumed"] is False, d
assert d["reconnect"]["connected"] is True and d["reconnect"]["tls"]["resumed"] is True, d
PY
rc=0
json=$(PORTLS_LOG_LEVEL=none "$PORTLS" connect "localhost:$port" --cacert "$pki/other_ca.pem" --json) || rc=$?
[ "$rc" -eq 1 ] || fail "--json failure: exit $rc"
python3 - "$json" <<'PY' || fail "--json failure: $json"
import json, sys
d = json.loads(sys.argv[1])
assert d["connected"] is False and "tls" not in d, d
assert d["error"]["esp_err"] == "ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED" and d["error"]["mbedtls"] == "-0x2700", d
assert d["error"]["verify_flags"] == 8 and d["error"]["alert"] is None, d
assert d["unverified_chain"][0]["issuer"] == "CN=portls test CA", d
assert d["try"].startswith("--cacert FILE holding"), d
assert d["timing_ms"]["tls"] > 0, d
PY
expect_exit 0 connect "localhost:$port" --capath "$pki/ca.pem"
expect_exit 1 connect "localhost:$port" --capath "$pki/other_ca.pem"
grep -qF "Trust: --capath $pki/other_ca.pem" <<<"$err" || fail "--capath: trust not named: $err"

# A name with two addresses, the first refusing (CARES_HOSTS, c-ares's own variable, stands in
# for /etc/hosts): ESP-IDF would stop at the first; portls goes on to the second.
hosts=$S_SERVER_WORK/hosts
printf '127.0.0.2 multi.test\n127.0.0.1 multi.test\n' > "$hosts"
out=$(CARES_HOSTS=$hosts "$PORTLS" connect "multi.test:$port" --cacert "$pki/ca.pem" --servername localhost) ||
    fail "multi.test: the second address was not tried: $out"

refused=$(free_port)
expect_exit 1 connect "127.0.0.1:$refused" --cacert "$pki/ca.pem"
grep -qF "errno:        111" <<<"$err" || fail "refused: no errno in: $err"
rc=0
json=$(PORTLS_LOG_LEVEL=none "$PORTLS" connect "127.0.0.1:$refused" --cacert "$pki/ca.pem" --json) || rc=$?
python3 - "$json" <<'PY' || fail "refused --json: $json"
import json, sys
d = json.loads(sys.argv[1])
assert d["error"]["errno"] == 111 and d["timing_ms"]["tcp"] > 0 and d["timing_ms"]["tls"] is None, d
PY
# the text says so too: the refused connect's TCP time, and no TLS phase
grep -qE "^Timing: DNS [0-9.]+ ms, TCP [0-9.]+ ms, TLS not reached$" <<<"$err" || fail "refused timing: $err"

# a number that is not one is a usage error naming the flag and the value, not 0
expect_exit 2 connect "localhost:$port" --cacert "$pki/ca.pem" --timeout abc
grep -qF -- "--timeout 'abc' is not a number" <<<"$err" || fail "--timeout abc: $err"
expect_exit 2 connect "localhost:$port" --cacert "$pki/ca.pem" --timeout 10x

# a heap budget too small for a handshake: a plain out-of-memory report; a usage error in a build
# that cannot count the heap
if [ "$HEAP_ACCOUNTING" = ON ]; then
    expect_exit 1 connect "localhost:$port" --cacert "$pki/ca.pem" --heap-limit 20000
    for want in "ESP_ERR_NO_MEM" "-0x7F00" "refused under the 20000-byte limit"; do
        grep -qF -- "$want" <<<"$err" || fail "heap limit: missing '$want' in: $err"
    done
else
    expect_exit 2 connect "localhost:$port" --cacert "$pki/ca.pem" --heap-limit 20000
    grep -qF "needs a build with heap accounting" <<<"$err" || fail "heap limit: $err"
fi

# --no-verify-name: connected (exit 0, as curl -k), but never reported as fully verified
out=$("$PORTLS" connect "localhost:$port" --cacert "$pki/ca.pem" --no-verify-name) || fail "--no-verify-name: exit $?"
grep -qF "Verification: PARTIAL (chain trusted; the server's name was NOT checked" <<<"$out" ||
    fail "--no-verify-name: not reported as partial: $out"
if grep -qF "Verification: OK" <<<"$out"; then fail "--no-verify-name claims full verification: $out"; fi

# A TLS 1.3 server that requires a client certificate refuses it after the client's handshake:
# connect waits for the verdict, says what was asked and sent, and names the alert.
stop_s_server
start_s_server -tls1_3 -Verify 1 -verify_return_error -CAfile "$pki/ca.pem" -cert "$pki/server_ec.pem" \
    -key "$pki/server_ec.key" -www
port=$S_SERVER_PORT
expect_exit 1 connect "localhost:$port" --cacert "$pki/ca.pem"
for want in "requested by the server, none sent" "alert:        certificate_required (116)"; do
    grep -qF -- "$want" <<<"$err" || fail "no certificate: missing '$want' in: $err"
done
expect_exit 1 connect "localhost:$port" --cacert "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/server_ec.key"
for want in "requested by the server, sent" "alert:        decrypt_error (51)"; do
    grep -qF -- "$want" <<<"$err" || fail "mismatched key: missing '$want' in: $err"
done
out=$("$PORTLS" connect "localhost:$port" --cacert "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key") ||
    fail "client certificate: exit $?"
for want in "requested by the server, sent" "Server: went on after the handshake"; do
    grep -qF -- "$want" <<<"$out" || fail "client certificate: missing '$want' in: $out"
done

# A server that sends nothing after the handshake (no tickets): connect waits 1 s, and says so.
stop_s_server
start_s_server -tls1_3 -num_tickets 0 -Verify 1 -verify_return_error -CAfile "$pki/ca.pem" -cert "$pki/server_ec.pem" \
    -key "$pki/server_ec.key" -www
out=$("$PORTLS" connect "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" --cert "$pki/client.pem" \
      --key "$pki/client.key") || fail "silent server: exit $?"
grep -qF "Server: no refusal and no record within 1 s" <<<"$out" || fail "silent server: $out"

# An mbedTLS 3.6 server encrypts that alert under the wrong keys: the client says what it means.
start_portls_serve "$PORTLS" --cert "$pki/server_ec.pem" --key "$pki/server_ec.key" --cacert "$pki/ca.pem"
rc=0
err=$("$PORTLS" connect "localhost:$SERVE_PORT" --cacert "$pki/ca.pem" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "portls serve refusing: exit $rc: $err"
grep -qF "it has probably refused the connection" <<<"$err" || fail "portls serve refusing: unexplained: $err"

# an expired leaf and a wrong name: each its own try: line
stop_s_server
start_s_server -tls1_3 -cert "$pki/expired.pem" -key "$pki/expired.key"
expect_exit 1 connect "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
grep -qF "try: renew the server's certificate" <<<"$err" || fail "expired: $err"
stop_s_server
start_s_server -tls1_3 -cert "$pki/server_named.pem" -key "$pki/server_named.key"
expect_exit 1 connect "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem"
grep -qE "^try: --servername NAME with a name the certificate holds \(.+\)" <<<"$err" || fail "wrong name: $err"

expect_exit 2 connect nonsense
echo "portls connect: report, error record and exit codes as documented"
