/* The request URL: esp_url's parser, with references (redirects) resolved against the current
 * URL as RFC 3986 says, then what a request needs of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_http_client_private.h"
#include "esp_log.h"

static const char *TAG = "http_url";

static int default_port(const char *scheme)
{
    return strcmp(scheme, "https") == 0 ? 443 : 80;
}

char *http_url_origin(const esp_url_t *url)
{
    int host_len = esp_url_format_host(NULL, 0, url->host, url->port);
    size_t len = strlen(url->scheme) + 3 + (size_t)host_len + 1;
    char *s = malloc(len);
    if (s != NULL) {
        int n = snprintf(s, len, "%s://", url->scheme);
        esp_url_format_host(s + n, len - (size_t)n, url->host, url->port);
    }
    return s;
}

bool http_url_at_origin(const esp_url_t *url, const char *origin)
{
    char *here = http_url_origin(url);
    bool same = here != NULL && strcasecmp(here, origin) == 0;
    free(here);
    return same;
}

/* "user:password" of the URL becomes the handle's credentials. */
static esp_err_t take_userinfo(esp_http_client_handle_t client, char *info)
{
    if (info == NULL) {
        return ESP_OK;
    }
    char *colon = strchr(info, ':');
    if (colon != NULL) {
        *colon = '\0';
    }
    esp_err_t err = esp_http_client_set_username(client, info);
    if (err == ESP_OK) {
        err = esp_http_client_set_password(client, colon != NULL ? colon + 1 : "");
    }
    return err;
}

esp_err_t http_url_resolve(esp_http_client_handle_t client, const char *text, esp_url_t *next)
{
    const esp_url_t *base = client->url.host != NULL ? &client->url : NULL;
    esp_err_t err = esp_url_resolve(base, text, next);
    if (err == ESP_OK && next->host == NULL) {
        esp_url_free(next);
        err = ESP_ERR_INVALID_ARG; /* "mailto:x", say: nothing to connect to */
    }
    if (err == ESP_ERR_INVALID_ARG) {
        ESP_LOGE(TAG, "not a URL%s with a host: %s", base != NULL ? " or reference" : "", text);
    }
    if (err != ESP_OK) {
        return err;
    }
    free(next->fragment); /* never sent */
    next->fragment = NULL;
    next->port = next->port != 0 ? next->port : default_port(next->scheme);
    if (next->path[0] == '\0') {
        char *root = strdup("/");
        if (root == NULL) {
            esp_url_free(next);
            return ESP_ERR_NO_MEM;
        }
        free(next->path);
        next->path = root;
    }
    return ESP_OK;
}

esp_err_t http_url_adopt(esp_http_client_handle_t client, esp_url_t *next)
{
    esp_err_t err = take_userinfo(client, next->userinfo);
    free(next->userinfo); /* the credentials live in the handle, not in the URL */
    next->userinfo = NULL;
    if (err != ESP_OK) {
        esp_url_free(next);
        return err;
    }
    esp_url_free(&client->url);
    client->url = *next;
    *next = (esp_url_t){ 0 };
    return ESP_OK;
}

esp_err_t http_url_set(esp_http_client_handle_t client, const char *text)
{
    esp_url_t next;
    esp_err_t err = http_url_resolve(client, text, &next);
    return err == ESP_OK ? http_url_adopt(client, &next) : err;
}

char *http_url_host_header(const esp_url_t *url)
{
    int port = url->port != default_port(url->scheme) ? url->port : 0;
    int len = esp_url_format_host(NULL, 0, url->host, port);
    char *host = malloc((size_t)len + 1);
    if (host != NULL) {
        esp_url_format_host(host, (size_t)len + 1, url->host, port);
    }
    return host;
}
