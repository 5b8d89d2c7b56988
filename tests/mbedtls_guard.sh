#!/usr/bin/env bash
# The configure's guards on the mbedTLS coupling (cmake/portls_mbedtls_guard.cmake), run through
# tests/mbedtls_guard.cmake on copies of this build's mbedTLS source, each with one thing
# changed: the configure stops, or warns loudly, and names what changed. Skipped (77) when the
# build's source has no Debian source package next to it, as scripts/bootstrap leaves it.
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
real=$(realpath "$MBEDTLS_SOURCE_DIR")
packages=("$(dirname "$real")"/mbedtls_*.dsc)
[ -f "${packages[0]}" ] || { echo "skipped: no Debian source package next to $real"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# tree NAME [bare]: a copy of the source's include/ and library/ as symlinks in $work/NAME/src,
# with the Debian source package beside it unless bare; its path in $src.
tree() {
    mkdir -p "$work/$1/src"
    cp -as "$real/include" "$real/library" "$work/$1/src/"
    if [ "${2:-}" != bare ]; then
        ln -s "$(dirname "$real")"/mbedtls_* "$work/$1/"
    fi
    src=$work/$1/src
}
# own FILE: FILE becomes a real copy, to be changed.
own() { cp --remove-destination "$(readlink -f "$1")" "$1"; }
# guard [-D...]: the guards on $src; their output in $out (on one line: CMake wraps messages),
# their exit status in $rc.
guard() {
    rc=0
    out=$(cd "$(dirname "$src")" && cmake -DSRC="$src" -DCONFIG_DIR="$CONFIG_DIR" \
          -DPORT_DIR="$SOURCE_DIR/components/esp-tls/port" -DCMAKE_C_COMPILER="$CC_PATH" "$@" \
          -P "$SOURCE_DIR/tests/mbedtls_guard.cmake" 2>&1) || rc=$?
    out=$(tr -s ' \n' '  ' <<<"$out")
}
# passes WHAT / stops WHAT, then the texts the output must have.
passes() { [ "$rc" -eq 0 ] || fail "$1: the guards stopped: $out"; shift; has "$@"; }
stops() { [ "$rc" -ne 0 ] || fail "$1: the guards passed: $out"; shift; has "$@"; }
has() { for want in "$@"; do grep -qF -- "$want" <<<"$out" || fail "no '$want' in: $out"; done; }

tree as-fetched
guard
passes "the source as fetched" "guards passed" "Debian source package"
grep -qF UNVERIFIED <<<"$out" && fail "the verified source is called unverified: $out"

tree bare bare
guard
passes "a tree without its source package" "UNVERIFIED" "cannot be listed"

tree tampered
orig=$(basename "$(ls "$work/tampered"/mbedtls_*.orig.tar.*)")
rm "$work/tampered/$orig" && echo "not the tarball" > "$work/tampered/$orig"
guard
stops "a tarball that is not the .dsc's" "$orig has SHA-256"

tree unlisted
dsc=$(basename "${packages[0]}")
orig_sum=$(sha256sum "$(dirname "$real")/$orig" | cut -d' ' -f1)
rm "$work/unlisted/$orig" "$work/unlisted/$dsc"
echo "another release" > "$work/unlisted/$orig"
new_sum=$(sha256sum "$work/unlisted/$orig" | cut -d' ' -f1)
sed "s/$orig_sum/$new_sum/" "${packages[0]}" > "$work/unlisted/$dsc"
guard
passes "a source not in mbedtls-verified.txt" "UNVERIFIED" "add this line" "$new_sum"

tree moved-context
own "$src/library/ssl_tls13_keys.c"
sed -i '0,/        mbedtls_free(transform_handshake);/s//        mbedtls_free(transform_handshake); \/* moved *\//' \
    "$src/library/ssl_tls13_keys.c"
guard
stops "a patch that does not apply" "0001-tls13-keys-free-cipher-contexts-on-failure.patch does not apply"

tree fixed-upstream
own "$src/library/ssl_tls13_keys.c"
patch -s -p1 -d "$src" -i "$SOURCE_DIR/cmake/mbedtls-patches/0001-tls13-keys-free-cipher-contexts-on-failure.patch"
guard
passes "a fix already upstream" "patch 0001-tls13-keys-free-cipher-contexts-on-failure: mbedTLS" \
    "already contains it (it applies in reverse)"

tree ticket-path
own "$src/library/ssl_tls13_client.c"
sed -i 's/    ssl->session->exported = 1;/    ssl->session->exported = 1; \/* changed *\//' "$src/library/ssl_tls13_client.c"
guard
stops "a changed ticket path" "ssl_tls13_process_new_session_ticket" "Re-verify"

tree renamed-field
own "$src/include/mbedtls/ssl.h"
sed -i 's/int MBEDTLS_PRIVATE(in_msgtype);/int MBEDTLS_PRIVATE(in_record_type);/' "$src/include/mbedtls/ssl.h"
guard
stops "a renamed internal field" "ssl_received_alert: esp_tls_mbedtls.c"

tree no-alpn
own "$src/include/mbedtls/mbedtls_config.h"
sed -i 's|^#define MBEDTLS_SSL_ALPN$|/* no ALPN */|' "$src/include/mbedtls/mbedtls_config.h"
guard
stops "an mbedTLS without ALPN" "portls needs MBEDTLS_SSL_ALPN"

# mbedTLS's own default configuration, as a distribution might ship it, with the bundled build's
# defaults
tree system
guard -DSYSTEM_INCLUDES="$src/include" -DPORTLS_HEAP_ACCOUNTING=ON -DCONFIG_MBEDTLS_CERTIFICATE_BUNDLE=ON \
    -DCONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=16384 -DCONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN=4096 \
    -DCONFIG_MBEDTLS_SSL_PROTO_TLS1_3=ON -DCONFIG_MBEDTLS_HAVE_TIME_DATE=ON -DCONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT=ON
stops "a system mbedTLS with its default configuration" \
    "PORTLS_HEAP_ACCOUNTING needs MBEDTLS_PLATFORM_MEMORY, which this mbedTLS lacks" \
    "CONFIG_MBEDTLS_CERTIFICATE_BUNDLE needs MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK" \
    "CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT needs MBEDTLS_SSL_RECORD_SIZE_LIMIT, which this mbedTLS lacks" \
    "set -DCONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN=16384"
# and one built with record_size_limit, which the option must then say
tree system-rsl
own "$src/include/mbedtls/mbedtls_config.h"
sed -i 's|^//#define MBEDTLS_SSL_RECORD_SIZE_LIMIT$|#define MBEDTLS_SSL_RECORD_SIZE_LIMIT|' "$src/include/mbedtls/mbedtls_config.h"
guard -DSYSTEM_INCLUDES="$src/include" -DCONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=16384 \
    -DCONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN=16384 -DCONFIG_MBEDTLS_SSL_PROTO_TLS1_3=ON -DCONFIG_MBEDTLS_HAVE_TIME_DATE=ON
stops "a system mbedTLS with record_size_limit, the option off" \
    "the library was built with MBEDTLS_SSL_RECORD_SIZE_LIMIT: set -DCONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT=ON"
echo "mbedTLS guards: provenance, verified list, patches, ticket path, probes and requirements"
