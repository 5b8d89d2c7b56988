/*
 * tcp_transport: one interface over TCP, TLS and (layered on them) other protocols, as ESP-IDF's
 * esp_transport.h. A transport is an item with a scheme ("http", "https", ...) and a set of
 * functions; a list finds items by scheme.
 *
 * Return conventions (ESP-IDF's):
 *   connect        0 connected, -1 failed (see esp_transport_get_error_handle()/_get_errno())
 *   connect_async  1 connected, 0 in progress (call again), -1 failed
 *   read           > 0 bytes; 0 nothing arrived within timeout_ms; < 0 an esp_tcp_transport_err_t:
 *                  ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN when the peer closed,
 *                  ERR_TCP_TRANSPORT_CONNECTION_FAILED otherwise (the cause is in the error handle)
 *   write          >= 0 bytes written; 0 also when the socket stayed full for timeout_ms; -1 failed
 *   poll_*         > 0 ready; 0 timed out; -1 failed
 * timeout_ms -1 waits without limit. Every call checks its arguments: a NULL handle gives -1
 * (or ESP_ERR_INVALID_ARG where an esp_err_t is returned).
 */
#pragma once

#include <stdbool.h>

#include "esp_err.h"
#include "esp_tls_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_ERR_TCP_TRANSPORT_BASE                     0xe000
#define ESP_ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT       (ESP_ERR_TCP_TRANSPORT_BASE + 1) /*!< no answer within the timeout */
#define ESP_ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN (ESP_ERR_TCP_TRANSPORT_BASE + 2) /*!< the peer closed */
#define ESP_ERR_TCP_TRANSPORT_CONNECTION_FAILED        (ESP_ERR_TCP_TRANSPORT_BASE + 3) /*!< the connection failed */
#define ESP_ERR_TCP_TRANSPORT_NO_MEM                   (ESP_ERR_TCP_TRANSPORT_BASE + 4) /*!< out of memory */

/** Negative results of esp_transport_read() and friends. */
enum esp_tcp_transport_err_t {
    ERR_TCP_TRANSPORT_NO_MEM = -3,
    ERR_TCP_TRANSPORT_CONNECTION_FAILED = -2,
    ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN = -1,
    ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT = 0,
};

/** TCP keep-alive (the layout of esp_tls_cfg_t's tls_keep_alive_cfg_t). */
typedef struct esp_transport_keepalive {
    bool keep_alive_enable;  /*!< turn keep-alive on */
    int keep_alive_idle;     /*!< idle seconds before the first probe */
    int keep_alive_interval; /*!< seconds between probes */
    int keep_alive_count;    /*!< probes before the connection is dropped */
} esp_transport_keep_alive_t;

typedef struct esp_transport_internal *esp_transport_list_handle_t;
typedef struct esp_transport_item_t *esp_transport_handle_t;

typedef int (*connect_func)(esp_transport_handle_t t, const char *host, int port, int timeout_ms);
typedef int (*io_func)(esp_transport_handle_t t, const char *buffer, int len, int timeout_ms);
typedef int (*io_read_func)(esp_transport_handle_t t, char *buffer, int len, int timeout_ms);
typedef int (*trans_func)(esp_transport_handle_t t);
typedef int (*poll_func)(esp_transport_handle_t t, int timeout_ms);
typedef int (*connect_async_func)(esp_transport_handle_t t, const char *host, int port, int timeout_ms);
typedef esp_transport_handle_t (*payload_transfer_func)(esp_transport_handle_t t);

/** An empty list. @return NULL when out of memory. */
esp_transport_list_handle_t esp_transport_list_init(void);

/** Destroys every transport in the list, then the list. */
esp_err_t esp_transport_list_destroy(esp_transport_list_handle_t list);

/**
 * Adds t under scheme (copied). The list owns t from then on: list_clean/list_destroy destroy it.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL argument, or the scheme is taken); ESP_ERR_NO_MEM.
 *         On failure t stays the caller's.
 */
esp_err_t esp_transport_list_add(esp_transport_list_handle_t list, esp_transport_handle_t t, const char *scheme);

/** Destroys every transport in the list and leaves it empty. */
esp_err_t esp_transport_list_clean(esp_transport_list_handle_t list);

/** The transport added under scheme (case-insensitive), or NULL. */
esp_transport_handle_t esp_transport_list_get_transport(esp_transport_list_handle_t list, const char *scheme);

/** A transport without functions, for esp_transport_set_func(). @return NULL when out of memory. */
esp_transport_handle_t esp_transport_init(void);

/** Closes and frees t (its destroy function first). Not for a transport in a list. */
esp_err_t esp_transport_destroy(esp_transport_handle_t t);

/** The port connect uses when the caller has none (80 for tcp, 443 for ssl); -1 for NULL. */
int esp_transport_get_default_port(esp_transport_handle_t t);
esp_err_t esp_transport_set_default_port(esp_transport_handle_t t, int port);

int esp_transport_connect(esp_transport_handle_t t, const char *host, int port, int timeout_ms);
int esp_transport_connect_async(esp_transport_handle_t t, const char *host, int port, int timeout_ms);
int esp_transport_read(esp_transport_handle_t t, char *buffer, int len, int timeout_ms);

/** Readable within timeout_ms. A TLS transport with decrypted bytes already buffered is readable
 * at once, although its socket may have nothing. */
int esp_transport_poll_read(esp_transport_handle_t t, int timeout_ms);
int esp_transport_write(esp_transport_handle_t t, const char *buffer, int len, int timeout_ms);
int esp_transport_poll_write(esp_transport_handle_t t, int timeout_ms);

/**
 * portls extension: writes all len bytes of buffer, calling esp_transport_write() again after each
 * short write, until everything is written or the deadline passes. The deadline is timeout_ms
 * after this call began, on the monotonic clock (esp_timer_get_time()), and covers all the
 * writes together; -1 means no deadline. esp-mqtt, esp_http_client and the WebSocket transport
 * send through it.
 * @return len when all of buffer was written; -1 when a write failed (the cause is in t's error
 *         handle and errno) or the deadline passed first (nothing recorded there), and for bad
 *         arguments (NULL t, len < 0, NULL buffer with len > 0).
 *         After -1 the stream is in an unknown state: a part of buffer may have gone out, and over
 *         TLS the rest of a record may be held half-sent by the TLS layer, which would send it
 *         ahead of the next write's data and count it as that data. Close the connection
 *         (esp_transport_close()) and do not write to it again.
 */
int esp_transport_write_all(esp_transport_handle_t t, const char *buffer, int len, int timeout_ms);

/** Ends the connection (a TLS transport sends close_notify); the transport can connect again. */
int esp_transport_close(esp_transport_handle_t t);

void *esp_transport_get_context_data(esp_transport_handle_t t);
esp_err_t esp_transport_set_context_data(esp_transport_handle_t t, void *data);

/** The transport that carries t's payload: t itself, or what set_parent_transport_func gives. */
esp_transport_handle_t esp_transport_get_payload_transport_handle(esp_transport_handle_t t);

/** Sets t's functions; NULL for one makes its call fail with -1 (destroy: nothing to free). */
esp_err_t esp_transport_set_func(esp_transport_handle_t t, connect_func _connect, io_read_func _read, io_func _write,
                                 trans_func _close, poll_func _poll_read, poll_func _poll_write, trans_func _destroy);
esp_err_t esp_transport_set_async_connect_func(esp_transport_handle_t t, connect_async_func _connect_async_func);
esp_err_t esp_transport_set_parent_transport_func(esp_transport_handle_t t, payload_transfer_func _parent_transport);

/** The last ESP-TLS error of t (three slots, as esp_tls_get_and_clear_last_error() reads them);
 * valid until t is destroyed. NULL for NULL. */
esp_tls_error_handle_t esp_transport_get_error_handle(esp_transport_handle_t t);

/** The errno of t's last socket failure, and clears it; -1 for NULL. */
int esp_transport_get_errno(esp_transport_handle_t t);

/** ESP_ERR_TCP_TRANSPORT_* for a read result <= 0 (0 is the timeout); ESP_OK for other values. */
esp_err_t esp_transport_translate_error(enum esp_tcp_transport_err_t error);

/** The connected socket of t, or -1. */
int esp_transport_get_socket(esp_transport_handle_t t);

#ifdef __cplusplus
}
#endif
