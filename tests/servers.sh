# Sourced by the shell tests and the demo: servers on loopback, stopped on exit.
#   start_s_server ARGS...   starts `openssl s_server -accept 127.0.0.1:$S_SERVER_PORT ARGS`
#                            (in $S_SERVER_DIR if set) and waits until the port accepts
#                            connections; stop_s_server stops it.
#   start_portls_serve PORTLS ARGS...   starts `PORTLS serve --port 0 ARGS` and waits for it to
#                            listen; sets SERVE_PORT, SERVE_PID and SERVE_LOG (its stderr).
#   stop_portls_serve SIGNAL  stops it with SIGNAL; sets SERVE_EXIT.
#   start_gnutls_serv ARGS...  starts `gnutls-serv --port $GNUTLS_SERV_PORT ARGS` (it listens on
#                            every address) and waits until the port accepts connections on
#                            127.0.0.1; stopped on exit or by stop_gnutls_serv.
#   start_mosquitto RUNNER   starts the MQTT tests' mosquitto through RUNNER (the mosquitto_run
#                            helper) and waits for its ports: MQTT_PORT (plain MQTT) and
#                            MQTT_TLS_PORT (TLS, anonymous); stopped on exit.
# Sets S_SERVER_PORT and S_SERVER_WORK (a scratch directory removed on exit).
S_SERVER_WORK=$(mktemp -d)
S_SERVER_PID=
SERVE_PID=
MOSQUITTO_PID=
GNUTLS_SERV_PID=

stop_servers() {
    local pid
    for pid in "$S_SERVER_PID" "$SERVE_PID" "$MOSQUITTO_PID" "$GNUTLS_SERV_PID"; do
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    S_SERVER_PID=
    SERVE_PID=
    MOSQUITTO_PID=
    GNUTLS_SERV_PID=
    exec 3>&- || true
    rm -rf "$S_SERVER_WORK"
}
trap stop_servers EXIT

# Stops the s_server of start_s_server, so that another can start.
stop_s_server() {
    [ -n "$S_SERVER_PID" ] || return 0
    kill "$S_SERVER_PID" 2>/dev/null || true
    wait "$S_SERVER_PID" 2>/dev/null || true
    S_SERVER_PID=
    exec 3>&-
}

start_portls_serve() {
    local portls=$1 out=$S_SERVER_WORK/serve.out
    shift
    SERVE_LOG=$S_SERVER_WORK/serve.log
    "$portls" serve --port 0 "$@" >"$out" 2>"$SERVE_LOG" &
    SERVE_PID=$!
    for _ in $(seq 200); do
        SERVE_PORT=$(sed -n 's/^portls serve: listening on .*:\([0-9]*\)$/\1/p' "$out")
        [ -n "$SERVE_PORT" ] && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "portls serve did not start: $(cat "$SERVE_LOG")" >&2
    return 1
}

stop_portls_serve() {
    kill "-$1" "$SERVE_PID"
    SERVE_EXIT=0
    wait "$SERVE_PID" || SERVE_EXIT=$?
    SERVE_PID=
}

start_mosquitto() {
    local out=$S_SERVER_WORK/mosquitto.out ports
    : >"$out" # before the reads below: the background job may open it later (and set -e stops on head's error)
    "$1" >"$out" 2>"$S_SERVER_WORK/mosquitto.err" &
    MOSQUITTO_PID=$!
    for _ in $(seq 600); do
        ports=$(head -n 1 "$out")
        if [[ $ports =~ tcp=([0-9]+).*\ tls=([0-9]+) ]]; then
            MQTT_PORT=${BASH_REMATCH[1]}
            MQTT_TLS_PORT=${BASH_REMATCH[2]}
            return 0
        fi
        kill -0 "$MOSQUITTO_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "mosquitto did not start: $(cat "$S_SERVER_WORK/mosquitto.err")" >&2
    return 1
}

start_gnutls_serv() {
    GNUTLS_SERV_PORT=$(free_port)
    gnutls-serv --port "$GNUTLS_SERV_PORT" --quiet "$@" >/dev/null 2>"$S_SERVER_WORK/gnutls-serv.err" &
    GNUTLS_SERV_PID=$!
    for _ in $(seq 200); do
        (exec 4<>"/dev/tcp/127.0.0.1/$GNUTLS_SERV_PORT") 2>/dev/null && return 0
        kill -0 "$GNUTLS_SERV_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "gnutls-serv did not start: $(cat "$S_SERVER_WORK/gnutls-serv.err")" >&2
    return 1
}

stop_gnutls_serv() {
    [ -n "$GNUTLS_SERV_PID" ] || return 0
    kill "$GNUTLS_SERV_PID" 2>/dev/null || true
    wait "$GNUTLS_SERV_PID" 2>/dev/null || true
    GNUTLS_SERV_PID=
}

# A loopback port that refuses connections, so nothing listens there. Below the kernel's
# ephemeral range, as peer_free_port() picks: no outgoing connection takes it meanwhile.
free_port() {
    local p low
    low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    for p in $(shuf -i "10000-$((low - 1))" -n 100); do
        (exec 4<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}

# One try on a random free port. @return 0 listening, 1 the server exited (the port was taken
# after all, say), 2 it never listened.
try_s_server() {
    S_SERVER_PORT=$(free_port)
    # s_server stops at the end of its input, so it reads a FIFO that this shell holds open.
    rm -f "$S_SERVER_WORK/stdin"
    mkfifo "$S_SERVER_WORK/stdin"
    exec 3<>"$S_SERVER_WORK/stdin"
    (cd "${S_SERVER_DIR:-.}" && exec openssl s_server -accept "127.0.0.1:$S_SERVER_PORT" -quiet "$@") \
        <&3 >/dev/null 2>"$S_SERVER_WORK/s_server.err" &
    S_SERVER_PID=$!
    for _ in $(seq 200); do
        (exec 4<>"/dev/tcp/127.0.0.1/$S_SERVER_PORT") 2>/dev/null && return 0
        kill -0 "$S_SERVER_PID" 2>/dev/null || { stop_s_server; return 1; }
        sleep 0.05
    done
    return 2
}

start_s_server() {
    local attempt rc
    for attempt in 1 2 3; do
        rc=0
        try_s_server "$@" || rc=$?
        [ "$rc" -eq 1 ] || break
    done
    [ "$rc" -eq 0 ] && return 0
    echo "openssl s_server did not start ($rc): $(cat "$S_SERVER_WORK/s_server.err")" >&2
    return 1
}

