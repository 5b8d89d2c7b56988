#include "http_test_server.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls_test.h"

#define USER "portls"
#define PASSWORD "secret"
#define REALM "portls-test"
#define NONCE "n0nce123"

/* Reads one request head (and maybe the start of its body). @return the bytes read, or 0 when
 * the client closed. */
static size_t read_head(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len - 1) {
        ssize_t n = recv(fd, buf + got, len - 1 - got, 0);
        if (n <= 0) {
            return 0;
        }
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL) {
            return got;
        }
    }
    return 0;
}

static void send_text(int fd, const char *text)
{
    send(fd, text, strlen(text), MSG_NOSIGNAL);
}

/* name="value" or name=value from the Authorization header in head. */
static bool param(const char *head, const char *name, char *out, size_t len)
{
    const char *auth = strstr(head, "\r\nAuthorization: Digest ");
    char key[32];
    snprintf(key, sizeof(key), " %s=", name);
    const char *p = auth != NULL ? strstr(auth, key) : NULL;
    if (p == NULL) {
        return false;
    }
    p += strlen(key);
    bool quoted = *p == '"';
    p += quoted ? 1 : 0;
    size_t n = strcspn(p, quoted ? "\"" : ",\r");
    if (n >= len) {
        return false;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static void hex_digest(const char *algorithm, const char *text, char *hex)
{
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text, strlen(text), sum, &len, strcmp(algorithm, "MD5") == 0 ? EVP_md5() : EVP_sha256(), NULL);
    for (unsigned int i = 0; i < len; i++) {
        sprintf(hex + 2 * i, "%02x", sum[i]);
    }
}

/* RFC 7616 with qop=auth, computed here with OpenSSL. */
static bool digest_correct(const test_server_t *s, const char *head)
{
    char user[64], uri[256], nc[16], cnonce[64], response[160], text[1024], ha1[160], ha2[160], expect[160];
    if (!param(head, "username", user, sizeof(user)) || !param(head, "uri", uri, sizeof(uri)) ||
        !param(head, "nc", nc, sizeof(nc)) || !param(head, "cnonce", cnonce, sizeof(cnonce)) ||
        !param(head, "response", response, sizeof(response)) || strcmp(user, USER) != 0) {
        return false;
    }
    char method[16] = "";
    sscanf(head, "%15s", method);
    snprintf(text, sizeof(text), "%s:%s:%s", USER, REALM, PASSWORD);
    hex_digest(s->algorithm, text, ha1);
    snprintf(text, sizeof(text), "%s:%s", method, uri);
    hex_digest(s->algorithm, text, ha2);
    snprintf(text, sizeof(text), "%s:%s:%s:%s:auth:%s", ha1, NONCE, nc, cnonce, ha2);
    hex_digest(s->algorithm, text, expect);
    return strcmp(expect, response) == 0;
}

static void answer_digest(test_server_t *s, int fd, const char *head)
{
    if (digest_correct(s, head)) {
        s->authorized++;
        send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ndigest ok");
        return;
    }
    char reply[512];
    snprintf(reply, sizeof(reply),
             "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"" REALM "\", qop=\"auth\", "
             "algorithm=%s, nonce=\"" NONCE "\", opaque=\"0paque\"\r\nContent-Length: 0\r\n\r\n",
             s->algorithm);
    send_text(fd, reply);
}

/* Whether the len body bytes at offset are the client's pattern (byte i = i % 251). */
static bool as_sent(const char *p, size_t len, long offset)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)p[i] != (unsigned char)((offset + (long)i) % 251)) {
            return false;
        }
    }
    return true;
}

/* 100 Continue, the body (once hold_body is false), 103 Early Hints, then the answer. */
static void answer_interim(test_server_t *s, int fd, const char *head, size_t got)
{
    send_text(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    const char *end = strstr(head, "\r\n\r\n") + 4;
    const char *length = strstr(head, "\r\nContent-Length: ");
    long want = length != NULL && length < end ? strtol(length + 18, NULL, 10) : 0;
    long n = (long)(got - (size_t)(end - head)); /* body bytes read with the head */
    bool same = as_sent(end, (size_t)n, 0);
    while (atomic_load(&s->hold_body) && !s->stopping) {
        sleep_ms(1);
    }
    static char buf[65536]; /* the server's thread only */
    while (n < want && !s->stopping) {
        ssize_t r = recv(fd, buf, sizeof(buf) < (size_t)(want - n) ? sizeof(buf) : (size_t)(want - n), 0);
        if (r <= 0) {
            break;
        }
        same = same && as_sent(buf, (size_t)r, n);
        n += r;
        sleep_ms(atomic_load(&s->read_pause_ms));
    }
    char text[96], reply[320];
    int len = snprintf(text, sizeof(text), "received %ld bytes, %s", n, same ? "as sent" : "not as sent");
    snprintf(reply, sizeof(reply),
             "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len, text);
    send_text(fd, reply);
}

/* Answers one request (got bytes read into head). @return false to close the connection. */
static bool answer(test_server_t *s, int fd, const char *head, size_t got)
{
    static char big[2200];
    switch (s->mode) {
    case TS_DIGEST:
        answer_digest(s, fd, head);
        return true;
    case TS_SILENT:
        return true;
    case TS_TRUNCATED:
        send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        return false;
    case TS_BIG_HEADER:
        memset(big, 'a', sizeof(big));
        memcpy(big, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
        strcpy(big + 2024, "\r\nContent-Length: 2\r\n\r\nok");
        send_text(fd, big);
        return true;
    case TS_MALFORMED:
        send_text(fd, "HTTX/1.1 abc\r\n\r\n");
        return false;
    case TS_INTERIM:
        answer_interim(s, fd, head, got);
        return true;
    }
    return false;
}

static void *serve(void *arg)
{
    test_server_t *s = arg;
    while (!s->stopping) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) {
            break;
        }
        char head[8192];
        bool open = true;
        size_t got;
        while (open && (got = read_head(fd, head, sizeof(head))) > 0) {
            s->requests++;
            open = answer(s, fd, head, got);
        }
        close(fd);
    }
    return NULL;
}

void test_server_start(test_server_t *s, ts_mode_t mode, const char *algorithm)
{
    *s = (test_server_t){ .mode = mode, .algorithm = algorithm != NULL ? algorithm : "MD5" };
    s->listen_fd = peer_listen_loopback(&s->port);
    assert_true(s->listen_fd >= 0);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

void test_server_stop(test_server_t *s)
{
    s->stopping = true;
    shutdown(s->listen_fd, SHUT_RDWR); /* accept() returns */
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}
