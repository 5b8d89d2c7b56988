/* RFC 8449's record_size_limit (CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT): the client asks for records
 * of at most CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN. gnutls-serv keeps to it, so a large answer reads
 * whole through a small input buffer (make test-ota-small runs this with 4 KiB); openssl s_server
 * does not know the extension, and the record diagnosis says why its 16 KiB records fail there.
 * A portls server answers the extension too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo_server.h"
#include "esp_log.h"
#include "mbedtls/ssl.h"
#include "tls_test.h"

#define BODY_LEN (128 * 1024)
#define AEAD_TAG 16          /* the suites both peers choose here: AES-GCM, ChaCha20-Poly1305 */
#define FULL_RECORD 16401    /* 16384 bytes of content, the content type, the tag */
#define RFC8449_MIN 64
#define RFC8449_MAX 16385    /* TLS 1.3: 2^14 bytes of content and the content type */

static char body_dir[] = "/tmp/portls-rsl-XXXXXX";
static char body_path[sizeof(body_dir) + 16];

/* A file of BODY_LEN bytes for both servers: gnutls-serv sends it as its answer (--httpdata),
 * s_server -WWW as /big.txt. */
static int group_setup(void **state)
{
    (void)state;
    if (mkdtemp(body_dir) == NULL) {
        return -1;
    }
    snprintf(body_path, sizeof(body_path), "%s/big.txt", body_dir);
    FILE *f = fopen(body_path, "w");
    for (int i = 0; f != NULL && i < BODY_LEN; i++) {
        fputc('x', f);
    }
    return f != NULL && fclose(f) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(body_path);
    rmdir(body_dir);
    return 0;
}

static esp_tls_t *connect_cfg(const peer_t *p, esp_tls_cfg_t *cfg)
{
    cfg_trust(cfg, "ca.pem");
    esp_tls_t *tls = NULL;
    assert_int_equal(connect_peer(p, "localhost", cfg, &tls), 1);
    return tls;
}

static esp_tls_t *connect_with(const peer_t *p, esp_tls_proto_ver_t version)
{
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .tls_version = version };
    return connect_cfg(p, &cfg);
}

#ifdef CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT

static void start_gnutls(peer_t *p, const char *cert, const char *key, const char *const extra[])
{
    if (!peer_program_exists("gnutls-serv")) {
        skip(); /* scripts/bootstrap installs it (Debian's gnutls-bin) */
    }
    assert_int_equal(peer_start_gnutls_serv(p, cert, key, extra), 0);
}

/* gnutls-serv answering every request with the BODY_LEN file. */
static void start_gnutls_serv(peer_t *p)
{
    const char *extra[] = { "--http", "--httpdata", body_path, NULL };
    start_gnutls(p, "server_ec.pem", "server_ec.key", extra);
}

/* Sends GET path and reads the answer until the server closes. @return the bytes read, or the
 * read's error. */
static ssize_t get_all(esp_tls_t *tls, const char *path)
{
    char req[128];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
    assert_int_equal(esp_tls_conn_write(tls, req, (size_t)n), n);
    ssize_t total = 0;
    char buf[4096];
    for (;;) {
        ssize_t got = esp_tls_conn_read(tls, buf, sizeof(buf));
        if (got <= 0) {
            return got < 0 ? got : total;
        }
        total += got;
    }
}

/* gnutls-serv answers the limit and keeps to it: the whole answer reads, never -0x7200, and no
 * record holds more than the input buffer (the limit bounds the record's plaintext, content type
 * included; the record adds the AEAD tag). It fills its records up to the limit. */
static void test_gnutls_keeps_records_within_the_limit(void **state)
{
    (void)state;
    peer_t p;
    start_gnutls_serv(&p);
    esp_tls_t *tls = connect_with(&p, ESP_TLS_VER_TLS_1_3);
    size_t limit = 0;
    assert_int_equal(esp_tls_get_peer_record_size_limit(tls, &limit), ESP_OK);
    assert_in_range(limit, RFC8449_MIN, RFC8449_MAX);
    assert_true(get_all(tls, "/") > BODY_LEN);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_OK);
    esp_tls_record_sizes_t sizes;
    assert_int_equal(esp_tls_get_record_sizes(tls, &sizes), ESP_OK);
    assert_true(sizes.handshake <= CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN + AEAD_TAG);
    assert_true(sizes.after_handshake <= CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN + AEAD_TAG);
    assert_true(sizes.after_handshake > CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN - 64);
    esp_tls_record_info_t info;
    assert_int_equal(esp_tls_get_last_record_info(tls, &info), ESP_OK);
    assert_int_equal(info.problem, ESP_TLS_RECORD_OK);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

/* openssl s_server does not answer the limit and sends records of 16 KiB of content: below a
 * 16 KiB input buffer the read fails (-0x7200, or -0x7100 with dynamic buffers), and the record
 * diagnosis names the record; with one, the read succeeds, and the records are one byte over the
 * limit asked for. */
static void test_openssl_ignores_the_limit(void **state)
{
    (void)state;
    peer_t p;
    const char *extra[] = { "-WWW", NULL };
    assert_int_equal(chdir(body_dir), 0); /* -WWW serves the working directory */
    assert_int_equal(peer_start_s_server(&p, "server_ec.pem", "server_ec.key", extra), 0);
    esp_tls_t *tls = connect_with(&p, ESP_TLS_VER_TLS_1_3);
    size_t limit = 1;
    assert_int_equal(esp_tls_get_peer_record_size_limit(tls, &limit), ESP_OK);
    assert_int_equal(limit, 0);
    ssize_t got = get_all(tls, "/big.txt");
    esp_tls_record_sizes_t sizes;
    assert_int_equal(esp_tls_get_record_sizes(tls, &sizes), ESP_OK);
    assert_int_equal(sizes.after_handshake, FULL_RECORD);
    if (CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN < 16384) {
        /* INVALID_RECORD, or BAD_INPUT_DATA with dynamic buffers (make test-ota-small's) */
        assert_true(got == MBEDTLS_ERR_SSL_INVALID_RECORD || got == MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
        int code;
        assert_int_equal(take_error(tls, &code, NULL), ESP_ERR_MBEDTLS_SSL_READ_FAILED);
        assert_int_equal(code, -got);
        esp_tls_record_info_t info;
        assert_int_equal(esp_tls_get_last_record_info(tls, &info), ESP_OK);
        assert_int_equal(info.problem, ESP_TLS_RECORD_TOO_LARGE);
        assert_int_equal(info.length, FULL_RECORD);
        assert_int_equal(info.in_content_len, CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN);
    } else {
        assert_true(got > BODY_LEN);
    }
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static char s_log[8192]; /* what connect_logged() logged */
static size_t s_log_len;

static int log_to_buffer(const char *format, va_list args)
{
    int n = vsnprintf(s_log + s_log_len, sizeof(s_log) - s_log_len, format, args);
    if (n > 0) {
        s_log_len += (size_t)n < sizeof(s_log) - s_log_len ? (size_t)n : sizeof(s_log) - s_log_len - 1;
    }
    return n;
}

/* A connect whose error log goes to s_log. @return the connect's result. */
static int connect_logged(const peer_t *p, const esp_tls_cfg_t *cfg, esp_tls_t **tls)
{
    s_log_len = 0;
    s_log[0] = '\0';
    vprintf_like_t previous = esp_log_set_vprintf(log_to_buffer);
    esp_log_level_set("*", ESP_LOG_ERROR);
    int rc = connect_peer(p, "localhost", cfg, tls);
    esp_log_level_set("*", ESP_LOG_NONE);
    esp_log_set_vprintf(previous);
    return rc;
}

/* The limit cuts records, not handshake messages: mbedTLS puts a message cut into records back
 * together in its input buffer, so a certificate larger than the buffer (server_big's, some
 * 7 KB) fails the handshake however small the records, and the log says so; a 16 KiB buffer
 * takes it. */
static void test_handshake_message_must_fit_the_buffer(void **state)
{
    (void)state;
    peer_t p;
    const char *extra[] = { "--http", NULL };
    start_gnutls(&p, "server_big.pem", "server_big.key", extra);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .tls_version = ESP_TLS_VER_TLS_1_3 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = NULL;
    int rc = connect_logged(&p, &cfg, &tls);
    esp_tls_record_sizes_t sizes;
    assert_int_equal(esp_tls_get_record_sizes(tls, &sizes), ESP_OK);
    assert_true(sizes.handshake <= CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN + AEAD_TAG);
    if (CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN < 8192) {
        assert_int_equal(rc, -1);
        assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
        assert_non_null(strstr(s_log, "handshake message of "));
        assert_non_null(strstr(s_log, "which must hold it whole"));
    } else {
        assert_int_equal(rc, 1);
    }
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
/* A session saved from gnutls-serv carries its limit; offered to s_server, which cannot resume
 * it, the handshake is a full one, and s_server announced no limit: none is reported. */
static void test_offered_session_brings_no_limit(void **state)
{
    (void)state;
    peer_t g;
    start_gnutls_serv(&g);
    esp_tls_t *tls = connect_with(&g, ESP_TLS_VER_TLS_1_3);
    assert_true(get_all(tls, "/") > BODY_LEN); /* the ticket comes after the handshake */
    esp_tls_client_session_t *session = esp_tls_get_client_session(tls);
    assert_non_null(session);
    esp_tls_conn_destroy(tls);
    peer_stop(&g);

    peer_t s;
    assert_int_equal(peer_start_s_server(&s, "server_ec.pem", "server_ec.key", NULL), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .tls_version = ESP_TLS_VER_TLS_1_3, .client_session = session };
    tls = connect_cfg(&s, &cfg);
    assert_false(esp_tls_session_was_resumed(tls));
    size_t limit = 1;
    assert_int_equal(esp_tls_get_peer_record_size_limit(tls, &limit), ESP_OK);
    assert_int_equal(limit, 0);
    esp_tls_conn_destroy(tls);
    esp_tls_free_client_session(session);
    peer_stop(&s);
}
#endif

/* A portls server answers the limit with its own input length, and learns the client's: in
 * TLS 1.3 both ends report the other's CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN; in TLS 1.2, neither. */
static void test_portls_server_answers(void **state)
{
    (void)state;
    const esp_tls_proto_ver_t versions[] = { ESP_TLS_VER_TLS_1_3, ESP_TLS_VER_TLS_1_2 };
    const size_t expected[] = { CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN, 0 };
    for (int v = 0; v < 2; v++) {
        esp_tls_cfg_server_t server = server_cfg();
        echo_server_t srv = { 0 };
        echo_server_start(&srv, &server, 1);
        esp_tls_cfg_t cfg = { .timeout_ms = 5000, .tls_version = versions[v] };
        cfg_trust(&cfg, "ca.pem");
        esp_tls_t *tls = esp_tls_init();
        assert_int_equal(esp_tls_conn_new_sync("localhost", 9, srv.port, &cfg, tls), 1);
        size_t limit = 1;
        assert_int_equal(esp_tls_get_peer_record_size_limit(tls, &limit), ESP_OK);
        assert_int_equal(limit, expected[v]);
        char buf[8];
        assert_int_equal(esp_tls_conn_write(tls, "ping", 4), 4);
        assert_int_equal(esp_tls_conn_read(tls, buf, sizeof(buf)), 4);
        esp_tls_conn_destroy(tls);
        echo_server_join(&srv);
        assert_int_equal(srv.result[0].create_rc, 0);
        assert_int_equal(srv.result[0].record_size_limit, expected[v]);
    }
}

static void test_arguments_and_state(void **state)
{
    (void)state;
    size_t limit;
    assert_int_equal(esp_tls_get_peer_record_size_limit(NULL, &limit), ESP_ERR_INVALID_ARG);
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_get_peer_record_size_limit(tls, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_get_peer_record_size_limit(tls, &limit), ESP_ERR_INVALID_STATE);
    esp_tls_conn_destroy(tls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gnutls_keeps_records_within_the_limit),
        cmocka_unit_test(test_openssl_ignores_the_limit),
        cmocka_unit_test(test_handshake_message_must_fit_the_buffer),
#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
        cmocka_unit_test(test_offered_session_brings_no_limit),
#endif
        cmocka_unit_test(test_portls_server_answers),
        cmocka_unit_test(test_arguments_and_state),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

#else /* a build without the extension: the call says so, and the rest does not apply */

static void test_not_supported(void **state)
{
    (void)state;
    peer_t p;
    assert_int_equal(peer_start_s_server(&p, "server_ec.pem", "server_ec.key", NULL), 0);
    esp_tls_t *tls = connect_with(&p, ESP_TLS_VER_ANY);
    size_t limit;
    assert_int_equal(esp_tls_get_peer_record_size_limit(tls, &limit), ESP_ERR_NOT_SUPPORTED);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
    skip(); /* the extension's own tests need CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_supported),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
#endif
