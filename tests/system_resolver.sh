#!/usr/bin/env bash
# portls connect resolves names from the system's own files, as glibc's resolver does: the name
# server, search domain and ndots of /etc/resolv.conf, /etc/hosts before DNS, and timeout_ms
# over a name server that never answers; CARES_HOSTS, but not in a set-id program; a process
# sees resolv.conf change between two lookups. In private mount and network namespaces, test
# files are bound over /etc/resolv.conf and /etc/hosts and dnsmasq serves 127.0.0.1:53; nothing
# outside changes.
# Creating the namespaces needs root (as CI runs); without that the test is skipped (77).
set -euo pipefail
if [ -z "${PORTLS_IN_NAMESPACE:-}" ]; then
    unshare -mn true 2>/dev/null || { echo "SKIP: cannot create mount and network namespaces"; exit 77; }
    PORTLS_IN_NAMESPACE=1 exec unshare -mn bash "$0" "$@"
fi
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
pki=$PORTLS_TEST_CERTS
work=$S_SERVER_WORK
fail() { echo "FAIL: $*"; exit 1; }

dns_pid=
stop_dns() {
    [ -n "$dns_pid" ] || return 0
    kill "$dns_pid" 2>/dev/null || true
    wait "$dns_pid" 2>/dev/null || true
    dns_pid=
}
trap 'stop_dns; stop_servers' EXIT

ip link set lo up
printf 'nameserver 127.0.0.1\nsearch portls.test\noptions ndots:2\n' > "$work/resolv.conf"
printf '127.0.0.1 localhost\n::1 localhost\n127.0.0.1 hosts-only.test\n' > "$work/hosts"
mount --bind "$work/resolv.conf" /etc/resolv.conf
mount --bind "$work/hosts" /etc/hosts

# dnsmasq knows three names and refuses the rest. Nothing listens on 127.0.0.3.
"$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --listen-address=127.0.0.1 \
    --bind-interfaces --port=53 --pid-file --log-facility=- --address=/www.portls.test/127.0.0.1 \
    --address=/a.b.portls.test/127.0.0.1 --address=/a.b/127.0.0.3 2>"$work/dnsmasq.log" &
dns_pid=$!
for _ in $(seq 200); do
    (exec 4<>/dev/tcp/127.0.0.1/53) 2>/dev/null && break
    sleep 0.05
done

start_s_server -cert "$pki/server_ec.pem" -key "$pki/server_ec.key"
port=$S_SERVER_PORT

# connect NAME [TIMEOUT_MS]: portls connect to NAME:$port; output in $out, exit status in $rc.
connect() {
    rc=0
    out=$(PORTLS_LOG_LEVEL=error "$PORTLS" connect "$1:$port" --cacert "$pki/ca.pem" --servername localhost \
          --timeout "${2:-5000}" 2>&1) || rc=$?
}

connect www
[ "$rc" -eq 0 ] || fail "www: resolv.conf's server and search domain were not used: $out"
# ndots:2: a.b has fewer dots, so the search domain comes first (with ndots:1, a.b as it is).
connect a.b
[ "$rc" -eq 0 ] || fail "a.b: resolv.conf's ndots was not used: $out"
connect hosts-only.test
[ "$rc" -eq 0 ] || fail "hosts-only.test: /etc/hosts was not read: $out"
connect unknown.test
[ "$rc" -eq 1 ] && grep -qF ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME <<<"$out" ||
    fail "unknown.test: exit $rc: $out"

# CARES_HOSTS names another hosts file, except to a set-id program (as glibc drops its resolver
# variables there): run as nobody, a set-uid copy does not see the name, a plain copy does.
suid=$work/suid
mkdir "$suid"
chmod 755 "$work" "$suid"
cp "$PORTLS" "$suid/portls"
cp "$PORTLS" "$suid/portls-setuid"
chmod 4755 "$suid/portls-setuid"
printf '127.0.0.1 env-only.test\n' > "$suid/hosts"
chmod 644 "$suid/hosts"
refused=$(free_port)
for program in portls portls-setuid; do
    rc=0
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env CARES_HOSTS="$suid/hosts" \
          "$suid/$program" connect "env-only.test:$refused" 2>&1) || rc=$?
    want=ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST
    [ "$program" = portls ] || want=ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME
    [ "$rc" -eq 1 ] && grep -qF "$want" <<<"$out" || fail "CARES_HOSTS, $program: exit $rc, not $want: $out"
done

# resolv.conf is read again when it changes. In one process, "www" fails under a search domain
# that lacks it, then resolves under portls.test: after resolv.conf is written in place (the same
# size, another mtime), and after another file of the same size is bound over it.
cp "$work/resolv.conf" "$work/resolv.conf.kept"
printf 'nameserver 127.0.0.1\nsearch nowhere.tst\n' > "$work/resolv-nowhere.conf"
printf 'nameserver 127.0.0.1\nsearch portls.test\n' > "$work/resolv-portls.conf"
cat "$work/resolv-nowhere.conf" > /etc/resolv.conf
"$RESOLVE_TWICE" "$port" www "cat '$work/resolv-portls.conf' > /etc/resolv.conf && touch -m -d @1000000000 /etc/resolv.conf" ||
    fail "resolv.conf written in place was not read again"
cat "$work/resolv-nowhere.conf" > /etc/resolv.conf
"$RESOLVE_TWICE" "$port" www "mount --bind '$work/resolv-portls.conf' /etc/resolv.conf" ||
    fail "a resolv.conf bound in place of the old one was not read"
umount /etc/resolv.conf
cat "$work/resolv.conf.kept" > /etc/resolv.conf

# A name server that takes queries and never answers: the connect gives up at its timeout.
stop_dns
socat -u UDP-RECV:53,bind=127.0.0.1 OPEN:/dev/null &
dns_pid=$!
for _ in $(seq 200); do
    [ -n "$(ss -Hlun 'sport = :53')" ] && break
    sleep 0.05
done
# connect_silent TIMEOUT_MS: connects to www, which gets no answer; the time it took in $ms.
connect_silent() {
    local start
    start=$(date +%s%N)
    connect www "$1"
    ms=$((($(date +%s%N) - start) / 1000000))
    [ "$rc" -eq 1 ] && grep -qF ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME <<<"$out" ||
        fail "silent name server: exit $rc: $out"
}
connect_silent 1000
[ "$ms" -ge 1000 ] && [ "$ms" -lt 4000 ] || fail "silent name server: gave up after $ms ms, not at 1000"
connect hosts-only.test 1000
[ "$rc" -eq 0 ] || fail "hosts-only.test with a silent name server: $out"
echo "system resolver: resolv.conf's server, search domain and ndots, /etc/hosts first, CARES_HOSTS but not set-id, resolv.conf read again when it changes, timeout_ms over a silent server"
