# Sourced by the shell tests and the demo: one openssl s_server on loopback, stopped on exit.
#   start_s_server ARGS...   starts `openssl s_server -accept 127.0.0.1:$S_SERVER_PORT ARGS`
#                            and waits until the port accepts connections.
# Sets S_SERVER_PORT and S_SERVER_WORK (a scratch directory removed on exit).
S_SERVER_WORK=$(mktemp -d)
S_SERVER_PID=

stop_s_server() {
    if [ -n "$S_SERVER_PID" ]; then
        kill "$S_SERVER_PID" 2>/dev/null || true
        wait "$S_SERVER_PID" 2>/dev/null || true
        S_SERVER_PID=
    fi
    exec 3>&- || true
    rm -rf "$S_SERVER_WORK"
}
trap stop_s_server EXIT

# A loopback port that refuses connections, so nothing listens there.
free_port() {
    local p
    for p in $(shuf -i 20000-60999 -n 100); do
        (exec 4<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}

start_s_server() {
    S_SERVER_PORT=$(free_port)
    # s_server stops at the end of its input, so it reads a FIFO that this shell holds open.
    mkfifo "$S_SERVER_WORK/stdin"
    exec 3<>"$S_SERVER_WORK/stdin"
    openssl s_server -accept "127.0.0.1:$S_SERVER_PORT" -quiet "$@" <&3 >/dev/null 2>&1 &
    S_SERVER_PID=$!
    for _ in $(seq 200); do
        (exec 4<>"/dev/tcp/127.0.0.1/$S_SERVER_PORT") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "openssl s_server did not start" >&2
    return 1
}
