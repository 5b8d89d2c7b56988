/* The mbedTLS 3.6 engine: client configuration, handshake, record I/O over our own socket BIO. */
/* The received alert has no public getter in 3.6; portls pins 3.6, so it reads the field. */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mbedtls/debug.h"
#include "mbedtls/error.h"
#include "mbedtls/net_sockets.h"
#include "mbedtls/platform.h"
#include "mbedtls/ssl_ciphersuites.h"
#include "mbedtls/psa_util.h"
#include "psa/crypto.h"

#include "esp_log.h"
#include "esp_tls_private.h"

static const char *TAG = "esp-tls-mbedtls";

typedef struct {
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt cacert;
    mbedtls_x509_crt clientcert;
    mbedtls_pk_context clientkey;
    bool verify_peer; /* a trust anchor is configured: verify flags are worth recording */
} mbedtls_state_t;

static mbedtls_state_t *state_of(esp_tls_t *tls)
{
    return tls->stack_ctx;
}

/* Pitfall 6: initialise PSA once, up front, so the first handshake does not carry it; free it
 * at exit so leak checkers see nothing in use. */
static psa_status_t psa_status = PSA_ERROR_BAD_STATE;
static pthread_once_t psa_once = PTHREAD_ONCE_INIT;

static void psa_release(void)
{
    mbedtls_psa_crypto_free();
}

static void psa_start(void)
{
    psa_status = psa_crypto_init();
    if (psa_status == PSA_SUCCESS) {
        atexit(psa_release);
    }
}

static void record_mbedtls(esp_tls_t *tls, esp_err_t err, int mbedtls_ret)
{
    char text[128];
    mbedtls_strerror(mbedtls_ret, text, sizeof(text));
    ESP_LOGE(TAG, "%s: mbedTLS -0x%04X (%s)", esp_err_to_name(err), (unsigned)-mbedtls_ret, text);
    esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_MBEDTLS, -mbedtls_ret);
    esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, err);
}

/* ---- socket BIO: MSG_NOSIGNAL so a dead peer never raises SIGPIPE; EAGAIN (also an expired
 * SO_RCVTIMEO on a blocking socket, as in ESP-IDF) means "call again". ---- */

static int bio_error(esp_tls_t *tls, bool sending)
{
    int e = errno;
    if (e == EAGAIN || e == EWOULDBLOCK) {
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
        n = recv(tls->sockfd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    return n >= 0 ? (int)n : bio_error(tls, false);
}

#ifdef CONFIG_MBEDTLS_DEBUG
static void debug_log(void *ctx, int level, const char *file, int line, const char *msg)
{
    (void)ctx;
    (void)level;
    ESP_LOGD("mbedtls", "%s:%d %.*s", file, line, (int)strcspn(msg, "\n"), msg);
}
#endif

/* ---- configuration ---- */

static esp_err_t parse_certs(esp_tls_t *tls, mbedtls_x509_crt *crt, const unsigned char *buf, unsigned int len)
{
    int ret = mbedtls_x509_crt_parse(crt, buf, len);
    if (ret < 0) {
        record_mbedtls(tls, ESP_ERR_MBEDTLS_X509_CRT_PARSE_FAILED, ret);
        return ESP_ERR_MBEDTLS_X509_CRT_PARSE_FAILED;
    }
    if (ret > 0) {
        ESP_LOGW(TAG, "%d certificate(s) in the buffer did not parse and are ignored", ret);
    }
    return ESP_OK;
}

static esp_err_t set_version(esp_tls_t *tls, esp_tls_proto_ver_t version)
{
    mbedtls_ssl_config *conf = &state_of(tls)->conf;
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
#else
        ESP_LOGW(TAG, "TLS 1.3 is not in this build (CONFIG_MBEDTLS_SSL_PROTO_TLS1_3); using the default");
#endif
        return ESP_OK;
    default:
        ESP_LOGE(TAG, "tls_version %d is not a TLS version", (int)version);
        esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_INVALID_ARG);
        return ESP_ERR_INVALID_ARG;
    }
}

static esp_err_t no_verification_option(esp_tls_t *tls)
{
#ifdef CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY
    ESP_LOGW(TAG, "INSECURE: no trust anchor configured; the server is NOT verified "
                  "(CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY)");
    mbedtls_ssl_conf_authmode(&state_of(tls)->conf, MBEDTLS_SSL_VERIFY_NONE);
    return ESP_OK;
#else
    ESP_LOGE(TAG, "No server verification option set in esp_tls_cfg_t: set cacert_buf, "
                  "crt_bundle_attach or use_global_ca_store");
    esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_MBEDTLS_SSL_SETUP_FAILED);
    return ESP_ERR_MBEDTLS_SSL_SETUP_FAILED;
#endif
}

static esp_err_t not_yet_supported(esp_tls_t *tls, const char *what)
{
    ESP_LOGE(TAG, "%s is not supported by this portls version", what);
    esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_NOT_SUPPORTED);
    return ESP_ERR_NOT_SUPPORTED;
}

/* ESP-IDF's precedence: bundle > global store > cacert > PSK > none. */
static esp_err_t set_server_verification(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    mbedtls_state_t *st = state_of(tls);
    esp_err_t err;
    if (cfg->crt_bundle_attach != NULL) {
        err = cfg->crt_bundle_attach(&st->conf);
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "crt_bundle_attach failed: %s", esp_err_to_name(err));
            esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, err);
            return err;
        }
    } else if (cfg->use_global_ca_store) {
        return not_yet_supported(tls, "use_global_ca_store");
    } else if (cfg->cacert_buf != NULL) {
        err = parse_certs(tls, &st->cacert, cfg->cacert_buf, cfg->cacert_bytes);
        if (err != ESP_OK) {
            return err;
        }
        mbedtls_ssl_conf_ca_chain(&st->conf, &st->cacert, NULL);
    } else if (cfg->psk_hint_key != NULL) {
        return not_yet_supported(tls, "psk_hint_key");
    } else {
        return no_verification_option(tls);
    }
    mbedtls_ssl_conf_authmode(&st->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    st->verify_peer = true;
    return ESP_OK;
}

static esp_err_t set_client_cert(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    mbedtls_state_t *st = state_of(tls);
    if (cfg->clientcert_buf == NULL && cfg->clientkey_buf == NULL) {
        return ESP_OK;
    }
    if (cfg->clientcert_buf == NULL || cfg->clientkey_buf == NULL) {
        ESP_LOGE(TAG, "a client certificate needs its key, and a key its certificate");
        esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_INVALID_STATE);
        return ESP_ERR_INVALID_STATE;
    }
    esp_err_t err = parse_certs(tls, &st->clientcert, cfg->clientcert_buf, cfg->clientcert_bytes);
    if (err != ESP_OK) {
        return err;
    }
    int ret = mbedtls_pk_parse_key(&st->clientkey, cfg->clientkey_buf, cfg->clientkey_bytes,
                                   cfg->clientkey_password, cfg->clientkey_password_len,
                                   mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
    if (ret != 0) {
        record_mbedtls(tls, ESP_ERR_MBEDTLS_PK_PARSE_KEY_FAILED, ret);
        return ESP_ERR_MBEDTLS_PK_PARSE_KEY_FAILED;
    }
    ret = mbedtls_ssl_conf_own_cert(&st->conf, &st->clientcert, &st->clientkey);
    if (ret != 0) {
        record_mbedtls(tls, ESP_ERR_MBEDTLS_SSL_CONF_OWN_CERT_FAILED, ret);
        return ESP_ERR_MBEDTLS_SSL_CONF_OWN_CERT_FAILED;
    }
    return ESP_OK;
}

static esp_err_t set_protocol_options(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    mbedtls_ssl_config *conf = &state_of(tls)->conf;
    int ret = mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        record_mbedtls(tls, ESP_ERR_MBEDTLS_SSL_CONFIG_DEFAULTS_FAILED, ret);
        return ESP_ERR_MBEDTLS_SSL_CONFIG_DEFAULTS_FAILED;
    }
    mbedtls_ssl_conf_rng(conf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
    if (cfg->alpn_protos != NULL && (ret = mbedtls_ssl_conf_alpn_protocols(conf, cfg->alpn_protos)) != 0) {
        record_mbedtls(tls, ESP_ERR_MBEDTLS_SSL_CONF_ALPN_PROTOCOLS_FAILED, ret);
        return ESP_ERR_MBEDTLS_SSL_CONF_ALPN_PROTOCOLS_FAILED;
    }
    if (cfg->ciphersuites_list != NULL) {
        mbedtls_ssl_conf_ciphersuites(conf, cfg->ciphersuites_list);
    }
#ifdef CONFIG_MBEDTLS_DEBUG
    mbedtls_ssl_conf_dbg(conf, debug_log, NULL);
    mbedtls_debug_set_threshold(CONFIG_MBEDTLS_DEBUG_LEVEL);
#endif
    return set_version(tls, cfg->tls_version);
}

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
static esp_err_t check_session(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    return cfg->client_session ? not_yet_supported(tls, "client_session") : ESP_OK;
}
#else
static esp_err_t check_session(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    (void)tls;
    (void)cfg;
    return ESP_OK;
}
#endif

/* Pitfall 7: from 3.6.3 a verifying client must call set_hostname, with NULL to skip the check. */
static esp_err_t set_hostname(esp_tls_t *tls, const char *hostname, const esp_tls_cfg_t *cfg)
{
    const char *name = cfg->skip_common_name ? NULL : (cfg->common_name ? cfg->common_name : hostname);
    int ret = mbedtls_ssl_set_hostname(&state_of(tls)->ssl, name);
    if (ret != 0) {
        record_mbedtls(tls, ESP_ERR_MBEDTLS_SSL_SET_HOSTNAME_FAILED, ret);
        return ESP_ERR_MBEDTLS_SSL_SET_HOSTNAME_FAILED;
    }
    return ESP_OK;
}

static void mbedtls_conn_free(esp_tls_t *tls)
{
    mbedtls_state_t *st = state_of(tls);
    mbedtls_ssl_free(&st->ssl);
    mbedtls_ssl_config_free(&st->conf);
    mbedtls_x509_crt_free(&st->cacert);
    mbedtls_x509_crt_free(&st->clientcert);
    mbedtls_pk_free(&st->clientkey);
    mbedtls_free(st);
    tls->stack_ctx = NULL;
}

static esp_err_t mbedtls_create_ssl_handle(const char *hostname, const esp_tls_cfg_t *cfg, esp_tls_t *tls)
{
    pthread_once(&psa_once, psa_start);
    if (psa_status != PSA_SUCCESS) {
        ESP_LOGE(TAG, "psa_crypto_init failed: %d", (int)psa_status);
        esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_MBEDTLS_CTR_DRBG_SEED_FAILED);
        return ESP_ERR_MBEDTLS_CTR_DRBG_SEED_FAILED;
    }
    mbedtls_state_t *st = mbedtls_calloc(1, sizeof(*st));
    if (st == NULL) {
        esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_NO_MEM);
        return ESP_ERR_NO_MEM;
    }
    tls->stack_ctx = st;
    mbedtls_ssl_init(&st->ssl);
    mbedtls_ssl_config_init(&st->conf);
    mbedtls_x509_crt_init(&st->cacert);
    mbedtls_x509_crt_init(&st->clientcert);
    mbedtls_pk_init(&st->clientkey);

    esp_err_t err = set_protocol_options(tls, cfg);
    err = err ? err : check_session(tls, cfg);
    err = err ? err : set_server_verification(tls, cfg);
    err = err ? err : set_client_cert(tls, cfg);
    if (err == ESP_OK) {
        int ret = mbedtls_ssl_setup(&st->ssl, &st->conf);
        if (ret != 0) {
            record_mbedtls(tls, ESP_ERR_MBEDTLS_SSL_SETUP_FAILED, ret);
            err = ESP_ERR_MBEDTLS_SSL_SETUP_FAILED;
        }
    }
    err = err ? err : set_hostname(tls, hostname, cfg);
    if (err != ESP_OK) {
        mbedtls_conn_free(tls);
        return err;
    }
    mbedtls_ssl_set_bio(&st->ssl, tls, bio_send, bio_recv, NULL);
    return ESP_OK;
}

/* ---- handshake ---- */

/* The description of a fatal alert the peer just sent, or -1. */
static int received_alert(const mbedtls_ssl_context *ssl)
{
    if (ssl->in_msgtype != MBEDTLS_SSL_MSG_ALERT || ssl->in_msg == NULL) {
        return -1;
    }
    return ssl->in_msg[1];
}

/* Says in plain words why the handshake failed, and returns the mbedTLS code to record: a
 * protocol_version alert is recorded as BAD_PROTOCOL_VERSION, which is what it means. */
static int explain_handshake_failure(const mbedtls_ssl_context *ssl, int ret)
{
    int alert = ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE ? received_alert(ssl) : -1;
    if (alert == MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION) {
        ret = MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION;
    }
    switch (ret) {
    case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
        ESP_LOGE(TAG, "no common TLS version: portls speaks TLS 1.2 and 1.3 only (SSL 3.0, TLS 1.0 and 1.1 "
                      "are refused), within the tls_version pin");
        break;
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
        ESP_LOGE(TAG, "the server certificate did not verify (see the verify flags)");
        break;
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
        ESP_LOGE(TAG, "the server ended the handshake with fatal alert %d", alert);
        break;
    default:
        break;
    }
    return ret;
}

static void record_verify_flags(esp_tls_t *tls)
{
    uint32_t flags = mbedtls_ssl_get_verify_result(&state_of(tls)->ssl);
    if (state_of(tls)->verify_peer && flags != 0 && flags != UINT32_MAX) {
        char text[256];
        mbedtls_x509_crt_verify_info(text, sizeof(text), "  ! ", flags);
        ESP_LOGE(TAG, "certificate verification failed, flags 0x%x:\n%s", (unsigned)flags, text);
        esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_MBEDTLS_CERT_FLAGS, (int)flags);
    }
}

static int mbedtls_handshake(esp_tls_t *tls)
{
    int ret = mbedtls_ssl_handshake(&state_of(tls)->ssl);
    if (ret == 0) {
        return 1;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return ret;
    }
    ret = explain_handshake_failure(&state_of(tls)->ssl, ret);
    record_mbedtls(tls, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED, ret);
    record_verify_flags(tls);
    return -1;
}

/* ---- records ---- */

static ssize_t mbedtls_read(esp_tls_t *tls, char *data, size_t datalen)
{
    for (;;) {
        int ret = mbedtls_ssl_read(&state_of(tls)->ssl, (unsigned char *)data, datalen);
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            continue; /* a TLS 1.3 ticket, not application data */
        }
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF) {
            return 0;
        }
        if (ret < 0 && ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
            record_mbedtls(tls, ESP_ERR_MBEDTLS_SSL_READ_FAILED, ret);
        }
        return ret;
    }
}

static ssize_t mbedtls_write(esp_tls_t *tls, const char *data, size_t datalen)
{
    mbedtls_ssl_context *ssl = &state_of(tls)->ssl;
    int max = mbedtls_ssl_get_max_out_record_payload(ssl);
    size_t chunk = max > 0 ? (size_t)max : MBEDTLS_SSL_OUT_CONTENT_LEN;
    size_t written = 0;
    while (written < datalen) {
        size_t len = datalen - written < chunk ? datalen - written : chunk;
        int ret = mbedtls_ssl_write(ssl, (const unsigned char *)data + written, len);
        if (ret <= 0) {
            if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
                record_mbedtls(tls, ESP_ERR_MBEDTLS_SSL_WRITE_FAILED, ret);
                return ret;
            }
            return written > 0 ? (ssize_t)written : ret;
        }
        written += (size_t)ret;
    }
    return (ssize_t)written;
}

static void mbedtls_conn_delete(esp_tls_t *tls)
{
    if (tls->conn_state == ESP_TLS_DONE) {
        mbedtls_ssl_close_notify(&state_of(tls)->ssl); /* best effort: the peer may be gone */
    }
    mbedtls_conn_free(tls);
}

static void *mbedtls_get_ssl_context(esp_tls_t *tls)
{
    return &state_of(tls)->ssl;
}

static ssize_t mbedtls_get_bytes_avail(esp_tls_t *tls)
{
    return (ssize_t)mbedtls_ssl_get_bytes_avail(&state_of(tls)->ssl);
}

const esp_tls_stack_ops_t esp_tls_mbedtls_ops = {
    .create_ssl_handle = mbedtls_create_ssl_handle,
    .handshake = mbedtls_handshake,
    .read = mbedtls_read,
    .write = mbedtls_write,
    .conn_delete = mbedtls_conn_delete,
    .get_ssl_context = mbedtls_get_ssl_context,
    .get_bytes_avail = mbedtls_get_bytes_avail,
    .get_ciphersuites_list = mbedtls_ssl_list_ciphersuites,
};
