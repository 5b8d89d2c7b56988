/* diagnose's libssl probes (see diagnose_probe.h). The socket comes from ESP-TLS's own TCP path;
 * OpenSSL only speaks TLS on it. */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "diagnose_probe.h"
#include "esp_deadline.h"

#define PROBE_TIMEOUT_MS 5000
#define TICKET_WAIT_MS 500 /* how long a TLS 1.3 server may take to send its ticket */
#define MFL_LEN 4096
#define MAX_READ (4 * 1024 * 1024)
#define MAX_READ_MS 10000

static int connect_tcp(const diag_opts_t *o)
{
    esp_tls_cfg_t cfg = { .timeout_ms = PROBE_TIMEOUT_MS };
    int fd = -1;
    if (esp_tls_plain_tcp_connect(o->host, (int)strlen(o->host), o->port, &cfg, NULL, &fd) != ESP_OK) {
        return -1;
    }
    struct timeval tv = { .tv_sec = PROBE_TIMEOUT_MS / 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

/* The server's chain, as sent, into p->chain. */
static void take_chain(diag_probe_t *p, SSL *ssl)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    for (int i = 0; i < sk_X509_num(chain); i++) {
        unsigned char *der = NULL;
        int len = i2d_X509(sk_X509_value(chain, i), &der);
        p->got_chain |= len > 0 && mbedtls_x509_crt_parse_der(&p->chain, der, (size_t)len) == 0;
        OPENSSL_free(der);
    }
}

/* The client-certificate callback: notes the request and its CA names, sends no certificate. */
static int on_cert_request(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    (void)x509;
    (void)pkey;
    diag_probe_t *p = SSL_get_app_data(ssl);
    p->cert_requested = true;
    const STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(ssl);
    for (int i = 0; i < sk_X509_NAME_num(names); i++) {
        char dn[512];
        X509_NAME_oneline(sk_X509_NAME_value(names, i), dn, sizeof(dn));
        cJSON_AddItemToArray(p->ca_names, cJSON_CreateString(dn));
    }
    return 0;
}

/* A context for [min, max], accepting anything (these probes judge nothing). */
static SSL_CTX *new_ctx(int min, int max)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        return NULL;
    }
    SSL_CTX_set_security_level(ctx, 0); /* old versions and suites, to see what the server speaks */
    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(ctx, min);
    SSL_CTX_set_max_proto_version(ctx, max);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_client_cert_cb(ctx, on_cert_request);
    return ctx;
}

/* The record headers the server sends: the longest one, for the max_fragment_length probe. */
static void on_message(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
    (void)version;
    (void)ssl;
    const unsigned char *h = buf;
    size_t *largest = arg;
    if (!write_p && content_type == SSL3_RT_HEADER && len == 5) {
        size_t n = (size_t)h[3] << 8 | h[4];
        *largest = n > *largest ? n : *largest;
    }
}

/* Reads for a moment on the non-blocking socket: the server's TLS 1.3 ticket, or its answer, up
 * to MAX_READ bytes and MAX_READ_MS (a server may stream without end). */
static void read_a_moment(SSL *ssl, int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
    char buf[4096];
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    size_t total = 0;
    int n = 0;
    esp_deadline_t end = esp_deadline_in_ms(MAX_READ_MS);
    while (total < MAX_READ && !esp_deadline_expired(end) && poll(&pfd, 1, TICKET_WAIT_MS) > 0 &&
           (n = SSL_read(ssl, buf, sizeof(buf))) > 0) {
        total += (size_t)n;
    }
}

static long ticket_lifetime(SSL *ssl)
{
    SSL_SESSION *s = SSL_get_session(ssl);
    return s != NULL && SSL_SESSION_has_ticket(s) ? (long)SSL_SESSION_get_ticket_lifetime_hint(s) : -1;
}

/* TLS 1.2 with max_fragment_length 4096: acked, and the records of the answer to the request. */
static void probe_mfl(const diag_opts_t *o, diag_probe_t *p, SSL *ssl, int fd)
{
    p->ticket_lifetime[1] = ticket_lifetime(ssl);
    SSL_SESSION *s = SSL_get_session(ssl);
    p->mfl_acked = s != NULL && SSL_SESSION_get_max_fragment_length(s) == TLSEXT_max_fragment_length_4096;
    if (!p->mfl_acked) {
        return;
    }
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", o->path,
                     o->host);
    p->mfl_largest = 0;
    if (n > 0 && (size_t)n < sizeof(req) && SSL_write(ssl, req, n) == n) {
        read_a_moment(ssl, fd);
    }
}

typedef enum { PROBE_LEGACY, PROBE_CHAIN, PROBE_MFL } probe_mode_t;

/* What mode wants of a handshake, once it is over (ok: it completed). */
static void after_handshake(const diag_opts_t *o, diag_probe_t *p, SSL *ssl, int fd, bool ok, probe_mode_t mode)
{
    if (mode == PROBE_MFL && ok) {
        probe_mfl(o, p, ssl, fd);
    } else if (mode == PROBE_CHAIN) {
        take_chain(p, ssl);
        if (ok && SSL_version(ssl) == TLS1_3_VERSION) {
            read_a_moment(ssl, fd);
            p->ticket_lifetime[0] = ticket_lifetime(ssl);
        }
    }
}

static void prepare(const diag_opts_t *o, diag_probe_t *p, SSL *ssl, int fd, probe_mode_t mode)
{
    SSL_set_app_data(ssl, p);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, o->host);
    if (mode == PROBE_MFL) {
        SSL_set_tlsext_max_fragment_length(ssl, TLSEXT_max_fragment_length_4096);
        SSL_set_msg_callback(ssl, on_message);
        SSL_set_msg_callback_arg(ssl, &p->mfl_largest);
    }
}

/* One handshake in [min, max], and what mode wants of it; the suite's name into suite (if not
 * NULL). @return whether it completed. */
static bool handshake(const diag_opts_t *o, diag_probe_t *p, int min, int max, probe_mode_t mode, char *suite,
                      size_t suite_len)
{
    SSL_CTX *ctx = new_ctx(min, max);
    int fd = ctx != NULL ? connect_tcp(o) : -1;
    SSL *ssl = fd >= 0 ? SSL_new(ctx) : NULL;
    bool ok = false;
    if (ssl != NULL) {
        prepare(o, p, ssl, fd, mode);
        ok = SSL_connect(ssl) == 1;
        if (ok && suite != NULL) {
            snprintf(suite, suite_len, "%s", SSL_get_cipher_name(ssl));
        }
        after_handshake(o, p, ssl, fd, ok, mode);
        SSL_free(ssl);
    }
    if (fd >= 0) {
        close(fd);
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

void diag_probe(const diag_opts_t *o, diag_probe_t *p)
{
    *p = (diag_probe_t){ .ca_names = cJSON_CreateArray(), .ticket_lifetime = { -1, -1 } };
    mbedtls_x509_crt_init(&p->chain);
    for (int i = 0; i < 2; i++) {
        int v = i == 0 ? TLS1_VERSION : TLS1_1_VERSION;
        p->legacy[i] = handshake(o, p, v, v, PROBE_LEGACY, p->legacy_suite[i], sizeof(p->legacy_suite[i]));
    }
    handshake(o, p, TLS1_2_VERSION, TLS1_2_VERSION, PROBE_MFL, NULL, 0);
    cJSON_Delete(p->ca_names); /* the requests of the probes above do not count */
    p->ca_names = cJSON_CreateArray();
    p->cert_requested = false;
    handshake(o, p, TLS1_VERSION, 0, PROBE_CHAIN, NULL, 0);
}

void diag_probe_free(diag_probe_t *p)
{
    mbedtls_x509_crt_free(&p->chain);
    cJSON_Delete(p->ca_names);
}
