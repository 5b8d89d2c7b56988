/*
 * Dynamic record buffers (CONFIG_MBEDTLS_DYNAMIC_BUFFER).
 *
 * Input: record-exact. While nothing is buffered the input buffer holds only the incoming sequence
 * number and room for one record header. When the socket BIO has read a complete header, the
 * buffer grows to hold that record; once mbedTLS has used the record, it shrinks again.
 * ESP_TLS_DYN_BUF_RX_STATIC keeps one full-size buffer after the handshake instead.
 *
 * Output: handshake messages are written with the full OUT_CONTENT_LEN in mind, so the output
 * buffer keeps its size until the handshake is over. Then it shrinks to what an alert needs
 * (a read may have to answer with one), and mbedTLS grows it for each record to what that record
 * sends (patch 0005), for our writes and for mbedtls_ssl_write() on esp_tls_get_ssl_context().
 * Reads on the context size the input buffer through our socket BIO, as ours do. Only the
 * shrinking needs one of our calls: a buffer a direct call grew stays until the next one.
 *
 * mbedTLS is built with MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH, so every bounds check uses the
 * buffers' real lengths, and mbedtls_ssl_setup() starts the input buffer small (patch 0003, in
 * cmake/mbedtls-patches). The record pointers are private fields of mbedTLS 3.6, which portls
 * pins (cmake/mbedtls-probes.c checks them at configure time).
 */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS

#include <string.h>

#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"

#include "esp_tls_mbedtls.h"

#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER

#include "ssl_misc.h" /* mbedTLS's own: buffer sizes and how it points into its buffers */

#define RECORD_HEADER_LEN 5
/* What mbedTLS reserves around a record's content: sequence number, header, IV, MAC, padding. */
#define OUT_OVERHEAD (MBEDTLS_SSL_OUT_BUFFER_LEN - MBEDTLS_SSL_OUT_CONTENT_LEN)
#define OUT_IDLE_LEN (OUT_OVERHEAD + 2) /* an alert */

/* Moves *buf to a fresh block of new_len bytes, keeping its first bytes (the incoming sequence
 * number lives in the first eight) and wiping the old block, which may hold plaintext. */
static int move_buffer(unsigned char **buf, size_t *len, size_t new_len)
{
    unsigned char *fresh = mbedtls_calloc(1, new_len);
    if (fresh == NULL) {
        return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    }
    memcpy(fresh, *buf, *len < new_len ? *len : new_len);
    mbedtls_zeroize_and_free(*buf, *len);
    *buf = fresh;
    *len = new_len;
    return 0;
}

static unsigned char *rebased(unsigned char *p, const unsigned char *old, unsigned char *fresh)
{
    return p == NULL ? NULL : fresh + (p - old);
}

/* Grows the input buffer, keeping what is in it and where each record pointer points. */
static int grow_in(mbedtls_ssl_context *ssl, size_t len)
{
    unsigned char *old = ssl->in_buf;
    int ret = move_buffer(&ssl->in_buf, &ssl->in_buf_len, len);
    if (ret == 0) {
        ssl->in_ctr = rebased(ssl->in_ctr, old, ssl->in_buf);
        ssl->in_hdr = rebased(ssl->in_hdr, old, ssl->in_buf);
        ssl->in_len = rebased(ssl->in_len, old, ssl->in_buf);
        ssl->in_iv = rebased(ssl->in_iv, old, ssl->in_buf);
        ssl->in_msg = rebased(ssl->in_msg, old, ssl->in_buf);
        ssl->in_offt = rebased(ssl->in_offt, old, ssl->in_buf);
    }
    return ret;
}

/* Nothing in the input buffer that the next read would look at: no partial record, no unread
 * application data, no message kept for the next handshake state, no handshake fragment waiting
 * for the rest, and no further handshake message behind the current one. */
static bool in_holds_nothing(const mbedtls_ssl_context *ssl)
{
    bool more_handshake = ssl->in_hslen != 0 && ssl->in_msglen > ssl->in_hslen;
    return ssl->in_left == 0 && ssl->in_offt == NULL && !ssl->keep_current_message &&
           mbedtls_ssl_get_in_hsfraglen(ssl) == 0 && !more_handshake;
}

static bool keeps_full_rx(const esp_tls_t *tls)
{
    const mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    return st->rx_static && st->ssl.state == MBEDTLS_SSL_HANDSHAKE_OVER;
}

int esp_tls_mbedtls_rx_fit(esp_tls_t *tls, const unsigned char *got, size_t n)
{
    mbedtls_ssl_context *ssl = &esp_tls_mbedtls_state(tls)->ssl;
    size_t had = ssl->in_left; /* mbedTLS adds n once the BIO returns */
    if (got != ssl->in_hdr + had || had >= RECORD_HEADER_LEN || had + n < RECORD_HEADER_LEN) {
        return 0; /* not the read that completes a record header */
    }
    size_t content = (size_t)ssl->in_hdr[3] << 8 | ssl->in_hdr[4];
    size_t need = (size_t)(ssl->in_hdr - ssl->in_buf) + RECORD_HEADER_LEN + content;
    if (need > MBEDTLS_SSL_IN_BUFFER_LEN) {
        need = MBEDTLS_SSL_IN_BUFFER_LEN; /* mbedTLS refuses the record as it would anyway */
    }
    return need > ssl->in_buf_len ? grow_in(ssl, need) : 0;
}

static void rx_shrink(esp_tls_t *tls)
{
    mbedtls_ssl_context *ssl = &esp_tls_mbedtls_state(tls)->ssl;
    if (ssl->in_buf == NULL || ssl->in_buf_len <= PORTLS_SSL_IN_BUFFER_SETUP_LEN || keeps_full_rx(tls) ||
        !in_holds_nothing(ssl)) {
        return;
    }
    if (move_buffer(&ssl->in_buf, &ssl->in_buf_len, PORTLS_SSL_IN_BUFFER_SETUP_LEN) == 0) {
        mbedtls_ssl_reset_in_pointers(ssl);
    } /* else the bigger buffer stays: nothing lost */
}

/* Shrinks an output buffer with nothing pending in it to what an alert needs. */
static void tx_shrink(mbedtls_ssl_context *ssl)
{
    if (ssl->out_buf == NULL || ssl->out_left != 0 || ssl->out_buf_len <= OUT_IDLE_LEN) {
        return;
    }
    if (move_buffer(&ssl->out_buf, &ssl->out_buf_len, OUT_IDLE_LEN) == 0) {
        mbedtls_ssl_reset_out_pointers(ssl);
        mbedtls_ssl_update_out_pointers(ssl, ssl->transform_out);
    } /* else the bigger buffer stays */
}

void esp_tls_mbedtls_buffers_settle(esp_tls_t *tls)
{
    mbedtls_ssl_context *ssl = &esp_tls_mbedtls_state(tls)->ssl;
    if (ssl->state != MBEDTLS_SSL_HANDSHAKE_OVER) {
        rx_shrink(tls);
        return;
    }
    if (keeps_full_rx(tls) && ssl->in_buf_len < MBEDTLS_SSL_IN_BUFFER_LEN) {
        grow_in(ssl, MBEDTLS_SSL_IN_BUFFER_LEN); /* on failure, records keep being sized one by one */
    }
    rx_shrink(tls);
    tx_shrink(ssl);
}

#endif
