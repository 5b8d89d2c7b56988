/*
 * One ESP-TLS client connection's heap, for `make bench-mem`.
 *   bench_esp_tls_heap PORT CA_FILE VERSION(1.2|1.3) [CERT KEY]
 * Connects to localhost:PORT (name resolution included), verifies against CA_FILE, sends
 * GET /big and reads the answer to the end. A warm-up connection first pays for the one-time
 * state (PSA's globals, the resolver's), as bench_openssl_heap's does.
 * Prints two sets of figures for the measured connection, bytes:
 *   process: handshake_peak idle read_peak, the whole process's heap above the figure before the
 *            connection began (malloc_count.h: what bench_openssl_heap counts, the same way);
 *   account: handshake_peak idle read_peak, the connection's own account (esp_tls_heap.h:
 *            requested bytes of mbedTLS and ESP-TLS only);
 * then bytes_read.
 * The certificate files are read before either count starts: on a device they are in flash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_file.h"
#include "esp_tls.h"
#include "esp_tls_heap.h"
#include "malloc_count.h"

typedef struct {
    size_t handshake_peak, idle, read_peak;
} heap_figures_t;

typedef struct {
    heap_figures_t process, account;
    long bytes;
} figures_t;

/* GET /big, read to the end. @return the bytes read, or -1. */
static long fetch_big(esp_tls_t *tls)
{
    static const char request[] = "GET /big HTTP/1.0\r\n\r\n";
    char buf[16384];
    long total = 0;
    ssize_t n = esp_tls_conn_write(tls, request, sizeof(request) - 1);
    while (n > 0 && (n = esp_tls_conn_read(tls, buf, sizeof(buf))) > 0) {
        total += n;
    }
    return n == 0 ? total : -1;
}

static int run(int port, const esp_tls_cfg_t *cfg, figures_t *f)
{
    size_t base = malloc_count_current();
    malloc_count_reset_peak();
    esp_tls_t *tls = esp_tls_init();
    if (tls == NULL || esp_tls_conn_new_sync("localhost", 9, port, cfg, tls) != 1) {
        esp_tls_conn_destroy(tls);
        return -1;
    }
    esp_tls_heap_stats_t stats;
    esp_tls_get_heap_stats(tls, &stats);
    f->account = (heap_figures_t){ .handshake_peak = stats.peak, .idle = stats.current };
    f->process.handshake_peak = malloc_count_peak() - base;
    f->process.idle = malloc_count_current() - base;
    esp_tls_reset_heap_peak(tls);
    malloc_count_reset_peak();
    f->bytes = fetch_big(tls);
    esp_tls_get_heap_stats(tls, &stats);
    f->account.read_peak = stats.peak;
    f->process.read_peak = malloc_count_peak() - base;
    esp_tls_conn_destroy(tls);
    return f->bytes < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 6) {
        fprintf(stderr, "usage: %s PORT CA_FILE 1.2|1.3 [CERT KEY]\n", argv[0]);
        return 2;
    }
    cert_file_t ca = { 0 }, cert = { 0 }, key = { 0 };
    if (cert_file_load(argv[2], &ca) != 0 ||
        (argc == 6 && (cert_file_load(argv[4], &cert) != 0 || cert_file_load(argv[5], &key) != 0))) {
        perror("bench: certificate files");
        return 1;
    }
    esp_tls_cfg_t cfg = {
        .cacert_buf = ca.data, .cacert_bytes = ca.len, .timeout_ms = 10000,
        .clientcert_buf = cert.data, .clientcert_bytes = cert.len, .clientkey_buf = key.data,
        .clientkey_bytes = key.len,
        .tls_version = strcmp(argv[3], "1.3") == 0 ? ESP_TLS_VER_TLS_1_3 : ESP_TLS_VER_TLS_1_2,
    };
    figures_t warm_up, f;
    int rc = run(atoi(argv[1]), &cfg, &warm_up) || run(atoi(argv[1]), &cfg, &f);
    if (rc == 0) {
        printf("%zu %zu %zu %zu %zu %zu %ld\n", f.process.handshake_peak, f.process.idle, f.process.read_peak,
               f.account.handshake_peak, f.account.idle, f.account.read_peak, f.bytes);
    }
    cert_file_free(&ca);
    cert_file_free(&cert);
    cert_file_free(&key);
    return rc ? 1 : 0;
}
