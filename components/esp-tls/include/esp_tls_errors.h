/*
 * esp_tls_errors.h: ESP-TLS error codes and the per-connection error record, with ESP-IDF's
 * names and values.
 */
#pragma once

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_ERR_ESP_TLS_BASE 0x8000 /*!< first ESP-TLS error code */

#define ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME        (ESP_ERR_ESP_TLS_BASE + 0x01) /*!< DNS lookup failed */
#define ESP_ERR_ESP_TLS_CANNOT_CREATE_SOCKET           (ESP_ERR_ESP_TLS_BASE + 0x02) /*!< socket() failed */
#define ESP_ERR_ESP_TLS_UNSUPPORTED_PROTOCOL_FAMILY    (ESP_ERR_ESP_TLS_BASE + 0x03) /*!< address family not IPv4/IPv6 */
#define ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST         (ESP_ERR_ESP_TLS_BASE + 0x04) /*!< TCP connect failed (errno kept) */
#define ESP_ERR_ESP_TLS_SOCKET_SETOPT_FAILED           (ESP_ERR_ESP_TLS_BASE + 0x05) /*!< a socket option could not be set */
#define ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT             (ESP_ERR_ESP_TLS_BASE + 0x06) /*!< connect or handshake exceeded timeout_ms */
#define ESP_ERR_ESP_TLS_SE_FAILED                      (ESP_ERR_ESP_TLS_BASE + 0x07) /*!< secure element failure (chip only) */
#define ESP_ERR_ESP_TLS_TCP_CLOSED_FIN                 (ESP_ERR_ESP_TLS_BASE + 0x08) /*!< the peer closed the TCP connection */
#define ESP_ERR_ESP_TLS_SERVER_HANDSHAKE_TIMEOUT       (ESP_ERR_ESP_TLS_BASE + 0x09) /*!< server handshake exceeded its timeout */

#define ESP_ERR_MBEDTLS_CERT_PARTLY_OK                 (ESP_ERR_ESP_TLS_BASE + 0x10) /*!< some certificates did not parse */
#define ESP_ERR_MBEDTLS_CTR_DRBG_SEED_FAILED           (ESP_ERR_ESP_TLS_BASE + 0x11) /*!< random generator could not start */
#define ESP_ERR_MBEDTLS_SSL_SET_HOSTNAME_FAILED        (ESP_ERR_ESP_TLS_BASE + 0x12) /*!< mbedtls_ssl_set_hostname failed */
#define ESP_ERR_MBEDTLS_SSL_CONFIG_DEFAULTS_FAILED     (ESP_ERR_ESP_TLS_BASE + 0x13) /*!< mbedtls_ssl_config_defaults failed */
#define ESP_ERR_MBEDTLS_SSL_CONF_ALPN_PROTOCOLS_FAILED (ESP_ERR_ESP_TLS_BASE + 0x14) /*!< ALPN list rejected */
#define ESP_ERR_MBEDTLS_X509_CRT_PARSE_FAILED          (ESP_ERR_ESP_TLS_BASE + 0x15) /*!< a certificate did not parse */
#define ESP_ERR_MBEDTLS_SSL_CONF_OWN_CERT_FAILED       (ESP_ERR_ESP_TLS_BASE + 0x16) /*!< own certificate/key rejected */
#define ESP_ERR_MBEDTLS_SSL_SETUP_FAILED               (ESP_ERR_ESP_TLS_BASE + 0x17) /*!< TLS setup failed (also: no verification option) */
#define ESP_ERR_MBEDTLS_SSL_WRITE_FAILED               (ESP_ERR_ESP_TLS_BASE + 0x18) /*!< mbedtls_ssl_write failed */
#define ESP_ERR_MBEDTLS_PK_PARSE_KEY_FAILED            (ESP_ERR_ESP_TLS_BASE + 0x19) /*!< private key did not parse (or bad password) */
#define ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED           (ESP_ERR_ESP_TLS_BASE + 0x1A) /*!< TLS handshake failed */
#define ESP_ERR_MBEDTLS_SSL_CONF_PSK_FAILED            (ESP_ERR_ESP_TLS_BASE + 0x1B) /*!< PSK rejected */
#define ESP_ERR_MBEDTLS_SSL_TICKET_SETUP_FAILED        (ESP_ERR_ESP_TLS_BASE + 0x1C) /*!< session ticket setup failed */
#define ESP_ERR_MBEDTLS_SSL_READ_FAILED                (ESP_ERR_ESP_TLS_BASE + 0x1D) /*!< mbedtls_ssl_read failed */

/* Negative I/O results of esp_tls_conn_read/write: the mbedTLS values, so either name compares. */
#define ESP_TLS_ERR_SSL_WANT_READ  (-0x6900) /*!< no data yet: poll for reading, then call again */
#define ESP_TLS_ERR_SSL_WANT_WRITE (-0x6880) /*!< socket full: poll for writing, then call again */
#define ESP_TLS_ERR_SSL_TIMEOUT    (-0x6800) /*!< the operation timed out */

/** Which slot of the error record a code belongs to. */
typedef enum {
    ESP_TLS_ERR_TYPE_UNKNOWN = 0,
    ESP_TLS_ERR_TYPE_SYSTEM,              /*!< errno */
    ESP_TLS_ERR_TYPE_MBEDTLS,             /*!< mbedTLS error, stored positive (0x2700 for -0x2700) */
    ESP_TLS_ERR_TYPE_MBEDTLS_CERT_FLAGS,  /*!< X.509 verify flags (MBEDTLS_X509_BADCERT_*) */
    ESP_TLS_ERR_TYPE_ESP,                 /*!< esp_err_t */
    ESP_TLS_ERR_TYPE_WOLFSSL,             /*!< not used by portls; kept for ESP-IDF v5 sources */
    ESP_TLS_ERR_TYPE_WOLFSSL_CERT_FLAGS,  /*!< not used by portls; kept for ESP-IDF v5 sources */
    ESP_TLS_ERR_TYPE_MAX,
} esp_tls_error_type_t;

/**
 * The last error of a connection. The last write to each slot wins; reading it through
 * esp_tls_get_and_clear_last_error() clears these three fields; the errno a connection keeps
 * beside them is read and cleared with esp_tls_get_and_clear_error_type(ESP_TLS_ERR_TYPE_SYSTEM).
 */
typedef struct esp_tls_last_error {
    esp_err_t last_error;   /*!< ESP_ERR_ESP_TLS_* or ESP_ERR_MBEDTLS_* code, or ESP_OK */
    int esp_tls_error_code; /*!< mbedTLS error code, negated (positive) */
    int esp_tls_flags;      /*!< certificate verify flags, when a trust anchor was configured */
} esp_tls_last_error_t;

/** Points into the connection that owns it; valid until esp_tls_conn_destroy(). */
typedef struct esp_tls_last_error *esp_tls_error_handle_t;

#ifdef __cplusplus
}
#endif
