#!/usr/bin/env bash
# CMake looks for the mbedTLS source where scripts/bootstrap puts it: in PORTLS_CACHE, else in
# XDG_CACHE_HOME/portls, else in ~/.cache/portls. Configure only (without tests, benches and
# examples), each time with a cache holding a link to the real source; and once with an empty
# PORTLS_CACHE, which must fail and name it.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
real=$(sed -n 's/^PORTLS_MBEDTLS_SOURCE_DIR:PATH=//p' "$BUILD_DIR/CMakeCache.txt")
[ -f "$real/include/mbedtls/build_info.h" ] || { echo "no mbedTLS source in $BUILD_DIR's cache"; exit 1; }

# configure NAME ENV...: a fresh configure in $work/NAME with only ENV's cache setting; 0 if it succeeded.
configure() {
    local name=$1
    shift
    env -u PORTLS_CACHE -u XDG_CACHE_HOME "$@" cmake -S "$SOURCE_DIR" -B "$work/$name" -DPORTLS_BUILD_TESTS=OFF \
        > "$work/$name.log" 2>&1
}

# expect_found NAME CACHE ENV...: with ENV, the configure finds the source in CACHE/mbedtls-src.
expect_found() {
    local name=$1 cache=$2
    shift 2
    mkdir -p "$cache"
    ln -s "$real" "$cache/mbedtls-src"
    configure "$name" "$@" || { echo "$name: configure failed"; cat "$work/$name.log"; exit 1; }
    grep -qF "$cache/mbedtls-src" "$work/$name.log" \
        || { echo "$name: the configure does not report $cache/mbedtls-src"; cat "$work/$name.log"; exit 1; }
}

expect_found portls_cache "$work/pc" PORTLS_CACHE="$work/pc" XDG_CACHE_HOME="$work/unused"
expect_found xdg_cache_home "$work/xdg/portls" XDG_CACHE_HOME="$work/xdg"
expect_found home "$work/home/.cache/portls" HOME="$work/home"

mkdir -p "$work/empty"
if configure empty PORTLS_CACHE="$work/empty"; then
    echo "configure succeeded with an empty PORTLS_CACHE"
    exit 1
fi
grep -qF "$work/empty/mbedtls-src" "$work/empty.log" \
    || { echo "the failed configure does not name the empty cache"; cat "$work/empty.log"; exit 1; }
echo "cache setting: PORTLS_CACHE, XDG_CACHE_HOME and HOME each found the mbedTLS source; an empty cache failed"
