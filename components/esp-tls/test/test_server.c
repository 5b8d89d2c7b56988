/* Server sessions: portls server against openssl s_client and against the portls client, in both
 * versions, with and without client certificates, ALPN, and SNI-based certificate selection. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"
#include "mbedtls/ssl.h"
#include "tls_test.h"

static const char *const version_flags[] = { "-tls1_2", "-tls1_3" };
static const char *const version_names[] = { "TLSv1.2", "TLSv1.3" };
static const esp_tls_proto_ver_t versions[] = { ESP_TLS_VER_TLS_1_2, ESP_TLS_VER_TLS_1_3 };

static void test_s_client_both_versions(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        esp_tls_cfg_server_t cfg = server_cfg();
        echo_server_t srv = { 0 };
        echo_server_start(&srv, &cfg, 1);
        const char *extra[] = { version_flags[v], "-CAfile", cert_path("ca.pem"), "-verify_return_error",
                                "-verify_hostname", "localhost", "-servername", "localhost", NULL };
        char out[8192];
        assert_int_equal(run_s_client(srv.port, extra, "ping from s_client\n", out, sizeof(out)), 0);
        echo_server_join(&srv);
        assert_int_equal(srv.result[0].create_rc, 0);
        assert_string_equal(srv.result[0].version, version_names[v]);
        assert_non_null(strstr(out, "Verify return code: 0 (ok)"));
        assert_non_null(strstr(out, "ping from s_client"));
    }
}

static void expect_unknown_ca(const echo_server_t *srv)
{
    assert_true(srv->result[0].create_rc < 0);
    assert_int_equal(srv->result[0].last_error, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    assert_int_equal(srv->result[0].mbedtls_code, -MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE);
    assert_int_equal(srv->result[0].peer_alert, MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA);
}

/* A client that does not trust the server's certificate says so with unknown_ca. In TLS 1.3
 * openssl s_client and curl send that alert unencrypted, which mbedTLS alone reports as a MAC
 * failure: the server names the alert, in both versions. */
static void test_client_alert_is_named(void **state)
{
    (void)state;
    char out[8192];
    for (int v = 0; v < 2; v++) {
        esp_tls_cfg_server_t cfg = server_cfg();
        echo_server_t srv = { 0 };
        echo_server_start(&srv, &cfg, 1);
        const char *extra[] = { version_flags[v], "-CAfile", cert_path("other_ca.pem"), "-verify_return_error", NULL };
        assert_int_not_equal(run_s_client(srv.port, extra, "", out, sizeof(out)), 0);
        echo_server_join(&srv);
        expect_unknown_ca(&srv);
    }
    esp_tls_cfg_server_t cfg = server_cfg();
    echo_server_t srv = { 0 };
    echo_server_start(&srv, &cfg, 1);
    char url[64];
    snprintf(url, sizeof(url), "https://localhost:%d/", srv.port);
    const char *curl[] = { "curl", "-s", "--tlsv1.3", "--cacert", cert_path("other_ca.pem"), url, NULL };
    assert_int_equal(run_program(curl, NULL, out, sizeof(out)), 60); /* CURLE_PEER_FAILED_VERIFICATION */
    echo_server_join(&srv);
    expect_unknown_ca(&srv);
}

/* Connects the portls client to srv and exchanges one echo, then sees the server's close.
 * @return 1 all of that worked; 0 connected but the exchange failed (a TLS 1.3 server rejects a
 * client certificate after the client's handshake is over); -1 the connect failed. */
static int echo_through(const echo_server_t *srv, const esp_tls_cfg_t *cfg, esp_tls_t **out)
{
    esp_tls_t *tls = esp_tls_init();
    assert_non_null(tls);
    int rc = esp_tls_conn_new_sync("localhost", 9, srv->port, cfg, tls);
    if (rc == 1) {
        char buf[64];
        bool echoed = esp_tls_conn_write(tls, "hello", 5) == 5 && esp_tls_conn_read(tls, buf, sizeof(buf)) == 5 &&
                      memcmp(buf, "hello", 5) == 0 && esp_tls_conn_read(tls, buf, sizeof(buf)) == 0;
        rc = echoed ? 1 : 0;
    }
    if (out != NULL) {
        *out = tls;
    } else {
        esp_tls_conn_destroy(tls);
    }
    return rc;
}

static void test_portls_client_both_versions(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        esp_tls_cfg_server_t cfg = server_cfg();
        cfg.tls_version = versions[v];
        echo_server_t srv = { 0 };
        echo_server_start(&srv, &cfg, 1);
        esp_tls_cfg_t client = { .timeout_ms = 5000 };
        cfg_trust(&client, "ca.pem");
        assert_int_equal(echo_through(&srv, &client, NULL), 1);
        echo_server_join(&srv);
        assert_int_equal(srv.result[0].create_rc, 0);
        assert_string_equal(srv.result[0].version, version_names[v]);
    }
}

/* One session of a server that trusts ca.pem for client certificates. */
static echo_session_t mutual_session(bool optional, esp_tls_proto_ver_t version, const char *cert, const char *key,
                                     int *client_rc)
{
    esp_tls_cfg_server_t cfg = server_cfg();
    cfg.cacert_buf = pki("ca.pem")->data;
    cfg.cacert_bytes = pki("ca.pem")->len;
    cfg.client_cert_authmode_optional = optional;
    echo_server_t srv = { 0 };
    echo_server_start(&srv, &cfg, 1);
    esp_tls_cfg_t client = { .timeout_ms = 5000, .tls_version = version };
    cfg_trust(&client, "ca.pem");
    if (cert != NULL) {
        cfg_client_cert(&client, cert, key);
    }
    *client_rc = echo_through(&srv, &client, NULL);
    echo_server_join(&srv);
    return srv.result[0];
}

static void test_mutual_auth_required(void **state)
{
    (void)state;
    int rc;
    for (int v = 0; v < 2; v++) {
        echo_session_t r = mutual_session(false, versions[v], "client.pem", "client.key", &rc);
        assert_int_equal(rc, 1);
        assert_int_equal(r.create_rc, 0);
#ifndef CONFIG_MBEDTLS_DYNAMIC_FREE_PEER_CERT /* else gone by now; verified all the same */
        assert_true(r.client_cert);
#endif
        assert_int_equal(r.verify_flags, 0);

        r = mutual_session(false, versions[v], NULL, NULL, &rc);
        assert_int_not_equal(rc, 1);
        assert_true(r.create_rc < 0);
        assert_int_equal(r.last_error, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);

        r = mutual_session(false, versions[v], "client_other.pem", "client_other.key", &rc);
        assert_int_not_equal(rc, 1);
        assert_true(r.create_rc < 0);
        assert_int_equal(r.last_error, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    }
}

static void test_mutual_auth_optional(void **state)
{
    (void)state;
    int rc;
    for (int v = 0; v < 2; v++) {
        echo_session_t r = mutual_session(true, versions[v], NULL, NULL, &rc);
        assert_int_equal(rc, 1);
        assert_int_equal(r.create_rc, 0);
        assert_false(r.client_cert);

        r = mutual_session(true, versions[v], "client_other.pem", "client_other.key", &rc);
        assert_int_equal(rc, 1);
        assert_int_equal(r.create_rc, 0);
        assert_true(r.verify_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    }
}

/* Without cacert_buf the server asks for no certificate, so the client sends none. */
static void test_no_client_auth(void **state)
{
    (void)state;
    esp_tls_cfg_server_t cfg = server_cfg();
    echo_server_t srv = { 0 };
    echo_server_start(&srv, &cfg, 1);
    esp_tls_cfg_t client = { .timeout_ms = 5000 };
    cfg_trust(&client, "ca.pem");
    cfg_client_cert(&client, "client.pem", "client.key");
    assert_int_equal(echo_through(&srv, &client, NULL), 1);
    echo_server_join(&srv);
    assert_int_equal(srv.result[0].create_rc, 0);
    assert_false(srv.result[0].client_cert);
}

static void test_alpn(void **state)
{
    (void)state;
    const char *server_protos[] = { "h2", "http/1.1", NULL };
    const char *client_protos[] = { "http/1.1", NULL };
    esp_tls_cfg_server_t cfg = server_cfg();
    cfg.alpn_protos = server_protos;
    echo_server_t srv = { 0 };
    echo_server_start(&srv, &cfg, 2);
    esp_tls_cfg_t client = { .timeout_ms = 5000, .alpn_protos = client_protos };
    cfg_trust(&client, "ca.pem");
    assert_int_equal(echo_through(&srv, &client, NULL), 1);
    const char *extra[] = { "-alpn", "h2", "-CAfile", cert_path("ca.pem"), NULL };
    char out[8192];
    assert_int_equal(run_s_client(srv.port, extra, "x\n", out, sizeof(out)), 0);
    echo_server_join(&srv);
    assert_string_equal(srv.result[0].alpn, "http/1.1");
    assert_string_equal(srv.result[1].alpn, "h2");
    assert_non_null(strstr(out, "ALPN protocol: h2"));
}

/* cert_select_cb: server.test gets its own certificate, any other name the localhost one. */
typedef struct {
    mbedtls_x509_crt crt[2];
    mbedtls_pk_context key[2];
} cert_choice_t;

static int select_by_sni(mbedtls_ssl_context *ssl)
{
    cert_choice_t *choice = mbedtls_ssl_get_user_data_p(ssl);
    size_t len;
    const unsigned char *sni = mbedtls_ssl_get_hs_sni(ssl, &len);
    int i = sni != NULL && len == 11 && memcmp(sni, "server.test", 11) == 0;
    return mbedtls_ssl_set_hs_own_cert(ssl, &choice->crt[i], &choice->key[i]);
}

static void load_choice(cert_choice_t *c, int i, const char *cert, const char *key)
{
    mbedtls_x509_crt_init(&c->crt[i]);
    mbedtls_pk_init(&c->key[i]);
    assert_int_equal(mbedtls_x509_crt_parse(&c->crt[i], pki(cert)->data, pki(cert)->len), 0);
    assert_int_equal(mbedtls_pk_parse_key(&c->key[i], pki(key)->data, pki(key)->len, NULL, 0, NULL, NULL), 0);
}

static void test_sni_certificate_selection(void **state)
{
    (void)state;
    cert_choice_t choice;
    load_choice(&choice, 0, "server_ec.pem", "server_ec.key");
    load_choice(&choice, 1, "server_named.pem", "server_named.key");
    esp_tls_cfg_server_t cfg = { .cert_select_cb = select_by_sni, .userdata = &choice };
    echo_server_t srv = { 0 };
    echo_server_start(&srv, &cfg, 3);
    esp_tls_cfg_t client = { .timeout_ms = 5000, .common_name = "server.test" };
    cfg_trust(&client, "ca.pem");
    assert_int_equal(echo_through(&srv, &client, NULL), 1); /* verified as server.test */
    client.common_name = NULL;
    assert_int_equal(echo_through(&srv, &client, NULL), 1); /* verified as localhost */
    const char *extra[] = { "-servername", "server.test", "-verify_hostname", "server.test", "-CAfile",
                            cert_path("ca.pem"), "-verify_return_error", NULL };
    char out[8192];
    assert_int_equal(run_s_client(srv.port, extra, "x\n", out, sizeof(out)), 0);
    echo_server_join(&srv);
    assert_non_null(strstr(out, "CN = server.test"));
    for (int i = 0; i < 2; i++) {
        mbedtls_x509_crt_free(&choice.crt[i]);
        mbedtls_pk_free(&choice.key[i]);
    }
}

/* A client that connects and never speaks: the handshake deadline ends the session. */
static void test_handshake_timeout(void **state)
{
    (void)state;
    esp_tls_cfg_server_t cfg = server_cfg();
    cfg.tls_handshake_timeout_ms = 300;
    echo_server_t srv = { 0 };
    echo_server_start(&srv, &cfg, 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    echo_server_join(&srv);
    close(fd);
    assert_int_equal(srv.result[0].create_rc, ESP_ERR_ESP_TLS_SERVER_HANDSHAKE_TIMEOUT);
    assert_int_equal(srv.result[0].last_error, ESP_ERR_ESP_TLS_SERVER_HANDSHAKE_TIMEOUT);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    esp_tls_cfg_server_t cfg = server_cfg();
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_server_session_init(NULL, 3, tls), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_server_session_init(&cfg, -1, tls), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_server_session_init(&cfg, 3, NULL), ESP_ERR_INVALID_ARG);
    assert_true(esp_tls_server_session_continue_async(NULL) < 0);
    assert_true(esp_tls_server_session_continue_async(tls) < 0); /* not a server session */
    esp_tls_server_session_delete(NULL);

    esp_tls_cfg_server_t empty = { 0 }; /* no certificate, PSK or hook */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(esp_tls_server_session_init(&empty, sv[0], tls), ESP_FAIL);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_INVALID_STATE);
    esp_tls_server_session_delete(tls);

    tls = esp_tls_init();
    empty.use_secure_element = true;
    assert_int_equal(esp_tls_server_session_create(&empty, sv[0], tls), ESP_ERR_NOT_SUPPORTED);
    esp_tls_server_session_delete(tls);
    /* the caller's socket is still open */
    assert_int_equal(write(sv[0], "x", 1), 1);
    close(sv[0]);
    close(sv[1]);
}

static void test_ticket_context_lifecycle(void **state)
{
    (void)state;
    esp_tls_cfg_server_t cfg = server_cfg();
    assert_int_equal(esp_tls_cfg_server_session_tickets_init(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_cfg_server_session_tickets_init(&cfg), ESP_OK);
    assert_non_null(cfg.ticket_ctx);
    assert_int_equal(esp_tls_cfg_server_session_tickets_init(&cfg), ESP_ERR_INVALID_ARG);
    esp_tls_cfg_server_session_tickets_free(&cfg);
    assert_null(cfg.ticket_ctx); /* freed, not leaked (ASan checks) */
    esp_tls_cfg_server_session_tickets_free(&cfg);
    esp_tls_cfg_server_session_tickets_free(NULL);
}

/* s_client asks to renegotiate (its "R" command, TLS 1.2 only): the portls server answers with a
 * no_renegotiation warning (RFC 5246 lets either side refuse), which OpenSSL then ends
 * with a fatal alert. The session fails cleanly; nothing is renegotiated. */
static void test_renegotiation_is_refused(void **state)
{
    (void)state;
    esp_tls_cfg_server_t cfg = server_cfg();
    echo_server_t srv = { 0 };
    echo_server_start(&srv, &cfg, 1);
    char connect[32];
    snprintf(connect, sizeof(connect), "127.0.0.1:%d", srv.port);
    const char *argv[] = { "openssl", "s_client", "-connect", connect, "-tls1_2", "-msg", "-CAfile",
                           cert_path("ca.pem"), NULL };
    static char out[65536];
    run_program(argv, "R\n", out, sizeof(out));
    echo_server_join(&srv);
    assert_int_equal(srv.result[0].create_rc, 0);
    assert_non_null(strstr(out, "RENEGOTIATING"));
    assert_non_null(strstr(out, "warning no_renegotiation"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s_client_both_versions),
        cmocka_unit_test(test_client_alert_is_named),
        cmocka_unit_test(test_portls_client_both_versions),
        cmocka_unit_test(test_mutual_auth_required),
        cmocka_unit_test(test_mutual_auth_optional),
        cmocka_unit_test(test_no_client_auth),
        cmocka_unit_test(test_alpn),
        cmocka_unit_test(test_sni_certificate_selection),
        cmocka_unit_test(test_handshake_timeout),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_ticket_context_lifecycle),
        cmocka_unit_test(test_renegotiation_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
