#!/usr/bin/env bash
# portls connect against openssl s_server: the report on success, the decoded record on failure,
# and the exit status.
set -euo pipefail
work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    exec 3>&- || true
    rm -rf "$work"
}
trap cleanup EXIT
pki=$PORTLS_TEST_CERTS
fail() { echo "FAIL: $*"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkfifo "$work/stdin"
exec 3<>"$work/stdin"
openssl s_server -accept "127.0.0.1:$port" -tls1_3 -alpn h2 -quiet -cert "$pki/server_ec.pem" \
    -key "$pki/server_ec.key" <&3 >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 200); do (exec 4<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

out=$("$PORTLS" connect "localhost:$port" --cacert "$pki/ca.pem" --alpn h2,http/1.1) || fail "connect: exit $?"
for want in "TLS version:  TLSv1.3" "ALPN:         h2" "subject: CN=localhost" "issuer:  CN=portls test CA" \
            "key:     EC 256 bits" "Verification: OK" "Timing: DNS"; do
    grep -qF "$want" <<<"$out" || fail "missing '$want' in: $out"
done

set +e
err=$(PORTLS_LOG_LEVEL=none "$PORTLS" connect "localhost:$port" --cacert "$pki/other_ca.pem" 2>&1)
rc=$?
set -e
[ $rc -eq 1 ] || fail "wrong CA: exit $rc"
for want in "ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED (0x801a)" "-0x2700" "verify flags: 0x8" "not correctly signed"; do
    grep -qF -- "$want" <<<"$err" || fail "missing '$want' in: $err"
done

set +e
err=$(PORTLS_LOG_LEVEL=none "$PORTLS" connect "127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')" --cacert "$pki/ca.pem" 2>&1)
rc=$?
set -e
[ $rc -eq 1 ] || fail "refused: exit $rc"
grep -qF "errno:        111" <<<"$err" || fail "refused: no errno in: $err"

set +e
"$PORTLS" connect nonsense >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "bad usage: exit $rc"
echo "portls connect: report, error record and exit codes as documented"
