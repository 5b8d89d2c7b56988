/* The WebSocket transport against npm's ws server (tests/ws_server.js), over TCP and TLS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "esp_transport_ssl.h"
#include "esp_transport_tcp.h"
#include "esp_transport_ws.h"
#include "tls_test.h"

static struct {
    peer_t peer;
    int ws_port, wss_port;
    char port_file[64];
} server;

static int start_server(void **state)
{
    (void)state;
    snprintf(server.port_file, sizeof(server.port_file), "/tmp/portls-ws-%d", (int)getpid());
    unlink(server.port_file);
    setenv("NODE_PATH", PORTLS_NODE_PATH, 1);
    const char *argv[] = { PORTLS_NODE, PORTLS_WS_SERVER, cert_path("server_ec.pem"), cert_path("server_ec.key"),
                           server.port_file, NULL };
    assert_int_equal(peer_spawn(&server.peer, argv, "/dev/null"), 0);
    FILE *f = NULL;
    for (int waited = 0; f == NULL && waited < 10000; waited += 20) {
        nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000000 }, NULL);
        f = fopen(server.port_file, "r");
    }
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d %d", &server.ws_port, &server.wss_port), 2);
    fclose(f);
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    peer_stop(&server.peer);
    unlink(server.port_file);
    return 0;
}

typedef struct {
    esp_transport_handle_t parent, ws;
} ws_pair_t;

static ws_pair_t open_ws(bool tls, const esp_transport_ws_config_t *config)
{
    ws_pair_t p = { .parent = tls ? esp_transport_ssl_init() : esp_transport_tcp_init() };
    if (tls) {
        int len;
        const char *ca = pki_pem("ca.pem", &len);
        esp_transport_ssl_set_cert_data(p.parent, ca, len);
    }
    p.ws = esp_transport_ws_init(p.parent);
    assert_non_null(p.ws);
    esp_transport_ws_config_t defaults = { .ws_path = "/echo" };
    assert_int_equal(esp_transport_ws_set_config(p.ws, config != NULL ? config : &defaults), ESP_OK);
    assert_int_equal(esp_transport_connect(p.ws, "localhost", tls ? server.wss_port : server.ws_port, 5000), 0);
    assert_int_equal(esp_transport_ws_get_upgrade_request_status(p.ws), 101);
    return p;
}

static void close_ws(ws_pair_t *p)
{
    esp_transport_destroy(p->ws);
    esp_transport_destroy(p->parent); /* the WebSocket transport leaves its parent alone */
}

/* One whole message: reads until len bytes came (skipping empty control-frame reads). */
static int read_message(esp_transport_handle_t ws, char *buf, int len)
{
    int got = 0;
    while (got < len) {
        int n = esp_transport_read(ws, buf + got, len - got, 5000);
        if (n < 0) {
            return n;
        }
        if (n == 0 && esp_transport_ws_get_read_opcode(ws) < WS_TRANSPORT_OPCODES_CLOSE) {
            break;
        }
        got += n;
        if (got == esp_transport_ws_get_read_payload_len(ws) && esp_transport_ws_get_fin_flag(ws)) {
            break;
        }
    }
    return got;
}

static void test_echo_text_binary_and_fragments(void **state)
{
    (void)state;
    for (int tls = 0; tls < 2; tls++) {
        ws_pair_t p = open_ws(tls, NULL);
        char buf[64] = { 0 };
        assert_int_equal(esp_transport_ws_send_raw(p.ws, WS_TRANSPORT_OPCODES_TEXT | WS_TRANSPORT_OPCODES_FIN, "hello", 5,
                                                   1000),
                         5);
        assert_int_equal(read_message(p.ws, buf, sizeof(buf)), 5);
        assert_memory_equal(buf, "hello", 5);
        assert_int_equal(esp_transport_ws_get_read_opcode(p.ws), WS_TRANSPORT_OPCODES_TEXT);
        assert_true(esp_transport_ws_get_fin_flag(p.ws));

        assert_int_equal(esp_transport_write(p.ws, "\x01\x02\x03", 3, 1000), 3);
        assert_int_equal(read_message(p.ws, buf, sizeof(buf)), 3);
        assert_int_equal(esp_transport_ws_get_read_opcode(p.ws), WS_TRANSPORT_OPCODES_BINARY);

        esp_transport_ws_send_raw(p.ws, WS_TRANSPORT_OPCODES_TEXT, "frag-", 5, 1000);
        esp_transport_ws_send_raw(p.ws, WS_TRANSPORT_OPCODES_CONT, "ment-", 5, 1000);
        esp_transport_ws_send_raw(p.ws, WS_TRANSPORT_OPCODES_CONT | WS_TRANSPORT_OPCODES_FIN, "ed", 2, 1000);
        assert_int_equal(read_message(p.ws, buf, sizeof(buf)), 12);
        assert_memory_equal(buf, "frag-ment-ed", 12); /* the server reassembled it */
        close_ws(&p);
    }
}

static void test_large_message_streams(void **state)
{
    (void)state;
    enum { SIZE = 1024 * 1024 };
    char *out = malloc(SIZE), *in = malloc(4096);
    for (int i = 0; i < SIZE; i++) {
        out[i] = (char)(i % 253);
    }
    ws_pair_t p = open_ws(true, NULL);
    assert_int_equal(esp_transport_write(p.ws, out, SIZE, 5000), SIZE);
    int total = 0;
    while (total < SIZE) {
        int n = esp_transport_read(p.ws, in, 4096, 5000); /* the frame comes over many reads */
        assert_true(n > 0);
        assert_int_equal(esp_transport_ws_get_read_payload_len(p.ws), SIZE);
        assert_memory_equal(in, out + total, (size_t)n);
        total += n;
    }
    close_ws(&p);
    free(out);
    free(in);
}

static void test_ping_pong(void **state)
{
    (void)state;
    char buf[64] = { 0 };
    ws_pair_t p = open_ws(false, NULL); /* answered by the transport */
    esp_transport_ws_send_raw(p.ws, WS_TRANSPORT_OPCODES_TEXT | WS_TRANSPORT_OPCODES_FIN, "ping-me", 7, 1000);
    assert_int_equal(esp_transport_read(p.ws, buf, sizeof(buf), 5000), 0);
    assert_int_equal(esp_transport_ws_get_read_opcode(p.ws), WS_TRANSPORT_OPCODES_PING);
    assert_int_equal(read_message(p.ws, buf, sizeof(buf)), 10);
    assert_memory_equal(buf, "pong:hello", 10);
    close_ws(&p);

    esp_transport_ws_config_t config = { .ws_path = "/echo", .propagate_control_frames = true };
    p = open_ws(false, &config); /* handed to the caller */
    esp_transport_ws_send_raw(p.ws, WS_TRANSPORT_OPCODES_TEXT | WS_TRANSPORT_OPCODES_FIN, "ping-me", 7, 1000);
    assert_int_equal(esp_transport_read(p.ws, buf, sizeof(buf), 5000), 5);
    assert_int_equal(esp_transport_ws_get_read_opcode(p.ws), WS_TRANSPORT_OPCODES_PING);
    assert_memory_equal(buf, "hello", 5);
    esp_transport_ws_send_raw(p.ws, WS_TRANSPORT_OPCODES_PONG | WS_TRANSPORT_OPCODES_FIN, "manual", 6, 1000);
    assert_int_equal(read_message(p.ws, buf, sizeof(buf)), 11);
    assert_memory_equal(buf, "pong:manual", 11);
    close_ws(&p);
}

static void test_close_handshake(void **state)
{
    (void)state;
    esp_transport_ws_config_t config = { .ws_path = "/echo", .propagate_control_frames = true };
    ws_pair_t p = open_ws(true, &config);
    const char code[] = { 0x03, (char)0xe8 }; /* 1000, normal closure */
    assert_int_equal(esp_transport_ws_send_raw(p.ws, WS_TRANSPORT_OPCODES_CLOSE | WS_TRANSPORT_OPCODES_FIN, code, 2, 1000),
                     2);
    char buf[8];
    assert_int_equal(esp_transport_read(p.ws, buf, sizeof(buf), 5000), 2);
    assert_int_equal(esp_transport_ws_get_read_opcode(p.ws), WS_TRANSPORT_OPCODES_CLOSE);
    assert_memory_equal(buf, code, 2);
    assert_int_equal(esp_transport_ws_poll_connection_closed(p.ws, 5000), 1);
    close_ws(&p);
}

static int hook_lines;

static void count_line(void *ctx, const char *line, int len)
{
    (void)line;
    (void)len;
    *(int *)ctx += 1;
}

static void test_upgrade_options(void **state)
{
    (void)state;
    static char response[1024];
    esp_transport_ws_config_t config = { .ws_path = "/echo", .sub_protocol = "portls", .user_agent = "portls-test",
                                         .headers = "X-Portls: yes\r\n", .auth = "Bearer abc",
                                         .response_headers = response, .response_headers_len = sizeof(response),
                                         .header_hook = count_line, .header_user_context = &hook_lines };
    ws_pair_t p = open_ws(false, &config);
    assert_non_null(strstr(response, "Sec-WebSocket-Protocol: portls"));
    assert_true(hook_lines >= 3);
    static char json[4096];
    esp_transport_ws_send_raw(p.ws, WS_TRANSPORT_OPCODES_TEXT | WS_TRANSPORT_OPCODES_FIN, "headers", 7, 1000);
    assert_true(read_message(p.ws, json, sizeof(json) - 1) > 0);
    assert_non_null(strstr(json, "\"x-portls\":\"yes\""));
    assert_non_null(strstr(json, "\"authorization\":\"Bearer abc\""));
    assert_non_null(strstr(json, "\"user-agent\":\"portls-test\""));
    close_ws(&p);
}

static void test_refusals(void **state)
{
    (void)state;
    esp_transport_handle_t tcp = esp_transport_tcp_init(), ws = esp_transport_ws_init(tcp);
    assert_int_equal(esp_transport_ws_set_path(ws, "/redirect"), ESP_OK);
    assert_int_equal(esp_transport_connect(ws, "localhost", server.ws_port, 5000), -1);
    assert_int_equal(esp_transport_ws_get_upgrade_request_status(ws), 302);
    assert_string_equal(esp_transport_ws_get_redir_uri(ws), "/echo");
    esp_transport_destroy(ws);
    esp_transport_destroy(tcp);

    esp_transport_handle_t ssl = esp_transport_ssl_init(); /* wss with the wrong CA */
    int len;
    const char *other = pki_pem("other_ca.pem", &len);
    esp_transport_ssl_set_cert_data(ssl, other, len);
    ws = esp_transport_ws_init(ssl);
    assert_int_equal(esp_transport_connect(ws, "localhost", server.wss_port, 5000), -1);
    assert_int_equal(esp_transport_get_error_handle(ws)->last_error, ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED);
    esp_transport_destroy(ws);
    esp_transport_destroy(ssl);

    assert_null(esp_transport_ws_init(NULL));
    assert_int_equal(esp_transport_ws_set_path(NULL, "/"), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_transport_ws_send_raw(NULL, WS_TRANSPORT_OPCODES_TEXT, "x", 1, 100), -1);
    assert_int_equal(esp_transport_ws_get_read_opcode(NULL), WS_TRANSPORT_OPCODES_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_text_binary_and_fragments),
        cmocka_unit_test(test_large_message_streams),
        cmocka_unit_test(test_ping_pong),
        cmocka_unit_test(test_close_handshake),
        cmocka_unit_test(test_upgrade_options),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
