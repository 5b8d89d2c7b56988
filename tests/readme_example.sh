#!/usr/bin/env bash
# Every C example of the README (ESP-TLS, esp_http_client, esp-mqtt, the running app), each built
# against an installed portls with the README's pkg-config command and with the CMake package
# (linked to its component's target, and again to portls::portls), then run: the first two
# against openssl s_server -www, the MQTT one against the tests' mosquitto, the last one on the
# flash the README's portls flash walk-through makes, and as the app that boots in the OTA
# walk-through. The documented way in, end to end.
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
work=$S_SERVER_WORK

cmake --install "$BUILD_DIR" --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}

# build NAME N TARGET: the README's N-th C block as $work/NAME (pkg-config), and as
# $work/NAME-cmake/build/NAME (linked to portls::TARGET) and .../NAME-all (portls::portls).
build() {
    local name=$1 n=$2 target=$3 src=$work/$1.c
    awk -v n="$n" '/^```c$/ {k++; on = k == n; next} /^```$/ {on = 0} on' "$SOURCE_DIR/README.md" > "$src"
    [ -s "$src" ] || { echo "no C example $n in README.md"; exit 1; }
    # The README's command, as it is written there (no --static: the libraries are static anyway).
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Werror -o "$work/$name" "$src" $(pkg-config --cflags --libs portls) ${SANITIZE_FLAGS:-}
    mkdir -p "$work/$name-cmake"
    cp "$src" "$work/$name-cmake/"
    cat > "$work/$name-cmake/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project($name C)
find_package(portls REQUIRED)
add_executable($name $name.c)
target_link_libraries($name PRIVATE portls::$target)
add_executable($name-all $name.c)
target_link_libraries($name-all PRIVATE portls::portls)
CM
    cmake -S "$work/$name-cmake" -B "$work/$name-cmake/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DCMAKE_C_FLAGS="${SANITIZE_FLAGS:-}" >/dev/null
    cmake --build "$work/$name-cmake/build" >/dev/null
}

# the three ways each example was built
builds() {
    echo "$work/$1" "$work/$1-cmake/build/$1" "$work/$1-cmake/build/$1-all"
}

examples=$(grep -c '^```c$' "$SOURCE_DIR/README.md")
[ "$examples" -eq 4 ] || { echo "README.md has $examples C examples; this test builds 4"; exit 1; }
build tls_example 1 esp-tls
build http_example 2 esp_http_client
build mqtt_example 3 mqtt
build running_example 4 esp_partition
start_s_server -www -cert "$PORTLS_TEST_CERTS/server_ec.pem" -key "$PORTLS_TEST_CERTS/server_ec.key"

for exe in $(builds tls_example); do
    out=$("$exe" localhost "$S_SERVER_PORT" "$PORTLS_TEST_CERTS/ca.pem")
    grep -q "200 ok" <<<"$out" || { echo "$exe: unexpected answer: $out"; exit 1; }
done
for exe in $(builds http_example); do
    out=$("$exe" "https://localhost:$S_SERVER_PORT/" "$PORTLS_TEST_CERTS/ca.pem" 2>&1)
    grep -q "HTTP status 200" <<<"$out" && grep -q "Ciphers supported in s_server binary" <<<"$out" \
        || { echo "$exe: unexpected answer: $out"; exit 1; }
done

start_mosquitto "$MOSQUITTO_RUN"
for exe in $(builds mqtt_example); do
    # The bound only stops a hung client; the round trip takes milliseconds.
    out=$(timeout 120 "$exe" "mqtt://127.0.0.1:$MQTT_PORT" 2>"$work/mqtt.err") \
        || { echo "$exe failed: $out $(cat "$work/mqtt.err")"; exit 1; }
    [ "$out" = "portls/example: hello" ] || { echo "$exe: unexpected output: $out $(cat "$work/mqtt.err")"; exit 1; }
done
# The walk-through (the README's shell block under "portls flash and portls image"), as written.
mkdir -p "$work/flash"
awk '/^## / {in_section = /^## portls flash and portls image/} /^```sh$/ && in_section {on = 1; next} /^```$/ {on = 0} on' \
    "$SOURCE_DIR/README.md" > "$work/flash/walk.sh"
[ -s "$work/flash/walk.sh" ] || { echo "no portls flash walk-through in README.md"; exit 1; }
mkdir -p "$work/bin" && ln -sf "$PORTLS" "$work/bin/portls"
out=$(cd "$work/flash" && PATH=$work/bin:$PATH bash -euo pipefail walk.sh 2>&1) || { echo "walk-through: $out"; exit 1; }
grep -qF "next boot: ota_0; the bootloader first marks otadata[0] PENDING_VERIFY" <<<"$out" || { echo "walk-through: $out"; exit 1; }
for exe in $(builds running_example); do
    cp "$work/flash/flash.img" "$work/flash/run.img"
    first=$(PORTLS_FLASH=$work/flash/run.img "$exe") && second=$(PORTLS_FLASH=$work/flash/run.img "$exe") \
        || { echo "$exe failed: $first $second"; exit 1; }
    [ "$first" = "running demo 2.0 from ota_0 at 0x110000" ] && [ "$second" = "running demo 1.0 from factory at 0x10000" ] \
        || { echo "$exe: unexpected output: $first / $second"; exit 1; }
done
# The OTA walk-through (the shell block under "### portls ota"), as written but for its port (a
# free one instead of 8070), with the C program above as ./running.
mkdir -p "$work/ota"
awk '/^##/ {in_section = /^### portls ota/} /^```sh$/ && in_section {on = 1; next} /^```$/ {on = 0} on' \
    "$SOURCE_DIR/README.md" > "$work/ota/walk.sh"
grep -q "portls ota https://localhost:8070/" "$work/ota/walk.sh" || { echo "no portls ota walk-through in README.md"; exit 1; }
sed -i "s/8070/$(free_port)/g" "$work/ota/walk.sh"
ln -sf "$work/running_example" "$work/ota/running"
# In a session of its own, so that what it leaves running if it stops early (its server) is stopped.
(cd "$work/ota" && exec env PATH="$work/bin:$PATH" PORTLS_LOG_LEVEL=none setsid bash -euo pipefail walk.sh) \
    >"$work/ota/out" 2>&1 &
walk=$!
status=0
wait "$walk" || status=$?
kill -- "-$walk" 2>/dev/null || true
out=$(cat "$work/ota/out")
[ "$status" -eq 0 ] || { echo "OTA walk-through: $out"; exit 1; }
[ "$(grep -c '^next boot: ota_0 (2.0)$' <<<"$out")" -eq 2 ] || { echo "OTA walk-through: $out"; exit 1; }
runs=$(grep '^running ' <<<"$out")
expected="running demo 2.0 from ota_0 at 0x110000
running demo 1.0 from factory at 0x10000
running demo 2.0 from ota_0 at 0x110000
running demo 2.0 from ota_0 at 0x110000"
[ "$runs" = "$expected" ] || { echo "OTA walk-through, the boots: $runs"; echo "$out"; exit 1; }
echo "README examples: built with pkg-config, find_package(portls) and portls::portls; each talked to its server or booted from its flash; the OTA walk-through updated, rolled back and confirmed"
