/* portls get against curl on the same nginx URLs: the same body, byte for byte, and the same
 * final status, for plain and TLS requests, a large file, redirects with and without -L, a 404,
 * a form POST, Basic credentials and a gzip body; and -v's TLS summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nginx.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_curl),
        cmocka_unit_test(test_failure_is_reported),
    };
    return cmocka_run_group_tests(tests, nginx_group_setup, nginx_group_teardown);
}
