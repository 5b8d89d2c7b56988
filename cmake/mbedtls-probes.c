/*
 * Compile-only probes: every mbedTLS internal that portls reaches into, with the type portls
 * relies on. cmake/portls_mbedtls_guard.cmake compiles this file at configure time with the
 * build's own mbedTLS configuration, first all at once, then each probe alone if that fails, and
 * names the probes that no longer compile and the portls code that needs re-verifying.
 *
 * A probe is a block that starts with a line "probe NAME: what relies on it" in a comment and is
 * compiled under PROBE_ALL or PROBE_NAME. Keep one probe per use, and add one for each new
 * internal that components/esp-tls/src/esp_tls_mbedtls*.c reads or writes.
 */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS

#include <stddef.h>

#include "mbedtls/platform_util.h"
#include "mbedtls/ssl.h"
#include "sdkconfig.h"
#ifndef PORTLS_MBEDTLS_SYSTEM
#include "ssl_misc.h"
#endif

#define PROBED(x) ((void)(x))

/* probe ssl_state: esp_tls_mbedtls.c steps the handshake itself and watches ssl->state; the
 * free-after-use and dynamic-buffer code act at its states */
#if defined(PROBE_ALL) || defined(PROBE_ssl_state)
void probe_ssl_state(mbedtls_ssl_context *ssl);
void probe_ssl_state(mbedtls_ssl_context *ssl)
{
    int *state = &ssl->state;
    int states[] = { MBEDTLS_SSL_HANDSHAKE_OVER, MBEDTLS_SSL_SERVER_CERTIFICATE, MBEDTLS_SSL_CLIENT_CERTIFICATE };
    PROBED(state);
    PROBED(states);
    PROBED(mbedtls_ssl_handshake_step(ssl));
}
#endif

/* probe ssl_received_alert: esp_tls_mbedtls.c names the alert that ended a handshake from
 * in_msgtype and in_msg[1] */
#if defined(PROBE_ALL) || defined(PROBE_ssl_received_alert)
void probe_ssl_received_alert(mbedtls_ssl_context *ssl);
void probe_ssl_received_alert(mbedtls_ssl_context *ssl)
{
    int *type = &ssl->in_msgtype;
    unsigned char **msg = &ssl->in_msg;
    PROBED(type);
    PROBED(msg);
}
#endif

/* probe session_peer_cert: esp_tls_mbedtls_free.c frees the peer's certificate after the
 * handshake (CONFIG_MBEDTLS_DYNAMIC_FREE_PEER_CERT) */
#if defined(PROBE_ALL) || defined(PROBE_session_peer_cert)
#if defined(CONFIG_MBEDTLS_DYNAMIC_FREE_PEER_CERT)
void probe_session_peer_cert(mbedtls_ssl_context *ssl);
void probe_session_peer_cert(mbedtls_ssl_context *ssl)
{
    mbedtls_x509_crt **peer_cert = &ssl->session->peer_cert;
    PROBED(peer_cert);
}
#endif
#endif

/* probe handshake_free: esp_tls_mbedtls_free.c frees the TLS 1.3 handshake state and the unused
 * TLS 1.2 transform when the handshake is over (ssl_misc.h) */
#if defined(PROBE_ALL) || defined(PROBE_handshake_free)
#if !defined(PORTLS_MBEDTLS_SYSTEM)
void probe_handshake_free(mbedtls_ssl_context *ssl);
void probe_handshake_free(mbedtls_ssl_context *ssl)
{
    mbedtls_ssl_handshake_params **handshake = &ssl->handshake;
    mbedtls_ssl_transform **negotiate = &ssl->transform_negotiate;
    void (*handshake_free)(mbedtls_ssl_context *) = mbedtls_ssl_handshake_free;
    void (*transform_free)(mbedtls_ssl_transform *) = mbedtls_ssl_transform_free;
    PROBED(handshake);
    PROBED(negotiate);
    PROBED(handshake_free);
    PROBED(transform_free);
}
#endif
#endif

/* probe dynbuf_in_buffer: esp_tls_mbedtls_dynbuf.c moves the input buffer and rebases every
 * pointer into it (CONFIG_MBEDTLS_DYNAMIC_BUFFER, MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH) */
#if defined(PROBE_ALL) || defined(PROBE_dynbuf_in_buffer)
#if defined(CONFIG_MBEDTLS_DYNAMIC_BUFFER)
void probe_dynbuf_in_buffer(mbedtls_ssl_context *ssl);
void probe_dynbuf_in_buffer(mbedtls_ssl_context *ssl)
{
    unsigned char **pointers[] = { &ssl->in_buf, &ssl->in_ctr, &ssl->in_hdr, &ssl->in_len,
                                   &ssl->in_iv,  &ssl->in_msg, &ssl->in_offt };
    size_t *len = &ssl->in_buf_len;
    size_t full = MBEDTLS_SSL_IN_BUFFER_LEN;
    void (*reset)(mbedtls_ssl_context *) = mbedtls_ssl_reset_in_pointers;
    PROBED(pointers);
    PROBED(len);
    PROBED(full);
    PROBED(reset);
}
#endif
#endif

/* probe dynbuf_in_pending: esp_tls_mbedtls_dynbuf.c shrinks the input buffer only when nothing
 * in it is pending: a partial record, unread data, a kept or fragmented handshake message */
#if defined(PROBE_ALL) || defined(PROBE_dynbuf_in_pending)
#if defined(CONFIG_MBEDTLS_DYNAMIC_BUFFER)
void probe_dynbuf_in_pending(mbedtls_ssl_context *ssl);
void probe_dynbuf_in_pending(mbedtls_ssl_context *ssl)
{
    size_t *lengths[] = { &ssl->in_left, &ssl->in_hslen, &ssl->in_msglen };
    int *keep = &ssl->keep_current_message;
    unsigned (*fraglen)(const mbedtls_ssl_context *) = mbedtls_ssl_get_in_hsfraglen;
    PROBED(lengths);
    PROBED(keep);
    PROBED(fraglen);
}
#endif
#endif

/* probe dynbuf_out_buffer: esp_tls_mbedtls_dynbuf.c shrinks an idle output buffer and lets
 * mbedTLS grow it again (patch 0005) */
#if defined(PROBE_ALL) || defined(PROBE_dynbuf_out_buffer)
#if defined(CONFIG_MBEDTLS_DYNAMIC_BUFFER)
void probe_dynbuf_out_buffer(mbedtls_ssl_context *ssl);
void probe_dynbuf_out_buffer(mbedtls_ssl_context *ssl)
{
    unsigned char **buf = &ssl->out_buf;
    size_t *lengths[] = { &ssl->out_buf_len, &ssl->out_left };
    mbedtls_ssl_transform **transform = &ssl->transform_out;
    size_t overhead = MBEDTLS_SSL_OUT_BUFFER_LEN - MBEDTLS_SSL_OUT_CONTENT_LEN;
    void (*reset)(mbedtls_ssl_context *) = mbedtls_ssl_reset_out_pointers;
    void (*update)(mbedtls_ssl_context *, mbedtls_ssl_transform *) = mbedtls_ssl_update_out_pointers;
    void (*wipe)(void *, size_t) = mbedtls_zeroize_and_free;
    PROBED(buf);
    PROBED(lengths);
    PROBED(transform);
    PROBED(overhead);
    PROBED(reset);
    PROBED(update);
    PROBED(wipe);
}
#endif
#endif

/* probe session_record_size_limit: esp_tls_mbedtls.c reads the peer's record_size_limit from the
 * session, and clears the one an offered session brought before the client's EncryptedExtensions
 * step (CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT) */
#if defined(PROBE_ALL) || defined(PROBE_session_record_size_limit)
#if defined(CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT)
void probe_session_record_size_limit(mbedtls_ssl_context *ssl);
void probe_session_record_size_limit(mbedtls_ssl_context *ssl)
{
    uint16_t *limits[] = { &ssl->session->record_size_limit, &ssl->session_negotiate->record_size_limit };
    int state = MBEDTLS_SSL_ENCRYPTED_EXTENSIONS;
    PROBED(limits);
    PROBED(state);
}
#endif
#endif

/* probe ssl_in_hslen: esp_tls_mbedtls.c names a handshake message longer than the input buffer
 * from the length of the message under way */
#if defined(PROBE_ALL) || defined(PROBE_ssl_in_hslen)
void probe_ssl_in_hslen(mbedtls_ssl_context *ssl);
void probe_ssl_in_hslen(mbedtls_ssl_context *ssl)
{
    size_t *hslen = &ssl->in_hslen;
    PROBED(hslen);
}
#endif
