/*
 * portls's adjustments to mbedTLS 3.6's default configuration (MBEDTLS_USER_CONFIG_FILE).
 * The knobs come from the generated sdkconfig.h, so one `ccmake` setting drives both mbedTLS and
 * ESP-TLS, as ESP-IDF's esp_config.h does. Anything that includes an mbedTLS header must be built
 * with this file, or mbedTLS struct layouts differ between the library and the caller.
 */
#pragma once

#include "sdkconfig.h"

/* Every allocation goes through mbedtls_platform_set_calloc_free(), so heap can be counted. */
#define MBEDTLS_PLATFORM_MEMORY

/* Connections run on several threads; PSA's key store and RNG need the lock. */
#define MBEDTLS_THREADING_C
#define MBEDTLS_THREADING_PTHREAD

/* The certificate bundle hands mbedTLS one candidate root at a time, found by issuer, so that
 * path building can prefer a chain that ends in the bundle (cross-signed roots). */
#define MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK

#undef MBEDTLS_SSL_IN_CONTENT_LEN
#define MBEDTLS_SSL_IN_CONTENT_LEN CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN
#undef MBEDTLS_SSL_OUT_CONTENT_LEN
#define MBEDTLS_SSL_OUT_CONTENT_LEN CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN

/* Datagram TLS has no user in ESP-TLS. */
#undef MBEDTLS_SSL_PROTO_DTLS
#undef MBEDTLS_SSL_DTLS_ANTI_REPLAY
#undef MBEDTLS_SSL_DTLS_HELLO_VERIFY
#undef MBEDTLS_SSL_DTLS_CLIENT_PORT_REUSE
#undef MBEDTLS_SSL_DTLS_CONNECTION_ID
#undef MBEDTLS_SSL_DTLS_SRTP
#undef MBEDTLS_SSL_COOKIE_C

#ifndef CONFIG_MBEDTLS_SSL_PROTO_TLS1_3
#undef MBEDTLS_SSL_PROTO_TLS1_3
#undef MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#undef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_ENABLED
#undef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#undef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#endif

/* RFC 8449: the client sends MBEDTLS_SSL_IN_CONTENT_LEN as its record_size_limit (TLS 1.3 only;
 * CMake turns the option off without TLS 1.3). */
#ifdef CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT
#define MBEDTLS_SSL_RECORD_SIZE_LIMIT
#endif

#ifndef CONFIG_MBEDTLS_HAVE_TIME_DATE
#undef MBEDTLS_HAVE_TIME_DATE
#endif

#ifndef CONFIG_MBEDTLS_DEBUG
#undef MBEDTLS_DEBUG_C
#endif

/* TLS 1.2 pre-shared-key suites exist only when ESP-TLS's PSK verification is on, as in ESP-IDF. */
#ifndef CONFIG_ESP_TLS_PSK_VERIFICATION
#undef MBEDTLS_KEY_EXCHANGE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_RSA_PSK_ENABLED
#endif

/* CONFIG_MBEDTLS_DYNAMIC_BUFFER: portls sizes the record buffers itself (esp_tls_mbedtls_dynbuf.c),
 * so mbedTLS must bound its reads and writes by their real lengths. The input buffer starts with
 * room for the sequence number and one record header only; patch 0003 (cmake/mbedtls-patches)
 * makes mbedtls_ssl_setup() use this length instead of a full 16 KiB record. */
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#define PORTLS_SSL_IN_BUFFER_SETUP_LEN (8 + 5)
#else
#define PORTLS_SSL_IN_BUFFER_SETUP_LEN MBEDTLS_SSL_IN_BUFFER_LEN
#endif
