/* Heap accounting, the heap budget, and fault injection: every allocation of a client connect +
 * 64 KiB read + destroy, and of a server's, fails in turn; each run must end in a clean error with
 * every byte given back. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"
#include "esp_tls_heap.h"
#include "tls_test.h"

/* Several whole records: the read path's allocations repeat per record, the handshake's dominate. */
#define WALK_BYTES (64 * 1024)

static size_t process_in_use(void)
{
    esp_tls_heap_stats_t stats;
    portls_heap_get_stats(&stats);
    return stats.current;
}

static esp_tls_cfg_t client_cfg(esp_tls_proto_ver_t version)
{
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .tls_version = version };
    cfg_trust(&cfg, "ca.pem");
    return cfg;
}

/* Connects to srv and reads until the server closes. @return bytes read, or -1 if the connect
 * failed; *tls_out keeps the handle when not NULL. */
static long read_all(const echo_server_t *srv, const esp_tls_cfg_t *cfg, esp_tls_t **tls_out)
{
    esp_tls_t *tls = esp_tls_init();
    if (tls_out != NULL) {
        *tls_out = tls;
    }
    if (tls == NULL) {
        return -1;
    }
    long total = -1;
    if (esp_tls_conn_new_sync("localhost", 9, srv->port, cfg, tls) == 1) {
        char buf[16384];
        ssize_t n;
        total = 0;
        while ((n = esp_tls_conn_read(tls, buf, sizeof(buf))) > 0) {
            total += n;
        }
    }
    if (tls_out == NULL) {
        esp_tls_conn_destroy(tls);
    }
    return total;
}

/* A client that failed before connecting leaves the server in accept(): one bare connection
 * releases it (if the server is done already, it just waits in the backlog). */
static void release_server(const echo_server_t *srv)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    connect(fd, (struct sockaddr *)&a, sizeof(a));
    close(fd);
}

static void test_heap_figures(void **state)
{
    (void)state;
    pki("ca.pem");
    size_t before = process_in_use();
    esp_tls_cfg_server_t scfg = server_cfg();
    echo_server_t srv = { .mode = ECHO_SEND, .bytes = 100000 };
    echo_server_start(&srv, &scfg, 1);
    esp_tls_cfg_t cfg = client_cfg(ESP_TLS_VER_TLS_1_3);
    esp_tls_t *tls;
    assert_int_equal(read_all(&srv, &cfg, &tls), 100000);
    esp_tls_heap_stats_t stats;
    assert_int_equal(esp_tls_get_heap_stats(tls, &stats), ESP_OK);
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
    assert_true(stats.current < 8192);         /* the record buffers shrank after the last read */
#else
    assert_true(stats.current > 16384);        /* at least the input record buffer */
#endif
    assert_true(stats.peak > stats.current);   /* the handshake needed more */
    assert_true(stats.allocations > 10);
    assert_int_equal(stats.failures, 0);
    assert_int_equal(esp_tls_reset_heap_peak(tls), ESP_OK);
    assert_int_equal(esp_tls_get_heap_stats(tls, &stats), ESP_OK);
    assert_int_equal(stats.peak, stats.current);
    esp_tls_conn_destroy(tls);
    echo_server_join(&srv);
    assert_int_equal(process_in_use(), before);
    assert_int_equal(esp_tls_get_heap_stats(NULL, &stats), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_reset_heap_peak(NULL), ESP_ERR_INVALID_ARG);
}

/* A budget too small for a handshake: ESP_ERR_NO_MEM with the mbedTLS code, nothing leaked. */
static void test_heap_budget_gives_no_mem(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        peer_t p;
        start_www_peer(&p);
        esp_tls_cfg_t cfg = client_cfg(v ? ESP_TLS_VER_TLS_1_3 : ESP_TLS_VER_TLS_1_2);
        size_t before = process_in_use();
        portls_heap_set_limit(before + 10000);
        assert_int_equal(portls_heap_get_limit(), before + 10000);
        esp_tls_t *tls;
        assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), -1);
        int code = 0;
        assert_int_equal(take_error(tls, &code, NULL), ESP_ERR_NO_MEM);
        assert_int_not_equal(code, 0);
        esp_tls_heap_stats_t stats;
        esp_tls_get_heap_stats(tls, &stats);
        assert_true(stats.failures > 0);
        esp_tls_conn_destroy(tls);
        portls_heap_set_limit(0);
        assert_int_equal(process_in_use(), before);
        peer_stop(&p);
    }
}

/* Fails the k-th allocation of the client thread for k = 1, 2, ... until a run makes fewer
 * allocations than k, i.e. succeeds untouched. @return the number of runs. */
static int walk_client(esp_tls_proto_ver_t version)
{
    esp_tls_cfg_server_t scfg = server_cfg();
    esp_tls_cfg_t cfg = client_cfg(version);
    size_t before = process_in_use();
    for (unsigned long k = 1;; k++) {
        echo_server_t srv = { .mode = ECHO_SEND, .bytes = WALK_BYTES };
        echo_server_start(&srv, &scfg, 1);
        portls_heap_fail_nth(k);
        esp_tls_t *tls;
        long got = read_all(&srv, &cfg, &tls);
        esp_tls_heap_stats_t stats = { 0 };
        if (tls != NULL) {
            esp_tls_get_heap_stats(tls, &stats);
            assert_true(got == WALK_BYTES || got < 0 || stats.failures > 0);
        }
        esp_tls_conn_destroy(tls);
        portls_heap_fail_nth(0);
        release_server(&srv);
        echo_server_join(&srv);
        assert_int_equal(process_in_use(), before);
        if (tls != NULL && stats.failures == 0 && got == WALK_BYTES) {
            return (int)k;
        }
    }
}

static int walk_server(esp_tls_proto_ver_t version)
{
    esp_tls_cfg_server_t scfg = server_cfg();
    esp_tls_cfg_t cfg = client_cfg(version);
    size_t before = process_in_use();
    static char chunk[16384];
    for (unsigned long k = 1;; k++) {
        esp_tls_heap_stats_t stats;
        portls_heap_get_stats(&stats);
        unsigned long failures_before = stats.failures;
        echo_server_t srv = { .mode = ECHO_SINK, .bytes = WALK_BYTES, .fail_nth = k };
        echo_server_start(&srv, &scfg, 1);
        esp_tls_t *tls = esp_tls_init();
        assert_non_null(tls); /* the injection is in the server's thread */
        if (esp_tls_conn_new_sync("localhost", 9, srv.port, &cfg, tls) == 1) {
            for (size_t sent = 0; sent < WALK_BYTES;) {
                ssize_t n = esp_tls_conn_write(tls, chunk, sizeof(chunk));
                if (n <= 0) {
                    break;
                }
                sent += (size_t)n;
            }
        }
        esp_tls_conn_destroy(tls);
        echo_server_join(&srv);
        assert_int_equal(process_in_use(), before);
        portls_heap_get_stats(&stats);
        /* Done once the k-th allocation was never reached. A failure the server survives (a
         * record buffer that could not shrink) does not end the walk. */
        if (srv.result[0].create_rc == 0 && srv.moved == WALK_BYTES && stats.failures == failures_before) {
            return (int)k;
        }
    }
}

static void walk(int (*walker)(esp_tls_proto_ver_t), const char *who)
{
    const esp_tls_proto_ver_t versions[] = { ESP_TLS_VER_TLS_1_2, ESP_TLS_VER_TLS_1_3 };
    for (int v = 0; v < 2; v++) {
        int runs = walker(versions[v]);
        assert_true(runs > 10);
        print_message("%s, TLS 1.%d: each of %d allocations failed in turn, all cleanly\n", who, 2 + v, runs - 1);
    }
}

static void test_walk_client_allocations(void **state)
{
    (void)state;
    walk(walk_client, "client connect + 64 KiB read + destroy");
}

static void test_walk_server_allocations(void **state)
{
    (void)state;
    walk(walk_server, "server session + 64 KiB read + delete");
}

/* PSA's global state and key store grow on the first connections of the process and stay:
 * one client and one server connection in each version first, so the figures start level. */
static int warm_up(void **state)
{
    (void)state;
    esp_tls_cfg_server_t scfg = server_cfg();
    for (int v = 0; v < 2; v++) {
        echo_server_t srv = { .mode = ECHO_SEND, .bytes = 1 };
        echo_server_start(&srv, &scfg, 1);
        esp_tls_cfg_t cfg = client_cfg(v ? ESP_TLS_VER_TLS_1_3 : ESP_TLS_VER_TLS_1_2);
        read_all(&srv, &cfg, NULL);
        echo_server_join(&srv);
    }
    return 0;
}

/* An argument runs only the tests whose names match it (a cmocka filter), so CTest can run the
 * long walks side by side. */
int main(int argc, char **argv)
{
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_figures),
        cmocka_unit_test(test_heap_budget_gives_no_mem),
        cmocka_unit_test(test_walk_client_allocations),
        cmocka_unit_test(test_walk_server_allocations),
    };
    return cmocka_run_group_tests(tests, warm_up, NULL);
}
