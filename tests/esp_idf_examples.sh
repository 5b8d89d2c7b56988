#!/usr/bin/env bash
# ESP-IDF's protocol examples (examples/esp_idf), each built as it is, against an installed portls:
# with the pkg-config line and with find_package(portls), its server address given as the
# Kconfig-style define, its embedded files embedded as ESP-IDF's EMBED_TXTFILES does. Then each
# runs as an app (libportls_app_main's main()) on a flash image with an nvs partition, against the
# tests' peers, until it has logged the lines ESP-IDF's example documents; it is then stopped, as
# most of them run forever.
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
work=$S_SERVER_WORK
examples=$SOURCE_DIR/examples/esp_idf

cmake --install "$BUILD_DIR" --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
template=$(pkg-config --variable=embed_template portls)
files_template=$(pkg-config --variable=embed_files_template portls)

# A flash with an nvs partition and a factory app (any payload: the examples run on the host).
mkdir -p "$work/flash"
cat > "$work/flash/partitions.csv" <<'CSV'
nvs,      data, nvs,     ,  0x6000,
otadata,  data, ota,     ,  0x2000,
phy_init, data, phy,     ,  0x1000,
factory,  app,  factory, ,  1M,
ota_0,    app,  ota_0,   ,  1M,
ota_1,    app,  ota_1,   ,  1M,
CSV
"$PORTLS" flash create --table "$work/flash/partitions.csv" -o "$work/flash/empty.img" >/dev/null
echo "an app" > "$work/flash/payload"
"$PORTLS" image wrap "$work/flash/payload" --version 1.0 --project factory -o "$work/flash/factory.bin" >/dev/null
cp "$work/flash/empty.img" "$work/flash/base.img"
"$PORTLS" flash write "$work/flash/base.img" factory "$work/flash/factory.bin" >/dev/null

# build NAME DEFINES EMBED...: examples/esp_idf/NAME/main/*.c as $work/NAME/NAME (pkg-config) and
# $work/NAME/cmake/build/NAME (find_package). DEFINES: -D options, one string; each EMBED is
# FILE_NAME=PATH, embedded under FILE_NAME as the example's CMakeLists would name it (as
# EMBED_TXTFILES does; +FILE_NAME=PATH as EMBED_FILES does, without the NUL).
build() {
    local name=$1 defines=$2 dir=$work/$1
    shift 2
    mkdir -p "$dir/embed" "$dir/cmake"
    local embeds=() cmake_embeds="" cmake_files=""
    for e in "$@"; do
        local tmpl=$template file=${e#+}
        cp "${file#*=}" "$dir/embed/${file%%=*}"
        if [ "$file" != "$e" ]; then
            tmpl=$files_template
            cmake_files+=" $dir/embed/${file%%=*}"
        else
            cmake_embeds+=" $dir/embed/${file%%=*}"
        fi
        local sym
        sym=$(tr -c 'A-Za-z0-9\n' '_' <<<"${file%%=*}")
        sed -e "s|@NAME@|$sym|g" -e "s|@FILE@|$dir/embed/${file%%=*}|g" "$tmpl" > "$dir/$sym.S"
        embeds+=("$dir/$sym.S")
    done
    # shellcheck disable=SC2046,SC2086
    cc -Wall -Werror -o "$dir/$name" "$examples/$name"/main/*.c "${embeds[@]}" $defines \
        $(pkg-config --cflags --libs portls)
    cat > "$dir/cmake/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project($name C)
find_package(portls REQUIRED)
file(GLOB sources $examples/$name/main/*.c)
add_executable($name \${sources})
portls_embed_txtfiles($name$cmake_embeds)
portls_embed_files($name$cmake_files)
target_compile_options($name PRIVATE -Wall -Werror $defines)
target_link_libraries($name PRIVATE portls::portls)
CM
    cmake -S "$dir/cmake" -B "$dir/cmake/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
    cmake --build "$dir/cmake/build" >/dev/null
}

# run EXE SECONDS LINE...: runs EXE on a fresh copy of the flash until its output holds every
# LINE (fixed strings), then stops it; fails if SECONDS pass first or it ends without them.
run() {
    cp "$work/flash/base.img" "$work/flash/run.img"
    run_on "$work/flash/run.img" "$@"
}

# run_on FLASH EXE SECONDS LINE...: run on the flash image FLASH as it is.
run_on() {
    local flash=$1 exe=$2 seconds=$3 out=$work/run.out
    shift 3
    PORTLS_FLASH=$flash "$exe" >"$out" 2>&1 &
    local pid=$! missing
    for _ in $(seq $((seconds * 10))); do
        missing=""
        for line in "$@"; do
            grep -qF -- "$line" "$out" || { missing=$line; break; }
        done
        [ -z "$missing" ] && break
        kill -0 "$pid" 2>/dev/null || { sleep 0.2; break; }
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for line in "$@"; do
        grep -qF -- "$line" "$out" || { echo "$exe: no \"$line\" in its output:"; cat "$out"; exit 1; }
    done
    if grep -qE "ERROR: (Address|UndefinedBehavior)Sanitizer|runtime error:" "$out"; then
        echo "$exe: the sanitizers found an error:"; cat "$out"; exit 1
    fi
}

# both NAME: the two builds of an example
both() {
    echo "$work/$1/$1" "$work/$1/cmake/build/$1"
}

start_mosquitto "$MOSQUITTO_RUN"
mosquitto_ports=$(head -n 1 "$S_SERVER_WORK/mosquitto.out")
[[ $mosquitto_ports =~ mtls=([0-9]+) ]] && MQTT_MTLS_PORT=${BASH_REMATCH[1]}

build mqtt_tcp "-DCONFIG_BROKER_URL=\"mqtt://127.0.0.1:$MQTT_PORT\""
for exe in $(both mqtt_tcp); do
    run "$exe" 60 "mqtt_example: [APP] Startup.." "mqtt_example: [APP] Free memory: " \
        "mqtt_example: [APP] IDF version: v5.5" "example_connect: Connected to example_netif_sta" \
        "mqtt_example: MQTT_EVENT_CONNECTED" "mqtt_example: sent publish successful, msg_id=" \
        "mqtt_example: MQTT_EVENT_SUBSCRIBED, msg_id=" "mqtt_example: MQTT_EVENT_UNSUBSCRIBED, msg_id=" \
        "mqtt_example: MQTT_EVENT_PUBLISHED, msg_id=" "mqtt_example: MQTT_EVENT_DATA" \
        "TOPIC=/topic/qos0" "DATA=data"
done

build mqtt_ssl_mutual_auth "-DCONFIG_BROKER_URL=\"mqtts://localhost:$MQTT_MTLS_PORT\"" \
    "client.crt=$PORTLS_TEST_CERTS/client.pem" "client.key=$PORTLS_TEST_CERTS/client.key" \
    "mosquitto.org.crt=$PORTLS_TEST_CERTS/ca.pem"
for exe in $(both mqtt_ssl_mutual_auth); do
    run "$exe" 60 "mqtts_example: [APP] Startup.." "mqtts_example: MQTT_EVENT_CONNECTED" \
        "mqtts_example: MQTT_EVENT_SUBSCRIBED, msg_id=" "mqtts_example: MQTT_EVENT_DATA" \
        "TOPIC=/topic/qos0" "DATA=data"
done
start_s_server -www -cert "$PORTLS_TEST_CERTS/server_ec.pem" -key "$PORTLS_TEST_CERTS/server_ec.key"
build https_request "-DWEB_SERVER=\"localhost\" -DWEB_PORT=\"$S_SERVER_PORT\" -DWEB_URL=\"https://localhost:$S_SERVER_PORT/a/check\"" \
    "server_root_cert.pem=$PORTLS_TEST_CERTS/ca.pem"
for exe in $(both https_request); do
    # Two requests, each followed by ESP-IDF's ten-second countdown.
    run "$exe" 90 "example: Start https_request example" "example: https_request using cacert_buf" \
        "example: Connection established..." "bytes written" "example: Reading HTTP response..." \
        "HTTP/1.0 200 ok" "example: connection closed" "example: 10..." "example: 0..." \
        "example: https_request using global ca_store" "example: Finish https_request example"
    [ "$(grep -c "example: Connection established..." "$work/run.out")" -eq 2 ] \
        || { echo "$exe: not two connections:"; cat "$work/run.out"; exit 1; }
done
# The README's section "Run an ESP-IDF example on your PC", as written but for its ports: the
# mqtt_tcp walk-through, then https_request built by its commands and by its CMakeLists.
section() { # the N-th block of LANG in that section
    awk -v lang="$1" -v n="$2" '/^## / {in_section = /^## Run an ESP-IDF example on your PC/}
        in_section && $0 == "```" lang {k++; on = k == n; next} /^```$/ {on = 0} on' "$SOURCE_DIR/README.md"
}
mkdir -p "$work/readme" "$work/bin"
ln -sf "$PORTLS" "$work/bin/portls"
section sh 1 | sed "s/1883/$(free_port)/g" > "$work/readme/walk.sh"
grep -q "mqtt_tcp" "$work/readme/walk.sh" || { echo "no mqtt_tcp walk-through in README.md"; exit 1; }
(cd "$work/readme" && exec env PATH="$work/bin:$PATH:/usr/sbin" PREFIX="$work/prefix" PORTLS_SRC="$SOURCE_DIR" \
    setsid bash -euo pipefail walk.sh) >"$work/readme/out" 2>&1 &
walk=$!
status=0
wait "$walk" || status=$?
kill -- "-$walk" 2>/dev/null || true
[ "$status" -eq 0 ] && grep -qF "mqtt_example: MQTT_EVENT_DATA" "$work/readme/out" && grep -qF "DATA=data" "$work/readme/out" \
    || { echo "README walk-through ($status):"; cat "$work/readme/out"; exit 1; }
cp "$PORTLS_TEST_CERTS/ca.pem" "$work/readme/ca.pem"
section sh 2 | sed "s/8443/$S_SERVER_PORT/g" > "$work/readme/build.sh"
(cd "$work/readme" && PATH="$work/bin:$PATH" PORTLS_SRC="$SOURCE_DIR" bash -euo pipefail build.sh)
mkdir -p "$work/readme/cmake/main"
section cmake 1 | sed "s/8443/$S_SERVER_PORT/g" > "$work/readme/cmake/CMakeLists.txt"
cp "$examples/https_request/main/https_request_example_main.c" "$work/readme/cmake/main/"
cp "$PORTLS_TEST_CERTS/ca.pem" "$work/readme/cmake/main/server_root_cert.pem"
cmake -S "$work/readme/cmake" -B "$work/readme/cmake/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/readme/cmake/build" >/dev/null
for exe in "$work/readme/https_request" "$work/readme/cmake/build/https_request"; do
    run "$exe" 30 "example: https_request using cacert_buf" "example: Connection established..." "HTTP/1.0 200 ok"
done

# https_mbedtls: mbedTLS's own calls, the server verified by the bundle that the app links
# (x509_crt_bundle, made by portls bundle build, embedded as ESP-IDF's build embeds it), after an
# empty CA chain set over the attach; each request is followed by a ten-second countdown.
"$PORTLS" bundle build -o "$work/x509_crt_bundle" "$PORTLS_TEST_CERTS/other_ca.pem" "$PORTLS_TEST_CERTS/ca.pem" >/dev/null
mbedtls_defines() {
    echo "-DWEB_SERVER=\"localhost\" -DWEB_PORT=\"$S_SERVER_PORT\" -DWEB_URL=\"https://localhost:$S_SERVER_PORT/a/check\""
}
build https_mbedtls "$(mbedtls_defines)" "+x509_crt_bundle=$work/x509_crt_bundle"
for exe in $(both https_mbedtls); do
    run "$exe" 60 "example: Seeding the random number generator" "example: Attaching the certificate bundle..." \
        "example: Setting hostname for TLS session..." "example: Setting up the SSL/TLS structure..." \
        "example: Connecting to localhost:$S_SERVER_PORT..." "example: Connected." \
        "example: Performing the SSL/TLS handshake..." "esp-x509-crt-bundle: Certificate validated" \
        "example: Verifying peer X.509 certificate..." "example: Certificate verified." \
        "example: Cipher suite is TLS1-3-" "example: Writing HTTP request..." "bytes written" \
        "example: Reading HTTP response..." "HTTP/1.0 200 ok" "example: Completed 1 requests" \
        "Minimum free heap size: " "example: 10..." "example: 0..." "example: Starting again!" \
        "example: Completed 2 requests"
    [ "$(grep -c "example: Certificate verified." "$work/run.out")" -eq 2 ] \
        || { echo "$exe: not two verified connections:"; cat "$work/run.out"; exit 1; }
done
# The README's https_mbedtls commands, as written but for the port.
section sh 3 | sed "s/8443/$S_SERVER_PORT/g" > "$work/readme/mbedtls.sh"
grep -q "x509_crt_bundle" "$work/readme/mbedtls.sh" || { echo "no https_mbedtls commands in README.md"; exit 1; }
(cd "$work/readme" && PATH="$work/bin:$PATH" PORTLS_SRC="$SOURCE_DIR" bash -euo pipefail mbedtls.sh)
run "$work/readme/https_mbedtls" 30 "esp-x509-crt-bundle: Certificate validated" "example: Certificate verified." \
    "HTTP/1.0 200 ok"
# A damaged bundle linked by the app is refused, not replaced by the built-in one: unverified.
head -c 100 "$work/x509_crt_bundle" > "$work/https_mbedtls/damaged"
sed -e "s|@NAME@|x509_crt_bundle|g" -e "s|@FILE@|$work/https_mbedtls/damaged|g" "$files_template" \
    > "$work/https_mbedtls/damaged.S"
# shellcheck disable=SC2046
cc -Wall -Werror -o "$work/https_mbedtls/damaged_bundle" "$examples/https_mbedtls/main/https_mbedtls_example_main.c" \
    "$work/https_mbedtls/damaged.S" $(mbedtls_defines) $(pkg-config --cflags --libs portls)
run "$work/https_mbedtls/damaged_bundle" 30 "esp-x509-crt-bundle: the app's bundle (x509_crt_bundle) is damaged" \
    "example: mbedtls_ssl_handshake returned -0x2700" "example: Completed 1 requests"
# A server whose CA has the name of the bundle's and another key: the handshake fails, verified.
stop_s_server
start_s_server -www -cert "$PORTLS_TEST_CERTS/server_impostor.pem" -key "$PORTLS_TEST_CERTS/server_impostor.key"
# shellcheck disable=SC2046
cc -Wall -Werror -o "$work/https_mbedtls/impostor" "$examples/https_mbedtls/main/https_mbedtls_example_main.c" \
    "$work/https_mbedtls/x509_crt_bundle.S" $(mbedtls_defines) $(pkg-config --cflags --libs portls)
run "$work/https_mbedtls/impostor" 30 "example: Performing the SSL/TLS handshake..." \
    "esp-x509-crt-bundle: a certificate names a CA of the bundle as its issuer, but no key of that name signed it" \
    "example: mbedtls_ssl_handshake returned -0x2700" "example: Last error was: -0x2700" "example: Completed 1 requests"
if grep -qF "Certificate verified." "$work/run.out"; then
    echo "https_mbedtls verified a server signed by another key:"; cat "$work/run.out"; exit 1
fi

# simple_ota_example: an HTTPS server for a directory with the new image, the app in the factory
# slot. It updates, restarts (the program runs again, booting ota_0), updates again.
stop_s_server
mkdir -p "$work/www"
echo "new firmware" > "$work/flash/payload2"
"$PORTLS" image wrap "$work/flash/payload2" --version 2.0 --project simple -o "$work/www/app2.bin" >/dev/null
S_SERVER_DIR=$work/www start_s_server -WWW -cert "$PORTLS_TEST_CERTS/server_ec.pem" -key "$PORTLS_TEST_CERTS/server_ec.key"
build simple_ota_example "-DCONFIG_EXAMPLE_FIRMWARE_UPGRADE_URL=\"https://localhost:$S_SERVER_PORT/app2.bin\"" \
    "ca_cert.pem=$PORTLS_TEST_CERTS/ca.pem"
# An app's SHA-256 is its image's, appended to it: that of all its bytes before.
factory_sha=$(head -c -32 "$work/flash/factory.bin" | sha256sum | cut -c1-64)
new_sha=$(head -c -32 "$work/www/app2.bin" | sha256sum | cut -c1-64)
for exe in $(both simple_ota_example); do
    run "$exe" 60 "simple_ota_example: OTA example app_main start" "simple_ota_example: SHA-256 for bootloader: " \
        "simple_ota_example: SHA-256 for current firmware:  $factory_sha" \
        "simple_ota_example: Starting OTA example task" \
        "simple_ota_example: Attempting to download update from https://localhost:$S_SERVER_PORT/app2.bin" \
        "simple_ota_example: OTA Succeed, Rebooting..." "boot: Loaded app from partition at offset 0x120000" \
        "simple_ota_example: SHA-256 for current firmware:  $new_sha"
done
# advanced_https_ota_example: updates to 2.0 by esp_https_ota's steps, restarts, confirms the new
# image at its first boot, and then finds the server's version the same as its own.
build advanced_https_ota_example "-DCONFIG_EXAMPLE_FIRMWARE_UPGRADE_URL=\"https://localhost:$S_SERVER_PORT/app2.bin\"" \
    "ca_cert.pem=$PORTLS_TEST_CERTS/ca.pem"
for exe in $(both advanced_https_ota_example); do
    run "$exe" 60 "advanced_https_ota_example: OTA example app_main start" \
        "advanced_https_ota_example: Starting Advanced OTA example" "advanced_https_ota_example: OTA started" \
        "advanced_https_ota_example: Connected to server" "advanced_https_ota_example: Reading Image Description" \
        "advanced_https_ota_example: Running firmware version: 1.0" \
        "advanced_https_ota_example: Verifying chip id of new image: 0" \
        "advanced_https_ota_example: Boot partition updated. Next Partition: 16" \
        "advanced_https_ota_example: OTA finish" \
        "advanced_https_ota_example: ESP_HTTPS_OTA upgrade successful. Rebooting ..." \
        "advanced_https_ota_example: App is valid, rollback cancelled successfully" \
        "advanced_https_ota_example: Running firmware version: 2.0" \
        "advanced_https_ota_example: Current running version is the same as a new. We will not continue the update." \
        "advanced_https_ota_example: ESP_HTTPS_OTA upgrade failed"
done
# Peers started in the foreground (nginx, gunicorn, a namespace), stopped on exit.
http_peers=()
stop_http_peers() {
    local pid
    for pid in "${http_peers[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap 'stop_http_peers; stop_servers' EXIT
# Its OTA resumption variant: a 48 KiB image from nginx (which takes Range) at 16 KiB/s, after a
# first 16 KiB at once. The first run is killed once it has saved 8 KiB or more in NVS (two
# seconds before the image could be complete); the second, on that flash, asks for the image from
# the saved offset (whole KiB), updates, restarts, and then finds NVS's state erased.
resume=$work/ota_resume
mkdir -p "$resume/www" "$resume/tmp"
head -c $((48 * 1024)) /dev/urandom > "$resume/payload"
"$PORTLS" image wrap "$resume/payload" --version 2.0 --project resume -o "$resume/www/app3.bin" >/dev/null
nginx_port=$(free_port)
cat > "$resume/nginx.conf" <<NGINX
daemon off; master_process off; pid $resume/nginx.pid; error_log $resume/error.log;
events {}
http {
    log_format ranges '\$request \$status range=\$http_range sent=\$body_bytes_sent';
    access_log $resume/access.log ranges;
    client_body_temp_path $resume/tmp; proxy_temp_path $resume/tmp; fastcgi_temp_path $resume/tmp;
    uwsgi_temp_path $resume/tmp; scgi_temp_path $resume/tmp;
    server {
        listen 127.0.0.1:$nginx_port ssl;
        ssl_certificate $PORTLS_TEST_CERTS/server_ec.pem;
        ssl_certificate_key $PORTLS_TEST_CERTS/server_ec.key;
        location /slow/ { limit_rate 16k; alias $resume/www/; }
    }
}
NGINX
/usr/sbin/nginx -e "$resume/error.log" -p "$resume" -c "$resume/nginx.conf" &
http_peers+=("$!")
timeout 20 bash -c "until echo > /dev/tcp/127.0.0.1/$nginx_port; do sleep 0.1; done" 2>/dev/null \
    || { echo "ota resumption: no nginx on port $nginx_port"; cat "$resume/error.log"; exit 1; }
resume_url=https://localhost:$nginx_port/slow/app3.bin
# shellcheck disable=SC2046
cc -Wall -Werror -o "$resume/ota" "$examples/advanced_https_ota_example/main/advanced_https_ota_example.c" \
    "$work/advanced_https_ota_example/ca_cert_pem.S" -DCONFIG_EXAMPLE_ENABLE_OTA_RESUMPTION=1 \
    "-DCONFIG_EXAMPLE_FIRMWARE_UPGRADE_URL=\"$resume_url\"" $(pkg-config --cflags --libs portls)
saved_kb() { # the last KiB count the example saved in NVS, by its debug log
    sed -n 's/.*Saving state in NVS. Total image written so far : \([0-9]*\) KB.*/\1/p' "$1" | tail -n 1
}
cp "$work/flash/base.img" "$resume/flash.img"
PORTLS_LOG_LEVEL=debug PORTLS_FLASH=$resume/flash.img "$resume/ota" >"$resume/first.out" 2>&1 &
first=$!
for _ in $(seq 300); do
    [ "$(saved_kb "$resume/first.out")" -ge 8 ] 2>/dev/null && break
    kill -0 "$first" 2>/dev/null || break
    sleep 0.1
done
kill -KILL "$first" 2>/dev/null || true
wait "$first" 2>/dev/null || true
kb=$(saved_kb "$resume/first.out")
[ "${kb:-0}" -ge 8 ] && [ "$kb" -lt 48 ] && ! grep -qF "upgrade successful" "$resume/first.out" \
    || { echo "ota resumption: the first run was not stopped part-way:"; cat "$resume/first.out"; exit 1; }
PORTLS_LOG_LEVEL=debug run_on "$resume/flash.img" "$resume/ota" 60 \
    "advanced_https_ota_example: OTA write length fetched successfully" \
    "esp_https_ota: Valid OTA resumption case, offset $((kb * 1024))" \
    "advanced_https_ota_example: ESP_HTTPS_OTA upgrade successful. Rebooting ..." \
    "advanced_https_ota_example: App is valid, rollback cancelled successfully" \
    "advanced_https_ota_example: Running firmware version: 2.0" \
    "advanced_https_ota_example: Current running version is the same as a new. We will not continue the update."
# The state is gone after the update: the restarted app finds no saved URL, once, after it.
sed -n '/ESP_HTTPS_OTA upgrade successful/,$p' "$work/run.out" > "$resume/after.out"
[ "$(grep -c "Saved URL is not initialized yet!" "$work/run.out")" -eq 1 ] \
    && grep -qF "Saved URL is not initialized yet!" "$resume/after.out" \
    || { echo "ota resumption: the NVS state was not erased after the update:"; cat "$work/run.out"; exit 1; }
# nginx: the first request from byte 0, the second from the saved offset, to the end.
grep -o "GET /slow/app3.bin HTTP/1.1 [0-9]* range=[^ ]*" "$resume/access.log" | head -n 2 > "$resume/ranges"
printf 'GET /slow/app3.bin HTTP/1.1 206 range=bytes=0-\nGET /slow/app3.bin HTTP/1.1 206 range=bytes=%d-\n' \
    $((kb * 1024)) | diff - "$resume/ranges" || { echo "ota resumption: other requests:"; cat "$resume/access.log"; exit 1; }
# esp_http_client: ESP-IDF's example talks to httpbin (CONFIG_EXAMPLE_HTTP_ENDPOINT, left at its
# default httpbin.org) on ports 80 and 443, and to hosts it names itself on 443. It runs in a
# network namespace of its own (loopback only) with the peers: python3-httpbin under gunicorn on
# port 80; nginx on 443 with a certificate of the test CA for those names, passing requests to
# httpbin and serving the file of the ranged download. The names resolve to 127.0.0.1 from the
# hosts file that CARES_HOSTS (c-ares's own variable) names; not.existent.url is in no file and no
# DNS server answers there: the lookup failure the example expects. The embedded roots are the
# test CA, and so is the bundle the app embeds, as ESP-IDF's build embeds its bundle.
stop_s_server
if ! unshare --net true 2>/dev/null; then
    echo "esp_http_client: no network namespace (unshare --net) for its ports 80 and 443"; exit 77
fi
unshare --net sleep 3600 &
netns=$!
http_peers+=("$netns")
in_netns() { nsenter -t "$netns" -n "$@"; }
peers=$work/http_peers
mkdir -p "$peers/tmp" "$peers/www/dl/esp-idf/ci"
seq -f "line %g of the ranged download" 40 > "$peers/www/dl/esp-idf/ci/esp_http_client_demo.txt"
demo_size=$(stat -c %s "$peers/www/dl/esp-idf/ci/esp_http_client_demo.txt")
echo "127.0.0.1 httpbin.org www.howsmyssl.com postman-echo.com dl.espressif.com" > "$peers/hosts"
cat > "$peers/nginx.conf" <<NGINX
daemon off; master_process off; pid $peers/nginx.pid; error_log $peers/error.log;
events {}
http {
    access_log $peers/access.log;
    client_body_temp_path $peers/tmp; proxy_temp_path $peers/tmp; fastcgi_temp_path $peers/tmp;
    uwsgi_temp_path $peers/tmp; scgi_temp_path $peers/tmp;
    server {
        listen 127.0.0.1:443 ssl;
        ssl_certificate $PORTLS_TEST_CERTS/server_hosts.pem;
        ssl_certificate_key $PORTLS_TEST_CERTS/server_hosts.key;
        location /dl/ { root $peers/www; }
        location / { proxy_pass http://127.0.0.1:80; proxy_set_header Host \$host; }
    }
}
NGINX
in_netns ip link set lo up
# nsenter runs each peer in place (exec): $! is the peer, stopped on exit.
nsenter -t "$netns" -n gunicorn --bind 127.0.0.1:80 --workers 2 --error-logfile "$peers/gunicorn.log" \
    httpbin:app &
http_peers+=("$!")
nsenter -t "$netns" -n /usr/sbin/nginx -p "$peers" -c "$peers/nginx.conf" &
http_peers+=("$!")
for port in 80 443; do
    in_netns timeout 20 bash -c "until echo > /dev/tcp/127.0.0.1/$port; do sleep 0.1; done" 2>/dev/null \
        || { echo "esp_http_client: no peer on port $port"; cat "$peers"/*.log; exit 1; }
done
# -Wno-error=switch: esp_http_client_event_id_t has two events more than the example names
# (HTTP_EVENT_ON_STATUS_CODE, HTTP_EVENT_ON_HEADERS_COMPLETE), which the v5.5 example's switch
# does not name.
build esp_http_client "-Wno-error=switch -DCONFIG_ESP_HTTP_CLIENT_ENABLE_BASIC_AUTH=1 -DCONFIG_ESP_HTTP_CLIENT_ENABLE_DIGEST_AUTH=1" \
    "howsmyssl_com_root_cert.pem=$PORTLS_TEST_CERTS/ca.pem" "postman_root_cert.pem=$PORTLS_TEST_CERTS/ca.pem" \
    "+x509_crt_bundle=$work/x509_crt_bundle"
# Every request's outcome, in the example's order (its content lengths aside).
cat > "$peers/expected" <<EXPECTED
HTTP GET Status = 200
HTTP POST Status = 200
HTTP PUT Status = 200
HTTP PATCH Status = 200
HTTP DELETE Status = 200
HTTP HEAD Status = 200
HTTP GET Status = 200
HTTP POST Status = 200
HTTP PUT Status = 200
HTTP PATCH Status = 200
HTTP DELETE Status = 200
HTTP HEAD Status = 200
HTTP Basic Auth Status = 200
HTTP Basic Auth redirect Status = 200
HTTP MD5 Digest Auth Status = 200
HTTP SHA256 Digest Auth Status = 200
HTTP GET Status = 200
HTTP Relative path redirect Status = 200
HTTP Absolute path redirect Status = 200
HTTP Absolute path redirect (manual) Status = 200
HTTPS Status = 200
HTTPS Status = 200
HTTP redirect to HTTPS Status = 200
HTTP chunk encoding Status = 200
HTTP Stream reader Status = 200
HTTPS Status = 200
HTTPS Status = 200
Error perform http request ESP_ERR_HTTP_CONNECT
HTTP GET Status = 200
HTTP POST Status = 200
HTTP Status = 206
HTTP Status = 206
HTTP Status = 206
EXPECTED
for exe in $(both esp_http_client); do
    printf '#!/bin/sh\nexec nsenter -t %s -n env CARES_HOSTS=%s %s\n' "$netns" "$peers/hosts" "$exe" > "$exe.netns"
    chmod +x "$exe.netns"
    run "$exe.netns" 60 "HTTP_CLIENT: Connected to AP, begin http example" \
        "HTTP_CLIENT: HTTP chunk encoding Status = 200, content_length = -1" \
        "HTTP_CLIENT: Last esp error code: 0x8001" \
        "HTTP_CLIENT: HTTP Status = 206, content_length = $((demo_size - 10))" \
        "HTTP_CLIENT: HTTP Status = 206, content_length = 10" "HTTP_CLIENT: Finish http example"
    sed -n -e 's/, content_length = .*//' -e 's/.*HTTP_CLIENT: \(HTTPS\? .*Status = [0-9]*\|Error perform .*\)$/\1/p' \
        "$work/run.out" > "$peers/outcomes"
    diff "$peers/expected" "$peers/outcomes" || { echo "$exe: other outcomes:"; cat "$work/run.out"; exit 1; }
done
# The README's esp_http_client commands, as written (ca.pem is there), run as above.
section sh 4 > "$work/readme/http_client.sh"
grep -q "esp_http_client_example.c" "$work/readme/http_client.sh" || { echo "no esp_http_client commands in README.md"; exit 1; }
(cd "$work/readme" && PATH="$work/bin:$PATH" PORTLS_SRC="$SOURCE_DIR" bash -euo pipefail http_client.sh)
printf '#!/bin/sh\nexec nsenter -t %s -n env CARES_HOSTS=%s %s\n' "$netns" "$peers/hosts" "$work/readme/esp_http_client" \
    > "$work/readme/esp_http_client.netns"
chmod +x "$work/readme/esp_http_client.netns"
run "$work/readme/esp_http_client.netns" 60 "HTTP_CLIENT: HTTP SHA256 Digest Auth Status = 200" \
    "HTTP_CLIENT: HTTP redirect to HTTPS Status = 200" "HTTP_CLIENT: Finish http example"
echo "ESP-IDF examples: each built with pkg-config and with find_package(portls), each ran against its peer"
