/* The certificate bundle: the format checks, and verification against openssl s_server with
 * bundles made from the test PKI, including a cross-signed root, through ESP-TLS and through a
 * plain mbedTLS client that sets a CA chain after the attach (ESP-IDF's https_mbedtls). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crt_bundle_format.h"
#include "crt_bundle_writer.h"
#include "esp_crt_bundle.h"
#include "esp_crt_bundle_private.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/net_sockets.h"
#include "psa/crypto.h"
#include "tls_test.h"

/* A bundle of the given PKI files, kept until free_bundle(). */
typedef struct {
    uint8_t *data;
    size_t len;
} test_bundle_t;

static test_bundle_t make_bundle(const char *const files[])
{
    mbedtls_x509_crt chain;
    mbedtls_x509_crt_init(&chain);
    for (int i = 0; files[i] != NULL; i++) {
        assert_int_equal(crt_bundle_load(&chain, cert_path(files[i])), 0);
    }
    test_bundle_t b;
    uint32_t count;
    const char *error;
    assert_int_equal(crt_bundle_build(&chain, NULL, 200, &b.data, &b.len, &count, &error), 0);
    mbedtls_x509_crt_free(&chain);
    return b;
}

#ifdef MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
/* Connects to an s_server with cert/key (and a chain file or NULL), trusting the bundle. */
static int connect_with_bundle(const char *cert, const char *key, const char *chain, int *flags)
{
    peer_t p;
    const char *extra[] = { "-www", chain ? "-cert_chain" : NULL, chain ? cert_path(chain) : NULL, NULL };
    assert_int_equal(peer_start_s_server(&p, cert, key, extra), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .crt_bundle_attach = esp_crt_bundle_attach };
    esp_tls_t *tls;
    int rc = connect_peer(&p, "localhost", &cfg, &tls);
    *flags = 0;
    take_error(tls, NULL, flags);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
    return rc;
}

/* Run first: before any esp_crt_bundle_set(), the default (Mozilla) bundle is in use, which
 * does not know the test CA. */
static void test_default_bundle_does_not_trust_test_ca(void **state)
{
    (void)state;
    int flags;
    assert_int_equal(connect_with_bundle("server_ec.pem", "server_ec.key", NULL, &flags), -1);
    assert_true(flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
}

static void test_root_in_bundle_verifies(void **state)
{
    (void)state;
    const char *files[] = { "other_ca.pem", "ca.pem", NULL };
    test_bundle_t b = make_bundle(files);
    assert_int_equal(esp_crt_bundle_set(b.data, b.len), ESP_OK);
    int flags;
    assert_int_equal(connect_with_bundle("server_ec.pem", "server_ec.key", NULL, &flags), 1);
    assert_int_equal(connect_with_bundle("server_rsa.pem", "server_rsa.key", NULL, &flags), 1);
    free(b.data);
}

static void test_root_not_in_bundle_is_not_trusted(void **state)
{
    (void)state;
    const char *files[] = { "other_ca.pem", NULL };
    test_bundle_t b = make_bundle(files);
    assert_int_equal(esp_crt_bundle_set(b.data, b.len), ESP_OK);
    int flags;
    assert_int_equal(connect_with_bundle("server_ec.pem", "server_ec.key", NULL, &flags), -1);
    assert_true(flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    free(b.data);
}

/* The server sends leaf, intermediate, and the CA cross-signed by other_ca (as Let's Encrypt
 * sent ISRG Root X1 signed by DST Root X3). The path through the cross-signature ends outside
 * the bundle; the one through the bundle's own copy of the CA must win. */
static void test_cross_signed_root_verifies(void **state)
{
    (void)state;
    const char *files[] = { "ca.pem", NULL };
    test_bundle_t b = make_bundle(files);
    assert_int_equal(esp_crt_bundle_set(b.data, b.len), ESP_OK);
    int flags;
    assert_int_equal(connect_with_bundle("server_int.pem", "server_int.key", "chain_cross.pem", &flags), 1);
    free(b.data);
}

/* esp_crt_bundle_in_use() recognises the trust anchor the bundle handed to mbedTLS. */
static bool anchor_from_bundle;

static int note_anchor(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    (void)ctx;
    (void)depth;
    (void)flags;
    if (crt->next == NULL && esp_crt_bundle_in_use(crt)) {
        anchor_from_bundle = true;
    }
    return 0;
}

static esp_err_t attach_and_watch(void *conf)
{
    esp_err_t err = esp_crt_bundle_attach(conf);
    mbedtls_ssl_conf_verify(conf, note_anchor, NULL);
    return err;
}

static esp_err_t attach_then_detach(void *conf)
{
    esp_err_t err = esp_crt_bundle_attach(conf);
    esp_crt_bundle_detach(conf);
    return err;
}

static int connect_attach(esp_err_t (*attach)(void *conf))
{
    peer_t p;
    start_www_peer(&p);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .crt_bundle_attach = attach };
    esp_tls_t *tls;
    int rc = connect_peer(&p, "localhost", &cfg, &tls);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
    return rc;
}

static void test_in_use_and_detach(void **state)
{
    (void)state;
    const char *files[] = { "ca.pem", NULL };
    test_bundle_t b = make_bundle(files);
    assert_int_equal(esp_crt_bundle_set(b.data, b.len), ESP_OK);
    anchor_from_bundle = false;
    assert_int_equal(connect_attach(attach_and_watch), 1);
    assert_true(anchor_from_bundle);
    assert_int_equal(connect_attach(attach_then_detach), -1); /* no trust anchor left */
    assert_false(esp_crt_bundle_in_use(NULL));
    assert_int_equal(esp_crt_bundle_attach(NULL), ESP_ERR_INVALID_ARG);
    esp_crt_bundle_detach(NULL);
    free(b.data);
}

/* ESP-TLS keeps the chain of a failed verification with the bundle too: esp_crt_bundle_attach's
 * verify callback does not replace the one that copies it. */
static void test_unverified_chain_kept_with_bundle(void **state)
{
    (void)state;
    const char *files[] = { "other_ca.pem", NULL };
    test_bundle_t b = make_bundle(files);
    assert_int_equal(esp_crt_bundle_set(b.data, b.len), ESP_OK);
    peer_t p;
    start_www_peer(&p);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .crt_bundle_attach = esp_crt_bundle_attach };
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), -1);
    const mbedtls_x509_crt *chain = esp_tls_get_unverified_peer_chain(tls);
    assert_non_null(chain);
    assert_int_equal(chain->subject_raw.len > 0, 1);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
    free(b.data);
}

/* ---- a CA chain set after the attach: the verify callback takes over ---- */

typedef enum {
    RAW_CHAIN,            /* attach, then an empty CA chain, as ESP-IDF's https_mbedtls does */
    RAW_NO_CHAIN,         /* attach only: the trusted-certificate callback stays */
    RAW_CHAIN_OWN_VERIFY, /* attach, an empty chain, then a verify callback of one's own */
    RAW_DETACH_CHAIN,     /* attach, detach, then an empty chain */
} raw_setup_t;

static uint32_t own_verify_flags; /* what own_verify() was shown */

static int own_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    (void)ctx;
    (void)crt;
    (void)depth;
    own_verify_flags |= *flags;
    return 0;
}

static void raw_conf(mbedtls_ssl_config *conf, mbedtls_x509_crt *empty, mbedtls_ctr_drbg_context *drbg,
                     raw_setup_t setup)
{
    mbedtls_ssl_config_init(conf);
    assert_int_equal(esp_crt_bundle_attach(conf), ESP_OK);
    if (setup == RAW_DETACH_CHAIN) {
        esp_crt_bundle_detach(conf);
    }
    assert_int_equal(mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                                 MBEDTLS_SSL_PRESET_DEFAULT), 0);
    mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    if (setup != RAW_NO_CHAIN) {
        mbedtls_ssl_conf_ca_chain(conf, empty, NULL);
    }
    if (setup == RAW_CHAIN_OWN_VERIFY) {
        mbedtls_ssl_conf_verify(conf, own_verify, NULL);
    }
    mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, drbg);
    mbedtls_ssl_conf_read_timeout(conf, 5000);
}

static int raw_handshake(const mbedtls_ssl_config *conf, int port, const char *host, uint32_t *flags)
{
    mbedtls_ssl_context ssl;
    mbedtls_net_context fd;
    mbedtls_ssl_init(&ssl);
    mbedtls_net_init(&fd);
    assert_int_equal(mbedtls_ssl_setup(&ssl, conf), 0);
    assert_int_equal(mbedtls_ssl_set_hostname(&ssl, host), 0);
    char port_text[8];
    snprintf(port_text, sizeof(port_text), "%d", port);
    assert_int_equal(mbedtls_net_connect(&fd, "127.0.0.1", port_text, MBEDTLS_NET_PROTO_TCP), 0);
    mbedtls_ssl_set_bio(&ssl, &fd, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
    int ret;
    do {
        ret = mbedtls_ssl_handshake(&ssl);
    } while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    *flags = mbedtls_ssl_get_verify_result(&ssl);
    mbedtls_net_free(&fd);
    mbedtls_ssl_free(&ssl);
    return ret;
}

/* A plain mbedTLS client set up as `setup` says, against an s_server with cert/key (and chain
 * file or NULL), checking host. *flags: the verify result. @return the handshake's result. */
static int raw_connect(raw_setup_t setup, const char *cert, const char *key, const char *chain, const char *host,
                       uint32_t *flags)
{
    assert_int_equal(psa_crypto_init(), PSA_SUCCESS);
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0), 0);
    mbedtls_x509_crt empty;
    mbedtls_x509_crt_init(&empty);
    mbedtls_ssl_config conf;
    raw_conf(&conf, &empty, &drbg, setup);
    peer_t p;
    const char *extra[] = { "-www", chain ? "-cert_chain" : NULL, chain ? cert_path(chain) : NULL, NULL };
    assert_int_equal(peer_start_s_server(&p, cert, key, extra), 0);
    int ret = raw_handshake(&conf, p.port, host, flags);
    peer_stop(&p);
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&empty);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return ret;
}

static void set_bundle(const char *const files[], test_bundle_t *b)
{
    *b = make_bundle(files);
    assert_int_equal(esp_crt_bundle_set(b->data, b->len), ESP_OK);
}

static void test_chain_after_attach_verifies(void **state)
{
    (void)state;
    const char *files[] = { "other_ca.pem", "ca.pem", NULL };
    test_bundle_t b;
    set_bundle(files, &b);
    uint32_t flags;
    assert_int_equal(raw_connect(RAW_CHAIN, "server_ec.pem", "server_ec.key", NULL, "localhost", &flags), 0);
    assert_int_equal(flags, 0);
    assert_int_equal(raw_connect(RAW_CHAIN, "server_rsa.pem", "server_rsa.key", NULL, "localhost", &flags), 0);
    assert_int_equal(flags, 0);
    /* the top is the intermediate the server sent, signed by the bundle's CA */
    assert_int_equal(raw_connect(RAW_CHAIN, "server_int.pem", "server_int.key", "int.pem", "localhost", &flags), 0);
    assert_int_equal(flags, 0);
    free(b.data);
}

static void expect_refused(raw_setup_t setup, const char *cert, const char *key, const char *chain, const char *host,
                           uint32_t want_flags)
{
    uint32_t flags;
    assert_int_equal(raw_connect(setup, cert, key, chain, host, &flags), MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    assert_int_equal(flags, want_flags);
}

/* Only NOT_TRUSTED is ever cleared, and only for a signature by a bundle CA's own key. */
static void test_chain_after_attach_refuses(void **state)
{
    (void)state;
    const char *others[] = { "other_ca.pem", NULL };
    test_bundle_t b;
    set_bundle(others, &b);
    expect_refused(RAW_CHAIN, "server_ec.pem", "server_ec.key", NULL, "localhost", MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    free(b.data);

    const char *files[] = { "ca.pem", NULL };
    set_bundle(files, &b);
    expect_refused(RAW_CHAIN, "expired.pem", "expired.key", NULL, "localhost", MBEDTLS_X509_BADCERT_EXPIRED);
    expect_refused(RAW_CHAIN, "server_named.pem", "server_named.key", NULL, "localhost",
                   MBEDTLS_X509_BADCERT_CN_MISMATCH);
    /* signed by a CA with the bundle CA's name and another key, with and without that CA sent */
    expect_refused(RAW_CHAIN, "server_impostor.pem", "server_impostor.key", NULL, "localhost",
                   MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    expect_refused(RAW_CHAIN, "server_impostor.pem", "server_impostor.key", "impostor_ca.pem", "localhost",
                   MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    /* only the top of the path the server sent is looked up: here the cross-signed CA, whose
     * issuer is not in the bundle (the trusted-certificate callback verifies this chain) */
    expect_refused(RAW_CHAIN, "server_int.pem", "server_int.key", "chain_cross.pem", "localhost",
                   MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    free(b.data);
}

/* Without a CA chain after the attach, the trusted-certificate callback verifies and the verify
 * callback changes nothing; a verify callback of one's own after the chain, or a detach, leaves
 * the top untrusted, as in ESP-IDF. */
static void test_verify_callback_replaced_or_detached(void **state)
{
    (void)state;
    const char *files[] = { "ca.pem", NULL };
    test_bundle_t b;
    set_bundle(files, &b);
    uint32_t flags;
    assert_int_equal(raw_connect(RAW_NO_CHAIN, "server_int.pem", "server_int.key", "chain_cross.pem", "localhost",
                                 &flags), 0);
    assert_int_equal(flags, 0);
    expect_refused(RAW_NO_CHAIN, "server_impostor.pem", "server_impostor.key", NULL, "localhost",
                   MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    own_verify_flags = 0;
    expect_refused(RAW_CHAIN_OWN_VERIFY, "server_ec.pem", "server_ec.key", NULL, "localhost",
                   MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    assert_int_equal(own_verify_flags, MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    expect_refused(RAW_DETACH_CHAIN, "server_ec.pem", "server_ec.key", NULL, "localhost",
                   MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    free(b.data);
}

static uint32_t call_verify_cb(const test_bundle_t *b, const char *cert, uint32_t flags)
{
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    assert_int_equal(mbedtls_x509_crt_parse(&crt, pki(cert)->data, pki(cert)->len), 0);
    assert_int_equal(esp_crt_bundle_verify_cb(b->data, &crt, 0, &flags), 0);
    mbedtls_x509_crt_free(&crt);
    return flags;
}

/* The verify callback alone: the flags it is given, less NOT_TRUSTED when a bundle CA signed. */
static void test_verify_callback_flags(void **state)
{
    (void)state;
    const char *files[] = { "ca.pem", NULL };
    test_bundle_t b = make_bundle(files);
    const uint32_t nt = MBEDTLS_X509_BADCERT_NOT_TRUSTED;
    const uint32_t others = MBEDTLS_X509_BADCERT_CN_MISMATCH | MBEDTLS_X509_BADCERT_BAD_MD;
    assert_int_equal(call_verify_cb(&b, "server_ec.pem", nt), 0);
    assert_int_equal(call_verify_cb(&b, "server_ec.pem", nt | others), others);
    assert_int_equal(call_verify_cb(&b, "server_ec.pem", others), others);
    /* the leaf's own expiry, which that check sees too, is added */
    assert_int_equal(call_verify_cb(&b, "expired.pem", nt), MBEDTLS_X509_BADCERT_EXPIRED);
    assert_int_equal(call_verify_cb(&b, "server_impostor.pem", nt | others), nt | others);
    assert_int_equal(call_verify_cb(&b, "server_int.pem", nt), nt); /* its issuer is not in the bundle */
    free(b.data);
}

/* ---- malformed bundles ---- */

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void expect_rejected(const uint8_t *data, size_t len, crt_bundle_status_t status)
{
    assert_int_equal(crt_bundle_check(data, len, 200, NULL), status);
    assert_int_equal(esp_crt_bundle_set(data, len), ESP_ERR_INVALID_ARG);
}

static void test_malformed_bundles_are_rejected(void **state)
{
    (void)state;
    const char *files[] = { "ca.pem", "other_ca.pem", NULL };
    test_bundle_t good = make_bundle(files);
    assert_int_equal(crt_bundle_check(good.data, good.len, 200, NULL), CRT_BUNDLE_OK);
    assert_int_equal(crt_bundle_check(good.data, good.len, 1, NULL), CRT_BUNDLE_TOO_MANY);
    uint8_t *bad = malloc(good.len + 1);

    expect_rejected(NULL, 10, CRT_BUNDLE_EMPTY);
    expect_rejected(good.data, 3, CRT_BUNDLE_EMPTY);
    expect_rejected(good.data, good.len - 1, CRT_BUNDLE_TRUNCATED);
    expect_rejected(good.data, 12, CRT_BUNDLE_TRUNCATED);

    memcpy(bad, good.data, good.len);
    bad[good.len] = 0; /* a byte after the last entry */
    expect_rejected(bad, good.len + 1, CRT_BUNDLE_TRUNCATED);

    put_u32(bad, 6); /* table size not a multiple of 4 */
    expect_rejected(bad, good.len, CRT_BUNDLE_BAD_TABLE);
    put_u32(bad, (uint32_t)good.len + 4); /* table past the end */
    expect_rejected(bad, good.len, CRT_BUNDLE_BAD_TABLE);

    memcpy(bad, good.data, good.len);
    put_u32(bad + 4, 9); /* second offset points into the first entry */
    expect_rejected(bad, good.len, CRT_BUNDLE_BAD_OFFSET);

    /* Swap the two entries' places but keep the offsets right: unsorted. */
    crt_bundle_t view;
    assert_int_equal(crt_bundle_check(good.data, good.len, 200, &view), CRT_BUNDLE_OK);
    size_t first_len = 4 + crt_bundle_entry(&view, 0).name_len + crt_bundle_entry(&view, 0).key_len;
    size_t second_len = good.len - 8 - first_len;
    memcpy(bad + 8, good.data + 8 + first_len, second_len);
    memcpy(bad + 8 + second_len, good.data + 8, first_len);
    put_u32(bad + 4, (uint32_t)(8 + second_len));
    expect_rejected(bad, good.len, CRT_BUNDLE_UNSORTED);

    uint8_t big[4 + 4];
    put_u32(big, 4 * 201); /* more entries than the maximum */
    expect_rejected(big, sizeof(big), CRT_BUNDLE_BAD_TABLE); /* and the table exceeds the data */
    uint8_t *many = calloc(1, 4 * 201 + 8);
    put_u32(many, 4 * 201);
    expect_rejected(many, 4 * 201 + 8, CRT_BUNDLE_TOO_MANY);
    free(many);
    free(bad);
    free(good.data);
}

#else
/* A system mbedTLS without the trusted-certificate callback (Debian's) cannot use a bundle, and
 * the calls say so rather than leave a connection without trust. */
static void test_bundle_needs_the_callback(void **state)
{
    (void)state;
    const char *files[] = { "ca.pem", NULL };
    test_bundle_t b = make_bundle(files);
    assert_int_equal(esp_crt_bundle_set(b.data, b.len), ESP_ERR_NOT_SUPPORTED);
    mbedtls_ssl_config conf;
    mbedtls_ssl_config_init(&conf);
    assert_int_equal(esp_crt_bundle_attach(&conf), ESP_ERR_NOT_SUPPORTED);
    mbedtls_ssl_config_free(&conf);
    free(b.data);
}
#endif

static void test_find_returns_every_entry_with_the_name(void **state)
{
    (void)state;
    /* ca.pem and ca_cross.pem share a subject (and key): one entry; server certs do not match. */
    const char *files[] = { "ca.pem", "ca_cross.pem", "other_ca.pem", "int.pem", NULL };
    test_bundle_t b = make_bundle(files);
    crt_bundle_t view;
    assert_int_equal(crt_bundle_check(b.data, b.len, 200, &view), CRT_BUNDLE_OK);
    assert_int_equal(view.count, 3);
    mbedtls_x509_crt leaf;
    mbedtls_x509_crt_init(&leaf);
    assert_int_equal(mbedtls_x509_crt_parse(&leaf, pki("server_ec.pem")->data, pki("server_ec.pem")->len), 0);
    uint32_t first, count;
    crt_bundle_find(&view, leaf.issuer_raw.p, leaf.issuer_raw.len, &first, &count);
    assert_int_equal(count, 1);
    crt_bundle_find(&view, leaf.subject_raw.p, leaf.subject_raw.len, &first, &count);
    assert_int_equal(count, 0);
    mbedtls_x509_crt_free(&leaf);
    free(b.data);
}

static void test_name_order(void **state)
{
    (void)state;
    const uint8_t a[] = { 1, 2 }, b[] = { 1, 2, 0 }, c[] = { 1, 3 };
    assert_true(crt_bundle_name_cmp(a, 2, b, 3) < 0);
    assert_true(crt_bundle_name_cmp(b, 3, c, 2) < 0);
    assert_int_equal(crt_bundle_name_cmp(a, 2, a, 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#ifdef MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
        cmocka_unit_test(test_default_bundle_does_not_trust_test_ca),
        cmocka_unit_test(test_root_in_bundle_verifies),
        cmocka_unit_test(test_root_not_in_bundle_is_not_trusted),
        cmocka_unit_test(test_cross_signed_root_verifies),
        cmocka_unit_test(test_in_use_and_detach),
        cmocka_unit_test(test_unverified_chain_kept_with_bundle),
        cmocka_unit_test(test_chain_after_attach_verifies),
        cmocka_unit_test(test_chain_after_attach_refuses),
        cmocka_unit_test(test_verify_callback_replaced_or_detached),
        cmocka_unit_test(test_verify_callback_flags),
        cmocka_unit_test(test_malformed_bundles_are_rejected),
#else
        cmocka_unit_test(test_bundle_needs_the_callback),
#endif
        cmocka_unit_test(test_find_returns_every_entry_with_the_name),
        cmocka_unit_test(test_name_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
