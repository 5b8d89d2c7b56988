/* The transport item, for the transports of this component. Not public. */
#pragma once

#include <sys/queue.h>

#include "esp_tls.h"
#include "esp_transport.h"

typedef int (*get_socket_func)(esp_transport_handle_t t);

/* The last failure of a transport: the ESP-TLS record and the socket's errno. The layout is that
 * of ESP-TLS's own error storage (the record, then the errno), so the esp_tls_get_and_clear_*
 * calls work on esp_transport_get_error_handle() as on a connection's handle. */
typedef struct {
    esp_tls_last_error_t tls;
    int sock_errno;
} esp_transport_errors_t;

struct esp_transport_item_t {
    int port;
    char *scheme; /* set by esp_transport_list_add() */
    void *data;   /* the context data */
    connect_func _connect;
    io_read_func _read;
    io_func _write;
    trans_func _close;
    poll_func _poll_read;
    poll_func _poll_write;
    trans_func _destroy;
    connect_async_func _connect_async;
    payload_transfer_func _parent_transfer;
    get_socket_func _get_socket;
    esp_transport_errors_t errors;
    STAILQ_ENTRY(esp_transport_item_t) next;
};

/* Copies a connection's error record (and the errno ESP-TLS keeps beside it) into t. */
void esp_transport_set_errors(esp_transport_handle_t t, esp_tls_error_handle_t error_handle);

/* Notes the errno of a socket failure, for esp_transport_get_errno(). */
void esp_transport_capture_errno(esp_transport_handle_t t, int err);

void esp_transport_set_get_socket_func(esp_transport_handle_t t, get_socket_func _get_socket);
