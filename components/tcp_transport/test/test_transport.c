/* tcp_transport against real peers on loopback: socat (an echo, a one-line server) for TCP and
 * openssl s_server for TLS; plus the list, the item functions and a custom transport. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "esp_transport.h"
#include "esp_transport_ssl.h"
#include "esp_transport_tcp.h"
#include "tls_test.h"

static void start_socat(peer_t *p, const char *what)
{
    const char *argv[] = { "socat", "TCP-LISTEN:{PORT},bind=127.0.0.1,reuseaddr,fork", what, NULL };
    assert_int_equal(peer_start(p, "127.0.0.1", argv), 0);
}

static esp_transport_handle_t ssl_trusting_ca(void)
{
    esp_transport_handle_t t = esp_transport_ssl_init();
    assert_non_null(t);
    int len;
    const char *ca = pki_pem("ca.pem", &len);
    esp_transport_ssl_set_cert_data(t, ca, len);
    return t;
}

/* Reads until the peer closes or timeout; out is NUL-terminated. @return the last read result. */
static int read_to_end(esp_transport_handle_t t, char *out, size_t size)
{
    size_t got = 0;
    int n;
    while ((n = esp_transport_read(t, out + got, (int)(size - 1 - got), 5000)) > 0 && got + (size_t)n < size - 1) {
        got += (size_t)n;
    }
    if (n > 0) {
        got += (size_t)n;
    }
    out[got] = '\0';
    return n;
}

static int get_page(esp_transport_handle_t t, char *out, size_t size)
{
    static const char request[] = "GET / HTTP/1.0\r\n\r\n";
    assert_int_equal(esp_transport_write(t, request, (int)sizeof(request) - 1, 5000), (int)sizeof(request) - 1);
    return read_to_end(t, out, size);
}

static void test_list_and_items(void **state)
{
    (void)state;
    esp_transport_list_handle_t list = esp_transport_list_init();
    esp_transport_handle_t tcp = esp_transport_tcp_init(), ssl = esp_transport_ssl_init();
    assert_int_equal(esp_transport_list_add(list, tcp, "http"), ESP_OK);
    assert_int_equal(esp_transport_list_add(list, ssl, "https"), ESP_OK);
    assert_ptr_equal(esp_transport_list_get_transport(list, "HTTPS"), ssl);
    assert_ptr_equal(esp_transport_list_get_transport(list, NULL), tcp);
    assert_null(esp_transport_list_get_transport(list, "ws"));
    esp_transport_handle_t spare = esp_transport_tcp_init();
    assert_int_equal(esp_transport_list_add(list, spare, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_transport_list_add(list, spare, "http"), ESP_ERR_INVALID_ARG); /* taken */
    esp_transport_destroy(spare); /* a failed add leaves it with the caller */
    assert_int_equal(esp_transport_get_default_port(tcp), 80);
    assert_int_equal(esp_transport_get_default_port(ssl), 443);
    assert_int_equal(esp_transport_set_default_port(tcp, 8080), ESP_OK);
    assert_int_equal(esp_transport_get_default_port(tcp), 8080);
    assert_int_equal(esp_transport_set_default_port(tcp, 70000), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_transport_get_socket(ssl), -1); /* not connected */
    assert_int_equal(esp_transport_list_destroy(list), ESP_OK);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    char buf[4];
    assert_int_equal(esp_transport_connect(NULL, "localhost", 80, 100), -1);
    assert_int_equal(esp_transport_connect_async(NULL, "localhost", 80, 100), -1);
    assert_int_equal(esp_transport_read(NULL, buf, 4, 100), ERR_TCP_TRANSPORT_CONNECTION_FAILED);
    assert_int_equal(esp_transport_write(NULL, "x", 1, 100), -1);
    assert_int_equal(esp_transport_poll_read(NULL, 0), -1);
    assert_int_equal(esp_transport_poll_write(NULL, 0), -1);
    assert_int_equal(esp_transport_close(NULL), -1);
    assert_int_equal(esp_transport_destroy(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_transport_get_default_port(NULL), -1);
    assert_int_equal(esp_transport_get_errno(NULL), -1);
    assert_null(esp_transport_get_error_handle(NULL));
    assert_int_equal(esp_transport_list_destroy(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_transport_list_add(NULL, NULL, "x"), ESP_ERR_INVALID_ARG);
    esp_transport_ssl_set_cert_data(NULL, "x", 1); /* ignored */
    esp_transport_handle_t t = esp_transport_tcp_init();
    assert_int_equal(esp_transport_connect(t, NULL, 80, 100), -1);
    assert_int_equal(esp_transport_read(t, buf, 4, 100), ERR_TCP_TRANSPORT_CONNECTION_FAILED); /* not connected */
    assert_int_equal(esp_transport_write(t, "x", 1, 100), -1);
    assert_int_equal(esp_transport_read(t, NULL, 4, 100), ERR_TCP_TRANSPORT_CONNECTION_FAILED);
    esp_transport_destroy(t);
    assert_int_equal(esp_transport_translate_error(ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT),
                     ESP_ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT);
    assert_int_equal(esp_transport_translate_error(ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN),
                     ESP_ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN);
    assert_int_equal(esp_transport_translate_error(ERR_TCP_TRANSPORT_CONNECTION_FAILED),
                     ESP_ERR_TCP_TRANSPORT_CONNECTION_FAILED);
    assert_int_equal(esp_transport_translate_error(ERR_TCP_TRANSPORT_NO_MEM), ESP_ERR_TCP_TRANSPORT_NO_MEM);
}

static void test_tcp_echo(void **state)
{
    (void)state;
    peer_t p;
    start_socat(&p, "PIPE");
    esp_transport_handle_t t = esp_transport_tcp_init();
    assert_int_equal(esp_transport_connect(t, "127.0.0.1", p.port, 5000), 0);
    assert_true(esp_transport_get_socket(t) >= 0);
    char buf[16];
    assert_int_equal(esp_transport_read(t, buf, sizeof(buf), 100), ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT);
    assert_int_equal(esp_transport_poll_write(t, 1000), 1);
    assert_int_equal(esp_transport_write(t, "hello", 5, 1000), 5);
    assert_true(esp_transport_poll_read(t, 5000) > 0);
    assert_int_equal(esp_transport_read(t, buf, sizeof(buf), 5000), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(esp_transport_close(t), 0);
    assert_int_equal(esp_transport_get_socket(t), -1);
    assert_int_equal(esp_transport_read(t, buf, sizeof(buf), 100), ERR_TCP_TRANSPORT_CONNECTION_FAILED);
    assert_int_equal(esp_transport_connect(t, "127.0.0.1", p.port, 5000), 0); /* again, after close */
    esp_transport_destroy(t);
    peer_stop(&p);
}

static void test_tcp_peer_closes(void **state)
{
    (void)state;
    peer_t p;
    start_socat(&p, "SYSTEM:echo bye");
    esp_transport_handle_t t = esp_transport_tcp_init();
    assert_int_equal(esp_transport_connect(t, "127.0.0.1", p.port, 5000), 0);
    char buf[16];
    assert_int_equal(esp_transport_read(t, buf, sizeof(buf), 5000), 4);
    int n = esp_transport_read(t, buf, sizeof(buf), 5000);
    assert_int_equal(n, ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN);
    assert_int_equal(esp_transport_translate_error(n), ESP_ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN);
    esp_transport_destroy(t);
    peer_stop(&p);
}

static void test_tcp_refused(void **state)
{
    (void)state;
    esp_transport_handle_t t = esp_transport_tcp_init();
    assert_int_equal(esp_transport_connect(t, "127.0.0.1", peer_free_port(), 2000), -1);
    assert_int_equal(esp_transport_get_error_handle(t)->last_error, ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST);
    assert_int_equal(esp_transport_get_errno(t), ECONNREFUSED);
    assert_int_equal(esp_transport_get_errno(t), 0); /* read and cleared */
    esp_transport_destroy(t);
}

/* connect_async until connected. @return its last result. */
static int connect_async(esp_transport_handle_t t, const char *host, int port)
{
    int rc = 0;
    for (int i = 0; i < 500 && rc == 0; i++) {
        rc = esp_transport_connect_async(t, host, port, 5000);
        if (rc == 0) {
            sleep_ms(10);
        }
    }
    return rc;
}

static void test_tcp_connect_async(void **state)
{
    (void)state;
    peer_t p;
    start_socat(&p, "PIPE");
    esp_transport_handle_t t = esp_transport_tcp_init();
    assert_int_equal(connect_async(t, "127.0.0.1", p.port), 1);
    assert_int_equal(esp_transport_connect_async(t, "127.0.0.1", p.port, 5000), 1); /* stays connected */
    char buf[8];
    assert_int_equal(esp_transport_write(t, "async", 5, 1000), 5);
    assert_int_equal(esp_transport_read(t, buf, sizeof(buf), 5000), 5);
    esp_transport_destroy(t);
    peer_stop(&p);
}

static void test_ssl_get(void **state)
{
    (void)state;
    peer_t p;
    start_www_peer(&p);
    esp_transport_handle_t t = ssl_trusting_ca();
    assert_int_equal(esp_transport_connect(t, "localhost", p.port, 5000), 0);
    static const char request[] = "GET / HTTP/1.0\r\n\r\n";
    assert_int_equal(esp_transport_write(t, request, (int)sizeof(request) - 1, 5000), (int)sizeof(request) - 1);
    char first;
    assert_int_equal(esp_transport_read(t, &first, 1, 5000), 1);
    assert_int_equal(first, 'H');
    assert_true(esp_transport_poll_read(t, 0) > 0); /* the rest of the record is already decrypted */
    static char page[32768];
    assert_int_equal(read_to_end(t, page, sizeof(page)), ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN);
    assert_non_null(strstr(page, "TTP/1.0 200 ok"));
    esp_transport_destroy(t);
    peer_stop(&p);
}

static void test_ssl_verification(void **state)
{
    (void)state;
    peer_t p;
    start_www_peer(&p);
    esp_transport_handle_t t = esp_transport_ssl_init(); /* no trust anchor */
    assert_int_equal(esp_transport_connect(t, "localhost", p.port, 5000), -1);
    assert_int_equal(esp_transport_get_error_handle(t)->last_error, ESP_ERR_MBEDTLS_SSL_SETUP_FAILED);
    int len;
    const char *other = pki_pem("other_ca.pem", &len);
    esp_transport_ssl_set_cert_data(t, other, len);
    assert_int_equal(esp_transport_connect(t, "localhost", p.port, 5000), -1);
    assert_int_equal(esp_transport_get_error_handle(t)->last_error, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    assert_int_not_equal(esp_transport_get_error_handle(t)->esp_tls_flags, 0);
    esp_transport_destroy(t);

    t = ssl_trusting_ca();
    esp_transport_ssl_set_common_name(t, "localhost"); /* the address is not in the certificate */
    assert_int_equal(esp_transport_connect(t, "127.0.0.1", p.port, 5000), 0);
    esp_transport_close(t);
    esp_transport_ssl_set_common_name(t, "wrong.example");
    assert_int_equal(esp_transport_connect(t, "127.0.0.1", p.port, 5000), -1);
    esp_transport_ssl_skip_common_name_check(t);
    esp_transport_ssl_set_common_name(t, NULL);
    assert_int_equal(esp_transport_connect(t, "127.0.0.1", p.port, 5000), 0);
    esp_transport_destroy(t);
    peer_stop(&p);
}

static void test_ssl_mutual_auth(void **state)
{
    (void)state;
    peer_t p;
    const char *extra[] = { "-www", "-tls1_2", "-Verify", "1", "-verify_return_error", "-CAfile",
                            cert_path("ca.pem"), NULL };
    assert_int_equal(peer_start_s_server(&p, "server_ec.pem", "server_ec.key", extra), 0);
    esp_transport_handle_t t = ssl_trusting_ca();
    assert_int_equal(esp_transport_connect(t, "localhost", p.port, 5000), -1); /* no client certificate */
    int cert_len, key_len;
    const char *cert = pki_pem("client.pem", &cert_len), *key = pki_pem("client.key", &key_len);
    esp_transport_ssl_set_client_cert_data(t, cert, cert_len);
    esp_transport_ssl_set_client_key_data(t, key, key_len);
    assert_int_equal(esp_transport_connect(t, "localhost", p.port, 5000), 0);
    static char page[32768];
    get_page(t, page, sizeof(page));
    assert_non_null(strstr(page, "200 ok"));
    esp_transport_destroy(t);
    peer_stop(&p);
}

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
static void test_ssl_session_ticket(void **state)
{
    (void)state;
    peer_t p;
    const char *extra[] = { "-www", "-tls1_2", NULL };
    assert_int_equal(peer_start_s_server(&p, "server_ec.pem", "server_ec.key", extra), 0);
    esp_transport_handle_t t = ssl_trusting_ca();
    assert_int_equal(esp_transport_ssl_session_ticket_operation(t, ESP_TRANSPORT_SESSION_TICKET_SAVE), ESP_FAIL);
    assert_int_equal(esp_transport_connect(t, "localhost", p.port, 5000), 0);
    assert_int_equal(esp_transport_ssl_session_ticket_operation(t, ESP_TRANSPORT_SESSION_TICKET_SAVE), ESP_OK);
    esp_transport_close(t);
    assert_int_equal(esp_transport_ssl_session_ticket_operation(t, ESP_TRANSPORT_SESSION_TICKET_USE), ESP_OK);
    assert_int_equal(esp_transport_connect(t, "localhost", p.port, 5000), 0);
    static char page[32768];
    get_page(t, page, sizeof(page));
    assert_non_null(strstr(page, "Reused, "));
    assert_int_equal(esp_transport_ssl_session_ticket_operation(t, ESP_TRANSPORT_SESSION_TICKET_FREE), ESP_OK);
    assert_int_equal(esp_transport_ssl_session_ticket_operation(NULL, ESP_TRANSPORT_SESSION_TICKET_INIT),
                     ESP_ERR_INVALID_ARG);
    esp_transport_destroy(t);
    peer_stop(&p);
}
#endif

static void test_ssl_connect_async_and_timeout(void **state)
{
    (void)state;
    peer_t p;
    /* A silent echo server. TLS 1.2: a TLS 1.3 server's tickets would make the socket readable. */
    const char *extra[] = { "-tls1_2", NULL };
    assert_int_equal(peer_start_s_server(&p, "server_ec.pem", "server_ec.key", extra), 0);
    esp_transport_handle_t t = ssl_trusting_ca();
    assert_int_equal(connect_async(t, "localhost", p.port), 1);
    char buf[8];
    assert_int_equal(esp_transport_read(t, buf, sizeof(buf), 200), ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT);
    assert_int_equal(esp_transport_poll_read(t, 100), 0);
    esp_transport_destroy(t);
    peer_stop(&p);
}

/* A transport of the caller's: it carries its payload over an inner TCP transport. */
static int outer_connect(esp_transport_handle_t t, const char *host, int port, int timeout_ms)
{
    return esp_transport_connect(esp_transport_get_context_data(t), host, port, timeout_ms);
}

static int outer_read(esp_transport_handle_t t, char *buf, int len, int timeout_ms)
{
    return esp_transport_read(esp_transport_get_context_data(t), buf, len, timeout_ms);
}

static int outer_write(esp_transport_handle_t t, const char *buf, int len, int timeout_ms)
{
    return esp_transport_write(esp_transport_get_context_data(t), buf, len, timeout_ms);
}

static int outer_destroy(esp_transport_handle_t t)
{
    return esp_transport_destroy(esp_transport_get_context_data(t));
}

static esp_transport_handle_t outer_parent(esp_transport_handle_t t)
{
    return esp_transport_get_context_data(t);
}

static void test_custom_transport(void **state)
{
    (void)state;
    peer_t p;
    start_socat(&p, "PIPE");
    esp_transport_handle_t inner = esp_transport_tcp_init(), t = esp_transport_init();
    assert_int_equal(esp_transport_set_context_data(t, inner), ESP_OK);
    assert_int_equal(esp_transport_set_func(t, outer_connect, outer_read, outer_write, NULL, NULL, NULL, outer_destroy),
                     ESP_OK);
    assert_ptr_equal(esp_transport_get_payload_transport_handle(t), t);
    assert_int_equal(esp_transport_set_parent_transport_func(t, outer_parent), ESP_OK);
    assert_ptr_equal(esp_transport_get_payload_transport_handle(t), inner);
    assert_int_equal(esp_transport_connect_async(t, "127.0.0.1", p.port, 100), -1); /* none set */
    assert_int_equal(esp_transport_connect(t, "127.0.0.1", p.port, 5000), 0);
    char buf[8];
    assert_int_equal(esp_transport_write(t, "outer", 5, 1000), 5);
    assert_int_equal(esp_transport_read(t, buf, sizeof(buf), 5000), 5);
    assert_int_equal(esp_transport_poll_read(t, 0), -1); /* none set */
    esp_transport_ssl_set_cert_data(t, "x", 1);           /* not a TLS transport: ignored */
    assert_int_equal(esp_transport_close(t), 0);
    assert_int_equal(esp_transport_destroy(t), ESP_OK);
    peer_stop(&p);
}

/* ---- esp_transport_write_all() ---- */

/* A transport whose writes take at most `chunk` bytes (0: none, as a full socket) and `delay_ms`
 * each, or fail; what it took is collected. */
typedef struct {
    int chunk, delay_ms, calls;
    bool fail;
    char got[256];
    int got_len;
} slow_sink_t;

static int sink_write(esp_transport_handle_t t, const char *buffer, int len, int timeout_ms)
{
    slow_sink_t *s = esp_transport_get_context_data(t);
    s->calls++;
    if (s->fail) {
        return -1;
    }
    int wait = s->chunk == 0 && timeout_ms >= 0 && timeout_ms < s->delay_ms ? timeout_ms : s->delay_ms;
    sleep_ms(wait);
    int n = len < s->chunk ? len : s->chunk;
    n = n < (int)sizeof(s->got) - s->got_len ? n : (int)sizeof(s->got) - s->got_len;
    memcpy(s->got + s->got_len, buffer, (size_t)n);
    s->got_len += n;
    return n;
}

static esp_transport_handle_t sink_transport(slow_sink_t *s)
{
    esp_transport_handle_t t = esp_transport_init();
    assert_non_null(t);
    esp_transport_set_context_data(t, s);
    esp_transport_set_func(t, NULL, NULL, sink_write, NULL, NULL, NULL, NULL);
    return t;
}

/* Short writes are continued until all is written, in order. */
static void test_write_all_continues_short_writes(void **state)
{
    (void)state;
    slow_sink_t s = { .chunk = 7 };
    esp_transport_handle_t t = sink_transport(&s);
    char data[100];
    for (int i = 0; i < (int)sizeof(data); i++) {
        data[i] = (char)('a' + i % 26);
    }
    assert_int_equal(esp_transport_write_all(t, data, sizeof(data), 1000), sizeof(data));
    assert_int_equal(s.got_len, sizeof(data));
    assert_memory_equal(s.got, data, sizeof(data));
    assert_int_equal(s.calls, 15);
    assert_int_equal(esp_transport_write_all(t, data, 0, 0), 0);
    s.fail = true;
    assert_int_equal(esp_transport_write_all(t, data, sizeof(data), 1000), -1); /* a failed write */
    assert_int_equal(esp_transport_write_all(NULL, data, 1, 1000), -1);
    assert_int_equal(esp_transport_write_all(t, NULL, 1, 1000), -1);
    assert_int_equal(esp_transport_write_all(t, data, -1, 1000), -1);
    esp_transport_destroy(t);
}

/* One deadline covers all the writes: each write here makes progress within its own time, yet
 * the whole takes longer than timeout_ms, so the call fails once the deadline passed. */
static void test_write_all_one_deadline(void **state)
{
    (void)state;
    slow_sink_t s = { .chunk = 1, .delay_ms = 30 };
    esp_transport_handle_t t = sink_transport(&s);
    char data[100] = { 0 };
    int64_t start = esp_deadline_now_ms();
    assert_int_equal(esp_transport_write_all(t, data, sizeof(data), 200), -1);
    assert_true(esp_deadline_now_ms() - start >= 200);
    assert_true(s.got_len < (int)sizeof(data));
    esp_transport_destroy(t);

    s = (slow_sink_t){ .chunk = 0, .delay_ms = 10 }; /* stays full: each write times out */
    t = sink_transport(&s);
    start = esp_deadline_now_ms();
    assert_int_equal(esp_transport_write_all(t, data, sizeof(data), 150), -1);
    assert_true(esp_deadline_now_ms() - start >= 150);
    esp_transport_destroy(t);
}

/* Over TCP to a peer that never reads: the socket buffers fill and the deadline ends the call. */
static void test_write_all_to_a_peer_that_never_reads(void **state)
{
    (void)state;
    peer_t p;
    assert_int_equal(peer_listen_silent(&p), 0);
    esp_transport_handle_t t = esp_transport_tcp_init();
    assert_int_equal(esp_transport_connect(t, "127.0.0.1", p.port, 5000), 0);
    enum { BIG = 64 * 1024 * 1024 };
    char *data = calloc(1, BIG);
    assert_non_null(data);
    int64_t start = esp_deadline_now_ms();
    assert_int_equal(esp_transport_write_all(t, data, BIG, 300), -1);
    assert_true(esp_deadline_now_ms() - start >= 300);
    free(data);
    esp_transport_destroy(t);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_and_items),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_tcp_echo),
        cmocka_unit_test(test_tcp_peer_closes),
        cmocka_unit_test(test_tcp_refused),
        cmocka_unit_test(test_tcp_connect_async),
        cmocka_unit_test(test_ssl_get),
        cmocka_unit_test(test_ssl_verification),
        cmocka_unit_test(test_ssl_mutual_auth),
#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
        cmocka_unit_test(test_ssl_session_ticket),
#endif
        cmocka_unit_test(test_ssl_connect_async_and_timeout),
        cmocka_unit_test(test_custom_transport),
        cmocka_unit_test(test_write_all_continues_short_writes),
        cmocka_unit_test(test_write_all_one_deadline),
        cmocka_unit_test(test_write_all_to_a_peer_that_never_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
