/*
 * esp_tls.h: ESP-IDF's ESP-TLS client API (v5.5) on a POSIX host, over mbedTLS 3.6.
 *
 * One call resolves the host, connects TCP and runs the TLS handshake (SNI, ALPN, certificate
 * and hostname verification); then read and write, blocking or not. Failures leave a record
 * (esp_tls_get_error_handle()) with the esp_err_t, the mbedTLS code and the verify flags.
 *
 * Ownership: esp_tls_cfg_t and every buffer it points to belong to the caller and are not copied;
 * they must stay valid until the connect call has returned 1 (or, for async connects, until it
 * stops returning 0). esp_tls_t belongs to whoever called esp_tls_init() and is freed by
 * esp_tls_conn_destroy(), which is safe after any failure.
 *
 * Versions: TLS 1.2 and TLS 1.3 only. A peer that offers SSL 3.0, TLS 1.0 or TLS 1.1 is refused.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "esp_err.h"
#include "esp_tls_errors.h"
#include "sdkconfig.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ifreq;

/** Where the connect state machine stands. */
typedef enum esp_tls_conn_state {
    ESP_TLS_INIT = 0,   /*!< nothing done yet */
    ESP_TLS_CONNECTING, /*!< TCP connect in progress */
    ESP_TLS_HANDSHAKE,  /*!< TLS handshake in progress */
    ESP_TLS_FAIL,       /*!< failed; only esp_tls_conn_destroy() remains */
    ESP_TLS_DONE,       /*!< connected; read and write work */
} esp_tls_conn_state_t;

typedef enum esp_tls_role {
    ESP_TLS_CLIENT = 0,
    ESP_TLS_SERVER,
} esp_tls_role_t;

/** A pre-shared key and its identity hint (CONFIG_ESP_TLS_PSK_VERIFICATION). */
typedef struct psk_key_hint {
    const uint8_t *key;    /*!< the key, binary */
    const size_t key_size; /*!< its length in bytes */
    const char *hint;      /*!< the identity, a NUL-terminated string */
} psk_hint_key_t;

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
/** A saved client session, for resumption. */
typedef struct esp_tls_client_session {
    mbedtls_ssl_session saved_session;
} esp_tls_client_session_t;
#endif

/** TCP keep-alive; times in seconds. */
typedef struct tls_keep_alive_cfg {
    bool keep_alive_enable;  /*!< turn SO_KEEPALIVE on */
    int keep_alive_idle;     /*!< idle time before the first probe (TCP_KEEPIDLE) */
    int keep_alive_interval; /*!< time between probes (TCP_KEEPINTVL) */
    int keep_alive_count;    /*!< unanswered probes before the connection drops (TCP_KEEPCNT) */
} tls_keep_alive_cfg_t;

typedef enum esp_tls_addr_family {
    ESP_TLS_AF_UNSPEC = 0, /*!< IPv4 or IPv6, the resolver's first answer */
    ESP_TLS_AF_INET,       /*!< IPv4 only */
    ESP_TLS_AF_INET6,      /*!< IPv6 only */
} esp_tls_addr_family_t;

typedef enum {
    ESP_TLS_VER_ANY = 0,       /*!< TLS 1.2 or 1.3, the highest both sides have */
    ESP_TLS_VER_TLS_1_2 = 0x1, /*!< exactly TLS 1.2 */
    ESP_TLS_VER_TLS_1_3 = 0x2, /*!< exactly TLS 1.3 */
    ESP_TLS_VER_TLS_MAX,       /*!< bound; not a version */
} esp_tls_proto_ver_t;

typedef enum {
    ESP_TLS_ECDSA_CURVE_SECP256R1 = 0, /*!< chip-only hardware key; not supported on a host */
    ESP_TLS_ECDSA_CURVE_MAX,
} esp_tls_ecdsa_curve_t;

/**
 * Client configuration; zero-initialise it, then set what you need. Same fields, types and
 * order as ESP-IDF.
 *
 * Certificates and keys are PEM or DER. A PEM buffer must be NUL-terminated and its size must
 * count the NUL; a DER size is exact. A PEM CA buffer may hold a chain, a DER one a single
 * certificate. The *_pem_* names are aliases kept for older code.
 *
 * Server verification uses the first of: crt_bundle_attach, use_global_ca_store, cacert_buf,
 * psk_hint_key. With none of them the connect fails ("no server verification option set"),
 * unless the build has CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY.
 */
typedef struct esp_tls_cfg {
    const char **alpn_protos; /*!< NULL-terminated ALPN list, e.g. {"h2", "http/1.1", NULL} */

    union {
        const unsigned char *cacert_buf;     /*!< trusted CA certificate(s) */
        const unsigned char *cacert_pem_buf; /*!< legacy name of cacert_buf */
    };
    union {
        unsigned int cacert_bytes;     /*!< size of cacert_buf (with the NUL for PEM) */
        unsigned int cacert_pem_bytes; /*!< legacy name of cacert_bytes */
    };
    union {
        const unsigned char *clientcert_buf;     /*!< client certificate, for mutual TLS */
        const unsigned char *clientcert_pem_buf; /*!< legacy name of clientcert_buf */
    };
    union {
        unsigned int clientcert_bytes;     /*!< size of clientcert_buf (with the NUL for PEM) */
        unsigned int clientcert_pem_bytes; /*!< legacy name of clientcert_bytes */
    };
    union {
        const unsigned char *clientkey_buf;     /*!< client private key; needs clientcert_buf */
        const unsigned char *clientkey_pem_buf; /*!< legacy name of clientkey_buf */
    };
    union {
        unsigned int clientkey_bytes;     /*!< size of clientkey_buf (with the NUL for PEM) */
        unsigned int clientkey_pem_bytes; /*!< legacy name of clientkey_bytes */
    };
    const unsigned char *clientkey_password; /*!< password of an encrypted client key */
    unsigned int clientkey_password_len;     /*!< its length, without any NUL */

    bool use_ecdsa_peripheral;         /*!< chip-only: ESP_ERR_NOT_SUPPORTED on a host */
    uint8_t ecdsa_key_efuse_blk;       /*!< chip-only */
    uint8_t ecdsa_key_efuse_blk_high;  /*!< chip-only */
    esp_tls_ecdsa_curve_t ecdsa_curve; /*!< chip-only */

    bool non_block;          /*!< keep the socket non-blocking; required by the async calls */
    bool use_secure_element; /*!< chip-only: ESP_ERR_NOT_SUPPORTED on a host */

    int timeout_ms; /*!< bound on DNS + TCP + handshake, and the socket send/receive timeout;
                         0 means 10 s */

    bool use_global_ca_store; /*!< verify with the process-wide CA store */
    const char *common_name;  /*!< name for SNI and the certificate check, instead of the host */
    bool skip_common_name;    /*!< no SNI and no hostname check; the chain is still verified */

    tls_keep_alive_cfg_t *keep_alive_cfg; /*!< TCP keep-alive, or NULL */
    const psk_hint_key_t *psk_hint_key;   /*!< PSK instead of certificates (CONFIG_ESP_TLS_PSK_VERIFICATION) */

    esp_err_t (*crt_bundle_attach)(void *conf); /*!< called with the mbedtls_ssl_config *, e.g.
                                                     esp_crt_bundle_attach */
    void *ds_data;        /*!< chip-only: ESP_ERR_NOT_SUPPORTED on a host */
    bool is_plain_tcp;    /*!< no TLS: plain TCP through the same calls */
    struct ifreq *if_name; /*!< bind to this interface (SO_BINDTODEVICE), or NULL */

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
    esp_tls_client_session_t *client_session; /*!< session to resume, or NULL */
#endif

    esp_tls_addr_family_t addr_family; /*!< resolver hint */
    const int *ciphersuites_list;      /*!< 0-terminated IANA suite ids (see
                                            esp_tls_get_ciphersuites_list()), or NULL for all */
    esp_tls_proto_ver_t tls_version;   /*!< pin the protocol version */
} esp_tls_cfg_t;

/** An ESP-TLS connection; opaque. */
typedef struct esp_tls esp_tls_t;

/**
 * Allocates a connection handle, not yet connected.
 * @return the handle, or NULL when out of memory. Free it with esp_tls_conn_destroy().
 */
esp_tls_t *esp_tls_init(void);

/**
 * Connects and completes the TLS handshake, blocking for at most cfg->timeout_ms (0: 10 s).
 * @param host    host name or address; need not be NUL-terminated
 * @param hostlen its length
 * @param port    TCP port
 * @param cfg     configuration (required; a zeroed struct at least)
 * @param tls     handle from esp_tls_init()
 * @return 1 connected, -1 failed (see esp_tls_get_error_handle()).
 */
int esp_tls_conn_new_sync(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg,
                          esp_tls_t *tls);

/**
 * One non-blocking step of the connect; cfg->non_block must be true. DNS resolution in the first
 * step may block. The cfg->timeout_ms bound (0: 10 s) applies across the steps.
 * @return 1 connected, 0 in progress (wait for the socket, then call again), -1 failed.
 */
int esp_tls_conn_new_async(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg,
                           esp_tls_t *tls);

/**
 * esp_tls_conn_new_sync() on a URL: "https://host[:port][/path]" (port 443 by default, 80 for
 * "http"). The path is ignored.
 * @return 1 connected, -1 failed (a URL that does not parse gives ESP_ERR_INVALID_ARG).
 */
int esp_tls_conn_http_new_sync(const char *url, const esp_tls_cfg_t *cfg, esp_tls_t *tls);

/** esp_tls_conn_new_async() on a URL. @return 1, 0 or -1 as esp_tls_conn_new_async(). */
int esp_tls_conn_http_new_async(const char *url, const esp_tls_cfg_t *cfg, esp_tls_t *tls);

/**
 * Writes up to datalen bytes, in records of at most CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN bytes.
 * @return bytes written (fewer than datalen when the socket would block after some progress);
 *         ESP_TLS_ERR_SSL_WANT_WRITE / _WANT_READ when nothing could be written yet; another
 *         negative mbedTLS code on failure (recorded as ESP_ERR_MBEDTLS_SSL_WRITE_FAILED).
 */
ssize_t esp_tls_conn_write(esp_tls_t *tls, const void *data, size_t datalen);

/**
 * Reads up to datalen decrypted bytes. TLS 1.3 NewSessionTicket messages are consumed here.
 * @return bytes read (> 0); 0 when the peer closed (close_notify or TCP FIN);
 *         ESP_TLS_ERR_SSL_WANT_READ / _WANT_WRITE when no data is ready (non-blocking socket, or
 *         the receive timeout expired); another negative mbedTLS code on failure.
 */
ssize_t esp_tls_conn_read(esp_tls_t *tls, void *data, size_t datalen);

/**
 * Sends close_notify if connected, frees everything, closes the socket once, frees the handle.
 * Safe after any failure, and on a handle that never connected.
 * @return 0, or -1 if tls is NULL or close() failed.
 */
int esp_tls_conn_destroy(esp_tls_t *tls);

/** Decrypted bytes waiting in the current record. @return the count, or -1 if tls is NULL. */
ssize_t esp_tls_get_bytes_avail(esp_tls_t *tls);

/** The connection's socket (-1 before connect). ESP_ERR_INVALID_ARG if an argument is NULL. */
esp_err_t esp_tls_get_conn_sockfd(esp_tls_t *tls, int *sockfd);

/**
 * Sets the connection's socket, for a caller that connected it itself. The handle then owns it.
 * ESP_ERR_INVALID_ARG if tls is NULL or sockfd < 0.
 */
esp_err_t esp_tls_set_conn_sockfd(esp_tls_t *tls, int sockfd);

/** The state machine's state. ESP_ERR_INVALID_ARG if an argument is NULL. */
esp_err_t esp_tls_get_conn_state(esp_tls_t *tls, esp_tls_conn_state_t *conn_state);

/** Moves the state machine; ESP_ERR_INVALID_ARG if tls is NULL or the state is out of range. */
esp_err_t esp_tls_set_conn_state(esp_tls_t *tls, esp_tls_conn_state_t conn_state);

/** The mbedtls_ssl_context * of the connection, or NULL if tls is NULL or plain TCP. */
void *esp_tls_get_ssl_context(esp_tls_t *tls);

/**
 * Returns the last esp_err_t and, where the pointers are not NULL, the mbedTLS code (positive)
 * and the verify flags; then clears the record.
 * @return the last error, ESP_OK if none, or ESP_ERR_INVALID_STATE if h is NULL.
 */
esp_err_t esp_tls_get_and_clear_last_error(esp_tls_error_handle_t h, int *esp_tls_code,
                                           int *esp_tls_flags);

/**
 * Returns one slot of the record (for ESP_TLS_ERR_TYPE_SYSTEM, the errno) and clears that slot.
 * @return ESP_OK, or ESP_ERR_INVALID_ARG for a NULL argument or an unknown type.
 */
esp_err_t esp_tls_get_and_clear_error_type(esp_tls_error_handle_t h, esp_tls_error_type_t err_type,
                                           int *error_code);

/** The connection's error record; it lives as long as tls. ESP_ERR_INVALID_ARG on NULLs. */
esp_err_t esp_tls_get_error_handle(esp_tls_t *tls, esp_tls_error_handle_t *error_handle);

/**
 * Only the TCP part: resolve, create the socket with cfg's options, connect within
 * cfg->timeout_ms. With cfg->non_block the socket stays non-blocking.
 * @param cfg           options; NULL means defaults
 * @param error_handle  where failures are recorded: NULL, or a handle from esp_tls_get_error_handle()
 *                      (portls keeps errno beside the public record, so a bare
 *                      esp_tls_last_error_t of the caller's is not enough)
 * @param sockfd        receives the connected socket, which the caller then owns
 * @return ESP_OK, or the ESP_ERR_ESP_TLS_* code of the failure.
 */
esp_err_t esp_tls_plain_tcp_connect(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg,
                                    esp_tls_error_handle_t error_handle, int *sockfd);

/** The ciphersuites this build supports: IANA ids, 0-terminated, static. */
const int *esp_tls_get_ciphersuites_list(void);

/* ---- portls extensions (not in ESP-IDF) ---- */

/** Where the time of a connect went, in microseconds; 0 for a phase that did not run. */
typedef struct {
    int64_t dns_us;       /*!< name resolution */
    int64_t tcp_us;       /*!< TCP connect, after resolution */
    int64_t handshake_us; /*!< TLS handshake, after TCP */
} esp_tls_conn_timing_t;

/** The timing of the last connect. ESP_ERR_INVALID_ARG on NULLs. */
esp_err_t esp_tls_get_conn_timing(const esp_tls_t *tls, esp_tls_conn_timing_t *timing);

#ifdef __cplusplus
}
#endif
