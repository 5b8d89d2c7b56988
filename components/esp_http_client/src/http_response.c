/*
 * The response: bytes from the transport go through nodejs's http_parser, which calls back for
 * each header and each piece of body. Body bytes land in client->body (as large as the receive
 * buffer, which bounds them) until read() hands them out.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_http_client_private.h"
#include "esp_log.h"

static const char *TAG = "http_response";

static esp_http_client_handle_t client_of(http_parser *p)
{
    return p->data;
}

/* Appends len bytes to the NUL-terminated string *s (allocating it). @return 0, or -1 (no memory). */
static int append(char **s, const char *at, size_t len)
{
    size_t old = *s != NULL ? strlen(*s) : 0;
    char *grown = realloc(*s, old + len + 1);
    if (grown == NULL) {
        return -1;
    }
    memcpy(grown + old, at, len);
    grown[old + len] = '\0';
    *s = grown;
    return 0;
}

#ifdef CONFIG_ESP_HTTP_CLIENT_SAVE_RESPONSE_HEADERS
/* Keeps a header for get_response_header(), within the configured count and size. A header that
 * cannot be kept (out of memory included) is not an error: the response goes on without it. */
static void save_header(http_response_t *r, const char *value)
{
    bool is_new = http_header_get(r->saved, r->field) == NULL; /* a repeated name replaces the value */
    bool fits = (!is_new || r->saved_count < CONFIG_ESP_HTTP_CLIENT_MAX_SAVED_RESPONSE_HEADERS) &&
                strlen(value) < CONFIG_ESP_HTTP_CLIENT_MAX_RESPONSE_HEADER_SIZE;
    if (!fits) {
        ESP_LOGD(TAG, "response header %s not kept (count or size limit)", r->field);
        return;
    }
    if (http_header_set(&r->saved, r->field, value) == ESP_OK && is_new) {
        r->saved_count++;
    }
}
#endif

/* 100 Continue, 103 Early Hints...: an interim response comes before the final one and is
 * skipped whole (no events, nothing kept). 101 ends HTTP on the connection: it is final. */
static bool is_interim(const http_parser *p)
{
    return p->status_code >= 100 && p->status_code < 200 && p->status_code != 101;
}

static void header_drop(http_response_t *r)
{
    free(r->field);
    free(r->value);
    r->field = r->value = NULL;
    r->in_value = false;
}

/* A name and value are complete: hand them to the event handler, and keep what the client uses. */
static void header_done(esp_http_client_handle_t client)
{
    http_response_t *r = &client->response;
    if (is_interim(&client->parser)) {
        header_drop(r);
        return;
    }
#ifdef CONFIG_ESP_HTTP_CLIENT_SAVE_RESPONSE_HEADERS
    save_header(r, r->value != NULL ? r->value : "");
#endif
    esp_http_client_event_t evt = { .event_id = HTTP_EVENT_ON_HEADER, .header_key = r->field,
                                    .header_value = r->value != NULL ? r->value : "" };
    http_emit(client, &evt);
    char **keep = NULL;
    if (strcasecmp(r->field, "Location") == 0) {
        keep = &r->location;
    } else if (strcasecmp(r->field, "WWW-Authenticate") == 0) {
        keep = &r->www_authenticate;
    } else if (strcasecmp(r->field, "Content-Range") == 0) {
        keep = &r->content_range;
    }
    if (keep != NULL && r->value != NULL) {
        free(*keep);
        *keep = r->value;
        r->value = NULL;
    }
    header_drop(r);
}

/* As ESP-IDF's strict header buffer: a name or value must fit in the receive buffer. */
static int append_bounded(esp_http_client_handle_t client, char **s, const char *at, size_t len)
{
    size_t old = *s != NULL ? strlen(*s) : 0;
    if (old + len >= (size_t)client->buffer_size) {
        ESP_LOGE(TAG, "a response header is larger than buffer_size (%d)", client->buffer_size);
        client->response.header_too_long = true;
        return -1;
    }
    return append(s, at, len);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    esp_http_client_handle_t client = client_of(p);
    if (client->response.in_value) {
        header_done(client);
    }
    return append_bounded(client, &client->response.field, at, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    esp_http_client_handle_t client = client_of(p);
    client->response.in_value = true;
    return append_bounded(client, &client->response.value, at, len);
}

/* Once per response: from the status text, or at the end of the headers when it has none. */
static void note_status(http_parser *p)
{
    esp_http_client_handle_t client = client_of(p);
    if (!is_interim(p) && client->response.status_code != (int)p->status_code) {
        client->response.status_code = (int)p->status_code;
        http_dispatch(client, HTTP_EVENT_ON_STATUS_CODE, NULL, 0);
    }
}

static int on_status(http_parser *p, const char *at, size_t len)
{
    (void)at;
    (void)len;
    note_status(p);
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    esp_http_client_handle_t client = client_of(p);
    http_response_t *r = &client->response;
    if (r->in_value) {
        header_done(client);
    }
    if (is_interim(p)) {
        return 1; /* no body, whatever it says: http_parser completes it and reads the next response */
    }
    note_status(p);
    r->chunked = (p->flags & F_CHUNKED) != 0;
    r->content_length = !r->chunked && p->content_length != ULLONG_MAX ? (int64_t)p->content_length : -1;
    r->keep_alive = http_should_keep_alive(p) != 0;
    r->headers_complete = true;
    http_dispatch(client, HTTP_EVENT_ON_HEADERS_COMPLETE, NULL, 0);
    return client->method == HTTP_METHOD_HEAD ? 1 : 0; /* 1: no body follows */
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    esp_http_client_handle_t client = client_of(p);
    memcpy(client->body + client->body_len, at, len);
    client->body_len += (int)len;
    return 0;
}

static int on_chunk_header(http_parser *p)
{
    client_of(p)->response.chunk_length = p->content_length <= INT_MAX ? (int)p->content_length : INT_MAX;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    if (is_interim(p)) {
        return 0;
    }
    client_of(p)->response.message_complete = true;
    http_parser_pause(p, 1); /* bytes after the response are not ours */
    return 0;
}

void http_response_init(esp_http_client_handle_t client)
{
    http_parser_settings_init(&client->parser_settings);
    client->parser_settings.on_status = on_status;
    client->parser_settings.on_header_field = on_header_field;
    client->parser_settings.on_header_value = on_header_value;
    client->parser_settings.on_headers_complete = on_headers_complete;
    client->parser_settings.on_body = on_body;
    client->parser_settings.on_chunk_header = on_chunk_header;
    client->parser_settings.on_message_complete = on_message_complete;
}

void http_response_free(esp_http_client_handle_t client)
{
    http_response_t *r = &client->response;
    free(r->location);
    free(r->www_authenticate);
    free(r->content_range);
    free(r->field);
    free(r->value);
#ifdef CONFIG_ESP_HTTP_CLIENT_SAVE_RESPONSE_HEADERS
    http_header_free_all(&r->saved);
#endif
    *r = (http_response_t){ .content_length = -1 };
}

void http_response_reset(esp_http_client_handle_t client)
{
    http_response_free(client);
    http_parser_init(&client->parser, HTTP_RESPONSE);
    client->parser.data = client;
    client->body_len = client->body_off = 0;
}

int http_response_pump(esp_http_client_handle_t client)
{
    client->body_len = client->body_off = 0;
    int wait_ms = client->cfg.is_async ? 0 : client->timeout_ms;
    int n = esp_transport_read(client->transport, client->raw, client->buffer_size, wait_ms);
    if (n == ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN) {
        http_parser_execute(&client->parser, &client->parser_settings, NULL, 0); /* EOF ends a body
                                                                                   read until close */
        return n;
    }
    if (n <= 0) {
        return n;
    }
    size_t parsed = http_parser_execute(&client->parser, &client->parser_settings, client->raw, (size_t)n);
    enum http_errno e = HTTP_PARSER_ERRNO(&client->parser);
    if (parsed != (size_t)n && e != HPE_PAUSED) {
        ESP_LOGE(TAG, "malformed response: %s", http_errno_description(e));
        return ERR_TCP_TRANSPORT_CONNECTION_FAILED;
    }
    return n;
}

/* ---- the public reading calls ---- */

int64_t esp_http_client_fetch_headers(esp_http_client_handle_t client)
{
    if (client == NULL || client->transport == NULL) {
        return ESP_FAIL;
    }
    while (!client->response.headers_complete) {
        int n = http_response_pump(client);
        if (client->response.header_too_long) {
            return -ESP_ERR_HTTP_HEADER_TOO_LONG;
        }
        if (n == ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT) {
            return client->cfg.is_async ? -ESP_ERR_HTTP_EAGAIN : -ESP_ERR_HTTP_READ_TIMEOUT;
        }
        if (n < 0) {
            ESP_LOGE(TAG, "no response headers (%d)", n);
            return ESP_FAIL;
        }
    }
    return client->response.content_length > 0 ? client->response.content_length : 0;
}

static bool body_pending(esp_http_client_handle_t client)
{
    return client->body_off < client->body_len;
}

/* The connection ended before the body did: how much came, against its length where known (a
 * chunked body, or one that runs until the close, has none; for the latter the end was a failure,
 * not the close that ends it). */
static void log_cut_body(esp_http_client_handle_t client)
{
    long long got = (long long)client->response.body_delivered, length = (long long)client->response.content_length;
    if (length >= 0) {
        ESP_LOGE(TAG, "the body ended early (%lld of %lld bytes)", got, length);
    } else {
        ESP_LOGE(TAG, "the body ended early, after %lld bytes: the connection failed before the body's end", got);
    }
}

int http_response_body(esp_http_client_handle_t client, const char **data, int max)
{
    if (!client->response.headers_complete) {
        return -1;
    }
    while (!body_pending(client) && !client->response.message_complete) {
        if (client->transport == NULL) {
            return -1;
        }
        int n = http_response_pump(client);
        if (n == ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT) {
            return client->cfg.is_async ? -ESP_ERR_HTTP_EAGAIN : -ESP_ERR_HTTP_READ_TIMEOUT;
        }
        if (n < 0 && !body_pending(client) && !client->response.message_complete) {
            log_cut_body(client);
            return -1;
        }
    }
    int n = client->body_len - client->body_off;
    n = n < max ? n : max;
    *data = client->body + client->body_off;
    client->body_off += n;
    client->response.body_delivered += n;
    return n;
}

int esp_http_client_read(esp_http_client_handle_t client, char *buffer, int len)
{
    if (client == NULL || buffer == NULL || len <= 0) {
        return -1;
    }
    int total = 0, n;
    const char *data;
    while (total < len && (n = http_response_body(client, &data, len - total)) > 0) {
        memcpy(buffer + total, data, (size_t)n);
        total += n; /* as ESP-IDF: the buffer fills, not just what one record brought */
    }
    return total > 0 ? total : n;
}

int esp_http_client_read_response(esp_http_client_handle_t client, char *buffer, int len)
{
    int total = 0;
    while (total < len) {
        int n = esp_http_client_read(client, buffer + total, len - total);
        if (n <= 0) {
            return total > 0 ? total : n;
        }
        total += n;
    }
    return total;
}

esp_err_t esp_http_client_flush_response(esp_http_client_handle_t client, int *len)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    const char *data;
    int dropped = 0, n;
    while ((n = http_response_body(client, &data, client->buffer_size)) > 0) {
        dropped += n;
    }
    if (len != NULL) {
        *len = dropped;
    }
    return n == 0 ? ESP_OK : ESP_FAIL;
}

int esp_http_client_get_status_code(esp_http_client_handle_t client)
{
    return client != NULL ? client->response.status_code : -1;
}

int64_t esp_http_client_get_content_length(esp_http_client_handle_t client)
{
    return client != NULL ? client->response.content_length : -1;
}

int64_t esp_http_client_get_content_range(esp_http_client_handle_t client)
{
    const char *range = client != NULL ? client->response.content_range : NULL;
    const char *slash = range != NULL ? strchr(range, '/') : NULL;
    if (slash == NULL || slash[1] == '*') {
        return -1; /* none, or the total is unknown */
    }
    char *end;
    long long total = strtoll(slash + 1, &end, 10);
    return end != slash + 1 && total >= 0 ? total : -1;
}

esp_err_t esp_http_client_get_chunk_length(esp_http_client_handle_t client, int *len)
{
    if (client == NULL || len == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!client->response.chunked) {
        return ESP_FAIL;
    }
    *len = client->response.chunk_length;
    return ESP_OK;
}

esp_err_t esp_http_client_clear_response_buffer(esp_http_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    client->body_len = client->body_off = 0;
    return ESP_OK;
}

#ifdef CONFIG_ESP_HTTP_CLIENT_SAVE_RESPONSE_HEADERS
esp_err_t esp_http_client_get_response_header(esp_http_client_handle_t client, const char *key, char **value)
{
    if (client == NULL || key == NULL || value == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *value = (char *)http_header_get(client->response.saved, key);
    return *value != NULL ? ESP_OK : ESP_ERR_NOT_FOUND;
}
#endif

bool esp_http_client_is_chunked_response(esp_http_client_handle_t client)
{
    return client != NULL && client->response.chunked;
}

bool esp_http_client_is_complete_data_received(esp_http_client_handle_t client)
{
    return client != NULL && client->response.message_complete;
}

bool esp_http_client_is_persistent_connection(esp_http_client_handle_t client)
{
    return client != NULL && client->response.headers_complete && client->response.keep_alive;
}
