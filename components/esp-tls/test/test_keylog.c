/* SSLKEYLOGFILE (esp_tls.h): a client session's key log lines are those openssl s_server logs
 * for it, in each version the build has; clients and servers on threads of one process log whole
 * lines, each session's on both ends; a build without PORTLS_KEYLOG writes nothing. The variable
 * is read once per process, so it is set before the first connection. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo_server.h"
#include "tls_test.h"

#define LINE_MAX_LEN 256
#define LINES_MAX 64
#define PAIRS ECHO_SERVER_MAX_SESSIONS
#if !defined(PORTLS_KEYLOG)
#define LINES_PER_SESSION 0
#elif defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define LINES_PER_SESSION 4 /* the default version: the handshake and application secrets */
#else
#define LINES_PER_SESSION 1
#endif

static char dir[] = "/tmp/test_keylog.XXXXXX";
static char ours[sizeof(dir) + 16];

typedef struct {
    char line[LINES_MAX][LINE_MAX_LEN];
    int n;
} lines_t;

/* The key log lines of path, without comments and without OpenSSL's EXPORTER_SECRET (mbedTLS
 * 3.6 exports no exporter secret). */
static void read_lines(const char *path, lines_t *out)
{
    out->n = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    char line[LINE_MAX_LEN];
    while (fgets(line, sizeof(line), f) != NULL && out->n < LINES_MAX) {
        if (line[0] != '#' && strncmp(line, "EXPORTER_SECRET ", 16) != 0) {
            strcpy(out->line[out->n++], line);
        }
    }
    fclose(f);
}

static bool contains(const lines_t *set, const char *line)
{
    for (int i = 0; i < set->n; i++) {
        if (strcmp(set->line[i], line) == 0) {
            return true;
        }
    }
    return false;
}

/* Waits until OpenSSL's side has logged want lines (it may finish after us). */
static void wait_for_lines(const char *path, int want, lines_t *out)
{
    for (int i = 0; i < 200; i++) {
        read_lines(path, out);
        if (out->n >= want) {
            return;
        }
        sleep_ms(25);
    }
}

/* One session against s_server -keylogfile; want: OpenSSL's lines for it, EXPORTER_SECRET aside. */
static void expect_same_secrets(const char *version_flag, const char *name, int want)
{
    char theirs_path[sizeof(dir) + 32];
    snprintf(theirs_path, sizeof(theirs_path), "%s/%s", dir, name);
    peer_t p;
    const char *extra[] = { version_flag, "-keylogfile", theirs_path, NULL };
    assert_int_equal(peer_start_s_server(&p, "server_ec.pem", "server_ec.key", extra), 0);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    assert_int_equal(connect_peer(&p, "localhost", &cfg, &tls), 1);
    lines_t theirs, mine;
    wait_for_lines(theirs_path, want, &theirs);
    assert_int_equal(esp_tls_conn_destroy(tls), 0);
    peer_stop(&p);
    assert_int_equal(theirs.n, want);
    read_lines(ours, &mine);
#ifdef PORTLS_KEYLOG
    for (int i = 0; i < theirs.n; i++) {
        assert_true(contains(&mine, theirs.line[i]));
    }
#else
    assert_int_equal(mine.n, 0);
    assert_int_equal(access(ours, F_OK), -1); /* not even created */
    assert_int_equal(errno, ENOENT);
#endif
}

static void test_tls12_secrets_match_openssl(void **state)
{
    (void)state;
    expect_same_secrets("-tls1_2", "openssl12.keys", 1);
}

#ifdef MBEDTLS_SSL_PROTO_TLS1_3
static void test_tls13_secrets_match_openssl(void **state)
{
    (void)state;
    expect_same_secrets("-tls1_3", "openssl13.keys", 4);
}
#endif

/* Every line of ours belongs to one of the sessions above: nothing else, nothing twice. */
static void test_nothing_else_logged(void **state)
{
    (void)state;
    lines_t mine, theirs12, theirs13;
    char path[sizeof(dir) + 32];
    read_lines(ours, &mine);
    snprintf(path, sizeof(path), "%s/openssl12.keys", dir);
    read_lines(path, &theirs12);
    snprintf(path, sizeof(path), "%s/openssl13.keys", dir);
    read_lines(path, &theirs13);
#ifdef PORTLS_KEYLOG
    assert_int_equal(mine.n, theirs12.n + theirs13.n);
#endif
    for (int i = 0; i < mine.n; i++) {
        assert_true(contains(&theirs12, mine.line[i]) || contains(&theirs13, mine.line[i]));
    }
}

typedef struct {
    int port;
    const esp_tls_cfg_t *cfg;
    int connect_rc;
    ssize_t echoed;
} client_t;

static void *client_thread(void *arg)
{
    client_t *c = arg;
    esp_tls_t *tls = esp_tls_init();
    c->connect_rc = tls == NULL ? -1 : esp_tls_conn_new_sync("localhost", 9, c->port, c->cfg, tls);
    char buf[8];
    if (c->connect_rc == 1 && esp_tls_conn_write(tls, "ping", 4) == 4) {
        c->echoed = esp_tls_conn_read(tls, buf, sizeof(buf));
    }
    esp_tls_conn_destroy(tls);
    return NULL;
}

/* A line of the NSS key log: a known label, the client random, a 32- or 48-byte secret. */
static bool well_formed(const char *line)
{
    static const char *const labels[] = { "CLIENT_RANDOM ", "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
                                          "SERVER_HANDSHAKE_TRAFFIC_SECRET ", "CLIENT_TRAFFIC_SECRET_0 ",
                                          "SERVER_TRAFFIC_SECRET_0 " };
    size_t i = 0;
    while (i < sizeof(labels) / sizeof(labels[0]) && strncmp(line, labels[i], strlen(labels[i])) != 0) {
        i++;
    }
    if (i == sizeof(labels) / sizeof(labels[0])) {
        return false;
    }
    const char *hex = line + strlen(labels[i]);
    size_t random_len = strspn(hex, "0123456789abcdef");
    size_t secret_len = random_len == 64 && hex[64] == ' ' ? strspn(hex + 65, "0123456789abcdef") : 0;
    return (secret_len == 64 || secret_len == 96) && strcmp(hex + 65 + secret_len, "\n") == 0;
}

static int count(const lines_t *set, const char *line)
{
    int n = 0;
    for (int i = 0; i < set->n; i++) {
        n += strcmp(set->line[i], line) == 0;
    }
    return n;
}

/* PAIRS client threads against PAIRS server threads at once: every new line is whole, and each
 * appears twice, once from each end of its session. */
static void test_threads_log_whole_lines(void **state)
{
    (void)state;
    lines_t before, after;
    read_lines(ours, &before);
    esp_tls_cfg_server_t server = server_cfg();
    esp_tls_cfg_t cfg = { .timeout_ms = 10000 };
    cfg_trust(&cfg, "ca.pem");
    echo_server_t srv[PAIRS] = { 0 };
    client_t clients[PAIRS] = { 0 };
    pthread_t threads[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        echo_server_start(&srv[i], &server, 1);
        clients[i] = (client_t){ .port = srv[i].port, .cfg = &cfg };
        assert_int_equal(pthread_create(&threads[i], NULL, client_thread, &clients[i]), 0);
    }
    for (int i = 0; i < PAIRS; i++) {
        pthread_join(threads[i], NULL);
        echo_server_join(&srv[i]);
        assert_int_equal(clients[i].connect_rc, 1);
        assert_int_equal(clients[i].echoed, 4);
        assert_int_equal(srv[i].result[0].create_rc, 0);
    }
    read_lines(ours, &after);
    assert_int_equal(after.n - before.n, PAIRS * 2 * LINES_PER_SESSION);
    for (int i = before.n; i < after.n; i++) {
        assert_true(well_formed(after.line[i]));
        assert_int_equal(count(&after, after.line[i]), 2);
    }
}

static int remove_dir(void **state)
{
    (void)state;
    const char *names[] = { "portls.keys", "openssl12.keys", "openssl13.keys" };
    char path[sizeof(dir) + 32];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

int main(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(ours, sizeof(ours), "%s/portls.keys", dir);
    setenv("SSLKEYLOGFILE", ours, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls12_secrets_match_openssl),
#ifdef MBEDTLS_SSL_PROTO_TLS1_3
        cmocka_unit_test(test_tls13_secrets_match_openssl),
#endif
        cmocka_unit_test(test_nothing_else_logged),
        cmocka_unit_test(test_threads_log_whole_lines), /* after the check of what the others logged */
    };
    return cmocka_run_group_tests(tests, NULL, remove_dir);
}
