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
 *
 * Key log: when the environment variable SSLKEYLOGFILE names a file, every connection, client or
 * server, appends its secrets to it in the NSS key log format (for Wireshark), and the first one
 * logs a warning naming the file. The file is created with mode 0600 and appended to a whole line
 * per write. A file that cannot be opened, or a failed write, gets one warning and never fails
 * a connection. Unset or empty: nothing. A build with PORTLS_KEYLOG off ignores the variable.
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
#ifdef CONFIG_ESP_TLS_SERVER_SESSION_TICKETS
#include "mbedtls/ssl_ticket.h"
#endif

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
/** A saved client session, for resumption: from esp_tls_get_client_session(), freed with
 * esp_tls_free_client_session(). */
typedef struct esp_tls_client_session {
    mbedtls_ssl_session saved_session;
} esp_tls_client_session_t;
#endif

#ifdef CONFIG_ESP_TLS_SERVER_SESSION_TICKETS
/** The server's ticket keys (RFC 5077 tickets in TLS 1.2, NewSessionTicket in TLS 1.3). Made by
 * esp_tls_cfg_server_session_tickets_init(), shared by every session of that server. */
typedef struct esp_tls_server_session_ticket_ctx {
    mbedtls_ssl_ticket_context ticket_ctx;
} esp_tls_server_session_ticket_ctx_t;
#endif

#ifdef CONFIG_ESP_TLS_SERVER_CERT_SELECT_HOOK
/** Called after the ClientHello is parsed; may pick the certificate with mbedtls_ssl_get_hs_sni()
 * and mbedtls_ssl_set_hs_own_cert(). 0 continues, an MBEDTLS_ERR_* code aborts the handshake. */
typedef mbedtls_ssl_hs_cb_t esp_tls_handshake_callback;
#else
typedef void *esp_tls_handshake_callback; /* kept for source compatibility; unused */
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

#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
/** How CONFIG_MBEDTLS_DYNAMIC_BUFFER sizes the input buffer once the handshake is over. By
 * default (0) it stays record-exact: it holds only the record being read, and a few bytes
 * between records. */
typedef enum {
    ESP_TLS_DYN_BUF_RX_STATIC = 1, /*!< one full-size input buffer after the handshake (no
                                        allocation per record on a busy connection) */
    ESP_TLS_DYN_BUF_STRATEGY_MAX,
} esp_tls_dyn_buf_strategy_t;
#endif

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
 * trust_store_path, psk_hint_key. With none of them the connect fails ("no server verification
 * option set"), unless the build has CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY.
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
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
    esp_tls_dyn_buf_strategy_t esp_tls_dyn_buf_strategy; /*!< 0, or ESP_TLS_DYN_BUF_RX_STATIC */
#endif

    /* portls extension: trust the CAs of this PEM file or directory (read at connect time), e.g.
     * ESP_TLS_SYSTEM_TRUST_STORE, so that CAs updated by the OS apply. Used when no bundle,
     * global store or cacert_buf is set. */
    const char *trust_store_path;
} esp_tls_cfg_t;

/** Debian's and Ubuntu's system CA file, for esp_tls_cfg_t.trust_store_path. */
#define ESP_TLS_SYSTEM_TRUST_STORE "/etc/ssl/certs/ca-certificates.crt"

/**
 * Server configuration, for a session on an accepted socket. Same fields, types and order as
 * ESP-IDF v5.5 (tls_version and ciphersuites_list as in v6). Buffers follow the client rules
 * (PEM with its NUL counted, or DER) and must outlive every session made with this config.
 *
 * The server's own identity is the first of: servercert_buf + serverkey_buf, psk_hint_key,
 * cert_select_cb; with none of them the session init fails with ESP_ERR_INVALID_STATE.
 */
typedef struct esp_tls_cfg_server {
    const char **alpn_protos; /*!< NULL-terminated ALPN list, the server's preference first */

    union {
        const unsigned char *cacert_buf;     /*!< CA(s) for client certificates: mutual TLS */
        const unsigned char *cacert_pem_buf; /*!< legacy name of cacert_buf */
    };
    union {
        unsigned int cacert_bytes;     /*!< size of cacert_buf */
        unsigned int cacert_pem_bytes; /*!< legacy name of cacert_bytes */
    };
#ifdef CONFIG_ESP_TLS_SERVER_MIN_AUTH_MODE_OPTIONAL
    bool client_cert_authmode_optional; /*!< with cacert_buf: a client without a certificate, or with
                                             one that fails, is let in; the verify flags tell */
#endif
    union {
        const unsigned char *servercert_buf;     /*!< server certificate (chain) */
        const unsigned char *servercert_pem_buf; /*!< legacy name of servercert_buf */
    };
    union {
        unsigned int servercert_bytes;     /*!< size of servercert_buf */
        unsigned int servercert_pem_bytes; /*!< legacy name of servercert_bytes */
    };
    union {
        const unsigned char *serverkey_buf;     /*!< server private key */
        const unsigned char *serverkey_pem_buf; /*!< legacy name of serverkey_buf */
    };
    union {
        unsigned int serverkey_bytes;     /*!< size of serverkey_buf */
        unsigned int serverkey_pem_bytes; /*!< legacy name of serverkey_bytes */
    };
    const unsigned char *serverkey_password; /*!< password of an encrypted server key */
    unsigned int serverkey_password_len;     /*!< its length */

    bool use_ecdsa_peripheral;         /*!< chip-only: ESP_ERR_NOT_SUPPORTED on a host */
    uint8_t ecdsa_key_efuse_blk;       /*!< chip-only */
    uint8_t ecdsa_key_efuse_blk_high;  /*!< chip-only */
    esp_tls_ecdsa_curve_t ecdsa_curve; /*!< chip-only */
    bool use_secure_element;           /*!< chip-only: ESP_ERR_NOT_SUPPORTED on a host */

    uint32_t tls_handshake_timeout_ms; /*!< bound on esp_tls_server_session_create(); 0 means 10 s */

#ifdef CONFIG_ESP_TLS_SERVER_SESSION_TICKETS
    esp_tls_server_session_ticket_ctx_t *ticket_ctx; /*!< ticket keys, or NULL for no tickets */
#endif
    void *userdata; /*!< for callbacks: mbedtls_ssl_get_user_data_p(ssl) (also set on the config) */
#ifdef CONFIG_ESP_TLS_SERVER_CERT_SELECT_HOOK
    esp_tls_handshake_callback cert_select_cb; /*!< picks the certificate per handshake (SNI), or NULL */
#endif
#ifdef CONFIG_ESP_TLS_PSK_VERIFICATION
    const psk_hint_key_t *psk_hint_key; /*!< the one identity and key the server accepts, when no
                                             certificate is set; must outlive the sessions */
#endif
    esp_tls_proto_ver_t tls_version; /*!< pin the protocol version */
    const int *ciphersuites_list;    /*!< 0-terminated IANA suite ids, or NULL for all */
} esp_tls_cfg_server_t;

/** An ESP-TLS connection; opaque. */
typedef struct esp_tls esp_tls_t;

/**
 * Allocates a connection handle, not yet connected.
 * @return the handle, or NULL when out of memory. Free it with esp_tls_conn_destroy().
 */
esp_tls_t *esp_tls_init(void);

/**
 * Resolves host, connects and completes the TLS handshake, blocking for at most cfg->timeout_ms
 * (0: 10 s) in all. A name not resolved by then fails with ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME
 * (errno ETIMEDOUT).
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
 * One non-blocking step of the connect; cfg->non_block must be true. No step blocks, name
 * resolution included (c-ares). While the name is being resolved there is no socket yet
 * (esp_tls_get_conn_sockfd() gives -1): call again after a short pause. The cfg->timeout_ms bound
 * (0: 10 s) applies across the steps, DNS included, as in esp_tls_conn_new_sync().
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

/**
 * The mbedtls_ssl_context * of the connection, or NULL if tls is NULL or plain TCP. Owned by tls
 * and valid until esp_tls_conn_destroy().
 *
 * The getters of mbedTLS work on it, and so do mbedtls_ssl_read() and mbedtls_ssl_write(), in
 * both TLS versions and in every build, mixed with esp_tls_conn_read()/_write() on the same
 * connection: TLS 1.3 tickets are taken whichever call reads them (mbedtls_ssl_read() then
 * returns MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET, and MBEDTLS_ERR_SSL_WANT_READ while one is
 * parked, as mbedTLS documents). A ticket taken that way is the caller's to export with
 * mbedtls_ssl_get_session(); esp_tls_get_client_session() reports those that portls's own calls
 * took. With CONFIG_MBEDTLS_DYNAMIC_BUFFER a record buffer that a direct call grew is shrunk again
 * by the next esp_tls_conn_read() or _write(). Do not free, reset or reconfigure the context, nor
 * change its BIO: portls owns them.
 */
void *esp_tls_get_ssl_context(esp_tls_t *tls);

/**
 * Returns the last esp_err_t and, where the pointers are not NULL, the mbedTLS code (positive)
 * and the verify flags; then clears those three fields, and nothing beyond them: h may point at
 * an esp_tls_last_error_t of the caller's (or esp-mqtt's esp_mqtt_error_codes_t, whose first
 * fields are the same). The errno is left for esp_tls_get_and_clear_error_type(), as in ESP-IDF.
 * @return the last error, ESP_OK if none, or ESP_ERR_INVALID_STATE if h is NULL.
 */
esp_err_t esp_tls_get_and_clear_last_error(esp_tls_error_handle_t h, int *esp_tls_code,
                                           int *esp_tls_flags);

/**
 * Returns one slot of the record (for ESP_TLS_ERR_TYPE_SYSTEM, the errno) and clears that slot.
 * The errno is kept beside the public record: ESP_TLS_ERR_TYPE_SYSTEM needs a handle from
 * esp_tls_get_error_handle() or esp_transport_get_error_handle(), never a bare
 * esp_tls_last_error_t of the caller's.
 * @return ESP_OK, or ESP_ERR_INVALID_ARG for a NULL argument or an unknown type.
 */
esp_err_t esp_tls_get_and_clear_error_type(esp_tls_error_handle_t h, esp_tls_error_type_t err_type,
                                           int *error_code);

/** The connection's error record; it lives as long as tls. ESP_ERR_INVALID_ARG on NULLs. */
esp_err_t esp_tls_get_error_handle(esp_tls_t *tls, esp_tls_error_handle_t *error_handle);

/**
 * Only the TCP part: resolve, create the socket with cfg's options, connect; DNS and TCP together
 * within cfg->timeout_ms. With cfg->non_block the socket stays non-blocking.
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

/* ---- the global CA store: one set of trusted CAs for every connection that sets
 * use_global_ca_store. All four calls may be made from any thread at any time: sets made at the
 * same time each add their certificates (none is lost), and a connection keeps the store it
 * started with, so a set or free during its handshake does not disturb it. ---- */

/** Creates the store, empty, if there is none. @return ESP_OK or ESP_ERR_NO_MEM. */
esp_err_t esp_tls_init_global_ca_store(void);

/**
 * Adds the certificates of a PEM (size with the NUL) or DER buffer to the store, creating it
 * if needed. The buffer is copied.
 * @return ESP_OK; ESP_ERR_MBEDTLS_CERT_PARTLY_OK when some certificates parsed and others did not
 *         (the good ones are added); ESP_FAIL when none parsed (the store is left as it was);
 *         ESP_ERR_INVALID_ARG for a NULL or empty buffer; ESP_ERR_NO_MEM.
 */
esp_err_t esp_tls_set_global_ca_store(const unsigned char *cacert_pem_buf, const unsigned int cacert_pem_bytes);

/**
 * The store's current chain, or NULL if there is none; do not modify it. It stays valid and
 * unchanged until esp_tls_free_global_ca_store(), also when other threads set the store
 * meanwhile: a set makes a new chain (get again to see what it added) and leaves this one be,
 * so every chain get returned is kept until the free. The free ends them all: the caller must
 * not use one once a free may have begun (order its uses before its own free).
 */
mbedtls_x509_crt *esp_tls_get_global_ca_store(void);

/** Drops the store, and the chains esp_tls_get_global_ca_store() returned. Connections that use
 * the store keep it until they are destroyed. */
void esp_tls_free_global_ca_store(void);

/* ---- server sessions, on a socket the caller accepted and keeps owning ---- */

/**
 * Prepares a server session on sockfd; no handshake yet.
 * @param cfg    server configuration; it and its buffers must outlive the session
 * @param sockfd an accepted socket, blocking or not
 * @param tls    a handle from esp_tls_init()
 * @return ESP_OK; ESP_ERR_INVALID_ARG for NULLs or sockfd < 0; ESP_ERR_NOT_SUPPORTED for chip-only
 *         options; ESP_FAIL when the configuration is refused (the error record says why).
 */
esp_err_t esp_tls_server_session_init(esp_tls_cfg_server_t *cfg, int sockfd, esp_tls_t *tls);

/**
 * One handshake step of a session from esp_tls_server_session_init(); does not wait.
 * @return 0 done; ESP_TLS_ERR_SSL_WANT_READ / _WANT_WRITE (wait for the socket, call again);
 *         another negative mbedTLS code on failure (then delete the session).
 */
int esp_tls_server_session_continue_async(esp_tls_t *tls);

/**
 * esp_tls_server_session_init() and the whole handshake, within cfg->tls_handshake_timeout_ms
 * (0: 10 s), waiting on the socket between steps.
 * @return 0 done; ESP_ERR_ESP_TLS_SERVER_HANDSHAKE_TIMEOUT; a negative mbedTLS code from the
 *         handshake; or the esp_err_t of the init. Whatever the result, free with
 *         esp_tls_server_session_delete().
 */
int esp_tls_server_session_create(esp_tls_cfg_server_t *cfg, int sockfd, esp_tls_t *tls);

/**
 * Sends close_notify if the handshake completed, frees the session and the handle. The socket
 * is not closed: it belongs to the caller. NULL is ignored.
 */
void esp_tls_server_session_delete(esp_tls_t *tls);

/**
 * Creates cfg->ticket_ctx: AES-256-GCM ticket keys, tickets valid for
 * CONFIG_ESP_TLS_SERVER_SESSION_TICKET_TIMEOUT seconds.
 * @return ESP_OK; ESP_ERR_INVALID_ARG if cfg is NULL or already has one; ESP_ERR_NO_MEM;
 *         ESP_ERR_NOT_SUPPORTED without CONFIG_ESP_TLS_SERVER_SESSION_TICKETS;
 *         ESP_ERR_MBEDTLS_SSL_TICKET_SETUP_FAILED.
 */
esp_err_t esp_tls_cfg_server_session_tickets_init(esp_tls_cfg_server_t *cfg);

/** Frees cfg->ticket_ctx (the keys and the allocation) and sets it to NULL. */
void esp_tls_cfg_server_session_tickets_free(esp_tls_cfg_server_t *cfg);

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
/**
 * A copy of the connection's resumable session, for esp_tls_cfg_t.client_session.
 * TLS 1.2: available once the handshake is done (a ticket, or the session ID).
 * TLS 1.3: available once the server's NewSessionTicket has been received, which happens in
 * esp_tls_conn_read() or, if it is already waiting on the socket, in this call. Before that,
 * NULL: a TLS 1.3 session without a ticket cannot resume (ESP-IDF returns one anyway).
 * @return a session to free with esp_tls_free_client_session(), or NULL (none yet, no memory,
 *         or tls is NULL or not connected).
 */
esp_tls_client_session_t *esp_tls_get_client_session(esp_tls_t *tls);

/** Frees a session from esp_tls_get_client_session(). NULL is ignored. */
void esp_tls_free_client_session(esp_tls_client_session_t *client_session);
#endif

/* ---- portls extensions (not in ESP-IDF) ---- */

/** Where the time of a connect went, in microseconds, also up to a failure (the failed phase
 * counts the time it took); 0 for a phase that did not run. */
typedef struct {
    int64_t dns_us;       /*!< name resolution */
    int64_t tcp_us;       /*!< TCP connect, after resolution */
    int64_t handshake_us; /*!< TLS handshake, after TCP */
} esp_tls_conn_timing_t;

/** The timing of the last connect. ESP_ERR_INVALID_ARG on NULLs. */
esp_err_t esp_tls_get_conn_timing(const esp_tls_t *tls, esp_tls_conn_timing_t *timing);

/** What was wrong with the records the peer sent, as far as the transport could see. */
typedef enum {
    ESP_TLS_RECORD_OK = 0,     /*!< nothing wrong seen */
    ESP_TLS_RECORD_TOO_LARGE,  /*!< a record longer than CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN */
    ESP_TLS_RECORD_NOT_TLS,    /*!< bytes that are no TLS record header: the peer speaks
                                    something else (an HTTP server on the port, say) */
    ESP_TLS_RECORD_TRUNCATED,  /*!< the peer closed the connection in the middle of a record */
} esp_tls_record_problem_t;

/** The last record header the peer sent, and the verdict on it. */
typedef struct {
    uint8_t content_type;             /*!< 20..23 for TLS; anything else is not TLS */
    uint16_t version;                 /*!< the header's version field, e.g. 0x0303 */
    size_t length;                    /*!< the header's length field */
    size_t received;                  /*!< how many bytes of that record arrived */
    size_t in_content_len;            /*!< CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN */
    esp_tls_record_problem_t problem; /*!< set when a handshake or read failed because of it */
} esp_tls_record_info_t;

/**
 * The last record header received and what was wrong with it. When a handshake or read fails
 * with MBEDTLS_ERR_SSL_INVALID_RECORD (-0x7200) or MBEDTLS_ERR_SSL_CONN_EOF, the log already
 * says which of the problems it was and how to fix it; this lets tools show the same facts.
 * @return ESP_OK, or ESP_ERR_INVALID_ARG for NULLs.
 */
esp_err_t esp_tls_get_last_record_info(const esp_tls_t *tls, esp_tls_record_info_t *info);

/** The longest records the peer sent, as their headers' length fields say (the ciphertext: the
 * plaintext plus the cipher's expansion, mbedtls_ssl_get_record_expansion()); 0 for none. */
typedef struct {
    size_t handshake;       /*!< until the handshake was complete */
    size_t after_handshake; /*!< since then (TLS 1.3 tickets, application data) */
} esp_tls_record_sizes_t;

/**
 * The longest records received so far on a client or server connection, to size
 * CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN for a peer. A record cut off still counts at its header's length.
 * @return ESP_OK, or ESP_ERR_INVALID_ARG for NULLs.
 */
esp_err_t esp_tls_get_record_sizes(const esp_tls_t *tls, esp_tls_record_sizes_t *sizes);

/**
 * The record_size_limit (RFC 8449) the peer announced on a TLS 1.3 connection. A client with
 * CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT sends its CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN as its limit; a
 * server that knows the extension answers with its own in its EncryptedExtensions, and then keeps
 * its records within the client's limit (esp_tls_get_record_sizes() shows whether it did). On a
 * server session, the limit is the one the client sent in its ClientHello. Each handshake
 * negotiates anew: after an offered session, only this server's answer counts.
 * @param limit  set to the peer's limit in bytes (64 to 16385: the most plaintext it takes in one
 *               record, the content type included), or 0 when the peer announced none (it does not
 *               know the extension) or the connection is TLS 1.2 (mbedTLS negotiates it in TLS 1.3 only)
 * @return ESP_OK; ESP_ERR_INVALID_ARG for NULLs; ESP_ERR_INVALID_STATE before the handshake is
 *         complete, and on plain TCP; ESP_ERR_NOT_SUPPORTED in a build without
 *         CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT, which neither sends nor answers the extension.
 */
esp_err_t esp_tls_get_peer_record_size_limit(const esp_tls_t *tls, size_t *limit);

/**
 * The alert the peer ended the connection with: its description (RFC 8446 section 6, e.g. 116
 * for certificate_required), or -1 if none came. It counts whether mbedTLS decrypted it or the
 * peer sent it unencrypted where an encrypted record was due (TLS 1.3 clients such as curl do
 * so with unknown_ca; mbedTLS takes that record for a forged one). Set by a failed handshake or
 * read, whose log line names it. -1 for NULL.
 */
int esp_tls_get_peer_alert(const esp_tls_t *tls);

/**
 * An alert description's name as RFC 8446 spells it ("bad_certificate", "unknown_ca"), or
 * "unknown_alert" for a value no RFC in use defines. The string is static.
 */
const char *esp_tls_alert_name(int description);

/** What the server asked of a client's certificate in the handshake. */
typedef struct {
    bool requested; /*!< the server sent a CertificateRequest */
    bool sent;      /*!< the client answered it with its certificate (else with an empty list) */
} esp_tls_client_cert_info_t;

/**
 * Whether the server asked this client for a certificate, and whether one went out; known once
 * the handshake got past the server's CertificateRequest, also when it failed later. Under TLS
 * 1.3 the server checks the certificate after the client's handshake is over: a refusal comes as
 * an alert on the first read (esp_tls_get_peer_alert()), not from the connect.
 * @return ESP_OK; ESP_ERR_INVALID_ARG for NULLs, a server session, plain TCP, or a connection
 *         whose TLS state was never made.
 */
esp_err_t esp_tls_get_client_cert_info(const esp_tls_t *tls, esp_tls_client_cert_info_t *info);

/**
 * Whether the completed handshake resumed a session (a ticket or a TLS 1.2 session ID) instead of
 * a full handshake. An external PSK is not a resumption. false for NULL or an unfinished handshake.
 */
bool esp_tls_session_was_resumed(const esp_tls_t *tls);

/**
 * The certificate chain the server sent, leaf first and in the order sent, when verifying it
 * failed: a copy the connection owns, kept until esp_tls_conn_destroy(). NULL when verification
 * passed, did not run, or the copy found no memory; NULL for NULL, a server session or plain TCP.
 * (mbedtls_ssl_get_peer_cert() has nothing after a failed handshake.) Kept when crt_bundle_attach
 * is esp_crt_bundle_attach itself or a function that installs no mbedtls_ssl_conf_verify()
 * callback of its own (one that wraps esp_crt_bundle_attach installs the bundle's).
 */
const mbedtls_x509_crt *esp_tls_get_unverified_peer_chain(const esp_tls_t *tls);

#ifdef __cplusplus
}
#endif
