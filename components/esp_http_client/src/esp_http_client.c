/*
 * The handle: configuration, request headers and the setters. Requests: http_request.c;
 * responses: http_response.c; perform, redirects and authentication: http_perform.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_http_client_private.h"
#include "esp_log.h"

static const char *TAG = "esp_http_client";

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_MAX_REDIRECTS 10
#define DEFAULT_MAX_AUTH_RETRIES 10
#define DEFAULT_USER_AGENT "ESP32 HTTP Client/1.0"

ESP_EVENT_DEFINE_BASE(ESP_HTTP_CLIENT_EVENT);

/* The default loop's copy of an event (ESP_ERR_INVALID_STATE, no default loop, is the usual case
 * on a host and not worth a word). */
static void post_event(esp_http_client_handle_t client, esp_http_client_event_id_t id)
{
    esp_http_client_on_data_t on_data = { .client = client, .data_process = client->response.body_delivered };
    esp_http_client_redirect_event_data_t redirect = { .client = client, .status_code = client->response.status_code };
    const void *data = &client;
    size_t size = sizeof(client);
    if (id == HTTP_EVENT_ON_DATA) {
        data = &on_data;
        size = sizeof(on_data);
    } else if (id == HTTP_EVENT_REDIRECT) {
        data = &redirect;
        size = sizeof(redirect);
    }
    esp_err_t err = esp_event_post(ESP_HTTP_CLIENT_EVENT, id, data, size, pdMS_TO_TICKS(CONFIG_ESP_HTTP_CLIENT_EVENT_POST_TIMEOUT));
    if (err != ESP_OK && err != ESP_ERR_INVALID_STATE) {
        ESP_LOGW(TAG, "event %d not posted to the default loop: %s", (int)id, esp_err_to_name(err));
    }
}

void http_emit(esp_http_client_handle_t client, esp_http_client_event_t *evt)
{
    evt->client = client;
    evt->user_data = client->cfg.user_data;
    if (client->cfg.event_handler != NULL) {
        client->cfg.event_handler(evt);
    }
    post_event(client, evt->event_id);
}

void http_dispatch(esp_http_client_handle_t client, esp_http_client_event_id_t id, void *data, int len)
{
    esp_http_client_event_t evt = { .event_id = id, .data = data, .data_len = len };
    http_emit(client, &evt);
}

/* ---- header lists: owned key/value pairs (the request's, and the saved response headers) ---- */

static http_header_t *find(http_header_t *list, const char *key)
{
    for (; list != NULL; list = list->next) {
        if (strcasecmp(list->key, key) == 0) {
            return list;
        }
    }
    return NULL;
}

const char *http_header_get(const http_header_t *list, const char *key)
{
    const http_header_t *h = find((http_header_t *)list, key);
    return h != NULL ? h->value : NULL;
}

esp_err_t http_header_set(http_header_t **list, const char *key, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL) {
        return ESP_ERR_NO_MEM;
    }
    http_header_t *h = find(*list, key);
    if (h == NULL) {
        h = calloc(1, sizeof(*h));
        if (h == NULL || (h->key = strdup(key)) == NULL) {
            free(h);
            free(copy);
            return ESP_ERR_NO_MEM;
        }
        h->next = *list;
        *list = h;
    }
    free(h->value);
    h->value = copy;
    return ESP_OK;
}

/* Unlinks *link and frees it. */
static void unlink_header(http_header_t **link)
{
    http_header_t *gone = *link;
    *link = gone->next;
    free(gone->key);
    free(gone->value);
    free(gone);
}

void http_header_free_all(http_header_t **list)
{
    while (*list != NULL) {
        unlink_header(list);
    }
}

esp_err_t esp_http_client_set_header(esp_http_client_handle_t client, const char *key, const char *value)
{
    if (client == NULL || key == NULL || value == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    return http_header_set(&client->headers, key, value);
}

esp_err_t esp_http_client_get_header(esp_http_client_handle_t client, const char *key, char **value)
{
    if (client == NULL || key == NULL || value == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *value = (char *)http_header_get(client->headers, key);
    return ESP_OK;
}

esp_err_t esp_http_client_delete_header(esp_http_client_handle_t client, const char *key)
{
    if (client == NULL || key == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    for (http_header_t **link = &client->headers; *link != NULL; link = &(*link)->next) {
        if (strcasecmp((*link)->key, key) == 0) {
            unlink_header(link);
            return ESP_OK;
        }
    }
    return ESP_ERR_NOT_FOUND;
}

esp_err_t esp_http_client_delete_all_headers(esp_http_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    http_header_free_all(&client->headers);
    return ESP_OK;
}

/* ---- strings owned by the handle ---- */

static esp_err_t replace(char **slot, const char *value)
{
    char *copy = value != NULL ? strdup(value) : NULL;
    if (value != NULL && copy == NULL) {
        return ESP_ERR_NO_MEM;
    }
    free(*slot);
    *slot = copy;
    return ESP_OK;
}

esp_err_t esp_http_client_set_username(esp_http_client_handle_t client, const char *username)
{
    return client != NULL ? replace(&client->username, username) : ESP_ERR_INVALID_ARG;
}

esp_err_t esp_http_client_set_password(esp_http_client_handle_t client, const char *password)
{
    return client != NULL ? replace(&client->password, password) : ESP_ERR_INVALID_ARG;
}

esp_err_t esp_http_client_get_username(esp_http_client_handle_t client, char **value)
{
    if (client == NULL || value == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *value = client->username;
    return ESP_OK;
}

esp_err_t esp_http_client_get_password(esp_http_client_handle_t client, char **value)
{
    if (client == NULL || value == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *value = client->password;
    return ESP_OK;
}

esp_err_t esp_http_client_set_authtype(esp_http_client_handle_t client, esp_http_client_auth_type_t auth_type)
{
    if (client == NULL || auth_type > HTTP_AUTH_TYPE_DIGEST) {
        return ESP_ERR_INVALID_ARG;
    }
    client->auth_type = auth_type;
    return ESP_OK;
}

esp_err_t esp_http_client_get_user_data(esp_http_client_handle_t client, void **data)
{
    if (client == NULL || data == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *data = client->cfg.user_data;
    return ESP_OK;
}

esp_err_t esp_http_client_set_user_data(esp_http_client_handle_t client, void *data)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    client->cfg.user_data = data;
    return ESP_OK;
}

esp_err_t esp_http_client_set_method(esp_http_client_handle_t client, esp_http_client_method_t method)
{
    if (client == NULL || method >= HTTP_METHOD_MAX) {
        return ESP_ERR_INVALID_ARG;
    }
    client->method = method;
    return ESP_OK;
}

esp_err_t esp_http_client_set_timeout_ms(esp_http_client_handle_t client, int timeout_ms)
{
    if (client == NULL || timeout_ms < 0) {
        return ESP_ERR_INVALID_ARG;
    }
    client->timeout_ms = timeout_ms;
    return ESP_OK;
}

esp_err_t esp_http_client_set_event_handler(esp_http_client_handle_t client, http_event_handle_cb event_handler)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    client->cfg.event_handler = event_handler;
    return ESP_OK;
}

esp_err_t esp_http_client_set_post_field(esp_http_client_handle_t client, const char *data, int len)
{
    if (client == NULL || len < 0 || (data == NULL && len > 0)) {
        return ESP_ERR_INVALID_ARG;
    }
    client->post_data = data;
    client->post_len = data != NULL ? len : 0;
    if (data == NULL) {
        return ESP_OK;
    }
    if (client->method == HTTP_METHOD_GET) {
        client->method = HTTP_METHOD_POST;
    }
    if (http_header_get(client->headers, "Content-Type") != NULL) {
        return ESP_OK;
    }
    return esp_http_client_set_header(client, "Content-Type", "application/x-www-form-urlencoded");
}

int esp_http_client_get_post_field(esp_http_client_handle_t client, char **data)
{
    if (client == NULL || data == NULL) {
        return 0;
    }
    *data = (char *)client->post_data;
    return client->post_len;
}

esp_err_t esp_http_client_set_url(esp_http_client_handle_t client, const char *url)
{
    if (client == NULL || url == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = http_url_set(client, url);
    return err == ESP_OK ? http_auth_trust_origin(client) : err; /* the caller's URL, not a redirect */
}

esp_err_t esp_http_client_set_location_trusted(esp_http_client_handle_t client, bool trusted)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    client->location_trusted = trusted;
    return ESP_OK;
}

esp_err_t esp_http_client_get_url(esp_http_client_handle_t client, char *url, const int len)
{
    if (client == NULL || url == NULL || len <= 0 || client->url.host == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    char *text = esp_url_to_string(&client->url); /* "scheme://host:port/path?query" */
    if (text == NULL) {
        return ESP_ERR_NO_MEM;
    }
    int n = snprintf(url, (size_t)len, "%s", text);
    free(text);
    return n < len ? ESP_OK : ESP_ERR_INVALID_SIZE;
}

/* ---- init and cleanup ---- */

static int or_default(int value, int fallback)
{
    return value != 0 ? value : fallback;
}

/* The URL from url, or from host, port, path, query and transport_type. */
static esp_err_t config_url(esp_http_client_handle_t client, const esp_http_client_config_t *config)
{
    if (config->url != NULL) {
        return http_url_set(client, config->url); /* the URL wins over the other fields */
    }
    if (config->host == NULL) {
        ESP_LOGE(TAG, "the config needs url or host");
        return ESP_ERR_INVALID_ARG;
    }
    bool tls = config->transport_type == HTTP_TRANSPORT_OVER_SSL;
    client->url.scheme = strdup(tls ? "https" : "http");
    client->url.host = strdup(config->host); /* an IPv6 literal without brackets, as getaddrinfo takes it */
    client->url.path = strdup(config->path != NULL ? config->path : "/");
    client->url.query = config->query != NULL ? strdup(config->query) : NULL;
    client->url.port = or_default(config->port, tls ? 443 : 80);
    bool ok = client->url.scheme && client->url.host && client->url.path && (!config->query || client->url.query);
    return ok ? ESP_OK : ESP_ERR_NO_MEM;
}

static esp_err_t config_strings(esp_http_client_handle_t client, const esp_http_client_config_t *config)
{
    esp_err_t err = replace(&client->user_agent, config->user_agent != NULL ? config->user_agent : DEFAULT_USER_AGENT);
    if (err == ESP_OK && config->username != NULL) {
        err = replace(&client->username, config->username);
    }
    if (err == ESP_OK && config->password != NULL) {
        err = replace(&client->password, config->password);
    }
    return err;
}

static void config_numbers(esp_http_client_handle_t client, const esp_http_client_config_t *config)
{
    client->auth_type = config->auth_type;
    client->method = config->method;
    client->timeout_ms = or_default(config->timeout_ms, DEFAULT_TIMEOUT_MS);
    client->buffer_size = config->buffer_size > 0 ? config->buffer_size : DEFAULT_HTTP_BUF_SIZE;
    client->max_redirects = or_default(config->max_redirection_count, DEFAULT_MAX_REDIRECTS);
    client->max_auth_retries = config->max_authorization_retries < 0 ? 0
                               : or_default(config->max_authorization_retries, DEFAULT_MAX_AUTH_RETRIES);
}

static bool config_valid(const esp_http_client_config_t *config)
{
    if (config == NULL || config->method >= HTTP_METHOD_MAX || config->tls_version >= ESP_HTTP_CLIENT_TLS_VER_MAX) {
        return false;
    }
    return true;
}

esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t *config)
{
    if (!config_valid(config)) {
        return NULL;
    }
    esp_http_client_handle_t client = calloc(1, sizeof(*client));
    if (client == NULL) {
        return NULL;
    }
    client->cfg = *config;
    config_numbers(client, config);
    client->raw = malloc((size_t)client->buffer_size);
    client->body = malloc((size_t)client->buffer_size);
    http_response_init(client);
    http_response_reset(client);
    esp_err_t err = client->raw != NULL && client->body != NULL ? ESP_OK : ESP_ERR_NO_MEM;
    if (err == ESP_OK) {
        err = config_strings(client, config);
    }
    if (err == ESP_OK) {
        err = config_url(client, config);
    }
    if (err == ESP_OK) {
        err = http_auth_trust_origin(client);
    }
    if (err == ESP_OK) {
        err = http_request_transports(client);
    }
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "init failed: %s", esp_err_to_name(err));
        esp_http_client_cleanup(client);
        return NULL;
    }
    return client;
}

esp_err_t esp_http_client_cleanup(esp_http_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_http_client_close(client);
    esp_transport_list_destroy(client->transports);
    esp_http_client_delete_all_headers(client);
    http_response_free(client);
    esp_url_free(&client->url);
    free(client->username);
    free(client->password);
    free(client->user_agent);
    free(client->connected_to);
    free(client->auth_challenge);
    free(client->trusted_origin);
    free(client->raw);
    free(client->body);
    free(client);
    return ESP_OK;
}
