/* Why the peer's records were refused: too large for the input buffer, not TLS at all, or cut
 * off mid-record, in the handshake (a peer playing back bytes on loopback) or after it (an
 * OpenSSL server that sends half a record). */
#include <string.h>

#include "mbedtls/ssl.h"
#include "raw_peer.h"
#include "tls_cut_peer.h"
#include "tls_test.h"

/* A handshake against a peer that sends `len` bytes, then FIN (or, with keep_open, nothing until
 * the client closes): it fails, and the record diagnosis says why. */
static esp_tls_record_info_t connect_and_diagnose(const char *bytes, size_t len, bool keep_open, int *code)
{
    raw_peer_t p = { .data = bytes, .len = len, .keep_open = keep_open };
    raw_peer_start(&p);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    assert_non_null(tls);
    assert_int_equal(esp_tls_conn_new_sync("localhost", 9, p.port, &cfg, tls), -1);
    assert_int_equal(take_error(tls, code, NULL), ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    esp_tls_record_info_t info;
    assert_int_equal(esp_tls_get_last_record_info(tls, &info), ESP_OK);
    esp_tls_conn_destroy(tls);
    raw_peer_join(&p);
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

#ifdef MBEDTLS_SSL_PROTO_TLS1_3
#define WITH_TLS13 true
#else
#define WITH_TLS13 false /* the build without TLS 1.3 (make check-minimal) */
#endif

/* Connects to a cut peer, reads its whole record, and returns the next read's result. */
static ssize_t read_past_whole_record(tls_cut_peer_t *peer, esp_tls_t **out)
{
    tls_cut_peer_start(peer);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_conn_new_sync("localhost", 9, peer->port, &cfg, tls), 1);
    char buf[64];
    assert_int_equal(esp_tls_conn_read(tls, buf, sizeof(buf)), (ssize_t)strlen(peer->whole));
    *out = tls;
    return esp_tls_conn_read(tls, buf, sizeof(buf));
}

/* mbedTLS 3.6's read says 0 for a FIN inside a record after the handshake: ESP-TLS makes it the
 * read error it is, with the record diagnosis, in both versions. */
static void test_record_cut_off_after_the_handshake(void **state)
{
    (void)state;
    for (int tls13 = 0; tls13 <= WITH_TLS13; tls13++) {
        tls_cut_peer_t peer = { .tls13 = tls13, .whole = "a whole record", .cut = "a record cut in half" };
        esp_tls_t *tls;
        assert_int_equal(read_past_whole_record(&peer, &tls), MBEDTLS_ERR_SSL_CONN_EOF);
        int code;
        assert_int_equal(take_error(tls, &code, NULL), ESP_ERR_MBEDTLS_SSL_READ_FAILED);
        assert_int_equal(code, -MBEDTLS_ERR_SSL_CONN_EOF);
        esp_tls_record_info_t info;
        assert_int_equal(esp_tls_get_last_record_info(tls, &info), ESP_OK);
        assert_int_equal(info.problem, ESP_TLS_RECORD_TRUNCATED);
        assert_int_equal(info.content_type, 23); /* application data */
        assert_int_equal(info.length + 5, peer.cut_record_len);
        assert_int_equal(info.received + 5, peer.cut_record_len / 2);
        /* the handshake's records (the certificate's, at least) and, after it, the cut one: the
         * longest there in TLS 1.2, where the whole one is shorter; in TLS 1.3 the server's
         * ticket may be longer still */
        esp_tls_record_sizes_t sizes;
        assert_int_equal(esp_tls_get_record_sizes(tls, &sizes), ESP_OK);
        assert_true(sizes.handshake > 300);
        if (tls13) {
            assert_true(sizes.after_handshake + 5 >= peer.cut_record_len);
        } else {
            assert_int_equal(sizes.after_handshake + 5, peer.cut_record_len);
        }
        esp_tls_conn_destroy(tls);
        tls_cut_peer_join(&peer);
        assert_true(peer.done);
    }
}

/* A FIN between records, without close_notify, is the end of the stream: 0, as in ESP-IDF. */
static void test_close_between_records_is_the_end(void **state)
{
    (void)state;
    tls_cut_peer_t peer = { .tls13 = WITH_TLS13, .whole = "the only record" };
    esp_tls_t *tls;
    assert_int_equal(read_past_whole_record(&peer, &tls), 0);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_OK);
    esp_tls_conn_destroy(tls);
    tls_cut_peer_join(&peer);
    assert_true(peer.done);
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
    esp_tls_record_sizes_t sizes;
    assert_int_equal(esp_tls_get_record_sizes(NULL, &sizes), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_get_record_sizes(tls, NULL), ESP_ERR_INVALID_ARG);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_larger_than_input_buffer),
        cmocka_unit_test(test_peer_not_speaking_tls),
        cmocka_unit_test(test_record_cut_off),
        cmocka_unit_test(test_record_cut_off_after_the_handshake),
        cmocka_unit_test(test_close_between_records_is_the_end),
        cmocka_unit_test(test_clean_connection_has_no_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
