/* OpenSSL writes into a memory BIO, so the peer decides how much of each record reaches the
 * socket; it reads through a memory BIO too, fed from the socket when OpenSSL asks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/ssl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer.h"
#include "tls_cut_peer.h"

#define WAIT_MS 10000 /* for the client to connect, send or close */

typedef struct {
    SSL *ssl;
    BIO *in, *out; /* OpenSSL's side: in is read from, out written to */
    int fd;
} conn_t;

static bool readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    return poll(&pfd, 1, WAIT_MS) > 0;
}

/* Sends up to limit bytes of what OpenSSL has written. */
static bool flush_out(conn_t *c, size_t limit)
{
    char buf[4096];
    size_t sent = 0;
    while (sent < limit && BIO_pending(c->out) > 0) {
        size_t want = limit - sent < sizeof(buf) ? limit - sent : sizeof(buf);
        int n = BIO_read(c->out, buf, (int)want);
        if (n <= 0 || send(c->fd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
            return false;
        }
        sent += (size_t)n;
    }
    return true;
}

/* After an SSL call returned ret: sends what it wrote and, if it wants input, feeds it some.
 * @return false when the call failed for good or the client went away. */
static bool pump(conn_t *c, int ret)
{
    if (!flush_out(c, SIZE_MAX)) {
        return false;
    }
    if (SSL_get_error(c->ssl, ret) != SSL_ERROR_WANT_READ) {
        return false;
    }
    char buf[4096];
    ssize_t n = readable(c->fd) ? recv(c->fd, buf, sizeof(buf), 0) : -1;
    return n > 0 && BIO_write(c->in, buf, (int)n) == n;
}

static bool handshake(conn_t *c)
{
    int ret;
    while ((ret = SSL_accept(c->ssl)) != 1) {
        if (!pump(c, ret)) {
            return false;
        }
    }
    return flush_out(c, SIZE_MAX); /* TLS 1.3 tickets */
}

/* Reads the client's bytes up to the first empty line (an HTTP request's head). */
static bool read_request(conn_t *c)
{
    char buf[2048];
    size_t got = 0;
    while (got < sizeof(buf) - 1) {
        int ret = SSL_read(c->ssl, buf + got, (int)(sizeof(buf) - 1 - got));
        if (ret <= 0 && !pump(c, ret)) {
            return false;
        }
        got += ret > 0 ? (size_t)ret : 0;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL) {
            return true;
        }
    }
    return false;
}

static bool write_record(conn_t *c, const char *text)
{
    return SSL_write(c->ssl, text, (int)strlen(text)) == (int)strlen(text);
}

/* Sends the first half of the record that carries text. */
static bool send_half_record(tls_cut_peer_t *p, conn_t *c, const char *text)
{
    if (!write_record(c, text)) {
        return false;
    }
    p->cut_record_len = (size_t)BIO_pending(c->out);
    return flush_out(c, p->cut_record_len / 2);
}

/* The exchange: whole records, then half a record (or none); FIN comes after. */
static void serve(tls_cut_peer_t *p, conn_t *c)
{
    if (!handshake(c)) {
        return;
    }
    if (p->read_request && !read_request(c)) {
        return;
    }
    if (!write_record(c, p->whole) || !flush_out(c, SIZE_MAX)) {
        return;
    }
    p->done = p->cut == NULL || send_half_record(p, c, p->cut);
}

static SSL_CTX *new_ctx(const tls_cut_peer_t *p)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    int version = p->tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, version) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, version) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, cert_path("server_ec.pem")) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, cert_path("server_ec.key"), SSL_FILETYPE_PEM) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static SSL *new_ssl(SSL_CTX *ctx, conn_t *c)
{
    SSL *ssl = SSL_new(ctx);
    c->in = BIO_new(BIO_s_mem());
    c->out = BIO_new(BIO_s_mem());
    if (ssl == NULL || c->in == NULL || c->out == NULL) {
        BIO_free(c->in);
        BIO_free(c->out);
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_bio(ssl, c->in, c->out); /* the SSL owns both now */
    SSL_set_accept_state(ssl);
    return ssl;
}

static void *run(void *arg)
{
    tls_cut_peer_t *p = arg;
    conn_t c = { .fd = readable(p->listen_fd) ? accept(p->listen_fd, NULL, NULL) : -1 };
    c.ssl = c.fd >= 0 ? new_ssl(p->ctx, &c) : NULL;
    if (c.ssl != NULL) {
        serve(p, &c);
    }
    if (c.fd >= 0) {
        peer_close_gently(c.fd); /* FIN, no close_notify; closed once the client has */
    }
    SSL_free(c.ssl);
    return NULL;
}

void tls_cut_peer_start(tls_cut_peer_t *p)
{
    p->done = false;
    p->cut_record_len = 0;
    p->ctx = new_ctx(p); /* here: cert_path() is not thread-safe */
    assert_non_null(p->ctx);
    p->listen_fd = peer_listen_loopback(&p->port);
    assert_true(p->listen_fd >= 0);
    assert_int_equal(pthread_create(&p->thread, NULL, run, p), 0);
}

void tls_cut_peer_join(tls_cut_peer_t *p)
{
    pthread_join(p->thread, NULL);
    close(p->listen_fd);
    SSL_CTX_free(p->ctx);
}
