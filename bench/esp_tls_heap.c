/*
 * One ESP-TLS client connection and its heap account (esp_tls_heap.h), for `make bench-mem`.
 *   bench_esp_tls_heap PORT CA_FILE VERSION(1.2|1.3) [CERT KEY]
 * Prints: handshake_peak idle read_peak bytes_read, for GET /big read to the end. A warm-up
 * connection first pays for PSA's one-time state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_file.h"
#include "esp_tls.h"
#include "esp_tls_heap.h"

typedef struct {
    size_t handshake_peak, idle, read_peak;
    long bytes;
} figures_t;

static int run(int port, const esp_tls_cfg_t *cfg, figures_t *f)
{
    esp_tls_t *tls = esp_tls_init();
    int rc = -1;
    if (tls != NULL && esp_tls_conn_new_sync("localhost", 9, port, cfg, tls) == 1) {
        esp_tls_heap_stats_t stats;
        esp_tls_get_heap_stats(tls, &stats);
        f->handshake_peak = stats.peak;
        f->idle = stats.current;
        esp_tls_reset_heap_peak(tls);
        static const char request[] = "GET /big HTTP/1.0\r\n\r\n";
        char buf[16384];
        ssize_t n = esp_tls_conn_write(tls, request, sizeof(request) - 1);
        for (f->bytes = 0; n > 0 && (n = esp_tls_conn_read(tls, buf, sizeof(buf))) > 0;) {
            f->bytes += n;
        }
        esp_tls_get_heap_stats(tls, &stats);
        f->read_peak = stats.peak;
        rc = n == 0 ? 0 : -1;
    }
    esp_tls_conn_destroy(tls);
    return rc;
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
        printf("%zu %zu %zu %ld\n", f.handshake_peak, f.idle, f.read_peak, f.bytes);
    }
    cert_file_free(&ca);
    cert_file_free(&cert);
    cert_file_free(&key);
    return rc ? 1 : 0;
}
