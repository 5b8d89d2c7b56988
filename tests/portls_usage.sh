#!/usr/bin/env bash
# Every numeric option of every command refuses a value that is not a number in its range: exit 2,
# naming the flag and the value (never taken as 0, as atoi() would).
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$work/f"

# expect_refused FLAG VALUE ARGS...: portls ARGS exits 2 and says "FLAG 'VALUE' is not a number".
expect_refused() {
    local flag=$1 value=$2 rc=0 err
    shift 2
    err=$(PORTLS_LOG_LEVEL=none "$PORTLS" "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq 2 ] || fail "portls $*: exit $rc, not 2: $err"
    grep -qF -- "$flag '$value' is not a number" <<<"$err" || fail "portls $*: does not name $flag '$value': $err"
}

expect_refused --timeout abc connect localhost:1 --timeout abc
expect_refused --timeout 0 connect localhost:1 --timeout 0
expect_refused --heap-limit 12k connect localhost:1 --heap-limit 12k
expect_refused --port abc serve --cert "$work/f" --key "$work/f" --port abc
expect_refused --port 65536 serve --cert "$work/f" --key "$work/f" --port 65536
expect_refused --timeout 5s serve --cert "$work/f" --key "$work/f" --timeout 5s
expect_refused -m/--max-time abc get http://localhost:1/ -m abc
expect_refused --connect-timeout 1.5 get http://localhost:1/ --connect-timeout 1.5
expect_refused -p/--port abc mqtt sub -t a -p abc
expect_refused -p/--port 0 mqtt sub -t a --port 0
expect_refused -q/--qos 3 mqtt sub -t a -q 3
expect_refused -C/--count x mqtt sub -t a -C x
expect_refused -k/--keepalive -1 mqtt sub -t a -k -1
expect_refused --max abc bundle build -o "$work/b" --max abc "$work/f"
expect_refused --secure-version x image wrap "$work/f" --version 1 --project p -o "$work/a" --secure-version x
expect_refused --min-rev-full 70000 image wrap "$work/f" --version 1 --project p -o "$work/a" --min-rev-full 70000
expect_refused --chip-rev abc image info "$work/f" --chip-rev abc
expect_refused --slot abc flash set-boot "$work/f" --slot abc
expect_refused --slot 16 flash set-boot "$work/f" --slot 16
expect_refused --partial abc ota http://localhost:1/a.bin --flash "$work/f" --partial abc

# flash create --size takes K and M suffixes: anything else is refused the same way
rc=0; err=$("$PORTLS" flash create --table "$work/f" --size 4XB -o "$work/x" 2>&1) || rc=$?
[ "$rc" -eq 2 ] && grep -qF -- "--size '4XB' is not a size" <<<"$err" || fail "--size 4XB: exit $rc: $err"

# hexadecimal is a number too (esptool's habit for versions and sizes)
rc=0; PORTLS_LOG_LEVEL=none "$PORTLS" image wrap "$work/f" --version 1 --project p -o "$work/a" \
    --secure-version 0x10 >/dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "--secure-version 0x10: exit $rc"

# HOST:PORT, the same for connect and diagnose (one parser): a bad or missing port, no host, and
# an IPv6 literal in brackets taken apart
for cmd in connect diagnose; do
    for target in localhost:abc localhost localhost:0 :443; do
        rc=0; err=$(PORTLS_LOG_LEVEL=none "$PORTLS" $cmd "$target" 2>&1 >/dev/null) || rc=$?
        [ "$rc" -eq 2 ] && grep -qF -- "'$target' is not HOST:PORT" <<<"$err" || fail "$cmd $target: exit $rc: $err"
    done
    rc=0; "$PORTLS" $cmd --alpn a,b,c,d,e,f,g,h,i localhost:1 >/dev/null 2>"$work/err" || rc=$?
    [ "$rc" -eq 2 ] && grep -qF "at most 8 ALPN protocols" "$work/err" || fail "$cmd nine ALPN: exit $rc"
done
rc=0; err=$(PORTLS_LOG_LEVEL=none "$PORTLS" connect "[::1]:1" --timeout 2000 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "connect [::1]:1: exit $rc, not 1 (refused): $err"

# an unknown option is a usage error too
rc=0; "$PORTLS" get http://localhost:1/ --no-such-flag 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "unknown option: exit $rc"
echo "portls: every numeric option refuses what is not a number, naming the flag and the value"
