/* The certificate bundle: the format checks, and verification against openssl s_server with
 * bundles made from the test PKI, including a cross-signed root. */
#include <stdlib.h>
#include <string.h>

#include "crt_bundle_format.h"
#include "crt_bundle_writer.h"
#include "esp_crt_bundle.h"
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
        cmocka_unit_test(test_malformed_bundles_are_rejected),
#else
        cmocka_unit_test(test_bundle_needs_the_callback),
#endif
        cmocka_unit_test(test_find_returns_every_entry_with_the_name),
        cmocka_unit_test(test_name_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
