/*
 * One ESP-TLS server session and its heap account (esp_tls_heap.h), for `make bench-mem`.
 *   bench_esp_tls_server_heap CERT KEY VERSION(1.2|1.3) [CA]
 * Listens on a free loopback port and prints it on the first line; serves two connections one
 * after the other (the first pays for PSA's one-time state) and reads each until the client
 * closes. With CA, clients must present a certificate it signed. Prints, for the second:
 * handshake_peak idle read_peak bytes_read.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cert_file.h"
#include "esp_tls.h"
#include "esp_tls_heap.h"

typedef struct {
    size_t handshake_peak, idle, read_peak;
    long bytes;
} figures_t;

/* @return the listening socket on 127.0.0.1 with its port in *port, or -1. */
static int listen_loopback(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int serve_one(int listen_fd, esp_tls_cfg_server_t *cfg, figures_t *f)
{
    int fd = accept(listen_fd, NULL, NULL);
    esp_tls_t *tls = fd >= 0 ? esp_tls_init() : NULL;
    int rc = -1;
    if (tls != NULL && esp_tls_server_session_create(cfg, fd, tls) == 0) {
        esp_tls_heap_stats_t stats;
        esp_tls_get_heap_stats(tls, &stats);
        f->handshake_peak = stats.peak;
        f->idle = stats.current;
        esp_tls_reset_heap_peak(tls);
        char buf[16384];
        ssize_t n;
        for (f->bytes = 0; (n = esp_tls_conn_read(tls, buf, sizeof(buf))) > 0;) {
            f->bytes += n;
        }
        esp_tls_get_heap_stats(tls, &stats);
        f->read_peak = stats.peak;
        rc = n == 0 ? 0 : -1;
    }
    esp_tls_server_session_delete(tls);
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s CERT KEY 1.2|1.3 [CA]\n", argv[0]);
        return 2;
    }
    cert_file_t cert = { 0 }, key = { 0 }, ca = { 0 };
    if (cert_file_load(argv[1], &cert) != 0 || cert_file_load(argv[2], &key) != 0 ||
        (argc == 5 && cert_file_load(argv[4], &ca) != 0)) {
        perror("bench: certificate files");
        return 1;
    }
    esp_tls_cfg_server_t cfg = {
        .servercert_buf = cert.data, .servercert_bytes = cert.len, .serverkey_buf = key.data,
        .serverkey_bytes = key.len, .cacert_buf = ca.data, .cacert_bytes = ca.len,
        .tls_version = strcmp(argv[3], "1.3") == 0 ? ESP_TLS_VER_TLS_1_3 : ESP_TLS_VER_TLS_1_2,
    };
    int port, rc = 1;
    int listen_fd = listen_loopback(&port);
    if (listen_fd >= 0) {
        printf("%d\n", port);
        fflush(stdout);
        figures_t warm_up, f;
        rc = serve_one(listen_fd, &cfg, &warm_up) || serve_one(listen_fd, &cfg, &f);
        if (rc == 0) {
            printf("%zu %zu %zu %ld\n", f.handshake_peak, f.idle, f.read_peak, f.bytes);
        }
        close(listen_fd);
    }
    cert_file_free(&cert);
    cert_file_free(&key);
    cert_file_free(&ca);
    return rc ? 1 : 0;
}
