/* esp_url.h: RFC 3986's own examples of reference resolution (5.4), the split of URLs and
 * references, the host as a URL writes it, and what is refused. */
#include <stdlib.h>
#include <string.h>

#include "esp_url.h"
#include "tls_test.h"

typedef struct {
    const char *reference;
    const char *target;
} example_t;

/* Resolves each reference against RFC 3986's base (5.4) and compares the text of the result. */
static void check_examples(const example_t *examples, size_t count)
{
    esp_url_t base, target;
    assert_int_equal(esp_url_parse("http://a/b/c/d;p?q", &base), ESP_OK);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(esp_url_resolve(&base, examples[i].reference, &target), ESP_OK);
        char *text = esp_url_to_string(&target);
        assert_non_null(text);
        if (strcmp(text, examples[i].target) != 0) {
            fail_msg("\"%s\" resolved to \"%s\", RFC 3986 says \"%s\"", examples[i].reference, text, examples[i].target);
        }
        free(text);
        esp_url_free(&target);
    }
    esp_url_free(&base);
}

static void test_rfc3986_normal_examples(void **state)
{
    (void)state;
    static const example_t normal[] = { /* 5.4.1 */
        { "g:h", "g:h" },
        { "g", "http://a/b/c/g" },
        { "./g", "http://a/b/c/g" },
        { "g/", "http://a/b/c/g/" },
        { "/g", "http://a/g" },
        { "//g", "http://g" },
        { "?y", "http://a/b/c/d;p?y" },
        { "g?y", "http://a/b/c/g?y" },
        { "#s", "http://a/b/c/d;p?q#s" },
        { "g#s", "http://a/b/c/g#s" },
        { "g?y#s", "http://a/b/c/g?y#s" },
        { ";x", "http://a/b/c/;x" },
        { "g;x", "http://a/b/c/g;x" },
        { "g;x?y#s", "http://a/b/c/g;x?y#s" },
        { "", "http://a/b/c/d;p?q" },
        { ".", "http://a/b/c/" },
        { "./", "http://a/b/c/" },
        { "..", "http://a/b/" },
        { "../", "http://a/b/" },
        { "../g", "http://a/b/g" },
        { "../..", "http://a/" },
        { "../../", "http://a/" },
        { "../../g", "http://a/g" },
    };
    check_examples(normal, sizeof(normal) / sizeof(normal[0]));
}

static void test_rfc3986_abnormal_examples(void **state)
{
    (void)state;
    static const example_t abnormal[] = { /* 5.4.2 */
        { "../../../g", "http://a/g" },
        { "../../../../g", "http://a/g" },
        { "/./g", "http://a/g" },
        { "/../g", "http://a/g" },
        { "g.", "http://a/b/c/g." },
        { ".g", "http://a/b/c/.g" },
        { "g..", "http://a/b/c/g.." },
        { "..g", "http://a/b/c/..g" },
        { "./../g", "http://a/b/g" },
        { "./g/.", "http://a/b/c/g/" },
        { "g/./h", "http://a/b/c/g/h" },
        { "g/../h", "http://a/b/c/h" },
        { "g;x=1/./y", "http://a/b/c/g;x=1/y" },
        { "g;x=1/../y", "http://a/b/c/y" },
        { "g?y/./x", "http://a/b/c/g?y/./x" },
        { "g?y/../x", "http://a/b/c/g?y/../x" },
        { "g#s/./x", "http://a/b/c/g#s/./x" },
        { "g#s/../x", "http://a/b/c/g#s/../x" },
        { "http:g", "http:g" }, /* the strict reading */
    };
    check_examples(abnormal, sizeof(abnormal) / sizeof(abnormal[0]));
}

/* The redirects a server sends: a query that holds a URL, and a network-path reference. */
static void test_references_a_server_sends(void **state)
{
    (void)state;
    esp_url_t base, t;
    assert_int_equal(esp_url_parse("https://h:8443/x/y?old", &base), ESP_OK);

    assert_int_equal(esp_url_resolve(&base, "/a?next=http://b/c", &t), ESP_OK);
    assert_string_equal(t.scheme, "https");
    assert_string_equal(t.host, "h");
    assert_int_equal(t.port, 8443);
    assert_string_equal(t.path, "/a");
    assert_string_equal(t.query, "next=http://b/c");
    esp_url_free(&t);

    assert_int_equal(esp_url_resolve(&base, "z?u=ws://q", &t), ESP_OK);
    assert_string_equal(t.path, "/x/z");
    assert_string_equal(t.query, "u=ws://q");
    esp_url_free(&t);

    assert_int_equal(esp_url_resolve(&base, "//other:81/p/../q", &t), ESP_OK);
    assert_string_equal(t.scheme, "https");
    assert_string_equal(t.host, "other");
    assert_int_equal(t.port, 81);
    assert_string_equal(t.path, "/q");
    assert_null(t.query);
    esp_url_free(&t);

    assert_int_equal(esp_url_resolve(&base, "HTTP://[::1]:8080/a/./b/../c", &t), ESP_OK);
    assert_string_equal(t.scheme, "http");
    assert_string_equal(t.host, "::1");
    assert_string_equal(t.path, "/a/c");
    esp_url_free(&t);

    assert_int_equal(esp_url_resolve(NULL, "http://u:p%40ss@h", &t), ESP_OK);
    assert_string_equal(t.userinfo, "u:p%40ss"); /* as written */
    assert_string_equal(t.path, "");
    assert_int_equal(t.port, 0);
    esp_url_free(&t);
    esp_url_free(&base);
}

static void test_parse_parts(void **state)
{
    (void)state;
    esp_url_t u;
    assert_int_equal(esp_url_parse("wss://user@[fe80::1]:443/mqtt?x=1#top", &u), ESP_OK);
    assert_string_equal(u.scheme, "wss");
    assert_string_equal(u.userinfo, "user");
    assert_string_equal(u.host, "fe80::1");
    assert_int_equal(u.port, 443);
    assert_string_equal(u.path, "/mqtt");
    assert_string_equal(u.query, "x=1");
    assert_string_equal(u.fragment, "top");
    char *text = esp_url_to_string(&u);
    assert_string_equal(text, "wss://user@[fe80::1]:443/mqtt?x=1#top");
    free(text);
    esp_url_free(&u);

    assert_int_equal(esp_url_parse("http://h#f", &u), ESP_OK); /* a fragment right after the host */
    assert_string_equal(u.host, "h");
    assert_string_equal(u.fragment, "f");
    esp_url_free(&u);

    assert_int_equal(esp_url_parse("/a?next=http://b", &u), ESP_OK);
    assert_null(u.scheme);
    assert_null(u.host);
    assert_string_equal(u.path, "/a");
    esp_url_free(&u);

    assert_int_equal(esp_url_parse("//h:1", &u), ESP_OK);
    assert_null(u.scheme);
    assert_string_equal(u.host, "h");
    assert_int_equal(u.port, 1);
    esp_url_free(&u);
}

static void test_format_host(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(esp_url_format_host(buf, sizeof(buf), "::1", 8080), 10);
    assert_string_equal(buf, "[::1]:8080");
    assert_int_equal(esp_url_format_host(buf, sizeof(buf), "::1", 0), 5);
    assert_string_equal(buf, "[::1]");
    assert_int_equal(esp_url_format_host(buf, sizeof(buf), "example.com", 0), 11);
    assert_string_equal(buf, "example.com");
    assert_int_equal(esp_url_format_host(buf, sizeof(buf), "127.0.0.1", 80), 12);
    assert_string_equal(buf, "127.0.0.1:80");
    assert_int_equal(esp_url_format_host(buf, 4, "::1", 80), 8); /* cut, and says how long */
    assert_string_equal(buf, "[::");
    assert_int_equal(esp_url_format_host(NULL, 0, "h", 1), 3);
    assert_int_equal(esp_url_format_host(buf, sizeof(buf), NULL, 1), -1);
}

static void test_refusals(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "http://h:0/", "http://h:65536/", "http://h:/", "http://[::1/", "http://a b/", "/p\r\nX: y",
        "http://h/\x7f", "http:///p",
    };
    esp_url_t u = { .port = 7 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (esp_url_parse(bad[i], &u) != ESP_ERR_INVALID_ARG) {
            fail_msg("\"%s\" was not refused", bad[i]);
        }
        assert_int_equal(u.port, 0); /* zeroed */
        assert_null(u.path);
    }
    assert_int_equal(esp_url_parse(NULL, &u), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_url_parse("http://h", NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_url_resolve(NULL, "/relative", &u), ESP_ERR_INVALID_ARG);
    assert_null(u.path);
    esp_url_t no_scheme;
    assert_int_equal(esp_url_parse("/base", &no_scheme), ESP_OK);
    assert_int_equal(esp_url_resolve(&no_scheme, "g", &u), ESP_ERR_INVALID_ARG);
    esp_url_free(&no_scheme);
    assert_int_equal(esp_url_resolve(NULL, "http://h", NULL), ESP_ERR_INVALID_ARG);
    assert_null(esp_url_to_string(NULL));
    esp_url_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3986_normal_examples),
        cmocka_unit_test(test_rfc3986_abnormal_examples),
        cmocka_unit_test(test_references_a_server_sends),
        cmocka_unit_test(test_parse_parts),
        cmocka_unit_test(test_format_host),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
