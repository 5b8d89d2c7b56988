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
for want in "TLS version:  TLSv1.3" "ALPN:         h2" "Heap: peak" "subject: CN=localhost" "issuer:  CN=portls test CA" \
            "key:     EC 256 bits" "Verification: OK" "Timing: DNS"; do
    grep -qF "$want" <<<"$out" || fail "missing '$want' in: $out"
done

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

# No --cacert: the built-in (Mozilla) bundle, which does not know the test CA; --capath does.
expect_exit 1 connect "localhost:$port"
grep -qF "verify flags: 0x8" <<<"$err" || fail "bundle: no NOT_TRUSTED flag in: $err"
expect_exit 0 connect "localhost:$port" --capath "$pki/ca.pem"

# A name with two addresses, the first refusing (CARES_HOSTS, c-ares's own variable, stands in
# for /etc/hosts): ESP-IDF would stop at the first; portls goes on to the second.
hosts=$S_SERVER_WORK/hosts
printf '127.0.0.2 multi.test\n127.0.0.1 multi.test\n' > "$hosts"
out=$(CARES_HOSTS=$hosts "$PORTLS" connect "multi.test:$port" --cacert "$pki/ca.pem" --servername localhost) ||
    fail "multi.test: the second address was not tried: $out"

expect_exit 1 connect "127.0.0.1:$(free_port)" --cacert "$pki/ca.pem"
grep -qF "errno:        111" <<<"$err" || fail "refused: no errno in: $err"

# a heap budget too small for a handshake: a plain out-of-memory report
expect_exit 1 connect "localhost:$port" --cacert "$pki/ca.pem" --heap-limit 20000
for want in "ESP_ERR_NO_MEM" "-0x7F00" "refused under the 20000-byte limit"; do
    grep -qF -- "$want" <<<"$err" || fail "heap limit: missing '$want' in: $err"
done

expect_exit 2 connect nonsense
echo "portls connect: report, error record and exit codes as documented"
