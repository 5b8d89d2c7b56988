/* The WebSocket transport against npm's ws server (tests/ws_server.js), over TCP and TLS; and
 * against a server on a thread that sends what ws never would, for the refusals. */
#include <malloc.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "esp_transport_ssl.h"
#include "esp_transport_tcp.h"
#include "esp_transport_ws.h"
#include "tls_test.h"

static struct {
    peer_t peer;
    int ws_port, wss_port, ws6_port; /* ws6: plain, on ::1 */
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
        sleep_ms(20);
        f = fopen(server.port_file, "r");
    }
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d %d %d", &server.ws_port, &server.wss_port, &server.ws6_port), 3);
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

static ws_pair_t open_ws_at(const char *host, int port, bool tls, const esp_transport_ws_config_t *config)
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
    assert_int_equal(esp_transport_connect(p.ws, host, port, 5000), 0);
    assert_int_equal(esp_transport_ws_get_upgrade_request_status(p.ws), 101);
    return p;
}

static ws_pair_t open_ws(bool tls, const esp_transport_ws_config_t *config)
{
    return open_ws_at("localhost", tls ? server.wss_port : server.ws_port, tls, config);
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

/* glibc's count of bytes in use; AddressSanitizer's allocator does not report to it, so the
 * test that reads it exists only in builds without it. */
#if !defined(__SANITIZE_ADDRESS__)
#define MALLINFO_COUNTS

/* The 4 KiB upgrade-response buffer lives only through the upgrade: a connected transport pair
 * (TCP and WebSocket) holds well under it (each transport held 4.2 KB before). */
static void test_idle_connection_holds_no_head_buffer(void **state)
{
    (void)state;
    size_t before = mallinfo2().uordblks;
    ws_pair_t p = open_ws(false, NULL);
    char buf[8];
    assert_int_equal(esp_transport_write(p.ws, "idle", 4, 1000), 4);
    assert_int_equal(read_message(p.ws, buf, sizeof(buf)), 4);
    size_t held = mallinfo2().uordblks - before;
    print_message("a connected TCP + WebSocket transport pair holds %zu bytes\n", held);
    assert_true(held < 2048);
    close_ws(&p);
}
#endif

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

/* The upgrade's Host header keeps an IPv6 literal's brackets, as a URL writes it. */
static void test_ipv6_host(void **state)
{
    (void)state;
    ws_pair_t p = open_ws_at("::1", server.ws6_port, false, NULL);
    static char json[4096];
    esp_transport_ws_send_raw(p.ws, WS_TRANSPORT_OPCODES_TEXT | WS_TRANSPORT_OPCODES_FIN, "headers", 7, 1000);
    assert_true(read_message(p.ws, json, sizeof(json) - 1) > 0);
    char want[64];
    snprintf(want, sizeof(want), "\"host\":\"[::1]:%d\"", server.ws6_port);
    assert_non_null(strstr(json, want));
    close_ws(&p);
}

/* ---- a server on a thread: an upgrade response and a frame, as each case says ---- */

typedef struct {
    int listen_fd;
    const char *head;  /* the response's head; "%s" stands for the accept value the key calls for */
    const char *frame; /* sent right after the head, or NULL */
    size_t frame_len;
} raw_case_t;

/* base64(SHA-1(key + GUID)) for the key in request (RFC 6455 4.2.2), by OpenSSL; "" without one. */
static void accept_for_request(const char *request, char *accept, size_t len)
{
    static const char name[] = "Sec-WebSocket-Key: ";
    const char *key = strstr(request, name);
    accept[0] = '\0';
    if (key == NULL || len < 4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1) {
        return;
    }
    key += sizeof(name) - 1;
    char joined[128];
    int n = snprintf(joined, sizeof(joined), "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)strcspn(key, "\r"), key);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)joined, (size_t)n, digest);
    EVP_EncodeBlock((unsigned char *)accept, digest, sizeof(digest));
}

/* One connection: reads the upgrade request, answers as the case says, then holds the connection
 * until the client closes it, so that the client's verdict comes from what it read. */
static void *serve_case(void *arg)
{
    const raw_case_t *c = arg;
    int fd = accept(c->listen_fd, NULL, NULL);
    if (fd < 0) {
        return NULL;
    }
    char request[4096] = "", accept_value[64], head[1024];
    size_t got = 0;
    while (got < sizeof(request) - 1 && strstr(request, "\r\n\r\n") == NULL) {
        ssize_t n = read(fd, request + got, sizeof(request) - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
        request[got] = '\0';
    }
    accept_for_request(request, accept_value, sizeof(accept_value));
    int head_len = snprintf(head, sizeof(head), c->head, accept_value);
    bool sent = write(fd, head, (size_t)head_len) == head_len &&
                (c->frame == NULL || write(fd, c->frame, c->frame_len) == (ssize_t)c->frame_len);
    if (sent) {
        peer_drain(fd); /* until the client closes */
    }
    close(fd);
    return NULL;
}

/* Connects a WebSocket transport to a server playing c and, when c has a frame, reads once.
 * @return the connect's result; the read's goes to *read_rc. */
static int run_case(raw_case_t *c, int *read_rc)
{
    int port;
    c->listen_fd = peer_listen_loopback(&port);
    assert_true(c->listen_fd >= 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, serve_case, c), 0);
    esp_transport_handle_t tcp = esp_transport_tcp_init(), ws = esp_transport_ws_init(tcp);
    int rc = esp_transport_connect(ws, "127.0.0.1", port, 5000);
    char buf[16];
    *read_rc = rc == 0 && c->frame != NULL ? esp_transport_read(ws, buf, sizeof(buf), 5000) : 0;
    esp_transport_destroy(ws);
    esp_transport_destroy(tcp); /* closes the connection: the server's thread ends */
    pthread_join(thread, NULL);
    close(c->listen_fd);
    return rc;
}

#define GOOD_HEAD                                                                                                      \
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"

/* RFC 6455 4.1: the exact accept value, Upgrade: websocket and Connection: Upgrade, the tokens in
 * any case and Connection a list. */
static void test_upgrade_response_checks(void **state)
{
    (void)state;
    static const char *const accepted[] = {
        GOOD_HEAD,
        "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\nsec-websocket-accept:\t %s \r\n\r\n",
        "HTTP/1.1 101 OK\r\nConnection: keep-alive\r\nConnection: UPGRADE\r\nUpgrade: websocket\r\n"
        "Sec-WebSocket-Accept: %s\r\n\r\n",
    };
    static const char *const refused[] = {
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %sx\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x%s\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n"
        "Sec-WebSocket-Accept: %s\r\n\r\n",
        "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: websockets\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: h2c, websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: %s\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgraded\r\nSec-WebSocket-Accept: %s\r\n\r\n",
    };
    int read_rc;
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        raw_case_t c = { .head = accepted[i] };
        if (run_case(&c, &read_rc) != 0) {
            fail_msg("refused: %s", accepted[i]);
        }
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        raw_case_t c = { .head = refused[i] };
        if (run_case(&c, &read_rc) != -1) {
            fail_msg("accepted: %s", refused[i]);
        }
    }
}

/* No extension was negotiated, so a frame with an RSV bit is an error (5.2), and so is a reserved
 * opcode (3-7, 0xB-0xF); as are a mask (5.1), a length above 2^31, and a control frame that is
 * fragmented or over 125 bytes (5.5). */
static void test_forbidden_frames(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
    } frames[] = {
        { "\xc1\x02hi", 4 }, { "\xa1\x02hi", 4 }, { "\x91\x02hi", 4 }, /* RSV1, RSV2, RSV3 */
        { "\x83\x02hi", 4 }, { "\x87\x02hi", 4 }, { "\x8b\x00", 2 }, { "\x8f\x00", 2 }, /* opcodes */
        { "\x81\x82\x01\x02\x03\x04hi", 8 },                                /* masked */
        { "\x82\x7f\x00\x00\x00\x00\x80\x00\x00\x00", 10 },                 /* 2^31 bytes */
        { "\x09\x00", 2 }, { "\x89\x7e\x00\x7e", 4 },                         /* control frames */
    };
    int read_rc;
    raw_case_t good = { .head = GOOD_HEAD, .frame = "\x81\x02hi", .frame_len = 4 };
    assert_int_equal(run_case(&good, &read_rc), 0);
    assert_int_equal(read_rc, 2); /* the same server, a valid frame: read */
    for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
        raw_case_t c = { .head = GOOD_HEAD, .frame = frames[i].bytes, .frame_len = frames[i].len };
        assert_int_equal(run_case(&c, &read_rc), 0);
        if (read_rc >= 0) {
            fail_msg("frame %zu (0x%02x): read gave %d", i, (unsigned char)frames[i].bytes[0], read_rc);
        }
    }
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
#ifdef MALLINFO_COUNTS
        cmocka_unit_test(test_idle_connection_holds_no_head_buffer),
#endif
        cmocka_unit_test(test_large_message_streams),
        cmocka_unit_test(test_ping_pong),
        cmocka_unit_test(test_close_handshake),
        cmocka_unit_test(test_upgrade_options),
        cmocka_unit_test(test_ipv6_host),
        cmocka_unit_test(test_upgrade_response_checks),
        cmocka_unit_test(test_forbidden_frames),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
