/*
 * The connect state machine and the public calls. One step never blocks, DNS included (c-ares,
 * esp_tls_dns.c): it returns 1 connected, 0 waiting (for the resolver, or for tls->wait_events
 * on the socket), or -1 failed. The sync call waits between steps against one deadline, the
 * async call returns between them; so both honour timeout_ms the same way, and the socket stays
 * non-blocking until the handshake is over.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mbedtls/platform.h"

#include "esp_log.h"
#include "esp_tls_private.h"
#include "esp_url.h"

static const char *TAG = "esp-tls";

esp_tls_t *esp_tls_init(void)
{
    esp_tls_heap_account_t *account = esp_tls_heap_account_new();
    if (account == NULL) {
        return NULL;
    }
    esp_tls_heap_account_t *previous = esp_tls_heap_enter(account); /* the handle counts too */
    esp_tls_t *tls = mbedtls_calloc(1, sizeof(*tls));
    esp_tls_heap_leave(previous);
    if (tls == NULL) {
        esp_tls_heap_account_release(account);
        return NULL;
    }
    tls->sockfd = -1;
    tls->role = ESP_TLS_CLIENT;
    tls->heap = account;
    return tls;
}

static int fail(esp_tls_t *tls, esp_err_t err)
{
    if (err != ESP_OK) {
        esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_ESP, err);
    }
    tls->conn_state = ESP_TLS_FAIL;
    return -1;
}

static void phase_done(esp_tls_t *tls, int64_t *phase_us)
{
    int64_t now = esp_timer_get_time();
    *phase_us = now - tls->phase_start_us;
    tls->phase_start_us = now;
}

/* Fields that name hardware an ESP32 has and a host does not. */
static bool wants_chip_hardware(const esp_tls_cfg_t *cfg)
{
    return cfg->use_ecdsa_peripheral || cfg->use_secure_element || cfg->ds_data != NULL;
}

static int finish_connect(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    esp_err_t err = esp_tls_tcp_set_blocking(tls->sockfd, !cfg->non_block, &tls->error.parent);
    if (err != ESP_OK) {
        return fail(tls, ESP_OK);
    }
    tls->conn_state = ESP_TLS_DONE;
    return 1;
}

static void release_addresses(esp_tls_t *tls)
{
    esp_tls_dns_free(tls->dns);
    tls->dns = NULL;
}

/* Starts connecting to the next address the resolver gave. ESP-IDF tries only the first. */
static int start_next_address(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    if (esp_tls_tcp_start_next(tls->dns, cfg, &tls->error.parent, &tls->sockfd) != ESP_OK) {
        release_addresses(tls);
        return fail(tls, ESP_OK);
    }
    tls->phase_start_us = esp_timer_get_time();
    tls->conn_state = ESP_TLS_CONNECTING;
    tls->wait_events = POLLOUT;
    return 0;
}

/* Whatever the resolver has ready; the first address's connect once the answer is in. */
static int step_resolving(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    esp_err_t err = esp_tls_dns_step(tls->dns, &tls->error.parent);
    if (err == ESP_ERR_NOT_FINISHED) {
        return 0;
    }
    phase_done(tls, &tls->timing.dns_us);
    if (err != ESP_OK) {
        release_addresses(tls);
        return fail(tls, ESP_OK);
    }
    return start_next_address(tls, cfg);
}

static int step_init(esp_tls_t *tls, const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg)
{
    if (wants_chip_hardware(cfg)) {
        ESP_LOGE(TAG, "secure element, DS and ECDSA peripherals exist only on ESP32 chips");
        return fail(tls, ESP_ERR_NOT_SUPPORTED);
    }
    tls->phase_start_us = esp_timer_get_time();
    tls->connect_deadline = esp_deadline_in_ms(esp_tls_timeout_ms(cfg));
    tls->timing = (esp_tls_conn_timing_t){ 0 };
    tls->is_tls = !cfg->is_plain_tcp;
    if (esp_tls_dns_start(host, hostlen, port, cfg, &tls->error.parent, &tls->dns) != ESP_OK) {
        return fail(tls, ESP_OK);
    }
    tls->conn_state = ESP_TLS_CONNECTING;
    return step_resolving(tls, cfg);
}

static int step_handshake(esp_tls_t *tls, const esp_tls_cfg_t *cfg)
{
    int rc = tls->stack->handshake(tls);
    if (rc == 1) {
        phase_done(tls, &tls->timing.handshake_us);
        return finish_connect(tls, cfg);
    }
    if (rc == ESP_TLS_ERR_SSL_WANT_READ || rc == ESP_TLS_ERR_SSL_WANT_WRITE) {
        tls->wait_events = rc == ESP_TLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT;
        return 0;
    }
    phase_done(tls, &tls->timing.handshake_us); /* a failed phase took time too */
    return fail(tls, ESP_OK);
}

static int step_connecting(esp_tls_t *tls, const char *host, int hostlen, const esp_tls_cfg_t *cfg)
{
    if (esp_tls_dns_in_progress(tls->dns)) {
        return step_resolving(tls, cfg);
    }
    struct pollfd pfd = { .fd = tls->sockfd, .events = POLLOUT };
    if (poll(&pfd, 1, 0) == 0) {
        tls->wait_events = POLLOUT;
        return 0;
    }
    if (esp_tls_tcp_connect_result(tls->sockfd, &tls->error.parent) != ESP_OK) {
        phase_done(tls, &tls->timing.tcp_us); /* the last address's, if none is left */
        close(tls->sockfd);
        tls->sockfd = -1;
        return start_next_address(tls, cfg); /* fails, keeping this failure, when none is left */
    }
    release_addresses(tls);
    phase_done(tls, &tls->timing.tcp_us);
    if (!tls->is_tls) {
        return finish_connect(tls, cfg);
    }
    char *name = esp_tls_heap_strndup(host, (size_t)hostlen);
    if (name == NULL) {
        return fail(tls, ESP_ERR_NO_MEM);
    }
    tls->stack = &esp_tls_mbedtls_ops;
    esp_err_t err = tls->stack->create_ssl_handle(name, cfg, tls);
    mbedtls_free(name);
    if (err != ESP_OK) {
        return fail(tls, ESP_OK);
    }
    tls->conn_state = ESP_TLS_HANDSHAKE;
    return step_handshake(tls, cfg);
}

static int conn_step(esp_tls_t *tls, const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg)
{
    switch (tls->conn_state) {
    case ESP_TLS_INIT:
        return step_init(tls, host, hostlen, port, cfg);
    case ESP_TLS_CONNECTING:
        return step_connecting(tls, host, hostlen, cfg);
    case ESP_TLS_HANDSHAKE:
        return step_handshake(tls, cfg);
    case ESP_TLS_DONE:
        return 1;
    default:
        return -1;
    }
}

/* The deadline passed: in DNS, the name could not be resolved in time; after it, the connect
 * or the handshake timed out. */
static int connection_timed_out(esp_tls_t *tls)
{
    if (esp_tls_dns_in_progress(tls->dns)) {
        phase_done(tls, &tls->timing.dns_us);
        esp_tls_dns_timed_out(tls->dns, &tls->error.parent);
        release_addresses(tls);
        return fail(tls, ESP_OK);
    }
    phase_done(tls, tls->conn_state == ESP_TLS_HANDSHAKE ? &tls->timing.handshake_us : &tls->timing.tcp_us);
    ESP_LOGE(TAG, "connection timed out");
    return fail(tls, ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT);
}

/* Waits at most wait_ms for what the current step waits on. @return > 0 if it is ready. */
static int wait_for_step(esp_tls_t *tls, int wait_ms)
{
    if (esp_tls_dns_in_progress(tls->dns)) {
        return esp_tls_dns_wait(tls->dns, wait_ms);
    }
    struct pollfd pfd = { .fd = tls->sockfd, .events = tls->wait_events };
    return poll(&pfd, 1, wait_ms);
}

static bool connect_args_ok(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg, esp_tls_t *tls)
{
    if (tls == NULL) {
        return false;
    }
    if (host == NULL || hostlen <= 0 || port <= 0 || port > 65535 || cfg == NULL) {
        ESP_LOGE(TAG, "invalid arguments: host, hostlen > 0, port 1-65535 and cfg are required");
        fail(tls, ESP_ERR_INVALID_ARG);
        return false;
    }
    return true;
}

static int conn_new_sync(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg, esp_tls_t *tls)
{
    for (;;) {
        int rc = conn_step(tls, host, hostlen, port, cfg);
        if (rc != 0) {
            return rc;
        }
        int wait_ms = esp_deadline_ms_left(tls->connect_deadline);
        if (wait_ms == 0 || (wait_for_step(tls, wait_ms) == 0 && esp_deadline_expired(tls->connect_deadline))) {
            return connection_timed_out(tls);
        }
    }
}

static int conn_new_async(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg, esp_tls_t *tls)
{
    if (!cfg->non_block) {
        ESP_LOGE(TAG, "esp_tls_conn_new_async needs cfg->non_block = true");
        return fail(tls, ESP_ERR_INVALID_ARG);
    }
    if (tls->conn_state != ESP_TLS_INIT && tls->conn_state != ESP_TLS_DONE &&
        esp_deadline_expired(tls->connect_deadline)) {
        return connection_timed_out(tls);
    }
    return conn_step(tls, host, hostlen, port, cfg);
}

typedef int (*connect_fn)(const char *, int, int, const esp_tls_cfg_t *, esp_tls_t *);

/* Runs a connect step function with the connection's allocations charged to it. */
static int connect_as(connect_fn step, const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg,
                      esp_tls_t *tls)
{
    if (!connect_args_ok(host, hostlen, port, cfg, tls)) {
        return -1;
    }
    esp_tls_heap_account_t *previous = esp_tls_heap_enter(tls->heap);
    int rc = step(host, hostlen, port, cfg, tls);
    esp_tls_heap_leave(previous);
    return rc;
}

int esp_tls_conn_new_sync(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg, esp_tls_t *tls)
{
    return connect_as(conn_new_sync, host, hostlen, port, cfg, tls);
}

int esp_tls_conn_new_async(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg, esp_tls_t *tls)
{
    return connect_as(conn_new_async, host, hostlen, port, cfg, tls);
}

static int conn_http_new(const char *url, const esp_tls_cfg_t *cfg, esp_tls_t *tls, connect_fn connect)
{
    if (tls == NULL) {
        return -1;
    }
    esp_url_t u;
    esp_err_t err = esp_url_parse(url, &u);
    if (err == ESP_OK && u.host == NULL) {
        esp_url_free(&u);
        err = ESP_ERR_INVALID_ARG;
    }
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "invalid URL: %s", url ? url : "(null)");
        return fail(tls, err);
    }
    int port = u.port != 0 ? u.port : u.scheme != NULL && strcmp(u.scheme, "https") == 0 ? 443 : 80;
    int rc = connect(u.host, (int)strlen(u.host), port, cfg, tls); /* an IPv6 host comes without brackets */
    esp_url_free(&u);
    return rc;
}

int esp_tls_conn_http_new_sync(const char *url, const esp_tls_cfg_t *cfg, esp_tls_t *tls)
{
    return conn_http_new(url, cfg, tls, esp_tls_conn_new_sync);
}

int esp_tls_conn_http_new_async(const char *url, const esp_tls_cfg_t *cfg, esp_tls_t *tls)
{
    return conn_http_new(url, cfg, tls, esp_tls_conn_new_async);
}

ssize_t esp_tls_conn_write(esp_tls_t *tls, const void *data, size_t datalen)
{
    if (tls == NULL || data == NULL || tls->conn_state != ESP_TLS_DONE) {
        return -1;
    }
    if (datalen == 0) {
        return 0;
    }
    if (!tls->is_tls) {
        return esp_tls_tcp_write(tls, data, datalen);
    }
    esp_tls_heap_account_t *previous = esp_tls_heap_enter(tls->heap);
    ssize_t n = tls->stack->write(tls, data, datalen);
    esp_tls_heap_leave(previous);
    return n;
}

ssize_t esp_tls_conn_read(esp_tls_t *tls, void *data, size_t datalen)
{
    if (tls == NULL || data == NULL || tls->conn_state != ESP_TLS_DONE) {
        return -1;
    }
    if (datalen == 0) {
        return 0;
    }
    if (!tls->is_tls) {
        return esp_tls_tcp_read(tls, data, datalen);
    }
    esp_tls_heap_account_t *previous = esp_tls_heap_enter(tls->heap);
    ssize_t n = tls->stack->read(tls, data, datalen);
    esp_tls_heap_leave(previous);
    return n;
}

int esp_tls_conn_destroy(esp_tls_t *tls)
{
    if (tls == NULL) {
        return -1;
    }
    esp_tls_heap_account_t *account = tls->heap;
    esp_tls_heap_account_t *previous = esp_tls_heap_enter(account);
    if (tls->stack_ctx != NULL) {
        tls->stack->conn_delete(tls);
    }
    release_addresses(tls);
    int rc = 0;
    if (tls->sockfd >= 0) {
        rc = close(tls->sockfd) == 0 ? 0 : -1;
        tls->sockfd = -1;
    }
    mbedtls_free(tls);
    esp_tls_heap_leave(previous);
    esp_tls_heap_account_release(account);
    return rc;
}

ssize_t esp_tls_get_bytes_avail(esp_tls_t *tls)
{
    if (tls == NULL) {
        return -1;
    }
    return tls->stack_ctx != NULL ? tls->stack->get_bytes_avail(tls) : 0;
}

esp_err_t esp_tls_get_conn_sockfd(esp_tls_t *tls, int *sockfd)
{
    if (tls == NULL || sockfd == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *sockfd = tls->sockfd;
    return ESP_OK;
}

esp_err_t esp_tls_set_conn_sockfd(esp_tls_t *tls, int sockfd)
{
    if (tls == NULL || sockfd < 0) {
        return ESP_ERR_INVALID_ARG;
    }
    tls->sockfd = sockfd;
    return ESP_OK;
}

esp_err_t esp_tls_get_conn_state(esp_tls_t *tls, esp_tls_conn_state_t *conn_state)
{
    if (tls == NULL || conn_state == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *conn_state = tls->conn_state;
    return ESP_OK;
}

esp_err_t esp_tls_set_conn_state(esp_tls_t *tls, esp_tls_conn_state_t conn_state)
{
    if (tls == NULL || conn_state < ESP_TLS_INIT || conn_state > ESP_TLS_DONE) {
        return ESP_ERR_INVALID_ARG;
    }
    tls->conn_state = conn_state;
    return ESP_OK;
}

void *esp_tls_get_ssl_context(esp_tls_t *tls)
{
    return (tls != NULL && tls->stack_ctx != NULL) ? tls->stack->get_ssl_context(tls) : NULL;
}

esp_err_t esp_tls_get_error_handle(esp_tls_t *tls, esp_tls_error_handle_t *error_handle)
{
    if (tls == NULL || error_handle == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *error_handle = &tls->error.parent;
    return ESP_OK;
}

const int *esp_tls_get_ciphersuites_list(void)
{
    return esp_tls_mbedtls_ops.get_ciphersuites_list();
}

esp_err_t esp_tls_get_conn_timing(const esp_tls_t *tls, esp_tls_conn_timing_t *timing)
{
    if (tls == NULL || timing == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *timing = tls->timing;
    return ESP_OK;
}

bool esp_tls_session_was_resumed(const esp_tls_t *tls)
{
    return tls != NULL && tls->conn_state == ESP_TLS_DONE && tls->resumed;
}
