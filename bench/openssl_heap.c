/*
 * The same connection made by a minimal OpenSSL client, its heap counted with
 * CRYPTO_set_mem_functions(): the comparison row of `make bench-mem`.
 *   bench_openssl_heap PORT CA_FILE VERSION(1.2|1.3) [CERT KEY]
 * Prints: handshake_peak idle read_peak (bytes), after reading the whole answer to GET /big.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t size;
    size_t pad;
} block_t;

static size_t in_use, peak;

static void *count_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    block_t *b = malloc(sizeof(block_t) + n);
    if (b == NULL) {
        return NULL;
    }
    b->size = n;
    in_use += n;
    peak = in_use > peak ? in_use : peak;
    return b + 1;
}

static void count_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    if (p != NULL) {
        block_t *b = (block_t *)p - 1;
        in_use -= b->size;
        free(b);
    }
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
    if (p == NULL) {
        return count_malloc(n, file, line);
    }
    block_t *old = (block_t *)p - 1;
    size_t old_size = old->size;
    block_t *b = realloc(old, sizeof(block_t) + n);
    if (b == NULL) {
        return NULL;
    }
    in_use = in_use - old_size + n;
    b->size = n;
    peak = in_use > peak ? in_use : peak;
    return b + 1;
}

static SSL_CTX *make_ctx(const char *ca, const char *version, const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    int v = strcmp(version, "1.3") == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;
    if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, v) || !SSL_CTX_set_max_proto_version(ctx, v) ||
        SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 ||
        (cert && (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
                  SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1))) {
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 6) {
        fprintf(stderr, "usage: %s PORT CA_FILE 1.2|1.3 [CERT KEY]\n", argv[0]);
        return 2;
    }
    if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free)) {
        return 1;
    }
    OPENSSL_init_ssl(0, NULL);
    SSL_CTX *ctx = make_ctx(argv[2], argv[3], argc == 6 ? argv[4] : NULL, argc == 6 ? argv[5] : NULL);
    char target[64];
    snprintf(target, sizeof(target), "localhost:%s", argv[1]);
    size_t base = in_use;
    peak = in_use;
    BIO *bio = ctx ? BIO_new_ssl_connect(ctx) : NULL;
    SSL *ssl = NULL;
    if (bio == NULL || BIO_get_ssl(bio, &ssl) != 1 || !SSL_set_tlsext_host_name(ssl, "localhost") ||
        !SSL_set1_host(ssl, "localhost") || BIO_set_conn_hostname(bio, target) != 1 || BIO_do_handshake(bio) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    size_t handshake_peak = peak - base, idle = in_use - base;
    peak = in_use;
    static const char request[] = "GET /big HTTP/1.0\r\n\r\n";
    BIO_write(bio, request, sizeof(request) - 1);
    char buf[16384];
    long total = 0;
    int n;
    while ((n = BIO_read(bio, buf, sizeof(buf))) > 0) {
        total += n;
    }
    printf("%zu %zu %zu %ld\n", handshake_peak, idle, peak - base, total);
    BIO_free_all(bio);
    SSL_CTX_free(ctx);
    return 0;
}
