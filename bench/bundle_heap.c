/*
 * Heap at verification time: the certificate bundle against the same CAs parsed as a PEM chain.
 * The third row, a config that trusts only the server's CA, is the floor: the rest of a connection.
 * The figures are the connection's own heap account (esp_tls_heap.h): its peak from
 * esp_tls_init() to the end of the handshake, and what it holds once connected, after a warm-up
 * connection.
 *   bench_bundle_heap PORT CA_SET_PEM TEST_CA_PEM
 * The server on 127.0.0.1:PORT must present a localhost certificate signed by TEST_CA_PEM; the
 * trust store is CA_SET_PEM (e.g. the system's Mozilla set) plus TEST_CA_PEM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_file.h"
#include "crt_bundle_writer.h"
#include "esp_crt_bundle.h"
#include "esp_tls.h"
#include "esp_tls_heap.h"

typedef struct {
    size_t peak;   /* highest heap during the connect */
    size_t idle;   /* heap held by the connected session */
} figures_t;

static int measure(int port, const esp_tls_cfg_t *cfg, figures_t *f)
{
    esp_tls_t *tls = esp_tls_init();
    int rc = esp_tls_conn_new_sync("localhost", 9, port, cfg, tls);
    esp_tls_heap_stats_t stats;
    esp_tls_get_heap_stats(tls, &stats);
    f->peak = stats.peak;
    f->idle = stats.current;
    esp_tls_conn_destroy(tls);
    return rc == 1 ? 0 : -1;
}

/* CA_SET + TEST_CA as one NUL-terminated PEM buffer; its length counts the NUL. */
static unsigned char *joined_pem(const cert_file_t *set, const cert_file_t *extra, size_t *len)
{
    size_t a_len = set->len - 1, b_len = extra->len - 1; /* both PEM: their NULs dropped */
    unsigned char *out = malloc(a_len + b_len + 2);
    if (out != NULL) {
        memcpy(out, set->data, a_len);
        out[a_len] = '\n';
        memcpy(out + a_len + 1, extra->data, b_len);
        out[a_len + 1 + b_len] = '\0';
        *len = a_len + b_len + 2;
    }
    return out;
}

static int make_bundle(const char *set, const char *extra, uint8_t **bundle, size_t *len, uint32_t *count)
{
    mbedtls_x509_crt chain;
    mbedtls_x509_crt_init(&chain);
    const char *error = NULL;
    int rc = crt_bundle_load(&chain, set) || crt_bundle_load(&chain, extra) ||
             crt_bundle_build(&chain, NULL, 1000, bundle, len, count, &error);
    mbedtls_x509_crt_free(&chain);
    if (rc != 0) {
        fprintf(stderr, "bench: cannot build the bundle: %s\n", error ? error : "unreadable input");
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s PORT CA_SET_PEM TEST_CA_PEM\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    uint8_t *bundle;
    size_t bundle_len, pem_len = 0;
    uint32_t count;
    if (make_bundle(argv[2], argv[3], &bundle, &bundle_len, &count) != 0 || esp_crt_bundle_set(bundle, bundle_len)) {
        return 1;
    }
    cert_file_t set = { 0 }, one = { 0 };
    if (cert_file_load(argv[2], &set) != 0 || cert_file_load(argv[3], &one) != 0) {
        perror("bench: certificate files");
        return 1;
    }
    unsigned char *pem = joined_pem(&set, &one, &pem_len);
    esp_tls_cfg_t with_bundle = { .timeout_ms = 5000, .crt_bundle_attach = esp_crt_bundle_attach };
    esp_tls_cfg_t with_pem = { .timeout_ms = 5000, .cacert_buf = pem, .cacert_bytes = (unsigned int)pem_len };
    esp_tls_cfg_t with_one = { .timeout_ms = 5000, .cacert_buf = one.data, .cacert_bytes = one.len };
    figures_t b, p, o, warm_up; /* the first connection grows PSA's key store, once per process */
    if (pem == NULL || measure(port, &with_bundle, &warm_up) || measure(port, &with_bundle, &b) ||
        measure(port, &with_pem, &p) || measure(port, &with_one, &o)) {
        fprintf(stderr, "bench: a connection failed\n");
        return 1;
    }
    printf("trust store: %u CAs; bundle %zu bytes (in flash on a chip), PEM %zu bytes\n", (unsigned)count,
           bundle_len, pem_len);
    printf("%-28s %12s %12s\n", "heap per connection (bytes)", "peak", "connected");
    printf("%-28s %12zu %12zu\n", "crt_bundle_attach", b.peak, b.idle);
    printf("%-28s %12zu %12zu\n", "cacert_buf (PEM chain)", p.peak, p.idle);
    printf("%-28s %12zu %12zu\n", "cacert_buf (the one CA)", o.peak, o.idle);
    printf("ratio bundle/PEM: peak %.3f, connected %.3f\n", (double)b.peak / (double)p.peak,
           (double)b.idle / (double)p.idle);
    free(pem);
    cert_file_free(&set);
    cert_file_free(&one);
    free(bundle);
    return 0;
}
