/* Name resolution inside the connect (c-ares): a DNS server that never answers bounds a sync
 * connect at timeout_ms and never holds up an async step; dnsmasq's answers arrive between
 * steps, with the search domain applied; the hosts file comes before DNS, its addresses in
 * RFC 6724 order as getaddrinfo() sorts them. One channel serves the process: a lookup costs its
 * query only, threads share it, a destroyed connection's late answer does no harm, and a forked
 * child does not share its sockets. */
#define _GNU_SOURCE /* mallinfo2() */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
/* The sanitizer runtime's count (sanitizer/allocator_interface.h, which GCC 12 does not ship). */
extern size_t __sanitizer_get_current_allocated_bytes(void);
#endif

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

/* An async connect to host:port whose first step is under way. */
static esp_tls_t *start_async(const char *host, int port, const esp_tls_cfg_t *cfg)
{
    esp_tls_t *tls = esp_tls_init();
    assert_non_null(tls);
    assert_int_equal(esp_tls_conn_new_async(host, strlen(host), port, cfg, tls), 0);
    return tls;
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
    int64_t start = esp_deadline_now_ms();
    assert_int_equal(esp_tls_conn_new_sync(SILENT_NAME, strlen(SILENT_NAME), 443, &cfg, tls), -1);
    expect_ended_at(esp_deadline_now_ms() - start, 1000);
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
    int64_t start = esp_deadline_now_ms(), slowest = 0;
    int rc, pending = 0;
    for (;;) {
        int64_t call = esp_deadline_now_ms();
        rc = esp_tls_conn_new_async(SILENT_NAME, strlen(SILENT_NAME), 443, &cfg, tls);
        int64_t took = esp_deadline_now_ms() - call;
        slowest = took > slowest ? took : slowest;
        if (rc != 0) {
            break;
        }
        int fd = 0;
        assert_int_equal(esp_tls_get_conn_sockfd(tls, &fd), ESP_OK);
        assert_int_equal(fd, -1);
#ifdef PORTLS_HEAP_ACCOUNTING
        esp_tls_heap_stats_t stats;
        assert_int_equal(esp_tls_get_heap_stats(tls, &stats), ESP_OK);
        assert_true(stats.current < 4096);
#endif
        assert_true(++pending < 10000);
        poll(NULL, 0, 20);
    }
    assert_int_equal(rc, -1);
    expect_ended_at(esp_deadline_now_ms() - start, 1500);
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
    int64_t start = esp_deadline_now_ms();
    assert_int_equal(esp_tls_plain_tcp_connect(SILENT_NAME, strlen(SILENT_NAME), 443, &cfg, h, &fd),
                     ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME);
    expect_ended_at(esp_deadline_now_ms() - start, 1000);
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

/* RES_OPTIONS is read again too: once it is set, c-ares gives up on a silent server after its own
 * 100 ms (retrans, one try), long before the connect's deadline. */
static void test_res_options_read_again(void **state)
{
    (void)state;
    int dns = silent_dns_start();
    esp_tls_cfg_t cfg = { .timeout_ms = 10000, .is_plain_tcp = true, .non_block = true };
    esp_tls_conn_destroy(start_async(SILENT_NAME, 443, &cfg)); /* the channel, without it */
    setenv("RES_OPTIONS", "retrans:100 retry:1", 1);
    cfg.non_block = false;
    esp_tls_t *tls = esp_tls_init();
    int64_t start = esp_deadline_now_ms();
    assert_int_equal(esp_tls_conn_new_sync(SILENT_NAME, strlen(SILENT_NAME), 443, &cfg, tls), -1);
    int64_t took = esp_deadline_now_ms() - start;
    unsetenv("RES_OPTIONS");
    expect_resolve_timeout(tls);
    esp_tls_conn_destroy(tls);
    assert_true(silent_dns_stop(dns));
    assert_true(took < 5000);
}

/* A listener on [::1]:port beside the IPv4 one on 127.0.0.1:port. @return its socket, or -1
 * when another program holds that port on ::1. */
static int listen_ipv6_too(int port)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = in6addr_loopback };
    assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)), 0);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    assert_int_equal(listen(fd, 8), 0);
    return fd;
}

/* Listeners on 127.0.0.1 and ::1 with one port: a port free on the first may be taken on the
 * second by a concurrent test's server, so another is picked then. */
static void listen_dual(int *port, int *v4, int *v6)
{
    for (int tries = 0; tries < 50; tries++) {
        *v4 = peer_listen_loopback(port);
        assert_true(*v4 >= 0);
        if ((*v6 = listen_ipv6_too(*port)) >= 0) {
            return;
        }
        close(*v4);
    }
    fail_msg("no port free on both 127.0.0.1 and ::1 in 50 tries");
}

/* Writes hosts into a new file at path (a mkstemp() template) and names it in CARES_HOSTS, c-ares's
 * own variable for another hosts file. */
static void use_hosts_file(char *path, const char *hosts)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, hosts, strlen(hosts)), (ssize_t)strlen(hosts));
    close(fd);
    setenv("CARES_HOSTS", path, 1);
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
    use_hosts_file(path, "127.0.0.1 dual.portls.test\n::1 dual.portls.test\n"
                                "127.0.0.2 multi.portls.test\n127.0.0.1 multi.portls.test\n");
    int port, v4, v6;
    listen_dual(&port, &v4, &v6);
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

/* The bytes the process has allocated: glibc's count, or the sanitizer allocator's under ASan. */
static size_t process_heap_bytes(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

/* localhost and the names under it are the loopback addresses (RFC 6761), whatever the hosts
 * file says, and need no lookup, as curl has them: here the hosts file maps them elsewhere, and
 * the connection still reaches 127.0.0.1, IPv4 first, or ::1. A name that only ends in
 * "localhost" is looked up. */
static void test_localhost_needs_no_lookup(void **state)
{
    (void)state;
    int dns = silent_dns_start();
    char path[] = "/tmp/portls-hosts-XXXXXX";
    use_hosts_file(path, "127.0.0.2 localhost a.localhost LOCALHOST.\n127.0.0.1 notlocalhost\n");
    int port, v4, v6;
    listen_dual(&port, &v4, &v6);
    assert_int_equal(peer_family("localhost", port, ESP_TLS_AF_UNSPEC), AF_INET); /* IPv4 first */
    assert_int_equal(peer_family("localhost", port, ESP_TLS_AF_INET6), AF_INET6);
    close(v6);
    assert_int_equal(peer_family("LOCALHOST.", port, ESP_TLS_AF_INET), AF_INET);
    assert_int_equal(peer_family("a.localhost", port, ESP_TLS_AF_INET), AF_INET);
    assert_int_equal(peer_family("notlocalhost", port, ESP_TLS_AF_INET), AF_INET);
    close(v4);
    unsetenv("CARES_HOSTS");
    unlink(path);
    assert_false(silent_dns_stop(dns));
}

/* One c-ares channel serves the process (c-ares 1.18's is some 75 KB): once a lookup made it, a
 * second lookup under way costs the process its query and its connection's handle only. */
static void test_lookup_costs_only_its_query(void **state)
{
    (void)state;
    int dns = silent_dns_start();
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .non_block = true, .is_plain_tcp = true };
    esp_tls_t *first = start_async(SILENT_NAME, 443, &cfg);
    size_t before = process_heap_bytes();
    esp_tls_t *second = start_async(SILENT_NAME, 443, &cfg);
    size_t during = process_heap_bytes() - before;
    esp_tls_conn_destroy(second);
    esp_tls_conn_destroy(first);
    assert_true(silent_dns_stop(dns));
    assert_true(during < 2048); /* about 1 KB: the query, the handle, the name */
}

/* The source ports of the datagrams waiting on a UDP socket, read without waiting.
 * @return how many (at most max). */
static int source_ports(int fd, in_port_t ports[], int max)
{
    unsigned char buf[512];
    struct sockaddr_in from;
    socklen_t len = sizeof(from);
    int n = 0;
    while (n < max && recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &len) > 0) {
        ports[n++] = from.sin_port;
        len = sizeof(from);
    }
    return n;
}

/* Passes the queries waiting at the relay socket to dnsmasq (up is connected to it), and each
 * answer back to its asker. @return how many. */
static int relay_waiting(int relay, int up)
{
    unsigned char buf[512];
    struct sockaddr_in from;
    socklen_t len = sizeof(from);
    ssize_t n;
    int count = 0;
    while ((n = recvfrom(relay, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &len)) > 0) {
        assert_int_equal(send(up, buf, (size_t)n, 0), n);
        struct pollfd pfd = { .fd = up, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 10000), 1);
        n = recv(up, buf, sizeof(buf), 0);
        assert_true(n > 12);
        assert_int_equal(sendto(relay, buf, (size_t)n, 0, (const struct sockaddr *)&from, len), n);
        count++;
        len = sizeof(from);
    }
    return count;
}

static int udp_connected_to(int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

/* A connection destroyed while its query waits leaves the query on the shared channel; the answer
 * comes later, read by another connection's step, and must touch nothing of the destroyed one
 * (ASan would see it). A relay holds both connections' queries, then passes them to dnsmasq. */
static void test_late_answer_after_destroy(void **state)
{
    (void)state;
    peer_t dnsmasq, srv;
    dnsmasq_start(&dnsmasq);
    int relay = silent_dns_start(); /* the resolver asks the relay */
    assert_int_equal(peer_listen_silent(&srv), 0);
    esp_tls_heap_stats_t before, after;
    portls_heap_get_stats(&before);
    esp_tls_cfg_t cfg = { .timeout_ms = 10000, .is_plain_tcp = true, .non_block = true };
    esp_tls_t *gone = start_async("www.portls.test", srv.port, &cfg);
    esp_tls_t *stays = start_async("www.portls.test", srv.port, &cfg);
    assert_int_equal(esp_tls_conn_destroy(gone), 0);
    int up = udp_connected_to(dnsmasq.port);
    assert_int_equal(relay_waiting(relay, up), 4); /* A and AAAA for each: the answers come late */
    int rc, steps = 0;
    while ((rc = esp_tls_conn_new_async("www.portls.test", 15, srv.port, &cfg, stays)) == 0) {
        poll(NULL, 0, 2);
        relay_waiting(relay, up); /* dnsmasq refuses AAAA: c-ares asks again */
        assert_true(++steps < 5000);
    }
    assert_int_equal(rc, 1);
    esp_tls_conn_destroy(stays);
    portls_heap_get_stats(&after);
    assert_int_equal(after.current, before.current);
    close(up);
    close(relay);
    esp_tls_dns_set_servers_for_test(NULL);
    peer_stop(&srv);
    peer_stop(&dnsmasq);
}

/* A forked child does not use the parent's channel: its query leaves from a socket of its own,
 * so it can never read the answers to the parent's lookups, nor the parent its. */
static void test_fork_child_has_own_sockets(void **state)
{
    (void)state;
    int dns = silent_dns_start();
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .non_block = true, .is_plain_tcp = true };
    esp_tls_t *parent = start_async(SILENT_NAME, 443, &cfg);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        esp_tls_t *child = esp_tls_init();
        _exit(esp_tls_conn_new_async(SILENT_NAME, strlen(SILENT_NAME), 443, &cfg, child) == 0 ? 0 : 1);
    }
    int status = -1;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    in_port_t ports[8];
    assert_int_equal(source_ports(dns, ports, 8), 4); /* A and AAAA from each process */
    assert_int_equal(ports[0], ports[1]);
    assert_int_equal(ports[2], ports[3]);
    assert_int_not_equal(ports[0], ports[2]);
    esp_tls_conn_destroy(parent);
    close(dns);
    esp_tls_dns_set_servers_for_test(NULL);
}

#define CONNECT_THREADS 8
#define CONNECTS_PER_THREAD 16

typedef struct {
    int port;
    bool async;
    pthread_barrier_t *start;
    atomic_int *failures;
} connector_t;

/* Connects to name with a sync connect, or async steps with short pauses. @return the result. */
static int connect_once(const char *name, const connector_t *c)
{
    esp_tls_cfg_t cfg = { .timeout_ms = 10000, .is_plain_tcp = true, .non_block = c->async };
    esp_tls_t *tls = esp_tls_init();
    int rc;
    if (!c->async) {
        rc = esp_tls_conn_new_sync(name, (int)strlen(name), c->port, &cfg, tls);
    } else {
        while ((rc = esp_tls_conn_new_async(name, (int)strlen(name), c->port, &cfg, tls)) == 0) {
            poll(NULL, 0, 1);
        }
    }
    esp_tls_conn_destroy(tls);
    return rc;
}

/* A thread's connects, all started at once with the other threads': names from the hosts file
 * and from dnsmasq in turn. */
static void *connect_in_thread(void *arg)
{
    connector_t *c = arg;
    pthread_barrier_wait(c->start);
    for (int i = 0; i < CONNECTS_PER_THREAD; i++) {
        if (connect_once(i % 2 == 0 ? "threads.portls.test" : "www.portls.test", c) != 1) {
            atomic_fetch_add(c->failures, 1);
        }
    }
    return NULL;
}

typedef struct {
    int fd;
    atomic_bool stop;
} acceptor_t;

/* Takes connections on a listening socket and closes them, until told to stop. */
static void *accept_until_stopped(void *arg)
{
    acceptor_t *a = arg;
    while (!atomic_load(&a->stop)) {
        struct pollfd pfd = { .fd = a->fd, .events = POLLIN };
        int fd = poll(&pfd, 1, 50) > 0 ? accept(a->fd, NULL, NULL) : -1;
        if (fd >= 0) {
            close(fd);
        }
    }
    return NULL;
}

/* Eight threads connect at once, sync and async, through the one channel; each lookup's answer
 * may be read by another thread's step. Every connect succeeds well within its timeout (a sync
 * wait that missed its answer would sleep until c-ares's 5 s retry), and every counted byte
 * comes back. */
static void test_threads_share_the_channel(void **state)
{
    (void)state;
    peer_t dns;
    dnsmasq_start(&dns);
    char path[] = "/tmp/portls-hosts-XXXXXX";
    use_hosts_file(path, "127.0.0.1 threads.portls.test\n");
    int port;
    acceptor_t listener = { .fd = peer_listen_loopback(&port) };
    pthread_t acceptor, threads[CONNECT_THREADS];
    assert_int_equal(pthread_create(&acceptor, NULL, accept_until_stopped, &listener), 0);
    esp_tls_heap_stats_t before, after;
    portls_heap_get_stats(&before);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, CONNECT_THREADS);
    atomic_int failures = 0;
    connector_t c[CONNECT_THREADS];
    int64_t t0 = esp_deadline_now_ms();
    for (int i = 0; i < CONNECT_THREADS; i++) {
        c[i] = (connector_t){ .port = port, .async = i % 2 == 1, .start = &start, .failures = &failures };
        assert_int_equal(pthread_create(&threads[i], NULL, connect_in_thread, &c[i]), 0);
    }
    for (int i = 0; i < CONNECT_THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    int64_t took = esp_deadline_now_ms() - t0;
    atomic_store(&listener.stop, true);
    pthread_join(acceptor, NULL);
    pthread_barrier_destroy(&start);
    portls_heap_get_stats(&after);
    close(listener.fd);
    unsetenv("CARES_HOSTS");
    unlink(path);
    peer_stop(&dns);
    esp_tls_dns_set_servers_for_test(NULL);
    assert_int_equal(atomic_load(&failures), 0);
    assert_true(took < 4000);
    assert_int_equal(after.current, before.current);
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
        cmocka_unit_test(test_res_options_read_again),
        cmocka_unit_test(test_hosts_file_first_in_rfc6724_order),
        cmocka_unit_test(test_localhost_needs_no_lookup),
        cmocka_unit_test(test_lookup_costs_only_its_query),
        cmocka_unit_test(test_late_answer_after_destroy),
        cmocka_unit_test(test_fork_child_has_own_sockets),
        cmocka_unit_test(test_threads_share_the_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
