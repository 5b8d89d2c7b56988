/*
 * The TCP and TLS transports: one implementation over ESP-TLS, which does plain TCP too
 * (esp_tls_cfg_t.is_plain_tcp). The setters fill the esp_tls_cfg_t used by the next connect.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "esp_log.h"
#include "esp_transport_internal.h"
#include "esp_transport_ssl.h"
#include "esp_transport_tcp.h"

static const char *TAG = "transport_base";

typedef enum {
    CONN_IDLE,
    CONN_CONNECTING,
    CONN_CONNECTED,
} conn_state_t;

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
/* The saved session, keyed by the host and port it came from. A resumed session skips the
 * certificate check, so it is offered to that origin only; another one shows its certificate
 * (and mbedTLS refuses a TLS 1.3 ticket for another name outright). */
typedef struct {
    esp_tls_client_session_t *session; /* saved by ESP_TRANSPORT_SESSION_TICKET_SAVE */
    char *host;                        /* ... from a connection to host:port */
    int port;
    bool use;                          /* ESP_TRANSPORT_SESSION_TICKET_USE: offer it */
    char *conn_host;                   /* the host and port of the current connection */
    int conn_port;
} saved_session_t;
#endif

typedef struct {
    esp_tls_t *tls;
    esp_tls_cfg_t cfg;
    conn_state_t state;
    tls_keep_alive_cfg_t keep_alive;
    struct ifreq if_name;
#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
    saved_session_t saved;
#endif
} transport_esp_tls_t;

static int base_connect(esp_transport_handle_t t, const char *host, int port, int timeout_ms);

/* The context of a TCP or TLS transport; NULL for any other handle. */
static transport_esp_tls_t *base_ctx(esp_transport_handle_t t)
{
    return t != NULL && t->_connect == base_connect ? t->data : NULL;
}

static int base_close(esp_transport_handle_t t)
{
    transport_esp_tls_t *c = base_ctx(t);
    if (c->tls != NULL) {
        esp_tls_conn_destroy(c->tls); /* close_notify on a TLS connection */
        c->tls = NULL;
    }
    c->state = CONN_IDLE;
    return 0;
}

esp_tls_t *esp_transport_ssl_get_esp_tls(esp_transport_handle_t t)
{
    transport_esp_tls_t *c = base_ctx(esp_transport_get_payload_transport_handle(t));
    return c != NULL && c->state == CONN_CONNECTED ? c->tls : NULL;
}

/* The connection's error record (and errno) become the transport's. */
static void take_tls_errors(esp_transport_handle_t t, transport_esp_tls_t *c)
{
    esp_tls_error_handle_t error_handle;
    if (esp_tls_get_error_handle(c->tls, &error_handle) == ESP_OK) {
        esp_transport_set_errors(t, error_handle);
    }
}

static int connect_failed(esp_transport_handle_t t, transport_esp_tls_t *c)
{
    take_tls_errors(t, c);
    ESP_LOGE(TAG, "Failed to open a new connection: %s", esp_err_to_name(t->errors.tls.last_error));
    base_close(t);
    return -1;
}

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
/* Notes where this connection goes, and offers the saved session if it was saved there (the
 * name compared exactly, as mbedTLS compares a ticket's). @return false when out of memory. */
static bool pick_session(transport_esp_tls_t *c, const char *host, int port)
{
    saved_session_t *s = &c->saved;
    char *copy = strdup(host);
    if (copy == NULL) {
        return false;
    }
    free(s->conn_host);
    s->conn_host = copy;
    s->conn_port = port;
    bool same_origin = s->session != NULL && s->port == port && strcmp(s->host, host) == 0;
    c->cfg.client_session = s->use && same_origin ? s->session : NULL;
    return true;
}
#endif

/* A fresh esp_tls_t for a connect to host:port, the previous connection closed first. */
static bool start_connection(esp_transport_handle_t t, transport_esp_tls_t *c, const char *host, int port,
                             int timeout_ms, bool non_block)
{
    base_close(t);
    c->cfg.timeout_ms = timeout_ms;
    c->cfg.non_block = non_block;
#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
    if (!pick_session(c, host, port)) {
        esp_transport_capture_errno(t, ENOMEM);
        return false;
    }
#else
    (void)host;
    (void)port;
#endif
    c->tls = esp_tls_init();
    if (c->tls == NULL) {
        esp_transport_capture_errno(t, ENOMEM);
        return false;
    }
    return true;
}

static int base_connect(esp_transport_handle_t t, const char *host, int port, int timeout_ms)
{
    transport_esp_tls_t *c = t->data;
    if (!start_connection(t, c, host, port, timeout_ms, false)) {
        return -1;
    }
    if (esp_tls_conn_new_sync(host, (int)strlen(host), port, &c->cfg, c->tls) != 1) {
        return connect_failed(t, c);
    }
    c->state = CONN_CONNECTED;
    return 0;
}

static int base_connect_async(esp_transport_handle_t t, const char *host, int port, int timeout_ms)
{
    transport_esp_tls_t *c = base_ctx(t);
    if (c->state == CONN_CONNECTED) {
        return 1;
    }
    if (c->state == CONN_IDLE) {
        if (!start_connection(t, c, host, port, timeout_ms, true)) {
            return -1;
        }
        c->state = CONN_CONNECTING;
    }
    int rc = esp_tls_conn_new_async(host, (int)strlen(host), port, &c->cfg, c->tls);
    if (rc < 0) {
        return connect_failed(t, c);
    }
    if (rc == 1) {
        c->state = CONN_CONNECTED;
    }
    return rc;
}

static int base_get_socket(esp_transport_handle_t t)
{
    transport_esp_tls_t *c = base_ctx(t);
    int fd = -1;
    if (c->tls == NULL || esp_tls_get_conn_sockfd(c->tls, &fd) != ESP_OK) {
        return -1;
    }
    return fd;
}

/* Waits for events on the socket. @return > 0 ready, 0 timed out, -1 failed (errno captured). */
static int wait_socket(esp_transport_handle_t t, short events, int timeout_ms)
{
    struct pollfd p = { .fd = base_get_socket(t), .events = events };
    if (p.fd < 0) {
        return -1;
    }
    int rc;
    do {
        rc = poll(&p, 1, timeout_ms < 0 ? -1 : timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        esp_transport_capture_errno(t, errno);
        return -1;
    }
    if (rc > 0 && (p.revents & (POLLERR | POLLNVAL)) != 0) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        esp_transport_capture_errno(t, err != 0 ? err : EBADF);
        return -1;
    }
    return rc;
}

static int base_poll_read(esp_transport_handle_t t, int timeout_ms)
{
    transport_esp_tls_t *c = base_ctx(t);
    if (c->state == CONN_CONNECTED) {
        ssize_t pending = esp_tls_get_bytes_avail(c->tls); /* decrypted, waiting in ESP-TLS */
        if (pending > 0) {
            return (int)pending;
        }
    }
    return wait_socket(t, POLLIN, timeout_ms);
}

static int base_poll_write(esp_transport_handle_t t, int timeout_ms)
{
    return wait_socket(t, POLLOUT, timeout_ms);
}

static bool would_block(ssize_t ret)
{
    return ret == ESP_TLS_ERR_SSL_WANT_READ || ret == ESP_TLS_ERR_SSL_WANT_WRITE || ret == ESP_TLS_ERR_SSL_TIMEOUT;
}

static void io_failed(esp_transport_handle_t t, transport_esp_tls_t *c, const char *what, ssize_t ret)
{
    take_tls_errors(t, c);
    ESP_LOGE(TAG, "%s failed: -0x%x", what, (unsigned)-ret);
}

static int base_read(esp_transport_handle_t t, char *buffer, int len, int timeout_ms)
{
    transport_esp_tls_t *c = base_ctx(t);
    if (c->state != CONN_CONNECTED) {
        return ERR_TCP_TRANSPORT_CONNECTION_FAILED;
    }
    int ready = base_poll_read(t, timeout_ms);
    if (ready <= 0) {
        return ready == 0 ? ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT : ERR_TCP_TRANSPORT_CONNECTION_FAILED;
    }
    ssize_t n = esp_tls_conn_read(c->tls, buffer, (size_t)len);
    if (n > 0) {
        return (int)n;
    }
    if (n == 0) {
        return ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN; /* readable, then nothing: the peer closed */
    }
    if (would_block(n)) {
        return ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT; /* a partial record, or a ticket and no data */
    }
    io_failed(t, c, "read", n);
    return ERR_TCP_TRANSPORT_CONNECTION_FAILED;
}

static int base_write(esp_transport_handle_t t, const char *buffer, int len, int timeout_ms)
{
    transport_esp_tls_t *c = base_ctx(t);
    if (c->state != CONN_CONNECTED) {
        return -1;
    }
    int ready = base_poll_write(t, timeout_ms);
    if (ready <= 0) {
        return ready;
    }
    ssize_t n = esp_tls_conn_write(c->tls, buffer, (size_t)len);
    if (n >= 0 || would_block(n)) {
        return n >= 0 ? (int)n : 0;
    }
    io_failed(t, c, "write", n);
    return -1;
}

static int base_destroy(esp_transport_handle_t t)
{
    transport_esp_tls_t *c = base_ctx(t);
    base_close(t);
#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
    esp_transport_ssl_session_ticket_operation(t, ESP_TRANSPORT_SESSION_TICKET_FREE);
    free(c->saved.conn_host);
#endif
    free(c);
    t->data = NULL;
    return 0;
}

static esp_transport_handle_t base_init(bool plain_tcp, int port)
{
    esp_transport_handle_t t = esp_transport_init();
    transport_esp_tls_t *c = calloc(1, sizeof(*c));
    if (t == NULL || c == NULL) {
        free(t);
        free(c);
        return NULL;
    }
    c->cfg.is_plain_tcp = plain_tcp;
    esp_transport_set_context_data(t, c);
    esp_transport_set_func(t, base_connect, base_read, base_write, base_close, base_poll_read, base_poll_write,
                           base_destroy);
    esp_transport_set_async_connect_func(t, base_connect_async);
    esp_transport_set_get_socket_func(t, base_get_socket);
    esp_transport_set_default_port(t, port);
    return t;
}

esp_transport_handle_t esp_transport_tcp_init(void)
{
    return base_init(true, 80);
}

esp_transport_handle_t esp_transport_ssl_init(void)
{
    return base_init(false, 443);
}

/* ---- setters ---- */

static void set_keep_alive(esp_transport_handle_t t, const esp_transport_keep_alive_t *cfg)
{
    transport_esp_tls_t *c = base_ctx(t);
    if (c == NULL) {
        return;
    }
    if (cfg == NULL) {
        c->cfg.keep_alive_cfg = NULL;
        return;
    }
    c->keep_alive = (tls_keep_alive_cfg_t){ .keep_alive_enable = cfg->keep_alive_enable,
                                            .keep_alive_idle = cfg->keep_alive_idle,
                                            .keep_alive_interval = cfg->keep_alive_interval,
                                            .keep_alive_count = cfg->keep_alive_count };
    c->cfg.keep_alive_cfg = &c->keep_alive;
}

static void set_interface_name(esp_transport_handle_t t, const struct ifreq *if_name)
{
    transport_esp_tls_t *c = base_ctx(t);
    if (c == NULL) {
        return;
    }
    if (if_name != NULL) {
        c->if_name = *if_name;
    }
    c->cfg.if_name = if_name != NULL ? &c->if_name : NULL;
}

void esp_transport_tcp_set_keep_alive(esp_transport_handle_t t, esp_transport_keep_alive_t *keep_alive_cfg)
{
    set_keep_alive(t, keep_alive_cfg);
}

void esp_transport_tcp_set_interface_name(esp_transport_handle_t t, struct ifreq *if_name)
{
    set_interface_name(t, if_name);
}

void esp_transport_ssl_set_keep_alive(esp_transport_handle_t t, esp_transport_keep_alive_t *keep_alive_cfg)
{
    set_keep_alive(t, keep_alive_cfg);
}

void esp_transport_ssl_set_interface_name(esp_transport_handle_t t, struct ifreq *if_name)
{
    set_interface_name(t, if_name);
}

/* PEM lengths exclude the NUL; esp_tls_cfg_t counts it. */
static unsigned int pem_size(int len)
{
    return len >= 0 ? (unsigned int)len + 1 : 0;
}

static unsigned int der_size(int len)
{
    return len >= 0 ? (unsigned int)len : 0;
}

/* The setters' first line: c is t's context, or the setter returns (not a TCP/TLS transport). */
#define CTX_OR_RETURN(t, c)                                                                                            \
    transport_esp_tls_t *c = base_ctx(t);                                                                              \
    if (c == NULL) {                                                                                                   \
        return;                                                                                                        \
    }

void esp_transport_ssl_set_cert_data(esp_transport_handle_t t, const char *data, int len)
{
    CTX_OR_RETURN(t, c);
    c->cfg.cacert_buf = (const unsigned char *)data;
    c->cfg.cacert_bytes = pem_size(len);
}

void esp_transport_ssl_set_cert_data_der(esp_transport_handle_t t, const char *data, int len)
{
    CTX_OR_RETURN(t, c);
    c->cfg.cacert_buf = (const unsigned char *)data;
    c->cfg.cacert_bytes = der_size(len);
}

void esp_transport_ssl_crt_bundle_attach(esp_transport_handle_t t, esp_err_t (*crt_bundle_attach)(void *conf))
{
    CTX_OR_RETURN(t, c);
    c->cfg.crt_bundle_attach = crt_bundle_attach;
}

void esp_transport_ssl_enable_global_ca_store(esp_transport_handle_t t)
{
    CTX_OR_RETURN(t, c);
    c->cfg.use_global_ca_store = true;
}

void esp_transport_ssl_set_tls_version(esp_transport_handle_t t, esp_tls_proto_ver_t tls_version)
{
    CTX_OR_RETURN(t, c);
    c->cfg.tls_version = tls_version;
}

void esp_transport_ssl_set_client_cert_data(esp_transport_handle_t t, const char *data, int len)
{
    CTX_OR_RETURN(t, c);
    c->cfg.clientcert_buf = (const unsigned char *)data;
    c->cfg.clientcert_bytes = pem_size(len);
}

void esp_transport_ssl_set_client_cert_data_der(esp_transport_handle_t t, const char *data, int len)
{
    CTX_OR_RETURN(t, c);
    c->cfg.clientcert_buf = (const unsigned char *)data;
    c->cfg.clientcert_bytes = der_size(len);
}

void esp_transport_ssl_set_client_key_data(esp_transport_handle_t t, const char *data, int len)
{
    CTX_OR_RETURN(t, c);
    c->cfg.clientkey_buf = (const unsigned char *)data;
    c->cfg.clientkey_bytes = pem_size(len);
}

void esp_transport_ssl_set_client_key_data_der(esp_transport_handle_t t, const char *data, int len)
{
    CTX_OR_RETURN(t, c);
    c->cfg.clientkey_buf = (const unsigned char *)data;
    c->cfg.clientkey_bytes = der_size(len);
}

void esp_transport_ssl_set_client_key_password(esp_transport_handle_t t, const char *password, int password_len)
{
    CTX_OR_RETURN(t, c);
    c->cfg.clientkey_password = (const unsigned char *)password;
    c->cfg.clientkey_password_len = der_size(password_len);
}

void esp_transport_ssl_set_alpn_protocol(esp_transport_handle_t t, const char **alpn_protos)
{
    CTX_OR_RETURN(t, c);
    c->cfg.alpn_protos = alpn_protos;
}

void esp_transport_ssl_skip_common_name_check(esp_transport_handle_t t)
{
    CTX_OR_RETURN(t, c);
    c->cfg.skip_common_name = true;
}

void esp_transport_ssl_set_common_name(esp_transport_handle_t t, const char *common_name)
{
    CTX_OR_RETURN(t, c);
    c->cfg.common_name = common_name;
}

void esp_transport_ssl_set_ciphersuites_list(esp_transport_handle_t t, const int *ciphersuites_list)
{
    CTX_OR_RETURN(t, c);
    c->cfg.ciphersuites_list = ciphersuites_list;
}

void esp_transport_ssl_set_psk_key_hint(esp_transport_handle_t t, const psk_hint_key_t *psk_hint_key)
{
    CTX_OR_RETURN(t, c);
    c->cfg.psk_hint_key = psk_hint_key;
}

void esp_transport_ssl_set_addr_family(esp_transport_handle_t t, esp_tls_addr_family_t addr_family)
{
    CTX_OR_RETURN(t, c);
    c->cfg.addr_family = addr_family;
}

#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
void esp_transport_ssl_set_esp_tls_dyn_buf_strategy(esp_transport_handle_t t, esp_tls_dyn_buf_strategy_t strategy)
{
    CTX_OR_RETURN(t, c);
    c->cfg.esp_tls_dyn_buf_strategy = strategy;
}
#endif

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
/* Forgets the saved session. cfg.client_session is read only while connecting, and the next
 * connect sets it again, so it never points at a freed one. */
static void drop_session(transport_esp_tls_t *c)
{
    c->cfg.client_session = NULL;
    esp_tls_free_client_session(c->saved.session);
    free(c->saved.host);
    c->saved.session = NULL;
    c->saved.host = NULL;
}

static esp_err_t save_session(transport_esp_tls_t *c)
{
    esp_tls_client_session_t *session = c->tls != NULL ? esp_tls_get_client_session(c->tls) : NULL;
    if (session == NULL) {
        return ESP_FAIL;
    }
    char *host = strdup(c->saved.conn_host);
    if (host == NULL) {
        esp_tls_free_client_session(session);
        return ESP_ERR_NO_MEM;
    }
    drop_session(c);
    c->saved.session = session;
    c->saved.host = host;
    c->saved.port = c->saved.conn_port;
    return ESP_OK;
}

esp_err_t esp_transport_ssl_session_ticket_operation(esp_transport_handle_t t,
                                                     esp_transport_session_ticket_operation_t operation)
{
    transport_esp_tls_t *c = base_ctx(t);
    if (c == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    switch (operation) {
    case ESP_TRANSPORT_SESSION_TICKET_INIT:
        return ESP_OK;
    case ESP_TRANSPORT_SESSION_TICKET_SAVE:
        return save_session(c);
    case ESP_TRANSPORT_SESSION_TICKET_USE:
        c->saved.use = true;
        return ESP_OK;
    case ESP_TRANSPORT_SESSION_TICKET_FREE:
        drop_session(c);
        c->saved.use = false;
        return ESP_OK;
    }
    return ESP_ERR_INVALID_ARG;
}
#endif
