/* Session resumption: the portls client against openssl s_server (TLS 1.2 tickets and session
 * IDs, TLS 1.3 tickets), s_client against the portls server, and sessions the server refuses. */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS /* to tamper with a saved ticket */

#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "echo_server.h"
#include "mbedtls/psa_util.h"
#include "tls_test.h"

static void start_www(peer_t *p, const char *version_flag, bool tickets)
{
    const char *extra[] = { "-www", version_flag, tickets ? NULL : "-no_ticket", NULL };
    assert_int_equal(peer_start_s_server(p, "server_ec.pem", "server_ec.key", extra), 0);
}

/* One GET to the -www peer, offering session (or none). page receives the status page. */
static esp_tls_t *get_page(const peer_t *p, esp_tls_client_session_t *session, char *page, size_t len)
{
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .client_session = session };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    assert_int_equal(connect_peer(p, "localhost", &cfg, &tls), 1);
    assert_true(www_get(tls, page, len) > 0);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_OK);
    return tls;
}

/* Full handshake, save the session, resume it; both sides must agree that it resumed. */
static void expect_resumption(const char *version_flag, bool tickets)
{
    peer_t p;
    start_www(&p, version_flag, tickets);
    char page[4096];
    esp_tls_t *tls = get_page(&p, NULL, page, sizeof(page));
    assert_non_null(strstr(page, "New, "));
    assert_false(esp_tls_session_was_resumed(tls));
    esp_tls_client_session_t *session = esp_tls_get_client_session(tls);
    assert_non_null(session);
    esp_tls_conn_destroy(tls);

    tls = get_page(&p, session, page, sizeof(page));
    assert_non_null(strstr(page, "Reused, "));
    assert_true(esp_tls_session_was_resumed(tls));
    esp_tls_conn_destroy(tls);
    esp_tls_free_client_session(session);
    peer_stop(&p);
}

static void test_resume_tls12_ticket(void **state)
{
    (void)state;
    expect_resumption("-tls1_2", true);
}

static void test_resume_tls12_session_id(void **state)
{
    (void)state;
    expect_resumption("-tls1_2", false);
}

static void test_resume_tls13_ticket(void **state)
{
    (void)state;
    expect_resumption("-tls1_3", true);
}

/* esp_tls_get_client_session() until the server's TLS 1.3 ticket has come, waiting for the
 * socket between tries (the call takes a ticket that is there); NULL after 10 s. */
static esp_tls_client_session_t *await_session(esp_tls_t *tls)
{
    int fd;
    assert_int_equal(esp_tls_get_conn_sockfd(tls, &fd), ESP_OK);
    esp_deadline_t deadline = esp_deadline_in_ms(10000);
    for (;;) {
        esp_tls_client_session_t *session = esp_tls_get_client_session(tls);
        int left = esp_deadline_ms_left(deadline);
        if (session != NULL || left == 0) {
            return session;
        }
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        poll(&pfd, 1, left);
    }
}

/* TLS 1.3: the ticket arrives after the handshake. Before any read, get_client_session takes it
 * from the socket if it is there, and leaves application data alone. */
static void test_tls13_session_without_a_read(void **state)
{
    (void)state;
    peer_t p;
    start_www(&p, "-tls1_3", true);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), 1);
    esp_tls_client_session_t *session = await_session(tls);
    assert_non_null(session);
    char page[4096];
    assert_true(www_get(tls, page, sizeof(page)) > 0); /* the connection still works */
    esp_tls_conn_destroy(tls);

    tls = get_page(&p, session, page, sizeof(page));
    assert_true(esp_tls_session_was_resumed(tls));
    esp_tls_conn_destroy(tls);
    esp_tls_free_client_session(session);
    peer_stop(&p);
}

/* openssl s_server -rev sends each line back reversed. TLS 1.3, four tickets, which it sends
 * right after the handshake. */
static void start_rev_peer(peer_t *p)
{
    const char *extra[] = { "-rev", "-tls1_3", "-num_tickets", "4", NULL };
    assert_int_equal(peer_start_s_server(p, "server_ec.pem", "server_ec.key", extra), 0);
}

/* mbedtls_ssl_write() on the context, as a caller of esp_tls_get_ssl_context() would, until all
 * of buf went. WANT_READ comes without the socket blocking when mbedTLS parked a ticket. */
static void direct_write(mbedtls_ssl_context *ssl, const char *buf, size_t len, int *tickets)
{
    size_t done = 0;
    for (int retries = 0; done < len && retries < 8;) {
        int ret = mbedtls_ssl_write(ssl, (const unsigned char *)buf + done, len - done);
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            (*tickets)++;
        } else if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            retries++;
        } else {
            assert_true(ret > 0);
            done += (size_t)ret;
        }
    }
    assert_int_equal(done, len);
}

/* mbedtls_ssl_read() on the context until len bytes came, counting the tickets it reports. The
 * socket's receive timeout (timeout_ms) bounds each wait. */
static void direct_read(mbedtls_ssl_context *ssl, char *buf, size_t len, int *tickets)
{
    size_t got = 0;
    for (int retries = 0; got < len && retries < 8;) {
        int ret = mbedtls_ssl_read(ssl, (unsigned char *)buf + got, len - got);
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            (*tickets)++;
        } else if (ret == MBEDTLS_ERR_SSL_WANT_READ) {
            retries++;
        } else {
            assert_true(ret > 0);
            got += (size_t)ret;
        }
    }
    assert_int_equal(got, len);
}

/* Reads exactly len bytes with esp_tls_conn_read(). */
static void conn_read_exactly(esp_tls_t *tls, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = esp_tls_conn_read(tls, buf + got, len - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
}

/* esp_tls_get_ssl_context() serves mbedtls_ssl_read() and mbedtls_ssl_write() on TLS 1.3 while
 * and after tickets arrive, though portls freed the handshake state, and portls's own calls
 * carry on between them: a ticket a direct read parked is taken by esp_tls_conn_write() and
 * saved; the direct reads report the other three. The long line is larger than the idle output
 * buffer of a dynamic-buffer build (make test-small runs this too). */
static void test_tls13_direct_context_use_with_tickets(void **state)
{
    (void)state;
    peer_t p;
    start_rev_peer(&p);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), 1);
    mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
    assert_non_null(ssl);
    int fd;
    assert_int_equal(esp_tls_get_conn_sockfd(tls, &fd), ESP_OK);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    assert_int_equal(poll(&pfd, 1, 10000), 1); /* the tickets are on their way */
    unsigned char none[1];
    assert_int_equal(mbedtls_ssl_read(ssl, none, sizeof(none)), MBEDTLS_ERR_SSL_WANT_READ); /* parked */

    assert_int_equal(esp_tls_conn_write(tls, "xyz\n", 4), 4);
    char reply[4];
    int tickets = 0;
    direct_read(ssl, reply, sizeof(reply), &tickets);
    assert_memory_equal(reply, "zyx\n", 4);
    assert_int_equal(tickets, 3);
    esp_tls_client_session_t *session = esp_tls_get_client_session(tls);
    assert_non_null(session);

    static char line[3001], back[3001];
    for (size_t i = 0; i + 1 < sizeof(line); i++) {
        line[i] = (char)('a' + i % 26);
    }
    line[sizeof(line) - 1] = '\n';
    direct_write(ssl, line, sizeof(line), &tickets);
    direct_read(ssl, back, sizeof(back), &tickets);
    for (size_t i = 0; i + 1 < sizeof(line); i++) {
        assert_int_equal(back[i], line[sizeof(line) - 2 - i]);
    }
    assert_int_equal(esp_tls_conn_write(tls, line, sizeof(line)), (ssize_t)sizeof(line));
    conn_read_exactly(tls, back, sizeof(back));
    assert_int_equal(back[0], line[sizeof(line) - 2]);
    assert_int_equal(tickets, 3);
    esp_tls_conn_destroy(tls);

    cfg.client_session = session; /* the ticket the write took resumes */
    assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), 1);
    assert_true(esp_tls_session_was_resumed(tls));
    esp_tls_conn_destroy(tls);
    esp_tls_free_client_session(session);
    peer_stop(&p);
}

/* A ticket the server cannot decrypt is refused: a full handshake follows, with no error. */
static void expect_tampered_ticket_refused(const char *version_flag)
{
    peer_t p;
    start_www(&p, version_flag, true);
    char page[4096];
    esp_tls_t *tls = get_page(&p, NULL, page, sizeof(page));
    esp_tls_client_session_t *session = esp_tls_get_client_session(tls);
    esp_tls_conn_destroy(tls);
    assert_non_null(session);
    assert_non_null(session->saved_session.ticket);
    session->saved_session.ticket[session->saved_session.ticket_len / 2] ^= 0x5a;

    tls = get_page(&p, session, page, sizeof(page));
    assert_non_null(strstr(page, "New, "));
    assert_false(esp_tls_session_was_resumed(tls));
    esp_tls_conn_destroy(tls);
    esp_tls_free_client_session(session);
    peer_stop(&p);
}

static void test_tampered_ticket_gives_full_handshake(void **state)
{
    (void)state;
    expect_tampered_ticket_refused("-tls1_2");
    expect_tampered_ticket_refused("-tls1_3");
}

static void test_no_session_before_connect(void **state)
{
    (void)state;
    esp_tls_t *tls = esp_tls_init();
    assert_null(esp_tls_get_client_session(NULL));
    assert_null(esp_tls_get_client_session(tls));
    assert_false(esp_tls_session_was_resumed(NULL));
    assert_false(esp_tls_session_was_resumed(tls));
    esp_tls_free_client_session(NULL);
    esp_tls_conn_destroy(tls);
}

/* s_client -sess_out, then -sess_in, against a portls server with tickets. */
static void s_client_twice(esp_tls_cfg_server_t *cfg, const char *version_flag, int pause_ms, echo_server_t *srv,
                           char *second_out, size_t len)
{
    char sess[] = "/tmp/portls-sess-XXXXXX";
    int fd = mkstemp(sess);
    assert_true(fd >= 0);
    close(fd);
    echo_server_start(srv, cfg, 2);
    const char *first[] = { version_flag, "-CAfile", cert_path("ca.pem"), "-sess_out", sess, NULL };
    char out[8192];
    assert_int_equal(run_s_client(srv->port, first, "one\n", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "New, "));
    sleep_ms(pause_ms);
    const char *second[] = { version_flag, "-CAfile", cert_path("ca.pem"), "-sess_in", sess, NULL };
    assert_int_equal(run_s_client(srv->port, second, "two\n", second_out, len), 0);
    echo_server_join(srv);
    unlink(sess);
}

static void test_s_client_resumes_with_portls_server(void **state)
{
    (void)state;
    const char *flags[] = { "-tls1_2", "-tls1_3" };
    for (int v = 0; v < 2; v++) {
        esp_tls_cfg_server_t cfg = server_cfg();
        assert_int_equal(esp_tls_cfg_server_session_tickets_init(&cfg), ESP_OK);
        echo_server_t srv = { 0 };
        char out[8192];
        s_client_twice(&cfg, flags[v], 0, &srv, out, sizeof(out));
        assert_non_null(strstr(out, "Reused, "));
        assert_false(srv.result[0].resumed);
        assert_true(srv.result[1].resumed);
        esp_tls_cfg_server_session_tickets_free(&cfg);
    }
}

/* Tickets that live one second, used after 1.5 s: refused, full handshake. */
static void test_expired_ticket_gives_full_handshake(void **state)
{
    (void)state;
    const char *flags[] = { "-tls1_2", "-tls1_3" };
    for (int v = 0; v < 2; v++) {
        esp_tls_server_session_ticket_ctx_t ticket;
        mbedtls_ssl_ticket_init(&ticket.ticket_ctx);
        assert_int_equal(mbedtls_ssl_ticket_setup(&ticket.ticket_ctx, mbedtls_psa_get_random,
                                                  MBEDTLS_PSA_RANDOM_STATE, MBEDTLS_CIPHER_AES_256_GCM, 1), 0);
        esp_tls_cfg_server_t cfg = server_cfg();
        cfg.ticket_ctx = &ticket;
        echo_server_t srv = { 0 };
        char out[8192];
        s_client_twice(&cfg, flags[v], 1500, &srv, out, sizeof(out));
        assert_non_null(strstr(out, "New, "));
        assert_int_equal(srv.result[1].create_rc, 0);
        assert_false(srv.result[1].resumed);
        mbedtls_ssl_ticket_free(&ticket.ticket_ctx);
    }
}

/* The portls client resumes against the portls server, in both versions. */
static void test_portls_to_portls_resumption(void **state)
{
    (void)state;
    check_portls_resumption(ESP_TLS_VER_TLS_1_2);
    check_portls_resumption(ESP_TLS_VER_TLS_1_3);
}

/* The TLS 1.3 server sends its ticket as part of the handshake, not with its first write. */
static void test_portls_server_ticket_comes_with_handshake(void **state)
{
    (void)state;
    esp_tls_cfg_server_t cfg = server_cfg();
    assert_int_equal(esp_tls_cfg_server_session_tickets_init(&cfg), ESP_OK);
    echo_server_t srv = { 0 };
    echo_server_start(&srv, &cfg, 1);
    esp_tls_cfg_t client = { .timeout_ms = 5000, .tls_version = ESP_TLS_VER_TLS_1_3 };
    cfg_trust(&client, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_conn_new_sync("localhost", 9, srv.port, &client, tls), 1);
    int fd;
    assert_int_equal(esp_tls_get_conn_sockfd(tls, &fd), ESP_OK);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    assert_int_equal(poll(&pfd, 1, 2000), 1);
    esp_tls_client_session_t *session = esp_tls_get_client_session(tls);
    assert_non_null(session);
    esp_tls_free_client_session(session);
    esp_tls_conn_destroy(tls);
    echo_server_join(&srv);
    esp_tls_cfg_server_session_tickets_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_tls12_ticket),
        cmocka_unit_test(test_resume_tls12_session_id),
        cmocka_unit_test(test_resume_tls13_ticket),
        cmocka_unit_test(test_tls13_session_without_a_read),
        cmocka_unit_test(test_tls13_direct_context_use_with_tickets),
        cmocka_unit_test(test_tampered_ticket_gives_full_handshake),
        cmocka_unit_test(test_no_session_before_connect),
        cmocka_unit_test(test_s_client_resumes_with_portls_server),
        cmocka_unit_test(test_expired_ticket_gives_full_handshake),
        cmocka_unit_test(test_portls_to_portls_resumption),
        cmocka_unit_test(test_portls_server_ticket_comes_with_handshake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
