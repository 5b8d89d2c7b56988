/* A build without heap accounting (PORTLS_HEAP_ACCOUNTING off, for an mbedTLS without
 * MBEDTLS_PLATFORM_MEMORY such as Debian's): every call of esp_tls_heap.h says so, none of them
 * takes effect, and connections work. */
#include "esp_tls_heap.h"
#include "tls_test.h"

static void test_heap_calls_say_not_supported(void **state)
{
    (void)state;
    peer_t p;
    esp_tls_t *tls = connect_www_peer(&p);
    esp_tls_heap_stats_t stats = { .current = 1, .peak = 1 };
    assert_int_equal(esp_tls_get_heap_stats(tls, &stats), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(stats.current, 0);
    assert_int_equal(stats.peak, 0);
    assert_int_equal(esp_tls_reset_heap_peak(tls), ESP_ERR_NOT_SUPPORTED);
    size_t requested = 1, in_use = 1;
    assert_int_equal(esp_tls_get_heap_last_failure(tls, &requested, &in_use), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(requested, 0);
    assert_int_equal(in_use, 0);
    assert_int_equal(portls_heap_get_stats(&stats), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(portls_heap_set_limit(1000), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(portls_heap_get_limit(), 0);
    assert_int_equal(portls_heap_fail_nth(1), ESP_ERR_NOT_SUPPORTED);
    char page[256];
    assert_true(www_get(tls, page, sizeof(page)) > 0); /* no budget, no injected failure */
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_calls_say_not_supported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
