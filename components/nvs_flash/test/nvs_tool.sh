#!/usr/bin/env bash
# ESP-IDF's own NVS reader on the partition portls writes: nvs_tool.py's integrity check and
# its listing of every value must match what it printed when the test data was made.
#   nvs_tool.sh TEST_NVS_BINARY DATA_DIR ESP_IDF_PATH
set -euo pipefail
test_nvs=$1 data=$2 idf=${3:-}
tool=$idf/components/nvs_flash/nvs_partition_tool/nvs_tool.py
if [[ -z $idf || ! -f $tool ]]; then
    echo "SKIP: no ESP-IDF checkout (set IDF_PATH or -DPORTLS_ESP_IDF_PATH=...) with $tool"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PORTLS_NVS_DUMP=$work/written.bin PORTLS_LOG_LEVEL=none "$test_nvs" test_writes_the_checked_bytes >/dev/null
python3 "$tool" -i -d minimal --color never "$work/written.bin" >"$work/out.txt"
if grep -aqi "error\|mismatch\|invalid" "$work/out.txt"; then
    cat "$work/out.txt"
    echo "FAIL: nvs_tool.py reports a problem"
    exit 1
fi
diff -u "$data/portls_values.nvs_tool.txt" "$work/out.txt"
# the blobs' and strings' bytes as the reader dumps them; big_blob's must be the CSV's file
python3 "$tool" -d blobs --color never "$work/written.bin" >"$work/blobs.txt"
diff -u "$data/portls_values.nvs_tool_blobs.txt" "$work/blobs.txt"
python3 - "$work/blobs.txt" "$data/blob6000.bin" <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8', errors='replace').read()
section = text.split('storage:big_blob - ')[1].split('\n\n')[0]
data = bytearray()
for line in section.splitlines()[1:]:
    m = re.match(r'\s+0x[0-9a-f]+\s+((?:[0-9a-f]{2}\s+)+)', line)
    data += bytes.fromhex(m.group(1).replace(' ', ''))
want = open(sys.argv[2], 'rb').read()
sys.exit(0 if bytes(data[:len(want)]) == want and len(data) - len(want) < 32 else 'big_blob differs in nvs_tool.py\'s dump')
PY
# a partition after 3000 updates and their page reclaims: the integrity check finds nothing
PORTLS_NVS_DUMP=$work/churned.bin PORTLS_LOG_LEVEL=none "$test_nvs" test_reclaim_on_updates >/dev/null
python3 "$tool" -i -d minimal --color never "$work/churned.bin" >"$work/churned.txt"
grep -aq "churn:counter = 2999" "$work/churned.txt" || { cat "$work/churned.txt"; echo "FAIL: counter"; exit 1; }
problems=$(grep -aEi "duplicate|missing|no blob index|reported as|but there are|truncated|no free|CRC32: [^O]" \
    "$work/churned.txt" || true)
[ -z "$problems" ] || { echo "FAIL: nvs_tool.py on the churned partition: $problems"; exit 1; }
echo "nvs_tool.py checks and reads every value portls wrote, also after page reclaims"
