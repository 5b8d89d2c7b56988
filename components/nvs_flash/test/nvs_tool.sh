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
if grep -qi "error\|mismatch\|invalid" "$work/out.txt"; then
    cat "$work/out.txt"
    echo "FAIL: nvs_tool.py reports a problem"
    exit 1
fi
diff -u "$data/portls_values.nvs_tool.txt" "$work/out.txt"
echo "nvs_tool.py reads every value portls wrote"
