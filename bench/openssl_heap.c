/*
 * The same connection made by a minimal OpenSSL client: the comparison row of `make bench-mem`.
 *   bench_openssl_heap PORT CA_FILE VERSION(1.2|1.3) [CERT KEY]
 * Like bench_esp_tls_heap, and counted the same way (malloc_count.h, the whole process): the
 * certificate files are read into memory first; a warm-up connection pays for the one-time state;
 * then the measured connection counts everything from there on: the context, parsing the CA, the
 * certificate and the key, resolving localhost, the handshake, and reading GET /big to the end.
 * Prints: handshake_peak idle read_peak bytes_read (bytes; idle with the context still held, as
 * ESP-TLS holds its configuration).
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "malloc_count.h"

typedef struct {
    char *data;
    long len;
} file_t;

static int load(const char *path, file_t *f)
{
    FILE *in = fopen(path, "rb");
    if (in == NULL || fseek(in, 0, SEEK_END) != 0 || (f->len = ftell(in)) < 0 || fseek(in, 0, SEEK_SET) != 0) {
        return -1;
    }
    f->data = malloc((size_t)f->len);
    int ok = f->data != NULL && fread(f->data, 1, (size_t)f->len, in) == (size_t)f->len;
    fclose(in);
    return ok ? 0 : -1;
}

typedef struct {
    file_t ca, cert, key;
    int version;
} inputs_t;

static int add_ca(SSL_CTX *ctx, const file_t *ca)
{
    BIO *in = BIO_new_mem_buf(ca->data, (int)ca->len);
    X509 *x;
    int added = 0;
    while (in != NULL && (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        added += X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x) == 1;
        X509_free(x);
    }
    ERR_clear_error(); /* the end of the PEM text */
    BIO_free(in);
    return added > 0 ? 0 : -1;
}

static int use_own(SSL_CTX *ctx, const file_t *cert, const file_t *key)
{
    BIO *c = BIO_new_mem_buf(cert->data, (int)cert->len), *k = BIO_new_mem_buf(key->data, (int)key->len);
    X509 *x = c ? PEM_read_bio_X509(c, NULL, NULL, NULL) : NULL;
    EVP_PKEY *pk = k ? PEM_read_bio_PrivateKey(k, NULL, NULL, NULL) : NULL;
    int ok = x && pk && SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, pk) == 1;
    X509_free(x);
    EVP_PKEY_free(pk);
    BIO_free(c);
    BIO_free(k);
    return ok ? 0 : -1;
}

static SSL_CTX *make_ctx(const inputs_t *in)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, in->version) ||
        !SSL_CTX_set_max_proto_version(ctx, in->version) || add_ca(ctx, &in->ca) != 0 ||
        (in->cert.data != NULL && use_own(ctx, &in->cert, &in->key) != 0)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

static BIO *connect_to(SSL_CTX *ctx, const char *port)
{
    char target[64];
    snprintf(target, sizeof(target), "localhost:%s", port);
    BIO *bio = BIO_new_ssl_connect(ctx);
    SSL *ssl = NULL;
    if (bio == NULL || BIO_get_ssl(bio, &ssl) != 1 || !SSL_set_tlsext_host_name(ssl, "localhost") ||
        !SSL_set1_host(ssl, "localhost") || BIO_set_conn_hostname(bio, target) != 1 || BIO_do_handshake(bio) != 1) {
        BIO_free_all(bio);
        return NULL;
    }
    return bio;
}

static long fetch_big(BIO *bio)
{
    static const char request[] = "GET /big HTTP/1.0\r\n\r\n";
    char buf[16384];
    long total = 0;
    int n;
    if (BIO_write(bio, request, sizeof(request) - 1) != (int)sizeof(request) - 1) {
        return -1;
    }
    while ((n = BIO_read(bio, buf, sizeof(buf))) > 0) {
        total += n;
    }
    return total;
}

/* One connection from a new context. @return 0 and the figures, or -1. */
static int run(const inputs_t *in, const char *port, size_t out[4])
{
    size_t base = malloc_count_current();
    malloc_count_reset_peak();
    SSL_CTX *ctx = make_ctx(in);
    BIO *bio = ctx ? connect_to(ctx, port) : NULL;
    if (bio == NULL) {
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(ctx);
        return -1;
    }
    out[0] = malloc_count_peak() - base;
    out[1] = malloc_count_current() - base;
    malloc_count_reset_peak();
    long bytes = fetch_big(bio);
    out[2] = malloc_count_peak() - base;
    out[3] = (size_t)bytes;
    BIO_free_all(bio);
    SSL_CTX_free(ctx);
    return bytes < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 6) {
        fprintf(stderr, "usage: %s PORT CA_FILE 1.2|1.3 [CERT KEY]\n", argv[0]);
        return 2;
    }
    inputs_t in = { .version = strcmp(argv[3], "1.3") == 0 ? TLS1_3_VERSION : TLS1_2_VERSION };
    if (load(argv[2], &in.ca) != 0 || (argc == 6 && (load(argv[4], &in.cert) != 0 || load(argv[5], &in.key) != 0))) {
        perror("bench: certificate files");
        return 1;
    }
    OPENSSL_init_ssl(0, NULL);
    size_t warm_up[4], f[4];
    if (run(&in, argv[1], warm_up) != 0 || run(&in, argv[1], f) != 0) {
        return 1;
    }
    printf("%zu %zu %zu %zu\n", f[0], f[1], f[2], f[3]);
    free(in.ca.data);
    free(in.cert.data);
    free(in.key.data);
    return 0;
}
