/* Protocol choices: version pins, refusal of TLS < 1.2, ALPN, ciphersuites. */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mbedtls/ssl.h"
#include "mbedtls/ssl_ciphersuites.h"
#include "tls_test.h"

/* Connects to an s_server started with extra; returns the connected handle or NULL, and the
 * error it left. */
static esp_tls_t *connect_with(const char *const extra[], const esp_tls_cfg_t *base, peer_t *p, esp_err_t *err,
                               int *code)
{
    assert_int_equal(peer_start_s_server(p, "server_ec.pem", "server_ec.key", extra), 0);
    esp_tls_cfg_t cfg = *base;
    cfg.timeout_ms = 5000;
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    int rc = connect_peer(p, "localhost", &cfg, &tls);
    *err = take_error(tls, code, NULL);
    if (rc == 1) {
        return tls;
    }
    esp_tls_conn_destroy(tls);
    peer_stop(p);
    return NULL;
}

static void expect_version_refused(const char *const extra[], esp_tls_proto_ver_t pin)
{
    peer_t p;
    esp_err_t err;
    int code;
    esp_tls_cfg_t cfg = { .tls_version = pin };
    assert_null(connect_with(extra, &cfg, &p, &err, &code));
    assert_int_equal(err, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    assert_int_equal(code, -MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION);
}

static void test_pin_tls12_against_tls13_only_server_fails(void **state)
{
    (void)state;
    const char *extra[] = { "-tls1_3", NULL };
    expect_version_refused(extra, ESP_TLS_VER_TLS_1_2);
}

/* A pin to TLS 1.3 never becomes TLS 1.2: against a TLS 1.2 server the handshake fails, and in
 * a build without TLS 1.3 client and server both fail with ESP_ERR_NOT_SUPPORTED. */
static void test_pin_tls13_never_falls_back(void **state)
{
    (void)state;
    peer_t p;
    esp_err_t err;
    int code;
    const char *extra[] = { "-tls1_2", NULL };
    esp_tls_cfg_t cfg = { .tls_version = ESP_TLS_VER_TLS_1_3 };
    assert_null(connect_with(extra, &cfg, &p, &err, &code));
#ifdef MBEDTLS_SSL_PROTO_TLS1_3
    assert_int_equal(err, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
#else
    assert_int_equal(err, ESP_ERR_NOT_SUPPORTED);
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    esp_tls_cfg_server_t server = { .servercert_buf = pki("server_ec.pem")->data,
                                    .servercert_bytes = pki("server_ec.pem")->len,
                                    .serverkey_buf = pki("server_ec.key")->data,
                                    .serverkey_bytes = pki("server_ec.key")->len,
                                    .tls_version = ESP_TLS_VER_TLS_1_3 };
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_server_session_init(&server, fds[0], tls), ESP_FAIL);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_NOT_SUPPORTED);
    esp_tls_server_session_delete(tls);
    close(fds[0]);
    close(fds[1]);
#endif
}

static void test_tls10_and_tls11_servers_are_refused(void **state)
{
    (void)state;
    const char *tls10[] = { "-tls1", "-cipher", "DEFAULT@SECLEVEL=0", NULL };
    const char *tls11[] = { "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", NULL };
    expect_version_refused(tls10, ESP_TLS_VER_ANY);
    expect_version_refused(tls11, ESP_TLS_VER_ANY);
}

static void test_out_of_range_pin_is_invalid(void **state)
{
    (void)state;
    peer_t p;
    esp_err_t err;
    int code;
    const char *extra[] = { NULL };
    esp_tls_cfg_t cfg = { .tls_version = ESP_TLS_VER_TLS_MAX };
    assert_null(connect_with(extra, &cfg, &p, &err, &code));
    assert_int_equal(err, ESP_ERR_INVALID_ARG);
}

static void test_alpn_is_negotiated(void **state)
{
    (void)state;
    peer_t p;
    esp_err_t err;
    int code;
    const char *protos[] = { "h2", "http/1.1", NULL };
    const char *extra[] = { "-alpn", "http/1.1", NULL };
    esp_tls_cfg_t cfg = { .alpn_protos = protos };
    esp_tls_t *tls = connect_with(extra, &cfg, &p, &err, &code);
    assert_non_null(tls);
    assert_string_equal(mbedtls_ssl_get_alpn_protocol(esp_tls_get_ssl_context(tls)), "http/1.1");
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static void expect_suite(const char *version_flag, int suite)
{
    peer_t p;
    esp_err_t err;
    int code;
    const int suites[] = { suite, 0 };
    const char *extra[] = { version_flag, NULL };
    esp_tls_cfg_t cfg = { .ciphersuites_list = suites };
    esp_tls_t *tls = connect_with(extra, &cfg, &p, &err, &code);
    assert_non_null(tls);
    assert_int_equal(mbedtls_ssl_get_ciphersuite_id_from_ssl(esp_tls_get_ssl_context(tls)), suite);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static void test_ciphersuites_list_restricts_the_suite(void **state)
{
    (void)state;
#ifdef MBEDTLS_SSL_PROTO_TLS1_3
    expect_suite("-tls1_3", MBEDTLS_TLS1_3_AES_128_GCM_SHA256);
    expect_suite("-tls1_3", MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256);
#endif
    expect_suite("-tls1_2", MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384);
}

/* The list has the TLS 1.3 suites exactly when the build has TLS 1.3. */
static void test_ciphersuites_list_contains_tls13_suites(void **state)
{
    (void)state;
    const int *list = esp_tls_get_ciphersuites_list();
    assert_non_null(list);
    bool found = false;
    for (; *list != 0; list++) {
        found |= *list == MBEDTLS_TLS1_3_AES_128_GCM_SHA256;
    }
#ifdef MBEDTLS_SSL_PROTO_TLS1_3
    assert_true(found);
#else
    assert_false(found);
#endif
}

/* s_server asks to renegotiate (its "r" command sends a HelloRequest, TLS 1.2): the portls client
 * answers with a no_renegotiation warning, and OpenSSL ends the connection with a fatal
 * handshake_failure, which the read reports. Nothing is renegotiated, nothing hangs. */
static void test_renegotiation_is_refused(void **state)
{
    (void)state;
    peer_t p;
    const char *argv[] = { "openssl", "s_server", "-accept", "127.0.0.1:{PORT}", "-cert", cert_path("server_ec.pem"),
                           "-key", cert_path("server_ec.key"), "-tls1_2", NULL };
    assert_int_equal(peer_start(&p, "127.0.0.1", argv), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), 1);
    assert_int_equal(write(p.stdin_fd, "r\n", 2), 2);
    char buf[64];
    assert_true(esp_tls_conn_read(tls, buf, sizeof(buf)) < 0);
    int code = 0;
    assert_int_equal(take_error(tls, &code, NULL), ESP_ERR_MBEDTLS_SSL_READ_FAILED);
    assert_int_equal(code, -MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE);
    assert_int_equal(esp_tls_get_peer_alert(tls), MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pin_tls12_against_tls13_only_server_fails),
        cmocka_unit_test(test_pin_tls13_never_falls_back),
        cmocka_unit_test(test_tls10_and_tls11_servers_are_refused),
        cmocka_unit_test(test_out_of_range_pin_is_invalid),
        cmocka_unit_test(test_alpn_is_negotiated),
        cmocka_unit_test(test_ciphersuites_list_restricts_the_suite),
        cmocka_unit_test(test_ciphersuites_list_contains_tls13_suites),
        cmocka_unit_test(test_renegotiation_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
