/* Loading certificates and keys from files into the buffers esp_tls_cfg_t expects. */
#pragma once

#include <stddef.h>

typedef struct {
    unsigned char *data; /* malloc'd; free with cert_file_free() */
    unsigned int len;    /* PEM: counts the NUL that ends the text; DER: exact */
} cert_file_t;

/* Reads path whole. A PEM file gets a terminating NUL that len counts, as ESP-TLS wants.
 * @return 0, or -1 with errno set (the file could not be read). */
int cert_file_load(const char *path, cert_file_t *out);

/* Reads path whole, as it is: len counts exactly its bytes (a NUL follows them, not counted).
 * @return 0, or -1 with errno set. */
int cert_file_load_raw(const char *path, cert_file_t *out);

void cert_file_free(cert_file_t *f);
