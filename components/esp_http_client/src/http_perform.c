/*
 * perform(): one request with everything around it. A 3xx is followed (its body is delivered as
 * ON_DATA first, as ESP-IDF does); a 401 is answered with the credentials, once per retry, where
 * they may go (http_auth.c); an https URL never redirects to http.
 */
#include <stdlib.h>
#include <string.h>

#include "esp_http_client_private.h"
#include "esp_log.h"
#include "esp_transport_ssl.h"

static const char *TAG = "http_perform";

static bool is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* https to anything else: the credentials and the data would travel in the clear. */
static bool downgrades(const esp_url_t *from, const esp_url_t *to)
{
    return strcmp(from->scheme, "https") == 0 && strcmp(to->scheme, "https") != 0;
}

esp_err_t esp_http_client_set_redirection(esp_http_client_handle_t client)
{
    if (client == NULL || client->response.location == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_url_t next; /* Location is a URI reference: "/p?u=http://x" stays on this origin */
    esp_err_t err = http_url_resolve(client, client->response.location, &next);
    if (err != ESP_OK) {
        return err;
    }
    if (downgrades(&client->url, &next)) {
        ESP_LOGE(TAG, "refused: a redirect from https to %s", client->response.location);
        esp_url_free(&next);
        return ESP_ERR_HTTP_REDIRECT_DOWNGRADE;
    }
    err = http_url_adopt(client, &next);
    client->redirect_set = err == ESP_OK;
    if (err == ESP_OK && client->response.status_code == 303) {
        client->method = HTTP_METHOD_GET; /* see other: fetch it, send nothing */
        client->post_data = NULL;
        client->post_len = 0;
    }
    return err;
}

esp_err_t esp_http_client_reset_redirect_counter(esp_http_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    client->redirects = 0;
    return ESP_OK;
}

/* Reads the body to its end, as ON_DATA events. */
static esp_err_t deliver_body(esp_http_client_handle_t client)
{
    const char *data;
    int n;
    while ((n = http_response_body(client, &data, client->buffer_size)) > 0) {
        http_dispatch(client, HTTP_EVENT_ON_DATA, (void *)data, n);
    }
    if (n == -ESP_ERR_HTTP_READ_TIMEOUT || n == -ESP_ERR_HTTP_EAGAIN) {
        return (esp_err_t)-n;
    }
    return n == 0 ? ESP_OK : ESP_ERR_HTTP_INCOMPLETE_DATA;
}

/* After a response: the connection stays only if both sides keep it. */
static void settle_connection(esp_http_client_handle_t client)
{
    if (!client->response.keep_alive || !client->response.message_complete) {
        esp_http_client_close(client);
    }
}

/* perform() in steps, so that with is_async it can return ESP_ERR_HTTP_EAGAIN and go on. */
typedef enum {
    STEP_SEND,    /* connect (or reuse), send the request head */
    STEP_POST,    /* send the post field */
    STEP_HEADERS, /* read the response headers */
    STEP_BODY,    /* read the body, then decide what comes next */
} perform_step_t;

static esp_err_t step_send(esp_http_client_handle_t client)
{
    esp_err_t err = http_request_open(client, client->post_len);
    if (err == ESP_ERR_HTTP_CONNECTING) {
        return ESP_ERR_HTTP_EAGAIN;
    }
    if (err != ESP_OK) {
        return err;
    }
    client->post_sent = 0;
    client->perform_step = STEP_POST;
    return ESP_OK;
}

/* The post field. Sync: all of it in one write-all, within timeout_ms. is_async does not wait
 * for room: one write per call, so a body larger than the socket's buffer goes out over several
 * calls, ESP_ERR_HTTP_EAGAIN between them. */
static esp_err_t step_post(esp_http_client_handle_t client)
{
    int left = client->post_len - client->post_sent;
    if (left == 0) {
        /* Also the case without a post field: post_data is NULL and must not be offset. */
        client->perform_step = STEP_HEADERS;
        return ESP_OK;
    }
    const char *rest = client->post_data + client->post_sent;
    if (!client->cfg.is_async) {
        if (http_request_write_all(client, rest, left) != left) {
            ESP_LOGE(TAG, "sending the body of %d bytes failed: a write failed, or it took more than %d ms",
                     client->post_len, client->timeout_ms);
            return ESP_ERR_HTTP_WRITE_DATA;
        }
        client->post_sent = client->post_len;
        return ESP_OK;
    }
    int n = http_request_write(client, rest, left, 0);
    if (n < 0) {
        ESP_LOGE(TAG, "sending the body failed (%d of %d bytes sent)", client->post_sent, client->post_len);
        return ESP_ERR_HTTP_WRITE_DATA;
    }
    client->post_sent += n;
    return n < left ? ESP_ERR_HTTP_EAGAIN : ESP_OK;
}

static esp_err_t step_headers(esp_http_client_handle_t client)
{
    int64_t got = esp_http_client_fetch_headers(client);
    if (got < 0) {
        return got == ESP_FAIL ? ESP_ERR_HTTP_FETCH_HEADER : (esp_err_t)-got;
    }
    client->perform_step = STEP_BODY;
    return ESP_OK;
}

typedef enum {
    NEXT_DONE,     /* the response is the answer */
    NEXT_REQUEST,  /* send the request again (redirected, or with credentials) */
} next_step_t;

static esp_err_t after_redirect(esp_http_client_handle_t client, next_step_t *next)
{
    esp_err_t err = ESP_OK;
    client->redirect_set = false;
    if (client->cfg.disable_auto_redirect) {
        http_dispatch(client, HTTP_EVENT_REDIRECT, NULL, 0);
    } else {
        err = esp_http_client_set_redirection(client);
    }
    /* As ESP-IDF: the new URL is requested, also when the handler set it (a manual redirect). */
    if (!client->redirect_set) {
        return err;
    }
    if (++client->redirects > client->max_redirects) {
        ESP_LOGE(TAG, "more than %d redirects", client->max_redirects);
        return ESP_ERR_HTTP_MAX_REDIRECT;
    }
    *next = NEXT_REQUEST;
    return ESP_OK;
}

static esp_err_t after_unauthorized(esp_http_client_handle_t client, next_step_t *next)
{
    if (client->username == NULL || client->auth_retries >= client->max_auth_retries || !http_auth_may_answer(client)) {
        return ESP_OK; /* the 401 is the answer */
    }
    esp_err_t err = http_auth_take_challenge(client);
    if (err == ESP_OK) {
        client->auth_retries++;
        *next = NEXT_REQUEST;
    }
    return err == ESP_ERR_NOT_SUPPORTED ? ESP_OK : err;
}

/* What the status asks for, once the body is read. */
static esp_err_t after_response(esp_http_client_handle_t client, next_step_t *next)
{
    *next = NEXT_DONE;
    int status = client->response.status_code;
    if (is_redirect(status) && client->response.location != NULL) {
        return after_redirect(client, next);
    }
    if (status == 401) {
        return after_unauthorized(client, next);
    }
    return ESP_OK;
}

/* @return ESP_OK with *next set, or an error (ESP_ERR_HTTP_EAGAIN: the body is still coming). */
static esp_err_t step_body(esp_http_client_handle_t client, next_step_t *next)
{
    esp_err_t err = deliver_body(client);
    if (err != ESP_OK) {
        return err;
    }
    http_dispatch(client, HTTP_EVENT_ON_FINISH, NULL, 0);
    http_request_session(client, client->transport, ESP_TRANSPORT_SESSION_TICKET_SAVE); /* a TLS 1.3
                                                                   ticket has come by now */
    settle_connection(client);
    client->perform_step = STEP_SEND;
    return after_response(client, next);
}

esp_err_t esp_http_client_perform(esp_http_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!client->in_perform) {
        client->redirects = 0;
        client->auth_retries = 0;
        client->perform_step = STEP_SEND;
        client->in_perform = true;
    }
    next_step_t next = NEXT_REQUEST;
    esp_err_t err = ESP_OK;
    while (err == ESP_OK && next == NEXT_REQUEST) {
        switch (client->perform_step) {
        case STEP_SEND: err = step_send(client); break;
        case STEP_POST: err = step_post(client); break;
        case STEP_HEADERS: err = step_headers(client); break;
        default: err = step_body(client, &next); break;
        }
    }
    if (err == ESP_ERR_HTTP_EAGAIN) {
        return err; /* is_async: call again when the socket has something */
    }
    client->in_perform = false;
    if (err != ESP_OK) {
        http_request_failed(client);
        esp_http_client_close(client);
    }
    return err;
}
