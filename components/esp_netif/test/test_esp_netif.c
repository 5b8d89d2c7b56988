/*
 * esp_netif's host interface against what iproute2's `ip` says about the default route, and
 * example_connect()'s states.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_init),
        cmocka_unit_test(test_ip_info_is_the_default_route),
        cmocka_unit_test(test_example_connect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
