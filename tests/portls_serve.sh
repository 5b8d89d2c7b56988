#!/usr/bin/env bash
# portls serve against real clients: openssl s_client (echo, mutual TLS, ticket resumption),
# curl and portls connect (--http), and a clean stop on SIGINT and SIGTERM.
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
pki=$PORTLS_TEST_CERTS
fail() { echo "FAIL: $*"; exit 1; }
s_client() { openssl s_client -connect "127.0.0.1:$SERVE_PORT" -CAfile "$pki/ca.pem" -verify_return_error "$@"; }
# talk TEXT S_CLIENT_ARGS...: sends TEXT, leaves half a second for the echo (and tickets), closes.
talk() { local text=$1; shift; (echo "$text"; sleep 0.5) | s_client "$@" 2>&1; }

# --echo, both versions
start_portls_serve "$PORTLS" --cert "$pki/server_ec.pem" --key "$pki/server_ec.key" --echo
for v in -tls1_2 -tls1_3; do
    out=$(talk "echo me" "$v") || fail "s_client $v: $out"
    grep -q "^echo me" <<<"$out" || fail "no echo ($v): $out"
done

# session tickets: s_client -sess_out then -sess_in resumes
sess=$S_SERVER_WORK/sess.pem
talk a -tls1_3 -sess_out "$sess" >/dev/null || fail "first session"
out=$(talk b -tls1_3 -sess_in "$sess") || fail "second session: $out"
grep -q "^Reused, TLSv1.3" <<<"$out" || fail "not resumed: $out"
grep -q "resumed" "$SERVE_LOG" || fail "the server log does not say resumed: $(cat "$SERVE_LOG")"
stop_portls_serve TERM
[ "$SERVE_EXIT" -eq 0 ] || fail "SIGTERM: exit $SERVE_EXIT"
grep -q "portls serve: stopped" "$SERVE_LOG" || fail "no clean stop on SIGTERM"

# --cacert: client certificates required
start_portls_serve "$PORTLS" --cert "$pki/server_ec.pem" --key "$pki/server_ec.key" --cacert "$pki/ca.pem"
out=$(talk mtls -cert "$pki/client.pem" -key "$pki/client.key") || fail "mTLS: $out"
grep -q "^mtls" <<<"$out" || fail "no echo with a client certificate: $out"
if talk x -tls1_2 >/dev/null; then fail "a client without a certificate got in"; fi
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

# usage errors
rc=0; "$PORTLS" serve --port 1 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "no --cert: exit $rc"
rc=0; "$PORTLS" serve --cert /nonexistent --key /nonexistent 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "missing files: exit $rc"
echo "portls serve: echo, mutual TLS, resumption, HTTP, clean stops"
