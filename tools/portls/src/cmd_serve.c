/*
 * portls serve: a small TLS server on ESP-TLS's server sessions, one connection at a time.
 * Every socket is non-blocking and every wait is a poll() of at most POLL_MS against a deadline,
 * so a stop signal is seen in any state, and a client that stalls (in the handshake, in the
 * middle of a record, or by not reading what it is sent) is dropped after --timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cert_file.h"
#include "cli.h"
#include "commands.h"
#include "esp_deadline.h"
#include "esp_tls.h"
#include "mbedtls/error.h"
#include "mbedtls/pk.h"
#include "mbedtls/psa_util.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "psa/crypto.h"
#include "report.h"

#define POLL_MS 200           /* how often a wait looks at the stop flag */
#define IDLE_TIMEOUT_MS 30000 /* a client that sends nothing is dropped after this */

typedef struct {
    const char *bind, *cert, *key, *cacert;
    int port;
    int timeout_ms; /* the handshake, a record that has begun to arrive, a write's progress */
    bool http;
    cert_file_t cert_file, key_file, ca_file;
    esp_tls_cfg_server_t cfg;
} serve_opts_t;

/* One accepted client. */
typedef struct {
    esp_tls_t *tls;
    int fd;
    unsigned long id;
    int timeout_ms;
} client_t;

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int usage(FILE *out)
{
    fputs("usage: portls serve --cert FILE --key FILE [--port N] [--bind ADDR] [--cacert FILE]\n"
          "                    [--echo | --http] [--tls1.2 | --tls1.3] [--timeout MS]\n"
          "A TLS server on ESP-TLS's server sessions, one connection at a time, with session tickets.\n"
          "  --port N       port to listen on (default 4433; 0 picks a free one, printed at start)\n"
          "  --bind ADDR    IPv4 or IPv6 address (or name) to listen on (default 127.0.0.1)\n"
          "  --cacert FILE  require client certificates signed by these CAs (mutual TLS)\n"
          "  --echo         send back what the client sends (default)\n"
          "  --http         answer one HTTP request with a page describing the TLS session\n"
          "  --timeout MS   drop a client whose handshake, record or write makes no progress for\n"
          "                 MS (default 10000); one that sends nothing for 30 s is dropped too\n"
          "Stops cleanly on SIGINT or SIGTERM.\n", out);
    return out == stdout ? 0 : 2;
}

enum {
    OPT_CERT = 256, OPT_KEY, OPT_CACERT, OPT_PORT, OPT_BIND, OPT_ECHO, OPT_HTTP, OPT_TLS12, OPT_TLS13, OPT_TIMEOUT,
    OPT_HELP
};

static const struct option long_options[] = {
    { "cert", required_argument, NULL, OPT_CERT },  { "key", required_argument, NULL, OPT_KEY },
    { "cacert", required_argument, NULL, OPT_CACERT }, { "port", required_argument, NULL, OPT_PORT },
    { "bind", required_argument, NULL, OPT_BIND },  { "echo", no_argument, NULL, OPT_ECHO },
    { "http", no_argument, NULL, OPT_HTTP },        { "tls1.2", no_argument, NULL, OPT_TLS12 },
    { "tls1.3", no_argument, NULL, OPT_TLS13 },     { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

#define FIELD(name) offsetof(serve_opts_t, name)
static const cli_field_t fields[] = {
    CLI_FIELD(OPT_CERT, CLI_TEXT, FIELD(cert)),
    CLI_FIELD(OPT_KEY, CLI_TEXT, FIELD(key)),
    CLI_FIELD(OPT_CACERT, CLI_TEXT, FIELD(cacert)),
    CLI_NUMBER(OPT_PORT, CLI_INT, FIELD(port), 0, 65535),
    CLI_FIELD(OPT_BIND, CLI_TEXT, FIELD(bind)),
    CLI_FIELD(OPT_ECHO, CLI_FALSE, FIELD(http)),
    CLI_FIELD(OPT_HTTP, CLI_TRUE, FIELD(http)),
    CLI_SETS(OPT_TLS12, FIELD(cfg.tls_version), ESP_TLS_VER_TLS_1_2),
    CLI_SETS(OPT_TLS13, FIELD(cfg.tls_version), ESP_TLS_VER_TLS_1_3),
    CLI_NUMBER(OPT_TIMEOUT, CLI_INT, FIELD(timeout_ms), 1, INT_MAX),
    CLI_HELP_ROW(OPT_HELP),
    CLI_END,
};

static const cli_spec_t spec = { "serve", "", long_options, fields, usage };

/* @return -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, serve_opts_t *o)
{
    int rc = cli_parse_fields(argc, argv, &spec, o);
    if (rc != 0) {
        return rc - 1;
    }
    if (optind != argc || o->cert == NULL || o->key == NULL || o->port < 0 || o->port > 65535 || o->timeout_ms <= 0) {
        return usage(stderr);
    }
    return -1;
}

/* Says on stderr what is wrong with the file of an option, with mbedTLS's reason. @return -1. */
static int refuse_file(const char *option, const char *path, const char *what, int ret)
{
    char reason[128];
    mbedtls_strerror(ret, reason, sizeof(reason));
    fprintf(stderr, "portls serve: %s %s %s (%s)\n", option, path, what, reason);
    return -1;
}

/* --cert must hold a certificate and --key its private key: checked once here, because every
 * handshake would fail otherwise, with errors that do not say why. */
static int check_cert_and_key(const serve_opts_t *o)
{
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&key);
    int rc = 0, ret;
    if (psa_crypto_init() != PSA_SUCCESS) {
        fputs("portls serve: the crypto library did not start\n", stderr);
        rc = -1;
    } else if ((ret = mbedtls_x509_crt_parse(&crt, o->cert_file.data, o->cert_file.len)) < 0) {
        rc = refuse_file("--cert", o->cert, "holds no certificate", ret);
    } else if ((ret = mbedtls_pk_parse_key(&key, o->key_file.data, o->key_file.len, NULL, 0, mbedtls_psa_get_random,
                                           MBEDTLS_PSA_RANDOM_STATE)) != 0) {
        rc = refuse_file("--key", o->key, "holds no usable private key", ret);
    } else if ((ret = mbedtls_pk_check_pair(&crt.pk, &key, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE)) != 0) {
        fprintf(stderr, "portls serve: the key in %s (--key) is not the key of the certificate in %s (--cert)\n",
                o->key, o->cert);
        rc = -1;
    }
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&crt);
    return rc;
}

/* Reads --cert, --key and --cacert, and checks that the first two are a pair. @return 0 or -1. */
static int load_files(serve_opts_t *o)
{
    if (cli_load("serve", o->cert, &o->cert_file) != 0) {
        return -1;
    }
    if (cli_load("serve", o->key, &o->key_file) != 0) {
        return -1;
    }
    if (cli_load("serve", o->cacert, &o->ca_file) != 0) {
        return -1;
    }
    return check_cert_and_key(o);
}

static int configure(serve_opts_t *o)
{
    if (load_files(o) != 0) {
        return -1;
    }
    o->cfg.servercert_buf = o->cert_file.data;
    o->cfg.servercert_bytes = o->cert_file.len;
    o->cfg.serverkey_buf = o->key_file.data;
    o->cfg.serverkey_bytes = o->key_file.len;
    o->cfg.cacert_buf = o->ca_file.data;
    o->cfg.cacert_bytes = o->ca_file.len;
    static const char *http_alpn[] = { "http/1.1", NULL };
    o->cfg.alpn_protos = o->http ? http_alpn : NULL;
    esp_err_t err = esp_tls_cfg_server_session_tickets_init(&o->cfg);
    if (err != ESP_OK) {
        fprintf(stderr, "portls serve: session tickets unavailable (%s); serving without\n", esp_err_to_name(err));
    }
    return 0;
}

static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* Makes fd a non-blocking listener on ai's address. @return 0, or -1 with errno set. */
static int start_listening(int fd, const struct addrinfo *ai)
{
    int one = 1;
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
        return -1;
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        return -1;
    }
    if (listen(fd, 16) != 0) {
        return -1;
    }
    return set_nonblocking(fd);
}

/* A non-blocking listening socket on one address. @return it, or -1 with errno set. */
static int listen_on(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
        return -1;
    }
    if (start_listening(fd, ai) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* "ADDR:PORT", or "[ADDR]:PORT" for IPv6, into out. */
static void format_address(const struct sockaddr_storage *a, socklen_t len, char *out, size_t size)
{
    char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
    getnameinfo((const struct sockaddr *)a, len, host, sizeof(host), port, sizeof(port),
                NI_NUMERICHOST | NI_NUMERICSERV);
    bool v6 = a->ss_family == AF_INET6;
    snprintf(out, size, "%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/* The first line on stdout, which the tests and scripts read the port from. */
static void say_listening(int fd)
{
    struct sockaddr_storage a = { 0 };
    socklen_t len = sizeof(a);
    char where[NI_MAXHOST + NI_MAXSERV + 4] = "?";
    if (getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
        format_address(&a, len, where, sizeof(where));
    }
    printf("portls serve: listening on %s\n", where);
    fflush(stdout);
}

/* Listens on the first address --bind names that takes it. @return the socket, or -1. */
static int open_listener(const serve_opts_t *o)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
    struct addrinfo *list = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%d", o->port);
    int rc = getaddrinfo(o->bind, port, &hints, &list);
    if (rc != 0) {
        fprintf(stderr, "portls serve: cannot listen on %s: %s\n", o->bind, gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (const struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = listen_on(ai);
        err = fd < 0 ? errno : 0;
    }
    freeaddrinfo(list);
    if (fd < 0) {
        fprintf(stderr, "portls serve: cannot listen on %s port %d: %s\n", o->bind, o->port, strerror(err));
        return -1;
    }
    say_listening(fd);
    return fd;
}

/* ---- waiting: at most POLL_MS at a time, so a stop is seen at once ---- */

/* Waits until fd has events, the deadline passes, or a stop is asked for.
 * @return 1 ready, 0 the deadline passed, -1 stop. */
static int wait_socket(int fd, short events, esp_deadline_t deadline)
{
    while (!stop_requested) {
        int left_ms = esp_deadline_ms_left(deadline);
        if (left_ms == 0) {
            return 0;
        }
        struct pollfd pfd = { .fd = fd, .events = events };
        if (poll(&pfd, 1, left_ms > 0 && left_ms < POLL_MS ? left_ms : POLL_MS) > 0) {
            return 1;
        }
    }
    return -1;
}

/* Waits for what an ESP-TLS call asked for (WANT_READ or WANT_WRITE); says on stderr why the
 * client is dropped when it is. @return true to call again. */
static bool wait_for_client(const client_t *c, int want, esp_deadline_t deadline, const char *doing)
{
    int w = wait_socket(c->fd, want == ESP_TLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN, deadline);
    if (w == 0) {
        fprintf(stderr, "portls serve: #%lu dropped: no progress %s\n", c->id, doing);
    }
    return w > 0;
}

static bool wants_socket(ssize_t rc)
{
    return rc == ESP_TLS_ERR_SSL_WANT_READ || rc == ESP_TLS_ERR_SSL_WANT_WRITE;
}

/* The handshake, within --timeout. @return 0, or what failed (a stop or timeout: -1). */
static int handshake(serve_opts_t *o, const client_t *c)
{
    esp_err_t err = esp_tls_server_session_init(&o->cfg, c->fd, c->tls);
    if (err != ESP_OK) {
        return err;
    }
    esp_deadline_t deadline = esp_deadline_in_ms(c->timeout_ms);
    int rc;
    while (wants_socket(rc = esp_tls_server_session_continue_async(c->tls))) {
        if (!wait_for_client(c, rc, deadline, "in the handshake")) {
            return -1;
        }
    }
    return rc;
}

/* Whether the client's last record has begun to arrive and is not complete. */
static bool mid_record(const esp_tls_t *tls)
{
    esp_tls_record_info_t r;
    return esp_tls_get_last_record_info(tls, &r) == ESP_OK && r.received < r.length;
}

/* Reads what the client sends: something must come within IDLE_TIMEOUT_MS, and once bytes have
 * come (part of a record, or of its header), the whole record within --timeout.
 * @return bytes (> 0), 0 closed, < 0 failed, stalled or stopped. */
static ssize_t read_client(const client_t *c, char *buf, size_t len)
{
    esp_deadline_t deadline = esp_deadline_in_ms(IDLE_TIMEOUT_MS);
    bool readable = false, arrived = false;
    ssize_t n;
    while (wants_socket(n = esp_tls_conn_read(c->tls, buf, len))) {
        if (!arrived && (readable || mid_record(c->tls))) {
            arrived = true;
            deadline = esp_deadline_in_ms(c->timeout_ms);
        }
        readable = wait_for_client(c, (int)n, deadline, arrived ? "in the middle of a record" : "for 30 s");
        if (!readable) {
            return -1;
        }
    }
    return n;
}

/* Writes all of buf, as long as the client takes some of it every --timeout. */
static bool write_client(const client_t *c, const char *buf, size_t len)
{
    esp_deadline_t deadline = esp_deadline_in_ms(c->timeout_ms);
    size_t done = 0;
    while (done < len) {
        ssize_t n = esp_tls_conn_write(c->tls, buf + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            deadline = esp_deadline_in_ms(c->timeout_ms);
        } else if (!wants_socket(n) || !wait_for_client(c, (int)n, deadline, "while it is sent data")) {
            return false;
        }
    }
    return true;
}

static void echo(const client_t *c)
{
    char buf[4096];
    ssize_t n;
    while ((n = read_client(c, buf, sizeof(buf))) > 0 && write_client(c, buf, (size_t)n)) {
    }
}

/* Reads a request head, then answers with a page describing the session. */
static void answer_http(const client_t *c)
{
    char req[8192];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(req) - 1 && (n = read_client(c, req + got, sizeof(req) - 1 - got)) > 0) {
        got += (size_t)n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL) {
            break;
        }
    }
    if (got == 0 || strstr(req, "\r\n\r\n") == NULL) {
        return; /* the client left without asking anything */
    }
    char *page = NULL;
    size_t page_len = 0;
    FILE *out = open_memstream(&page, &page_len);
    if (out == NULL) {
        return;
    }
    fprintf(out, "portls serve\nSession: %s\n", esp_tls_session_was_resumed(c->tls) ? "resumed" : "new");
    report_session(out, c->tls);
    fclose(out);
    char head[128];
    int head_len = snprintf(head, sizeof(head),
                            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", page_len);
    if (write_client(c, head, (size_t)head_len)) {
        write_client(c, page, page_len);
    }
    free(page);
}

static void log_session(esp_tls_t *tls, unsigned long id)
{
    mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
    const char *alpn = mbedtls_ssl_get_alpn_protocol(ssl);
    const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(ssl);
    char subject[256] = "none";
    if (peer != NULL) {
        mbedtls_x509_dn_gets(subject, sizeof(subject), &peer->subject);
    }
    esp_tls_conn_timing_t t;
    esp_tls_get_conn_timing(tls, &t);
    fprintf(stderr, "portls serve: #%lu %s %s, %s, ALPN %s, client certificate %s, handshake %.2f ms\n", id,
            mbedtls_ssl_get_version(ssl), mbedtls_ssl_get_ciphersuite(ssl),
            esp_tls_session_was_resumed(tls) ? "resumed" : "full handshake", alpn ? alpn : "none", subject,
            t.handshake_us / 1000.0);
}

static void serve_connection(serve_opts_t *o, int fd, unsigned long id)
{
    client_t c = { .tls = esp_tls_init(), .fd = fd, .id = id, .timeout_ms = o->timeout_ms };
    if (c.tls == NULL || set_nonblocking(fd) != 0) {
        esp_tls_server_session_delete(c.tls);
        return;
    }
    int rc = handshake(o, &c);
    if (rc == 0) {
        log_session(c.tls, id);
        (o->http ? answer_http : echo)(&c);
    } else if (rc != -1) {
        fprintf(stderr, "portls serve: #%lu handshake failed\n", id);
        report_error(stderr, c.tls);
    }
    esp_tls_server_session_delete(c.tls); /* close_notify does not wait: the socket is non-blocking */
}

static void accept_loop(serve_opts_t *o, int listen_fd)
{
    for (unsigned long id = 1; !stop_requested;) {
        if (wait_socket(listen_fd, POLLIN, esp_deadline_in_ms(POLL_MS)) <= 0) {
            continue;
        }
        struct sockaddr_storage from;
        socklen_t len = sizeof(from);
        int fd = accept(listen_fd, (struct sockaddr *)&from, &len);
        if (fd < 0) {
            continue; /* the client left before it was accepted */
        }
        char who[NI_MAXHOST + NI_MAXSERV + 4];
        format_address(&from, len, who, sizeof(who));
        fprintf(stderr, "portls serve: #%lu connection from %s\n", id, who);
        serve_connection(o, fd, id++);
        close(fd);
    }
}

int cmd_serve(int argc, char **argv)
{
    serve_opts_t o = { .bind = "127.0.0.1", .port = 4433, .timeout_ms = 10000 };
    int rc = parse_args(argc, argv, &o);
    if (rc < 0) {
        rc = 1;
        int fd = configure(&o) == 0 ? open_listener(&o) : -1;
        if (fd >= 0) {
            /* No SA_RESTART: a signal interrupts the poll() it arrives in. */
            struct sigaction sa = { .sa_handler = request_stop };
            sigaction(SIGINT, &sa, NULL);
            sigaction(SIGTERM, &sa, NULL);
            signal(SIGPIPE, SIG_IGN);
            accept_loop(&o, fd);
            close(fd);
            fputs("portls serve: stopped\n", stderr);
            rc = 0;
        }
    }
    esp_tls_cfg_server_session_tickets_free(&o.cfg);
    cert_file_free(&o.cert_file);
    cert_file_free(&o.key_file);
    cert_file_free(&o.ca_file);
    return rc;
}
