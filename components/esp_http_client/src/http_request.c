/*
 * Requests: the transports ("http" over TCP, "https" over TLS, configured from the client's
 * config), the connection (reused while scheme, host and port stay and the server keeps it
 * open), the request head, and the body as it is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_http_client_private.h"
#include "esp_log.h"
#include "esp_transport_ssl.h"
#include "esp_transport_tcp.h"

static const char *TAG = "http_request";

static const char *const method_names[HTTP_METHOD_MAX] = {
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "OPTIONS",
    "COPY", "MOVE", "LOCK", "UNLOCK", "PROPFIND", "PROPPATCH", "MKCOL", "REPORT",
};

const char *http_method_name(esp_http_client_method_t method)
{
    return method_names[method];
}

/* esp_transport_ssl takes PEM lengths without the NUL; the config's count it, or are 0. */
static int pem_len(const char *pem, size_t config_len)
{
    return config_len != 0 ? (int)config_len - 1 : (int)strlen(pem);
}

/* configure_tls() hands the client's TLS enums to ESP-TLS by a cast: they are ESP-TLS's values. */
_Static_assert(ESP_HTTP_CLIENT_TLS_VER_ANY == (int)ESP_TLS_VER_ANY &&
                   ESP_HTTP_CLIENT_TLS_VER_TLS_1_2 == (int)ESP_TLS_VER_TLS_1_2 &&
                   ESP_HTTP_CLIENT_TLS_VER_TLS_1_3 == (int)ESP_TLS_VER_TLS_1_3,
               "esp_http_client_proto_ver_t has esp_tls_proto_ver_t's values");
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
_Static_assert(HTTP_TLS_DYN_BUF_RX_STATIC == (int)ESP_TLS_DYN_BUF_RX_STATIC,
               "esp_http_client_tls_dyn_buf_strategy_t has esp_tls_dyn_buf_strategy_t's values");
#endif

static void configure_tls(esp_transport_handle_t ssl, const esp_http_client_config_t *c)
{
    if (c->cert_pem != NULL) {
        esp_transport_ssl_set_cert_data(ssl, c->cert_pem, pem_len(c->cert_pem, c->cert_len));
    }
    if (c->client_cert_pem != NULL) {
        esp_transport_ssl_set_client_cert_data(ssl, c->client_cert_pem, pem_len(c->client_cert_pem, c->client_cert_len));
    }
    if (c->client_key_pem != NULL) {
        esp_transport_ssl_set_client_key_data(ssl, c->client_key_pem, pem_len(c->client_key_pem, c->client_key_len));
    }
    if (c->client_key_password != NULL) {
        esp_transport_ssl_set_client_key_password(ssl, c->client_key_password, (int)c->client_key_password_len);
    }
    if (c->crt_bundle_attach != NULL) {
        esp_transport_ssl_crt_bundle_attach(ssl, c->crt_bundle_attach);
    }
    if (c->use_global_ca_store) {
        esp_transport_ssl_enable_global_ca_store(ssl);
    }
    if (c->skip_cert_common_name_check) {
        esp_transport_ssl_skip_common_name_check(ssl);
    }
    esp_transport_ssl_set_common_name(ssl, c->common_name);
    esp_transport_ssl_set_tls_version(ssl, (esp_tls_proto_ver_t)c->tls_version);
    esp_transport_ssl_set_alpn_protocol(ssl, c->alpn_protos);
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
    esp_transport_ssl_set_esp_tls_dyn_buf_strategy(ssl, (esp_tls_dyn_buf_strategy_t)c->tls_dyn_buf_strategy);
#endif
}

/* Options of the TCP connection, for the TCP and the TLS transport alike (they share one
 * implementation, so the ssl setters serve both). */
static void configure_tcp_options(esp_transport_handle_t t, const esp_http_client_config_t *c, bool tls)
{
    esp_transport_ssl_set_addr_family(t, c->addr_type == HTTP_ADDR_TYPE_INET    ? ESP_TLS_AF_INET
                                         : c->addr_type == HTTP_ADDR_TYPE_INET6 ? ESP_TLS_AF_INET6
                                                                                : ESP_TLS_AF_UNSPEC);
    if (c->keep_alive_enable) {
        esp_transport_keep_alive_t ka = { .keep_alive_enable = true,
                                          .keep_alive_idle = c->keep_alive_idle != 0 ? c->keep_alive_idle : 5,
                                          .keep_alive_interval = c->keep_alive_interval != 0 ? c->keep_alive_interval : 5,
                                          .keep_alive_count = c->keep_alive_count != 0 ? c->keep_alive_count : 3 };
        tls ? esp_transport_ssl_set_keep_alive(t, &ka) : esp_transport_tcp_set_keep_alive(t, &ka);
    }
    if (c->if_name != NULL) {
        tls ? esp_transport_ssl_set_interface_name(t, c->if_name) : esp_transport_tcp_set_interface_name(t, c->if_name);
    }
}

esp_err_t http_request_transports(esp_http_client_handle_t client)
{
    client->transports = esp_transport_list_init();
    esp_transport_handle_t tcp = esp_transport_tcp_init(), ssl = esp_transport_ssl_init();
    if (client->transports == NULL || tcp == NULL || ssl == NULL) {
        esp_transport_destroy(tcp);
        esp_transport_destroy(ssl);
        return ESP_ERR_NO_MEM;
    }
    esp_transport_list_add(client->transports, tcp, "http");
    esp_transport_list_add(client->transports, ssl, "https");
    configure_tcp_options(tcp, &client->cfg, false);
    configure_tcp_options(ssl, &client->cfg, true);
    configure_tls(ssl, &client->cfg);
    return ESP_OK;
}

esp_transport_handle_t http_request_transport_for(esp_http_client_handle_t client, const char *scheme)
{
#ifdef CONFIG_ESP_HTTP_CLIENT_ENABLE_CUSTOM_TRANSPORT
    if (client->cfg.transport != NULL) {
        return client->cfg.transport;
    }
#endif
    return esp_transport_list_get_transport(client->transports, scheme);
}

esp_err_t esp_http_client_close(esp_http_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_transport_handle_t open = client->transport != NULL ? client->transport : client->connecting;
    if (open == NULL) { /* as ESP-IDF: a failed connect too, its error record for the handler */
        open = client->failed;
    }
    client->failed = NULL;
    if (client->connecting != NULL) {
        esp_transport_close(client->connecting);
        client->connecting = NULL;
    }
    if (client->transport != NULL) {
        esp_transport_close(client->transport);
        client->transport = NULL;
        free(client->connected_to);
        client->connected_to = NULL;
    }
    if (open != NULL) { /* as ESP-IDF: the data is the transport's error record, for the handler */
        http_dispatch(client, HTTP_EVENT_DISCONNECTED, esp_transport_get_error_handle(open), 0);
    }
    return ESP_OK;
}

void http_request_failed(esp_http_client_handle_t client)
{
    esp_transport_handle_t t = http_request_transport_for(client, client->url.scheme);
    http_dispatch(client, HTTP_EVENT_ERROR, esp_transport_get_error_handle(t), 0);
}

void http_request_session(esp_http_client_handle_t client, esp_transport_handle_t t, int operation)
{
#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
    if (client->cfg.save_client_session && t != NULL && esp_http_client_get_transport_type(client) == HTTP_TRANSPORT_OVER_SSL) {
        esp_transport_ssl_session_ticket_operation(t, (esp_transport_session_ticket_operation_t)operation);
    }
#else
    (void)client;
    (void)t;
    (void)operation;
#endif
}

/* 1 connected, 0 in progress (is_async), -1 failed. */
static int connect_step(esp_http_client_handle_t client, esp_transport_handle_t t)
{
    if (client->cfg.is_async) {
        return esp_transport_connect_async(t, client->url.host, client->url.port, client->timeout_ms);
    }
    return esp_transport_connect(t, client->url.host, client->url.port, client->timeout_ms) == 0 ? 1 : -1;
}

/* The connection for the current URL: the open one if it goes there (keep-alive), else a new
 * one. @return ESP_OK; ESP_ERR_HTTP_CONNECTING (is_async: call again); ESP_ERR_HTTP_CONNECT;
 * ESP_ERR_HTTP_INVALID_TRANSPORT; ESP_ERR_NO_MEM. */
static esp_err_t connect_transport(esp_http_client_handle_t client)
{
    char *want = http_url_origin(&client->url); /* a connection serves requests to its origin */
    if (want == NULL) {
        return ESP_ERR_NO_MEM;
    }
    if (client->transport != NULL && client->connected_to != NULL && strcmp(want, client->connected_to) == 0) {
        free(want);
        return ESP_OK;
    }
    if (client->connecting == NULL) {
        esp_http_client_close(client);
        client->connecting = http_request_transport_for(client, client->url.scheme);
        http_request_session(client, client->connecting, ESP_TRANSPORT_SESSION_TICKET_USE);
    }
    esp_transport_handle_t t = client->connecting;
    int rc = t != NULL ? connect_step(client, t) : -1;
    if (rc == 0) {
        free(want);
        return ESP_ERR_HTTP_CONNECTING;
    }
    client->connecting = NULL;
    if (rc < 0) {
        client->failed = t;
        ESP_LOGE(TAG, "%s %s", t != NULL ? "connection failed:" : "no transport for", want);
        free(want);
        return t != NULL ? ESP_ERR_HTTP_CONNECT : ESP_ERR_HTTP_INVALID_TRANSPORT;
    }
    client->transport = t;
    client->connected_to = want;
    http_dispatch(client, HTTP_EVENT_ON_CONNECTED, NULL, 0);
    return ESP_OK;
}

static bool send_all(esp_http_client_handle_t client, const char *data, size_t len)
{
    return esp_transport_write_all(client->transport, data, (int)len, client->timeout_ms) == (int)len;
}

/* Formats into buf, growing it. @return false when out of memory. */
static bool add(char **buf, size_t *len, size_t *cap, const char *a, const char *b, const char *c)
{
    size_t need = strlen(a) + strlen(b) + strlen(c);
    if (*len + need + 1 > *cap) {
        size_t grown_cap = (*len + need + 1) * 2;
        char *grown = realloc(*buf, grown_cap);
        if (grown == NULL) {
            return false;
        }
        *buf = grown;
        *cap = grown_cap;
    }
    *len += (size_t)sprintf(*buf + *len, "%s%s%s", a, b, c);
    return true;
}

/* Request line, Host, User-Agent, the body's framing, the caller's headers (those that may go to
 * this origin), the blank line. */
static char *request_head(esp_http_client_handle_t client, int write_len, size_t *out_len)
{
    size_t len = 0, cap = 256;
    char *buf = malloc(cap), *host = http_url_host_header(&client->url), framing[48] = "";
    if (buf == NULL || host == NULL) {
        free(buf);
        free(host);
        return NULL;
    }
    if (write_len > 0) {
        snprintf(framing, sizeof(framing), "Content-Length: %d\r\n", write_len);
    } else if (write_len < 0) {
        snprintf(framing, sizeof(framing), "Transfer-Encoding: chunked\r\n");
    }
    bool ok = add(&buf, &len, &cap, method_names[client->method], " ", client->url.path) &&
              (client->url.query == NULL || add(&buf, &len, &cap, "?", client->url.query, "")) &&
              add(&buf, &len, &cap, " HTTP/1.1\r\nHost: ", host, "") &&
              add(&buf, &len, &cap, "\r\nUser-Agent: ", client->user_agent, "\r\n") && add(&buf, &len, &cap, framing, "", "");
    free(host);
    for (const http_header_t *h = client->headers; ok && h != NULL; h = h->next) {
        if (http_auth_header_allowed(client, h->key, h->value)) {
            ok = add(&buf, &len, &cap, h->key, ": ", h->value) && add(&buf, &len, &cap, "\r\n", "", "");
        }
    }
    if (!ok || !add(&buf, &len, &cap, "\r\n", "", "")) {
        free(buf);
        return NULL;
    }
    *out_len = len;
    return buf;
}

esp_err_t esp_http_client_prepare(esp_http_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    http_response_reset(client);
    return http_auth_prepare(client);
}

esp_err_t esp_http_client_request_send(esp_http_client_handle_t client, int write_len)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (client->transport == NULL) {
        return ESP_ERR_INVALID_STATE;
    }
    size_t len = 0;
    char *head = request_head(client, write_len, &len);
    if (head == NULL) {
        return ESP_ERR_NO_MEM;
    }
    if (!send_all(client, head, len)) {
        free(head);
        ESP_LOGE(TAG, "sending the request failed");
        esp_http_client_close(client);
        return ESP_ERR_HTTP_WRITE_DATA;
    }
    client->write_left = write_len;
    client->used_https |= strcmp(client->url.scheme, "https") == 0;
    http_dispatch(client, HTTP_EVENT_HEADERS_SENT, head, (int)len);
    free(head);
    return ESP_OK;
}

esp_err_t http_request_open(esp_http_client_handle_t client, int write_len)
{
    esp_err_t err = connect_transport(client);
    if (err == ESP_OK) {
        err = esp_http_client_prepare(client);
    }
    return err == ESP_OK ? esp_http_client_request_send(client, write_len) : err;
}

esp_err_t esp_http_client_open(esp_http_client_handle_t client, int write_len)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = http_request_open(client, write_len);
    if (err != ESP_OK && err != ESP_ERR_HTTP_CONNECTING) {
        http_request_failed(client);
    }
    return err;
}

/* n body bytes went out (n < 0: a failure). @return n, or -1. */
static int body_written(esp_http_client_handle_t client, int n)
{
    if (n > 0 && client->write_left > 0) {
        client->write_left -= n;
    }
    return n >= 0 ? n : -1;
}

int http_request_write(esp_http_client_handle_t client, const char *data, int len, int wait_ms)
{
    if (client->transport == NULL) {
        return -1;
    }
    return body_written(client, esp_transport_write(client->transport, data, len, wait_ms));
}

int http_request_write_all(esp_http_client_handle_t client, const char *data, int len)
{
    if (client->transport == NULL) {
        return -1;
    }
    return body_written(client, esp_transport_write_all(client->transport, data, len, client->timeout_ms));
}

int esp_http_client_write(esp_http_client_handle_t client, const char *buffer, int len)
{
    if (client == NULL || buffer == NULL || len < 0) {
        return -1;
    }
    return http_request_write(client, buffer, len, client->timeout_ms);
}

esp_err_t esp_http_client_chunk_write_begin(esp_http_client_handle_t client, int size)
{
    if (client == NULL || client->transport == NULL || client->write_left != -1 || size < 0) {
        return ESP_FAIL;
    }
    char line[16];
    int len = snprintf(line, sizeof(line), "%x\r\n", (unsigned)size);
    return send_all(client, line, (size_t)len) ? ESP_OK : ESP_FAIL;
}

esp_err_t esp_http_client_chunk_write_end(esp_http_client_handle_t client)
{
    if (client == NULL || client->transport == NULL || client->write_left != -1) {
        return ESP_FAIL;
    }
    return send_all(client, "\r\n", 2) ? ESP_OK : ESP_FAIL;
}

esp_err_t esp_http_client_cancel_request(esp_http_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_http_client_close(client); /* the rest of the response is not read: the connection goes */
    http_response_reset(client);
    return ESP_OK;
}

struct esp_tls *esp_http_client_get_esp_tls(esp_http_client_handle_t client)
{
    return client != NULL && client->transport != NULL ? esp_transport_ssl_get_esp_tls(client->transport) : NULL;
}

int esp_http_client_get_socket(esp_http_client_handle_t client)
{
    return client != NULL && client->transport != NULL ? esp_transport_get_socket(client->transport) : -1;
}

int esp_http_client_get_errno(esp_http_client_handle_t client)
{
    if (client == NULL) {
        return -1;
    }
    esp_transport_handle_t t = http_request_transport_for(client, client->url.scheme);
    return t != NULL ? esp_transport_get_errno(t) : -1;
}

esp_err_t esp_http_client_get_and_clear_last_tls_error(esp_http_client_handle_t client, int *esp_tls_code,
                                                       int *esp_tls_flags)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_transport_handle_t t = http_request_transport_for(client, "https");
    esp_tls_error_handle_t h = esp_transport_get_error_handle(t);
    return h != NULL ? esp_tls_get_and_clear_last_error(h, esp_tls_code, esp_tls_flags) : ESP_ERR_INVALID_STATE;
}

esp_http_client_transport_t esp_http_client_get_transport_type(esp_http_client_handle_t client)
{
    if (client == NULL || client->url.scheme == NULL) {
        return HTTP_TRANSPORT_UNKNOWN;
    }
    return strcmp(client->url.scheme, "https") == 0 ? HTTP_TRANSPORT_OVER_SSL
           : strcmp(client->url.scheme, "http") == 0 ? HTTP_TRANSPORT_OVER_TCP
                                                     : HTTP_TRANSPORT_UNKNOWN;
}
