#!/usr/bin/env bash
# portls flash: tables byte for byte as ESP-IDF v5.5's gen_esp32part.py writes them (its outputs are
# kept in tests/data/partition_tables), its checks and messages, and what info, set-boot,
# mark-valid, mark-invalid, erase-otadata, read and write do to a flash image file.
set -euo pipefail
data=$SOURCE_DIR/tests/data/partition_tables
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
hex_at() { od -An -tx1 -v -j "$(($2))" -N "$3" "$1" | tr -d ' \n'; } # FILE OFFSET COUNT
ff() { head -c "$(($1))" /dev/zero | tr '\0' '\377'; }

# --- create: the table gen_esp32part.py makes, at 0x8000 of an erased flash ---
export PORTLS_TEST_NVS_SIZE=0x6000 # rich.csv's $VARIABLE
md5=true
grep -q '^#define CONFIG_PARTITION_TABLE_MD5 1' "$BUILD_DIR/config/sdkconfig.h" || md5=false
for t_n in two_ota:6 rich:15 max:94; do
    t=${t_n%:*} entries=$((${t_n#*:} * 32))
    "$PORTLS" flash create --table "$data/$t.csv" -o "$work/$t.img" > "$work/out" 2> "$work/err" || fail "$t: $(cat "$work/err")"
    head -c $((0x8C00)) "$work/$t.img" | tail -c $((0xC00)) > "$work/table"
    if $md5; then
        cmp "$work/table" "$data/$t.bin" || fail "$t: not gen_esp32part.py's table"
    else # gen_esp32part.py --disable-md5sum, as ESP-IDF's build runs it then: no MD5 entry
        cmp <(head -c $entries "$work/table") <(head -c $entries "$data/$t.bin") && cmp <(tail -c +$((entries + 1)) "$work/table") \
            <(ff $((0xC00 - entries))) || fail "$t: not gen_esp32part.py's table"
    fi
    [ "$(stat -c %s "$work/$t.img")" -eq $((4 * 1024 * 1024)) ] || fail "$t: not 4 MB"
    cmp <(head -c $((0x8000)) "$work/$t.img") <(ff 0x8000) || fail "$t: not erased below the table"
    cmp <(tail -c +$((0x8C01)) "$work/$t.img") <(ff $((4 * 1024 * 1024 - 0x8C00))) || fail "$t: not erased after the table"
    if [ "$t" = rich ]; then
        grep -q "WARNING: Partition has name 'phy' which is a partition subtype" "$work/err" || fail "no warning for 'phy'"
    fi
done
"$PORTLS" flash create --table "$data/two_ota.csv" --size 0x400000 -o "$work/hex.img" > /dev/null
cmp "$work/hex.img" "$work/two_ota.img" || fail "--size 0x400000 differs from 4MB"

# expect_error MESSAGE [create args...]: portls flash create fails (exit 1) saying MESSAGE
expect_error() {
    local want=$1 rc=0
    shift
    "$PORTLS" flash create "$@" -o "$work/bad.img" > /dev/null 2> "$work/err" || rc=$?
    [ "$rc" -eq 1 ] && grep -qF -- "$want" "$work/err" || fail "expected '$want' (exit 1), got exit $rc: $(cat "$work/err")"
}
# each CSV below fails in gen_esp32part.py v5.5 too, with the same message
bad() { printf '%b' "$2" > "$work/bad.csv"; expect_error "$1" --table "$work/bad.csv"; }
bad "CSV Error at line 2: Partitions overlap. Partition sets offset 0xa000. Previous partition ends 0xd000" \
    'nvs,data,nvs,0x9000,0x4000\nphy,data,phy,0xa000,0x1000\n'
bad "Use a free offset 0x9000 or higher." 'nvs,data,nvs,0x8000,0x4000\n'
bad "Partition factory invalid: Offset 0x18000 is not aligned to 0x10000" 'factory,app,factory,0x18000,64K\n'
bad "Partition factory invalid: Size 0x10800 is not aligned to 0x1000" 'factory,app,factory,,0x10800\n'
bad "Partition names must be unique" 'a,data,nvs,,0x4000\na,data,phy,,0x1000\n'
bad 'Found multiple otadata partitions. Only one partition can be defined with type="data"(1) and subtype="ota"(0).' \
    'o1,data,ota,,0x2000\no2,data,ota,,0x2000\n'
bad "otadata partition must have size = 0x2000" 'otadata,data,ota,,0x1000\n'
bad "is always read-write and cannot be read-only" 'otadata,data,ota,,0x2000,readonly\n'
bad "must be flagged as 'readonly' (the size of read/write NVS has to be at least 0x3000)" 'nvs,data,nvs,,0x2000\n'
bad "Error at line 1: CSV flag column contains unknown flag 'secret'" 'nvs,data,nvs,,0x4000,secret\n'
bad "Error at line 1: Field 'type' can't be left empty." 'nvs,,nvs,,0x4000\n'
bad "Error at line 1: App partition cannot have an empty subtype" 'factory,app,,,1M\n'
bad "Error at line 1: Value 'nvra' is not valid. Known keywords: ota, phy, nvs" 'nvs,data,nvram,,0x4000\n'
bad "Error at line 1: Invalid field value 0x4g00" 'nvs,data,nvs,,0x4g00\n'
bad "Error at line 1: Size field can't be empty" 'nvs,data,nvs,,\n'
bad "unknown variable 'PORTLS_NO_SUCH_VARIABLE'" '$PORTLS_NO_SUCH_VARIABLE,data,nvs,,0x4000\n'
bad "Partitions tables occupies 4.1MB of flash (4259840 bytes) which does not fit in configured flash size 4MB." \
    'factory,app,factory,,4M\n'
# one entry more than the table holds: 95 with the MD5 entry, 96 without
{ cat "$data/max.csv"; echo "p94,data,0x99,,0x1000"; $md5 || echo "p95,data,0x99,,0x1000"; } > "$work/many.csv"
expect_error "Binary partition table length (3072) longer than max" --table "$work/many.csv"
expect_error "does not fit in configured flash size 1MB" --table "$data/two_ota.csv" --size 1MB
expect_error "whole 4 KiB sectors" --table "$data/two_ota.csv" --size 0x100800
expect_error "No such file" --table "$work/missing.csv"

# --- the images, info, and the otadata commands (esp_ota_set_boot_partition's rules) ---
f=$work/flash.img
cp "$work/two_ota.img" "$f"
printf 'payload' > "$work/payload"
for v in 1 2 3; do
    SOURCE_DATE_EPOCH=1700000000 "$PORTLS" image wrap "$work/payload" --version "$v.0" --project demo -o "$work/v$v.bin" > /dev/null
done
"$PORTLS" flash write "$f" factory "$work/v1.bin" > /dev/null
"$PORTLS" flash write "$f" ota_0 "$work/v2.bin" > /dev/null
"$PORTLS" flash write "$f" ota_1 "$work/v3.bin" > /dev/null
out=$("$PORTLS" flash info "$f")
grep -Eq "^  otadata +data +ota +0x0000d000 +0x00002000" <<<"$out" || fail "info: no otadata row in: $out"
$md5 && md5_note="MD5 ok" || md5_note="no MD5 entry"
for want in "partition table at 0x8000, 6 entries, $md5_note" \
            "[0] empty (seq 0xffffffff)" 'factory           version "1.0", project "demo", built Nov 14 2023 22:13:20' \
            'IDF "portls ' "SHA-256 $(tail -c 32 "$work/v1.bin" | od -An -tx1 -v | tr -d ' \n'), verified" \
            "next boot: factory (Defaulting to factory image)"; do
    grep -qF -- "$want" <<<"$out" || fail "info: no '$want' in: $out"
done

"$PORTLS" flash set-boot "$f" --slot 0 > /dev/null
# sector 0: seq 1, its CRC (zlib's CRC-32 of the seq from 0xFFFFFFFF), state NEW (rollback on) or UNDEFINED
[ "$(hex_at "$f" 0xd000 4)" = 01000000 ] && [ "$(hex_at "$f" 0xd01c 4)" = 9a984347 ] || fail "set-boot: otadata[0] $(hex_at "$f" 0xd000 32)"
out=$("$PORTLS" flash info "$f")
if grep -q '^#define CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE 1' "$BUILD_DIR/config/sdkconfig.h"; then
    [ "$(hex_at "$f" 0xd018 4)" = 00000000 ] || fail "set-boot: state not NEW"
    grep -qF "next boot: ota_0; the bootloader first marks otadata[0] PENDING_VERIFY" <<<"$out" || fail "info after set-boot: $out"
else
    [ "$(hex_at "$f" 0xd018 4)" = ffffffff ] || fail "set-boot: state not UNDEFINED"
fi
grep -qF "[0] seq 1 (ota_0), state" <<<"$out" && grep -qF "CRC 0x4743989a valid, active" <<<"$out" || fail "info: $out"
"$PORTLS" flash mark-valid "$f" > /dev/null
grep -qF "[0] seq 1 (ota_0), state VALID" <<<"$("$PORTLS" flash info "$f")" || fail "mark-valid"
"$PORTLS" flash set-boot "$f" --name ota_1 > /dev/null
out=$("$PORTLS" flash info "$f")
grep -qF "[1] seq 2 (ota_1)" <<<"$out" && grep -qF "next boot: ota_1" <<<"$out" || fail "set-boot ota_1: $out"
"$PORTLS" flash mark-invalid "$f" > /dev/null # ota_0 verifies: a rollback is possible
out=$("$PORTLS" flash info "$f")
grep -qF "[1] seq 2 (ota_1), state INVALID" <<<"$out" && grep -qF "next boot: ota_0" <<<"$out" || fail "mark-invalid: $out"

# set-boot refuses a slot whose image does not verify
cp "$f" "$work/corrupt.img"
printf '\x5a' | dd of="$work/corrupt.img" bs=1 seek=$((0x110000 + 100)) conv=notrunc 2> /dev/null
rc=0; "$PORTLS" flash set-boot "$work/corrupt.img" --slot 0 > /dev/null 2> "$work/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF "ota_0 holds no valid image: Checksum failed." "$work/err" || fail "corrupt set-boot: $rc $(cat "$work/err")"
rc=0; "$PORTLS" flash set-boot "$f" --slot 5 > /dev/null 2> "$work/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF "no such factory or OTA app partition" "$work/err" || fail "set-boot --slot 5: $rc"

# the factory app as the boot partition: otadata erased, as esp_ota_set_boot_partition(factory) does
"$PORTLS" flash set-boot "$f" --name factory > /dev/null
cmp <(tail -c +$((0xd001)) "$f" | head -c $((0x2000))) <(ff 0x2000) || fail "set-boot factory: otadata not erased"
rc=0; "$PORTLS" flash mark-valid "$f" > /dev/null 2> "$work/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF "no active otadata entry" "$work/err" || fail "mark-valid without an entry: $rc"
"$PORTLS" flash set-boot "$f" --slot 1 > /dev/null
"$PORTLS" flash erase-otadata "$f" > /dev/null
grep -qF "next boot: factory" <<<"$("$PORTLS" flash info "$f")" || fail "erase-otadata"
# no rollback target: mark-invalid refuses, as esp_ota_mark_app_invalid_rollback() does
"$PORTLS" flash set-boot "$f" --slot 1 > /dev/null
"$PORTLS" flash write "$f" factory "$work/payload" > /dev/null
"$PORTLS" flash write "$f" ota_0 "$work/payload" > /dev/null
rc=0; "$PORTLS" flash mark-invalid "$f" > /dev/null 2> "$work/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF "Rollback is not possible" "$work/err" || fail "mark-invalid without a target: $rc"

# --- read and write: whole partitions ---
"$PORTLS" flash read "$f" ota_1 -o "$work/ota_1.bin" > /dev/null
[ "$(stat -c %s "$work/ota_1.bin")" -eq $((1024 * 1024)) ] || fail "read: size"
cmp <(head -c "$(stat -c %s "$work/v3.bin")" "$work/ota_1.bin") "$work/v3.bin" || fail "read: contents"
"$PORTLS" flash write "$f" ota_1 "$work/payload" > /dev/null # erased first, so it is not ANDed into the old image
cmp <(tail -c +$((0x210001)) "$f" | head -c 8) <(printf 'payload\377') || fail "write: contents"
head -c $((0x4001)) /dev/zero > "$work/big"
rc=0; "$PORTLS" flash write "$f" nvs "$work/big" > /dev/null 2> "$work/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF "larger than the partition" "$work/err" || fail "write too big: $rc"
"$PORTLS" flash create --table "$data/rich.csv" -o "$work/rich.img" > /dev/null 2>&1
rc=0; "$PORTLS" flash write "$work/rich.img" ro_nvs "$work/payload" > /dev/null 2> "$work/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF "ro_nvs is read-only" "$work/err" || fail "write readonly: $rc"
"$PORTLS" flash write "$work/rich.img" ro_nvs "$work/payload" --ignore-readonly > /dev/null || fail "--ignore-readonly"
rc=0; "$PORTLS" flash read "$f" nothing -o "$work/x" > /dev/null 2> "$work/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF 'has no partition "nothing"' "$work/err" || fail "read unknown: $rc"
rc=0; "$PORTLS" flash info "$work/payload" > /dev/null 2> "$work/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF "not a usable flash image file (ESP_ERR_INVALID_SIZE)" "$work/err" || fail "info of a non-flash: $rc"
cp "$f" "$work/notable.img"
ff 0x1000 | dd of="$work/notable.img" bs=1 seek=$((0x8000)) conv=notrunc 2> /dev/null
rc=0; "$PORTLS" flash info "$work/notable.img" > /dev/null 2> "$work/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF "the partition table is not valid (ESP_ERR_INVALID_STATE)" "$work/err" || fail "no table: $rc"
rc=0; "$PORTLS" flash > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "no subcommand: exit $rc"
echo "portls flash: gen_esp32part.py's tables and checks; info, otadata commands, read and write"
