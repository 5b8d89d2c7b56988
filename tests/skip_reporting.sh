#!/usr/bin/env bash
# A cmocka program reports a skipped test to CTest: exit 0 when all passed, the skip code when
# none failed and some skipped, a failure (not the skip code) when one failed.
set -uo pipefail
probe=$1 skip_code=$2
fail() { echo "FAIL: $*"; exit 1; }
"$probe" pass >/dev/null 2>&1; rc=$?
[ "$rc" -eq 0 ] || fail "all passed: exit $rc"
"$probe" skip >/dev/null 2>&1; rc=$?
[ "$rc" -eq "$skip_code" ] || fail "one skipped: exit $rc, not $skip_code"
"$probe" fail >/dev/null 2>&1; rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne "$skip_code" ] || fail "one failed, one skipped: exit $rc"
echo "skips reach CTest as skips, failures as failures"
