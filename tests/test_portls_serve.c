/* portls serve against clients that stall: one that stops in the middle of a record or in the
 * handshake is dropped after --timeout and the next client is served; and SIGINT and SIGTERM
 * stop the server promptly in each state: accepting, in a handshake, reading, writing. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "tls_test.h"

#define GENEROUS_MS 20000 /* bound of every wait for something that must happen */
#define STOP_BOUND_MS 5000 /* the server looks every 200 ms; its own timeouts here are 60 s */

typedef struct {
    peer_t peer; /* peer.port: where the server listens */
    char log[64];
} server_t;

static char *read_log(const server_t *s)
{
    static char text[65536];
    FILE *f = fopen(s->log, "r");
    size_t n = f != NULL ? fread(text, 1, sizeof(text) - 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    text[n] = '\0';
    return text;
}

/* @return whether the server's output came to contain text within GENEROUS_MS. */
static bool wait_for_log(const server_t *s, const char *text)
{
    for (esp_deadline_t end = esp_deadline_in_ms(GENEROUS_MS); !esp_deadline_expired(end); sleep_ms(20)) {
        if (strstr(read_log(s), text) != NULL) {
            return true;
        }
    }
    fprintf(stderr, "the server's output lacks \"%s\":\n%s\n", text, read_log(s));
    return false;
}

static server_t the_server; /* one per test, killed after it if it failed with it running */

static int kill_leftover(void **state)
{
    (void)state;
    if (the_server.peer.pid > 0) {
        kill(the_server.peer.pid, SIGKILL);
        waitpid(the_server.peer.pid, NULL, 0);
        the_server.peer.pid = 0;
    }
    peer_stop(&the_server.peer);
    return 0;
}

/* portls serve --port 0 with the EC server certificate and --timeout timeout_ms. */
static server_t *server_start(const char *timeout_ms)
{
    static int count;
    server_t *s = &the_server;
    snprintf(s->log, sizeof(s->log), "/tmp/portls-serve-%d-%d.log", (int)getpid(), count++);
    const char *argv[] = { PORTLS_TOOL, "serve", "--port", "0", "--cert", cert_path("server_ec.pem"), "--key",
                           cert_path("server_ec.key"), "--timeout", timeout_ms, NULL };
    assert_int_equal(peer_spawn(&s->peer, argv, s->log), 0);
    assert_true(wait_for_log(s, "listening on 127.0.0.1:"));
    s->peer.port = atoi(strstr(read_log(s), "listening on 127.0.0.1:") + strlen("listening on 127.0.0.1:"));
    assert_true(s->peer.port > 0);
    return s;
}

/* Sends sig and waits for the exit. @return how long it took, in ms; asserts exit status 0. */
static int server_stop(server_t *s, int sig)
{
    int64_t start = esp_deadline_now_ms();
    esp_deadline_t end = esp_deadline_in_ms(GENEROUS_MS);
    assert_int_equal(kill(s->peer.pid, sig), 0);
    int status = -1;
    pid_t done = 0;
    while ((done = waitpid(s->peer.pid, &status, WNOHANG)) == 0 && !esp_deadline_expired(end)) {
        sleep_ms(10);
    }
    int elapsed_ms = (int)(esp_deadline_now_ms() - start);
    if (done != s->peer.pid) {
        fail_msg("portls serve did not stop within %d ms", GENEROUS_MS); /* kill_leftover() kills it */
    }
    s->peer.pid = 0;
    peer_stop(&s->peer);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_non_null(strstr(read_log(s), "portls serve: stopped"));
    unlink(s->log);
    return elapsed_ms;
}

static esp_tls_t *tls_client(const server_t *s)
{
    esp_tls_cfg_t cfg = { .timeout_ms = GENEROUS_MS };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls = NULL;
    assert_int_equal(connect_peer(&s->peer, "localhost", &cfg, &tls), 1);
    return tls;
}

static int tcp_client(const server_t *s)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->peer.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void send_raw(int fd, const void *bytes, size_t len)
{
    assert_int_equal(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* The header of an application-data record of 256 bytes and 16 of them: the rest never comes. */
static void send_half_a_record(esp_tls_t *tls)
{
    static const unsigned char part[5 + 16] = { 0x17, 0x03, 0x03, 0x01, 0x00 };
    int fd = -1;
    assert_int_equal(esp_tls_get_conn_sockfd(tls, &fd), ESP_OK);
    send_raw(fd, part, sizeof(part));
}

/* Bytes the server has not read yet on its connection from the client on fd (Linux's
 * /proc/net/tcp), or -1 when the connection is not listed. */
static long server_unread(const server_t *s, int fd)
{
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &len), 0);
    FILE *f = fopen("/proc/net/tcp", "r");
    assert_non_null(f);
    char line[512];
    long unread = -1;
    while (unread < 0 && fgets(line, sizeof(line), f) != NULL) {
        unsigned local_port, remote_port, state;
        unsigned long tx, rx;
        if (sscanf(line, " %*d: %*x:%x %*x:%x %x %lx:%lx", &local_port, &remote_port, &state, &tx, &rx) == 5 &&
            local_port == (unsigned)s->peer.port && remote_port == ntohs(me.sin_port)) {
            unread = (long)rx;
        }
    }
    fclose(f);
    return unread;
}

/* Waits until the server has read everything the client on fd sent. */
static void wait_until_server_read(const server_t *s, int fd)
{
    for (esp_deadline_t end = esp_deadline_in_ms(GENEROUS_MS); !esp_deadline_expired(end); sleep_ms(10)) {
        if (server_unread(s, fd) == 0) {
            return;
        }
    }
    fail_msg("the server did not read what the client sent");
}

/* A second client gets its echo. */
static void assert_served(const server_t *s)
{
    esp_tls_t *tls = tls_client(s);
    assert_int_equal(esp_tls_conn_write(tls, "next", 4), 4);
    char buf[16];
    assert_int_equal(esp_tls_conn_read(tls, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "next", 4);
    esp_tls_conn_destroy(tls);
}

static void test_stall_in_a_record_does_not_pin_the_server(void **state)
{
    (void)state;
    server_t *s = server_start("1000");
    esp_tls_t *stalled = tls_client(s);
    send_half_a_record(stalled);
    assert_served(s);
    assert_true(wait_for_log(s, "#1 dropped: no progress in the middle of a record"));
    esp_tls_conn_destroy(stalled);
    server_stop(s, SIGTERM);
}

static void test_stall_in_the_handshake_does_not_pin_the_server(void **state)
{
    (void)state;
    server_t *s = server_start("1000");
    int stalled = tcp_client(s);
    send_raw(stalled, "\x16\x03\x01", 3); /* the start of a ClientHello's record header */
    assert_served(s);
    assert_true(wait_for_log(s, "#1 dropped: no progress in the handshake"));
    close(stalled);
    server_stop(s, SIGINT);
}

static void assert_stops_promptly(server_t *s, int sig, const char *state_name)
{
    int ms = server_stop(s, sig);
    fprintf(stderr, "portls serve stopped %d ms after %s while %s\n", ms, sig == SIGINT ? "SIGINT" : "SIGTERM",
            state_name);
    assert_true(ms < STOP_BOUND_MS);
}

static void test_signal_while_accepting(void **state)
{
    (void)state;
    server_t *s = server_start("60000");
    assert_stops_promptly(s, SIGINT, "accepting");
}

static void test_signal_in_a_handshake(void **state)
{
    (void)state;
    server_t *s = server_start("60000");
    int fd = tcp_client(s);
    send_raw(fd, "\x16\x03\x01", 3);
    assert_true(wait_for_log(s, "#1 connection from"));
    wait_until_server_read(s, fd);
    assert_stops_promptly(s, SIGTERM, "in a handshake");
    close(fd);
}

static void test_signal_while_reading(void **state)
{
    (void)state;
    server_t *s = server_start("60000");
    esp_tls_t *tls = tls_client(s);
    assert_true(wait_for_log(s, "#1 TLSv1.3"));
    send_half_a_record(tls);
    int fd = -1;
    esp_tls_get_conn_sockfd(tls, &fd);
    wait_until_server_read(s, fd);
    assert_stops_promptly(s, SIGINT, "reading a record");
    esp_tls_conn_destroy(tls);
}

/* Sends to the echo server without reading until it can take no more for a second: its own
 * writes are then stuck on the client's full window. */
static void fill_until_server_stuck(esp_tls_t *tls)
{
    int fd = -1, small = 16384;
    assert_int_equal(esp_tls_get_conn_sockfd(tls, &fd), ESP_OK);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    static char chunk[16384];
    for (long sent = 0; sent < 512L * 1024 * 1024;) {
        ssize_t n = esp_tls_conn_write(tls, chunk, sizeof(chunk));
        if (n > 0) {
            sent += n;
            continue;
        }
        assert_true(n == ESP_TLS_ERR_SSL_WANT_WRITE);
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        if (poll(&pfd, 1, 1000) == 0) {
            return;
        }
    }
    fail_msg("the server kept reading 512 MiB that it could not echo");
}

static void test_signal_while_writing(void **state)
{
    (void)state;
    server_t *s = server_start("60000");
    esp_tls_t *tls = tls_client(s);
    fill_until_server_stuck(tls);
    assert_stops_promptly(s, SIGTERM, "writing");
    esp_tls_conn_destroy(tls);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_stall_in_a_record_does_not_pin_the_server, kill_leftover),
        cmocka_unit_test_teardown(test_stall_in_the_handshake_does_not_pin_the_server, kill_leftover),
        cmocka_unit_test_teardown(test_signal_while_accepting, kill_leftover),
        cmocka_unit_test_teardown(test_signal_in_a_handshake, kill_leftover),
        cmocka_unit_test_teardown(test_signal_while_reading, kill_leftover),
        cmocka_unit_test_teardown(test_signal_while_writing, kill_leftover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
