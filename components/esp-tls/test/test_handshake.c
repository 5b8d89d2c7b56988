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

/* What a mutual TLS attempt came to. */
typedef struct {
    int connect_rc;
    ssize_t got;                     /* www_get()'s result, or -1 without a connection */
    char answer[256];
    int alert;                       /* esp_tls_get_peer_alert() */
    esp_tls_client_cert_info_t cert; /* esp_tls_get_client_cert_info() */
} mutual_t;

/* s_server -www answers a GET only if the handshake, client certificate included, succeeded. */
static mutual_t mutual_auth_get(const char *version_flag, const char *cert, const char *key, const char *password)
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
    mutual_t m = { .got = -1 };
    m.connect_rc = connect_peer(&p, "localhost", &cfg, &tls);
    if (m.connect_rc == 1) {
        m.got = www_get(tls, m.answer, sizeof(m.answer));
    }
    m.alert = esp_tls_get_peer_alert(tls);
    assert_int_equal(esp_tls_get_client_cert_info(tls, &m.cert), ESP_OK);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
    return m;
}

static void test_mutual_auth_with_client_cert(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        mutual_t m = mutual_auth_get(v ? "-tls1_3" : "-tls1_2", "client.pem", "client.key", NULL);
        assert_int_equal(m.connect_rc, 1);
        assert_true(m.got > 0);
        assert_non_null(strstr(m.answer, "200 ok"));
        assert_true(m.cert.requested && m.cert.sent);
        assert_int_equal(m.alert, -1);
    }
}

static void test_mutual_auth_with_encrypted_key(void **state)
{
    (void)state;
    mutual_t m = mutual_auth_get("-tls1_3", "client.pem", "client_enc.key", "secret");
    assert_true(m.got > 0);
    assert_non_null(strstr(m.answer, "200 ok"));
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
 * with an alert after the client's Finished, which the first read reports. Either way the
 * client knows it was asked for one and sent none, and the alert is named. */
static void test_mutual_auth_without_client_cert_fails(void **state)
{
    (void)state;
    mutual_t m = mutual_auth_get("-tls1_2", NULL, NULL, NULL);
    assert_int_equal(m.connect_rc, -1);
    assert_int_equal(m.alert, MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
    assert_true(m.cert.requested && !m.cert.sent);

    m = mutual_auth_get("-tls1_3", NULL, NULL, NULL);
    assert_int_equal(m.connect_rc, 1); /* the client's side of the handshake was over */
    assert_true(m.got < 0);
    assert_int_equal(m.alert, MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED);
    assert_string_equal(esp_tls_alert_name(m.alert), "certificate_required");
    assert_true(m.cert.requested && !m.cert.sent);
}

/* A certificate from another CA, or one whose key is not the certificate's: refused, named. */
static void test_mutual_auth_with_foreign_client_cert_fails(void **state)
{
    (void)state;
    mutual_t m = mutual_auth_get("-tls1_2", "client_other.pem", "client_other.key", NULL);
    assert_int_equal(m.connect_rc, -1);
    assert_int_equal(m.alert, MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA);
    assert_true(m.cert.requested && m.cert.sent);

    m = mutual_auth_get("-tls1_3", "client.pem", "server_ec.key", NULL);
    assert_true(m.got < 0);
    assert_int_equal(m.alert, MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR);
}

static void test_alert_names(void **state)
{
    (void)state;
    assert_string_equal(esp_tls_alert_name(MBEDTLS_SSL_ALERT_MSG_BAD_CERT), "bad_certificate");
    assert_string_equal(esp_tls_alert_name(MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA), "unknown_ca");
    assert_string_equal(esp_tls_alert_name(MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL), "no_application_protocol");
    assert_string_equal(esp_tls_alert_name(255), "unknown_alert");
    assert_string_equal(esp_tls_alert_name(-1), "unknown_alert");
    assert_int_equal(esp_tls_get_peer_alert(NULL), -1);
    esp_tls_client_cert_info_t info;
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_get_client_cert_info(tls, &info), ESP_ERR_INVALID_ARG); /* no TLS state yet */
    assert_int_equal(esp_tls_get_client_cert_info(NULL, &info), ESP_ERR_INVALID_ARG);
    esp_tls_conn_destroy(tls);
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
        cmocka_unit_test(test_alert_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
