/*
 * esp_url.h: portls extension. The one URL parser of the library: esp-tls
 * (esp_tls_conn_http_new_*), esp_http_client (its URL and redirects), the MQTT client (the broker
 * URI) and the portls tool use it.
 *
 * A URL with an authority ("scheme://[userinfo@]host[:port]...") is split by http_parser's URL
 * parser, which also checks the host and the port. References without an authority are split at
 * '?' and '#' (RFC 3986, appendix B). Relative references are resolved as RFC 3986 section 5.2
 * says, dot segments included (5.2.4).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The parts of a URL or of a relative reference. Every string is the struct's own (malloc'd),
 * freed by esp_url_free(). Parts are kept as written: nothing is percent-decoded.
 */
typedef struct {
    char *scheme;   /*!< lower case, without ':'; NULL in a relative reference */
    char *userinfo; /*!< "user:password", without '@'; NULL when there is none */
    char *host;     /*!< an IPv6 literal without its brackets (esp_url_format_host() adds them);
                         NULL when the reference has no authority */
    int port;       /*!< 1..65535 as written, 0 when the URL names none */
    char *path;     /*!< never NULL; "" when empty */
    char *query;    /*!< without '?'; NULL when there is none ("" for a bare '?') */
    char *fragment; /*!< without '#'; NULL when there is none */
} esp_url_t;

/**
 * Splits text, a URI reference: an absolute URL ("http://h/p"), a network-path reference
 * ("//h:8080/p"), or a relative one ("/p?q", "../g", "?q", "#f"). A scheme is only recognised as
 * RFC 3986 writes it: letters, digits, '+', '-', '.' before a ':' that comes before any '/', '?'
 * or '#', so "/a?next=http://b" is a path and a query. Dot segments are left as they are.
 *
 * @param text NUL-terminated; not kept.
 * @param[out] url filled on success (free with esp_url_free()); zeroed on failure.
 * @return ESP_OK; ESP_ERR_INVALID_ARG for NULLs, a control character or space in text, an
 *         authority that http_parser refuses (bad host, port above 65535, port 0); ESP_ERR_NO_MEM.
 */
esp_err_t esp_url_parse(const char *text, esp_url_t *url);

/**
 * Resolves the reference text against base (RFC 3986 5.2.2): an absolute URL replaces it, a
 * network-path reference keeps base's scheme, a relative one base's scheme and authority; the
 * result's path has its dot segments removed (5.2.4), and its fragment is text's (never base's).
 *
 * @param base an absolute URL (with a scheme), or NULL when text must be absolute itself.
 * @param text NUL-terminated; not kept.
 * @param[out] target filled on success (free with esp_url_free()); zeroed on failure.
 * @return ESP_OK; ESP_ERR_INVALID_ARG when text does not parse, or is relative and base is NULL
 *         or has no scheme; ESP_ERR_NO_MEM.
 */
esp_err_t esp_url_resolve(const esp_url_t *base, const char *text, esp_url_t *target);

/**
 * The URL as text (RFC 3986 5.3): scheme, "//" and the authority when there is a host (userinfo,
 * the host in brackets if it is an IPv6 literal, the port if not 0), path, query, fragment.
 * @return a malloc'd string the caller frees; NULL for a NULL url or when out of memory.
 */
char *esp_url_to_string(const esp_url_t *url);

/**
 * A host as a URL and a Host header write it: an IPv6 literal (a host with a ':') in brackets,
 * followed by ":port" when port > 0. "::1", 8080 gives "[::1]:8080"; "example.com", 0 gives
 * "example.com".
 * @param buf receives the text, NUL-terminated and cut to len - 1 characters when it is longer;
 *            may be NULL when len is 0 (to measure).
 * @return the length the whole text has (as snprintf), or -1 when host is NULL.
 */
int esp_url_format_host(char *buf, size_t len, const char *host, int port);

/** Frees the parts of url and zeroes it; url may be NULL. */
void esp_url_free(esp_url_t *url);

#ifdef __cplusplus
}
#endif
