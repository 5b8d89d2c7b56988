#!/usr/bin/env bash
# --json of get, bundle list, flash info and image info, parsed by python3's json and checked
# against the README's schemas and the values the text reports give (connect's is in
# portls_connect.sh).
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
pki=$PORTLS_TEST_CERTS
work=$S_SERVER_WORK
fail() { echo "FAIL: $*"; exit 1; }
export PORTLS_LOG_LEVEL=none

# get --json: the summary on stderr, the body on stdout as without it
printf 'hello json\n' > "$work/hello.txt"
S_SERVER_DIR=$work start_s_server -tls1_3 -WWW -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
url="https://localhost:$S_SERVER_PORT/hello.txt"
body=$("$PORTLS" get "$url" --cacert "$pki/ca.pem" --json 2>"$work/get.json") || fail "get --json: exit $?"
[ "$body" = "hello json" ] || fail "get --json: body '$body'"
python3 - "$work/get.json" "$url" <<'PY' || fail "get --json: $(cat "$work/get.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["url"] == sys.argv[2] and d["status"] == 200 and d["exit_status"] == 0, d
assert d["received"] == 11 and len(d["connections"]) == 1, d
c = d["connections"][0]
assert c["tls"]["version"] == "TLSv1.3" and c["chain"][0]["subject"] == "CN=localhost", c
assert c["verification"]["ok"] is True and c["timing_ms"]["tls"] > 0, c
assert "error" not in d, d
PY
rc=0
"$PORTLS" get "$url" --cacert "$pki/other_ca.pem" --json 2>"$work/get.json" >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "get --json, wrong CA: exit $rc"
python3 - "$work/get.json" "$pki/other_ca.pem" <<'PY' || fail "get --json, wrong CA: $(cat "$work/get.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit_status"] == 1 and d["error"]["esp_err"] == "ESP_ERR_HTTP_CONNECT", d
assert d["error"]["verify_flags"] == 8 and d["trust"] == "--cacert " + sys.argv[2], d
assert d["unverified_chain"][0]["issuer"] == "CN=portls test CA" and d["try"].startswith("--cacert FILE"), d
assert d["connections"] == [], d
PY

# bundle list --json: the same entries as the text listing
"$PORTLS" bundle build -o "$work/two.bundle" "$pki/ca.pem" "$pki/other_ca.pem" >/dev/null
"$PORTLS" bundle list "$work/two.bundle" --json > "$work/list.json"
python3 - "$work/list.json" <<'PY' || fail "bundle list --json: $(cat "$work/list.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert [e["index"] for e in d] == [0, 1], d
assert sorted(e["subject"] for e in d) == ["CN=portls test CA", "CN=unrelated CA"], d
assert all(e["parsed"] and e["key_type"] in ("EC", "RSA") and e["key_bits"] > 0 for e in d), d
PY
if "$PORTLS" bundle list --builtin > "$work/builtin.txt" 2>/dev/null; then
    "$PORTLS" bundle list --builtin --json > "$work/builtin.json"
    python3 - "$work/builtin.json" "$(wc -l < "$work/builtin.txt")" <<'PY' || fail "bundle list --builtin --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == int(sys.argv[2]) and len(d) > 0, (len(d), sys.argv[2])
PY
fi

# image info --json and flash info --json on an image wrapped and written by portls
printf 'payload\n' > "$work/payload"
SOURCE_DATE_EPOCH=0 "$PORTLS" image wrap "$work/payload" --version 1.2.3 --project demo --secure-version 7 \
    -o "$work/app.bin" >/dev/null
"$PORTLS" image info "$work/app.bin" --json > "$work/image.json"
python3 - "$work/image.json" "$(stat -c %s "$work/app.bin")" <<'PY' || fail "image info --json: $(cat "$work/image.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["file_size"] == int(sys.argv[2]) and d["header"]["segment_count"] == 1, d
assert d["segments"][0]["memory"] == "DROM" and d["segments"][0]["file_offset"] == 24, d
assert d["checksum"]["valid"] and d["sha256"]["valid"] and len(d["sha256"]["calculated"]) == 64, d
assert d["app"]["project_name"] == "demo" and d["app"]["version"] == "1.2.3", d
assert d["app"]["secure_version"] == 7 and d["app"]["date"] == "Jan  1 1970", d
assert d["verify"]["valid"] is True and d["verify"]["reason"] == "", d
PY
printf 'X' | dd of="$work/app.bin" bs=1 seek=100 conv=notrunc status=none # a byte of the segment
rc=0; "$PORTLS" image info "$work/app.bin" --json > "$work/image.json" || rc=$?
[ "$rc" -eq 1 ] || fail "image info --json, changed image: exit $rc"
python3 - "$work/image.json" <<'PY' || fail "image info --json, changed image: $(cat "$work/image.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verify"]["valid"] is False and d["verify"]["reason"] != "", d
PY

SOURCE_DATE_EPOCH=0 "$PORTLS" image wrap "$work/payload" --version 2.0 --project demo -o "$work/app.bin" >/dev/null
"$PORTLS" flash create --table "$SOURCE_DIR/tests/data/partition_tables/two_ota.csv" -o "$work/f.img" >/dev/null
"$PORTLS" flash write "$work/f.img" ota_1 "$work/app.bin" >/dev/null
"$PORTLS" flash set-boot "$work/f.img" --slot 1 >/dev/null
"$PORTLS" flash info "$work/f.img" --json > "$work/flash.json"
python3 - "$work/flash.json" <<'PY' || fail "flash info --json: $(cat "$work/flash.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["size"] == 4 * 1024 * 1024 and d["md5"] is True, d
assert [p["label"] for p in d["partitions"]] == ["nvs", "otadata", "phy_init", "factory", "ota_0", "ota_1"], d
ota1 = d["partitions"][5]
assert ota1["type_name"] == "app" and ota1["subtype"] == 0x11 and ota1["size"] == 0x100000, ota1
active = [e for e in d["otadata"] if e["active"]]
assert len(active) == 1 and active[0]["slot"] == 1 and active[0]["crc_valid"], d["otadata"]
apps = {a["label"]: a for a in d["apps"]}
assert apps["ota_1"]["valid"] and apps["ota_1"]["version"] == "2.0" and len(apps["ota_1"]["sha256"]) == 64, apps
assert apps["factory"]["image"] is False and apps["factory"]["valid"] is False, apps
assert d["next_boot"]["app"] == "ota_1", d["next_boot"]
PY
echo "portls --json: get, bundle list, image info and flash info parse and hold the reports' values"
