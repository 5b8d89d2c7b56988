/*
 * URLs (esp_url.h): authorities through http_parser's URL parser; the split of references
 * without one, and RFC 3986's reference resolution (5.2), here.
 */
#include "esp_url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parser.h"

/* A URI has no spaces or control characters (RFC 3986, 2): a request line or a header made
 * from one must not either. */
static bool has_bad_char(const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c == 0x7f) {
            return true;
        }
    }
    return false;
}

/* *slot = a copy of [begin, end). */
static esp_err_t take(char **slot, const char *begin, const char *end)
{
    *slot = strndup(begin, (size_t)(end - begin));
    return *slot != NULL ? ESP_OK : ESP_ERR_NO_MEM;
}

/* *slot = a copy of value (NULL stays NULL), replacing what it held. */
static esp_err_t copy(char **slot, const char *value)
{
    free(*slot);
    *slot = NULL;
    return value != NULL ? take(slot, value, value + strlen(value)) : ESP_OK;
}

/* A scheme's character after its first: ALPHA / DIGIT / "+" / "-" / "." */
static bool is_scheme_char(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

/* The length of the scheme that starts s (3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"),
 * or 0 when s does not start with one. */
static size_t scheme_len(const char *s, const char *end)
{
    if (s == end || !isalpha((unsigned char)*s)) {
        return 0;
    }
    const char *p = s + 1;
    while (p < end && is_scheme_char(*p)) {
        p++;
    }
    return p < end && *p == ':' ? (size_t)(p - s) : 0;
}

static void lower(char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        *s = (char)tolower((unsigned char)*s);
    }
}

static esp_err_t take_field(char **slot, const char *s, const struct http_parser_url *u, enum http_parser_url_fields f)
{
    if ((u->field_set & (1 << f)) == 0) {
        return ESP_OK;
    }
    const char *begin = s + u->field_data[f].off;
    return take(slot, begin, begin + u->field_data[f].len);
}

/* The parts http_parser found in s. A placeholder scheme (has_scheme false) is not taken. */
static esp_err_t take_fields(const char *s, const struct http_parser_url *u, bool has_scheme, esp_url_t *url)
{
    static const enum http_parser_url_fields fields[] = { UF_SCHEMA, UF_USERINFO, UF_HOST, UF_PATH, UF_QUERY };
    char **slots[] = { &url->scheme, &url->userinfo, &url->host, &url->path, &url->query };
    esp_err_t err = ESP_OK;
    for (size_t i = has_scheme ? 0 : 1; err == ESP_OK && i < sizeof(fields) / sizeof(fields[0]); i++) {
        err = take_field(slots[i], s, u, fields[i]);
    }
    url->port = (u->field_set & (1 << UF_PORT)) != 0 ? u->port : 0;
    return err;
}

/* [text, end) has an authority ("scheme://..." or "//..."): http_parser splits it, given a
 * placeholder scheme for a network-path reference. */
static esp_err_t split_with_authority(const char *text, const char *end, bool has_scheme, esp_url_t *url)
{
    const char *prefix = has_scheme ? "" : "x:";
    size_t len = strlen(prefix) + (size_t)(end - text);
    char *s = malloc(len + 1);
    if (s == NULL) {
        return ESP_ERR_NO_MEM;
    }
    snprintf(s, len + 1, "%s%.*s", prefix, (int)(end - text), text);
    struct http_parser_url u;
    http_parser_url_init(&u);
    bool parsed = http_parser_parse_url(s, len, 0, &u) == 0 && (u.field_set & (1 << UF_HOST)) != 0;
    esp_err_t err = !parsed ? ESP_ERR_INVALID_ARG : take_fields(s, &u, has_scheme, url);
    if (err == ESP_OK && (u.field_set & (1 << UF_PORT)) != 0 && u.port == 0) {
        err = ESP_ERR_INVALID_ARG; /* port 0 names no service */
    }
    free(s);
    return err;
}

/* [text, end) has no authority: "scheme:" (scheme_len > 0), a path, "?" and a query. */
static esp_err_t split_path(const char *text, size_t scheme_length, const char *end, esp_url_t *url)
{
    const char *p = scheme_length > 0 ? text + scheme_length + 1 : text;
    const char *q = memchr(p, '?', (size_t)(end - p));
    esp_err_t err = scheme_length > 0 ? take(&url->scheme, text, text + scheme_length) : ESP_OK;
    if (err == ESP_OK) {
        err = take(&url->path, p, q != NULL ? q : end);
    }
    if (err == ESP_OK && q != NULL) {
        err = take(&url->query, q + 1, end);
    }
    return err;
}

/* The fragment, then the rest with or without an authority (RFC 3986, appendix B). */
static esp_err_t split(const char *text, esp_url_t *url)
{
    const char *end = text + strlen(text);
    const char *hash = strchr(text, '#');
    if (hash != NULL) {
        esp_err_t err = take(&url->fragment, hash + 1, end);
        if (err != ESP_OK) {
            return err;
        }
        end = hash;
    }
    size_t slen = scheme_len(text, end);
    const char *rest = slen > 0 ? text + slen + 1 : text;
    if (end - rest >= 2 && rest[0] == '/' && rest[1] == '/') {
        return split_with_authority(text, end, slen > 0, url);
    }
    return split_path(text, slen, end, url);
}

esp_err_t esp_url_parse(const char *text, esp_url_t *url)
{
    if (url == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *url = (esp_url_t){ 0 };
    if (text == NULL || has_bad_char(text)) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = split(text, url);
    if (err == ESP_OK && url->path == NULL) {
        err = copy(&url->path, "");
    }
    if (err != ESP_OK) {
        esp_url_free(url);
        return err;
    }
    lower(url->scheme);
    return ESP_OK;
}

/* ---- reference resolution (RFC 3986, 5.2) ---- */

/* The rules of 5.2.4 that remove a dot segment at the start of the input: a prefix, or the
 * whole input (whole), is dropped; drop_last removes the output's last segment; a whole-input
 * rule that stands for "/" ends the output with one. */
static const struct {
    const char *text;
    bool whole;
    bool drop_last;
    bool slash;
} dot_rules[] = {
    { "../", false, false, false }, /* A */
    { "./", false, false, false },  /* A */
    { "/./", false, false, false }, /* B: leaves its last '/' */
    { "/.", true, false, true },    /* B */
    { "/../", false, true, false }, /* C: leaves its last '/' */
    { "/..", true, true, true },    /* C */
    { ".", true, false, false },    /* D */
    { "..", true, false, false },   /* D */
};

/* The rule that applies at in, or -1. */
static int dot_rule(const char *in, const char *end)
{
    for (size_t i = 0; i < sizeof(dot_rules) / sizeof(dot_rules[0]); i++) {
        size_t n = strlen(dot_rules[i].text);
        size_t left = (size_t)(end - in);
        if ((dot_rules[i].whole ? left == n : left >= n) && memcmp(in, dot_rules[i].text, n) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Removes the output's last segment and the '/' before it (5.2.4 C). */
static void drop_last_segment(const char *out, size_t *out_len)
{
    while (*out_len > 0 && out[*out_len - 1] != '/') {
        (*out_len)--;
    }
    if (*out_len > 0) {
        (*out_len)--;
    }
}

/* 5.2.4, in place: the output never gets ahead of the input it came from. */
static void remove_dot_segments(char *path)
{
    const char *in = path, *end = path + strlen(path);
    size_t out_len = 0;
    while (in < end) {
        int r = dot_rule(in, end);
        if (r >= 0) {
            size_t n = strlen(dot_rules[r].text);
            in += dot_rules[r].whole ? n : n - (dot_rules[r].text[0] == '/' ? 1 : 0);
            if (dot_rules[r].drop_last) {
                drop_last_segment(path, &out_len);
            }
            if (dot_rules[r].slash) {
                path[out_len++] = '/';
            }
            continue;
        }
        const char *next = in + 1 < end ? memchr(in + 1, '/', (size_t)(end - in - 1)) : NULL;
        size_t n = (size_t)((next != NULL ? next : end) - in); /* E: one segment, its '/' first */
        memmove(path + out_len, in, n);
        out_len += n;
        in += n;
    }
    path[out_len] = '\0';
}

/* 5.2.3: base's path up to its last '/', then the reference's; "/" when base has an authority
 * and an empty path. */
static esp_err_t merge(const esp_url_t *base, char **path)
{
    const char *slash = strrchr(base->path, '/');
    size_t dir_len = slash != NULL ? (size_t)(slash - base->path) + 1 : 0;
    const char *dir = base->path;
    if (base->host != NULL && base->path[0] == '\0') {
        dir = "/";
        dir_len = 1;
    }
    size_t len = dir_len + strlen(*path) + 1;
    char *merged = malloc(len);
    if (merged == NULL) {
        return ESP_ERR_NO_MEM;
    }
    snprintf(merged, len, "%.*s%s", (int)dir_len, dir, *path);
    free(*path);
    *path = merged;
    return ESP_OK;
}

static esp_err_t copy_authority(const esp_url_t *base, esp_url_t *r)
{
    r->port = base->port;
    esp_err_t err = copy(&r->userinfo, base->userinfo);
    return err == ESP_OK ? copy(&r->host, base->host) : err;
}

/* 5.2.2 for a reference without a scheme (r), base's parts filling in. */
static esp_err_t inherit(const esp_url_t *base, esp_url_t *r)
{
    esp_err_t err = copy(&r->scheme, base->scheme);
    if (err != ESP_OK || r->host != NULL) {
        return err; /* a network-path reference keeps its own authority */
    }
    err = copy_authority(base, r);
    if (err == ESP_OK && r->path[0] == '\0') {
        err = copy(&r->path, base->path); /* the same document */
        return err == ESP_OK && r->query == NULL ? copy(&r->query, base->query) : err;
    }
    return err == ESP_OK && r->path[0] != '/' ? merge(base, &r->path) : err;
}

esp_err_t esp_url_resolve(const esp_url_t *base, const char *text, esp_url_t *target)
{
    if (target == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_url_t r;
    esp_err_t err = esp_url_parse(text, &r);
    if (err == ESP_OK && r.scheme == NULL && (base == NULL || base->scheme == NULL)) {
        err = ESP_ERR_INVALID_ARG; /* relative, with nothing to resolve it against */
    }
    if (err == ESP_OK && r.scheme == NULL) {
        err = inherit(base, &r);
    }
    if (err == ESP_OK) {
        remove_dot_segments(r.path);
    } else {
        esp_url_free(&r);
    }
    *target = r;
    return err;
}

/* ---- text ---- */

int esp_url_format_host(char *buf, size_t len, const char *host, int port)
{
    if (host == NULL) {
        return -1;
    }
    bool v6 = strchr(host, ':') != NULL; /* a reg-name or IPv4 address never has one */
    char port_text[16] = "";
    if (port > 0) {
        snprintf(port_text, sizeof(port_text), ":%d", port);
    }
    return snprintf(buf, len, "%s%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "", port_text);
}

static size_t len_or_0(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* mark when the part it introduces is there, else nothing */
static const char *mark_if(const char *part, const char *mark)
{
    return part != NULL ? mark : "";
}

char *esp_url_to_string(const esp_url_t *url)
{
    if (url == NULL || url->path == NULL) {
        return NULL;
    }
    int host_len = url->host != NULL ? esp_url_format_host(NULL, 0, url->host, url->port) : 0;
    /* the punctuation: ':' "//" '@' '?' '#' and the NUL */
    size_t cap = 7 + len_or_0(url->scheme) + len_or_0(url->userinfo) + (size_t)host_len + strlen(url->path) +
                 len_or_0(url->query) + len_or_0(url->fragment);
    char *s = malloc(cap);
    if (s == NULL) {
        return NULL;
    }
    size_t n = 0;
    if (url->scheme != NULL) {
        n += (size_t)snprintf(s + n, cap - n, "%s:", url->scheme);
    }
    if (url->host != NULL) {
        n += (size_t)snprintf(s + n, cap - n, "//%s%s", or_empty(url->userinfo), mark_if(url->userinfo, "@"));
        n += (size_t)esp_url_format_host(s + n, cap - n, url->host, url->port);
    }
    snprintf(s + n, cap - n, "%s%s%s%s%s", url->path, mark_if(url->query, "?"), or_empty(url->query),
             mark_if(url->fragment, "#"), or_empty(url->fragment));
    return s;
}

void esp_url_free(esp_url_t *url)
{
    if (url == NULL) {
        return;
    }
    free(url->scheme);
    free(url->userinfo);
    free(url->host);
    free(url->path);
    free(url->query);
    free(url->fragment);
    *url = (esp_url_t){ 0 };
}
