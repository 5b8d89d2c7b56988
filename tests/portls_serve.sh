#!/usr/bin/env bash
# portls serve against real clients: openssl s_client (echo, mutual TLS, ticket resumption),
# curl and portls connect (--http), a clean stop on SIGINT and SIGTERM, IPv6, and the refusals at
# start: a certificate and key that are no pair, an address it cannot listen on.
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
pki=$PORTLS_TEST_CERTS
fail() { echo "FAIL: $*"; exit 1; }
s_client() { openssl s_client -connect "${SERVE_HOST:-127.0.0.1}:$SERVE_PORT" -CAfile "$pki/ca.pem" -verify_return_error "$@"; }
# talk TEXT S_CLIENT_ARGS...: sends TEXT and closes once its echo came as a whole line (the server
# sends its TLS 1.3 ticket before that), s_client ended, or 20 s passed; prints what s_client
# said. TEXT has a space: s_client prints the server's certificate in base64, whose lines could
# begin like a one-word TEXT.
talk() {
    local text=$1 out=$S_SERVER_WORK/talk.out in=$S_SERVER_WORK/talk.in pid rc=0
    shift
    rm -f "$in"
    mkfifo "$in"
    s_client "$@" <"$in" >"$out" 2>&1 &
    pid=$!
    exec 5>"$in"
    echo "$text" >&5
    for _ in $(seq 400); do
        grep -qxF -- "$text" "$out" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    exec 5>&-
    wait "$pid" || rc=$?
    cat "$out"
    return $rc
}

# --echo, both versions
start_portls_serve "$PORTLS" --cert "$pki/server_ec.pem" --key "$pki/server_ec.key" --echo
for v in -tls1_2 -tls1_3; do
    out=$(talk "echo me" "$v") || fail "s_client $v: $out"
    grep -qx "echo me" <<<"$out" || fail "no echo ($v): $out"
done

# session tickets: s_client -sess_out then -sess_in resumes
sess=$S_SERVER_WORK/sess.pem
talk "first session" -tls1_3 -sess_out "$sess" >/dev/null || fail "first session"
out=$(talk "second session" -tls1_3 -sess_in "$sess") || fail "second session: $out"
grep -q "^Reused, TLSv1.3" <<<"$out" || fail "not resumed: $out"
grep -q "resumed" "$SERVE_LOG" || fail "the server log does not say resumed: $(cat "$SERVE_LOG")"
stop_portls_serve TERM
[ "$SERVE_EXIT" -eq 0 ] || fail "SIGTERM: exit $SERVE_EXIT"
grep -q "portls serve: stopped" "$SERVE_LOG" || fail "no clean stop on SIGTERM"

# --cacert: client certificates required
start_portls_serve "$PORTLS" --cert "$pki/server_ec.pem" --key "$pki/server_ec.key" --cacert "$pki/ca.pem"
out=$(talk "mutual tls" -cert "$pki/client.pem" -key "$pki/client.key") || fail "mTLS: $out"
grep -qx "mutual tls" <<<"$out" || fail "no echo with a client certificate: $out"
if talk "no certificate" -tls1_2 >/dev/null; then fail "a client without a certificate got in"; fi
grep -q "CN=portls client" "$SERVE_LOG" || fail "the client certificate is not logged: $(cat "$SERVE_LOG")"
stop_portls_serve INT
[ "$SERVE_EXIT" -eq 0 ] || fail "SIGINT: exit $SERVE_EXIT"

# --http: curl and portls connect
start_portls_serve "$PORTLS" --cert "$pki/server_rsa.pem" --key "$pki/server_rsa.key" --http
page=$(curl -sS --cacert "$pki/ca.pem" "https://localhost:$SERVE_PORT/") || fail "curl"
grep -q "Session: new" <<<"$page" || fail "page: $page"
grep -q "ALPN:         http/1.1" <<<"$page" || fail "no ALPN on the page: $page"
for v in --tls1.2 --tls1.3; do
    out=$("$PORTLS" connect "localhost:$SERVE_PORT" --cacert "$pki/ca.pem" "$v" --reconnect) || fail "connect $v"
    grep -q "^Session: resumed" <<<"$out" || fail "portls connect $v --reconnect did not resume: $out"
done
stop_portls_serve TERM

# IPv6: --bind ::1
start_portls_serve "$PORTLS" --cert "$pki/server_ec.pem" --key "$pki/server_ec.key" --bind ::1
grep -q "listening on \[::1\]:$SERVE_PORT" "$S_SERVER_WORK/serve.out" || fail "IPv6: $(cat "$S_SERVER_WORK/serve.out")"
out=$(SERVE_HOST="[::1]" talk "over six" -tls1_3) || fail "s_client over IPv6: $out"
grep -qx "over six" <<<"$out" || fail "no echo over IPv6: $out"
grep -q "connection from \[::1\]:" "$SERVE_LOG" || fail "the IPv6 client is not logged: $(cat "$SERVE_LOG")"
stop_portls_serve INT

# refusals at start, each with the reason
refused() { # EXPECTED_TEXT ARGS...: serve exits 1 and says EXPECTED_TEXT
    local expected=$1 rc=0 err
    shift
    err=$("$PORTLS" serve --port 0 "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq 1 ] || fail "serve $*: exit $rc: $err"
    grep -qF -- "$expected" <<<"$err" || fail "serve $*: $err"
}
refused "--cert $pki/server_ec.key holds no certificate" --cert "$pki/server_ec.key" --key "$pki/server_ec.key"
refused "--key $pki/server_ec.pem holds no usable private key" --cert "$pki/server_ec.pem" --key "$pki/server_ec.pem"
refused "is not the key of the certificate" --cert "$pki/server_ec.pem" --key "$pki/server_named.key"
refused "is not the key of the certificate" --cert "$pki/server_ec.pem" --key "$pki/server_rsa.key"
refused "cannot listen on 192.0.2.1 port 0: Cannot assign requested address" \
    --cert "$pki/server_ec.pem" --key "$pki/server_ec.key" --bind 192.0.2.1
start_portls_serve "$PORTLS" --cert "$pki/server_ec.pem" --key "$pki/server_ec.key"
rc=0; err=$("$PORTLS" serve --port "$SERVE_PORT" --cert "$pki/server_ec.pem" --key "$pki/server_ec.key" 2>&1) || rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot listen on 127.0.0.1 port $SERVE_PORT: Address already in use" <<<"$err" ||
    fail "a port in use: exit $rc: $err"
stop_portls_serve TERM

# usage errors
rc=0; "$PORTLS" serve --port 1 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "no --cert: exit $rc"
rc=0; "$PORTLS" serve --cert /nonexistent --key /nonexistent 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "missing files: exit $rc"
echo "portls serve: echo, mutual TLS, resumption, HTTP, clean stops, IPv6, refusals at start"
