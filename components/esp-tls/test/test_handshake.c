/* Handshakes against openssl s_server: both versions, both key types, PEM and DER trust,
 * and mutual TLS. */
#include <string.h>

#include "mbedtls/ssl.h"
#include "tls_test.h"

static void expect_connected(const char *cert, const char *key, const char *version_flag, const char *ca,
                             const char *expected_version)
{
    peer_t p;
    const char *extra[] = { version_flag, NULL };
    assert_int_equal(peer_start_s_server(&p, cert, key, extra), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, ca);
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), 1);
    assert_string_equal(mbedtls_ssl_get_version(esp_tls_get_ssl_context(tls)), expected_version);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_OK);
    assert_int_equal(esp_tls_conn_destroy(tls), 0);
    peer_stop(&p);
}

static void test_tls13_ecdsa_pem(void **state)
{
    (void)state;
    expect_connected("server_ec.pem", "server_ec.key", "-tls1_3", "ca.pem", "TLSv1.3");
}

static void test_tls12_ecdsa_der(void **state)
{
    (void)state;
    expect_connected("server_ec.pem", "server_ec.key", "-tls1_2", "ca.der", "TLSv1.2");
}

static void test_tls13_rsa_der(void **state)
{
    (void)state;
    expect_connected("server_rsa.pem", "server_rsa.key", "-tls1_3", "ca.der", "TLSv1.3");
}

/* Guards mbedTLS 3.6.6's rsa_pss_rsae ServerKeyExchange bug: 3.6.7+ is required. */
static void test_tls12_rsa_pem(void **state)
{
    (void)state;
    expect_connected("server_rsa.pem", "server_rsa.key", "-tls1_2", "ca.pem", "TLSv1.2");
}

/* s_server -www answers a GET only if the handshake, client certificate included, succeeded. */
static ssize_t mutual_auth_get(const char *version_flag, const char *cert, const char *key, const char *password,
                               int *connect_rc, char *answer, size_t answer_len)
{
    peer_t p;
    const char *extra[] = { version_flag, "-Verify", "1", "-verify_return_error", "-CAfile", cert_path("ca.pem"),
                            "-www", NULL };
    assert_int_equal(peer_start_s_server(&p, "server_ec.pem", "server_ec.key", extra), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    if (cert != NULL) {
        cfg_client_cert(&cfg, cert, key);
    }
    cfg.clientkey_password = (const unsigned char *)password;
    cfg.clientkey_password_len = password ? (unsigned int)strlen(password) : 0;
    esp_tls_t *tls;
    *connect_rc = connect_peer(&p, "localhost", &cfg, &tls);
    ssize_t n = *connect_rc == 1 ? www_get(tls, answer, answer_len) : -1;
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
    return n;
}

static void test_mutual_auth_with_client_cert(void **state)
{
    (void)state;
    char answer[256];
    int rc;
    for (int v = 0; v < 2; v++) {
        assert_true(mutual_auth_get(v ? "-tls1_3" : "-tls1_2", "client.pem", "client.key", NULL, &rc, answer,
                                    sizeof(answer)) > 0);
        assert_int_equal(rc, 1);
        assert_non_null(strstr(answer, "200 ok"));
    }
}

static void test_mutual_auth_with_encrypted_key(void **state)
{
    (void)state;
    char answer[256];
    int rc;
    assert_true(mutual_auth_get("-tls1_3", "client.pem", "client_enc.key", "secret", &rc, answer, sizeof(answer)) > 0);
    assert_non_null(strstr(answer, "200 ok"));
}

static void test_encrypted_key_with_wrong_password_fails(void **state)
{
    (void)state;
    peer_t p;
    esp_tls_cfg_t cfg = { .timeout_ms = 2000 };
    cfg_trust(&cfg, "ca.pem");
    cfg_client_cert(&cfg, "client.pem", "client_enc.key");
    cfg.clientkey_password = (const unsigned char *)"wrong";
    cfg.clientkey_password_len = 5;
    assert_int_equal(peer_listen_silent(&p), 0);
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "127.0.0.1", &cfg, &tls), -1);
    int code;
    assert_int_equal(take_error(tls, &code, NULL), ESP_ERR_MBEDTLS_PK_PARSE_KEY_FAILED);
    assert_int_equal(code, -MBEDTLS_ERR_PK_PASSWORD_MISMATCH);
    assert_int_equal(esp_tls_conn_destroy(tls), 0);
    peer_stop(&p);
}

/* Without a client certificate the server refuses: in the TLS 1.2 handshake itself; in TLS 1.3
 * with an alert after the client's Finished, which the first read reports. Never a crash. */
static void test_mutual_auth_without_client_cert_fails(void **state)
{
    (void)state;
    char answer[256];
    int rc;
    assert_true(mutual_auth_get("-tls1_2", NULL, NULL, NULL, &rc, answer, sizeof(answer)) < 0);
    assert_int_equal(rc, -1);
    ssize_t n = mutual_auth_get("-tls1_3", NULL, NULL, NULL, &rc, answer, sizeof(answer));
    assert_true(rc == -1 || n < 0);
}

static void test_mutual_auth_with_foreign_client_cert_fails(void **state)
{
    (void)state;
    char answer[256];
    int rc;
    ssize_t n = mutual_auth_get("-tls1_2", "client_other.pem", "client_other.key", NULL, &rc, answer, sizeof(answer));
    assert_int_equal(rc, -1);
    assert_true(n < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls13_ecdsa_pem),
        cmocka_unit_test(test_tls12_ecdsa_der),
        cmocka_unit_test(test_tls13_rsa_der),
        cmocka_unit_test(test_tls12_rsa_pem),
        cmocka_unit_test(test_mutual_auth_with_client_cert),
        cmocka_unit_test(test_mutual_auth_with_encrypted_key),
        cmocka_unit_test(test_encrypted_key_with_wrong_password_fails),
        cmocka_unit_test(test_mutual_auth_without_client_cert_fails),
        cmocka_unit_test(test_mutual_auth_with_foreign_client_cert_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
