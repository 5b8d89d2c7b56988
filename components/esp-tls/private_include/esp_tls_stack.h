/*
 * The TLS engine behind the connect state machine, shaped like ESP-IDF v6's esp_tls_stack_ops_t:
 * a second engine is a second table, and esp_tls.c does not change. mbedTLS is the only one.
 * Engine state lives in tls->stack_ctx.
 */
#pragma once

#include <sys/types.h>

#include "esp_tls.h"

typedef struct esp_tls_stack_ops {
    /* Builds the engine state for a connected socket: config, trust anchors, own cert, SNI.
     * Records the failure in tls's error record; on failure nothing is left allocated. */
    esp_err_t (*create_ssl_handle)(const char *hostname, const esp_tls_cfg_t *cfg, esp_tls_t *tls);
    /* The same for a server session on an accepted socket. */
    esp_err_t (*create_server_handle)(const esp_tls_cfg_server_t *cfg, esp_tls_t *tls);
    /* Runs the handshake until it would block: 1 done, ESP_TLS_ERR_SSL_WANT_READ/_WANT_WRITE,
     * or another negative (engine) code: failed and recorded. Sets tls->resumed when done. */
    int (*handshake)(esp_tls_t *tls);
    ssize_t (*read)(esp_tls_t *tls, char *data, size_t datalen);
    ssize_t (*write)(esp_tls_t *tls, const char *data, size_t datalen);
    /* Sends close_notify if the handshake completed, then frees the engine state. */
    void (*conn_delete)(esp_tls_t *tls);
    void *(*get_ssl_context)(esp_tls_t *tls);
    ssize_t (*get_bytes_avail)(esp_tls_t *tls);
    const int *(*get_ciphersuites_list)(void);
} esp_tls_stack_ops_t;

extern const esp_tls_stack_ops_t esp_tls_mbedtls_ops;
