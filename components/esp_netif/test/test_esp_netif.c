/*
 * esp_netif's host interface against what iproute2's `ip` says about the default route,
 * example_connect()'s states, and example_uri_encode().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "esp_netif.h"
#include "protocol_examples_common.h"
#include "protocol_examples_utils.h"

/* The first line of cmd's output, or "" (no output, or no such command). */
static void first_line(const char *cmd, char *line, size_t size)
{
    line[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        return;
    }
    if (fgets(line, (int)size, p) == NULL) {
        line[0] = '\0';
    }
    pclose(p);
}

static void test_before_init(void **state)
{
    (void)state;
    assert_null(esp_netif_get_default_netif());
    assert_int_equal(example_connect(), ESP_ERR_INVALID_STATE);
    assert_int_equal(example_disconnect(), ESP_ERR_INVALID_STATE);
    assert_null(get_example_netif());
}

static void test_ip_info_is_the_default_route(void **state)
{
    (void)state;
    assert_int_equal(esp_netif_init(), ESP_OK);
    assert_int_equal(esp_netif_init(), ESP_OK);
    esp_netif_t *netif = esp_netif_get_default_netif();
    assert_non_null(netif);
    assert_string_equal(esp_netif_get_desc(netif), "host");
    esp_netif_ip_info_t info;
    assert_int_equal(esp_netif_get_ip_info(NULL, &info), ESP_ERR_ESP_NETIF_INVALID_PARAMS);
    assert_int_equal(esp_netif_get_ip_info(netif, NULL), ESP_ERR_ESP_NETIF_INVALID_PARAMS);
    assert_int_equal(esp_netif_get_ip_info(netif, &info), ESP_OK);

    char route[256], gw[64] = "", dev[64] = "";
    first_line("ip -4 route show default 2>/dev/null", route, sizeof(route));
    if (sscanf(route, "default via %63s dev %63s", gw, dev) != 2) {
        assert_int_equal(info.ip.addr, 0); /* no default route: no address */
        assert_int_equal(info.gw.addr, 0);
        skip();
    }
    char cmd[128], addr_line[256], addr[64] = "";
    snprintf(cmd, sizeof(cmd), "ip -4 -o addr show dev %s 2>/dev/null", dev);
    first_line(cmd, addr_line, sizeof(addr_line));
    const char *inet = strstr(addr_line, " inet ");
    assert_non_null(inet);
    int prefix = 0;
    assert_int_equal(sscanf(inet, " inet %63[0-9.]/%d", addr, &prefix), 2);

    char text[INET_ADDRSTRLEN];
    snprintf(text, sizeof(text), IPSTR, IP2STR(&info.ip));
    assert_string_equal(text, addr);
    snprintf(text, sizeof(text), IPSTR, IP2STR(&info.gw));
    assert_string_equal(text, gw);
    uint32_t mask = prefix == 0 ? 0 : htonl(~0u << (32 - prefix));
    assert_int_equal(info.netmask.addr, mask);
}

static void test_example_connect(void **state)
{
    (void)state;
    assert_int_equal(example_connect(), ESP_OK);
    assert_ptr_equal(get_example_netif(), esp_netif_get_default_netif());
    assert_ptr_equal(EXAMPLE_INTERFACE, esp_netif_get_default_netif());
    assert_int_equal(example_disconnect(), ESP_OK);
    assert_null(get_example_netif());
    assert_int_equal(example_disconnect(), ESP_ERR_INVALID_STATE);
}

/* Every byte but RFC 3986's unreserved ones becomes %XX, upper-case; no NUL is written. */
static void test_uri_encode(void **state)
{
    (void)state;
    static const char query_val[] = "ABC xyz!012@#%&"; /* ESP-IDF's example's query value */
    char enc[64];
    memset(enc, '*', sizeof(enc));
    uint32_t len = example_uri_encode(enc, query_val, strlen(query_val));
    static const char want[] = "ABC%20xyz%21012%40%23%25%26";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(enc, want, len);
    assert_int_equal(enc[len], '*');

    static const char rest[] = "-._~/?\xc3\xa9\x7f";
    len = example_uri_encode(enc, rest, strlen(rest) + 1); /* the NUL too: any byte is encoded */
    static const char want_rest[] = "-._~%2F%3F%C3%A9%7F%00";
    assert_int_equal(len, strlen(want_rest));
    assert_memory_equal(enc, want_rest, len);
    assert_int_equal(example_uri_encode(NULL, rest, 1), 0);
    assert_int_equal(example_uri_encode(enc, NULL, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_init),
        cmocka_unit_test(test_ip_info_is_the_default_route),
        cmocka_unit_test(test_example_connect),
        cmocka_unit_test(test_uri_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
