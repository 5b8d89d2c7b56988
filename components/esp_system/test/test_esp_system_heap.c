/* esp_system.h's heap figures against the emulated heap, and the version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "esp_system.h"
#include "esp_tls_heap.h"
#include "mbedtls/platform.h"
#include "sdkconfig.h"

#define BLOCK 10000

static void test_free_heap_counts_against_the_emulated_heap(void **state)
{
    (void)state;
    esp_tls_heap_stats_t stats;
    if (portls_heap_get_stats(&stats) == ESP_ERR_NOT_SUPPORTED) {
        /* Nothing counted: the whole emulated heap is free. */
        assert_int_equal(esp_get_free_heap_size(), CONFIG_PORTLS_EMULATED_HEAP);
        skip();
    }
    assert_int_equal(portls_heap_get_limit(), 0);
    uint32_t before = esp_get_free_heap_size();
    assert_int_equal(before, CONFIG_PORTLS_EMULATED_HEAP - stats.current);
    void *block = mbedtls_calloc(1, BLOCK); /* counted, as mbedTLS's allocations are */
    assert_non_null(block);
    assert_int_equal(esp_get_free_heap_size(), before - BLOCK);
    assert_int_equal(esp_get_free_internal_heap_size(), before - BLOCK);
    assert_true(esp_get_minimum_free_heap_size() <= before - BLOCK);
    mbedtls_free(block);
    assert_int_equal(esp_get_free_heap_size(), before);
    assert_true(esp_get_minimum_free_heap_size() <= before - BLOCK); /* the low-water mark stays */
}

/* A budget (the tool's --heap-limit) is the heap size: the figures and the refusals agree. */
static void test_budget_is_the_heap_size(void **state)
{
    (void)state;
    esp_tls_heap_stats_t stats;
    if (portls_heap_get_stats(&stats) == ESP_ERR_NOT_SUPPORTED) {
        skip();
    }
    size_t budget = stats.current + 3 * BLOCK;
    assert_int_equal(portls_heap_set_limit(budget), ESP_OK);
    assert_int_equal(esp_get_free_heap_size(), 3 * BLOCK);
    void *fits = mbedtls_calloc(1, 2 * BLOCK);
    assert_non_null(fits);
    assert_int_equal(esp_get_free_heap_size(), BLOCK);
    void *too_big = mbedtls_calloc(1, BLOCK + 1); /* more than the free heap says is left */
    assert_null(too_big);
    assert_int_equal(portls_heap_set_limit(BLOCK), ESP_OK); /* less than is in use */
    assert_int_equal(esp_get_free_heap_size(), 0);
    assert_int_equal(esp_get_minimum_free_heap_size(), 0);
    mbedtls_free(fits);
    assert_int_equal(portls_heap_set_limit(0), ESP_OK);
}

static void test_idf_version(void **state)
{
    (void)state;
    assert_true(ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 5, 0));
    assert_true(ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(5, 6, 0));
    assert_int_equal(strncmp(esp_get_idf_version(), "v5.5-portls-", strlen("v5.5-portls-")), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_heap_counts_against_the_emulated_heap),
        cmocka_unit_test(test_budget_is_the_heap_size),
        cmocka_unit_test(test_idf_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
