/*
 * Authentication: Basic (RFC 7617) and Digest (RFC 7616, MD5 or SHA-256, qop "auth" or none).
 * The challenge is the server's WWW-Authenticate from a 401; Digest answers it on every later
 * request, counting them in nc.
 *
 * Where credentials go, as curl decides it: the credentials and any Authorization and Cookie
 * header go to the origin (scheme, host, port) of the URL the caller set; a redirect elsewhere
 * leaves them behind, unless location_trusted (curl's --location-trusted). Beyond curl: a Digest
 * client never falls back to Basic because a 401 asks for it, and a handle that has used https
 * never sends Basic credentials over plain http.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "esp_http_client_private.h"
#include "esp_log.h"
#include "mbedtls/base64.h"
#include "mbedtls/md.h"

static const char *TAG = "http_auth";

#define PARAM_LEN 160

static esp_err_t basic_header(esp_http_client_handle_t client)
{
    const char *password = client->password != NULL ? client->password : "";
    size_t plain_len = strlen(client->username) + 1 + strlen(password);
    size_t b64_len = 4 * ((plain_len + 2) / 3) + 1, olen = 0;
    char *plain = malloc(plain_len + 1), *header = malloc(b64_len + 6);
    esp_err_t err = plain != NULL && header != NULL ? ESP_OK : ESP_ERR_NO_MEM;
    if (err == ESP_OK) {
        sprintf(plain, "%s:%s", client->username, password);
        strcpy(header, "Basic ");
        mbedtls_base64_encode((unsigned char *)header + 6, b64_len, &olen, (unsigned char *)plain, plain_len);
        err = esp_http_client_set_header(client, "Authorization", header);
    }
    free(plain);
    free(header);
    return err;
}

/* The value of parameter name in a challenge ("Digest realm=\"x\", nonce=...") into out.
 * A cursor walks from after the scheme to end; every step checks it first. */
static bool challenge_param(const char *challenge, const char *name, char *out, size_t out_len)
{
    const char *p = challenge, *end = challenge + strlen(challenge);
    while (p < end && !isspace((unsigned char)*p)) {
        p++; /* the scheme */
    }
    size_t name_len = strlen(name);
    while (p < end) {
        while (p < end && (isspace((unsigned char)*p) || *p == ',')) {
            p++;
        }
        const char *key = p;
        while (p < end && *p != '=') {
            p++;
        }
        if (p >= end) {
            return false;
        }
        bool match = (size_t)(p - key) == name_len && strncasecmp(key, name, name_len) == 0;
        p++;
        bool quoted = p < end && *p == '"';
        const char *value = quoted ? ++p : p;
        while (p < end && (quoted ? *p != '"' : *p != ',')) {
            p++;
        }
        size_t len = (size_t)(p - value);
        if (match) {
            if (len >= out_len) {
                return false;
            }
            memcpy(out, value, len);
            out[len] = '\0';
            return true;
        }
        p += quoted && p < end ? 1 : 0;
    }
    return false;
}

typedef struct {
    char realm[PARAM_LEN], nonce[PARAM_LEN], opaque[PARAM_LEN], qop[PARAM_LEN], algorithm[32];
} digest_challenge_t;

/* hex(H(a:b:c...)) of the NUL-terminated parts, joined by ':'. */
static bool digest_hash(const mbedtls_md_info_t *md, char *hex, const char *const parts[])
{
    mbedtls_md_context_t ctx;
    unsigned char sum[MBEDTLS_MD_MAX_SIZE];
    mbedtls_md_init(&ctx);
    bool ok = mbedtls_md_setup(&ctx, md, 0) == 0 && mbedtls_md_starts(&ctx) == 0;
    for (int i = 0; ok && parts[i] != NULL; i++) {
        ok = (i == 0 || mbedtls_md_update(&ctx, (const unsigned char *)":", 1) == 0) &&
             mbedtls_md_update(&ctx, (const unsigned char *)parts[i], strlen(parts[i])) == 0;
    }
    ok = ok && mbedtls_md_finish(&ctx, sum) == 0;
    mbedtls_md_free(&ctx);
    for (unsigned i = 0; ok && i < mbedtls_md_get_size(md); i++) {
        sprintf(hex + 2 * i, "%02x", sum[i]);
    }
    return ok;
}

static const mbedtls_md_info_t *digest_md(const char *algorithm)
{
    if (algorithm[0] == '\0' || strcasecmp(algorithm, "MD5") == 0) {
        return mbedtls_md_info_from_type(MBEDTLS_MD_MD5);
    }
    return strcasecmp(algorithm, "SHA-256") == 0 ? mbedtls_md_info_from_type(MBEDTLS_MD_SHA256) : NULL;
}

static char *request_uri(esp_http_client_handle_t client)
{
    const esp_url_t *u = &client->url;
    size_t len = strlen(u->path) + (u->query != NULL ? strlen(u->query) + 1 : 0) + 1;
    char *uri = malloc(len);
    if (uri != NULL) {
        snprintf(uri, len, "%s%s%s", u->path, u->query != NULL ? "?" : "", u->query != NULL ? u->query : "");
    }
    return uri;
}

/* response = H(H(user:realm:password) : nonce [: nc : cnonce : qop] : H(method:uri)) */
static bool digest_response(esp_http_client_handle_t client, const digest_challenge_t *c, const mbedtls_md_info_t *md,
                            const char *uri, const char *nc, const char *cnonce, char *out)
{
    char ha1[2 * MBEDTLS_MD_MAX_SIZE + 1], ha2[2 * MBEDTLS_MD_MAX_SIZE + 1];
    const char *password = client->password != NULL ? client->password : "";
    const char *a1[] = { client->username, c->realm, password, NULL };
    const char *a2[] = { http_method_name(client->method), uri, NULL };
    if (!digest_hash(md, ha1, a1) || !digest_hash(md, ha2, a2)) {
        return false;
    }
    const char *with_qop[] = { ha1, c->nonce, nc, cnonce, "auth", ha2, NULL };
    const char *without[] = { ha1, c->nonce, ha2, NULL };
    return digest_hash(md, out, c->qop[0] != '\0' ? with_qop : without);
}

static esp_err_t digest_header(esp_http_client_handle_t client)
{
    digest_challenge_t c = { 0 };
    const char *ch = client->auth_challenge;
    challenge_param(ch, "opaque", c.opaque, sizeof(c.opaque));
    challenge_param(ch, "qop", c.qop, sizeof(c.qop));
    challenge_param(ch, "algorithm", c.algorithm, sizeof(c.algorithm));
    const mbedtls_md_info_t *md = digest_md(c.algorithm);
    if (!challenge_param(ch, "realm", c.realm, sizeof(c.realm)) || !challenge_param(ch, "nonce", c.nonce, sizeof(c.nonce)) ||
        md == NULL) {
        ESP_LOGE(TAG, "a Digest challenge portls cannot answer: %s", ch);
        return ESP_ERR_NOT_SUPPORTED;
    }
    unsigned char random[8];
    char nc[9], cnonce[17], response[2 * MBEDTLS_MD_MAX_SIZE + 1];
    if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random)) {
        return ESP_FAIL;
    }
    for (int i = 0; i < 8; i++) {
        sprintf(cnonce + 2 * i, "%02x", random[i]);
    }
    snprintf(nc, sizeof(nc), "%08x", ++client->digest_nc);
    char *uri = request_uri(client);
    size_t len = 512 + strlen(client->username) + (uri != NULL ? strlen(uri) : 0) + 3 * PARAM_LEN;
    char *header = malloc(len);
    esp_err_t err = uri != NULL && header != NULL ? ESP_OK : ESP_ERR_NO_MEM;
    if (err == ESP_OK && !digest_response(client, &c, md, uri, nc, cnonce, response)) {
        err = ESP_FAIL;
    }
    if (err == ESP_OK) {
        int n = snprintf(header, len, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", algorithm=%s, response=\"%s\"",
                         client->username, c.realm, c.nonce, uri, c.algorithm[0] ? c.algorithm : "MD5", response);
        if (c.qop[0] != '\0') {
            n += snprintf(header + n, len - (size_t)n, ", qop=auth, nc=%s, cnonce=\"%s\"", nc, cnonce);
        }
        if (c.opaque[0] != '\0') {
            snprintf(header + n, len - (size_t)n, ", opaque=\"%s\"", c.opaque);
        }
        err = esp_http_client_set_header(client, "Authorization", header);
    }
    free(uri);
    free(header);
    return err;
}

/* ---- where credentials may go ---- */

esp_err_t http_auth_trust_origin(esp_http_client_handle_t client)
{
    char *origin = http_url_origin(&client->url);
    if (origin == NULL) {
        return ESP_ERR_NO_MEM;
    }
    free(client->trusted_origin);
    client->trusted_origin = origin;
    return ESP_OK;
}

bool http_auth_may_answer(esp_http_client_handle_t client)
{
    return client->location_trusted || http_url_at_origin(&client->url, client->trusted_origin);
}

/* Basic over plain http after https: the password, readable by anyone on the path. */
static bool basic_refused(esp_http_client_handle_t client)
{
    return client->used_https && strcmp(client->url.scheme, "https") != 0;
}

static bool is_basic(const char *value)
{
    return value != NULL && strncasecmp(value, "Basic", 5) == 0 && (value[5] == ' ' || value[5] == '\0');
}

bool http_auth_header_allowed(esp_http_client_handle_t client, const char *key, const char *value)
{
    bool authorization = strcasecmp(key, "Authorization") == 0;
    if (!authorization && strcasecmp(key, "Cookie") != 0) {
        return true;
    }
    if (!http_auth_may_answer(client)) {
        return false;
    }
    return !authorization || !is_basic(value) || !basic_refused(client);
}

static bool carries_credentials(esp_http_client_handle_t client)
{
    return client->username != NULL || http_header_get(client->headers, "Authorization") != NULL ||
           http_header_get(client->headers, "Cookie") != NULL;
}

static bool sends_basic(esp_http_client_handle_t client)
{
    return (client->username != NULL && client->auth_type == HTTP_AUTH_TYPE_BASIC) ||
           is_basic(http_header_get(client->headers, "Authorization"));
}

/* Says, once per request, what is left behind and why. */
static void note_withheld(esp_http_client_handle_t client)
{
    if (!http_auth_may_answer(client)) {
        if (carries_credentials(client)) {
            ESP_LOGI(TAG, "credentials, Authorization and Cookie not sent to %s://%s:%d: a redirect left %s",
                     client->url.scheme, client->url.host, client->url.port, client->trusted_origin);
        }
        return;
    }
    if (basic_refused(client) && sends_basic(client)) {
        ESP_LOGW(TAG, "Basic credentials refused over plain http to %s: this handle has used https, and the "
                 "password would travel in the clear", client->url.host);
    }
}

esp_err_t http_auth_prepare(esp_http_client_handle_t client)
{
    note_withheld(client);
    if (client->username == NULL || !http_auth_may_answer(client)) {
        return ESP_OK;
    }
    if (client->auth_type == HTTP_AUTH_TYPE_BASIC) {
        return basic_refused(client) ? ESP_OK : basic_header(client);
    }
    if (client->auth_type == HTTP_AUTH_TYPE_DIGEST && client->auth_challenge != NULL) {
        esp_err_t err = digest_header(client);
        return err == ESP_ERR_NOT_SUPPORTED ? ESP_OK : err;
    }
    return ESP_OK;
}

/* Adopts the scheme of challenge (a WWW-Authenticate value). */
static esp_err_t take_challenge(esp_http_client_handle_t client, const char *challenge, size_t len)
{
    if (len >= 5 && strncasecmp(challenge, "Basic", 5) == 0) {
        client->auth_type = HTTP_AUTH_TYPE_BASIC;
        return ESP_OK;
    }
    if (len < 6 || strncasecmp(challenge, "Digest", 6) != 0) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    char *copy = strndup(challenge, len);
    if (copy == NULL) {
        return ESP_ERR_NO_MEM;
    }
    free(client->auth_challenge);
    client->auth_challenge = copy;
    client->digest_nc = 0;
    client->auth_type = HTTP_AUTH_TYPE_DIGEST;
    return ESP_OK;
}

/* A 401 asking for Basic is not answered by a Digest client (a server, or anyone on the path,
 * would get the password for the asking), nor over http by a handle that has used https. */
static bool basic_answer_refused(esp_http_client_handle_t client, const char *challenge)
{
    if (!is_basic(challenge)) {
        return false;
    }
    if (client->auth_type == HTTP_AUTH_TYPE_DIGEST) {
        ESP_LOGW(TAG, "a 401 asks for Basic; this client is configured for Digest and does not send the password");
        return true;
    }
    if (basic_refused(client)) {
        ESP_LOGW(TAG, "a 401 asks for Basic over plain http; this handle has used https and does not send the password");
        return true;
    }
    return false;
}

esp_err_t http_auth_take_challenge(esp_http_client_handle_t client)
{
    const char *challenge = client->response.www_authenticate;
    if (challenge == NULL || basic_answer_refused(client, challenge)) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    return take_challenge(client, challenge, strlen(challenge));
}

esp_err_t esp_http_client_add_auth(esp_http_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!client->response.headers_complete || client->response.status_code != 401) {
        return ESP_ERR_INVALID_STATE;
    }
    return http_auth_take_challenge(client);
}

esp_err_t esp_http_client_set_auth_data(esp_http_client_handle_t client, const char *auth_data, int len)
{
    if (client == NULL || auth_data == NULL || len <= 0) {
        return ESP_ERR_INVALID_ARG;
    }
    return take_challenge(client, auth_data, (size_t)len);
}
