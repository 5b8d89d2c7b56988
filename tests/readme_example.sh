#!/usr/bin/env bash
# The README's C example, built against an installed portls with pkg-config (and the CMake
# package), then run against openssl s_server -www: the documented way in, end to end.
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
work=$S_SERVER_WORK

cmake --install "$BUILD_DIR" --prefix "$work/prefix" >/dev/null
awk '/^```c$/ {on=1; next} /^```$/ {on=0} on' "$SOURCE_DIR/README.md" > "$work/example.c"
[ -s "$work/example.c" ] || { echo "no C example in README.md"; exit 1; }

export PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o "$work/example" "$work/example.c" $(pkg-config --cflags --libs --static portls) \
    ${SANITIZE_FLAGS:-}

mkdir -p "$work/cmake"
cp "$work/example.c" "$work/cmake/"
cat > "$work/cmake/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(example C)
find_package(portls REQUIRED)
add_executable(example example.c)
target_link_libraries(example PRIVATE portls::esp-tls)
CM
cmake -S "$work/cmake" -B "$work/cmake/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_C_FLAGS="${SANITIZE_FLAGS:-}" >/dev/null
cmake --build "$work/cmake/build" >/dev/null

start_s_server -www -cert "$PORTLS_TEST_CERTS/server_ec.pem" -key "$PORTLS_TEST_CERTS/server_ec.key"

for exe in "$work/example" "$work/cmake/build/example"; do
    out=$("$exe" localhost "$S_SERVER_PORT" "$PORTLS_TEST_CERTS/ca.pem")
    grep -q "200 ok" <<<"$out" || { echo "$exe: unexpected answer: $out"; exit 1; }
done
echo "README example: built with pkg-config and with find_package(portls), and fetched a page"
