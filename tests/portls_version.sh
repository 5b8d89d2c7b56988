#!/usr/bin/env bash
# portls --version names the mbedTLS the build is made of, as the configure found it: the
# version (the library's own at run time too), each tarball's SHA-256, and whether the suite was
# verified on it; then the build's options. The output lands in the test log.
# usage: portls_version.sh VERSION STATUS [TARBALL SHA256]...
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
version=$1 status=$2
shift 2
out=$("$PORTLS" --version) || fail "exit status $?"
echo "$out"
grep -q "^portls [0-9]" <<<"$out" || fail "no portls version"
grep -q "^mbedTLS $version (" <<<"$out" || fail "not mbedTLS $version"
grep -q "^  at run time: Mbed TLS $version$" <<<"$out" || fail "another mbedTLS at run time"
grep -qF "$status" <<<"$out" || fail "not '$status'"
# the build's options, as its sdkconfig.h has them
grep -q "^build options (sdkconfig.h):$" <<<"$out" || fail "no build options"
grep -qE "^  CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN [0-9]+$" <<<"$out" || fail "no input record size among the options"
grep -qE '^  CONFIG_IDF_TARGET "[a-z0-9]+"$' <<<"$out" || fail "no target among the options"
while [ $# -ge 2 ]; do
    grep -qF "  $1 sha256 $2" <<<"$out" || fail "$1 without its SHA-256 $2"
    shift 2
done
