/* The request URL: absolute URLs through http_parser's URL parser, relative ones (redirects)
 * resolved against the current URL. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_http_client_private.h"
#include "esp_log.h"

static const char *TAG = "http_url";

void http_url_free(http_url_t *url)
{
    free(url->scheme);
    free(url->host);
    free(url->path);
    free(url->query);
    *url = (http_url_t){ 0 };
}

char *http_url_origin(const http_url_t *url)
{
    size_t len = strlen(url->scheme) + strlen(url->host) + 16;
    char *s = malloc(len);
    if (s != NULL) {
        snprintf(s, len, "%s://%s:%d", url->scheme, url->host, url->port);
    }
    return s;
}

bool http_url_at_origin(const http_url_t *url, const char *origin)
{
    char *here = http_url_origin(url);
    bool same = here != NULL && strcasecmp(here, origin) == 0;
    free(here);
    return same;
}

static char *field(const char *url, const struct http_parser_url *u, enum http_parser_url_fields f)
{
    if ((u->field_set & (1 << f)) == 0) {
        return NULL;
    }
    return strndup(url + u->field_data[f].off, u->field_data[f].len);
}

/* "user:password" of the URL becomes the handle's credentials. */
static esp_err_t take_userinfo(esp_http_client_handle_t client, const char *url, const struct http_parser_url *u)
{
    char *info = field(url, u, UF_USERINFO);
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
    free(info);
    return err;
}

static esp_err_t set_absolute(esp_http_client_handle_t client, const char *url)
{
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(url, strlen(url), 0, &u) != 0 || (u.field_set & (1 << UF_HOST)) == 0 ||
        (u.field_set & (1 << UF_SCHEMA)) == 0) {
        ESP_LOGE(TAG, "not a URL: %s", url);
        return ESP_ERR_INVALID_ARG;
    }
    http_url_t next = { .scheme = field(url, &u, UF_SCHEMA), .host = field(url, &u, UF_HOST),
                        .path = field(url, &u, UF_PATH), .query = field(url, &u, UF_QUERY) };
    if (next.path == NULL) {
        next.path = strdup("/");
    }
    if (next.scheme == NULL || next.host == NULL || next.path == NULL) {
        http_url_free(&next);
        return ESP_ERR_NO_MEM;
    }
    for (char *c = next.scheme; *c != '\0'; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    next.port = (u.field_set & (1 << UF_PORT)) != 0 ? u.port : strcmp(next.scheme, "https") == 0 ? 443 : 80;
    esp_err_t err = take_userinfo(client, url, &u);
    if (err != ESP_OK) {
        http_url_free(&next);
        return err;
    }
    http_url_free(&client->url);
    client->url = next;
    return ESP_OK;
}

/* "/a/b?q" replaces path and query; "b?q" replaces the last segment of the current path. */
static esp_err_t set_relative(esp_http_client_handle_t client, const char *url)
{
    const char *q = strchr(url, '?');
    size_t path_len = q != NULL ? (size_t)(q - url) : strlen(url);
    size_t dir_len = 0;
    if (url[0] != '/') {
        const char *slash = strrchr(client->url.path, '/');
        dir_len = slash != NULL ? (size_t)(slash - client->url.path) + 1 : 0;
    }
    char *path = malloc(dir_len + path_len + 2);
    char *query = q != NULL ? strdup(q + 1) : NULL;
    if (path == NULL || (q != NULL && query == NULL)) {
        free(path);
        free(query);
        return ESP_ERR_NO_MEM;
    }
    memcpy(path, client->url.path, dir_len);
    memcpy(path + dir_len, url, path_len);
    path[dir_len + path_len] = '\0';
    if (path[0] == '\0') {
        strcpy(path, "/");
    }
    free(client->url.path);
    free(client->url.query);
    client->url.path = path;
    client->url.query = query;
    return ESP_OK;
}

esp_err_t http_url_set(esp_http_client_handle_t client, const char *url)
{
    if (strstr(url, "://") != NULL) {
        return set_absolute(client, url);
    }
    if (client->url.host == NULL) {
        ESP_LOGE(TAG, "a relative URL needs a current one: %s", url);
        return ESP_ERR_INVALID_ARG;
    }
    return set_relative(client, url);
}
