/* Free-after-use (CONFIG_MBEDTLS_DYNAMIC_FREE_*) and dynamic buffers: the connection lets go of
 * CA, own and peer certificates and, while idle, of its record buffers, and still reads, writes
 * and resumes. Run by the build that turns the options on (make test's test-small); elsewhere
 * the tests skip. */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS /* to look at the config's CA chain and the output buffer */

#include <string.h>

#include "echo_server.h"
#include "esp_tls_heap.h"
#include "tls_test.h"

#if defined(CONFIG_MBEDTLS_DYNAMIC_FREE_CONFIG_DATA) && defined(CONFIG_MBEDTLS_DYNAMIC_FREE_CA_CERT) && \
    defined(CONFIG_MBEDTLS_DYNAMIC_FREE_PEER_CERT)
static const esp_tls_proto_ver_t versions[] = { ESP_TLS_VER_TLS_1_2, ESP_TLS_VER_TLS_1_3 };

/* Mutual TLS against the portls server: both ends free their copies, and the echo still works. */
static void test_mutual_tls_after_freeing(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        esp_tls_cfg_server_t scfg = server_cfg();
        scfg.cacert_buf = pki("ca.pem")->data;
        scfg.cacert_bytes = pki("ca.pem")->len;
        echo_server_t srv = { 0 };
        echo_server_start(&srv, &scfg, 1);
        esp_tls_cfg_t cfg = { .timeout_ms = 5000, .tls_version = versions[v] };
        cfg_trust(&cfg, "ca.pem");
        cfg_client_cert(&cfg, "client.pem", "client.key");
        esp_tls_t *tls = esp_tls_init();
        assert_int_equal(esp_tls_conn_new_sync("localhost", 9, srv.port, &cfg, tls), 1);
        mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
        assert_null(mbedtls_ssl_get_peer_cert(ssl));       /* freed */
        assert_int_equal(mbedtls_ssl_get_verify_result(ssl), 0); /* but it was verified */
        assert_null(ssl->conf->ca_chain);                    /* the CA chain is gone */
        char buf[8];
        assert_int_equal(esp_tls_conn_write(tls, "free", 4), 4);
        assert_int_equal(esp_tls_conn_read(tls, buf, sizeof(buf)), 4);
        esp_tls_conn_destroy(tls);
        echo_server_join(&srv);
        assert_int_equal(srv.result[0].create_rc, 0);
        assert_false(srv.result[0].client_cert); /* the server freed its peer's certificate too */
        assert_int_equal(srv.result[0].verify_flags, 0);
    }
}

/* A session saved after freeing still resumes, in both versions. */
static void test_resumption_after_freeing(void **state)
{
    (void)state;
    check_portls_resumption(ESP_TLS_VER_TLS_1_2);
    check_portls_resumption(ESP_TLS_VER_TLS_1_3);
}

#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
static size_t held(esp_tls_t *tls)
{
    esp_tls_heap_stats_t stats;
    assert_int_equal(esp_tls_get_heap_stats(tls, &stats), ESP_OK);
    return stats.current;
}

/* The input buffer is record-exact from the first byte of the handshake: no full 16 KiB buffer at
 * any point, and a few bytes once idle. With RX_STATIC a full one comes after the handshake. */
static void test_dynamic_buffers(void **state)
{
    (void)state;
    const esp_tls_dyn_buf_strategy_t strategies[] = { 0, ESP_TLS_DYN_BUF_RX_STATIC };
    for (int i = 0; i < 4; i++) {
        esp_tls_cfg_server_t scfg = server_cfg();
        echo_server_t srv = { 0 };
        echo_server_start(&srv, &scfg, 1);
        esp_tls_cfg_t cfg = { .timeout_ms = 5000, .tls_version = versions[i % 2],
                              .esp_tls_dyn_buf_strategy = strategies[i / 2] };
        cfg_trust(&cfg, "ca.pem");
        esp_tls_t *tls = esp_tls_init();
        assert_int_equal(esp_tls_conn_new_sync("localhost", 9, srv.port, &cfg, tls), 1);
        esp_tls_heap_stats_t stats;
        assert_int_equal(esp_tls_get_heap_stats(tls, &stats), ESP_OK);
        char buf[8];
        assert_int_equal(esp_tls_conn_write(tls, "idle", 4), 4);
        assert_int_equal(esp_tls_conn_read(tls, buf, sizeof(buf)), 4);
        if (strategies[i / 2] == 0) {
            print_message("%s: handshake peak %zu, idle %zu, held after a read %zu\n",
                          versions[i % 2] == ESP_TLS_VER_TLS_1_3 ? "TLS 1.3" : "TLS 1.2", stats.peak, stats.current,
                          held(tls));
            /* 17.8 KB in TLS 1.3, about 33,000 with full-size buffers; issue 15's 16 KiB would need a
             * handshake output buffer sized to the messages (README, "The whole client") */
            assert_true(stats.peak <= 18432);
            assert_true(stats.current <= 3072); /* issue 15's goal: an idle connection in 3 KiB */
            assert_true(held(tls) <= 3072);
        } else {
            assert_true(held(tls) > 16384); /* the input buffer stays */
        }
        esp_tls_conn_destroy(tls);
        echo_server_join(&srv);
    }
}

/* mbedtls_ssl_write() on esp_tls_get_ssl_context() gets an output buffer that takes its record
 * (mbedTLS grows it: patch 0005), and the next esp_tls call shrinks it to idle again. */
static void test_direct_write_buffer_shrinks_again(void **state)
{
    (void)state;
    static unsigned char out[4000]; /* one record */
    esp_tls_cfg_server_t scfg = server_cfg();
    echo_server_t srv = { .mode = ECHO_SINK, .bytes = sizeof(out) + 4 };
    echo_server_start(&srv, &scfg, 1);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_conn_new_sync("localhost", 9, srv.port, &cfg, tls), 1);
    mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
    size_t idle = ssl->out_buf_len;
    assert_true(idle < 1024);
    memset(out, 'd', sizeof(out));
    assert_int_equal(mbedtls_ssl_write(ssl, out, sizeof(out)), (int)sizeof(out));
    assert_true(ssl->out_buf_len > sizeof(out));
    assert_int_equal(esp_tls_conn_write(tls, "done", 4), 4);
    assert_int_equal(ssl->out_buf_len, idle);
    esp_tls_conn_destroy(tls);
    echo_server_join(&srv);
    assert_int_equal(srv.moved, sizeof(out) + 4);
}
#endif

/* The bundle and the global store are shared, so freeing leaves them alone. */
static void test_global_store_survives(void **state)
{
    (void)state;
    assert_int_equal(esp_tls_set_global_ca_store(pki("ca.pem")->data, pki("ca.pem")->len), ESP_OK);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .use_global_ca_store = true };
    for (int i = 0; i < 2; i++) {
        peer_t p;
        start_www_peer(&p);
        esp_tls_t *tls;
        assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), 1);
        esp_tls_conn_destroy(tls);
        peer_stop(&p);
    }
    assert_non_null(esp_tls_get_global_ca_store());
    esp_tls_free_global_ca_store();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutual_tls_after_freeing),
        cmocka_unit_test(test_resumption_after_freeing),
        cmocka_unit_test(test_global_store_survives),
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
        cmocka_unit_test(test_dynamic_buffers),
        cmocka_unit_test(test_direct_write_buffer_shrinks_again),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
static void test_free_after_use_options_are_off(void **state)
{
    (void)state;
    skip(); /* make test-small runs this program with the options on */
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_free_after_use_options_are_off) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
