/*
 * Free-after-use (CONFIG_MBEDTLS_DYNAMIC_FREE_*): a connection lets go of what its handshake no
 * longer needs, at the state where that becomes true. portls steps the handshake itself, so it
 * sees each state change; mbedTLS is not wrapped.
 *   CA chain:  after the step that verified the peer's certificate (the client's
 *              SERVER_CERTIFICATE, the server's CLIENT_CERTIFICATE), else at the end.
 *   own certificate and key, peer certificate: at the end of the handshake. Renegotiation is
 *              off, so nothing asks for them again.
 * Only the connection's own copies are freed: a bundle or the global CA store is shared.
 *
 * In every build with the bundled mbedTLS, the handshake state goes at the end too. mbedTLS
 * frees it after a TLS 1.2 handshake but keeps it for the life of a TLS 1.3 connection (about
 * 3.4 KB plus the handshake traffic keys, and an unused TLS 1.2 transform), only because a client
 * takes NewSessionTickets through its handshake code. That code reads nothing from the state but
 * a field it resets, so mbedTLS, patched, lends a zeroed structure for each ticket and frees it
 * after (cmake/mbedtls-patches/0004-tls13-ticket-without-handshake-state.patch). That holds
 * wherever the ticket is read: in esp_tls_conn_read() or on esp_tls_get_ssl_context().
 */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS /* the session's peer certificate, the handshake state */

#include "mbedtls/platform.h"

#include "esp_tls_mbedtls.h"

#ifndef PORTLS_MBEDTLS_SYSTEM
#include "ssl_misc.h" /* mbedTLS's own: the handshake structure and its free function */

static void drop_handshake_state(mbedtls_ssl_context *ssl)
{
    if (ssl->handshake != NULL) {
        mbedtls_ssl_handshake_free(ssl);
        mbedtls_free(ssl->handshake);
        ssl->handshake = NULL;
    }
    if (ssl->transform_negotiate != NULL) {
        mbedtls_ssl_transform_free(ssl->transform_negotiate);
        mbedtls_free(ssl->transform_negotiate);
        ssl->transform_negotiate = NULL;
    }
}
#endif

#ifdef CONFIG_MBEDTLS_DYNAMIC_FREE_CA_CERT
static void free_ca(mbedtls_state_t *st)
{
    if (st->cacert != NULL) {
        mbedtls_ssl_conf_ca_chain(&st->conf, NULL, NULL);
        esp_tls_mbedtls_crt_free(&st->cacert);
    }
}
#endif

void esp_tls_mbedtls_free_after_step(esp_tls_t *tls, int from, int to)
{
#ifdef CONFIG_MBEDTLS_DYNAMIC_FREE_CA_CERT
    int verifying = tls->role == ESP_TLS_CLIENT ? MBEDTLS_SSL_SERVER_CERTIFICATE : MBEDTLS_SSL_CLIENT_CERTIFICATE;
    if (from == verifying && to != from) {
        free_ca(esp_tls_mbedtls_state(tls));
    }
#else
    (void)tls;
    (void)from;
    (void)to;
#endif
}

void esp_tls_mbedtls_free_after_handshake(esp_tls_t *tls)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
#ifndef PORTLS_MBEDTLS_SYSTEM
    drop_handshake_state(&st->ssl);
#endif
#ifdef CONFIG_MBEDTLS_DYNAMIC_FREE_CA_CERT
    free_ca(st);
#endif
#ifdef CONFIG_MBEDTLS_DYNAMIC_FREE_CONFIG_DATA
    /* The config's list still names them, but nothing reads it again: renegotiation is off, and
     * mbedtls_ssl_config_free() frees only the list's own nodes. */
    esp_tls_mbedtls_crt_free(&st->owncert);
    mbedtls_pk_free(&st->ownkey);
#endif
#ifdef CONFIG_MBEDTLS_DYNAMIC_FREE_PEER_CERT
    mbedtls_ssl_session *session = st->ssl.session;
    if (session != NULL && session->peer_cert != NULL) {
        mbedtls_x509_crt_free(session->peer_cert);
        mbedtls_free(session->peer_cert);
        session->peer_cert = NULL;
    }
#endif
    (void)st;
}
