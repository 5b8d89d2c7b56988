/*
 * esp_http_client: an HTTP/1.1 client over tcp_transport, as ESP-IDF v5.5's esp_http_client.h.
 *
 * One handle makes requests one after another, on one connection while the server keeps it open
 * (keep-alive) and the scheme, host and port stay the same. perform() does a whole request:
 * connect (or reuse), send, follow redirects, answer a 401 with the configured credentials, read
 * the body as HTTP_EVENT_ON_DATA events. open()/write()/fetch_headers()/read()/close() do the same
 * by hand. Responses are parsed by nodejs's http_parser (Debian's libhttp-parser), as in ESP-IDF.
 *
 * Security as in ESP-IDF: an https URL needs cert_pem, crt_bundle_attach or use_global_ca_store;
 * without one the connect fails (ESP_ERR_HTTP_CONNECT). Strings and buffers in the config are
 * copied by init, except the certificate and key buffers, which must outlive the handle.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <sys/socket.h>

#include "esp_err.h"
#include "esp_event.h"
#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DEFAULT_HTTP_BUF_SIZE (512)

/** Every event also goes to the default event loop, when one exists (esp_event.h), under this
 * base with the event id as its id. The event data is the client handle, except for ON_DATA
 * (esp_http_client_on_data_t) and REDIRECT (esp_http_client_redirect_event_data_t). A post waits
 * up to CONFIG_ESP_HTTP_CLIENT_EVENT_POST_TIMEOUT ms for room in the loop's queue. */
ESP_EVENT_DECLARE_BASE(ESP_HTTP_CLIENT_EVENT);

typedef struct esp_http_client *esp_http_client_handle_t;
typedef struct esp_http_client_event *esp_http_client_event_handle_t;

#ifdef CONFIG_ESP_HTTP_CLIENT_ENABLE_CUSTOM_TRANSPORT
struct esp_transport_item_t; /* esp_transport_handle_t, without making esp_transport.h public here */
#endif
struct esp_tls; /* esp_tls_t (esp_tls.h) */

/** HTTP_EVENT_ERROR and HTTP_EVENT_DISCONNECTED carry, as data, the error record of the
 * connection's transport (an esp_tls_error_handle_t, owned by the handle): a handler reads the last
 * ESP-TLS error with esp_tls_get_and_clear_last_error((esp_tls_error_handle_t)evt->data, ...), as
 * ESP-IDF's example does; it says ESP_OK when nothing failed. The data is NULL when there is no
 * transport for the URL's scheme. */
typedef enum {
    HTTP_EVENT_ERROR = 0,    /*!< an error during the request */
    HTTP_EVENT_ON_CONNECTED, /*!< connected, nothing exchanged yet */
    HTTP_EVENT_HEADERS_SENT, /*!< the request headers are sent; portls extension: data and
                                  data_len are the request line and headers as sent (valid
                                  during the call) */
    HTTP_EVENT_HEADER_SENT = HTTP_EVENT_HEADERS_SENT, /*!< older name */
    HTTP_EVENT_ON_HEADER,    /*!< one response header: header_key, header_value */
    HTTP_EVENT_ON_HEADERS_COMPLETE, /*!< all response headers are in */
    HTTP_EVENT_ON_STATUS_CODE, /*!< the status code is known (esp_http_client_get_status_code()) */
    HTTP_EVENT_ON_DATA,      /*!< a piece of the body: data, data_len */
    HTTP_EVENT_ON_FINISH,    /*!< the response is complete */
    HTTP_EVENT_DISCONNECTED, /*!< a connection (open, being opened, or whose connect failed)
                                  is closed */
    HTTP_EVENT_REDIRECT,     /*!< a 3xx with auto-redirect disabled: a handler that calls
                                  esp_http_client_set_redirection() has perform() follow it */
} esp_http_client_event_id_t;

typedef struct esp_http_client_event {
    esp_http_client_event_id_t event_id; /*!< what happened */
    esp_http_client_handle_t client;     /*!< the handle */
    void *data;                          /*!< ON_DATA: the bytes; valid during the call (for the
                                              other events, see their descriptions) */
    int data_len;                        /*!< their length */
    void *user_data;                     /*!< the config's user_data */
    char *header_key;                    /*!< ON_HEADER: the name */
    char *header_value;                  /*!< ON_HEADER: the value */
} esp_http_client_event_t;

/** The default loop's data for HTTP_EVENT_ON_DATA. */
typedef struct esp_http_client_on_data {
    esp_http_client_handle_t client; /*!< the handle */
    int64_t data_process;            /*!< body bytes delivered so far, this piece included */
} esp_http_client_on_data_t;

/** The default loop's data for HTTP_EVENT_REDIRECT. */
typedef struct esp_http_client_redirect_event_data {
    esp_http_client_handle_t client; /*!< the handle */
    int status_code;                 /*!< the 3xx */
} esp_http_client_redirect_event_data_t;

typedef enum {
    HTTP_TRANSPORT_UNKNOWN = 0x0, /*!< from the URL's scheme */
    HTTP_TRANSPORT_OVER_TCP,      /*!< http */
    HTTP_TRANSPORT_OVER_SSL,      /*!< https */
} esp_http_client_transport_t;

typedef enum {
    ESP_HTTP_CLIENT_TLS_VER_ANY = 0,       /*!< TLS 1.2 or 1.3 */
    ESP_HTTP_CLIENT_TLS_VER_TLS_1_2 = 0x1, /*!< TLS 1.2 only */
    ESP_HTTP_CLIENT_TLS_VER_TLS_1_3 = 0x2, /*!< TLS 1.3 only */
    ESP_HTTP_CLIENT_TLS_VER_MAX,
} esp_http_client_proto_ver_t;

typedef esp_err_t (*http_event_handle_cb)(esp_http_client_event_t *evt);

typedef enum {
    HTTP_METHOD_GET = 0,
    HTTP_METHOD_POST,
    HTTP_METHOD_PUT,
    HTTP_METHOD_PATCH,
    HTTP_METHOD_DELETE,
    HTTP_METHOD_HEAD,
    HTTP_METHOD_NOTIFY,
    HTTP_METHOD_SUBSCRIBE,
    HTTP_METHOD_UNSUBSCRIBE,
    HTTP_METHOD_OPTIONS,
    HTTP_METHOD_COPY,
    HTTP_METHOD_MOVE,
    HTTP_METHOD_LOCK,
    HTTP_METHOD_UNLOCK,
    HTTP_METHOD_PROPFIND,
    HTTP_METHOD_PROPPATCH,
    HTTP_METHOD_MKCOL,
    HTTP_METHOD_REPORT,
    HTTP_METHOD_MAX,
} esp_http_client_method_t;

typedef enum {
    HTTP_AUTH_TYPE_NONE = 0, /*!< no credentials sent */
    HTTP_AUTH_TYPE_BASIC,    /*!< Basic (RFC 7617) */
    HTTP_AUTH_TYPE_DIGEST,   /*!< Digest (RFC 7616): MD5 or SHA-256, qop auth; sent once a 401 has
                                  given the challenge */
} esp_http_client_auth_type_t;

#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
typedef enum {
    HTTP_TLS_DYN_BUF_RX_STATIC = 1, /*!< one full-size TLS input buffer after the handshake */
    HTTP_TLS_DYN_BUF_STRATEGY_MAX,
} esp_http_client_tls_dyn_buf_strategy_t;
#endif

typedef enum {
    HTTP_ADDR_TYPE_UNSPEC = AF_UNSPEC, /*!< IPv4 or IPv6 */
    HTTP_ADDR_TYPE_INET = AF_INET,     /*!< IPv4 only */
    HTTP_ADDR_TYPE_INET6 = AF_INET6,   /*!< IPv6 only */
} esp_http_client_addr_type_t;

typedef struct {
    const char *url;      /*!< the whole URL; its parts override host, port, path, query, user */
    const char *host;     /*!< with path etc., when there is no url */
    int port;             /*!< 0: 80 for http, 443 for https */
    const char *username; /*!< for auth_type */
    const char *password; /*!< for auth_type */
    esp_http_client_auth_type_t auth_type; /*!< credentials to send up front; with username set,
                                                a 401 asking for Basic or Digest is answered
                                                (by a Digest client only if it asks for Digest) */
    const char *path;     /*!< default "/" */
    const char *query;    /*!< without the '?' */
    const char *cert_pem; /*!< CA to verify the server: PEM (cert_len 0 or with the NUL) */
    size_t cert_len;
    const char *client_cert_pem; /*!< for mutual TLS, with client_key_pem */
    size_t client_cert_len;
    const char *client_key_pem;
    size_t client_key_len;
    const char *client_key_password;
    size_t client_key_password_len;
    esp_http_client_proto_ver_t tls_version;
    const char *user_agent;          /*!< default "ESP32 HTTP Client/1.0", as ESP-IDF */
    esp_http_client_method_t method; /*!< default GET */
    int timeout_ms;                  /*!< per network operation; default 5000. perform() sends a
                                          post field (not is_async) within one timeout_ms, all
                                          of it, or fails with ESP_ERR_HTTP_WRITE_DATA */
    bool disable_auto_redirect;      /*!< report 3xx (HTTP_EVENT_REDIRECT) instead of following;
                                          followed if the handler sets the redirection (as in
                                          ESP-IDF), within max_redirection_count */
    int max_redirection_count;       /*!< default 10 */
    int max_authorization_retries;   /*!< 401 retries; default 10; -1 none */
    http_event_handle_cb event_handler;
    esp_http_client_transport_t transport_type; /*!< with host: the scheme */
    int buffer_size;                 /*!< receive buffer; default 512 */
    int buffer_size_tx;              /*!< request header buffer; default 512 */
    void *user_data;                 /*!< given back in every event */
    bool is_async;                   /*!< non-blocking: perform() returns ESP_ERR_HTTP_EAGAIN until
                                          done (call it again); open() ESP_ERR_HTTP_CONNECTING */
    bool use_global_ca_store;        /*!< verify with ESP-TLS's global CA store */
    bool skip_cert_common_name_check; /*!< no hostname check (the chain is still verified) */
    const char *common_name;         /*!< name to check instead of the host */
    esp_err_t (*crt_bundle_attach)(void *conf); /*!< e.g. esp_crt_bundle_attach */
    bool keep_alive_enable;          /*!< TCP keep-alive */
    int keep_alive_idle;             /*!< default 5 s */
    int keep_alive_interval;         /*!< default 5 s */
    int keep_alive_count;            /*!< default 3 */
    struct ifreq *if_name;           /*!< bind to this interface */
#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
    bool save_client_session;        /*!< https: keep the TLS session after each response and offer
                                          it when the handle connects again */
#endif
#ifdef CONFIG_ESP_HTTP_CLIENT_ENABLE_CUSTOM_TRANSPORT
    struct esp_transport_item_t *transport; /*!< every request goes over this transport, whatever the
                                                 URL's scheme; it stays the caller's: destroy it after
                                                 esp_http_client_cleanup() */
#endif
    esp_http_client_addr_type_t addr_type; /*!< resolver family */
    const char **alpn_protos;        /*!< ALPN list for https, NULL-terminated */
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
    esp_http_client_tls_dyn_buf_strategy_t tls_dyn_buf_strategy; /*!< 0, or HTTP_TLS_DYN_BUF_RX_STATIC */
#endif
} esp_http_client_config_t;

typedef enum {
    HttpStatus_Ok = 200,
    HttpStatus_PartialContent = 206,
    HttpStatus_MultipleChoices = 300,
    HttpStatus_MovedPermanently = 301,
    HttpStatus_Found = 302,
    HttpStatus_SeeOther = 303,
    HttpStatus_NotModified = 304,
    HttpStatus_TemporaryRedirect = 307,
    HttpStatus_PermanentRedirect = 308,
    HttpStatus_BadRequest = 400,
    HttpStatus_Unauthorized = 401,
    HttpStatus_Forbidden = 403,
    HttpStatus_NotFound = 404,
    HttpStatus_RangeNotSatisfiable = 416,
    HttpStatus_InternalError = 500,
} HttpStatus_Code;

#define ESP_ERR_HTTP_BASE                  (0x7000)                 /*!< first HTTP error code */
#define ESP_ERR_HTTP_MAX_REDIRECT          (ESP_ERR_HTTP_BASE + 1)  /*!< more redirects than max_redirection_count */
#define ESP_ERR_HTTP_CONNECT               (ESP_ERR_HTTP_BASE + 2)  /*!< the connection could not be opened */
#define ESP_ERR_HTTP_WRITE_DATA            (ESP_ERR_HTTP_BASE + 3)  /*!< sending the request failed */
#define ESP_ERR_HTTP_FETCH_HEADER          (ESP_ERR_HTTP_BASE + 4)  /*!< reading the response headers failed */
#define ESP_ERR_HTTP_INVALID_TRANSPORT     (ESP_ERR_HTTP_BASE + 5)  /*!< no transport for the URL's scheme */
#define ESP_ERR_HTTP_CONNECTING            (ESP_ERR_HTTP_BASE + 6)  /*!< an async connect is in progress */
#define ESP_ERR_HTTP_EAGAIN                (ESP_ERR_HTTP_BASE + 7)  /*!< no data yet (EAGAIN) */
#define ESP_ERR_HTTP_CONNECTION_CLOSED     (ESP_ERR_HTTP_BASE + 8)  /*!< the server closed the connection */
#define ESP_ERR_HTTP_NOT_MODIFIED          (ESP_ERR_HTTP_BASE + 9)  /*!< 304 */
#define ESP_ERR_HTTP_RANGE_NOT_SATISFIABLE (ESP_ERR_HTTP_BASE + 10) /*!< 416 */
#define ESP_ERR_HTTP_READ_TIMEOUT          (ESP_ERR_HTTP_BASE + 11) /*!< no data within timeout_ms */
#define ESP_ERR_HTTP_INCOMPLETE_DATA       (ESP_ERR_HTTP_BASE + 12) /*!< the body ended early */
#define ESP_ERR_HTTP_REDIRECT_DOWNGRADE    (ESP_ERR_HTTP_BASE + 13) /*!< a redirect from https to http, refused */
#define ESP_ERR_HTTP_HEADER_TOO_LONG       (ESP_ERR_HTTP_BASE + 14) /*!< a header larger than the buffer */

/** A handle for config (copied as described above). @return NULL on a bad config or no memory. */
esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t *config);

/**
 * The whole request: open (or reuse the connection), send the post field, read the headers,
 * follow redirects, answer a 401, deliver the body as HTTP_EVENT_ON_DATA, then ON_FINISH.
 * A 4xx or 5xx status is not an error: see esp_http_client_get_status_code(). Interim 1xx
 * responses (100 Continue, 103 Early Hints; not 101) are skipped, without events. With is_async,
 * the post field goes out as the socket takes it, ESP_ERR_HTTP_EAGAIN in between.
 * @return ESP_OK; ESP_ERR_HTTP_EAGAIN (is_async: not done yet, call again); ESP_ERR_HTTP_CONNECT,
 *         _WRITE_DATA, _FETCH_HEADER, _MAX_REDIRECT, _REDIRECT_DOWNGRADE, _INVALID_TRANSPORT,
 *         _READ_TIMEOUT, _INCOMPLETE_DATA, _HEADER_TOO_LONG; ESP_FAIL.
 */
esp_err_t esp_http_client_perform(esp_http_client_handle_t client);

/**
 * Sets the URL for the next request: absolute, or a reference resolved against the current one as
 * RFC 3986 5.2 says ("/p?q", "../p", "//host:port/p"); dot segments are removed, a fragment is
 * dropped, user:password@ becomes the credentials. An IPv6 host is written in brackets. Its origin
 * (scheme, host, port) is where the credentials go: see esp_http_client_set_location_trusted().
 * @return ESP_OK; ESP_ERR_INVALID_ARG (not a URL, a space or control character in it, a reference
 *         with no current URL, or no host); ESP_ERR_NO_MEM.
 */
esp_err_t esp_http_client_set_url(esp_http_client_handle_t client, const char *url);

/**
 * portls extension, curl's --location-trusted (CURLOPT_UNRESTRICTED_AUTH). By default, as in
 * curl, the credentials (username and password, from the config or the URL) and any Authorization
 * and Cookie request header go only to the origin of the URL given to init or set_url: after a
 * redirect to another scheme, host (compared case-insensitively) or port they are not sent, and a
 * 401 there is the answer; back at that origin they are sent again. trusted sends them wherever
 * a redirect leads. Whatever this says, Basic credentials never go over plain http once the handle
 * has sent a request over https (the request goes without them and the log says why), and a
 * Digest client never answers a 401 that asks for Basic.
 * @return ESP_OK, or ESP_ERR_INVALID_ARG (client NULL).
 */
esp_err_t esp_http_client_set_location_trusted(esp_http_client_handle_t client, bool trusted);

/** The current URL, "scheme://host:port/path?query" (an IPv6 host in brackets), written into url
 * (len bytes with the NUL). @return ESP_OK; ESP_ERR_INVALID_SIZE when it does not fit (url holds
 * as much as fits); ESP_ERR_INVALID_ARG; ESP_ERR_NO_MEM. */
esp_err_t esp_http_client_get_url(esp_http_client_handle_t client, char *url, const int len);

/** The body of the next requests; not copied. Sets POST unless the method is already set, and a
 * Content-Type of application/x-www-form-urlencoded when there is none. NULL clears it. */
esp_err_t esp_http_client_set_post_field(esp_http_client_handle_t client, const char *data, int len);

/** The post field and its length (0 and NULL when there is none). */
int esp_http_client_get_post_field(esp_http_client_handle_t client, char **data);

/** Adds or replaces a request header (copied). */
esp_err_t esp_http_client_set_header(esp_http_client_handle_t client, const char *key, const char *value);

/** *value points to the request header's value (owned by the handle), or NULL. */
esp_err_t esp_http_client_get_header(esp_http_client_handle_t client, const char *key, char **value);

esp_err_t esp_http_client_delete_header(esp_http_client_handle_t client, const char *key);
esp_err_t esp_http_client_delete_all_headers(esp_http_client_handle_t client);

esp_err_t esp_http_client_get_username(esp_http_client_handle_t client, char **value);
esp_err_t esp_http_client_set_username(esp_http_client_handle_t client, const char *username);
esp_err_t esp_http_client_get_password(esp_http_client_handle_t client, char **value);
esp_err_t esp_http_client_set_password(esp_http_client_handle_t client, const char *password);
esp_err_t esp_http_client_set_authtype(esp_http_client_handle_t client, esp_http_client_auth_type_t auth_type);

/** After a 401 read with fetch_headers(): prepares the next request to answer its challenge
 * (Basic or Digest). Flush the body before the next request.
 * @return ESP_OK; ESP_ERR_INVALID_STATE (no 401 read); ESP_ERR_NOT_SUPPORTED (no challenge portls
 *         answers); ESP_ERR_NO_MEM; ESP_ERR_INVALID_ARG. */
esp_err_t esp_http_client_add_auth(esp_http_client_handle_t client);

/** A challenge known beforehand (a WWW-Authenticate value, len bytes), so that the first request
 * already answers it. @return as esp_http_client_add_auth(). */
esp_err_t esp_http_client_set_auth_data(esp_http_client_handle_t client, const char *auth_data, int len);
esp_err_t esp_http_client_get_user_data(esp_http_client_handle_t client, void **data);
esp_err_t esp_http_client_set_user_data(esp_http_client_handle_t client, void *data);
esp_err_t esp_http_client_set_method(esp_http_client_handle_t client, esp_http_client_method_t method);
esp_err_t esp_http_client_set_timeout_ms(esp_http_client_handle_t client, int timeout_ms);
esp_err_t esp_http_client_set_event_handler(esp_http_client_handle_t client, http_event_handle_cb event_handler);

/** The errno of the last socket failure (see esp_transport_get_errno()). */
int esp_http_client_get_errno(esp_http_client_handle_t client);

/** The last TLS error of the connection: returns its esp_err_t, and the mbedTLS code and verify
 * flags through the pointers (may be NULL); clears it. */
esp_err_t esp_http_client_get_and_clear_last_tls_error(esp_http_client_handle_t client, int *esp_tls_code,
                                                       int *esp_tls_flags);

/**
 * Connects (or reuses the connection) and sends the request line and headers. write_len is the
 * body's length (Content-Length), 0 for none, or -1 for a chunked body.
 * @return ESP_OK; ESP_ERR_HTTP_CONNECTING (is_async: call again); ESP_ERR_HTTP_CONNECT;
 *         ESP_ERR_HTTP_WRITE_DATA; ESP_ERR_HTTP_INVALID_TRANSPORT.
 */
esp_err_t esp_http_client_open(esp_http_client_handle_t client, int write_len);

/** Sends body bytes after open(). @return the bytes written, or -1. */
int esp_http_client_write(esp_http_client_handle_t client, const char *buffer, int len);

/** Chunked request bodies (open() with write_len -1): each chunk is begin(size), write() of
 * size bytes, end(); a last begin(0) + end() ends the body. @return ESP_OK, or ESP_FAIL. */
esp_err_t esp_http_client_chunk_write_begin(esp_http_client_handle_t client, int size);
esp_err_t esp_http_client_chunk_write_end(esp_http_client_handle_t client);

/** Reads the response headers. @return the Content-Length, 0 when there is none (chunked, or
 * until close); -ESP_ERR_HTTP_READ_TIMEOUT, -ESP_ERR_HTTP_HEADER_TOO_LONG (a name or value larger
 * than buffer_size), or -1 (ESP_FAIL: closed, or not HTTP) on failure. */
int64_t esp_http_client_fetch_headers(esp_http_client_handle_t client);

bool esp_http_client_is_chunked_response(esp_http_client_handle_t client);

/** The complete length from the response's Content-Range ("bytes 0-99/1234" gives 1234), for a
 * request with a Range header; -1 when there is none or the length is unknown ("*"). */
int64_t esp_http_client_get_content_range(esp_http_client_handle_t client);

/** Reads body bytes after fetch_headers(): as in ESP-IDF, until len bytes are in or the body ends
 * (a timeout or failure after some bytes returns those). @return bytes (> 0), 0 at the end of the
 * body, -1 on failure, or -ESP_ERR_HTTP_READ_TIMEOUT (-ESP_ERR_HTTP_EAGAIN with is_async) when
 * nothing came. */
int esp_http_client_read(esp_http_client_handle_t client, char *buffer, int len);

/** read() until len bytes or the end of the body. */
int esp_http_client_read_response(esp_http_client_handle_t client, char *buffer, int len);

/** Reads and drops the rest of the body, so the connection can take the next request.
 * @param len  the dropped byte count, or NULL */
esp_err_t esp_http_client_flush_response(esp_http_client_handle_t client, int *len);

int esp_http_client_get_status_code(esp_http_client_handle_t client);

/** The Content-Length, or -1 for a chunked response. */
int64_t esp_http_client_get_content_length(esp_http_client_handle_t client);

/** The whole body has been read. */
bool esp_http_client_is_complete_data_received(esp_http_client_handle_t client);

/** The server allows the connection to stay open after this response. */
bool esp_http_client_is_persistent_connection(esp_http_client_handle_t client);

/** After a 3xx: the Location, resolved against the current URL as in esp_http_client_set_url(),
 * becomes the URL of the next request. @return ESP_OK; ESP_ERR_INVALID_ARG (no Location, or not a
 * URL); ESP_ERR_HTTP_REDIRECT_DOWNGRADE (the resolved URL leaves https); ESP_ERR_NO_MEM. */
esp_err_t esp_http_client_set_redirection(esp_http_client_handle_t client);

/** Sets the redirect count back to 0, so that a handle that made requests can follow
 * max_redirection_count redirects again. @return ESP_OK, or ESP_ERR_INVALID_ARG. */
esp_err_t esp_http_client_reset_redirect_counter(esp_http_client_handle_t client);

/** The size of the chunk being read, in a chunked response (0 before the first chunk).
 * @return ESP_OK; ESP_FAIL (the response is not chunked); ESP_ERR_INVALID_ARG. */
esp_err_t esp_http_client_get_chunk_length(esp_http_client_handle_t client, int *len);

/** Readies the next request on the handle: forgets the last response (headers, status and any
 * body bytes not read) and computes the Authorization header that auth_type and the last
 * challenge call for. open() does this itself. @return ESP_OK; ESP_ERR_NO_MEM; ESP_ERR_INVALID_ARG. */
esp_err_t esp_http_client_prepare(esp_http_client_handle_t client);

/** Sends the request line and headers on the open connection (write_len as for open()).
 * @return ESP_OK; ESP_ERR_HTTP_WRITE_DATA (the connection is then closed); ESP_ERR_NO_MEM;
 *         ESP_ERR_INVALID_STATE (not connected); ESP_ERR_INVALID_ARG. */
esp_err_t esp_http_client_request_send(esp_http_client_handle_t client, int write_len);

/** Drops the body bytes already received but not read, so that they cannot be taken for the
 * next response's. @return ESP_OK, or ESP_ERR_INVALID_ARG. */
esp_err_t esp_http_client_clear_response_buffer(esp_http_client_handle_t client);

#ifdef CONFIG_ESP_HTTP_CLIENT_SAVE_RESPONSE_HEADERS
/** A header of the last response (case-insensitive name): *value points into the handle, valid
 * until the next request. The first CONFIG_ESP_HTTP_CLIENT_MAX_SAVED_RESPONSE_HEADERS headers whose
 * values are shorter than CONFIG_ESP_HTTP_CLIENT_MAX_RESPONSE_HEADER_SIZE are kept.
 * @return ESP_OK; ESP_ERR_NOT_FOUND (*value NULL); ESP_ERR_INVALID_ARG. */
esp_err_t esp_http_client_get_response_header(esp_http_client_handle_t client, const char *key, char **value);
#endif

/** Abandons the request in progress: closes the connection (the next request opens a new one).
 * @return ESP_OK, or ESP_ERR_INVALID_ARG. */
esp_err_t esp_http_client_cancel_request(esp_http_client_handle_t client);

/** Closes the connection; the handle keeps its settings. */
esp_err_t esp_http_client_close(esp_http_client_handle_t client);

/** Closes and frees everything. */
esp_err_t esp_http_client_cleanup(esp_http_client_handle_t client);

esp_http_client_transport_t esp_http_client_get_transport_type(esp_http_client_handle_t client);

/** The connection's socket, or -1. */
int esp_http_client_get_socket(esp_http_client_handle_t client);

/** portls extension: the ESP-TLS connection the requests go over, for esp_tls_get_ssl_context()
 * and the other esp_tls getters (for http it is a plain TCP one, whose SSL context is NULL).
 * Valid while connected: from HTTP_EVENT_ON_CONNECTED until HTTP_EVENT_DISCONNECTED. NULL when
 * not connected, or over a custom transport that is not ESP-TLS based. */
struct esp_tls *esp_http_client_get_esp_tls(esp_http_client_handle_t client);

#ifdef __cplusplus
}
#endif
