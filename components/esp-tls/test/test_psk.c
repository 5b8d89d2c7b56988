/* Pre-shared keys, in both versions and both directions: the portls client against
 * `openssl s_server -psk`, `openssl s_client -psk` against the portls server, portls to portls. */
#include <string.h>

#include "echo_server.h"
#include "tls_test.h"

#define PSK_HEX "00112233445566778899aabbccddeeff"
#define IDENTITY "portls-device-1"

static const uint8_t key_bytes[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                       0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
static const uint8_t wrong_bytes[16] = { 0xde, 0xad };
static const psk_hint_key_t psk = { .key = key_bytes, .key_size = sizeof(key_bytes), .hint = IDENTITY };
static const psk_hint_key_t wrong_psk = { .key = wrong_bytes, .key_size = sizeof(wrong_bytes), .hint = IDENTITY };

static const char *const version_flags[] = { "-tls1_2", "-tls1_3" };
static const esp_tls_proto_ver_t versions[] = { ESP_TLS_VER_TLS_1_2, ESP_TLS_VER_TLS_1_3 };

static void start_psk_www(peer_t *p, int v)
{
    /* OpenSSL's default cipher list has no TLS 1.2 PSK suite; name them. */
    const char *argv[] = { "openssl", "s_server", "-accept", "127.0.0.1:{PORT}", "-nocert", "-psk", PSK_HEX,
                           "-psk_identity", IDENTITY, "-cipher", "PSK", "-www", "-quiet", version_flags[v], NULL };
    assert_int_equal(peer_start(p, "127.0.0.1", argv), 0);
}

static void test_client_with_s_server(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        peer_t p;
        start_psk_www(&p, v);
        esp_tls_cfg_t cfg = { .timeout_ms = 5000, .psk_hint_key = &psk };
        esp_tls_t *tls;
        assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), 1);
        char page[4096];
        assert_true(www_get(tls, page, sizeof(page)) > 0);
        assert_non_null(strstr(page, "PSK"));
        assert_false(esp_tls_session_was_resumed(tls)); /* an external PSK is not a resumption */
        esp_tls_conn_destroy(tls);
        peer_stop(&p);
    }
}

static void test_client_wrong_key_fails(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        peer_t p;
        start_psk_www(&p, v);
        esp_tls_cfg_t cfg = { .timeout_ms = 5000, .psk_hint_key = &wrong_psk };
        esp_tls_t *tls;
        assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), -1);
        int code = 0;
        assert_int_equal(take_error(tls, &code, NULL), ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
        assert_int_not_equal(code, 0);
        esp_tls_conn_destroy(tls);
        peer_stop(&p);
    }
}

static esp_tls_cfg_server_t psk_server_cfg(const psk_hint_key_t *key, esp_tls_proto_ver_t version)
{
    esp_tls_cfg_server_t cfg = { .psk_hint_key = key, .tls_version = version, .tls_handshake_timeout_ms = 5000 };
    return cfg;
}

static void test_s_client_with_server(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        esp_tls_cfg_server_t cfg = psk_server_cfg(&psk, versions[v]);
        echo_server_t srv = { 0 };
        echo_server_start(&srv, &cfg, 2);
        const char *good[] = { version_flags[v], "-psk", PSK_HEX, "-psk_identity", IDENTITY, NULL };
        char out[8192];
        assert_int_equal(run_s_client(srv.port, good, "psk ping\n", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "psk ping"));
        const char *bad[] = { version_flags[v], "-psk", "deadbeef", "-psk_identity", IDENTITY, NULL };
        run_s_client(srv.port, bad, "x\n", out, sizeof(out));
        echo_server_join(&srv);
        assert_int_equal(srv.result[0].create_rc, 0);
        assert_true(srv.result[1].create_rc < 0);
    }
}

static void test_portls_to_portls(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        esp_tls_cfg_server_t cfg = psk_server_cfg(&psk, versions[v]);
        echo_server_t srv = { 0 };
        echo_server_start(&srv, &cfg, 2);
        const psk_hint_key_t *keys[] = { &psk, &wrong_psk };
        for (int k = 0; k < 2; k++) {
            esp_tls_cfg_t client = { .timeout_ms = 5000, .psk_hint_key = keys[k] };
            esp_tls_t *tls = esp_tls_init();
            int rc = esp_tls_conn_new_sync("localhost", 9, srv.port, &client, tls);
            char buf[8];
            bool echoed = rc == 1 && esp_tls_conn_write(tls, "psk", 3) == 3 && esp_tls_conn_read(tls, buf, 8) == 3;
            assert_int_equal(echoed, k == 0);
            esp_tls_conn_destroy(tls);
        }
        echo_server_join(&srv);
        assert_int_equal(srv.result[0].create_rc, 0);
        assert_true(srv.result[1].create_rc < 0);
    }
}

static void test_psk_needs_key_and_identity(void **state)
{
    (void)state;
    const psk_hint_key_t no_hint = { .key = key_bytes, .key_size = sizeof(key_bytes) };
    esp_tls_cfg_t cfg = { .timeout_ms = 2000, .psk_hint_key = &no_hint };
    peer_t p;
    assert_int_equal(peer_listen_silent(&p), 0);
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "127.0.0.1", &cfg, &tls), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_INVALID_ARG);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_with_s_server),
        cmocka_unit_test(test_client_wrong_key_fails),
        cmocka_unit_test(test_s_client_with_server),
        cmocka_unit_test(test_portls_to_portls),
        cmocka_unit_test(test_psk_needs_key_and_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
