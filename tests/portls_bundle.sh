#!/usr/bin/env bash
# portls bundle build|list: a bundle of the test PKI, a filter, certificates that are not CAs, and
# damaged bundles refused.
set -euo pipefail
pki=$PORTLS_TEST_CERTS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$PORTLS" bundle build -o "$work/all" "$pki/ca.pem" "$pki/other_ca.der" "$pki/int.pem") || fail "build: $out"
grep -q "3 certificates" <<<"$out" || fail "build: $out"
list=$("$PORTLS" bundle list "$work/all") || fail "list"
[ "$(wc -l <<<"$list")" -eq 3 ] || fail "list: $list"
grep -q "CN=portls test intermediate  (EC 256)" <<<"$list" || fail "list: $list"

# a directory, filtered by name: ESP-IDF's CSV form and plain lines both work
printf 'id,portls test CA\n# a comment\nunrelated ca\n' > "$work/names"
"$PORTLS" bundle build -o "$work/some" --filter "$work/names" "$pki" > /dev/null || fail "filtered build"
list=$("$PORTLS" bundle list "$work/some")
# portls test CA twice: ca and impostor_ca share the name, not the key
[ "$(wc -l <<<"$list")" -eq 3 ] || fail "filter: $list"
[ "$(grep -c "CN=portls test CA" <<<"$list")" -eq 2 ] || fail "filter: $list"
grep -q "CN=unrelated CA" <<<"$list" || fail "filter: $list"

# a certificate that is not a CA: refused, or kept with a warning under --allow-non-ca; the
# build-time generator refuses it too
rc=0; err=$("$PORTLS" bundle build -o "$work/leaf" "$pki/ca.pem" "$pki/server_ec.pem" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "a leaf certificate: exit $rc: $err"
grep -q "refused: .*CN=localhost.* is not a CA" <<<"$err" || fail "a leaf certificate: $err"
[ ! -e "$work/leaf" ] || fail "a bundle was written with a leaf certificate in it"
out=$("$PORTLS" bundle build -o "$work/leaf" --allow-non-ca "$pki/ca.pem" "$pki/server_ec.pem" 2>&1) ||
    fail "--allow-non-ca: $out"
grep -q "warning: .*CN=localhost.* is not a CA" <<<"$out" && grep -q "2 certificates" <<<"$out" ||
    fail "--allow-non-ca: $out"
gen=$BUILD_DIR/components/esp-tls/esp_crt_bundle_gen
rc=0; err=$("$gen" "$work/leaf.c" 10 "$pki/ca.pem" "$pki/server_ec.pem" 2>&1) || rc=$?
[ "$rc" -eq 1 ] && grep -q "CN=localhost.* is not a CA" <<<"$err" || fail "esp_crt_bundle_gen with a leaf: exit $rc: $err"
"$gen" "$work/cas.c" 10 "$pki/ca.pem" "$pki/int.pem" || fail "esp_crt_bundle_gen with CAs"

rc=0; "$PORTLS" bundle build -o "$work/x" --max 1 "$pki/ca.pem" "$pki/other_ca.pem" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "--max 1 with two certificates: exit $rc"

head -c 100 "$work/all" > "$work/truncated"
rc=0; err=$("$PORTLS" bundle list "$work/truncated" 2>&1) || rc=$?
[ "$rc" -eq 1 ] && grep -q "not a valid bundle" <<<"$err" || fail "truncated bundle: exit $rc: $err"
rc=0; "$PORTLS" bundle 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "no subcommand: exit $rc"
echo "portls bundle: build, filter, list, non-CA certificates and damaged bundles refused"
