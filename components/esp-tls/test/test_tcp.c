/* The TCP half and the connect state machine: async steps, refused ports, DNS failure,
 * a silent server, plain TCP, IPv6, keep-alive, the interface and the address family. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "tls_test.h"

/* Drives esp_tls_conn_new_async to completion, waiting on the socket between steps. */
static int async_connect(const char *host, int port, const esp_tls_cfg_t *cfg, esp_tls_t *tls, int *steps)
{
    int rc;
    for (*steps = 1; (rc = esp_tls_conn_new_async(host, (int)strlen(host), port, cfg, tls)) == 0; (*steps)++) {
        int fd = -1;
        assert_int_equal(esp_tls_get_conn_sockfd(tls, &fd), ESP_OK);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        poll(&pfd, 1, 1); /* a connected socket is always writable: wait a little each step */
        assert_true(*steps < 20000);
    }
    return rc;
}

static void test_async_connect_completes(void **state)
{
    (void)state;
    peer_t p;
    start_www_peer(&p);
    esp_tls_cfg_t cfg = { .non_block = true, .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    int steps;
    assert_int_equal(async_connect("localhost", p.port, &cfg, tls, &steps), 1);
    assert_true(steps > 1);
    esp_tls_conn_state_t st;
    assert_int_equal(esp_tls_get_conn_state(tls, &st), ESP_OK);
    assert_int_equal(st, ESP_TLS_DONE);
    char buf[64];
    ssize_t n = esp_tls_conn_read(tls, buf, sizeof(buf));
    assert_int_equal(n, ESP_TLS_ERR_SSL_WANT_READ); /* non-blocking, nothing sent yet */
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static void expect_refused(bool async)
{
    esp_tls_cfg_t cfg = { .non_block = async, .timeout_ms = 2000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    int steps;
    int port = peer_free_port();
    int rc = async ? async_connect("127.0.0.1", port, &cfg, tls, &steps)
                   : esp_tls_conn_new_sync("127.0.0.1", 9, port, &cfg, tls);
    assert_int_equal(rc, -1);
    int sys_errno = 0;
    assert_int_equal(take_error_errno(tls, &sys_errno), ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST);
    assert_int_equal(sys_errno, ECONNREFUSED);
    assert_int_equal(esp_tls_conn_destroy(tls), 0);
}

static void test_refused_port_sync(void **state)
{
    (void)state;
    expect_refused(false);
}

/* ESP-IDF never reads SO_ERROR here (its issue 7045) and dies of SIGPIPE on Linux. */
static void test_refused_port_async(void **state)
{
    (void)state;
    expect_refused(true);
}

static void test_unresolvable_name(void **state)
{
    (void)state;
    esp_tls_cfg_t cfg = { .timeout_ms = 2000 };
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_conn_new_sync("no-such-host.invalid", 20, 443, &cfg, tls), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME);
    esp_tls_conn_destroy(tls);
}

static void expect_timeout(bool async)
{
    peer_t p;
    assert_int_equal(peer_listen_silent(&p), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 500, .non_block = async };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    int64_t start = esp_deadline_now_ms();
    int steps;
    int rc = async ? async_connect("127.0.0.1", p.port, &cfg, tls, &steps)
                   : esp_tls_conn_new_sync("127.0.0.1", 9, p.port, &cfg, tls);
    int64_t elapsed = esp_deadline_now_ms() - start;
    assert_int_equal(rc, -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT);
    /* A bound, not a benchmark: generous margin for a loaded machine running ASan. */
    assert_true(elapsed >= 450);
    assert_true(elapsed < 500 + 10000);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static void test_silent_server_times_out_sync(void **state)
{
    (void)state;
    expect_timeout(false);
}

static void test_silent_server_times_out_async(void **state)
{
    (void)state;
    expect_timeout(true);
}

static void test_plain_tcp_mode(void **state)
{
    (void)state;
    peer_t p;
    const char *argv[] = { "socat", "TCP-LISTEN:{PORT},bind=127.0.0.1,reuseaddr,fork", "EXEC:cat", NULL };
    assert_int_equal(peer_start(&p, "127.0.0.1", argv), 0);
    esp_tls_cfg_t cfg = { .is_plain_tcp = true, .timeout_ms = 5000 };
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "127.0.0.1", &cfg, &tls), 1);
    assert_null(esp_tls_get_ssl_context(tls));
    assert_int_equal(esp_tls_conn_write(tls, "hello", 5), 5);
    char buf[8] = { 0 };
    size_t got = 0;
    while (got < 5) {
        ssize_t n = esp_tls_conn_read(tls, buf + got, sizeof(buf) - 1 - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_string_equal(buf, "hello");
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static void test_plain_tcp_connect_call(void **state)
{
    (void)state;
    peer_t p;
    assert_int_equal(peer_listen_silent(&p), 0);
    int fd = -1;
    esp_tls_cfg_t cfg = { .timeout_ms = 2000 };
    assert_int_equal(esp_tls_plain_tcp_connect("127.0.0.1", 9, p.port, &cfg, NULL, &fd), ESP_OK);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(esp_tls_plain_tcp_connect("127.0.0.1", 9, peer_free_port(), NULL, NULL, &fd),
                     ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST);
    peer_stop(&p);
}

static void test_ipv6_loopback(void **state)
{
    (void)state;
    peer_t p;
    const char *argv[] = { "openssl", "s_server", "-accept", "[::1]:{PORT}", "-cert", cert_path("server_ec.pem"),
                           "-key", cert_path("server_ec.key"), "-quiet", NULL };
    assert_int_equal(peer_start(&p, "::1", argv), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .addr_family = ESP_TLS_AF_INET6 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "::1", &cfg, &tls), 1);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static int int_option(int fd, int level, int name)
{
    int value = -1;
    socklen_t len = sizeof(value);
    assert_int_equal(getsockopt(fd, level, name, &value, &len), 0);
    return value;
}

static void test_keep_alive_options(void **state)
{
    (void)state;
    peer_t p;
    assert_int_equal(peer_listen_silent(&p), 0);
    tls_keep_alive_cfg_t ka = { .keep_alive_enable = true, .keep_alive_idle = 7, .keep_alive_interval = 3,
                                .keep_alive_count = 4 };
    esp_tls_cfg_t cfg = { .timeout_ms = 2000, .keep_alive_cfg = &ka };
    int fd = -1;
    assert_int_equal(esp_tls_plain_tcp_connect("127.0.0.1", 9, p.port, &cfg, NULL, &fd), ESP_OK);
    assert_int_equal(int_option(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    assert_int_equal(int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7);
    assert_int_equal(int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL), 3);
    assert_int_equal(int_option(fd, IPPROTO_TCP, TCP_KEEPCNT), 4);
    close(fd);
    peer_stop(&p);
}

/* if_name binds the socket to an interface: loopback reaches 127.0.0.1, a missing one fails. */
static void test_bind_to_interface(void **state)
{
    (void)state;
    peer_t p;
    assert_int_equal(peer_listen_silent(&p), 0);
    struct ifreq ifr = { 0 };
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    esp_tls_cfg_t cfg = { .timeout_ms = 2000, .is_plain_tcp = true, .if_name = &ifr };
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "127.0.0.1", &cfg, &tls), 1);
    esp_tls_conn_destroy(tls);
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "nosuch0");
    assert_int_equal(connect_peer(&p, "127.0.0.1", &cfg, &tls), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_ESP_TLS_SOCKET_SETOPT_FAILED);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

/* The family hint filters the resolver's answer: an IPv4 literal has no IPv6 address. */
static void test_address_family_filter(void **state)
{
    (void)state;
    peer_t p;
    assert_int_equal(peer_listen_silent(&p), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 2000, .is_plain_tcp = true, .addr_family = ESP_TLS_AF_INET };
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "127.0.0.1", &cfg, &tls), 1);
    esp_tls_conn_destroy(tls);
    cfg.addr_family = ESP_TLS_AF_INET6;
    assert_int_equal(connect_peer(&p, "127.0.0.1", &cfg, &tls), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static void test_http_url_connect(void **state)
{
    (void)state;
    peer_t p;
    start_www_peer(&p);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    char url[64];
    snprintf(url, sizeof(url), "https://localhost:%d/index.html", p.port);
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_conn_http_new_sync(url, &cfg, tls), 1);
    char answer[128];
    assert_true(www_get(tls, answer, sizeof(answer)) > 0);
    assert_non_null(strstr(answer, "200 ok"));
    esp_tls_conn_destroy(tls);
    tls = esp_tls_init();
    assert_int_equal(esp_tls_conn_http_new_sync("not a url", &cfg, tls), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_INVALID_ARG);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_async_connect_completes),
        cmocka_unit_test(test_refused_port_sync),
        cmocka_unit_test(test_refused_port_async),
        cmocka_unit_test(test_unresolvable_name),
        cmocka_unit_test(test_silent_server_times_out_sync),
        cmocka_unit_test(test_silent_server_times_out_async),
        cmocka_unit_test(test_plain_tcp_mode),
        cmocka_unit_test(test_plain_tcp_connect_call),
        cmocka_unit_test(test_ipv6_loopback),
        cmocka_unit_test(test_http_url_connect),
        cmocka_unit_test(test_keep_alive_options),
        cmocka_unit_test(test_bind_to_interface),
        cmocka_unit_test(test_address_family_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
