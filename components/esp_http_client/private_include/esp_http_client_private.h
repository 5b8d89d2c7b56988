/* The client handle, shared by the files of this component. Not public. */
#pragma once

#include "esp_http_client.h"
#include "esp_transport.h"
#include "esp_url.h"
#include "http_parser.h"

typedef struct http_header {
    char *key;
    char *value;
    struct http_header *next;
} http_header_t;


/* What the parser found in the response. */
typedef struct {
    int status_code;
    int64_t content_length; /* -1: chunked or unknown */
    bool chunked;
    bool headers_complete;
    bool message_complete;
    bool keep_alive;
    char *location;         /* Location, for redirects */
    char *www_authenticate; /* WWW-Authenticate, for a 401 */
    char *content_range;    /* Content-Range, for get_content_range */
    char *field;            /* the header name being assembled */
    char *value;            /* its value being assembled */
    bool in_value;
    bool header_too_long;   /* a name or value larger than the receive buffer */
    int64_t body_delivered;
    int chunk_length;       /* the size of the chunk being read, for get_chunk_length */
#ifdef CONFIG_ESP_HTTP_CLIENT_SAVE_RESPONSE_HEADERS
    http_header_t *saved;   /* for get_response_header */
    int saved_count;
#endif
} http_response_t;

struct esp_http_client {
    esp_http_client_config_t cfg; /* copy; the strings below are the handle's own */
    char *username;
    char *password;
    char *user_agent;
    esp_http_client_auth_type_t auth_type;
    esp_http_client_method_t method;
    int timeout_ms;
    int buffer_size;
    int max_redirects;
    int redirects;
    bool redirect_set;      /* esp_http_client_set_redirection() succeeded: the handler follows */
    int max_auth_retries;
    int auth_retries;
    char *auth_challenge;             /* the last Digest challenge */
    unsigned digest_nc;               /* requests made with its nonce */
    char *trusted_origin;             /* the caller's URL's origin: credentials, Authorization and
                                         Cookie go there only (curl's rule for redirects) */
    bool location_trusted;            /* ... or anywhere a redirect leads (curl --location-trusted) */
    bool used_https;                  /* a request went over https: Basic never goes over http */
    esp_url_t url;                    /* the current URL, as http_url_resolve() leaves it */
    http_header_t *headers;
    const char *post_data;
    int post_len;

    esp_transport_list_handle_t transports;
    esp_transport_handle_t transport; /* connected one, or NULL */
    esp_transport_handle_t connecting; /* is_async: the one whose connect is in progress */
    esp_transport_handle_t failed;    /* the one whose connect failed, until the next close */
    int perform_step;                 /* where perform() goes on after ESP_ERR_HTTP_EAGAIN */
    bool in_perform;                  /* a perform() returned ESP_ERR_HTTP_EAGAIN and goes on */
    char *connected_to;               /* "scheme://host:port" of that connection */
    int write_left;                   /* body bytes still to send; -1 chunked */
    int post_sent;                    /* perform(): bytes of the post field sent */

    http_parser parser;
    http_parser_settings parser_settings;
    http_response_t response;
    char *raw;       /* buffer_size bytes from the transport */
    char *body;      /* body bytes parsed out of raw, not yet read */
    int body_len;
    int body_off;
    char *read_into; /* the caller's buffer during a read, for body bytes */
};

/* Header lists (esp_http_client.c): the value of key (case-insensitive) or NULL; add or replace
 * (copied; ESP_OK or ESP_ERR_NO_MEM); free every entry. */
const char *http_header_get(const http_header_t *list, const char *key);
esp_err_t http_header_set(http_header_t **list, const char *key, const char *value);
void http_header_free_all(http_header_t **list);

/* URL (http_url.c). resolve: text (a URL, or a reference resolved against the current URL)
 * into *next, with a host, a lower-case scheme, a port (the scheme's when text names none), a
 * path ("/" at least) and no fragment; ESP_OK, ESP_ERR_INVALID_ARG (logged), ESP_ERR_NO_MEM.
 * adopt: *next becomes the current URL (it is moved, *next zeroed), its userinfo the
 * credentials; ESP_OK or ESP_ERR_NO_MEM (*next freed). set: resolve, then adopt. */
esp_err_t http_url_resolve(esp_http_client_handle_t client, const char *text, esp_url_t *next);
esp_err_t http_url_adopt(esp_http_client_handle_t client, esp_url_t *next);
esp_err_t http_url_set(esp_http_client_handle_t client, const char *text);
/* The Host header's value: the host (an IPv6 literal in brackets), ":port" unless it is the
 * scheme's. @return malloc'd, or NULL when out of memory. */
char *http_url_host_header(const esp_url_t *url);
/* "scheme://host:port" of url (an IPv6 host in brackets), allocated; NULL when out of memory. */
char *http_url_origin(const esp_url_t *url);
/* Whether url is at origin (as http_url_origin() gives it), the host compared case-insensitively
 * as curl compares it. False when out of memory. */
bool http_url_at_origin(const esp_url_t *url, const char *origin);

/* Response parsing (http_response.c). */
void http_response_init(esp_http_client_handle_t client);
void http_response_reset(esp_http_client_handle_t client);
void http_response_free(esp_http_client_handle_t client);
/* Reads from the transport once (waiting up to timeout_ms; not at all with is_async) and parses
 * it. @return > 0 bytes, 0 nothing came, < 0 closed/failed. */
int http_response_pump(esp_http_client_handle_t client);
/* The next body bytes after the headers, in place: *data points into client->body (valid until
 * the next call), at most max of them are taken. Reads and parses more when none are buffered.
 * @return as esp_http_client_read(). */
int http_response_body(esp_http_client_handle_t client, const char **data, int max);

/* save_client_session: an esp_transport_session_ticket_operation_t on t, for https (http_request.c). */
void http_request_session(esp_http_client_handle_t client, esp_transport_handle_t t, int operation);

/* Writes body bytes on the connection, waiting up to wait_ms for room. @return the bytes written
 * (0: no room in time), or -1 (not connected, or the connection failed). */
int http_request_write(esp_http_client_handle_t client, const char *data, int len, int wait_ms);

/* Writes all len body bytes through esp_transport_write_all(), within one timeout_ms.
 * @return len, or -1 (a write failed, or the time ran out: the connection must be closed). */
int http_request_write_all(esp_http_client_handle_t client, const char *data, int len);

/* open() without its HTTP_EVENT_ERROR: connect (or reuse), prepare, send the head (http_request.c). */
esp_err_t http_request_open(esp_http_client_handle_t client, int write_len);

/* HTTP_EVENT_ERROR, with the error record of the transport the URL goes over as data (ESP-IDF's). */
void http_request_failed(esp_http_client_handle_t client);

/* "GET", "POST", ... (http_request.c). */
const char *http_method_name(esp_http_client_method_t method);

/* The "http" and "https" transports, configured from client->cfg (http_request.c). */
esp_err_t http_request_transports(esp_http_client_handle_t client);

/* The transport a request to the current URL goes over: the config's custom transport when it
 * has one, else the list's for the URL's scheme (NULL when there is none). */
esp_transport_handle_t http_request_transport_for(esp_http_client_handle_t client, const char *scheme);

/* Authentication (http_auth.c). prepare: the Authorization header for the next request, as
 * auth_type and the last challenge call for. take_challenge: after a 401, adopts the scheme its
 * WWW-Authenticate names. @return ESP_OK; ESP_ERR_NOT_SUPPORTED (no challenge portls answers);
 * ESP_ERR_NO_MEM. */
esp_err_t http_auth_prepare(esp_http_client_handle_t client);
esp_err_t http_auth_take_challenge(esp_http_client_handle_t client);
/* Whether a 401 at the current URL may be answered with the credentials (its origin is trusted). */
bool http_auth_may_answer(esp_http_client_handle_t client);
/* Whether the request header key: value may go to the current URL: Authorization and Cookie only
 * to a trusted origin, and Basic credentials not over http once the handle has used https. */
bool http_auth_header_allowed(esp_http_client_handle_t client, const char *key, const char *value);
/* The caller set the URL: its origin becomes the trusted one. ESP_OK or ESP_ERR_NO_MEM. */
esp_err_t http_auth_trust_origin(esp_http_client_handle_t client);

/* Events (esp_http_client.c): to the event handler, then to the default event loop if there is
 * one. emit fills in client and user_data; dispatch makes the event from its parts. */
void http_emit(esp_http_client_handle_t client, esp_http_client_event_t *evt);
void http_dispatch(esp_http_client_handle_t client, esp_http_client_event_id_t id, void *data, int len);
