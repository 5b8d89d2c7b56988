/* Name resolution inside the connect (c-ares): a DNS server that never answers bounds a sync
 * connect at timeout_ms and never holds up an async step; dnsmasq's answers arrive between
 * steps, with the search domain applied; the hosts file comes before DNS, its addresses in
 * RFC 6724 order as getaddrinfo() sorts them. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esp_tls_dns.h"
#include "esp_tls_heap.h"
#include "tls_test.h"

#define SILENT_NAME "silent.portls.test"

/* Points the resolver at 127.0.0.1:port. */
static void use_dns_server(int port)
{
    char servers[32];
    snprintf(servers, sizeof(servers), "127.0.0.1:%d", port);
    esp_tls_dns_set_servers_for_test(servers);
}

/* A UDP socket on loopback that takes DNS queries and never answers; the resolver uses it.
 * @return the socket. */
static int silent_dns_start(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    use_dns_server(ntohs(a.sin_port));
    return fd;
}

/* Whether a query reached the silent server; then closes it. */
static bool silent_dns_stop(int fd)
{
    unsigned char query[512];
    bool asked = recv(fd, query, sizeof(query), MSG_DONTWAIT) > 12; /* a DNS header is 12 bytes */
    close(fd);
    esp_tls_dns_set_servers_for_test(NULL);
    return asked;
}

/* The failure a lookup that ran out of time leaves: CANNOT_RESOLVE_HOSTNAME with ETIMEDOUT. */
static void expect_resolve_timeout(esp_tls_t *tls)
{
    int sys_errno = 0;
    assert_int_equal(take_error_errno(tls, &sys_errno), ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME);
    assert_int_equal(sys_errno, ETIMEDOUT);
}

/* Elapsed time against a deadline: not before it, and not long after (a loaded machine). */
static void expect_ended_at(int64_t elapsed_ms, int timeout_ms)
{
    assert_true(elapsed_ms >= timeout_ms - 10);
    assert_true(elapsed_ms < timeout_ms + 2000);
}

static void test_silent_dns_bounds_sync_connect(void **state)
{
    (void)state;
    int dns = silent_dns_start();
    esp_tls_cfg_t cfg = { .timeout_ms = 1000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    int64_t start = test_now_ms();
    assert_int_equal(esp_tls_conn_new_sync(SILENT_NAME, strlen(SILENT_NAME), 443, &cfg, tls), -1);
    expect_ended_at(test_now_ms() - start, 1000);
    expect_resolve_timeout(tls);
    esp_tls_conn_destroy(tls);
    assert_true(silent_dns_stop(dns));
}

/* Each async call returns at once while the lookup waits; a blocking lookup would spend the
 * whole timeout in the first call. There is no socket yet, and c-ares's memory (its channel is
 * some 75 KB) is not the connection's. */
static void test_silent_dns_never_blocks_async_connect(void **state)
{
    (void)state;
    int dns = silent_dns_start();
    esp_tls_cfg_t cfg = { .timeout_ms = 1500, .non_block = true };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    int64_t start = test_now_ms(), slowest = 0;
    int rc, pending = 0;
    for (;;) {
        int64_t call = test_now_ms();
        rc = esp_tls_conn_new_async(SILENT_NAME, strlen(SILENT_NAME), 443, &cfg, tls);
        int64_t took = test_now_ms() - call;
        slowest = took > slowest ? took : slowest;
        if (rc != 0) {
            break;
        }
        int fd = 0;
        esp_tls_heap_stats_t stats;
        assert_int_equal(esp_tls_get_conn_sockfd(tls, &fd), ESP_OK);
        assert_int_equal(fd, -1);
        assert_int_equal(esp_tls_get_heap_stats(tls, &stats), ESP_OK);
        assert_true(stats.current < 4096);
        assert_true(++pending < 10000);
        poll(NULL, 0, 20);
    }
    assert_int_equal(rc, -1);
    expect_ended_at(test_now_ms() - start, 1500);
    assert_true(slowest < 500);
    assert_true(pending >= 5);
    expect_resolve_timeout(tls);
    esp_tls_conn_destroy(tls);
    assert_true(silent_dns_stop(dns));
}

/* A connection destroyed while its lookup waits gives everything back, c-ares's part included
 * (the sanitizers' leak check sees that one). */
static void test_destroy_during_lookup(void **state)
{
    (void)state;
    int dns = silent_dns_start();
    esp_tls_heap_stats_t before, after;
    portls_heap_get_stats(&before);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .non_block = true };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_conn_new_async(SILENT_NAME, strlen(SILENT_NAME), 443, &cfg, tls), 0);
    assert_int_equal(esp_tls_conn_destroy(tls), 0);
    portls_heap_get_stats(&after);
    assert_int_equal(after.current, before.current);
    assert_true(silent_dns_stop(dns));
}

/* esp_tls_plain_tcp_connect: one deadline for DNS and TCP too. */
static void test_silent_dns_bounds_plain_tcp_connect(void **state)
{
    (void)state;
    int dns = silent_dns_start();
    esp_tls_cfg_t cfg = { .timeout_ms = 1000 };
    esp_tls_t *tls = esp_tls_init();
    esp_tls_error_handle_t h;
    assert_int_equal(esp_tls_get_error_handle(tls, &h), ESP_OK);
    int fd = -1;
    int64_t start = test_now_ms();
    assert_int_equal(esp_tls_plain_tcp_connect(SILENT_NAME, strlen(SILENT_NAME), 443, &cfg, h, &fd),
                     ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME);
    expect_ended_at(test_now_ms() - start, 1000);
    assert_int_equal(fd, -1);
    expect_resolve_timeout(tls);
    esp_tls_conn_destroy(tls);
    assert_true(silent_dns_stop(dns));
}

/* dnsmasq on loopback, answering www.portls.test with 127.0.0.1 and refusing other names; the
 * resolver uses it. */
static void dnsmasq_start(peer_t *p)
{
    const char *argv[] = { PORTLS_DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                           "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces", "--port={PORT}",
                           "--pid-file", "--log-facility=-", "--address=/www.portls.test/127.0.0.1", NULL };
    assert_int_equal(peer_start(p, "127.0.0.1", argv), 0);
    use_dns_server(p->port);
}

static int plain_connect(const char *host, int port, const esp_tls_cfg_t *cfg, esp_tls_t **out)
{
    *out = esp_tls_init();
    return esp_tls_conn_new_sync(host, strlen(host), port, cfg, *out);
}

static void test_dns_answers_between_async_steps(void **state)
{
    (void)state;
    peer_t dns, srv;
    dnsmasq_start(&dns);
    assert_int_equal(peer_listen_silent(&srv), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .is_plain_tcp = true, .non_block = true };
    esp_tls_t *tls = esp_tls_init();
    int rc, steps = 1;
    while ((rc = esp_tls_conn_new_async("www.portls.test", 15, srv.port, &cfg, tls)) == 0) {
        poll(NULL, 0, 2);
        assert_true(++steps < 5000);
    }
    assert_int_equal(rc, 1);
    esp_tls_conn_timing_t timing;
    assert_int_equal(esp_tls_get_conn_timing(tls, &timing), ESP_OK);
    assert_true(timing.dns_us > 0);
    esp_tls_conn_destroy(tls);
    peer_stop(&srv);
    peer_stop(&dns);
    esp_tls_dns_set_servers_for_test(NULL);
}

/* A short name is tried with the search domains, here from LOCALDOMAIN, as glibc's resolver does. */
static void test_dns_search_domain(void **state)
{
    (void)state;
    peer_t dns, srv;
    dnsmasq_start(&dns);
    assert_int_equal(peer_listen_silent(&srv), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .is_plain_tcp = true };
    esp_tls_t *tls;
    assert_int_equal(plain_connect("www", srv.port, &cfg, &tls), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME);
    esp_tls_conn_destroy(tls);
    setenv("LOCALDOMAIN", "portls.test", 1);
    assert_int_equal(plain_connect("www", srv.port, &cfg, &tls), 1);
    unsetenv("LOCALDOMAIN");
    esp_tls_conn_destroy(tls);
    peer_stop(&srv);
    peer_stop(&dns);
    esp_tls_dns_set_servers_for_test(NULL);
}

/* A listener on [::1]:port beside the IPv4 one on 127.0.0.1:port. @return its socket. */
static int listen_ipv6_too(int port)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = in6addr_loopback };
    assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    return fd;
}

/* The address family of the peer a plain connection to host reached. */
static int peer_family(const char *host, int port, esp_tls_addr_family_t family)
{
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .is_plain_tcp = true, .addr_family = family };
    esp_tls_t *tls;
    assert_int_equal(plain_connect(host, port, &cfg, &tls), 1);
    int fd = -1;
    struct sockaddr_storage peer;
    socklen_t len = sizeof(peer);
    assert_int_equal(esp_tls_get_conn_sockfd(tls, &fd), ESP_OK);
    assert_int_equal(getpeername(fd, (struct sockaddr *)&peer, &len), 0);
    esp_tls_conn_destroy(tls);
    return peer.ss_family;
}

/* The hosts file (CARES_HOSTS, c-ares's own variable, names a test's) answers before DNS, which
 * here never would. Its addresses come in RFC 6724 order, as glibc's getaddrinfo() gives them
 * for /etc/hosts: ::1 before 127.0.0.1, though listed after. Each is tried in turn: 127.0.0.2
 * refuses, 127.0.0.1 takes the connection. An address literal needs no lookup at all. */
static void test_hosts_file_first_in_rfc6724_order(void **state)
{
    (void)state;
    int dns = silent_dns_start();
    char path[] = "/tmp/portls-hosts-XXXXXX";
    int fd = mkstemp(path);
    static const char hosts[] = "127.0.0.1 dual.portls.test\n::1 dual.portls.test\n"
                                "127.0.0.2 multi.portls.test\n127.0.0.1 multi.portls.test\n";
    assert_int_equal(write(fd, hosts, sizeof(hosts) - 1), sizeof(hosts) - 1);
    close(fd);
    setenv("CARES_HOSTS", path, 1);
    int port;
    int v4 = peer_listen_loopback(&port), v6 = listen_ipv6_too(port);
    assert_int_equal(peer_family("dual.portls.test", port, ESP_TLS_AF_UNSPEC), AF_INET6);
    assert_int_equal(peer_family("dual.portls.test", port, ESP_TLS_AF_INET), AF_INET);
    close(v6);
    assert_int_equal(peer_family("multi.portls.test", port, ESP_TLS_AF_UNSPEC), AF_INET);
    assert_int_equal(peer_family("127.0.0.1", port, ESP_TLS_AF_UNSPEC), AF_INET);
    close(v4);
    unsetenv("CARES_HOSTS");
    unlink(path);
    assert_false(silent_dns_stop(dns)); /* no query: the hosts file answered */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silent_dns_bounds_sync_connect),
        cmocka_unit_test(test_silent_dns_never_blocks_async_connect),
        cmocka_unit_test(test_destroy_during_lookup),
        cmocka_unit_test(test_silent_dns_bounds_plain_tcp_connect),
        cmocka_unit_test(test_dns_answers_between_async_steps),
        cmocka_unit_test(test_dns_search_domain),
        cmocka_unit_test(test_hosts_file_first_in_rfc6724_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
