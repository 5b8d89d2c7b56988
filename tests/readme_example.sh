#!/usr/bin/env bash
# The README's C example, built against an installed portls with pkg-config (and the CMake
# package), then run against openssl s_server -www: the documented way in, end to end.
set -euo pipefail
work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    exec 3>&- || true
    rm -rf "$work"
}
trap cleanup EXIT

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

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkfifo "$work/stdin"
exec 3<>"$work/stdin"
openssl s_server -accept "127.0.0.1:$port" -www -quiet -cert "$PORTLS_TEST_CERTS/server_ec.pem" \
    -key "$PORTLS_TEST_CERTS/server_ec.key" <&3 >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 200); do (exec 4<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

for exe in "$work/example" "$work/cmake/build/example"; do
    out=$("$exe" localhost "$port" "$PORTLS_TEST_CERTS/ca.pem")
    grep -q "200 ok" <<<"$out" || { echo "$exe: unexpected answer: $out"; exit 1; }
done
echo "README example: built with pkg-config and with find_package(portls), and fetched a page"
