/* Data through a TLS echo peer (socat with OpenSSL): bulk transfer intact, and writes larger
 * than the record size split and delivered whole. */
#include <stdlib.h>
#include <string.h>

#include "tls_test.h"

#define BULK_BYTES (16u * 1024 * 1024)
#define CHUNK (64u * 1024)

static void start_echo(peer_t *p, const char *version)
{
    char server[512];
    snprintf(server, sizeof(server), "OPENSSL-LISTEN:{PORT},bind=127.0.0.1,reuseaddr,fork,cert=%s,key=%s,verify=0,%s",
             cert_path("server_ec.pem"), cert_path("server_ec.key"), version);
    const char *argv[] = { "socat", server, "EXEC:cat", NULL };
    assert_int_equal(peer_start(p, "127.0.0.1", argv), 0);
}

static esp_tls_t *connect_echo(const peer_t *p)
{
    esp_tls_cfg_t cfg = { .timeout_ms = 10000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    assert_int_equal(connect_peer(p, "localhost", &cfg, &tls), 1);
    return tls;
}

static void fill_pattern(unsigned char *buf, size_t len, size_t offset)
{
    for (size_t i = 0; i < len; i++) {
        size_t v = offset + i;
        buf[i] = (unsigned char)(v ^ (v >> 8) ^ (v >> 16));
    }
}

static void read_exactly(esp_tls_t *tls, unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = esp_tls_conn_read(tls, buf + got, len - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
}

static void echo_bulk(const char *version)
{
    peer_t p;
    start_echo(&p, version);
    esp_tls_t *tls = connect_echo(&p);
    static unsigned char out[CHUNK], in[CHUNK];
    for (size_t off = 0; off < BULK_BYTES; off += CHUNK) {
        fill_pattern(out, CHUNK, off);
        assert_int_equal(esp_tls_conn_write(tls, out, CHUNK), CHUNK);
        read_exactly(tls, in, CHUNK);
        assert_memory_equal(in, out, CHUNK);
    }
    assert_int_equal(esp_tls_conn_destroy(tls), 0);
    peer_stop(&p);
}

static void test_16mib_echo_tls13(void **state)
{
    (void)state;
    echo_bulk("min-version=TLS1.3");
}

static void test_16mib_echo_tls12(void **state)
{
    (void)state;
    echo_bulk("max-version=TLS1.2");
}

static void test_write_larger_than_record_is_split(void **state)
{
    (void)state;
    peer_t p;
    start_echo(&p, "min-version=TLS1.3");
    esp_tls_t *tls = connect_echo(&p);
    size_t len = 5 * CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN + 123;
    unsigned char *out = malloc(len), *in = malloc(len);
    fill_pattern(out, len, 7);
    assert_int_equal(esp_tls_conn_write(tls, out, len), (ssize_t)len);
    read_exactly(tls, in, len);
    assert_memory_equal(in, out, len);
    free(out);
    free(in);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static void test_read_returns_zero_when_peer_closes(void **state)
{
    (void)state;
    peer_t p;
    esp_tls_t *tls = connect_www_peer(&p);
    char buf[4096];
    assert_true(www_get(tls, buf, sizeof(buf)) > 0);
    ssize_t n;
    while ((n = esp_tls_conn_read(tls, buf, sizeof(buf))) > 0) {
        /* the rest of the page; s_server -www closes after it */
    }
    assert_int_equal(n, 0);
    assert_int_equal(esp_tls_conn_destroy(tls), 0);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_16mib_echo_tls13),
        cmocka_unit_test(test_16mib_echo_tls12),
        cmocka_unit_test(test_write_larger_than_record_is_split),
        cmocka_unit_test(test_read_returns_zero_when_peer_closes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
