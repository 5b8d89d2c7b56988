/* The mbedTLS 3.6 engine: state, socket BIO, handshake and records, shared by client and server. */
/* The received alert, the handshake state and the peer's record_size_limit have no public getter
 * in 3.6; portls pins 3.6, so it reads those fields (cmake/mbedtls-probes.c checks them at configure time). */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#define _POSIX_C_SOURCE 200809L /* tzset() */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#ifndef __linux__ /* a port to another POSIX host starts here (SO_NOSIGPIPE, say) */
#error "Linux-only here: MSG_NOSIGNAL (send() without SIGPIPE)"
#endif

#include "mbedtls/debug.h"
#include "mbedtls/error.h"
#include "mbedtls/net_sockets.h"
#include "mbedtls/platform.h"
#include "mbedtls/ssl_ciphersuites.h"
#include "mbedtls/psa_util.h"
#include "psa/crypto.h"

#include "esp_log.h"
#include "esp_tls_keylog.h"
#include "esp_tls_mbedtls.h"

static const char *TAG = "esp-tls-mbedtls";

/* esp_tls_errors.h promises mbedTLS's values: callers compare either name. */
_Static_assert(ESP_TLS_ERR_SSL_WANT_READ == MBEDTLS_ERR_SSL_WANT_READ &&
                   ESP_TLS_ERR_SSL_WANT_WRITE == MBEDTLS_ERR_SSL_WANT_WRITE &&
                   ESP_TLS_ERR_SSL_TIMEOUT == MBEDTLS_ERR_SSL_TIMEOUT,
               "the ESP_TLS_ERR_SSL_* values are mbedTLS's");

/* Pitfall 6: initialise PSA once, up front, so the first handshake does not carry it; free it
 * at exit so leak checkers see nothing in use. */
static psa_status_t psa_status = PSA_ERROR_BAD_STATE;
static pthread_once_t psa_once = PTHREAD_ONCE_INIT;

static void esp_tls_psa_release(void)
{
    mbedtls_psa_crypto_free();
}

static void esp_tls_psa_start(void)
{
    /* The C library's time zone too: a certificate check calls gmtime_r(), whose first call reads
     * /etc/localtime through a 4 KiB stdio buffer. Here it comes before any connection holds
     * its buffers, not inside the first handshake's peak. */
    tzset();
    psa_status = psa_crypto_init();
    if (psa_status == PSA_SUCCESS) {
        atexit(esp_tls_psa_release);
    }
}

/* If an allocation of this connection was refused since the last report, the failure is that:
 * says how much was in use against which budget, and returns ESP_ERR_NO_MEM. */
static esp_err_t out_of_memory_or(esp_tls_t *tls, esp_err_t err)
{
    unsigned long failures = esp_tls_heap_failures(tls->heap);
    if (failures == tls->heap_failures_seen) {
        return err;
    }
    tls->heap_failures_seen = failures;
    size_t requested, in_use, budget;
    esp_tls_heap_last_failure(tls->heap, &requested, &in_use, &budget);
    if (budget != 0) {
        ESP_LOGE(TAG, "out of memory: %zu bytes asked for with %zu of the %zu-byte budget in use", requested,
                 in_use, budget);
    } else {
        ESP_LOGE(TAG, "out of memory: %zu bytes asked for with %zu in use", requested, in_use);
    }
    return ESP_ERR_NO_MEM;
}

void esp_tls_mbedtls_record(esp_tls_t *tls, esp_err_t err, int mbedtls_ret)
{
    err = out_of_memory_or(tls, err);
    char text[128];
    mbedtls_strerror(mbedtls_ret, text, sizeof(text));
    ESP_LOGE(TAG, "%s: mbedTLS -0x%04X (%s)", esp_err_to_name(err), (unsigned)-mbedtls_ret, text);
    esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_MBEDTLS, -mbedtls_ret);
    esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, err);
}

esp_err_t esp_tls_mbedtls_fail(esp_tls_t *tls, esp_err_t err)
{
    esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, err);
    return err;
}

/* ---- socket BIO: MSG_NOSIGNAL so a dead peer never raises SIGPIPE; EAGAIN (also an expired
 * SO_RCVTIMEO on a blocking socket, as in ESP-IDF) means "call again". ---- */

static int bio_error(esp_tls_t *tls, bool sending)
{
    int e = errno;
    if (e == EAGAIN || e == EWOULDBLOCK) {
        tls->io_blocked = true;
        return sending ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_SSL_WANT_READ;
    }
    esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_SYSTEM, e);
    if (e == EPIPE || e == ECONNRESET) {
        return MBEDTLS_ERR_NET_CONN_RESET;
    }
    return sending ? MBEDTLS_ERR_NET_SEND_FAILED : MBEDTLS_ERR_NET_RECV_FAILED;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    esp_tls_t *tls = ctx;
    ssize_t n;
    do {
        n = send(tls->sockfd, buf, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n >= 0 ? (int)n : bio_error(tls, true);
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    esp_tls_t *tls = ctx;
    ssize_t n;
    do {
        n = recv(tls->sockfd, buf, len, tls->recv_flags);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return bio_error(tls, false);
    }
    tls->records.after_handshake = tls->conn_state == ESP_TLS_DONE;
    esp_tls_record_track(&tls->records, buf, (size_t)n);
    int ret = esp_tls_mbedtls_rx_fit(tls, buf, (size_t)n);
    return ret != 0 ? ret : (int)n;
}

#ifdef CONFIG_MBEDTLS_DEBUG
static void debug_log(void *ctx, int level, const char *file, int line, const char *msg)
{
    (void)ctx;
    (void)level;
    ESP_LOGD("mbedtls", "%s:%d %.*s", file, line, (int)strcspn(msg, "\n"), msg);
}
#endif

/* ---- state ---- */

/* PSA's global state lives for the process: no connection's account pays for it. */
bool esp_tls_mbedtls_psa_ready(void)
{
    esp_tls_heap_account_t *previous = esp_tls_heap_enter(NULL);
    pthread_once(&psa_once, esp_tls_psa_start);
    esp_tls_heap_leave(previous);
    return psa_status == PSA_SUCCESS;
}

esp_err_t esp_tls_mbedtls_state_new(esp_tls_t *tls)
{
    if (!esp_tls_mbedtls_psa_ready()) {
        ESP_LOGE(TAG, "psa_crypto_init failed: %d", (int)psa_status);
        return esp_tls_mbedtls_fail(tls, ESP_ERR_MBEDTLS_CTR_DRBG_SEED_FAILED);
    }
    mbedtls_state_t *st = mbedtls_calloc(1, sizeof(*st));
    if (st == NULL) {
        return esp_tls_mbedtls_fail(tls, ESP_ERR_NO_MEM);
    }
    tls->stack_ctx = st;
    mbedtls_ssl_init(&st->ssl);
    mbedtls_ssl_config_init(&st->conf);
    mbedtls_pk_init(&st->ownkey);
    return ESP_OK;
}

void esp_tls_mbedtls_state_free(esp_tls_t *tls)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    if (st == NULL) {
        return;
    }
    mbedtls_ssl_free(&st->ssl);
    mbedtls_ssl_config_free(&st->conf);
    esp_tls_mbedtls_crt_free(&st->cacert);
    esp_tls_mbedtls_crt_free(&st->owncert);
    esp_tls_mbedtls_crt_free(&st->unverified_chain);
    mbedtls_pk_free(&st->ownkey);
    esp_tls_ca_store_release(st->ca_store);
    mbedtls_free(st->session);
    mbedtls_free(st);
    tls->stack_ctx = NULL;
}

/* ---- configuration shared by both ends ---- */

esp_err_t esp_tls_mbedtls_crt_new(esp_tls_t *tls, mbedtls_x509_crt **slot)
{
    if (*slot == NULL) {
        *slot = mbedtls_calloc(1, sizeof(**slot));
        if (*slot == NULL) {
            return esp_tls_mbedtls_fail(tls, ESP_ERR_NO_MEM);
        }
        mbedtls_x509_crt_init(*slot);
    }
    return ESP_OK;
}

void esp_tls_mbedtls_crt_free(mbedtls_x509_crt **slot)
{
    if (*slot != NULL) {
        mbedtls_x509_crt_free(*slot);
        mbedtls_free(*slot);
        *slot = NULL;
    }
}

esp_err_t esp_tls_mbedtls_parse_certs(esp_tls_t *tls, mbedtls_x509_crt **slot, const unsigned char *buf,
                                      unsigned int len)
{
    esp_err_t err = esp_tls_mbedtls_crt_new(tls, slot);
    if (err != ESP_OK) {
        return err;
    }
    int ret = mbedtls_x509_crt_parse(*slot, buf, len);
    if (ret < 0) {
        esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_X509_CRT_PARSE_FAILED, ret);
        return ESP_ERR_MBEDTLS_X509_CRT_PARSE_FAILED;
    }
    if (ret > 0) {
        ESP_LOGW(TAG, "%d certificate(s) in the buffer did not parse and are ignored", ret);
    }
    return ESP_OK;
}

esp_err_t esp_tls_mbedtls_set_own_cert(esp_tls_t *tls, const unsigned char *cert, unsigned int cert_len,
                                       const unsigned char *key, unsigned int key_len,
                                       const unsigned char *password, unsigned int password_len)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    esp_err_t err = esp_tls_mbedtls_parse_certs(tls, &st->owncert, cert, cert_len);
    if (err != ESP_OK) {
        return err;
    }
    int ret = mbedtls_pk_parse_key(&st->ownkey, key, key_len, password, password_len, mbedtls_psa_get_random,
                                   MBEDTLS_PSA_RANDOM_STATE);
    if (ret != 0) {
        esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_PK_PARSE_KEY_FAILED, ret);
        return ESP_ERR_MBEDTLS_PK_PARSE_KEY_FAILED;
    }
    ret = mbedtls_ssl_conf_own_cert(&st->conf, st->owncert, &st->ownkey);
    if (ret != 0) {
        esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_SSL_CONF_OWN_CERT_FAILED, ret);
        return ESP_ERR_MBEDTLS_SSL_CONF_OWN_CERT_FAILED;
    }
    return ESP_OK;
}

#ifdef CONFIG_ESP_TLS_PSK_VERIFICATION
esp_err_t esp_tls_mbedtls_set_psk(esp_tls_t *tls, const psk_hint_key_t *psk)
{
    if (psk->key == NULL || psk->key_size == 0 || psk->hint == NULL) {
        ESP_LOGE(TAG, "psk_hint_key needs a key, its size and a hint (the identity)");
        return esp_tls_mbedtls_fail(tls, ESP_ERR_INVALID_ARG);
    }
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    int ret = mbedtls_ssl_conf_psk(&st->conf, psk->key, psk->key_size, (const unsigned char *)psk->hint,
                                   strlen(psk->hint));
    if (ret != 0) {
        esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_SSL_CONF_PSK_FAILED, ret);
        return ESP_ERR_MBEDTLS_SSL_CONF_PSK_FAILED;
    }
    st->external_psk = true;
    return ESP_OK;
}
#endif

static esp_err_t set_version(esp_tls_t *tls, esp_tls_proto_ver_t version)
{
    mbedtls_ssl_config *conf = &esp_tls_mbedtls_state(tls)->conf;
    switch (version) {
    case ESP_TLS_VER_ANY:
        return ESP_OK;
    case ESP_TLS_VER_TLS_1_2:
        mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
        mbedtls_ssl_conf_max_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
        return ESP_OK;
    case ESP_TLS_VER_TLS_1_3:
#ifdef MBEDTLS_SSL_PROTO_TLS1_3
        mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_3);
        mbedtls_ssl_conf_max_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_3);
        return ESP_OK;
#else
        /* a pin is a requirement: never TLS 1.2 instead, at either end */
        ESP_LOGE(TAG, "tls_version is TLS 1.3, which is not in this build (CONFIG_MBEDTLS_SSL_PROTO_TLS1_3)");
        return esp_tls_mbedtls_fail(tls, ESP_ERR_NOT_SUPPORTED);
#endif
    default:
        ESP_LOGE(TAG, "tls_version %d is not a TLS version", (int)version);
        return esp_tls_mbedtls_fail(tls, ESP_ERR_INVALID_ARG);
    }
}

esp_err_t esp_tls_mbedtls_conf_common(esp_tls_t *tls, int endpoint, const char **alpn_protos,
                                      const int *ciphersuites, esp_tls_proto_ver_t version)
{
    mbedtls_ssl_config *conf = &esp_tls_mbedtls_state(tls)->conf;
    int ret = mbedtls_ssl_config_defaults(conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_SSL_CONFIG_DEFAULTS_FAILED, ret);
        return ESP_ERR_MBEDTLS_SSL_CONFIG_DEFAULTS_FAILED;
    }
    mbedtls_ssl_conf_rng(conf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
    if (alpn_protos != NULL && (ret = mbedtls_ssl_conf_alpn_protocols(conf, alpn_protos)) != 0) {
        esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_SSL_CONF_ALPN_PROTOCOLS_FAILED, ret);
        return ESP_ERR_MBEDTLS_SSL_CONF_ALPN_PROTOCOLS_FAILED;
    }
    if (ciphersuites != NULL) {
        mbedtls_ssl_conf_ciphersuites(conf, ciphersuites);
    }
#ifdef CONFIG_MBEDTLS_DEBUG
    mbedtls_ssl_conf_dbg(conf, debug_log, NULL);
    mbedtls_debug_set_threshold(CONFIG_MBEDTLS_DEBUG_LEVEL);
#endif
    return set_version(tls, version);
}

esp_err_t esp_tls_mbedtls_setup(esp_tls_t *tls)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    int ret = mbedtls_ssl_setup(&st->ssl, &st->conf);
    if (ret != 0) {
        esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_SSL_SETUP_FAILED, ret);
        return ESP_ERR_MBEDTLS_SSL_SETUP_FAILED;
    }
    mbedtls_ssl_set_bio(&st->ssl, tls, bio_send, bio_recv, NULL);
    esp_tls_keylog_attach(&st->ssl);
    return ESP_OK;
}

/* ---- handshake ---- */

/* Whether in_msg points into the input buffer. With dynamic buffers the buffer may have shrunk
 * under a message already used (a step that reads nothing leaves in_msg as it was). */
static bool message_in_buffer(const mbedtls_ssl_context *ssl)
{
#ifdef MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
    return ssl->in_msg != NULL && ssl->in_msg >= ssl->in_buf && ssl->in_msg < ssl->in_buf + ssl->in_buf_len;
#else
    return ssl->in_msg != NULL;
#endif
}

/* The description of an alert the peer just sent, or -1. */
static int received_alert(const mbedtls_ssl_context *ssl)
{
    if (ssl->in_msgtype != MBEDTLS_SSL_MSG_ALERT || !message_in_buffer(ssl)) {
        return -1;
    }
    return ssl->in_msg[1];
}

/* A peer that refuses us while we are still sending sends its alert and closes with our bytes
 * unread, which resets the connection: our send fails first, but the alert it sent before is
 * still in the socket's receive queue. Takes what is there into the record tracker. */
static void take_what_came_before_reset(esp_tls_t *tls, int ret)
{
    if (ret != MBEDTLS_ERR_NET_CONN_RESET && ret != MBEDTLS_ERR_NET_SEND_FAILED) {
        return;
    }
    unsigned char buf[64]; /* an alert record is 7 bytes, or a few more when encrypted */
    ssize_t n = recv(tls->sockfd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
        esp_tls_record_track(&tls->records, buf, (size_t)n);
    }
}

/* The alert behind a failure, or -1: one mbedTLS decrypted, or one the peer sent unencrypted
 * where an encrypted record was due (curl and openssl s_client send unknown_ca so in TLS 1.3),
 * which mbedTLS reports as a MAC failure. Notes it, and returns the code to record instead of
 * ret: the alert itself, or BAD_PROTOCOL_VERSION for protocol_version, which is what it means. */
static int name_alert(esp_tls_t *tls, const mbedtls_ssl_context *ssl, int ret)
{
    take_what_came_before_reset(tls, ret);
    int alert = ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE ? received_alert(ssl)
                                                           : esp_tls_record_plaintext_alert(&tls->records);
    if (alert < 0) {
        return ret;
    }
    esp_tls_note_peer_alert(tls, alert);
    return alert == MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION ? MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION
                                                           : MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE;
}

/* A handshake message longer than the input buffer fails however it is cut into records (a
 * server that keeps to record_size_limit cuts it into several that each fit): mbedTLS puts the
 * message back together in the buffer. in_hslen is the length of the message under way. */
static void explain_long_message(const mbedtls_ssl_context *ssl)
{
    if (ssl->in_hslen > MBEDTLS_SSL_IN_CONTENT_LEN) {
        ESP_LOGE(TAG, "the peer's handshake message of %zu bytes (a certificate chain, most likely) is larger "
                      "than CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN (%d), which must hold it whole, however small its "
                      "records: raise CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN", ssl->in_hslen, MBEDTLS_SSL_IN_CONTENT_LEN);
    }
}

/* Says in plain words why the handshake failed, and returns the mbedTLS code to record. */
static int explain_handshake_failure(esp_tls_t *tls, const mbedtls_ssl_context *ssl, int ret)
{
    explain_long_message(ssl);
    ret = name_alert(tls, ssl, ret);
    switch (ret) {
    case MBEDTLS_ERR_SSL_INVALID_RECORD:
    case MBEDTLS_ERR_SSL_CONN_EOF:
    case MBEDTLS_ERR_SSL_BAD_INPUT_DATA:
        esp_tls_record_explain(&tls->records);
        break;
    case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
        ESP_LOGE(TAG, "no common TLS version: portls speaks TLS 1.2 and 1.3 only (SSL 3.0, TLS 1.0 and 1.1 "
                      "are refused), within the tls_version pin");
        break;
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
        ESP_LOGE(TAG, "the peer's certificate did not verify (see the verify flags)");
        break;
    default:
        break;
    }
    return ret;
}

static void record_verify_flags(esp_tls_t *tls)
{
    uint32_t flags = mbedtls_ssl_get_verify_result(&esp_tls_mbedtls_state(tls)->ssl);
    if (esp_tls_mbedtls_state(tls)->verify_peer && flags != 0 && flags != UINT32_MAX) {
        char text[256];
        mbedtls_x509_crt_verify_info(text, sizeof(text), "  ! ", flags);
        ESP_LOGE(TAG, "certificate verification failed, flags 0x%x:\n%s", (unsigned)flags, text);
        esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_MBEDTLS_CERT_FLAGS, (int)flags);
    }
}

/* A resumed handshake skips the certificate exchange; an external PSK skips it too, but is not a
 * resumption. The client also knows whether it offered a saved session. */
static bool handshake_resumed(const esp_tls_t *tls, const mbedtls_state_t *st)
{
    if (st->saw_certificate || st->external_psk) {
        return false;
    }
    return tls->role == ESP_TLS_SERVER || st->offered_session;
}

/* Client: whether the server asked for a certificate. The step that looks for a
 * CertificateRequest leaves the message it found in the input buffer. */
static void note_certificate_request(const esp_tls_t *tls, mbedtls_state_t *st, int from)
{
    if (tls->role != ESP_TLS_CLIENT || from != MBEDTLS_SSL_CERTIFICATE_REQUEST) {
        return;
    }
    const mbedtls_ssl_context *ssl = &st->ssl;
    st->cert_requested = ssl->in_msgtype == MBEDTLS_SSL_MSG_HANDSHAKE && message_in_buffer(ssl) &&
                         ssl->in_msg[0] == MBEDTLS_SSL_HS_CERTIFICATE_REQUEST;
    st->cert_sent = st->cert_requested && st->owncert != NULL; /* else an empty Certificate */
}

#ifdef CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT
/* Client: mbedTLS copies an offered session into the handshake, the record_size_limit its server
 * announced included, and keeps that limit if this server announces none. Only this handshake's
 * EncryptedExtensions may set it: it starts from none. */
static void forget_offered_record_size_limit(const esp_tls_t *tls, mbedtls_state_t *st, int from)
{
    if (tls->role == ESP_TLS_CLIENT && from == MBEDTLS_SSL_ENCRYPTED_EXTENSIONS) {
        st->ssl.session_negotiate->record_size_limit = 0;
    }
}
#else
static void forget_offered_record_size_limit(const esp_tls_t *tls, mbedtls_state_t *st, int from)
{
    (void)tls;
    (void)st;
    (void)from;
}
#endif

esp_err_t esp_tls_get_peer_record_size_limit(const esp_tls_t *tls, size_t *limit)
{
    if (tls == NULL || limit == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
#ifdef CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT
    if (!tls->is_tls || tls->conn_state != ESP_TLS_DONE || esp_tls_mbedtls_state(tls) == NULL) {
        return ESP_ERR_INVALID_STATE;
    }
    const mbedtls_ssl_context *ssl = &esp_tls_mbedtls_state(tls)->ssl;
    bool tls13 = mbedtls_ssl_get_version_number(ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
    *limit = tls13 ? ssl->session->record_size_limit : 0;
    return ESP_OK;
#else
    return ESP_ERR_NOT_SUPPORTED;
#endif
}

/* Steps through the handshake itself (mbedtls_ssl_handshake() is only this loop) to see which
 * states it passes. Not mbedtls_ssl_is_handshake_over(): it is already true in the TLS 1.3
 * server's NewSessionTicket states, and stopping there leaves the ticket unsent. */
static int esp_mbedtls_handshake(esp_tls_t *tls)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    while (st->ssl.state != MBEDTLS_SSL_HANDSHAKE_OVER) {
        int from = st->ssl.state;
        st->saw_certificate |= from == MBEDTLS_SSL_SERVER_CERTIFICATE;
        forget_offered_record_size_limit(tls, st, from);
        int ret = mbedtls_ssl_handshake_step(&st->ssl);
        if (ret == 0) {
            note_certificate_request(tls, st, from);
            esp_tls_mbedtls_free_after_step(tls, from, st->ssl.state);
        } else if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
            ret = explain_handshake_failure(tls, &st->ssl, ret); /* before the buffers shrink */
            esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED, ret);
            record_verify_flags(tls);
        }
        esp_tls_mbedtls_buffers_settle(tls);
        if (ret != 0) {
            return ret;
        }
    }
    tls->resumed = handshake_resumed(tls, st);
    esp_tls_mbedtls_free_after_handshake(tls);
    esp_tls_mbedtls_buffers_settle(tls);
    return 1;
}

/* ---- records ---- */

static int read_record(esp_tls_t *tls, unsigned char *data, size_t datalen)
{
    for (;;) {
        tls->io_blocked = false;
        int ret = mbedtls_ssl_read(&esp_tls_mbedtls_state(tls)->ssl, data, datalen);
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            esp_tls_mbedtls_state(tls)->ticket_arrived = true; /* a TLS 1.3 ticket, not data */
        } else if (ret != MBEDTLS_ERR_SSL_WANT_READ || tls->io_blocked) {
            return ret;
        }
        /* else mbedTLS parked a post-handshake message and wants another call, socket or not */
    }
}

int esp_tls_mbedtls_read_record(esp_tls_t *tls, unsigned char *data, size_t datalen)
{
    int ret = read_record(tls, data, datalen);
    if (ret < 0 && ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
        ret = name_alert(tls, &esp_tls_mbedtls_state(tls)->ssl, ret); /* before the buffers shrink */
    }
    esp_tls_mbedtls_buffers_settle(tls);
    return ret;
}

/* mbedTLS 3.6's read returns 0 for a close inside a record as for one between records; the
 * tracker tells them apart. */
static bool cut_mid_record(const esp_tls_t *tls, int ret)
{
    return (ret == 0 || ret == MBEDTLS_ERR_SSL_CONN_EOF) && tls->records.peer_closed &&
           esp_tls_record_mid_record(&tls->records);
}

/* A TLS 1.3 client whose certificate the server refuses gets the alert after its handshake. An
 * mbedTLS 3.6 server encrypts it under its handshake keys instead of its application keys, so
 * it fails to decrypt, and only the circumstances say what it was. */
static void explain_undecryptable(const esp_tls_t *tls, int ret)
{
    const mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    if (ret == MBEDTLS_ERR_SSL_INVALID_MAC && tls->role == ESP_TLS_CLIENT && st->cert_requested &&
        mbedtls_ssl_get_version_number(&st->ssl) == MBEDTLS_SSL_VERSION_TLS1_3) {
        ESP_LOGE(TAG, "a record from the server did not decrypt; the server asked for a client certificate "
                      "(%s), so it has probably refused the connection with an alert encrypted under the "
                      "wrong keys, as mbedTLS 3.6 servers do",
                 st->cert_sent ? "one was sent" : "none was sent");
    }
}

/* Logs and records a read that failed (an alert was named already). @return the code recorded.
 * A record longer than the input buffer is INVALID_RECORD, or BAD_INPUT_DATA where the buffer is
 * variable-length (CONFIG_MBEDTLS_DYNAMIC_BUFFER), as in the handshake. */
static int read_failed(esp_tls_t *tls, int ret)
{
    if (ret == MBEDTLS_ERR_SSL_INVALID_RECORD || ret == MBEDTLS_ERR_SSL_BAD_INPUT_DATA) {
        esp_tls_record_explain(&tls->records);
    }
    explain_undecryptable(tls, ret);
    esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_SSL_READ_FAILED, ret);
    return ret;
}

/* A close at a record boundary is the peer's end of the stream (0, with or without close_notify,
 * as in ESP-IDF); inside a record it is a truncation, an error, whenever it happens. */
static ssize_t esp_mbedtls_read(esp_tls_t *tls, char *data, size_t datalen)
{
    int ret = esp_tls_mbedtls_read_record(tls, (unsigned char *)data, datalen);
    if (cut_mid_record(tls, ret)) {
        esp_tls_record_explain(&tls->records);
        esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_SSL_READ_FAILED, MBEDTLS_ERR_SSL_CONN_EOF);
        return MBEDTLS_ERR_SSL_CONN_EOF;
    }
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF) {
        return 0;
    }
    if (ret >= 0 || ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return ret;
    }
    return read_failed(tls, ret);
}

static ssize_t write_records(esp_tls_t *tls, const char *data, size_t datalen)
{
    mbedtls_ssl_context *ssl = &esp_tls_mbedtls_state(tls)->ssl;
    int max = mbedtls_ssl_get_max_out_record_payload(ssl);
    size_t chunk = max > 0 ? (size_t)max : MBEDTLS_SSL_OUT_CONTENT_LEN;
    size_t written = 0;
    while (written < datalen) {
        size_t len = datalen - written < chunk ? datalen - written : chunk;
        int ret = mbedtls_ssl_write(ssl, (const unsigned char *)data + written, len);
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            /* a ticket that a read on esp_tls_get_ssl_context() left parked, taken now */
            esp_tls_mbedtls_state(tls)->ticket_arrived = true;
            continue;
        }
        if (ret <= 0) {
            if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
                esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_SSL_WRITE_FAILED, ret);
                return ret;
            }
            return written > 0 ? (ssize_t)written : ret;
        }
        written += (size_t)ret;
    }
    return (ssize_t)written;
}

static ssize_t esp_mbedtls_write(esp_tls_t *tls, const char *data, size_t datalen)
{
    ssize_t n = write_records(tls, data, datalen);
    esp_tls_mbedtls_buffers_settle(tls);
    return n;
}

static void esp_mbedtls_conn_delete(esp_tls_t *tls)
{
    if (tls->conn_state == ESP_TLS_DONE) {
        mbedtls_ssl_close_notify(&esp_tls_mbedtls_state(tls)->ssl); /* best effort: the peer may be gone */
    }
    esp_tls_mbedtls_state_free(tls);
}

static void *esp_mbedtls_get_ssl_context(esp_tls_t *tls)
{
    return &esp_tls_mbedtls_state(tls)->ssl;
}

static ssize_t esp_mbedtls_get_bytes_avail(esp_tls_t *tls)
{
    return (ssize_t)mbedtls_ssl_get_bytes_avail(&esp_tls_mbedtls_state(tls)->ssl);
}

const esp_tls_stack_ops_t esp_tls_mbedtls_ops = {
    .create_ssl_handle = esp_tls_mbedtls_create_client,
    .create_server_handle = esp_tls_mbedtls_create_server,
    .handshake = esp_mbedtls_handshake,
    .read = esp_mbedtls_read,
    .write = esp_mbedtls_write,
    .conn_delete = esp_mbedtls_conn_delete,
    .get_ssl_context = esp_mbedtls_get_ssl_context,
    .get_bytes_avail = esp_mbedtls_get_bytes_avail,
    .get_ciphersuites_list = mbedtls_ssl_list_ciphersuites,
};
