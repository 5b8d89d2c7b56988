/* Server verification: what fails, which flags it leaves, and the name options. */
#include <string.h>

#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "tls_test.h"

typedef struct {
    esp_err_t err;
    int code;
    int flags;
} outcome_t;

static outcome_t try_connect(const char *cert, const char *key, const char *host, esp_tls_cfg_t *cfg)
{
    peer_t p;
    const char *extra[] = { "-tls1_3", NULL };
    assert_int_equal(peer_start_s_server(&p, cert, key, extra), 0);
    esp_tls_t *tls;
    outcome_t o = { 0 };
    int rc = connect_peer(&p, host, cfg, &tls);
    o.err = take_error(tls, &o.code, &o.flags);
    if (rc != -1) {
        assert_int_equal(o.err, ESP_OK);
    }
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
    return o;
}

static void test_wrong_ca_is_not_trusted(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "other_ca.pem");
    outcome_t o = try_connect("server_ec.pem", "server_ec.key", "localhost", &cfg);
    assert_int_equal(o.err, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    assert_int_equal(o.code, -MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    assert_true(o.flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
}

static void test_hostname_mismatch(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    outcome_t o = try_connect("server_named.pem", "server_named.key", "localhost", &cfg);
    assert_int_equal(o.err, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    assert_int_equal(o.flags, MBEDTLS_X509_BADCERT_CN_MISMATCH);
}

static void test_expired_certificate(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    outcome_t o = try_connect("expired.pem", "expired.key", "localhost", &cfg);
    assert_int_equal(o.err, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    assert_int_equal(o.flags, MBEDTLS_X509_BADCERT_EXPIRED);
}

static void test_common_name_override_passes(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .common_name = "server.test" };
    cfg_trust(&cfg, "ca.pem");
    outcome_t o = try_connect("server_named.pem", "server_named.key", "localhost", &cfg);
    assert_int_equal(o.err, ESP_OK);
}

static void test_common_name_override_is_checked(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .common_name = "elsewhere.test" };
    cfg_trust(&cfg, "ca.pem");
    outcome_t o = try_connect("server_ec.pem", "server_ec.key", "localhost", &cfg);
    assert_int_equal(o.flags, MBEDTLS_X509_BADCERT_CN_MISMATCH);
}

/* s_server switches to its second certificate (CN localhost) only when the client's SNI says
 * "localhost"; without SNI it presents the first (CN server.test). */
static void peer_cn_seen(bool skip_common_name, char *cn, size_t cn_len)
{
    peer_t p;
    const char *extra[] = { "-servername", "localhost", "-cert2", cert_path("server_ec.pem"), "-key2",
                            cert_path("server_ec.key"), NULL };
    assert_int_equal(peer_start_s_server(&p, "server_named.pem", "server_named.key", extra), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .skip_common_name = skip_common_name };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), 1);
    const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(esp_tls_get_ssl_context(tls));
    assert_non_null(peer);
    assert_true(mbedtls_x509_dn_gets(cn, cn_len, &peer->subject) > 0);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static void test_skip_common_name_sends_no_sni(void **state)
{
    (void)state;
    char cn[128];
    peer_cn_seen(true, cn, sizeof(cn));
    assert_string_equal(cn, "CN=server.test");
    peer_cn_seen(false, cn, sizeof(cn));
    assert_string_equal(cn, "CN=localhost");
}

static void test_skip_common_name_still_checks_the_chain(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .skip_common_name = true };
    cfg_trust(&cfg, "other_ca.pem");
    outcome_t o = try_connect("server_named.pem", "server_named.key", "localhost", &cfg);
    assert_true(o.flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
}

static void test_zeroed_config_has_no_trust_anchor(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { 0 };
    outcome_t o = try_connect("server_ec.pem", "server_ec.key", "localhost", &cfg);
    assert_int_equal(o.err, ESP_ERR_MBEDTLS_SSL_SETUP_FAILED);
}

static void test_bad_ca_buffer_is_a_parse_error(void **state)
{
    (void)state;
    static const unsigned char junk[] = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .cacert_buf = junk, .cacert_bytes = sizeof(junk) };
    outcome_t o = try_connect("server_ec.pem", "server_ec.key", "localhost", &cfg);
    assert_int_equal(o.err, ESP_ERR_MBEDTLS_X509_CRT_PARSE_FAILED);
    assert_true(o.code > 0);
}

/* Connects to an s_server sending server_int and the intermediate, trusting ca_file; the chain
 * kept (or not) is checked by check(), and the timing of the connect too. */
static void with_unverified_chain(const char *ca_file, int want_rc, void (*check)(const mbedtls_x509_crt *chain))
{
    peer_t p;
    const char *extra[] = { "-tls1_3", "-cert_chain", cert_path("int.pem"), NULL };
    assert_int_equal(peer_start_s_server(&p, "server_int.pem", "server_int.key", extra), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, ca_file);
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), want_rc);
    check(esp_tls_get_unverified_peer_chain(tls));
    esp_tls_conn_timing_t t;
    assert_int_equal(esp_tls_get_conn_timing(tls, &t), ESP_OK);
    assert_true(t.tcp_us > 0 && t.handshake_us > 0); /* a failed handshake is timed too */
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static void leaf_then_intermediate(const mbedtls_x509_crt *chain)
{
    char dn[256];
    assert_non_null(chain);
    mbedtls_x509_dn_gets(dn, sizeof(dn), &chain->subject);
    assert_string_equal(dn, "CN=localhost");
    assert_non_null(chain->next);
    mbedtls_x509_dn_gets(dn, sizeof(dn), &chain->next->issuer);
    assert_string_equal(dn, "CN=portls test CA");
    assert_true(chain->next->next == NULL || chain->next->next->raw.len == 0);
}

static void no_chain(const mbedtls_x509_crt *chain)
{
    assert_null(chain);
}

/* A failed verification keeps the chain the server sent, as sent; a passed one keeps nothing. */
static void test_unverified_chain_is_kept(void **state)
{
    (void)state;
    with_unverified_chain("other_ca.pem", -1, leaf_then_intermediate);
    with_unverified_chain("ca.pem", 1, no_chain);
    assert_null(esp_tls_get_unverified_peer_chain(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_ca_is_not_trusted),
        cmocka_unit_test(test_hostname_mismatch),
        cmocka_unit_test(test_expired_certificate),
        cmocka_unit_test(test_common_name_override_passes),
        cmocka_unit_test(test_common_name_override_is_checked),
        cmocka_unit_test(test_skip_common_name_sends_no_sni),
        cmocka_unit_test(test_skip_common_name_still_checks_the_chain),
        cmocka_unit_test(test_zeroed_config_has_no_trust_anchor),
        cmocka_unit_test(test_bad_ca_buffer_is_a_parse_error),
        cmocka_unit_test(test_unverified_chain_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
