/* Every public function given bad arguments: the documented error, never a crash. */
#include <stdlib.h>
#include <string.h>

#include "tls_test.h"

static void test_null_handles(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { 0 };
    char buf[4];
    int fd;
    esp_tls_conn_state_t st;
    esp_tls_error_handle_t h;
    esp_tls_conn_timing_t timing;
    assert_int_equal(esp_tls_conn_new_sync("localhost", 9, 443, &cfg, NULL), -1);
    assert_int_equal(esp_tls_conn_new_async("localhost", 9, 443, &cfg, NULL), -1);
    assert_int_equal(esp_tls_conn_http_new_sync("https://localhost/", &cfg, NULL), -1);
    assert_int_equal(esp_tls_conn_http_new_async("https://localhost/", &cfg, NULL), -1);
    assert_int_equal(esp_tls_conn_read(NULL, buf, sizeof(buf)), -1);
    assert_int_equal(esp_tls_conn_write(NULL, buf, sizeof(buf)), -1);
    assert_int_equal(esp_tls_conn_destroy(NULL), -1);
    assert_int_equal(esp_tls_get_bytes_avail(NULL), -1);
    assert_int_equal(esp_tls_get_conn_sockfd(NULL, &fd), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_set_conn_sockfd(NULL, 3), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_get_conn_state(NULL, &st), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_set_conn_state(NULL, ESP_TLS_INIT), ESP_ERR_INVALID_ARG);
    assert_null(esp_tls_get_ssl_context(NULL));
    assert_int_equal(esp_tls_get_error_handle(NULL, &h), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_get_and_clear_last_error(NULL, NULL, NULL), ESP_ERR_INVALID_STATE);
    assert_int_equal(esp_tls_get_and_clear_error_type(NULL, ESP_TLS_ERR_TYPE_ESP, &fd), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_get_conn_timing(NULL, &timing), ESP_ERR_INVALID_ARG);
}

static void expect_connect_invalid(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg)
{
    esp_tls_t *tls = esp_tls_init();
    assert_non_null(tls);
    assert_int_equal(esp_tls_conn_new_sync(host, hostlen, port, cfg, tls), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_conn_destroy(tls), 0);
}

static void test_connect_arguments(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { 0 };
    expect_connect_invalid(NULL, 9, 443, &cfg);
    expect_connect_invalid("localhost", 0, 443, &cfg);
    expect_connect_invalid("localhost", -1, 443, &cfg);
    expect_connect_invalid("localhost", 9, 0, &cfg);
    expect_connect_invalid("localhost", 9, 65536, &cfg);
    expect_connect_invalid("localhost", 9, 443, NULL);
}

static void test_async_needs_non_block(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { 0 };
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_conn_new_async("localhost", 9, 443, &cfg, tls), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_INVALID_ARG);
    esp_tls_conn_destroy(tls);
}

static void test_calls_on_an_unconnected_handle(void **state)
{
    (void)state;
    esp_tls_t *tls = esp_tls_init();
    char buf[4];
    int fd = 0;
    assert_int_equal(esp_tls_conn_read(tls, buf, sizeof(buf)), -1);
    assert_int_equal(esp_tls_conn_write(tls, buf, sizeof(buf)), -1);
    assert_int_equal(esp_tls_get_bytes_avail(tls), 0);
    assert_null(esp_tls_get_ssl_context(tls));
    assert_int_equal(esp_tls_get_conn_sockfd(tls, &fd), ESP_OK);
    assert_int_equal(fd, -1);
    assert_int_equal(esp_tls_get_conn_sockfd(tls, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_set_conn_sockfd(tls, -1), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_set_conn_state(tls, (esp_tls_conn_state_t)99), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_set_conn_state(tls, ESP_TLS_FAIL), ESP_OK);
    esp_tls_conn_state_t st;
    assert_int_equal(esp_tls_get_conn_state(tls, &st), ESP_OK);
    assert_int_equal(st, ESP_TLS_FAIL);
    assert_int_equal(esp_tls_get_conn_state(tls, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_conn_destroy(tls), 0);
}

static void test_error_record_slots(void **state)
{
    (void)state;
    esp_tls_t *tls = esp_tls_init();
    esp_tls_error_handle_t h;
    assert_int_equal(esp_tls_get_error_handle(tls, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_get_error_handle(tls, &h), ESP_OK);
    int code = 1;
    assert_int_equal(esp_tls_get_and_clear_error_type(h, ESP_TLS_ERR_TYPE_MAX, &code), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_get_and_clear_error_type(h, ESP_TLS_ERR_TYPE_ESP, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_get_and_clear_error_type(h, ESP_TLS_ERR_TYPE_MBEDTLS, &code), ESP_OK);
    assert_int_equal(code, 0);
    assert_int_equal(esp_tls_get_and_clear_last_error(h, NULL, NULL), ESP_OK);
    esp_tls_conn_destroy(tls);
}

/* A record the caller owns is 12 bytes: reading it clears those and nothing after them (on the
 * heap, ASan sees any byte beyond). */
static void test_clearing_a_callers_record(void **state)
{
    (void)state;
    struct {
        esp_tls_last_error_t record;
        int next;
    } owned = { { ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED, 0x2700, 8 }, 0x5a5a5a5a };
    int code = 0, flags = 0;
    assert_int_equal(esp_tls_get_and_clear_last_error(&owned.record, &code, &flags),
                     ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    assert_int_equal(code, 0x2700);
    assert_int_equal(flags, 8);
    assert_int_equal(owned.next, 0x5a5a5a5a);
    assert_int_equal(owned.record.last_error, ESP_OK);
    assert_int_equal(owned.record.esp_tls_error_code, 0);
    assert_int_equal(owned.record.esp_tls_flags, 0);

    esp_tls_last_error_t *heap = calloc(1, sizeof(*heap));
    assert_non_null(heap);
    heap->last_error = ESP_FAIL;
    assert_int_equal(esp_tls_get_and_clear_last_error(heap, NULL, NULL), ESP_FAIL);
    free(heap);
}

static void test_client_cert_without_key_and_chip_only_options(void **state)
{
    (void)state;
    peer_t p;
    assert_int_equal(peer_listen_silent(&p), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 2000 };
    cfg_trust(&cfg, "ca.pem");
    cfg.clientcert_buf = pki("client.pem")->data;
    cfg.clientcert_bytes = pki("client.pem")->len;
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "127.0.0.1", &cfg, &tls), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_INVALID_STATE);
    esp_tls_conn_destroy(tls);

    esp_tls_cfg_t chip = { .use_secure_element = true };
    assert_int_equal(connect_peer(&p, "127.0.0.1", &chip, &tls), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_NOT_SUPPORTED);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static void test_plain_tcp_connect_arguments(void **state)
{
    (void)state;
    int fd;
    assert_int_equal(esp_tls_plain_tcp_connect(NULL, 9, 80, NULL, NULL, &fd), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_plain_tcp_connect("localhost", 0, 80, NULL, NULL, &fd), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_plain_tcp_connect("localhost", 9, 0, NULL, NULL, &fd), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_plain_tcp_connect("localhost", 9, 80, NULL, NULL, NULL), ESP_ERR_INVALID_ARG);
    esp_tls_cfg_t cfg = { .addr_family = (esp_tls_addr_family_t)7 };
    assert_int_equal(esp_tls_plain_tcp_connect("localhost", 9, 80, &cfg, NULL, &fd),
                     ESP_ERR_ESP_TLS_UNSUPPORTED_PROTOCOL_FAMILY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_handles),
        cmocka_unit_test(test_connect_arguments),
        cmocka_unit_test(test_async_needs_non_block),
        cmocka_unit_test(test_calls_on_an_unconnected_handle),
        cmocka_unit_test(test_error_record_slots),
        cmocka_unit_test(test_clearing_a_callers_record),
        cmocka_unit_test(test_client_cert_without_key_and_chip_only_options),
        cmocka_unit_test(test_plain_tcp_connect_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
