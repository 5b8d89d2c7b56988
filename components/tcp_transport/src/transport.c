/*
 * The transport item and list: argument checks, then a call through the item's functions.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_deadline.h"
#include "esp_log.h"
#include "esp_transport_internal.h"

static const char *TAG = "transport";

STAILQ_HEAD(esp_transport_list_t, esp_transport_item_t);

struct esp_transport_internal {
    struct esp_transport_list_t head;
};

esp_transport_list_handle_t esp_transport_list_init(void)
{
    esp_transport_list_handle_t list = calloc(1, sizeof(*list));
    if (list != NULL) {
        STAILQ_INIT(&list->head);
    }
    return list;
}

esp_err_t esp_transport_list_add(esp_transport_list_handle_t list, esp_transport_handle_t t, const char *scheme)
{
    if (list == NULL || t == NULL || scheme == NULL || esp_transport_list_get_transport(list, scheme) != NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    char *copy = strdup(scheme);
    if (copy == NULL) {
        return ESP_ERR_NO_MEM;
    }
    free(t->scheme);
    t->scheme = copy;
    STAILQ_INSERT_TAIL(&list->head, t, next);
    return ESP_OK;
}

esp_transport_handle_t esp_transport_list_get_transport(esp_transport_list_handle_t list, const char *scheme)
{
    if (list == NULL) {
        return NULL;
    }
    esp_transport_handle_t t;
    STAILQ_FOREACH(t, &list->head, next) {
        if (scheme == NULL || strcasecmp(t->scheme, scheme) == 0) {
            return t; /* no scheme: the first, as ESP-IDF */
        }
    }
    return NULL;
}

esp_err_t esp_transport_list_clean(esp_transport_list_handle_t list)
{
    if (list == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    while (!STAILQ_EMPTY(&list->head)) {
        esp_transport_handle_t t = STAILQ_FIRST(&list->head);
        STAILQ_REMOVE_HEAD(&list->head, next);
        esp_transport_destroy(t);
    }
    return ESP_OK;
}

esp_err_t esp_transport_list_destroy(esp_transport_list_handle_t list)
{
    esp_err_t err = esp_transport_list_clean(list);
    free(list);
    return err;
}

esp_transport_handle_t esp_transport_init(void)
{
    return calloc(1, sizeof(struct esp_transport_item_t));
}

esp_err_t esp_transport_destroy(esp_transport_handle_t t)
{
    if (t == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (t->_destroy != NULL) {
        t->_destroy(t);
    }
    free(t->scheme);
    free(t);
    return ESP_OK;
}

int esp_transport_get_default_port(esp_transport_handle_t t)
{
    return t != NULL ? t->port : -1;
}

esp_err_t esp_transport_set_default_port(esp_transport_handle_t t, int port)
{
    if (t == NULL || port < 0 || port > 65535) {
        return ESP_ERR_INVALID_ARG;
    }
    t->port = port;
    return ESP_OK;
}

int esp_transport_connect(esp_transport_handle_t t, const char *host, int port, int timeout_ms)
{
    if (t == NULL || t->_connect == NULL || host == NULL) {
        return -1;
    }
    return t->_connect(t, host, port, timeout_ms);
}

int esp_transport_connect_async(esp_transport_handle_t t, const char *host, int port, int timeout_ms)
{
    if (t == NULL || t->_connect_async == NULL || host == NULL) {
        return -1;
    }
    return t->_connect_async(t, host, port, timeout_ms);
}

int esp_transport_read(esp_transport_handle_t t, char *buffer, int len, int timeout_ms)
{
    if (t == NULL || t->_read == NULL || buffer == NULL || len <= 0) {
        return ERR_TCP_TRANSPORT_CONNECTION_FAILED;
    }
    return t->_read(t, buffer, len, timeout_ms);
}

int esp_transport_write(esp_transport_handle_t t, const char *buffer, int len, int timeout_ms)
{
    if (t == NULL || t->_write == NULL || (buffer == NULL && len != 0) || len < 0) {
        return -1;
    }
    return t->_write(t, buffer, len, timeout_ms);
}

int esp_transport_write_all(esp_transport_handle_t t, const char *buffer, int len, int timeout_ms)
{
    if (t == NULL || len < 0 || (buffer == NULL && len > 0)) {
        return -1;
    }
    esp_deadline_t deadline = esp_deadline_in_ms(timeout_ms);
    int done = 0;
    while (done < len) {
        int n = esp_transport_write(t, buffer + done, len - done, esp_deadline_ms_left(deadline));
        if (n < 0) {
            ESP_LOGE(TAG, "a write failed after %d of %d bytes", done, len);
            return -1;
        }
        done += n;
        if (done < len && esp_deadline_expired(deadline)) {
            ESP_LOGE(TAG, "writing timed out after %d of %d bytes", done, len);
            return -1;
        }
    }
    return len;
}

int esp_transport_poll_read(esp_transport_handle_t t, int timeout_ms)
{
    return t != NULL && t->_poll_read != NULL ? t->_poll_read(t, timeout_ms) : -1;
}

int esp_transport_poll_write(esp_transport_handle_t t, int timeout_ms)
{
    return t != NULL && t->_poll_write != NULL ? t->_poll_write(t, timeout_ms) : -1;
}

int esp_transport_close(esp_transport_handle_t t)
{
    if (t == NULL) {
        return -1;
    }
    return t->_close != NULL ? t->_close(t) : 0;
}

void *esp_transport_get_context_data(esp_transport_handle_t t)
{
    return t != NULL ? t->data : NULL;
}

esp_err_t esp_transport_set_context_data(esp_transport_handle_t t, void *data)
{
    if (t == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    t->data = data;
    return ESP_OK;
}

esp_transport_handle_t esp_transport_get_payload_transport_handle(esp_transport_handle_t t)
{
    if (t != NULL && t->_parent_transfer != NULL) {
        return t->_parent_transfer(t);
    }
    return t;
}

esp_err_t esp_transport_set_func(esp_transport_handle_t t, connect_func _connect, io_read_func _read, io_func _write,
                                 trans_func _close, poll_func _poll_read, poll_func _poll_write, trans_func _destroy)
{
    if (t == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    t->_connect = _connect;
    t->_read = _read;
    t->_write = _write;
    t->_close = _close;
    t->_poll_read = _poll_read;
    t->_poll_write = _poll_write;
    t->_destroy = _destroy;
    return ESP_OK;
}

esp_err_t esp_transport_set_async_connect_func(esp_transport_handle_t t, connect_async_func _connect_async_func)
{
    if (t == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    t->_connect_async = _connect_async_func;
    return ESP_OK;
}

esp_err_t esp_transport_set_parent_transport_func(esp_transport_handle_t t, payload_transfer_func _parent_transport)
{
    if (t == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    t->_parent_transfer = _parent_transport;
    return ESP_OK;
}

void esp_transport_set_get_socket_func(esp_transport_handle_t t, get_socket_func _get_socket)
{
    t->_get_socket = _get_socket;
}

int esp_transport_get_socket(esp_transport_handle_t t)
{
    return t != NULL && t->_get_socket != NULL ? t->_get_socket(t) : -1;
}

esp_tls_error_handle_t esp_transport_get_error_handle(esp_transport_handle_t t)
{
    return t != NULL ? &t->errors.tls : NULL;
}

int esp_transport_get_errno(esp_transport_handle_t t)
{
    if (t == NULL) {
        return -1;
    }
    int err = t->errors.sock_errno;
    t->errors.sock_errno = 0;
    return err;
}

esp_err_t esp_transport_translate_error(enum esp_tcp_transport_err_t error)
{
    switch (error) {
    case ERR_TCP_TRANSPORT_NO_MEM:
        return ESP_ERR_TCP_TRANSPORT_NO_MEM;
    case ERR_TCP_TRANSPORT_CONNECTION_FAILED:
        return ESP_ERR_TCP_TRANSPORT_CONNECTION_FAILED;
    case ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN:
        return ESP_ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN;
    case ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT:
        return ESP_ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT;
    }
    return ESP_OK;
}

/* ESP-TLS keeps a handle's errno right after the public record (esp_tls_error.c asserts the same
 * of its own storage): the esp_tls_get_and_clear_* calls take this record as one of theirs. */
_Static_assert(offsetof(esp_transport_errors_t, tls) == 0, "the error handle points at the record");
_Static_assert(offsetof(esp_transport_errors_t, sock_errno) == sizeof(esp_tls_last_error_t),
               "errno follows the record, as in ESP-TLS's storage");

void esp_transport_set_errors(esp_transport_handle_t t, esp_tls_error_handle_t error_handle)
{
    t->errors.tls = *error_handle;
    int sock_errno = 0;
    if (esp_tls_get_and_clear_error_type(error_handle, ESP_TLS_ERR_TYPE_SYSTEM, &sock_errno) == ESP_OK) {
        t->errors.sock_errno = sock_errno;
    }
}

void esp_transport_capture_errno(esp_transport_handle_t t, int err)
{
    t->errors.sock_errno = err;
    ESP_LOGD(TAG, "socket error %d (%s)", err, strerror(err));
}
