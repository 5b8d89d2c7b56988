/* esp_http_client against nginx on loopback (tests/support/nginx.h): plain and TLS requests,
 * streaming, POST, redirects, basic auth and where credentials go, keep-alive, saved sessions,
 * chunked bodies, errors as ESP-IDF reports them; against the C test server: Digest, failures,
 * interim 1xx responses and an async POST larger than the socket buffers. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "esp_http_client.h"
#include "esp_log.h"
#include "http_test_client.h"
#include "http_test_server.h"
#include "nginx.h"
#include "tls_cut_peer.h"
#include "tls_test.h"

/* perform() with tag's warnings and errors logged (the tests run with logging off), what it logs
 * on stderr into out. */
static esp_err_t perform_logged(esp_http_client_handle_t client, const char *tag, char *out, size_t len)
{
    char path[] = "/tmp/portls-http-log-XXXXXX";
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    esp_log_level_set(tag, ESP_LOG_WARN);
    esp_err_t err = esp_http_client_perform(client);
    esp_log_level_set(tag, ESP_LOG_NONE);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t n = pread(fd, out, len - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return err;
}

static void test_get_http_and_https(void **state)
{
    (void)state;
    for (int tls = 0; tls < 2; tls++) {
        seen_t seen = { 0 };
        esp_http_client_handle_t client = client_for("/hello.txt", tls, &seen);
        assert_int_equal(esp_http_client_perform(client), ESP_OK);
        assert_int_equal(esp_http_client_get_status_code(client), 200);
        assert_int_equal(esp_http_client_get_content_length(client), 17);
        assert_false(esp_http_client_is_chunked_response(client));
        assert_true(esp_http_client_is_complete_data_received(client));
        assert_int_equal(esp_http_client_get_transport_type(client),
                         tls ? HTTP_TRANSPORT_OVER_SSL : HTTP_TRANSPORT_OVER_TCP);
        assert_string_equal(seen.body, "hello from nginx\n");
        assert_string_equal(seen.content_type, "text/plain");
        assert_int_equal(seen.finished, 1);
        assert_int_equal(seen.connected, 1);
        assert_int_equal(esp_http_client_cleanup(client), ESP_OK);
        assert_int_equal(seen.disconnected, 1);
    }
}

/* ESP-IDF: a 404 is a status, not an error. */
static void test_404_is_a_status(void **state)
{
    (void)state;
    seen_t seen = { 0 };
    esp_http_client_handle_t client = client_for("/nothing-here", false, &seen);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 404);
    esp_http_client_cleanup(client);
}

/* ESP-IDF: https with no trust anchor fails to connect, with one HTTP_EVENT_ERROR. */
static void test_https_without_trust_anchor(void **state)
{
    (void)state;
    char url[128];
    url_of(url, sizeof(url), true, "/hello.txt");
    seen_t seen = { 0 };
    esp_http_client_config_t cfg = { .url = url, .event_handler = on_event, .user_data = &seen };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_ERR_HTTP_CONNECT);
    assert_int_equal(seen.errors, 1);
    assert_int_equal(esp_http_client_open(client, 0), ESP_ERR_HTTP_CONNECT); /* open() says it too */
    assert_int_equal(seen.errors, 2);
    int code = 0;
    assert_int_equal(esp_http_client_get_and_clear_last_tls_error(client, &code, NULL), ESP_ERR_MBEDTLS_SSL_SETUP_FAILED);
    esp_http_client_cleanup(client);
}

static void test_stream_large_file(void **state)
{
    (void)state;
    for (int tls = 0; tls < 2; tls++) {
        esp_http_client_handle_t client = client_for("/big.bin", tls, &(seen_t){ 0 });
        assert_int_equal(esp_http_client_open(client, 0), ESP_OK);
        assert_int_equal(esp_http_client_fetch_headers(client), NGINX_BIG_LEN);
        static char buf[3000];
        long total = 0;
        int n;
        while ((n = esp_http_client_read(client, buf, sizeof(buf))) > 0) {
            for (int i = 0; i < n; i++) {
                assert_int_equal((unsigned char)buf[i], (unsigned char)((total + i) % 251));
            }
            total += n;
        }
        assert_int_equal(n, 0);
        assert_int_equal(total, NGINX_BIG_LEN);
        assert_int_equal(esp_http_client_close(client), ESP_OK);
        esp_http_client_cleanup(client);
    }
}

static void test_post_field(void **state)
{
    (void)state;
    seen_t seen = { 0 };
    esp_http_client_handle_t client = client_for("/post", false, &seen);
    assert_int_equal(esp_http_client_set_post_field(client, "a=1&b=2", 7), ESP_OK);
    char *data = NULL;
    assert_int_equal(esp_http_client_get_post_field(client, &data), 7);
    char *type = NULL;
    assert_int_equal(esp_http_client_get_header(client, "Content-Type", &type), ESP_OK);
    assert_string_equal(type, "application/x-www-form-urlencoded");
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_string_equal(seen.body, "POST 7");
    seen = (seen_t){ 0 };
    assert_int_equal(esp_http_client_set_method(client, HTTP_METHOD_PUT), ESP_OK);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_string_equal(seen.body, "PUT 7");
    esp_http_client_cleanup(client);
}

static void test_chunked_request(void **state)
{
    (void)state;
    esp_http_client_handle_t client = client_for("/post", true, &(seen_t){ 0 });
    assert_int_equal(esp_http_client_set_method(client, HTTP_METHOD_POST), ESP_OK);
    assert_int_equal(esp_http_client_open(client, -1), ESP_OK);
    const char *parts[] = { "first,", "second,", "third" };
    for (int i = 0; i < 3; i++) {
        int len = (int)strlen(parts[i]);
        assert_int_equal(esp_http_client_chunk_write_begin(client, len), ESP_OK);
        assert_int_equal(esp_http_client_write(client, parts[i], len), len);
        assert_int_equal(esp_http_client_chunk_write_end(client), ESP_OK);
    }
    assert_int_equal(esp_http_client_chunk_write_begin(client, 0), ESP_OK);
    assert_int_equal(esp_http_client_chunk_write_end(client), ESP_OK);
    assert_true(esp_http_client_fetch_headers(client) >= 0);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    char body[64] = { 0 };
    assert_true(esp_http_client_read_response(client, body, sizeof(body) - 1) > 0);
    assert_memory_equal(body, "POST ", 5);
    esp_http_client_cleanup(client);
}

static void test_redirects(void **state)
{
    (void)state;
    const char *paths[] = { "/r301", "/r302", "/r303", "/r307", "/r308", "/abs" };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        seen_t seen = { 0 };
        esp_http_client_handle_t client = client_for(paths[i], true, &seen);
        assert_int_equal(esp_http_client_perform(client), ESP_OK);
        assert_int_equal(esp_http_client_get_status_code(client), 200);
        assert_non_null(strstr(seen.body, "hello from nginx\n")); /* after the 3xx page's own body */
        assert_int_equal(seen.finished, 2);                    /* the 3xx, then the page */
        char url[128];
        assert_int_equal(esp_http_client_get_url(client, url, sizeof(url)), ESP_OK);
        assert_non_null(strstr(url, "/hello.txt"));
        esp_http_client_cleanup(client);
    }
}

/* Follows start_url's redirects on nginx: the answer is hello.txt, and the URL it came from is
 * want_url. */
static void check_followed(const char *start_url, const char *want_url)
{
    seen_t seen = { 0 };
    esp_http_client_config_t cfg = { .url = start_url, .event_handler = on_event, .user_data = &seen,
                                     .cert_pem = (const char *)pki("ca.pem")->data };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_non_null(client);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    assert_non_null(strstr(seen.body, "hello from nginx\n"));
    char url[160];
    assert_int_equal(esp_http_client_get_url(client, url, sizeof(url)), ESP_OK);
    assert_string_equal(url, want_url);
    esp_http_client_cleanup(client);
}

/* A Location is a URI reference (RFC 3986 5.2): "://" in its query does not make it absolute, a
 * network-path reference names another host, and dot segments are resolved. */
static void test_redirect_references(void **state)
{
    (void)state;
    char start[128], want[160];
    for (int tls = 0; tls < 2; tls++) { /* over https, the query's "http://" is no downgrade */
        url_of(start, sizeof(start), tls, "/query-url");
        url_of(want, sizeof(want), tls, "/hello.txt?from=http://example.invalid/x");
        check_followed(start, want);
    }
    snprintf(start, sizeof(start), "http://127.0.0.1:%d/netpath", nginx_group.http_port);
    snprintf(want, sizeof(want), "http://localhost:%d/hello.txt", nginx_group.http_port);
    check_followed(start, want);
    url_of(start, sizeof(start), false, "/dots/a");
    url_of(want, sizeof(want), false, "/hello.txt");
    check_followed(start, want);
}

/* An IPv6 literal keeps its brackets in the Host header and in the URL. */
static void test_ipv6_host(void **state)
{
    (void)state;
    char url[96], want[64];
    snprintf(url, sizeof(url), "http://[::1]:%d/host", nginx_group.http_port);
    seen_t seen = { 0 };
    esp_http_client_config_t cfg = { .url = url, .event_handler = on_event, .user_data = &seen };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_non_null(client);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    snprintf(want, sizeof(want), "[::1]:%d", nginx_group.http_port);
    assert_string_equal(seen.body, want); /* what nginx received as Host */
    char got[96];
    assert_int_equal(esp_http_client_get_url(client, got, sizeof(got)), ESP_OK);
    assert_string_equal(got, url);
    esp_http_client_cleanup(client);

    esp_http_client_config_t by_host = { .host = "::1", .port = nginx_group.http_port, .path = "/host",
                                         .event_handler = on_event, .user_data = &seen };
    seen = (seen_t){ 0 };
    client = esp_http_client_init(&by_host);
    assert_non_null(client);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_string_equal(seen.body, want);
    esp_http_client_cleanup(client);
}

/* set_url's contract, without a request: references resolve against the current URL, dot
 * segments and the fragment go, user:password@ become the credentials, and bad URLs change
 * nothing. */
static void test_set_url_and_get_url(void **state)
{
    (void)state;
    esp_http_client_config_t cfg = { .url = "http://Example.com:8080/a/b/../c?q#frag" };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_non_null(client);
    char url[96];
    assert_int_equal(esp_http_client_get_url(client, url, sizeof(url)), ESP_OK);
    assert_string_equal(url, "http://Example.com:8080/a/c?q");
    assert_int_equal(esp_http_client_set_url(client, "../d?x=http://y"), ESP_OK);
    assert_int_equal(esp_http_client_get_url(client, url, sizeof(url)), ESP_OK);
    assert_string_equal(url, "http://Example.com:8080/d?x=http://y");
    assert_int_equal(esp_http_client_set_url(client, "//[::1]:81/e"), ESP_OK);
    assert_int_equal(esp_http_client_get_url(client, url, sizeof(url)), ESP_OK);
    assert_string_equal(url, "http://[::1]:81/e");
    assert_int_equal(esp_http_client_set_url(client, "HTTPS://u:p@h"), ESP_OK);
    assert_int_equal(esp_http_client_get_url(client, url, sizeof(url)), ESP_OK);
    assert_string_equal(url, "https://h:443/");
    char *user = NULL;
    assert_int_equal(esp_http_client_get_username(client, &user), ESP_OK);
    assert_string_equal(user, "u");
    assert_int_equal(esp_http_client_set_url(client, "/a b"), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_http_client_set_url(client, "mailto:x@h"), ESP_ERR_INVALID_ARG); /* no host */
    assert_int_equal(esp_http_client_get_url(client, url, sizeof(url)), ESP_OK);
    assert_string_equal(url, "https://h:443/"); /* unchanged */
    assert_int_equal(esp_http_client_get_url(client, url, 8), ESP_ERR_INVALID_SIZE);
    esp_http_client_cleanup(client);
}

/* ESP-IDF's example handler's redirect: follow it. */
static esp_err_t following_handler(esp_http_client_event_t *evt)
{
    if (evt->event_id == HTTP_EVENT_REDIRECT) {
        assert_int_equal(esp_http_client_set_redirection(evt->client), ESP_OK);
    }
    return ESP_OK;
}

static void test_redirect_limits(void **state)
{
    (void)state;
    esp_http_client_handle_t client = client_for("/downgrade", true, &(seen_t){ 0 });
    assert_int_equal(esp_http_client_perform(client), ESP_ERR_HTTP_REDIRECT_DOWNGRADE);
    esp_http_client_cleanup(client);

    client = client_for("/loop", false, &(seen_t){ 0 });
    assert_int_equal(esp_http_client_perform(client), ESP_ERR_HTTP_MAX_REDIRECT);
    esp_http_client_cleanup(client);

    seen_t seen = { 0 };
    char url[128];
    url_of(url, sizeof(url), false, "/r302");
    esp_http_client_config_t cfg = { .url = url, .disable_auto_redirect = true, .event_handler = on_event,
                                     .user_data = &seen };
    client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 302);
    assert_int_equal(seen.redirects, 1);
    assert_int_equal(esp_http_client_set_redirection(client), ESP_OK); /* the caller follows it */
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    esp_http_client_cleanup(client);

    /* A handler that sets the redirection has perform() follow it, as in ESP-IDF (its example's
     * "manual" redirect ends in 200), and the redirect count still bounds a loop. */
    cfg.event_handler = following_handler;
    client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    esp_http_client_cleanup(client);
    url_of(url, sizeof(url), false, "/loop");
    client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_ERR_HTTP_MAX_REDIRECT);
    esp_http_client_cleanup(client);
}

static void test_basic_auth(void **state)
{
    (void)state;
    seen_t seen = { 0 };
    esp_http_client_handle_t client = client_for("/private/secret.txt", true, &seen);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 401); /* no credentials */
    assert_int_equal(esp_http_client_set_username(client, "portls"), ESP_OK);
    assert_int_equal(esp_http_client_set_password(client, "secret"), ESP_OK);
    seen = (seen_t){ 0 };
    assert_int_equal(esp_http_client_perform(client), ESP_OK); /* answers the 401 */
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    assert_non_null(strstr(seen.body, "the secret\n"));
    esp_http_client_cleanup(client);

    char url[128];
    snprintf(url, sizeof(url), "http://portls:wrong@localhost:%d/private/secret.txt", nginx_group.http_port);
    esp_http_client_config_t cfg = { .url = url, .auth_type = HTTP_AUTH_TYPE_BASIC };
    client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 401); /* wrong, and retried no further */
    esp_http_client_cleanup(client);
}

/* A Basic client with a Cookie header, starting at start (on nginx_group) and redirected to
 * target by /goto; performs and returns the final body (nginx's /echo-auth shows what arrived). */
static const char *follow_with_credentials(const char *start, const char *target, bool trusted, seen_t *seen)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/goto?to=%s", start, target);
    esp_http_client_config_t cfg = { .url = url, .cert_pem = (const char *)pki("ca.pem")->data, .username = "portls",
                                     .password = "secret", .auth_type = HTTP_AUTH_TYPE_BASIC,
                                     .event_handler = on_event, .user_data = seen };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_non_null(client);
    assert_int_equal(esp_http_client_set_header(client, "Cookie", "c=1"), ESP_OK);
    assert_int_equal(esp_http_client_set_location_trusted(client, trusted), ESP_OK);
    *seen = (seen_t){ 0 };
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    esp_http_client_cleanup(client);
    const char *final = strstr(seen->body, "auth=");
    assert_non_null(final); /* the 302's own body comes first */
    return final;
}

#define SENT_ALL "auth=Basic cG9ydGxzOnNlY3JldA== cookie=c=1\n" /* portls:secret */
#define SENT_NONE "auth= cookie=\n"

/* As curl: the credentials and the Authorization and Cookie headers go to the origin of the
 * caller's URL only. A redirect to another port, host or scheme leaves them behind (a 401 there
 * is the answer); back at the first origin they go again; location_trusted sends them on. */
static void test_redirect_keeps_credentials_at_their_origin(void **state)
{
    (void)state;
    char https[64], http[64], other_port[96], other_host[96], to_https[96], to_first[192];
    snprintf(https, sizeof(https), "https://localhost:%d", nginx_group.https_port);
    snprintf(http, sizeof(http), "http://localhost:%d", nginx_group.http_port);
    snprintf(other_port, sizeof(other_port), "https://localhost:%d/echo-auth", nginx_group.alt_port);
    snprintf(other_host, sizeof(other_host), "https://127.0.0.1:%d/echo-auth", nginx_group.https_port);
    snprintf(to_https, sizeof(to_https), "%s/echo-auth", https);
    snprintf(to_first, sizeof(to_first), "https://localhost:%d/goto?to=%s/echo-auth", nginx_group.alt_port, https);
    seen_t seen;
    assert_string_equal(follow_with_credentials(https, to_https, false, &seen), SENT_ALL);
    assert_string_equal(follow_with_credentials(https, other_port, false, &seen), SENT_NONE);
    assert_string_equal(follow_with_credentials(https, other_host, false, &seen), SENT_NONE);
    assert_string_equal(follow_with_credentials(http, to_https, false, &seen), SENT_NONE); /* http to https */
    assert_string_equal(follow_with_credentials(https, to_first, false, &seen), SENT_ALL);
    assert_string_equal(follow_with_credentials(https, other_port, true, &seen), SENT_ALL);
    assert_string_equal(follow_with_credentials(https, other_host, true, &seen), SENT_ALL);

    char url[192];
    snprintf(url, sizeof(url), "%s/goto?to=https://localhost:%d/private/secret.txt", https, nginx_group.alt_port);
    esp_http_client_config_t cfg = { .url = url, .cert_pem = (const char *)pki("ca.pem")->data, .username = "portls",
                                     .password = "secret" }; /* NONE: it would answer a 401 */
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 401);
    esp_http_client_cleanup(client);
}

/* A Digest client does not answer a 401 that asks for Basic (nginx's auth_basic), and a handle
 * that has used https sends no Basic credentials over plain http. */
static void test_basic_is_refused_where_it_would_leak(void **state)
{
    (void)state;
    char url[128];
    url_of(url, sizeof(url), true, "/private/secret.txt");
    esp_http_client_config_t cfg = { .url = url, .cert_pem = (const char *)pki("ca.pem")->data, .username = "portls",
                                     .password = "secret", .auth_type = HTTP_AUTH_TYPE_DIGEST };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    char log[1024];
    assert_int_equal(perform_logged(client, "http_auth", log, sizeof(log)), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 401);
    assert_non_null(strstr(log, "a 401 asks for Basic; this client is configured for Digest"));
    esp_http_client_cleanup(client);

    seen_t seen = { 0 };
    client = client_for("/echo-auth", true, &seen);
    esp_http_client_set_username(client, "portls");
    esp_http_client_set_password(client, "secret");
    esp_http_client_set_authtype(client, HTTP_AUTH_TYPE_BASIC);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_string_equal(seen.body, "auth=Basic cG9ydGxzOnNlY3JldA== cookie=\n");
    url_of(url, sizeof(url), false, "/echo-auth");
    assert_int_equal(esp_http_client_set_url(client, url), ESP_OK);
    seen = (seen_t){ 0 };
    assert_int_equal(perform_logged(client, "http_auth", log, sizeof(log)), ESP_OK);
    assert_string_equal(seen.body, SENT_NONE);
    assert_non_null(strstr(log, "Basic credentials refused over plain http to localhost")); /* and why */
    url_of(url, sizeof(url), false, "/private/secret.txt");
    assert_int_equal(esp_http_client_set_url(client, url), ESP_OK);
    esp_http_client_set_authtype(client, HTTP_AUTH_TYPE_NONE); /* a 401 asking for Basic is not answered */
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 401);
    esp_http_client_cleanup(client);

    seen = (seen_t){ 0 }; /* a handle that never used https sends Basic over http, as asked */
    client = client_for("/echo-auth", false, &seen);
    esp_http_client_set_username(client, "portls");
    esp_http_client_set_password(client, "secret");
    esp_http_client_set_authtype(client, HTTP_AUTH_TYPE_BASIC);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_string_equal(seen.body, "auth=Basic cG9ydGxzOnNlY3JldA== cookie=\n");
    esp_http_client_cleanup(client);
}

/* The streaming calls answer a 401 by hand, as ESP-IDF's example does. */
static void test_add_auth_by_hand(void **state)
{
    (void)state;
    esp_http_client_handle_t client = client_for("/private/secret.txt", false, &(seen_t){ 0 });
    assert_int_equal(esp_http_client_add_auth(client), ESP_ERR_INVALID_STATE); /* no 401 yet */
    esp_http_client_set_username(client, "portls");
    esp_http_client_set_password(client, "secret");
    assert_int_equal(esp_http_client_open(client, 0), ESP_OK);
    assert_true(esp_http_client_fetch_headers(client) >= 0);
    assert_int_equal(esp_http_client_get_status_code(client), 401);
    assert_int_equal(esp_http_client_add_auth(client), ESP_OK);
    assert_int_equal(esp_http_client_flush_response(client, NULL), ESP_OK);
    assert_int_equal(esp_http_client_open(client, 0), ESP_OK);
    assert_true(esp_http_client_fetch_headers(client) > 0);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    esp_http_client_cleanup(client);
}

static void test_cancel_request(void **state)
{
    (void)state;
    seen_t seen = { 0 };
    esp_http_client_handle_t client = client_for("/big.bin", true, &seen);
    assert_int_equal(esp_http_client_open(client, 0), ESP_OK);
    assert_int_equal(esp_http_client_fetch_headers(client), NGINX_BIG_LEN);
    char buf[100];
    assert_true(esp_http_client_read(client, buf, sizeof(buf)) > 0);
    assert_int_equal(esp_http_client_cancel_request(client), ESP_OK); /* most of the body unread */
    assert_int_equal(seen.disconnected, 1);
    assert_int_equal(esp_http_client_set_url(client, "/hello.txt"), ESP_OK);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_string_equal(seen.body, "hello from nginx\n");
    assert_int_equal(esp_http_client_cancel_request(NULL), ESP_ERR_INVALID_ARG);
    esp_http_client_cleanup(client);
}

/* is_async: perform() returns EAGAIN while the connect, the headers or the body are on their way;
 * the caller waits on the socket and calls again. */
static esp_err_t perform_async(esp_http_client_handle_t client, int *again)
{
    esp_err_t err;
    while ((err = esp_http_client_perform(client)) == ESP_ERR_HTTP_EAGAIN) {
        (*again)++;
        int fd = esp_http_client_get_socket(client);
        struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
        poll(&p, fd >= 0 ? 1 : 0, 10); /* a real caller would do its other work here */
    }
    return err;
}

static void test_async_perform(void **state)
{
    (void)state;
    const char *paths[] = { "/big.bin", "/r302", "/hello.txt" };
    for (int tls = 0; tls < 2; tls++) {
        for (int i = 0; i < 3; i++) {
            char u[128];
            url_of(u, sizeof(u), tls, paths[i]);
            seen_t seen = { 0 };
            esp_http_client_config_t cfg = { .url = u, .is_async = true, .event_handler = on_event, .user_data = &seen,
                                             .cert_pem = (const char *)pki("ca.pem")->data };
            esp_http_client_handle_t client = esp_http_client_init(&cfg);
            int again = 0;
            assert_int_equal(perform_async(client, &again), ESP_OK);
            assert_int_equal(esp_http_client_get_status_code(client), 200);
            assert_true(again > 0); /* it did not block */
            if (i == 0) {
                assert_int_equal(seen.data_total, NGINX_BIG_LEN);
            } else {
                assert_non_null(strstr(seen.body, "hello from nginx\n"));
            }
            esp_http_client_cleanup(client);
        }
    }
}

/* Five requests, one TLS connection: nginx's log shows one connection serial for all. */
static void test_keep_alive_reuses_the_connection(void **state)
{
    (void)state;
    seen_t seen = { 0 };
    esp_http_client_handle_t client = client_for("/hello.txt?keepalive", true, &seen);
    int socket = -1;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(esp_http_client_perform(client), ESP_OK);
        assert_true(esp_http_client_is_persistent_connection(client));
        if (i == 0) {
            socket = esp_http_client_get_socket(client);
        }
        assert_int_equal(esp_http_client_get_socket(client), socket);
        assert_int_equal(esp_http_client_set_url(client, i % 2 ? "/hello.txt?keepalive" : "/post?keepalive"), ESP_OK);
    }
    assert_int_equal(seen.connected, 1);
    esp_http_client_cleanup(client);
    nginx_access_t log[16];
    int total = wait_for_log(&nginx_group, "keepalive", log, 5);
    assert_int_equal(total, 5);
    for (int i = 1; i < total; i++) {
        assert_int_equal(log[i].connection, log[0].connection);
    }
}

/* save_client_session: the second connection resumes the first one's TLS session (nginx logs
 * $ssl_session_reused), in TLS 1.2 and 1.3. */
static void test_save_client_session(void **state)
{
    (void)state;
    const esp_http_client_proto_ver_t versions[] = { ESP_HTTP_CLIENT_TLS_VER_TLS_1_2, ESP_HTTP_CLIENT_TLS_VER_TLS_1_3 };
    const char *markers[] = { "resume12", "resume13" };
    for (int v = 0; v < 2; v++) {
        char u[128], path[32];
        snprintf(path, sizeof(path), "/hello.txt?%s", markers[v]);
        url_of(u, sizeof(u), true, path);
        esp_http_client_config_t cfg = { .url = u, .cert_pem = (const char *)pki("ca.pem")->data,
                                         .save_client_session = true, .tls_version = versions[v] };
        esp_http_client_handle_t client = esp_http_client_init(&cfg);
        assert_int_equal(esp_http_client_perform(client), ESP_OK);
        assert_int_equal(esp_http_client_close(client), ESP_OK);
        assert_int_equal(esp_http_client_perform(client), ESP_OK); /* a new connection */
        esp_http_client_cleanup(client);
        nginx_access_t log[4];
        assert_int_equal(wait_for_log(&nginx_group, markers[v], log, 2), 2);
        assert_int_not_equal(log[0].connection, log[1].connection);
        assert_false(log[0].resumed);
        assert_true(log[1].resumed);
    }
}

/* A session saved for localhost is not offered to 127.0.0.1 (the same nginx, the same port): the
 * redirect there gets a full handshake and a 200, in TLS 1.2 (nginx would resume it, skipping
 * the certificate check for the new name) and in TLS 1.3 (mbedTLS refuses a ticket for another
 * name with BAD_INPUT_DATA). */
static void test_saved_session_stays_with_its_origin(void **state)
{
    (void)state;
    const esp_http_client_proto_ver_t versions[] = { ESP_HTTP_CLIENT_TLS_VER_TLS_1_2, ESP_HTTP_CLIENT_TLS_VER_TLS_1_3 };
    const char *markers[] = { "xhost12", "xhost13" };
    for (int v = 0; v < 2; v++) {
        char u[192], path[128];
        snprintf(path, sizeof(path), "/goto?to=https://127.0.0.1:%d/hello.txt?%s", nginx_group.https_port, markers[v]);
        url_of(u, sizeof(u), true, path);
        seen_t seen = { 0 };
        esp_http_client_config_t cfg = { .url = u, .cert_pem = (const char *)pki("ca.pem")->data, .event_handler = on_event,
                                         .user_data = &seen, .save_client_session = true, .tls_version = versions[v] };
        esp_http_client_handle_t client = esp_http_client_init(&cfg);
        assert_int_equal(esp_http_client_perform(client), ESP_OK);
        assert_int_equal(esp_http_client_get_status_code(client), 200);
        assert_non_null(strstr(seen.body, "hello from nginx\n"));
        assert_int_equal(seen.connected, 2);
        esp_http_client_cleanup(client);
        nginx_access_t log[4];
        assert_int_equal(wait_for_log(&nginx_group, markers[v], log, 2), 2); /* /goto, then /hello.txt */
        assert_int_not_equal(log[0].connection, log[1].connection);
        assert_false(log[1].resumed);
    }
}

static void test_chunked_response(void **state)
{
    (void)state;
    seen_t seen = { 0 };
    esp_http_client_handle_t client = client_for("/gzip.txt", false, &seen);
    assert_int_equal(esp_http_client_set_header(client, "Accept-Encoding", "gzip"), ESP_OK);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_true(esp_http_client_is_chunked_response(client));
    assert_int_equal(esp_http_client_get_content_length(client), -1);
    assert_true(seen.body_len > 10);
    assert_int_equal((unsigned char)seen.body[0], 0x1f); /* gzip's magic */
    assert_int_equal((unsigned char)seen.body[1], 0x8b);
    esp_http_client_cleanup(client);
}

static void test_range(void **state)
{
    (void)state;
    esp_http_client_handle_t client = client_for("/big.bin", true, &(seen_t){ 0 });
    assert_int_equal(esp_http_client_set_header(client, "Range", "bytes=1000-1099"), ESP_OK);
    assert_int_equal(esp_http_client_open(client, 0), ESP_OK);
    assert_int_equal(esp_http_client_fetch_headers(client), 100);
    assert_int_equal(esp_http_client_get_status_code(client), 206);
    assert_int_equal(esp_http_client_get_content_range(client), NGINX_BIG_LEN);
    char buf[128];
    assert_int_equal(esp_http_client_read_response(client, buf, sizeof(buf)), 100);
    for (int i = 0; i < 100; i++) {
        assert_int_equal((unsigned char)buf[i], (unsigned char)((1000 + i) % 251));
    }
    assert_int_equal(esp_http_client_set_header(client, "Range", "bytes=99999999-"), ESP_OK);
    assert_int_equal(esp_http_client_perform(client), ESP_OK); /* a status, as a 404 */
    assert_int_equal(esp_http_client_get_status_code(client), 416);
    assert_int_equal(esp_http_client_get_content_range(client), NGINX_BIG_LEN); /* "bytes * / total" */
    assert_int_equal(esp_http_client_delete_header(client, "Range"), ESP_OK);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_content_range(client), -1);
    esp_http_client_cleanup(client);
}

static void test_head_has_no_body(void **state)
{
    (void)state;
    seen_t seen = { 0 };
    esp_http_client_handle_t client = client_for("/big.bin", false, &seen);
    assert_int_equal(esp_http_client_set_method(client, HTTP_METHOD_HEAD), ESP_OK);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_content_length(client), NGINX_BIG_LEN);
    assert_int_equal(seen.data_total, 0);
    esp_http_client_cleanup(client);
}

static void test_headers_and_bad_arguments(void **state)
{
    (void)state;
    assert_null(esp_http_client_init(NULL));
    esp_http_client_config_t none = { 0 };
    assert_null(esp_http_client_init(&none)); /* no url, no host */
    esp_http_client_config_t bad = { .url = "not a url" };
    assert_null(esp_http_client_init(&bad));
    assert_int_equal(esp_http_client_perform(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_http_client_cleanup(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_http_client_read(NULL, NULL, 0), -1);
    esp_http_client_config_t by_host = { .host = "localhost", .port = nginx_group.http_port, .path = "/hello.txt" };
    esp_http_client_handle_t client = esp_http_client_init(&by_host);
    assert_non_null(client);
    assert_int_equal(esp_http_client_set_header(client, "X-One", "1"), ESP_OK);
    assert_int_equal(esp_http_client_set_header(client, "x-one", "2"), ESP_OK); /* replaced */
    char *value = NULL;
    assert_int_equal(esp_http_client_get_header(client, "X-ONE", &value), ESP_OK);
    assert_string_equal(value, "2");
    assert_int_equal(esp_http_client_delete_header(client, "X-One"), ESP_OK);
    assert_int_equal(esp_http_client_get_header(client, "X-One", &value), ESP_OK);
    assert_null(value);
    assert_int_equal(esp_http_client_set_method(client, HTTP_METHOD_MAX), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    assert_int_equal(esp_http_client_set_url(client, "ftp://localhost/x"), ESP_OK);
    assert_int_equal(esp_http_client_perform(client), ESP_ERR_HTTP_INVALID_TRANSPORT);
    esp_http_client_cleanup(client);
}

static esp_http_client_handle_t client_of_test_server(const test_server_t *ts, int buffer_size, seen_t *seen)
{
    char url[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/test?x=1", ts->port);
    /* The silent server is waited for 500 ms; every other answer gets a generous bound. */
    esp_http_client_config_t cfg = { .url = url, .timeout_ms = ts->mode == TS_SILENT ? 500 : 20000,
                                     .buffer_size = buffer_size, .event_handler = on_event, .user_data = seen };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_non_null(client);
    return client;
}

/* Digest, checked by the server with OpenSSL: the 401 is answered, then later requests answer
 * the challenge up front (nc counts up). */
static void test_digest_auth(void **state)
{
    (void)state;
    const char *algorithms[] = { "MD5", "SHA-256" };
    for (int i = 0; i < 2; i++) {
        test_server_t ts;
        test_server_start(&ts, TS_DIGEST, algorithms[i]);
        seen_t seen = { 0 };
        esp_http_client_handle_t client = client_of_test_server(&ts, 0, &seen);
        assert_int_equal(esp_http_client_set_username(client, "portls"), ESP_OK);
        assert_int_equal(esp_http_client_set_password(client, "secret"), ESP_OK);
        assert_int_equal(esp_http_client_perform(client), ESP_OK);
        assert_int_equal(esp_http_client_get_status_code(client), 200);
        assert_string_equal(seen.body, "digest ok");
        assert_int_equal(esp_http_client_perform(client), ESP_OK);
        assert_int_equal(esp_http_client_get_status_code(client), 200);
        esp_http_client_cleanup(client);
        test_server_stop(&ts);
        assert_int_equal(ts.requests, 3); /* 401, answered, answered up front */
        assert_int_equal(ts.authorized, 2);
    }
    test_server_t ts; /* the challenge known beforehand: the first request is already answered */
    test_server_start(&ts, TS_DIGEST, "MD5");
    esp_http_client_handle_t client = client_of_test_server(&ts, 0, &(seen_t){ 0 });
    esp_http_client_set_username(client, "portls");
    esp_http_client_set_password(client, "secret");
    static const char challenge[] = "Digest realm=\"portls-test\", qop=\"auth\", nonce=\"n0nce123\"";
    assert_int_equal(esp_http_client_set_auth_data(client, challenge, (int)strlen(challenge)), ESP_OK);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    esp_http_client_cleanup(client);
    test_server_stop(&ts);
    assert_int_equal(ts.requests, 1);
    assert_int_equal(ts.authorized, 1);

    test_server_start(&ts, TS_DIGEST, "MD5");
    client = client_of_test_server(&ts, 0, &(seen_t){ 0 });
    esp_http_client_set_username(client, "portls");
    esp_http_client_set_password(client, "wrong");
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 401);
    esp_http_client_cleanup(client);
    test_server_stop(&ts);
}

static void expect_failure(ts_mode_t mode, int buffer_size, esp_err_t expected)
{
    test_server_t ts;
    test_server_start(&ts, mode, NULL);
    seen_t seen = { 0 };
    esp_http_client_handle_t client = client_of_test_server(&ts, buffer_size, &seen);
    assert_int_equal(esp_http_client_perform(client), expected);
    assert_int_equal(seen.errors, 1);
    esp_http_client_cleanup(client);
    test_server_stop(&ts);
}

/* 100 Continue and 103 Early Hints (with a Link header) come before the answer: they are skipped,
 * events included; the 200 and its one header are the response. */
static void test_interim_responses_are_skipped(void **state)
{
    (void)state;
    test_server_t ts;
    test_server_start(&ts, TS_INTERIM, NULL);
    seen_t seen = { 0 };
    esp_http_client_handle_t client = client_of_test_server(&ts, 0, &seen);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    assert_string_equal(seen.body, "received 0 bytes, as sent");
    assert_int_equal(seen.headers, 1); /* Content-Length; not the 103's Link */
    assert_int_equal(seen.finished, 1);
    esp_http_client_cleanup(client);
    test_server_stop(&ts);
}

#define LARGE_POST_LEN (16 * 1024 * 1024) /* more than a loopback socket buffers, both ends */

/* LARGE_POST_LEN bytes, byte i = i % 251 (what the test server checks). */
static char *large_post_body(void)
{
    char *body = malloc(LARGE_POST_LEN);
    assert_non_null(body);
    for (int i = 0; i < LARGE_POST_LEN; i++) {
        body[i] = (char)(i % 251);
    }
    return body;
}

/* A sync POST body goes out through one write-all, within one timeout_ms: to a server that reads
 * steadily but slowly (64 KiB, then 50 ms of pause), a 16 MiB body cannot go in 1 s, and perform()
 * fails with ESP_ERR_HTTP_WRITE_DATA about then. A fresh timeout for each write would carry on
 * for the 13 s or more that the server takes to read it all, and succeed. */
static void test_sync_post_body_within_timeout(void **state)
{
    (void)state;
    char *body = large_post_body();
    test_server_t ts;
    test_server_start(&ts, TS_INTERIM, NULL);
    atomic_store(&ts.read_pause_ms, 50);
    char url[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/upload", ts.port);
    seen_t seen = { 0 };
    esp_http_client_config_t cfg = { .url = url, .timeout_ms = 1000, .event_handler = on_event, .user_data = &seen };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_set_post_field(client, body, LARGE_POST_LEN), ESP_OK);
    int64_t start = esp_deadline_now_ms();
    assert_int_equal(esp_http_client_perform(client), ESP_ERR_HTTP_WRITE_DATA);
    int64_t took = esp_deadline_now_ms() - start;
    print_message("perform() failed after %lld ms\n", (long long)took);
    assert_true(took < 10000); /* about 1 s; the slow reader needs more than 13 s */
    assert_int_equal(seen.errors, 1);
    esp_http_client_cleanup(client);
    test_server_stop(&ts);
    free(body);
}

/* is_async, a POST body larger than the socket buffers: the server reads none of it until
 * perform() has returned ESP_ERR_HTTP_EAGAIN with the head sent, so that EAGAIN came in the middle
 * of the body; perform() carries on, every byte arrives, and the interim 100 and 103 are skipped.
 * The same over https to nginx (mbedTLS's partial records). */
static void test_async_large_post(void **state)
{
    (void)state;
    char *body = large_post_body();
    test_server_t ts;
    test_server_start(&ts, TS_INTERIM, NULL);
    atomic_store(&ts.hold_body, true);
    char url[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/upload", ts.port);
    seen_t seen = { 0 };
    esp_http_client_config_t cfg = { .url = url, .is_async = true, .event_handler = on_event, .user_data = &seen };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_set_post_field(client, body, LARGE_POST_LEN), ESP_OK);
    int waits_in_body = 0;
    esp_err_t err;
    while ((err = esp_http_client_perform(client)) == ESP_ERR_HTTP_EAGAIN) {
        if (seen.heads_sent > 0 && atomic_load(&ts.hold_body)) {
            waits_in_body++;
            atomic_store(&ts.hold_body, false);
        }
        struct pollfd p = { .fd = esp_http_client_get_socket(client), .events = POLLIN | POLLOUT };
        poll(&p, p.fd >= 0 ? 1 : 0, 10);
    }
    assert_int_equal(err, ESP_OK);
    assert_int_equal(waits_in_body, 1);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    assert_string_equal(seen.body, "received 16777216 bytes, as sent");
    assert_int_equal(seen.headers, 1);
    esp_http_client_cleanup(client);
    test_server_stop(&ts);

    seen = (seen_t){ 0 };
    url_of(url, sizeof(url), true, "/post");
    esp_http_client_config_t tls_cfg = { .url = url, .is_async = true, .event_handler = on_event, .user_data = &seen,
                                         .cert_pem = (const char *)pki("ca.pem")->data };
    client = esp_http_client_init(&tls_cfg);
    assert_int_equal(esp_http_client_set_post_field(client, body, LARGE_POST_LEN), ESP_OK);
    int again = 0;
    assert_int_equal(perform_async(client, &again), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    assert_string_equal(seen.body, "POST 16777216");
    esp_http_client_cleanup(client);
    free(body);
}

static void test_server_failures(void **state)
{
    (void)state;
    expect_failure(TS_SILENT, 0, ESP_ERR_HTTP_READ_TIMEOUT);
    expect_failure(TS_TRUNCATED, 0, ESP_ERR_HTTP_INCOMPLETE_DATA);
    test_server_t cut; /* the log says how much of the Content-Length came */
    test_server_start(&cut, TS_TRUNCATED, NULL);
    esp_http_client_handle_t cut_client = client_of_test_server(&cut, 0, &(seen_t){ 0 });
    char log[1024];
    assert_int_equal(perform_logged(cut_client, "http_response", log, sizeof(log)), ESP_ERR_HTTP_INCOMPLETE_DATA);
    assert_non_null(strstr(log, "the body ended early (10 of 100 bytes)"));
    esp_http_client_cleanup(cut_client);
    test_server_stop(&cut);
    expect_failure(TS_BIG_HEADER, 512, ESP_ERR_HTTP_HEADER_TOO_LONG);
    expect_failure(TS_MALFORMED, 0, ESP_ERR_HTTP_FETCH_HEADER);
    test_server_t ts; /* the big header fits a big enough buffer */
    test_server_start(&ts, TS_BIG_HEADER, NULL);
    esp_http_client_handle_t client = client_of_test_server(&ts, 4096, &(seen_t){ 0 });
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    esp_http_client_cleanup(client);
    test_server_stop(&ts);
}

/* A body that runs until the close, cut inside a TLS record: an error, not a short body. (A FIN
 * between records would end it: that is how such a body ends.) */
static void test_body_until_close_cut_mid_record(void **state)
{
    (void)state;
    tls_cut_peer_t peer = { .tls13 = true, .read_request = true,
                            .whole = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nthe first part, ",
                            .cut = "the part that never fully arrives" };
    tls_cut_peer_start(&peer);
    char url[64];
    snprintf(url, sizeof(url), "https://localhost:%d/", peer.port);
    seen_t seen = { 0 };
    esp_http_client_config_t cfg = { .url = url, .timeout_ms = 5000, .event_handler = on_event, .user_data = &seen,
                                     .cert_pem = (const char *)pki("ca.pem")->data };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_non_null(client);
    char log[1024]; /* no length to give: how much came, and that the connection failed */
    assert_int_equal(perform_logged(client, "http_response", log, sizeof(log)), ESP_ERR_HTTP_INCOMPLETE_DATA);
    assert_non_null(strstr(log, "the body ended early, after 16 bytes: the connection failed before the body's end"));
    assert_null(strstr(log, "of -1 bytes"));
    assert_string_equal(seen.body, "the first part, ");
    assert_int_equal(seen.finished, 0);
    assert_int_equal(seen.errors, 1);
    assert_false(esp_http_client_is_complete_data_received(client));
    int code = 0;
    assert_int_equal(esp_http_client_get_and_clear_last_tls_error(client, &code, NULL), ESP_ERR_MBEDTLS_SSL_READ_FAILED);
    assert_int_equal(code, 0x7280); /* MBEDTLS_ERR_SSL_CONN_EOF */
    esp_http_client_cleanup(client);
    tls_cut_peer_join(&peer);
    assert_true(peer.done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_http_and_https),
        cmocka_unit_test(test_404_is_a_status),
        cmocka_unit_test(test_https_without_trust_anchor),
        cmocka_unit_test(test_stream_large_file),
        cmocka_unit_test(test_post_field),
        cmocka_unit_test(test_chunked_request),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_redirect_limits),
        cmocka_unit_test(test_redirect_references),
        cmocka_unit_test(test_set_url_and_get_url),
        cmocka_unit_test(test_ipv6_host),
        cmocka_unit_test(test_basic_auth),
        cmocka_unit_test(test_redirect_keeps_credentials_at_their_origin),
        cmocka_unit_test(test_basic_is_refused_where_it_would_leak),
        cmocka_unit_test(test_add_auth_by_hand),
        cmocka_unit_test(test_cancel_request),
        cmocka_unit_test(test_async_perform),
        cmocka_unit_test(test_keep_alive_reuses_the_connection),
        cmocka_unit_test(test_save_client_session),
        cmocka_unit_test(test_saved_session_stays_with_its_origin),
        cmocka_unit_test(test_chunked_response),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_head_has_no_body),
        cmocka_unit_test(test_headers_and_bad_arguments),
        cmocka_unit_test(test_digest_auth),
        cmocka_unit_test(test_server_failures),
        cmocka_unit_test(test_interim_responses_are_skipped),
        cmocka_unit_test(test_async_large_post),
        cmocka_unit_test(test_sync_post_body_within_timeout),
        cmocka_unit_test(test_body_until_close_cut_mid_record),
    };
    return cmocka_run_group_tests(tests, nginx_group_setup, nginx_group_teardown);
}
