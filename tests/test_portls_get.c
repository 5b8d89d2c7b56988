/* portls get against curl on the same nginx URLs: the same body, byte for byte, and the same
 * final status, for plain and TLS requests, a large file, redirects with and without -L, a 404,
 * a form POST, Basic credentials and a gzip body; credentials on redirects to another origin
 * (-L, --location-trusted, --digest); -v's TLS summary and request lines; the progress bar's
 * redraw rate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "nginx.h"
#include "sdkconfig.h"
#include "tls_test.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *data = malloc(*len + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, *len, f), *len);
    fclose(f);
    return data;
}

/* The last "< HTTP nnn" that portls get -v printed. */
static int last_status(const char *verbose)
{
    const char *p = verbose, *last = NULL;
    while ((p = strstr(p, "< HTTP ")) != NULL) {
        last = p;
        p++;
    }
    return last != NULL ? atoi(last + 7) : -1;
}

/* Runs portls get and curl with the same flags on url; asserts both succeed with the same body
 * and status. extra: NULL-terminated flags both understand. @return what portls get -v said. */
static const char *compare(const char *url, const char *const extra[])
{
    const char *mine = "/tmp/portls-get-mine", *theirs = "/tmp/portls-get-curl";
    const char *portls[24] = { PORTLS_TOOL, "get", url, "-v", "-o", mine, "--cacert", cert_path("ca.pem") };
    const char *curl[24] = { "curl", "-s", url, "-o", theirs, "-w", "%{http_code}", "--cacert", cert_path("ca.pem") };
    int n = 8, m = 9;
    for (int i = 0; extra[i] != NULL; i++) {
        portls[n++] = extra[i];
        curl[m++] = extra[i];
    }
    static char out_mine[65536], out_curl[256];
    assert_int_equal(run_program(portls, NULL, out_mine, sizeof(out_mine)), 0);
    assert_int_equal(run_program(curl, NULL, out_curl, sizeof(out_curl)), 0);
    assert_int_equal(last_status(out_mine), atoi(out_curl));
    size_t len_mine, len_curl;
    char *a = read_all(mine, &len_mine), *b = read_all(theirs, &len_curl);
    assert_int_equal(len_mine, len_curl);
    assert_memory_equal(a, b, len_mine);
    free(a);
    free(b);
    unlink(mine);
    unlink(theirs);
    return out_mine;
}

static void url(char *out, size_t len, bool tls, const char *path)
{
    snprintf(out, len, "%s://localhost:%d%s", tls ? "https" : "http", tls ? nginx_group.https_port : nginx_group.http_port, path);
}

static void test_same_as_curl(void **state)
{
    (void)state;
    const struct {
        bool tls;
        const char *path;
        const char *extra[4];
    } cases[] = {
        { false, "/hello.txt", { NULL } },
        { true, "/hello.txt", { NULL } },
        { true, "/big.bin", { NULL } },
        { false, "/r302", { NULL } },
        { true, "/r301", { "-L", NULL } },
        { true, "/abs", { "-L", NULL } },
        { true, "/nothing-here", { NULL } },
        { true, "/post", { "-d", "a=1&b=2", NULL } },
        { true, "/post", { "-X", "DELETE", NULL } },
        { true, "/private/secret.txt", { NULL } },
        { true, "/private/secret.txt", { "-u", "portls:secret", NULL } },
        { false, "/gzip.txt", { "-H", "Accept-Encoding: gzip", NULL } },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char u[160];
        url(u, sizeof(u), cases[i].tls, cases[i].path);
        print_message("portls get vs curl: %s\n", u);
        const char *verbose = compare(u, cases[i].extra);
        assert_non_null(strstr(verbose, cases[i].tls ? "Verification: OK" : "Plain TCP")); /* -v's TLS summary */
    }
}

/* -L -u as curl: the credentials and the Cookie header stay behind when a redirect leads to
 * another port or host (a 401 there, or nginx's echo shows nothing arrived); --location-trusted
 * sends them on; --digest never answers a Basic challenge. */
static void test_credentials_on_redirect_as_curl(void **state)
{
    (void)state;
    char to_port[192], to_host[192], to_same[192], secret[128];
    snprintf(to_port, sizeof(to_port), "https://localhost:%d/goto?to=https://localhost:%d/private/secret.txt",
             nginx_group.https_port, nginx_group.alt_port);
    snprintf(to_host, sizeof(to_host), "https://localhost:%d/goto?to=https://127.0.0.1:%d/echo-auth",
             nginx_group.https_port, nginx_group.https_port);
    snprintf(to_same, sizeof(to_same), "https://localhost:%d/goto?to=https://localhost:%d/echo-auth",
             nginx_group.https_port, nginx_group.https_port);
    url(secret, sizeof(secret), true, "/private/secret.txt");
    const struct {
        const char *url;
        const char *extra[7];
    } cases[] = {
        { to_port, { "-L", "-u", "portls:secret", NULL } },
        { to_port, { "--location-trusted", "-u", "portls:secret", NULL } },
        { to_host, { "-L", "-u", "portls:secret", "-H", "Cookie: c=1", NULL } },
        { to_host, { "--location-trusted", "-u", "portls:secret", "-H", "Cookie: c=1", NULL } },
        { to_same, { "-L", "-u", "portls:secret", "-H", "Cookie: c=1", NULL } },
        { secret, { "--digest", "-u", "portls:secret", NULL } },
    };
    const int statuses[] = { 401, 200, 200, 200, 200, 401 };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("portls get vs curl: %s %s\n", cases[i].url, cases[i].extra[0]);
        assert_int_equal(last_status(compare(cases[i].url, cases[i].extra)), statuses[i]);
    }
}

static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p++) {
        n++;
    }
    return n;
}

/* -v prints each request as curl does, "> " and the line, as sent: through a redirect to another
 * port, the second request goes without the Authorization header. */
static void test_verbose_shows_the_requests(void **state)
{
    (void)state;
    char u[192], out[16384], line[96];
    snprintf(u, sizeof(u), "https://localhost:%d/goto?to=https://localhost:%d/hello.txt", nginx_group.https_port,
             nginx_group.alt_port);
    const char *argv[] = { PORTLS_TOOL, "get", u, "-v", "-L", "-u", "portls:secret", "-H", "X-Test: 1",
                           "--cacert", cert_path("ca.pem"), NULL };
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 0);
    snprintf(line, sizeof(line), "\n> GET /goto?to=https://localhost:%d/hello.txt HTTP/1.1\n> Host: localhost:%d\n",
             nginx_group.alt_port, nginx_group.https_port);
    assert_non_null(strstr(out, line));
    snprintf(line, sizeof(line), "\n> GET /hello.txt HTTP/1.1\n> Host: localhost:%d\n", nginx_group.alt_port);
    assert_non_null(strstr(out, line));
    assert_int_equal(count(out, "\n> User-Agent: "), 2);
    assert_int_equal(count(out, "\n> X-Test: 1\n"), 2);
    assert_int_equal(count(out, "\n> Authorization: Basic cG9ydGxzOnNlY3JldA==\n"), 1); /* the first origin only */
    assert_int_equal(count(out, "\n> \n"), 2); /* each head's blank line */
}

/* The progress bar (a download of 1 MiB or more to a file, stdout and stderr a terminal: here
 * script's pty) is drawn at most about 10 times a second, and ends at 100%. */
static void test_progress_bar_redraws_at_most_ten_times_a_second(void **state)
{
    (void)state;
    char u[128], command[512];
    url(u, sizeof(u), true, "/big.bin");
    const char *file = "/tmp/portls-get-progress";
    snprintf(command, sizeof(command), "%s get %s -o %s --cacert %s", PORTLS_TOOL, u, file, cert_path("ca.pem"));
    const char *argv[] = { "script", "-q", "-e", "-c", command, "/dev/null", NULL };
    static char out[65536];
    int64_t start = esp_deadline_now_ms();
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 0);
    double seconds = (double)(esp_deadline_now_ms() - start) / 1e3;
    unlink(file);
    int redraws = count(out, "\r["); /* the pty also turns "\n" into "\r\n" */
    print_message("%d redraws in %.2f s\n", redraws, seconds);
    assert_non_null(strstr(out, "100% 1048593/1048593 bytes"));
    assert_true(redraws >= 1);
    assert_true(redraws <= 2 + (int)(seconds * 10)); /* one at once, then one per 100 ms, and the last */
}

/* A failed request: exit status 1 and the reason on stderr. */
static void test_failure_is_reported(void **state)
{
    (void)state;
    char u[160], out[4096];
    url(u, sizeof(u), true, "/hello.txt");
    const char *argv[] = { PORTLS_TOOL, "get", u, "--cacert", cert_path("other_ca.pem"), NULL };
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "ESP_ERR_HTTP_CONNECT"));
    assert_non_null(strstr(out, "verify flags"));
    /* No --cacert: the built-in bundle, or the system trust store in a build without one (on a
     * system mbedTLS); neither knows the test CA, and the server is still verified. */
    const char *no_ca[] = { PORTLS_TOOL, "get", u, NULL };
    assert_int_equal(run_program(no_ca, NULL, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "verify flags 0x8"));
    const char *usage[] = { PORTLS_TOOL, "get", NULL };
    assert_int_equal(run_program(usage, NULL, out, sizeof(out)), 2);
}

/* A verification failure prints, once, the chain the server sent, the trust it was checked
 * against and a try: line, with the log off (the harness sets PORTLS_LOG_LEVEL=none). */
static void test_verification_failure_is_diagnosed(void **state)
{
    (void)state;
    char u[160], out[8192];
    url(u, sizeof(u), true, "/hello.txt");
    const char *argv[] = { PORTLS_TOOL, "get", u, "--cacert", cert_path("other_ca.pem"), NULL };
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 1);
    assert_int_equal(count(out, "Peer certificate chain (NOT verified):\n  [0] subject: CN=localhost\n"), 1);
    assert_non_null(strstr(out, "issuer:  CN=portls test CA\n      valid:   "));
    char trust[256];
    snprintf(trust, sizeof(trust), "Trust: --cacert %s\n", cert_path("other_ca.pem"));
    assert_non_null(strstr(out, trust));
    assert_int_equal(count(out, "try: --cacert FILE holding \"CN=portls test CA\""), 1);
    const char *builtin[] = { PORTLS_TOOL, "get", u, NULL };
    assert_int_equal(run_program(builtin, NULL, out, sizeof(out)), 1);
    assert_int_equal(count(out, "Trust: the "), 1); /* the built-in bundle, or a system mbedTLS's trust store */
    assert_int_equal(count(out, "\ntry: "), 1);
}

/* Runs portls get with args after the URL; asserts the exit status. @return its output. */
static const char *get(const char *u, int status, const char *const args[])
{
    static char out[16384];
    const char *argv[16] = { PORTLS_TOOL, "get", u, "--cacert", cert_path("ca.pem") };
    for (int i = 0; args[i] != NULL; i++) {
        argv[5 + i] = args[i];
    }
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), status);
    return out;
}

/* curl's -f (exit 22, no body), -I (HEAD: status and headers on stdout, no body) and -m (the
 * whole transfer within SECONDS, else exit 28). */
static void test_fail_head_and_max_time_as_curl(void **state)
{
    (void)state;
    char missing[160], hello[160], slow[160];
    url(missing, sizeof(missing), true, "/nothing-here");
    url(hello, sizeof(hello), true, "/hello.txt");
    url(slow, sizeof(slow), true, "/slow/big.bin");
    const char *out = get(missing, 22, (const char *[]){ "-f", NULL });
    assert_non_null(strstr(out, "portls get: the server answered 404 (-f)"));
    assert_null(strstr(out, "<html>")); /* nginx's error page stays unprinted */
    assert_non_null(strstr(get(missing, 0, (const char *[]){ NULL }), "<html>"));
    assert_string_equal(get(hello, 0, (const char *[]){ "--fail", NULL }), "hello from nginx\n");
    out = get(hello, 0, (const char *[]){ "-I", NULL });
    assert_non_null(strstr(out, "HTTP 200\n"));
    assert_non_null(strstr(out, "Content-Length: 17\n"));
    assert_null(strstr(out, "hello from nginx"));
    int64_t start = esp_deadline_now_ms();
    out = get(slow, 28, (const char *[]){ "-m", "1", "-o", "/dev/null", NULL });
    int64_t took = esp_deadline_now_ms() - start;
    print_message("-m 1 ended the 64 s download after %lld ms\n", (long long)took);
    assert_true(took >= 900 && took < 5000);
    assert_non_null(strstr(out, "operation timed out after 1 seconds"));
    /* --connect-timeout leaves a request that connects in time alone (test_connect_timeout: one that does not) */
    assert_string_equal(get(hello, 0, (const char *[]){ "--connect-timeout", "1", NULL }), "hello from nginx\n");
    out = get(hello, 2, (const char *[]){ "--connect-timeout", "abc", NULL });
    assert_non_null(strstr(out, "--connect-timeout 'abc' is not a number"));
    out = get(hello, 2, (const char *[]){ "-m", "0", NULL });
    assert_non_null(strstr(out, "-m/--max-time '0' is not a number from 1"));
}

/* --connect-timeout: a server that takes the TCP connection and never answers the handshake (a
 * listening socket nobody accepts from) is given up after SECONDS, not after the 30 s of a read. */
static void test_connect_timeout(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t len = sizeof(addr);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    char u[64];
    snprintf(u, sizeof(u), "https://127.0.0.1:%d/", ntohs(addr.sin_port));
    int64_t start = esp_deadline_now_ms();
    const char *out = get(u, 1, (const char *[]){ "--connect-timeout", "1", NULL });
    int64_t took = esp_deadline_now_ms() - start;
    print_message("--connect-timeout 1 gave up the handshake after %lld ms: %s", (long long)took, out);
    assert_true(took >= 900 && took < 5000);
    close(fd);
}

/* --pass decrypts an encrypted --key (mutual TLS on nginx's mtls_port); --bundle verifies with a
 * bundle file that portls bundle build made. */
static void test_pass_and_bundle(void **state)
{
    (void)state;
    char u[160], out[8192];
    snprintf(u, sizeof(u), "https://localhost:%d/mtls/x", nginx_group.mtls_port);
    const char *with_pass[] = { "--cert", cert_path("client.pem"), "--key", cert_path("client_enc.key"), "--pass",
                                "secret", NULL };
    assert_non_null(strstr(get(u, 0, with_pass), "client CN="));
    const char *no_pass[] = { "--cert", cert_path("client.pem"), "--key", cert_path("client_enc.key"), NULL };
    get(u, 1, no_pass);
    const char *bundle = "/tmp/portls-get-bundle.bin", *other = "/tmp/portls-get-other.bin";
    const char *build[] = { PORTLS_TOOL, "bundle", "build", "-o", bundle, cert_path("ca.pem"), NULL };
    assert_int_equal(run_program(build, NULL, out, sizeof(out)), 0);
    const char *build_other[] = { PORTLS_TOOL, "bundle", "build", "-o", other, cert_path("other_ca.pem"), NULL };
    assert_int_equal(run_program(build_other, NULL, out, sizeof(out)), 0);
    url(u, sizeof(u), true, "/hello.txt");
    const char *good[] = { PORTLS_TOOL, "get", u, "--bundle", bundle, NULL };
#ifdef CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
    assert_int_equal(run_program(good, NULL, out, sizeof(out)), 0);
    assert_string_equal(out, "hello from nginx\n");
    const char *bad[] = { PORTLS_TOOL, "get", u, "--bundle", other, NULL };
    assert_int_equal(run_program(bad, NULL, out, sizeof(out)), 1);
    char trust[128];
    snprintf(trust, sizeof(trust), "Trust: --bundle %s\n", other);
    assert_non_null(strstr(out, trust));
#else /* an mbedTLS without the trusted-certificate callback: refused, saying why */
    assert_int_equal(run_program(good, NULL, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "cannot use a bundle"));
#endif
    const char *both[] = { PORTLS_TOOL, "get", u, "--bundle", bundle, "--cacert", cert_path("ca.pem"), NULL };
    assert_int_equal(run_program(both, NULL, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "give one"));
    unlink(bundle);
    unlink(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_curl),
        cmocka_unit_test(test_credentials_on_redirect_as_curl),
        cmocka_unit_test(test_verbose_shows_the_requests),
        cmocka_unit_test(test_progress_bar_redraws_at_most_ten_times_a_second),
        cmocka_unit_test(test_failure_is_reported),
        cmocka_unit_test(test_verification_failure_is_diagnosed),
        cmocka_unit_test(test_fail_head_and_max_time_as_curl),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_pass_and_bundle),
    };
    return cmocka_run_group_tests(tests, nginx_group_setup, nginx_group_teardown);
}
