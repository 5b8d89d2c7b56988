# Build options named after ESP-IDF's Kconfig symbols. `ccmake build` is the menuconfig.
# Every CONFIG_* here lands in the generated sdkconfig.h; mbedTLS reads it through
# components/esp-tls/port/portls_mbedtls_config.h, as ESP-IDF's esp_config.h does.

# --- mbedTLS record buffers ---
option(CONFIG_MBEDTLS_ASYMMETRIC_CONTENT_LEN "Separate IN and OUT record buffer lengths" ON)
set(CONFIG_MBEDTLS_SSL_MAX_CONTENT_LEN 16384 CACHE STRING
    "Record buffer length both ways when ASYMMETRIC_CONTENT_LEN is off (512-16384)")
set(CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN 16384 CACHE STRING
    "Largest incoming record payload (512-16384); below 16384 breaks against servers that send full records (OpenSSL's; any in TLS 1.2), unless they keep to CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT's limit")
set(CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN 4096 CACHE STRING
    "Largest outgoing record payload (512-16384); esp_tls_conn_write splits at this length")

# --- dynamic buffers and free-after-use (ESP-IDF's names; off by default, as there) ---
option(CONFIG_MBEDTLS_DYNAMIC_BUFFER
       "Record-exact input buffers and per-write output buffers, the handshake included (and the esp_tls_dyn_buf_strategy field)" OFF)
option(CONFIG_MBEDTLS_DYNAMIC_FREE_CONFIG_DATA "Free the own certificate and key once the handshake is over" OFF)
option(CONFIG_MBEDTLS_DYNAMIC_FREE_CA_CERT "Free the connection's CA chain once the peer's certificate is verified" OFF)
option(CONFIG_MBEDTLS_DYNAMIC_FREE_PEER_CERT
       "Free the peer's certificate after the handshake (mbedtls_ssl_get_peer_cert() is then NULL)" OFF)

# --- mbedTLS protocol features ---
option(CONFIG_MBEDTLS_SSL_PROTO_TLS1_3 "TLS 1.3 (TLS 1.2 is always on; older versions do not exist)" ON)
option(CONFIG_MBEDTLS_HAVE_TIME_DATE "Check certificate validity dates against the host clock" ON)
option(CONFIG_MBEDTLS_DEBUG "mbedTLS debug messages through ESP_LOGD (tag mbedtls)" OFF)
set(CONFIG_MBEDTLS_DEBUG_LEVEL 3 CACHE STRING "mbedTLS debug threshold 0-4, with CONFIG_MBEDTLS_DEBUG")

# --- ESP-TLS ---
# ESP-IDF turns these off to save flash on a chip. On a host they cost nothing, and code that
# uses the fields they gate would not compile without them, so portls turns them on.
option(CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS "Client session resumption API (client_session)" ON)
option(CONFIG_ESP_TLS_SERVER_SESSION_TICKETS "Server session tickets (esp_tls_cfg_server_t.ticket_ctx)" ON)
set(CONFIG_ESP_TLS_SERVER_SESSION_TICKET_TIMEOUT 86400 CACHE STRING "Server session ticket lifetime, seconds")
option(CONFIG_ESP_TLS_SERVER_CERT_SELECT_HOOK "Server certificate selection callback (cert_select_cb)" ON)
option(CONFIG_ESP_TLS_SERVER_MIN_AUTH_MODE_OPTIONAL "Optional client certificates (client_cert_authmode_optional)" ON)
option(CONFIG_ESP_TLS_PSK_VERIFICATION "Pre-shared-key suites and the psk_hint_key field" ON)
option(CONFIG_ESP_TLS_INSECURE "Unlock insecure options (required by SKIP_SERVER_CERT_VERIFY)" OFF)
option(CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY
       "INSECURE: connect without verifying the server when the config gives no trust anchor" OFF)

if(CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY AND NOT CONFIG_ESP_TLS_INSECURE)
    message(FATAL_ERROR "CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY requires CONFIG_ESP_TLS_INSECURE")
endif()
if(CONFIG_ESP_TLS_INSECURE)
    message(WARNING "CONFIG_ESP_TLS_INSECURE is on: this build can connect without verifying the server")
endif()

# --- esp_http_client (ESP-IDF has these off; on a host they cost next to nothing) ---
option(CONFIG_ESP_HTTP_CLIENT_ENABLE_CUSTOM_TRANSPORT
       "The config's transport field: every request goes over a transport of the caller's" ON)
option(CONFIG_ESP_HTTP_CLIENT_SAVE_RESPONSE_HEADERS "Keep response headers for esp_http_client_get_response_header()" ON)
set(CONFIG_ESP_HTTP_CLIENT_MAX_SAVED_RESPONSE_HEADERS 10 CACHE STRING "Most response headers kept per response")
set(CONFIG_ESP_HTTP_CLIENT_MAX_RESPONSE_HEADER_SIZE 128 CACHE STRING
    "Longest response header value kept, in bytes; a longer one is not kept")
set(CONFIG_ESP_HTTP_CLIENT_EVENT_POST_TIMEOUT 2000 CACHE STRING
    "How long an event waits for room in the default event loop's queue, ms")

# --- esp_https_ota (ESP-IDF's names and defaults) ---
option(CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP
       "OTA without verifying the server, and over plain http (WARNING: for tests only: anyone on the path can serve the image)" OFF)
option(CONFIG_ESP_HTTPS_OTA_DECRYPT_CB "The decrypt_cb fields: images are decrypted by a callback before they are written" OFF)
set(CONFIG_ESP_HTTPS_OTA_EVENT_POST_TIMEOUT 2000 CACHE STRING
    "How long an OTA event waits for room in the default event loop's queue, ms (-1: forever)")
if(NOT CONFIG_ESP_HTTPS_OTA_EVENT_POST_TIMEOUT MATCHES "^(-1|[0-9]+)$")
    message(FATAL_ERROR "CONFIG_ESP_HTTPS_OTA_EVENT_POST_TIMEOUT must be -1 or a number of ms")
endif()
if(CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP)
    message(WARNING "CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP is on: OTA may take an image from an unverified server")
endif()

# --- esp-mqtt ---
set(CONFIG_MQTT_OUTBOX_EXPIRED_TIMEOUT_MS 30000 CACHE STRING
    "A QoS 1/2 message still unacknowledged this long after it was sent leaves the outbox (MQTT_EVENT_DELETED)")

# --- certificate bundle (esp_crt_bundle.h) ---
option(CONFIG_MBEDTLS_CERTIFICATE_BUNDLE "Build the default certificate bundle into esp-tls" ON)
set(CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS 200 CACHE STRING "Most certificates a bundle may hold")
set(PORTLS_CRT_BUNDLE_SOURCE /etc/ssl/certs/ca-certificates.crt CACHE FILEPATH
    "The CA set the default bundle is made of: Debian's Mozilla set (package ca-certificates)")
option(CONFIG_MBEDTLS_CUSTOM_CERTIFICATE_BUNDLE "Add the certificates of CONFIG_MBEDTLS_CUSTOM_CERTIFICATE_BUNDLE_PATH" OFF)
set(CONFIG_MBEDTLS_CUSTOM_CERTIFICATE_BUNDLE_PATH "" CACHE PATH "A PEM/DER file or a directory of them")
if(NOT CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS MATCHES "^[0-9]+$" OR CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS LESS 1)
    message(FATAL_ERROR "CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS must be a positive number")
endif()

function(portls_check_content_len name)
    if(NOT ${name} MATCHES "^[0-9]+$" OR ${name} LESS 512 OR ${name} GREATER 16384)
        message(FATAL_ERROR "${name}=${${name}} must be a number from 512 to 16384")
    endif()
endfunction()
foreach(len CONFIG_MBEDTLS_SSL_MAX_CONTENT_LEN CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN)
    portls_check_content_len(${len})
endforeach()
if(NOT CONFIG_MBEDTLS_ASYMMETRIC_CONTENT_LEN)
    set(CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN ${CONFIG_MBEDTLS_SSL_MAX_CONTENT_LEN})
    set(CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN ${CONFIG_MBEDTLS_SSL_MAX_CONTENT_LEN})
endif()

# --- the TLS key log (SSLKEYLOGFILE, esp_tls.h) ---
option(PORTLS_KEYLOG
       "Append every connection's TLS secrets to the file SSLKEYLOGFILE names (NSS key log, for Wireshark); OFF compiles it out" ON)

# --- heap figures and budget (esp_tls_heap.h) ---
option(PORTLS_HEAP_ACCOUNTING
       "Count every mbedTLS and ESP-TLS allocation (esp_tls_heap.h); needs MBEDTLS_PLATFORM_MEMORY" ON)
set(CONFIG_PORTLS_EMULATED_HEAP 327680 CACHE STRING
    "The emulated device's heap in bytes: esp_get_free_heap_size() counts against it, and an app_main program (portls_app_main) gets it as its heap budget")
if(NOT CONFIG_PORTLS_EMULATED_HEAP MATCHES "^[0-9]+$" OR CONFIG_PORTLS_EMULATED_HEAP LESS 1024)
    message(FATAL_ERROR "CONFIG_PORTLS_EMULATED_HEAP must be a number of bytes, at least 1024")
endif()

# --- FreeRTOS (components/freertos) ---
set(CONFIG_FREERTOS_HZ 100 CACHE STRING "configTICK_RATE_HZ: the tick rate every FreeRTOS timeout counts in (1-1000)")
if(NOT CONFIG_FREERTOS_HZ MATCHES "^[0-9]+$" OR CONFIG_FREERTOS_HZ LESS 1 OR CONFIG_FREERTOS_HZ GREATER 1000)
    message(FATAL_ERROR "CONFIG_FREERTOS_HZ must be 1-1000")
endif()
# --- the emulated chip, its flash and bootloader (bootloader_support, esp_partition) ---
# name:chip id:CONFIG_BOOTLOADER_OFFSET_IN_FLASH, ESP-IDF v5.5's (esp_app_format.h, Kconfig)
set(PORTLS_TARGETS esp32:0x0000:0x1000 esp32s2:0x0002:0x1000 esp32c3:0x0005:0x0 esp32s3:0x0009:0x0
    esp32c2:0x000C:0x0 esp32c6:0x000D:0x0 esp32h2:0x0010:0x0 esp32p4:0x0012:0x2000 esp32c5:0x0017:0x2000
    esp32c61:0x0014:0x0 esp32h21:0x0019:0x0 esp32h4:0x001C:0x2000)
set(CONFIG_IDF_TARGET esp32 CACHE STRING "The chip portls emulates: images for another chip are refused")
set(target_names "")
foreach(t ${PORTLS_TARGETS})
    string(REPLACE ":" ";" fields ${t})
    list(GET fields 0 name)
    list(APPEND target_names ${name})
    if(name STREQUAL CONFIG_IDF_TARGET)
        list(GET fields 1 CONFIG_IDF_FIRMWARE_CHIP_ID)
        list(GET fields 2 CONFIG_BOOTLOADER_OFFSET_IN_FLASH)
    endif()
endforeach()
set_property(CACHE CONFIG_IDF_TARGET PROPERTY STRINGS ${target_names})
if(NOT DEFINED CONFIG_IDF_FIRMWARE_CHIP_ID)
    message(FATAL_ERROR "CONFIG_IDF_TARGET=${CONFIG_IDF_TARGET} is not one of ${target_names}")
endif()
string(TOUPPER ${CONFIG_IDF_TARGET} PORTLS_TARGET_UPPER)
set(PORTLS_CHIP_REVISION -1 CACHE STRING
    "The emulated chip's revision, major*100+minor; -1: the oldest a default ESP-IDF v5.5 build for the target runs on")
if(NOT PORTLS_CHIP_REVISION MATCHES "^(-1|[0-9]+)$" OR PORTLS_CHIP_REVISION GREATER 65535)
    message(FATAL_ERROR "PORTLS_CHIP_REVISION=${PORTLS_CHIP_REVISION} must be -1 or 0-65535")
endif()
set(CONFIG_PARTITION_TABLE_OFFSET 0x8000 CACHE STRING "Where the partition table lies in flash (a multiple of 0x1000)")
if(NOT CONFIG_PARTITION_TABLE_OFFSET MATCHES "^0x[0-9a-fA-F]*000$")
    message(FATAL_ERROR "CONFIG_PARTITION_TABLE_OFFSET=${CONFIG_PARTITION_TABLE_OFFSET} must be a hex multiple of 0x1000")
endif()
option(CONFIG_PARTITION_TABLE_MD5 "The partition table ends with an MD5 entry, which the app checks" ON)
option(CONFIG_ESP_PARTITION_ERASE_CHECK "A flash write that would turn a 0 bit into 1 fails (ESP_ERR_FLASH_OP_FAIL)" ON)
# ESP-IDF has rollback off by default; OTA with rollback is what portls's OTA stack is for.
option(CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
       "The bootloader watches a new app's first boot: NEW becomes PENDING_VERIFY, then ABORTED unless the app confirms" ON)
set(CONFIG_APP_RETRIEVE_LEN_ELF_SHA 9 CACHE STRING "Characters of the app's ELF SHA-256 esp_app_get_elf_sha256() gives (8-64)")
if(NOT CONFIG_APP_RETRIEVE_LEN_ELF_SHA MATCHES "^[0-9]+$" OR CONFIG_APP_RETRIEVE_LEN_ELF_SHA LESS 8
   OR CONFIG_APP_RETRIEVE_LEN_ELF_SHA GREATER 64)
    message(FATAL_ERROR "CONFIG_APP_RETRIEVE_LEN_ELF_SHA must be 8-64")
endif()

# --- where mbedTLS comes from ---
# The cache scripts/bootstrap fills (the mbedTLS source, npm's ws package), found as bootstrap and
# the Makefile find it: PORTLS_CACHE, else XDG_CACHE_HOME/portls, else ~/.cache/portls.
if(NOT "$ENV{PORTLS_CACHE}" STREQUAL "")
    set(PORTLS_CACHE_DIR "$ENV{PORTLS_CACHE}")
elseif(NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(PORTLS_CACHE_DIR "$ENV{XDG_CACHE_HOME}/portls")
else()
    set(PORTLS_CACHE_DIR "$ENV{HOME}/.cache/portls")
endif()
set(PORTLS_MBEDTLS bundled CACHE STRING
    "bundled: build the 3.6 source fetched by scripts/bootstrap with our config; system: an installed mbedTLS >= 3.6")
set_property(CACHE PORTLS_MBEDTLS PROPERTY STRINGS bundled system)
if(PORTLS_MBEDTLS STREQUAL "system")
    set(PORTLS_MBEDTLS_SYSTEM ON)
elseif(NOT PORTLS_MBEDTLS STREQUAL "bundled")
    message(FATAL_ERROR "PORTLS_MBEDTLS must be bundled or system, not '${PORTLS_MBEDTLS}'")
endif()

# --- RFC 8449 record_size_limit (TLS 1.3): the name ESP-IDF's newer esp_config.h maps; v5.5 has no such option ---
# On by default with the bundled mbedTLS: the client asks the server to keep its records within
# CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN, which a server that does not know the extension ignores.
# A system mbedTLS's own configuration decides (Debian's has it off), and the option must say so.
include(CMakeDependentOption)
if(PORTLS_MBEDTLS_SYSTEM)
    set(record_size_limit_default OFF)
else()
    set(record_size_limit_default ON)
endif()
cmake_dependent_option(CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT
    "RFC 8449 record_size_limit, TLS 1.3 only: the client asks for records within CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN; a server that knows it (GnuTLS, mbedTLS) keeps to that, one that does not (OpenSSL) ignores it (esp_tls_get_peer_record_size_limit)"
    ${record_size_limit_default} "CONFIG_MBEDTLS_SSL_PROTO_TLS1_3" OFF)

set(PORTLS_CONFIG_DIR ${PROJECT_BINARY_DIR}/config)
configure_file(${PROJECT_SOURCE_DIR}/components/esp_common/sdkconfig.h.in ${PORTLS_CONFIG_DIR}/sdkconfig.h @ONLY)
