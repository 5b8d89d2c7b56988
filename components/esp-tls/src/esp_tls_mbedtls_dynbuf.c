/*
 * Dynamic record buffers (CONFIG_MBEDTLS_DYNAMIC_BUFFER): after the handshake, a connection that
 * has nothing in flight gives its input and output record buffers back (about 16 KiB and 4 KiB)
 * and takes them again for the next read, write or close. What must survive lives in the first
 * eight bytes of each buffer, the implicit record sequence numbers, and is kept aside; the record
 * pointers are then derived again as mbedTLS derives them. mbedTLS 3.6 is pinned, so these
 * private fields and internal functions are stable.
 */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS

#include <string.h>

#include "mbedtls/platform.h"

#include "esp_tls_mbedtls.h"

#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER

/* mbedTLS's own (ssl_misc.h, not installed): how it points into fresh buffers. */
void mbedtls_ssl_reset_in_pointers(mbedtls_ssl_context *ssl);
void mbedtls_ssl_reset_out_pointers(mbedtls_ssl_context *ssl);
void mbedtls_ssl_update_out_pointers(mbedtls_ssl_context *ssl, mbedtls_ssl_transform *transform);

#define SEQUENCE_LEN 8

/* Nothing half-read, half-written or waiting to be read. A handshake message that was the whole
 * of what came (in_msglen <= in_hslen, as after the Finished) is consumed by the next read
 * without looking at its bytes. */
static bool idle(const mbedtls_ssl_context *ssl)
{
    return ssl->state == MBEDTLS_SSL_HANDSHAKE_OVER && ssl->in_left == 0 && ssl->in_msglen <= ssl->in_hslen &&
           ssl->in_offt == NULL && !ssl->keep_current_message && ssl->out_left == 0;
}

static bool keeps_rx(const esp_tls_t *tls)
{
    return esp_tls_mbedtls_state(tls)->rx_static;
}

void esp_tls_mbedtls_buffers_release(esp_tls_t *tls)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    mbedtls_ssl_context *ssl = &st->ssl;
    if (st->buffers_released || ssl->in_buf == NULL || ssl->out_buf == NULL || !idle(ssl)) {
        return;
    }
    memcpy(st->out_sequence, ssl->out_buf, SEQUENCE_LEN);
    st->out_len = esp_tls_heap_block_size(ssl->out_buf);
    mbedtls_free(ssl->out_buf);
    ssl->out_buf = NULL;
    if (!keeps_rx(tls)) {
        memcpy(st->in_sequence, ssl->in_buf, SEQUENCE_LEN);
        st->in_len = esp_tls_heap_block_size(ssl->in_buf);
        mbedtls_free(ssl->in_buf);
        ssl->in_buf = NULL;
    }
    st->buffers_released = true;
}

int esp_tls_mbedtls_buffers_restore(esp_tls_t *tls)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    mbedtls_ssl_context *ssl = &st->ssl;
    if (!st->buffers_released) {
        return 0;
    }
    unsigned char *in = ssl->in_buf ? ssl->in_buf : mbedtls_calloc(1, st->in_len);
    unsigned char *out = mbedtls_calloc(1, st->out_len);
    if (in == NULL || out == NULL) {
        if (in != ssl->in_buf) {
            mbedtls_free(in);
        }
        mbedtls_free(out);
        return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    }
    if (in != ssl->in_buf) {
        memcpy(in, st->in_sequence, SEQUENCE_LEN);
        ssl->in_buf = in;
        mbedtls_ssl_reset_in_pointers(ssl);
    }
    memcpy(out, st->out_sequence, SEQUENCE_LEN);
    ssl->out_buf = out;
    mbedtls_ssl_reset_out_pointers(ssl);
    mbedtls_ssl_update_out_pointers(ssl, ssl->transform_out);
    st->buffers_released = false;
    return 0;
}

#endif
