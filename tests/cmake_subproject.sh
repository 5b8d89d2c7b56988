#!/usr/bin/env bash
# portls as a CMake subproject: the README's FetchContent block is the parent project's
# CMakeLists.txt and the README's ESP-TLS example its main.c. FETCHCONTENT_SOURCE_DIR_PORTLS
# points at this source tree, so nothing is downloaded. The parent builds only its program's
# target (mbedTLS and portls's libraries with it), without portls's tests, benches and examples,
# and the program fetches a page from openssl s_server.
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
parent=$S_SERVER_WORK/parent
mkdir -p "$parent"

# block LANG N: the README's N-th block of that language.
block() {
    awk -v fence="\`\`\`$1" -v n="$2" '$0 == fence {k++; on = k == n; next} /^```$/ {on = 0} on' "$SOURCE_DIR/README.md"
}
block cmake 1 > "$parent/CMakeLists.txt"
block c 1 > "$parent/main.c"
grep -q 'FetchContent_MakeAvailable(portls)' "$parent/CMakeLists.txt" \
    || { echo "README.md's first cmake block is not the FetchContent example"; exit 1; }

start=$SECONDS
cmake -S "$parent" -B "$parent/build" -DFETCHCONTENT_SOURCE_DIR_PORTLS="$SOURCE_DIR" \
    -DFETCHCONTENT_FULLY_DISCONNECTED=ON > "$parent/configure.log" 2>&1 \
    || { cat "$parent/configure.log"; exit 1; }
configured=$SECONDS
for dir in tests bench examples components/esp-tls/test; do
    [ ! -e "$parent/build/_deps/portls-build/$dir" ] || { echo "as a subproject, portls configured $dir"; exit 1; }
done
cmake --build "$parent/build" --target app -j2 > "$parent/build.log" 2>&1 || { tail -n 50 "$parent/build.log"; exit 1; }
echo "subproject: configure $((configured - start)) s, build of app $((SECONDS - configured)) s"

start_s_server -www -cert "$PORTLS_TEST_CERTS/server_ec.pem" -key "$PORTLS_TEST_CERTS/server_ec.key"
out=$("$parent/build/app" localhost "$S_SERVER_PORT" "$PORTLS_TEST_CERTS/ca.pem")
grep -q "200 ok" <<<"$out" || { echo "app: unexpected answer: $out"; exit 1; }
echo "subproject: built with FetchContent and fetched a page"
