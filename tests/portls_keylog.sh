#!/usr/bin/env bash
# SSLKEYLOGFILE: portls's key log against OpenSSL's for the same sessions (portls connect against
# s_server, portls serve against s_client; TLS 1.2 and 1.3), tshark decrypting a recorded portls
# HTTPS session with it, concurrent processes appending whole lines, the file's mode, the one
# warning, and what an unset, empty or unusable SSLKEYLOGFILE does.
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
pki=$PORTLS_TEST_CERTS
work=$S_SERVER_WORK
fail() { echo "FAIL: $*"; exit 1; }
warning="esp-tls: SSLKEYLOGFILE: the TLS secrets of every connection go to"
unset SSLKEYLOGFILE

# The lines of an NSS key log, each checked for its form.
labels='CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0'
well_formed() {
    local bad
    bad=$(grep -cvE "^($labels) [0-9a-f]{64} ([0-9a-f]{64}|[0-9a-f]{96})$" "$1") || true
    [ "$bad" -eq 0 ] || fail "$bad malformed line(s) in $1: $(cat "$1")"
}
# OpenSSL's file, once it holds want lines (its side may finish the handshake after ours), without
# its EXPORTER_SECRET: mbedTLS 3.6 does not export that one.
openssl_lines() {
    local file=$1 want=$2
    for _ in $(seq 200); do
        [ -f "$file" ] && [ "$(grep -cv '^#' "$file")" -ge "$want" ] && break
        sleep 0.05
    done
    grep -v -e '^#' -e '^EXPORTER_SECRET ' "$file" | sort
}
# same_lines PORTLS_FILE OPENSSL_FILE OPENSSL_LINES WANT_LINES: the sets are equal.
same_lines() {
    local ours theirs
    well_formed "$1"
    ours=$(sort "$1")
    theirs=$(openssl_lines "$2" "$3")
    [ "$(wc -l <<<"$ours")" -eq "$4" ] || fail "$4 lines expected in $1: $ours"
    [ "$ours" = "$theirs" ] || fail "portls and OpenSSL logged different secrets: portls: $ours; OpenSSL: $theirs"
}

# portls connect against s_server -keylogfile, one process per version; each process warns once.
for v in 1.2 1.3; do
    ours=$work/connect$v.keys theirs=$work/s_server$v.keys
    start_s_server "-tls${v/./_}" -cert "$pki/server_ec.pem" -key "$pki/server_ec.key" -keylogfile "$theirs"
    SSLKEYLOGFILE=$ours "$PORTLS" connect "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" \
        >"$work/connect.out" 2>"$work/connect.err" || fail "connect TLS $v: $(cat "$work/connect.err")"
    grep -qF "TLS version:  TLSv$v" "$work/connect.out" || fail "not TLS $v: $(cat "$work/connect.out")"
    [ "$(grep -cF "$warning $ours;" "$work/connect.err")" -eq 1 ] ||
        fail "connect TLS $v: not one warning naming the file: $(cat "$work/connect.err")"
    if [ "$v" = 1.2 ]; then n=1 openssl_n=1; else n=4 openssl_n=5; fi
    same_lines "$ours" "$theirs" "$openssl_n" "$n"
    [ "$(stat -c %a "$ours")" = 600 ] || fail "the key log was created with mode $(stat -c %a "$ours"), not 600"
    stop_s_server
done

# portls serve against s_client -keylogfile: one server process, a session in each version,
# appended to one file, one warning.
served=$work/serve.keys
export SSLKEYLOGFILE=$served
start_portls_serve "$PORTLS" --cert "$pki/server_ec.pem" --key "$pki/server_ec.key" --echo
unset SSLKEYLOGFILE
for v in 1.2 1.3; do
    openssl s_client -connect "127.0.0.1:$SERVE_PORT" -CAfile "$pki/ca.pem" -verify_return_error "-tls${v/./_}" \
        -keylogfile "$work/s_client.keys" </dev/null >"$work/s_client.out" 2>&1 || fail "s_client TLS $v: $(cat "$work/s_client.out")"
done
for _ in $(seq 200); do # the server may log its last secrets after s_client has gone
    [ "$(wc -l <"$served")" -ge 5 ] && break
    sleep 0.05
done
same_lines "$served" "$work/s_client.keys" 6 5
[ "$(grep -cF "$warning $served;" "$SERVE_LOG")" -eq 1 ] || fail "serve: not one warning: $(cat "$SERVE_LOG")"
stop_portls_serve TERM

# Concurrent processes appending to one file: whole lines only, every session's.
start_s_server -tls1_3 -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
shared=$work/shared.keys
pids=()
for i in $(seq 8); do
    SSLKEYLOGFILE=$shared "$PORTLS" connect "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" \
        >/dev/null 2>"$work/concurrent$i.err" &
    pids+=($!)
done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || fail "concurrent connect $((i + 1)): $(cat "$work/concurrent$((i + 1)).err")"
done
well_formed "$shared"
[ "$(wc -l <"$shared")" -eq 32 ] || fail "8 TLS 1.3 sessions, not 32 lines: $(cat "$shared")"
[ "$(cut -d' ' -f2 "$shared" | sort -u | wc -l)" -eq 8 ] || fail "not 8 sessions' client randoms in $shared"

# Unset or empty: nothing written, no warning. Unusable: a warning, and the connection works.
mkdir "$work/cwd"
(cd "$work/cwd" && "$PORTLS" connect "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" >/dev/null 2>"$work/unset.err") ||
    fail "unset: $(cat "$work/unset.err")"
(cd "$work/cwd" && SSLKEYLOGFILE='' "$PORTLS" connect "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" \
    >/dev/null 2>"$work/empty.err") || fail "empty: $(cat "$work/empty.err")"
[ -z "$(ls -A "$work/cwd")" ] || fail "an unset or empty SSLKEYLOGFILE wrote $(ls -A "$work/cwd")"
if grep -q SSLKEYLOGFILE "$work/unset.err" "$work/empty.err"; then fail "a key log warning without a key log"; fi
for bad in "$work/no-such-dir/keys" "$work/cwd"; do
    SSLKEYLOGFILE=$bad "$PORTLS" connect "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" >"$work/bad.out" \
        2>"$work/bad.err" || fail "SSLKEYLOGFILE=$bad broke the connection: $(cat "$work/bad.err")"
    grep -qF "Connected to localhost" "$work/bad.out" || fail "SSLKEYLOGFILE=$bad: $(cat "$work/bad.out")"
    grep -qF "SSLKEYLOGFILE: cannot open $bad (" "$work/bad.err" || fail "SSLKEYLOGFILE=$bad: no warning: $(cat "$work/bad.err")"
done
# A file that takes no writes: one warning for the four lines, and the connection works.
SSLKEYLOGFILE=/dev/full "$PORTLS" connect "localhost:$S_SERVER_PORT" --cacert "$pki/ca.pem" >"$work/bad.out" \
    2>"$work/bad.err" || fail "SSLKEYLOGFILE=/dev/full broke the connection: $(cat "$work/bad.err")"
[ "$(grep -cF "SSLKEYLOGFILE: a write failed (No space left on device)" "$work/bad.err")" -eq 1 ] ||
    fail "SSLKEYLOGFILE=/dev/full: not one warning: $(cat "$work/bad.err")"
stop_s_server

# tshark decrypts a portls HTTPS session, both ways, with the key log. Capturing on loopback needs
# CAP_NET_RAW, so the session goes through a relay that writes the pcap (support/relay_pcap.py).
tshark=$(command -v tshark) || fail "tshark is missing (scripts/bootstrap installs it)"
pkg=$(dpkg -S "$(readlink -f "$tshark")" | cut -d: -f1)
packages=$("$SOURCE_DIR/scripts/bootstrap" --packages)
grep -qx "$pkg" <<<"$packages" || fail "scripts/bootstrap does not install $pkg, which provides tshark"
tab=$'\t'
for v in 1.2 1.3; do
    keys=$work/get$v.keys pcap=$work/get$v.pcap
    start_s_server "-tls${v/./_}" -www -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
    : >"$work/relay.out"
    "$PYTHON3" "$(dirname "$0")/support/relay_pcap.py" "$S_SERVER_PORT" "$pcap" >"$work/relay.out" &
    relay_pid=$!
    relay_port=
    for _ in $(seq 200); do
        relay_port=$(head -n 1 "$work/relay.out")
        [ -n "$relay_port" ] && break
        sleep 0.05
    done
    [ -n "$relay_port" ] || fail "the relay did not start"
    SSLKEYLOGFILE=$keys "$PORTLS" get "https://localhost:$relay_port/keylog-probe?v=$v" --cacert "$pki/ca.pem" \
        >"$work/get.out" 2>"$work/get.err" || fail "get TLS $v: $(cat "$work/get.err")"
    wait "$relay_pid" || fail "the relay failed"
    stop_s_server
    decode=(-r "$pcap" -d "tcp.port==$S_SERVER_PORT,tls" -Y http.request -T fields -e http.request.method
            -e http.request.uri -e http.request.version)
    got=$(tshark -o "tls.keylog_file:$keys" "${decode[@]}" 2>&1) || fail "tshark: $got"
    grep -qxF "GET${tab}/keylog-probe?v=$v${tab}HTTP/1.1" <<<"$got" || fail "TLS $v: tshark did not decrypt the request: $got"
    # s_server's answer has no length and ends with the connection: tshark shows it as it comes
    got=$(tshark -o "tls.keylog_file:$keys" -o http.desegment_body:FALSE -r "$pcap" -d "tcp.port==$S_SERVER_PORT,tls" \
              -Y http.response -T fields -e http.response.code 2>&1) || fail "tshark: $got"
    grep -qx 200 <<<"$got" || fail "TLS $v: tshark did not decrypt the response: $got"
    # without the key log the request stays hidden
    got=$(tshark "${decode[@]}" 2>&1) || fail "tshark: $got"
    if grep -qF "keylog-probe" <<<"$got"; then fail "TLS $v: the request is readable without the key log: $got"; fi
done
echo PASS
