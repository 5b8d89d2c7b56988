#!/usr/bin/env bash
# portls bundle build|list: a bundle of the test PKI, a filter, and damaged bundles refused.
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
[ "$(wc -l <<<"$list")" -eq 2 ] || fail "filter: $list"
grep -q "CN=unrelated CA" <<<"$list" || fail "filter: $list"

rc=0; "$PORTLS" bundle build -o "$work/x" --max 1 "$pki/ca.pem" "$pki/other_ca.pem" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "--max 1 with two certificates: exit $rc"

head -c 100 "$work/all" > "$work/truncated"
rc=0; err=$("$PORTLS" bundle list "$work/truncated" 2>&1) || rc=$?
[ "$rc" -eq 1 ] && grep -q "not a valid bundle" <<<"$err" || fail "truncated bundle: exit $rc: $err"
rc=0; "$PORTLS" bundle 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "no subcommand: exit $rc"
echo "portls bundle: build, filter, list, and damaged bundles refused"
