#!/usr/bin/env bash
# The README's C examples (the ESP-TLS one, then the esp_http_client one), each built against an
# installed portls with pkg-config and with the CMake package, then run against
# openssl s_server -www: the documented way in, end to end.
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
work=$S_SERVER_WORK

cmake --install "$BUILD_DIR" --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}

# build NAME N: the README's N-th C block as $work/NAME (pkg-config) and $work/NAME-cmake/build/NAME.
build() {
    local name=$1 n=$2 src=$work/$1.c
    awk -v n="$n" '/^```c$/ {k++; on = k == n; next} /^```$/ {on = 0} on' "$SOURCE_DIR/README.md" > "$src"
    [ -s "$src" ] || { echo "no C example $n in README.md"; exit 1; }
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Werror -o "$work/$name" "$src" $(pkg-config --cflags --libs --static portls) ${SANITIZE_FLAGS:-}
    mkdir -p "$work/$name-cmake"
    cp "$src" "$work/$name-cmake/"
    cat > "$work/$name-cmake/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project($name C)
find_package(portls REQUIRED)
add_executable($name $name.c)
target_link_libraries($name PRIVATE portls::esp_http_client)
CM
    cmake -S "$work/$name-cmake" -B "$work/$name-cmake/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DCMAKE_C_FLAGS="${SANITIZE_FLAGS:-}" >/dev/null
    cmake --build "$work/$name-cmake/build" >/dev/null
}

build tls_example 1
build http_example 2
start_s_server -www -cert "$PORTLS_TEST_CERTS/server_ec.pem" -key "$PORTLS_TEST_CERTS/server_ec.key"

for exe in "$work/tls_example" "$work/tls_example-cmake/build/tls_example"; do
    out=$("$exe" localhost "$S_SERVER_PORT" "$PORTLS_TEST_CERTS/ca.pem")
    grep -q "200 ok" <<<"$out" || { echo "$exe: unexpected answer: $out"; exit 1; }
done
for exe in "$work/http_example" "$work/http_example-cmake/build/http_example"; do
    out=$("$exe" "https://localhost:$S_SERVER_PORT/" "$PORTLS_TEST_CERTS/ca.pem" 2>&1)
    grep -q "HTTP status 200" <<<"$out" && grep -q "Ciphers supported in s_server binary" <<<"$out" \
        || { echo "$exe: unexpected answer: $out"; exit 1; }
done
echo "README examples: built with pkg-config and with find_package(portls), and fetched a page"
