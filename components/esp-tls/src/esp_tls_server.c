/*
 * Server sessions on a socket the caller accepted. The caller keeps the socket: delete frees the
 * session, never the descriptor. The same state machine fields as the client: HANDSHAKE until
 * the engine says done, then DONE, and esp_tls_conn_read/write work.
 */
#include <errno.h>
#include <fcntl.h>

#include "mbedtls/platform.h"
#include "mbedtls/ssl.h"

#include "esp_log.h"
#include "esp_tls_private.h"

static const char *TAG = "esp-tls-server";

static esp_err_t init_failed(esp_tls_t *tls, esp_err_t err)
{
    tls->conn_state = ESP_TLS_FAIL;
    tls->sockfd = -1; /* the caller's socket: never closed by us */
    return err;
}

static esp_err_t check_init_args(const esp_tls_cfg_server_t *cfg, int sockfd, esp_tls_t *tls)
{
    if (cfg == NULL || tls == NULL || sockfd < 0 || tls->stack_ctx != NULL) {
        ESP_LOGE(TAG, "a configuration, an accepted socket and an unused handle are required");
        return ESP_ERR_INVALID_ARG;
    }
    if (cfg->use_ecdsa_peripheral || cfg->use_secure_element) {
        ESP_LOGE(TAG, "secure element and ECDSA peripheral exist only on ESP32 chips");
        esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_NOT_SUPPORTED);
        return init_failed(tls, ESP_ERR_NOT_SUPPORTED);
    }
    return ESP_OK;
}

static esp_err_t session_init(esp_tls_cfg_server_t *cfg, int sockfd, esp_tls_t *tls)
{
    tls->role = ESP_TLS_SERVER;
    tls->sockfd = sockfd;
    tls->is_tls = true;
    tls->stack = &esp_tls_mbedtls_ops;
    tls->timing = (esp_tls_conn_timing_t){ 0 };
    tls->phase_start_us = esp_timer_get_time();
    if (tls->stack->create_server_handle(cfg, tls) != ESP_OK) {
        return init_failed(tls, ESP_FAIL);
    }
    tls->conn_state = ESP_TLS_HANDSHAKE;
    return ESP_OK;
}

esp_err_t esp_tls_server_session_init(esp_tls_cfg_server_t *cfg, int sockfd, esp_tls_t *tls)
{
    esp_err_t err = check_init_args(cfg, sockfd, tls);
    if (err != ESP_OK) {
        return err;
    }
    esp_tls_heap_account_t *previous = esp_tls_heap_enter(tls->heap);
    err = session_init(cfg, sockfd, tls);
    esp_tls_heap_leave(previous);
    return err;
}

static int handshake_step(esp_tls_t *tls)
{
    if (tls->conn_state == ESP_TLS_DONE) {
        return 0;
    }
    if (tls->conn_state != ESP_TLS_HANDSHAKE) {
        return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    }
    int rc = tls->stack->handshake(tls);
    if (rc == 1) {
        tls->timing.handshake_us = esp_timer_get_time() - tls->phase_start_us;
        tls->conn_state = ESP_TLS_DONE;
        return 0;
    }
    if (rc != ESP_TLS_ERR_SSL_WANT_READ && rc != ESP_TLS_ERR_SSL_WANT_WRITE) {
        tls->conn_state = ESP_TLS_FAIL;
    }
    return rc;
}

int esp_tls_server_session_continue_async(esp_tls_t *tls)
{
    if (tls == NULL || tls->role != ESP_TLS_SERVER) {
        return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    }
    esp_tls_heap_account_t *previous = esp_tls_heap_enter(tls->heap);
    int rc = handshake_step(tls);
    esp_tls_heap_leave(previous);
    return rc;
}

static int handshake_timed_out(esp_tls_t *tls)
{
    ESP_LOGE(TAG, "the client did not complete the handshake in time");
    esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_ESP_TLS_SERVER_HANDSHAKE_TIMEOUT);
    tls->conn_state = ESP_TLS_FAIL;
    return ESP_ERR_ESP_TLS_SERVER_HANDSHAKE_TIMEOUT;
}

/* Waits for what the handshake step asked for. @return false once the deadline has passed. */
static bool wait_for_socket(const esp_tls_t *tls, int want, esp_deadline_t deadline)
{
    int left_ms = esp_deadline_ms_left(deadline);
    if (left_ms == 0) {
        return false;
    }
    struct pollfd pfd = { .fd = tls->sockfd, .events = want == ESP_TLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT };
    return poll(&pfd, 1, left_ms) != 0 || !esp_deadline_expired(deadline);
}

/* Runs the handshake on a non-blocking socket, waiting in poll() against the deadline, so a
 * stalled client cannot hold a blocking socket past it. */
static int handshake_until(esp_tls_t *tls, esp_deadline_t deadline)
{
    int rc;
    while ((rc = esp_tls_server_session_continue_async(tls)) == ESP_TLS_ERR_SSL_WANT_READ ||
           rc == ESP_TLS_ERR_SSL_WANT_WRITE) {
        if (!wait_for_socket(tls, rc, deadline)) {
            return handshake_timed_out(tls);
        }
    }
    return rc;
}

int esp_tls_server_session_create(esp_tls_cfg_server_t *cfg, int sockfd, esp_tls_t *tls)
{
    esp_err_t err = esp_tls_server_session_init(cfg, sockfd, tls);
    if (err != ESP_OK) {
        return err;
    }
    uint32_t timeout_ms = cfg->tls_handshake_timeout_ms ? cfg->tls_handshake_timeout_ms : ESP_TLS_DEFAULT_TIMEOUT_MS;
    int flags = fcntl(sockfd, F_GETFL, 0);
    if (flags < 0 || fcntl(sockfd, F_SETFL, flags | O_NONBLOCK) < 0) {
        esp_tls_error_capture_errno(&tls->error.parent, ESP_ERR_ESP_TLS_SOCKET_SETOPT_FAILED, errno);
        tls->conn_state = ESP_TLS_FAIL;
        return ESP_ERR_ESP_TLS_SOCKET_SETOPT_FAILED;
    }
    int rc = handshake_until(tls, esp_deadline_in_ms(timeout_ms));
    fcntl(sockfd, F_SETFL, flags); /* the caller's mode again */
    return rc;
}

void esp_tls_server_session_delete(esp_tls_t *tls)
{
    if (tls == NULL) {
        return;
    }
    esp_tls_heap_account_t *account = tls->heap;
    esp_tls_heap_account_t *previous = esp_tls_heap_enter(account);
    if (tls->stack_ctx != NULL) {
        tls->stack->conn_delete(tls);
    }
    mbedtls_free(tls);
    esp_tls_heap_leave(previous);
    esp_tls_heap_account_release(account);
}
