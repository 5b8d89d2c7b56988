#!/usr/bin/env bash
# nvs_flash in the installed portls: nvs_counter.c built with pkg-config and with find_package
# (portls::nvs_flash and portls::portls), run twice on a flash `portls flash create` made; a
# partition of a newer NVS version is erased by the examples' recovery and counts from 1.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$BUILD_DIR" --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig
src=$SOURCE_DIR/components/nvs_flash/test/nvs_counter.c
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o "$work/counter" "$src" $(pkg-config --cflags --libs portls) ${SANITIZE_FLAGS:-}
mkdir -p "$work/cm"
cp "$src" "$work/cm/"
cat > "$work/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(counter C)
find_package(portls REQUIRED)
add_executable(counter nvs_counter.c)
target_link_libraries(counter PRIVATE portls::nvs_flash)
add_executable(counter-all nvs_counter.c)
target_link_libraries(counter-all PRIVATE portls::portls)
CM
cmake -S "$work/cm" -B "$work/cm/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_C_FLAGS="${SANITIZE_FLAGS:-}" >/dev/null
cmake --build "$work/cm/build" >/dev/null
printf 'nvs,      data, nvs,     ,  0x4000,\nfactory,  app,  factory, ,  64K,\n' > "$work/partitions.csv"
echo "app" > "$work/payload"
"$PORTLS" image wrap "$work/payload" --version 1.0 --project counter -o "$work/app.bin" >/dev/null
for exe in "$work/counter" "$work/cm/build/counter" "$work/cm/build/counter-all"; do
    "$PORTLS" flash create --table "$work/partitions.csv" -o "$work/flash.img" >/dev/null
    "$PORTLS" flash write "$work/flash.img" factory "$work/app.bin" >/dev/null
    export PORTLS_FLASH=$work/flash.img
    out="$("$exe")/$("$exe")"
    [ "$out" = "restart counter = 1 (ESP_OK)/restart counter = 2 (ESP_OK)" ] || { echo "$exe: $out"; exit 1; }
    # a page of a newer format (version 0xFD) with a valid CRC: NEW_VERSION_FOUND, erase, init
    python3 - "$work/flash.img" <<'PY'
import sys, struct, zlib
with open(sys.argv[1], 'r+b') as f:
    f.seek(0x9000)
    body = struct.pack('<IB19x', 7, 0xFD).replace(b'\x00' * 19, b'\xff' * 19)
    f.write(struct.pack('<I', 0xFFFFFFFE) + body + struct.pack('<I', zlib.crc32(body, 0xFFFFFFFF)))
PY
    out=$("$exe")
    [ "$out" = $'erasing NVS: ESP_ERR_NVS_NEW_VERSION_FOUND\nrestart counter = 1 (ESP_OK)' ] || { echo "$exe: $out"; exit 1; }
done
echo "nvs_flash: built with pkg-config, portls::nvs_flash and portls::portls; counted across runs; recovered from a newer version"
