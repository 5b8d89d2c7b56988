/* Why the peer's records were refused: too large for the input buffer, not TLS at all, or cut
 * off mid-record. Each peer is socat playing back bytes on loopback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls_test.h"

/* A peer that sends `len` bytes to whoever connects, then waits a little or closes at once. */
static void start_raw_peer(peer_t *p, const char *bytes, size_t len, bool keep_open, char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    char script[128];
    snprintf(script, sizeof(script), "SYSTEM:cat %s%s", path, keep_open ? "; sleep 3" : "");
    const char *argv[] = { "socat", "TCP-LISTEN:{PORT},bind=127.0.0.1,reuseaddr,fork", script, NULL };
    assert_int_equal(peer_start(p, "127.0.0.1", argv), 0);
}

static esp_tls_record_info_t connect_and_diagnose(const char *bytes, size_t len, bool keep_open, int *code)
{
    peer_t p;
    char path[] = "/tmp/portls-raw-XXXXXX";
    start_raw_peer(&p, bytes, len, keep_open, path);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), -1);
    assert_int_equal(take_error(tls, code, NULL), ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    esp_tls_record_info_t info;
    assert_int_equal(esp_tls_get_last_record_info(tls, &info), ESP_OK);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
    unlink(path);
    return info;
}

static void test_record_larger_than_input_buffer(void **state)
{
    (void)state;
    int code;
    /* a handshake record header claiming 0x4800 = 18432 bytes */
    esp_tls_record_info_t info = connect_and_diagnose("\x16\x03\x03\x48\x00", 5, true, &code);
    assert_true(code == 0x7200 || code == 0x7100); /* mbedTLS says INVALID_RECORD or BAD_INPUT_DATA */
    assert_int_equal(info.problem, ESP_TLS_RECORD_TOO_LARGE);
    assert_int_equal(info.length, 0x4800);
    assert_int_equal(info.in_content_len, CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN);
}

static void test_peer_not_speaking_tls(void **state)
{
    (void)state;
    int code;
    static const char answer[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    esp_tls_record_info_t info = connect_and_diagnose(answer, sizeof(answer) - 1, true, &code);
    assert_int_equal(code, 0x7200);
    assert_int_equal(info.problem, ESP_TLS_RECORD_NOT_TLS);
    assert_int_equal(info.content_type, 'H');
}

static void test_record_cut_off(void **state)
{
    (void)state;
    int code;
    /* a 64-byte handshake record of which 10 bytes come, then the peer closes */
    esp_tls_record_info_t info = connect_and_diagnose("\x16\x03\x03\x00\x40" "ABCDEFGHIJ", 15, false, &code);
    assert_int_equal(info.problem, ESP_TLS_RECORD_TRUNCATED);
    assert_int_equal(info.length, 64);
    assert_int_equal(info.received, 10);
    assert_int_not_equal(code, 0);
}

static void test_clean_connection_has_no_problem(void **state)
{
    (void)state;
    peer_t p;
    esp_tls_t *tls = connect_www_peer(&p);
    char page[512];
    assert_true(www_get(tls, page, sizeof(page)) > 0);
    esp_tls_record_info_t info;
    assert_int_equal(esp_tls_get_last_record_info(tls, &info), ESP_OK);
    assert_int_equal(info.problem, ESP_TLS_RECORD_OK);
    assert_int_equal(info.content_type, 23); /* application data */
    assert_int_equal(info.version, 0x0303);
    assert_int_equal(esp_tls_get_last_record_info(NULL, &info), ESP_ERR_INVALID_ARG);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_larger_than_input_buffer),
        cmocka_unit_test(test_peer_not_speaking_tls),
        cmocka_unit_test(test_record_cut_off),
        cmocka_unit_test(test_clean_connection_has_no_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
