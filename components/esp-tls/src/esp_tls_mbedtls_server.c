/* The mbedTLS server: its identity (certificate, PSK or a selection hook), client verification
 * for mutual TLS, and session tickets. */
#include "mbedtls/platform.h"
#include "mbedtls/psa_util.h"

#include "esp_log.h"
#include "esp_tls_mbedtls.h"

static const char *TAG = "esp-tls-mbedtls";

/* With cacert_buf the client must present a certificate it signed (or may, when optional);
 * without, no certificate is asked for. */
static esp_err_t set_client_verification(esp_tls_t *tls, const esp_tls_cfg_server_t *cfg)
{
    mbedtls_state_t *st = esp_tls_mbedtls_state(tls);
    if (cfg->cacert_buf == NULL) {
        mbedtls_ssl_conf_authmode(&st->conf, MBEDTLS_SSL_VERIFY_NONE);
        return ESP_OK;
    }
    esp_err_t err = esp_tls_mbedtls_parse_certs(tls, &st->cacert, cfg->cacert_buf, cfg->cacert_bytes);
    if (err != ESP_OK) {
        return err;
    }
    int mode = MBEDTLS_SSL_VERIFY_REQUIRED;
#ifdef CONFIG_ESP_TLS_SERVER_MIN_AUTH_MODE_OPTIONAL
    mode = cfg->client_cert_authmode_optional ? MBEDTLS_SSL_VERIFY_OPTIONAL : mode;
#endif
    mbedtls_ssl_conf_ca_chain(&st->conf, st->cacert, NULL);
    mbedtls_ssl_conf_authmode(&st->conf, mode);
    st->verify_peer = true;
    return ESP_OK;
}

static bool has_cert_select_cb(const esp_tls_cfg_server_t *cfg)
{
#ifdef CONFIG_ESP_TLS_SERVER_CERT_SELECT_HOOK
    return cfg->cert_select_cb != NULL;
#else
    (void)cfg;
    return false;
#endif
}

/* ESP-IDF's precedence: certificate and key > PSK > a selection hook alone. */
static esp_err_t set_identity(esp_tls_t *tls, const esp_tls_cfg_server_t *cfg)
{
    if (cfg->servercert_buf != NULL && cfg->serverkey_buf != NULL) {
        return esp_tls_mbedtls_set_own_cert(tls, cfg->servercert_buf, cfg->servercert_bytes, cfg->serverkey_buf,
                                            cfg->serverkey_bytes, cfg->serverkey_password,
                                            cfg->serverkey_password_len);
    }
#ifdef CONFIG_ESP_TLS_PSK_VERIFICATION
    if (cfg->psk_hint_key != NULL) {
        return esp_tls_mbedtls_set_psk(tls, cfg->psk_hint_key);
    }
#endif
    if (has_cert_select_cb(cfg)) {
        return ESP_OK;
    }
    ESP_LOGE(TAG, "the server needs servercert_buf and serverkey_buf, psk_hint_key, or cert_select_cb");
    return esp_tls_mbedtls_fail(tls, ESP_ERR_INVALID_STATE);
}

static void set_hooks(esp_tls_t *tls, const esp_tls_cfg_server_t *cfg)
{
    mbedtls_ssl_config *conf = &esp_tls_mbedtls_state(tls)->conf;
    mbedtls_ssl_conf_set_user_data_p(conf, cfg->userdata);
#ifdef CONFIG_ESP_TLS_SERVER_CERT_SELECT_HOOK
    if (cfg->cert_select_cb != NULL) {
        mbedtls_ssl_conf_cert_cb(conf, cfg->cert_select_cb);
    }
#endif
#ifdef CONFIG_ESP_TLS_SERVER_SESSION_TICKETS
    if (cfg->ticket_ctx != NULL) {
        mbedtls_ssl_conf_session_tickets_cb(conf, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse,
                                            &cfg->ticket_ctx->ticket_ctx);
    }
#endif
}

esp_err_t esp_tls_mbedtls_create_server(const esp_tls_cfg_server_t *cfg, esp_tls_t *tls)
{
    esp_err_t err = esp_tls_mbedtls_state_new(tls);
    if (err != ESP_OK) {
        return err;
    }
    err = esp_tls_mbedtls_conf_common(tls, MBEDTLS_SSL_IS_SERVER, cfg->alpn_protos, cfg->ciphersuites_list,
                                      cfg->tls_version);
    err = err ? err : set_client_verification(tls, cfg);
    err = err ? err : set_identity(tls, cfg);
    if (err == ESP_OK) {
        set_hooks(tls, cfg);
        err = esp_tls_mbedtls_setup(tls);
    }
    if (err == ESP_OK) {
        mbedtls_ssl_set_user_data_p(&esp_tls_mbedtls_state(tls)->ssl, cfg->userdata);
    }
    if (err != ESP_OK) {
        esp_tls_mbedtls_state_free(tls);
    }
    return err;
}

#ifdef CONFIG_ESP_TLS_SERVER_SESSION_TICKETS
/* AES-256-GCM keys, rotated every lifetime, from PSA's RNG. */
static esp_err_t ticket_setup(esp_tls_server_session_ticket_ctx_t *ctx)
{
    mbedtls_ssl_ticket_init(&ctx->ticket_ctx);
    int ret = mbedtls_ssl_ticket_setup(&ctx->ticket_ctx, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE,
                                       MBEDTLS_CIPHER_AES_256_GCM, CONFIG_ESP_TLS_SERVER_SESSION_TICKET_TIMEOUT);
    if (ret == 0) {
        return ESP_OK;
    }
    ESP_LOGE(TAG, "mbedtls_ssl_ticket_setup failed: -0x%04X", (unsigned)-ret);
    mbedtls_ssl_ticket_free(&ctx->ticket_ctx);
    return ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? ESP_ERR_NO_MEM : ESP_ERR_MBEDTLS_SSL_TICKET_SETUP_FAILED;
}

esp_err_t esp_tls_cfg_server_session_tickets_init(esp_tls_cfg_server_t *cfg)
{
    if (cfg == NULL || cfg->ticket_ctx != NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!esp_tls_mbedtls_psa_ready()) {
        return ESP_ERR_MBEDTLS_SSL_TICKET_SETUP_FAILED;
    }
    esp_tls_server_session_ticket_ctx_t *ctx = mbedtls_calloc(1, sizeof(*ctx));
    esp_err_t err = ctx ? ticket_setup(ctx) : ESP_ERR_NO_MEM;
    if (err != ESP_OK) {
        mbedtls_free(ctx);
        return err;
    }
    cfg->ticket_ctx = ctx;
    return ESP_OK;
}

/* ESP-IDF frees the keys but leaks the allocation and leaves the pointer dangling. */
void esp_tls_cfg_server_session_tickets_free(esp_tls_cfg_server_t *cfg)
{
    if (cfg == NULL || cfg->ticket_ctx == NULL) {
        return;
    }
    mbedtls_ssl_ticket_free(&cfg->ticket_ctx->ticket_ctx);
    mbedtls_free(cfg->ticket_ctx);
    cfg->ticket_ctx = NULL;
}
#else
esp_err_t esp_tls_cfg_server_session_tickets_init(esp_tls_cfg_server_t *cfg)
{
    (void)cfg;
    ESP_LOGE(TAG, "server session tickets need CONFIG_ESP_TLS_SERVER_SESSION_TICKETS");
    return ESP_ERR_NOT_SUPPORTED;
}

void esp_tls_cfg_server_session_tickets_free(esp_tls_cfg_server_t *cfg)
{
    (void)cfg;
}
#endif
