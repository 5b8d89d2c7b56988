/* diagnose's libssl probes (see diagnose_probe.h). The socket comes from ESP-TLS's own TCP path;
 * OpenSSL only speaks TLS on it. */
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "diagnose_probe.h"

#define PROBE_TIMEOUT_MS 5000

static int connect_tcp(const diag_opts_t *o)
{
    esp_tls_cfg_t cfg = { .timeout_ms = PROBE_TIMEOUT_MS };
    int fd = -1;
    if (esp_tls_plain_tcp_connect(o->host, (int)strlen(o->host), o->port, &cfg, NULL, &fd) != ESP_OK) {
        return -1;
    }
    struct timeval tv = { .tv_sec = PROBE_TIMEOUT_MS / 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

/* The client-certificate callback: notes the request and its CA names, sends no certificate. */
static int on_cert_request(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    (void)x509;
    (void)pkey;
    diag_probe_t *p = SSL_get_app_data(ssl);
    p->cert_requested = true;
    const STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(ssl);
    for (int i = 0; i < sk_X509_NAME_num(names); i++) {
        char dn[512];
        X509_NAME_oneline(sk_X509_NAME_value(names, i), dn, sizeof(dn));
        cJSON_AddItemToArray(p->ca_names, cJSON_CreateString(dn));
    }
    return 0;
}

/* A context for [min, max], accepting anything (these probes judge nothing). */
static SSL_CTX *new_ctx(int min, int max)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        return NULL;
    }
    SSL_CTX_set_security_level(ctx, 0); /* old versions and suites, to see what the server speaks */
    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(ctx, min);
    SSL_CTX_set_max_proto_version(ctx, max);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_client_cert_cb(ctx, on_cert_request);
    return ctx;
}

/* One handshake; with keep, takes the chain. @return whether it completed. */
static bool handshake(const diag_opts_t *o, diag_probe_t *p, int min, int max, char *suite, size_t suite_len)
{
    SSL_CTX *ctx = new_ctx(min, max);
    int fd = ctx != NULL ? connect_tcp(o) : -1;
    SSL *ssl = fd >= 0 ? SSL_new(ctx) : NULL;
    bool ok = false;
    if (ssl != NULL) {
        SSL_set_app_data(ssl, p);
        SSL_set_fd(ssl, fd);
        SSL_set_tlsext_host_name(ssl, o->host);
        ok = SSL_connect(ssl) == 1;
        if (ok && suite != NULL) {
            snprintf(suite, suite_len, "%s", SSL_get_cipher_name(ssl));
        }
        STACK_OF(X509) *chain = suite == NULL ? SSL_get_peer_cert_chain(ssl) : NULL;
        for (int i = 0; i < sk_X509_num(chain); i++) {
            unsigned char *der = NULL;
            int len = i2d_X509(sk_X509_value(chain, i), &der);
            p->got_chain |= len > 0 && mbedtls_x509_crt_parse_der(&p->chain, der, (size_t)len) == 0;
            OPENSSL_free(der);
        }
        SSL_free(ssl);
    }
    if (fd >= 0) {
        close(fd);
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

void diag_probe(const diag_opts_t *o, diag_probe_t *p)
{
    *p = (diag_probe_t){ .ca_names = cJSON_CreateArray() };
    mbedtls_x509_crt_init(&p->chain);
    p->legacy[0] = handshake(o, p, TLS1_VERSION, TLS1_VERSION, p->legacy_suite[0], sizeof(p->legacy_suite[0]));
    p->legacy[1] = handshake(o, p, TLS1_1_VERSION, TLS1_1_VERSION, p->legacy_suite[1], sizeof(p->legacy_suite[1]));
    cJSON_Delete(p->ca_names); /* the legacy probes' requests do not count */
    p->ca_names = cJSON_CreateArray();
    p->cert_requested = false;
    handshake(o, p, TLS1_VERSION, 0, NULL, 0);
}

void diag_probe_free(diag_probe_t *p)
{
    mbedtls_x509_crt_free(&p->chain);
    cJSON_Delete(p->ca_names);
}
