/* The mbedTLS client: server verification, the client's own certificate, SNI, and sessions. */
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "mbedtls/platform.h"

#include "esp_crt_bundle.h"
#include "esp_log.h"
#include "esp_tls_mbedtls.h"

static const char *TAG = "esp-tls-mbedtls";

static esp_err_t no_verification_option(esp_tls_t *tls)
{
#ifdef CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY
    ESP_LOGW(TAG, "INSECURE: no trust anchor configured; the server is NOT verified "
                  "(CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY)");
    mbedtls_ssl_conf_authmode(&esp_tls_mbedtls_state(tls)->conf, MBEDTLS_SSL_VERIFY_NONE);
    return ESP_OK;
#else
    ESP_LOGE(TAG, "No server verification option set in esp_tls_cfg_t: set cacert_buf, "
                  "crt_bundle_attach, use_global_ca_store or trust_store_path");
    return esp_tls_mbedtls_fail(tls, ESP_ERR_MBEDTLS_SSL_SETUP_FAILED);
#endif
}

static esp_err_t use_global_store(esp_tls_t *tls)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    st->ca_store = esp_tls_ca_store_acquire();
    if (st->ca_store == NULL) {
        ESP_LOGE(TAG, "use_global_ca_store is set, but there is no global CA store: call "
                      "esp_tls_set_global_ca_store() first");
        return esp_tls_mbedtls_fail(tls, ESP_ERR_INVALID_STATE);
    }
    mbedtls_ssl_conf_ca_chain(&st->conf, esp_tls_ca_store_chain(st->ca_store), NULL);
    return ESP_OK;
}

static esp_err_t use_cacert(esp_tls_t *tls, const unsigned char *buf, unsigned int len)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    esp_err_t err = esp_tls_mbedtls_parse_certs(tls, &st->cacert, buf, len);
    if (err == ESP_OK) {
        mbedtls_ssl_conf_ca_chain(&st->conf, st->cacert, NULL);
    }
    return err;
}

static esp_err_t use_trust_store(esp_tls_t *tls, const char *path)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    if (esp_tls_mbedtls_crt_new(tls, &st->cacert) != ESP_OK) {
        return ESP_ERR_NO_MEM;
    }
    struct stat sb;
    bool dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    int ret = dir ? mbedtls_x509_crt_parse_path(st->cacert, path) : mbedtls_x509_crt_parse_file(st->cacert, path);
    if (ret < 0 || st->cacert->raw.p == NULL) {
        ESP_LOGE(TAG, "no CA certificate could be read from trust_store_path %s", path);
        esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_X509_CRT_PARSE_FAILED, ret < 0 ? ret : MBEDTLS_ERR_X509_FILE_IO_ERROR);
        return ESP_ERR_MBEDTLS_X509_CRT_PARSE_FAILED;
    }
    mbedtls_ssl_conf_ca_chain(&st->conf, st->cacert, NULL);
    return ESP_OK;
}

/* A copy of the chain the server sent, from its leaf on. Without memory, none: the report only
 * lacks it. */
static void keep_chain(mbedtls_state_t *st, const mbedtls_x509_crt *leaf)
{
    st->unverified_chain = mbedtls_calloc(1, sizeof(*st->unverified_chain));
    if (st->unverified_chain == NULL) {
        return;
    }
    mbedtls_x509_crt_init(st->unverified_chain);
    for (const mbedtls_x509_crt *c = leaf; c != NULL && c->raw.len > 0; c = c->next) {
        if (mbedtls_x509_crt_parse_der(st->unverified_chain, c->raw.p, c->raw.len) != 0) {
            break;
        }
    }
}

/* mbedTLS calls this for each certificate of the path it built, the leaf (depth 0) last; the
 * leaf's next ones are the chain as the server sent it. It changes no verdict. */
static int watch_verification(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    mbedtls_state_t *st = ctx;
    st->chain_flags |= *flags;
    if (depth == 0) {
        if (st->chain_flags != 0 && st->unverified_chain == NULL) {
            keep_chain(st, crt);
        }
        st->chain_flags = 0;
    }
    return 0;
}

static esp_err_t use_bundle(esp_tls_t *tls, esp_err_t (*attach)(void *conf))
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    esp_err_t err = attach(&st->conf);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "crt_bundle_attach failed: %s", esp_err_to_name(err));
        return esp_tls_mbedtls_fail(tls, err);
    }
    /* esp_crt_bundle_attach()'s verify callback only stands in for its trusted-certificate
     * callback after a later mbedtls_ssl_conf_ca_chain(), which esp-tls never makes */
    if (attach == esp_crt_bundle_attach) {
        mbedtls_ssl_conf_verify(&st->conf, watch_verification, st);
    }
    return ESP_OK;
}

/* ESP-IDF's precedence: bundle > global store > cacert > (portls: trust store path) > PSK > none.
 * A PSK authenticates both ends by itself, so it does not set verify_peer. */
static esp_err_t set_server_verification(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    esp_err_t err;
    /* before the trust: an attach that sets its own verify callback replaces this one (but see
     * use_bundle()) */
    mbedtls_ssl_conf_verify(&esp_tls_mbedtls_state(tls)->conf, watch_verification, esp_tls_mbedtls_state(tls));
    if (cfg->crt_bundle_attach != NULL) {
        err = use_bundle(tls, cfg->crt_bundle_attach);
    } else if (cfg->use_global_ca_store) {
        err = use_global_store(tls);
    } else if (cfg->cacert_buf != NULL) {
        err = use_cacert(tls, cfg->cacert_buf, cfg->cacert_bytes);
    } else if (cfg->trust_store_path != NULL) {
        err = use_trust_store(tls, cfg->trust_store_path);
#ifdef CONFIG_ESP_TLS_PSK_VERIFICATION
    } else if (cfg->psk_hint_key != NULL) {
        return esp_tls_mbedtls_set_psk(tls, cfg->psk_hint_key);
#endif
    } else {
        return no_verification_option(tls);
    }
    if (err == ESP_OK) {
        mbedtls_ssl_conf_authmode(&esp_tls_mbedtls_state(tls)->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        esp_tls_mbedtls_state(tls)->verify_peer = true;
    }
    return err;
}

static esp_err_t set_client_cert(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    if (cfg->clientcert_buf == NULL && cfg->clientkey_buf == NULL) {
        return ESP_OK;
    }
    if (cfg->clientcert_buf == NULL || cfg->clientkey_buf == NULL) {
        ESP_LOGE(TAG, "a client certificate needs its key, and a key its certificate");
        return esp_tls_mbedtls_fail(tls, ESP_ERR_INVALID_STATE);
    }
    return esp_tls_mbedtls_set_own_cert(tls, cfg->clientcert_buf, cfg->clientcert_bytes, cfg->clientkey_buf,
                                        cfg->clientkey_bytes, cfg->clientkey_password, cfg->clientkey_password_len);
}

/* Pitfall 7: from 3.6.3 a verifying client must call set_hostname, with NULL to skip the check. */
static esp_err_t set_hostname(esp_tls_t *tls, const char *hostname, const esp_tls_cfg_t *cfg)
{
    const char *name = cfg->skip_common_name ? NULL : (cfg->common_name ? cfg->common_name : hostname);
    int ret = mbedtls_ssl_set_hostname(&esp_tls_mbedtls_state(tls)->ssl, name);
    if (ret != 0) {
        esp_tls_mbedtls_record(tls, ESP_ERR_MBEDTLS_SSL_SET_HOSTNAME_FAILED, ret);
        return ESP_ERR_MBEDTLS_SSL_SET_HOSTNAME_FAILED;
    }
    return ESP_OK;
}

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
/* Pitfall 4: without the signal, the 3.6 client drops TLS 1.3 tickets silently. */
static void enable_tickets(esp_tls_t *tls)
{
    mbedtls_ssl_config *conf = &esp_tls_mbedtls_state(tls)->conf;
    mbedtls_ssl_conf_session_tickets(conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
#ifdef MBEDTLS_SSL_PROTO_TLS1_3
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
}

/* A session the server may still refuse; if so the handshake is a full one, not an error. */
static void offer_session(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    if (cfg->client_session == NULL) {
        return;
    }
    int ret = mbedtls_ssl_set_session(&st->ssl, &cfg->client_session->saved_session);
    if (ret != 0) {
        ESP_LOGW(TAG, "the saved session cannot be offered (mbedTLS -0x%04X); doing a full handshake",
                 (unsigned)-ret);
        return;
    }
    st->offered_session = true;
}

/* Serializes the current session into st->session. mbedTLS exports a session once; after a
 * failed export (a second TLS 1.3 ticket) the previous copy stays, and it still resumes. */
static void export_session(mbedtls_state_t *st)
{
    mbedtls_ssl_session session;
    mbedtls_ssl_session_init(&session);
    size_t len = 0;
    unsigned char *blob = NULL;
    if (mbedtls_ssl_get_session(&st->ssl, &session) == 0 &&
        mbedtls_ssl_session_save(&session, NULL, 0, &len) == MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL &&
        (blob = mbedtls_calloc(1, len)) != NULL && mbedtls_ssl_session_save(&session, blob, len, &len) == 0) {
        mbedtls_free(st->session);
        st->session = blob;
        st->session_len = len;
        blob = NULL;
    }
    mbedtls_free(blob);
    mbedtls_ssl_session_free(&session);
}

/* Processes records already on the socket (a NewSessionTicket, say) without waiting and without
 * consuming application data: a zero-length read stops at the first application record. */
static void pump(esp_tls_t *tls)
{
    unsigned char none;
    tls->recv_flags = MSG_DONTWAIT;
    esp_tls_mbedtls_read_record(tls, &none, 0);
    tls->recv_flags = 0;
}

/* TLS 1.2: the handshake's session. TLS 1.3: only once a ticket has come, perhaps just now. */
static bool session_available(esp_tls_t *tls, mbedtls_state_t *st)
{
    if (mbedtls_ssl_get_version_number(&st->ssl) != MBEDTLS_SSL_VERSION_TLS1_3) {
        return true;
    }
    if (!st->ticket_arrived && st->session == NULL) {
        pump(tls);
    }
    return st->ticket_arrived || st->session != NULL;
}

esp_tls_client_session_t *esp_tls_get_client_session(esp_tls_t *tls)
{
    if (tls == NULL || tls->role != ESP_TLS_CLIENT || tls->conn_state != ESP_TLS_DONE || !tls->is_tls) {
        return NULL;
    }
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    esp_tls_heap_account_t *previous = esp_tls_heap_enter(tls->heap);
    if (session_available(tls, st) && (st->session == NULL || st->ticket_arrived)) {
        export_session(st);
        st->ticket_arrived = false;
    }
    esp_tls_heap_leave(previous); /* the copy below is the caller's, and outlives the connection */
    if (st->session == NULL) {
        return NULL;
    }
    esp_tls_client_session_t *out = mbedtls_calloc(1, sizeof(*out));
    if (out == NULL) {
        return NULL;
    }
    mbedtls_ssl_session_init(&out->saved_session);
    if (mbedtls_ssl_session_load(&out->saved_session, st->session, st->session_len) != 0) {
        esp_tls_free_client_session(out);
        return NULL;
    }
    return out;
}

void esp_tls_free_client_session(esp_tls_client_session_t *client_session)
{
    if (client_session != NULL) {
        mbedtls_ssl_session_free(&client_session->saved_session);
        mbedtls_free(client_session);
    }
}
#else
static void enable_tickets(esp_tls_t *tls)
{
    (void)tls;
}

static void offer_session(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    (void)tls;
    (void)cfg;
}

#endif

esp_err_t esp_tls_get_client_cert_info(const esp_tls_t *tls, esp_tls_client_cert_info_t *info)
{
    if (tls == NULL || info == NULL || tls->role != ESP_TLS_CLIENT || tls->stack_ctx == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    const mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    *info = (esp_tls_client_cert_info_t){ .requested = st->cert_requested, .sent = st->cert_sent };
    return ESP_OK;
}

static esp_err_t set_buffer_strategy(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
    if (cfg->esp_tls_dyn_buf_strategy != 0 && cfg->esp_tls_dyn_buf_strategy != ESP_TLS_DYN_BUF_RX_STATIC) {
        ESP_LOGE(TAG, "esp_tls_dyn_buf_strategy %d is not a strategy", (int)cfg->esp_tls_dyn_buf_strategy);
        return esp_tls_mbedtls_fail(tls, ESP_ERR_INVALID_ARG);
    }
    esp_tls_mbedtls_state(tls)->rx_static = cfg->esp_tls_dyn_buf_strategy == ESP_TLS_DYN_BUF_RX_STATIC;
#else
    (void)tls;
    (void)cfg;
#endif
    return ESP_OK;
}

esp_err_t esp_tls_mbedtls_create_client(const char *hostname, const esp_tls_cfg_t *cfg, esp_tls_t *tls)
{
    esp_err_t err = esp_tls_mbedtls_state_new(tls);
    if (err != ESP_OK) {
        return err;
    }
    err = esp_tls_mbedtls_conf_common(tls, MBEDTLS_SSL_IS_CLIENT, cfg->alpn_protos, cfg->ciphersuites_list,
                                      cfg->tls_version);
    if (err == ESP_OK) {
        enable_tickets(tls);
    }
    err = err ? err : set_buffer_strategy(tls, cfg);
    err = err ? err : set_server_verification(tls, cfg);
    err = err ? err : set_client_cert(tls, cfg);
    err = err ? err : esp_tls_mbedtls_setup(tls);
    err = err ? err : set_hostname(tls, hostname, cfg);
    if (err != ESP_OK) {
        esp_tls_mbedtls_state_free(tls);
        return err;
    }
    offer_session(tls, cfg);
    return ESP_OK;
}

const mbedtls_x509_crt *esp_tls_get_unverified_peer_chain(const esp_tls_t *tls)
{
    if (tls == NULL || tls->role != ESP_TLS_CLIENT || !tls->is_tls || esp_tls_mbedtls_state(tls) == NULL) {
        return NULL;
    }
    return esp_tls_mbedtls_state(tls)->unverified_chain;
}
