/*
 * The mbedTLS 3.6 engine's state and the pieces its client and server halves share.
 * esp_tls_mbedtls.c: state, socket BIO, handshake, records. esp_tls_mbedtls_client.c and
 * esp_tls_mbedtls_server.c: the two configurations. Not public.
 */
#pragma once

#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#include "esp_tls_ca_store.h"
#include "esp_tls_private.h"

typedef struct {
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt *cacert;      /* cacert_buf or trust_store_path; allocated when used, so a
                                      connection without one (or after freeing it) holds nothing */
    mbedtls_x509_crt *owncert;     /* the client's or the server's certificate, likewise */
    mbedtls_pk_context ownkey;
    esp_tls_ca_store_t *ca_store;  /* the global store, held while this connection lives */
    unsigned char *session;        /* client: the session as last exported, serialized; made only
                                      when asked for, so unused sessions cost no heap */
    size_t session_len;
    bool ticket_arrived;           /* client: a TLS 1.3 ticket came through our reads or writes
                                      since the last export */
    bool verify_peer;              /* a trust anchor is configured: verify flags are worth recording */
    bool offered_session;          /* client: a saved session went into the ClientHello */
    bool external_psk;             /* a psk_hint_key is configured */
    bool saw_certificate;          /* the handshake went through the server certificate step */
    bool cert_requested;           /* client: the server sent a CertificateRequest */
    bool cert_sent;                /* client: and it got a certificate, not an empty list */
    uint32_t chain_flags;          /* client: the verify flags seen so far in this verification */
    mbedtls_x509_crt *unverified_chain; /* client: a copy of the server's chain, made only when
                                           verifying it failed (esp_tls_get_unverified_peer_chain) */
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
    bool rx_static;                /* ESP_TLS_DYN_BUF_RX_STATIC: a full input buffer after the handshake */
#endif
} mbedtls_state_t;

static inline mbedtls_state_t *esp_tls_mbedtls_state(const esp_tls_t *tls)
{
    return tls->stack_ctx;
}

/* Logs and records an mbedTLS failure as err plus the mbedTLS code. */
void esp_tls_mbedtls_record(esp_tls_t *tls, esp_err_t err, int mbedtls_ret);

/* Records err (an esp_err_t without an mbedTLS code) and returns it. */
esp_err_t esp_tls_mbedtls_fail(esp_tls_t *tls, esp_err_t err);

/* Allocates and initialises tls->stack_ctx (and PSA, once per process). */
esp_err_t esp_tls_mbedtls_state_new(esp_tls_t *tls);

/* Frees tls->stack_ctx and everything in it; NULL-safe. */
void esp_tls_mbedtls_state_free(esp_tls_t *tls);

/* config_defaults for endpoint, the RNG, ALPN, suites, the version pin and the debug hook. */
esp_err_t esp_tls_mbedtls_conf_common(esp_tls_t *tls, int endpoint, const char **alpn_protos,
                                      const int *ciphersuites, esp_tls_proto_ver_t version);

/* Allocates an empty chain into *slot if there is none yet. */
esp_err_t esp_tls_mbedtls_crt_new(esp_tls_t *tls, mbedtls_x509_crt **slot);

/* Frees the chain in *slot and the allocation; sets it to NULL. */
void esp_tls_mbedtls_crt_free(mbedtls_x509_crt **slot);

/* Parses a PEM (size with NUL) or DER certificate buffer into the chain *slot (allocated here). */
esp_err_t esp_tls_mbedtls_parse_certs(esp_tls_t *tls, mbedtls_x509_crt **slot, const unsigned char *buf,
                                      unsigned int len);

/* Parses cert and key into owncert/ownkey and makes them the endpoint's own. */
esp_err_t esp_tls_mbedtls_set_own_cert(esp_tls_t *tls, const unsigned char *cert, unsigned int cert_len,
                                       const unsigned char *key, unsigned int key_len,
                                       const unsigned char *password, unsigned int password_len);

#ifdef CONFIG_ESP_TLS_PSK_VERIFICATION
/* Configures the pre-shared key and identity. */
esp_err_t esp_tls_mbedtls_set_psk(esp_tls_t *tls, const psk_hint_key_t *psk);
#endif

/* mbedtls_ssl_setup and the socket BIO. */
esp_err_t esp_tls_mbedtls_setup(esp_tls_t *tls);

/* mbedtls_ssl_read() that takes TLS 1.3 tickets in passing (noting their arrival) and retries
 * when mbedTLS wants another call without the socket having blocked. A failure caused by the
 * peer's alert is returned as MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, the alert noted. */
int esp_tls_mbedtls_read_record(esp_tls_t *tls, unsigned char *data, size_t datalen);

/* Free-after-use (esp_tls_mbedtls_free.c): after a handshake step from state `from` to `to`,
 * and at the end of the handshake. No-ops without the CONFIG_MBEDTLS_DYNAMIC_FREE_* options. */
void esp_tls_mbedtls_free_after_step(esp_tls_t *tls, int from, int to);
void esp_tls_mbedtls_free_after_handshake(esp_tls_t *tls);

/* Dynamic record buffers (esp_tls_mbedtls_dynbuf.c); without CONFIG_MBEDTLS_DYNAMIC_BUFFER the
 * buffers keep their full size and these do nothing. */
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
/* From the socket BIO after it read n bytes to got: when they complete a record header, grows
 * the input buffer to hold the record. @return 0 or MBEDTLS_ERR_SSL_ALLOC_FAILED. The output
 * buffer needs no such call: mbedTLS grows it before each record (patch 0005). */
int esp_tls_mbedtls_rx_fit(esp_tls_t *tls, const unsigned char *got, size_t n);
/* After a handshake step, a read or a write: shrinks whatever buffer holds nothing pending. */
void esp_tls_mbedtls_buffers_settle(esp_tls_t *tls);
#else
static inline int esp_tls_mbedtls_rx_fit(esp_tls_t *tls, const unsigned char *got, size_t n)
{
    (void)tls;
    (void)got;
    (void)n;
    return 0;
}
static inline void esp_tls_mbedtls_buffers_settle(esp_tls_t *tls)
{
    (void)tls;
}
#endif

/* Initialises PSA once per process. @return false if that failed. */
bool esp_tls_mbedtls_psa_ready(void);

esp_err_t esp_tls_mbedtls_create_client(const char *hostname, const esp_tls_cfg_t *cfg, esp_tls_t *tls);
esp_err_t esp_tls_mbedtls_create_server(const esp_tls_cfg_server_t *cfg, esp_tls_t *tls);
