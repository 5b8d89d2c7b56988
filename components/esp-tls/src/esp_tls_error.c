#include <stddef.h>
#include <string.h>

#include "esp_tls_private.h"

/* The errno slot follows the public record. tcp_transport's esp_transport_errors_t is laid out
 * the same way (and asserts it), so a transport's error handle works here as a connection's. */
_Static_assert(offsetof(esp_tls_error_storage_t, parent) == 0, "the handle points at the storage");
_Static_assert(offsetof(esp_tls_error_storage_t, sock_errno) == sizeof(esp_tls_last_error_t),
               "errno follows the public record");

/* The slot of the record that holds codes of this type, or NULL for an unknown type. */
static int *error_slot(esp_tls_error_handle_t h, esp_tls_error_type_t type)
{
    switch (type) {
    case ESP_TLS_ERR_TYPE_ESP:
        return &h->last_error;
    case ESP_TLS_ERR_TYPE_MBEDTLS:
        return &h->esp_tls_error_code;
    case ESP_TLS_ERR_TYPE_MBEDTLS_CERT_FLAGS:
        return &h->esp_tls_flags;
    case ESP_TLS_ERR_TYPE_SYSTEM:
        return &((esp_tls_error_storage_t *)h)->sock_errno;
    default:
        return NULL;
    }
}

void esp_tls_error_capture(esp_tls_error_handle_t h, esp_tls_error_type_t type, int code)
{
    int *slot = h ? error_slot(h, type) : NULL;
    if (slot != NULL) {
        *slot = code;
    }
}

void esp_tls_error_capture_errno(esp_tls_error_handle_t h, esp_err_t err, int sys_errno)
{
    esp_tls_error_capture(h, ESP_TLS_ERR_TYPE_ESP, err);
    esp_tls_error_capture(h, ESP_TLS_ERR_TYPE_SYSTEM, sys_errno);
}

esp_err_t esp_tls_get_and_clear_last_error(esp_tls_error_handle_t h, int *esp_tls_code,
                                           int *esp_tls_flags)
{
    if (h == NULL) {
        return ESP_ERR_INVALID_STATE;
    }
    esp_err_t last = h->last_error;
    if (esp_tls_code != NULL) {
        *esp_tls_code = h->esp_tls_error_code;
    }
    if (esp_tls_flags != NULL) {
        *esp_tls_flags = h->esp_tls_flags;
    }
    memset(h, 0, sizeof(*h)); /* the public record only: h may be a caller's own */
    return last;
}

esp_err_t esp_tls_get_and_clear_error_type(esp_tls_error_handle_t h, esp_tls_error_type_t err_type,
                                           int *error_code)
{
    int *slot = h ? error_slot(h, err_type) : NULL;
    if (slot == NULL || error_code == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *error_code = *slot;
    *slot = 0;
    return ESP_OK;
}
