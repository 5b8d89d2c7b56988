/* portls serve: a small TLS server on esp_tls_server_session_create(), one connection at a time. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cert_file.h"
#include "cli.h"
#include "commands.h"
#include "esp_tls.h"
#include "mbedtls/ssl.h"
#include "report.h"

#define POLL_MS 200           /* how often a wait looks at the stop flag */
#define IDLE_TIMEOUT_MS 30000 /* a silent client is dropped after this */

typedef struct {
    const char *bind, *cert, *key, *cacert;
    int port;
    bool http;
    cert_file_t cert_file, key_file, ca_file;
    esp_tls_cfg_server_t cfg;
} serve_opts_t;

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int usage(FILE *out)
{
    fputs("usage: portls serve --cert FILE --key FILE [--port N] [--bind ADDR] [--cacert FILE]\n"
          "                    [--echo | --http] [--tls1.2 | --tls1.3]\n"
          "A TLS server on ESP-TLS's server sessions, one connection at a time, with session tickets.\n"
          "  --port N       port to listen on (default 4433; 0 picks a free one, printed at start)\n"
          "  --bind ADDR    IPv4 address to listen on (default 127.0.0.1)\n"
          "  --cacert FILE  require client certificates signed by these CAs (mutual TLS)\n"
          "  --echo         send back what the client sends (default)\n"
          "  --http         answer one HTTP request with a page describing the TLS session\n"
          "Stops cleanly on SIGINT or SIGTERM.\n", out);
    return out == stdout ? 0 : 2;
}

enum { OPT_CERT = 256, OPT_KEY, OPT_CACERT, OPT_PORT, OPT_BIND, OPT_ECHO, OPT_HTTP, OPT_TLS12, OPT_TLS13, OPT_HELP };

static const struct option long_options[] = {
    { "cert", required_argument, NULL, OPT_CERT },  { "key", required_argument, NULL, OPT_KEY },
    { "cacert", required_argument, NULL, OPT_CACERT }, { "port", required_argument, NULL, OPT_PORT },
    { "bind", required_argument, NULL, OPT_BIND },  { "echo", no_argument, NULL, OPT_ECHO },
    { "http", no_argument, NULL, OPT_HTTP },        { "tls1.2", no_argument, NULL, OPT_TLS12 },
    { "tls1.3", no_argument, NULL, OPT_TLS13 },     { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

/* @return 0 to go on, or an exit status + 1. */
static int parse_option(int opt, char *arg, void *ctx)
{
    serve_opts_t *o = ctx;
    switch (opt) {
    case OPT_CERT: o->cert = arg; break;
    case OPT_KEY: o->key = arg; break;
    case OPT_CACERT: o->cacert = arg; break;
    case OPT_PORT: o->port = atoi(arg); break;
    case OPT_BIND: o->bind = arg; break;
    case OPT_ECHO: o->http = false; break;
    case OPT_HTTP: o->http = true; break;
    case OPT_TLS12: o->cfg.tls_version = ESP_TLS_VER_TLS_1_2; break;
    case OPT_TLS13: o->cfg.tls_version = ESP_TLS_VER_TLS_1_3; break;
    case OPT_HELP: return usage(stdout) + 1;
    default: return usage(stderr) + 1;
    }
    return 0;
}

/* @return -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, serve_opts_t *o)
{
    int rc = cli_parse(argc, argv, "", long_options, parse_option, o);
    if (rc != 0) {
        return rc - 1;
    }
    if (optind != argc || o->cert == NULL || o->key == NULL || o->port < 0 || o->port > 65535) {
        return usage(stderr);
    }
    return -1;
}

static int configure(serve_opts_t *o)
{
    if (cli_load("serve", o->cert, &o->cert_file) || cli_load("serve", o->key, &o->key_file) ||
        cli_load("serve", o->cacert, &o->ca_file)) {
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

static int open_listener(serve_opts_t *o)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
    socklen_t len = sizeof(a);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || inet_pton(AF_INET, o->bind, &a.sin_addr) != 1 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        fprintf(stderr, "portls serve: cannot listen on %s:%d: %s\n", o->bind, o->port, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    printf("portls serve: listening on %s:%d\n", o->bind, ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

/* Waits until fd is readable, the session has decrypted bytes, the idle timeout, or a stop. */
static bool wait_readable(esp_tls_t *tls, int fd)
{
    for (int waited = 0; !stop_requested && waited < IDLE_TIMEOUT_MS; waited += POLL_MS) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (esp_tls_get_bytes_avail(tls) > 0 || poll(&pfd, 1, POLL_MS) > 0) {
            return true;
        }
    }
    return false;
}

static void echo(esp_tls_t *tls, int fd)
{
    char buf[4096];
    ssize_t n;
    while (wait_readable(tls, fd) && (n = esp_tls_conn_read(tls, buf, sizeof(buf))) > 0) {
        if (esp_tls_conn_write(tls, buf, (size_t)n) != n) {
            break;
        }
    }
}

/* Reads a request head, then answers with a page describing the session. */
static void answer_http(esp_tls_t *tls, int fd)
{
    char req[8192];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(req) - 1 && wait_readable(tls, fd) &&
           (n = esp_tls_conn_read(tls, req + got, sizeof(req) - 1 - got)) > 0) {
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
    fprintf(out, "portls serve\nSession: %s\n", esp_tls_session_was_resumed(tls) ? "resumed" : "new");
    report_session(out, tls);
    fclose(out);
    char head[128];
    int head_len = snprintf(head, sizeof(head),
                            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", page_len);
    if (esp_tls_conn_write(tls, head, (size_t)head_len) == head_len) {
        esp_tls_conn_write(tls, page, page_len);
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
    esp_tls_t *tls = esp_tls_init();
    if (tls == NULL) {
        return;
    }
    int rc = esp_tls_server_session_create(&o->cfg, fd, tls);
    if (rc == 0) {
        log_session(tls, id);
        (o->http ? answer_http : echo)(tls, fd);
    } else {
        fprintf(stderr, "portls serve: #%lu handshake failed\n", id);
        report_error(stderr, tls);
    }
    esp_tls_server_session_delete(tls);
}

static void accept_loop(serve_opts_t *o, int listen_fd)
{
    for (unsigned long id = 1; !stop_requested;) {
        struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
        if (poll(&pfd, 1, POLL_MS) <= 0) {
            continue;
        }
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            continue;
        }
        struct timeval tv = { .tv_sec = IDLE_TIMEOUT_MS / 1000 };
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        serve_connection(o, fd, id++);
        close(fd);
    }
}

int cmd_serve(int argc, char **argv)
{
    serve_opts_t o = { .bind = "127.0.0.1", .port = 4433, .cfg.tls_handshake_timeout_ms = 10000 };
    int rc = parse_args(argc, argv, &o);
    if (rc < 0) {
        rc = 1;
        int fd = configure(&o) == 0 ? open_listener(&o) : -1;
        if (fd >= 0) {
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
