#!/usr/bin/env bash
# portls image wrap|info against Debian's esptool 4.7 (scripts/bootstrap fetches it): esptool's
# image_info finds every image portls wraps valid, and portls finds esptool's own valid: an
# elf2image of a tiny ELF made with the host's binutils passes, a merge_bin output is refused.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -f "$ESPTOOL_DIR/esptool/__init__.py" ] || fail "no esptool at $ESPTOOL_DIR: run scripts/bootstrap"
esptool() { (cd "$ESPTOOL_DIR" && "$PYTHON3" -m esptool "$@"); }

# every chip esptool 4.7 knows; payload lengths that leave each of the four distances to the
# checksum's 16-byte boundary, unaligned ones, none, and a large one; one esptool process per chip
# reports on all of them (esptool's start is what costs time)
image_info_all() { # CHIP FILES...: esptool image_info on each file, reports separated by "== FILE"
    local chip=$1
    shift
    (cd "$ESPTOOL_DIR" && "$PYTHON3" -c '
import sys, esptool
for f in sys.argv[2:]:
    print("== " + f, flush=True)
    esptool.main(["--chip", sys.argv[1], "image_info", "--version", "2", f])
' "$chip" "$@")
}
for chip in esp32 esp32s2 esp32s3 esp32c3 esp32c2 esp32c6 esp32h2 esp32p4; do
    files=()
    for len in 0 3 7 10 70001; do
        head -c "$len" /dev/urandom > "$work/payload"
        "$PORTLS" image wrap "$work/payload" --version "v$len" --project "p-$chip" --chip "$chip" --secure-version 3 \
            -o "$work/$chip-$len.bin" > /dev/null
        files+=("$work/$chip-$len.bin")
    done
    out=$(image_info_all "$chip" "${files[@]}") || fail "$chip: esptool: $out"
    [ "$(grep -c "^Checksum: 0x[0-9a-f]* (valid)" <<<"$out")" -eq 5 ] || fail "$chip: checksums: $out"
    [ "$(grep -c "^Validation hash: [0-9a-f]\{64\} (valid)" <<<"$out")" -eq 5 ] || fail "$chip: hashes: $out"
    [ "$(grep -c "^Project name: p-$chip" <<<"$out")" -eq 5 ] && [ "$(grep -c "^Secure version: 3" <<<"$out")" -eq 5 ] \
        || fail "$chip: descriptors: $out"
    grep -q "^App version: v70001" <<<"$out" && ! grep -q "invalid" <<<"$out" || fail "$chip: $out"
done

# a corrupted image: esptool and portls both see it
"$PORTLS" image wrap "$work/payload" --version 1 --project p --chip esp32c3 -o "$work/app.bin" > /dev/null
printf '\x00' | dd of="$work/app.bin" bs=1 seek=400 conv=notrunc 2> /dev/null
out=$(esptool --chip esp32c3 image_info --version 2 "$work/app.bin") || true
grep -qF "(invalid - calculated" <<<"$out" || fail "esptool missed the corruption: $out"
rc=0; out=$("$PORTLS" image info "$work/app.bin") || rc=$?
[ "$rc" -eq 1 ] && grep -qF "(invalid - calculated" <<<"$out" && grep -qF "invalid: Checksum failed." <<<"$out" || fail "portls: $rc $out"

# esptool's elf2image of an ELF whose one section holds a descriptor and a payload (the host's
# ld, then e_machine set to RISC-V, which esptool requires) passes portls's checks
head -c 3000 /dev/urandom > "$work/payload"
"$PORTLS" image wrap "$work/payload" --version 7.7 --project elf --chip esp32c3 -o "$work/wrapped.bin" > /dev/null
tail -c +33 "$work/wrapped.bin" | head -c $((256 + 3000)) > "$work/section.bin"
head -c 32 /dev/zero | dd of="$work/section.bin" bs=1 seek=144 conv=notrunc 2> /dev/null # elf2image fills app_elf_sha256
(cd "$work" && objcopy -I binary -O elf32-i386 --rename-section .data=.flash.rodata,alloc,load,readonly,data,contents \
    section.bin section.o)
printf 'SECTIONS { . = 0x3C000020; .flash.rodata : { *(.flash.rodata) } }\n' > "$work/tiny.ld"
ld -m elf_i386 -T "$work/tiny.ld" -e 0 -o "$work/tiny.elf" "$work/section.o"
printf '\xf3\x00' | dd of="$work/tiny.elf" bs=1 seek=18 conv=notrunc 2> /dev/null
esptool --chip esp32c3 elf2image --elf-sha256-offset 0xb0 -o "$work/esptool.bin" "$work/tiny.elf" > "$work/out" \
    || fail "elf2image: $(cat "$work/out")"
out=$("$PORTLS" image info "$work/esptool.bin") || fail "portls refused esptool's image: $out"
grep -q "^esp_image_verify for esp32c3 v[0-9.]*: valid" <<<"$out" && grep -qF "App version: 7.7" <<<"$out" || fail "$out"
grep -qF "ELF file SHA256: 0000000000000000" <<<"$out" && fail "elf2image did not fill the ELF SHA-256: $out"
"$PORTLS" image info "$work/esptool.bin" --chip esp32 > /dev/null 2>&1 && fail "an esp32c3 image passed as esp32's"

# merge_bin of a whole ESP32 flash (bootloader at 0x1000, table, app) is no app image: it starts
# with 0xFF padding (ESP-IDF issue 12108)
"$PORTLS" image wrap "$work/payload" --version 1 --project p --chip esp32 -o "$work/app.bin" > /dev/null
"$PORTLS" flash create --table "$SOURCE_DIR/tests/data/partition_tables/two_ota.csv" -o "$work/flash.img" > /dev/null
head -c $((0x8C00)) "$work/flash.img" | tail -c $((0xC00)) > "$work/table.bin"
esptool --chip esp32 merge_bin -o "$work/merged.bin" 0x1000 "$work/app.bin" 0x8000 "$work/table.bin" \
    0x10000 "$work/app.bin" > "$work/out" || fail "merge_bin: $(cat "$work/out")"
rc=0; out=$("$PORTLS" image info "$work/merged.bin" 2>&1) || rc=$?
[ "$rc" -eq 1 ] && grep -qF "This is not a valid image (invalid magic number)" <<<"$out" || fail "merged: $rc $out"
"$PORTLS" flash write "$work/flash.img" ota_0 "$work/merged.bin" > /dev/null
grep -qF "no image: image at 0x110000 has invalid magic byte (nothing flashed here?)" <<<"$("$PORTLS" flash info "$work/flash.img")" \
    || fail "the merged image in ota_0 passed"
echo "portls image: esptool 4.7 validates every wrapped image; portls validates esptool's elf2image, refuses merge_bin"
