#include <string.h>
#include <time.h>

#include "esp_log.h"
#include "esp_timer.h"
#include "esp_tls_errors.h"
#include "tls_test.h"

static void test_known_codes_have_their_names(void **state)
{
    (void)state;
    assert_string_equal(esp_err_to_name(ESP_OK), "ESP_OK");
    assert_string_equal(esp_err_to_name(ESP_FAIL), "ESP_FAIL");
    assert_string_equal(esp_err_to_name(ESP_ERR_NO_MEM), "ESP_ERR_NO_MEM");
    assert_string_equal(esp_err_to_name(ESP_ERR_NOT_ALLOWED), "ESP_ERR_NOT_ALLOWED");
    assert_string_equal(esp_err_to_name(ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME),
                        "ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME");
    assert_string_equal(esp_err_to_name(ESP_ERR_MBEDTLS_SSL_READ_FAILED), "ESP_ERR_MBEDTLS_SSL_READ_FAILED");
}

static void test_values_match_esp_idf(void **state)
{
    (void)state;
    assert_int_equal(ESP_ERR_INVALID_ARG, 0x102);
    assert_int_equal(ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST, 0x8004);
    assert_int_equal(ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT, 0x8006);
    assert_int_equal(ESP_ERR_MBEDTLS_SSL_SETUP_FAILED, 0x8017);
    assert_int_equal(ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED, 0x801A);
    assert_int_equal(ESP_TLS_ERR_SSL_WANT_READ, -0x6900);
    assert_int_equal(ESP_TLS_ERR_SSL_WANT_WRITE, -0x6880);
}

static void test_unknown_code_is_unknown_error(void **state)
{
    (void)state;
    assert_string_equal(esp_err_to_name(0x7fff1234), "UNKNOWN ERROR");
    assert_string_equal(esp_err_to_name(ESP_ERR_ESP_TLS_BASE), "UNKNOWN ERROR");
    char buf[64];
    assert_string_equal(esp_err_to_name_r(0x7fff1234, buf, sizeof(buf)), "Unknown error 0x7fff1234");
    assert_string_equal(esp_err_to_name_r(ESP_ERR_TIMEOUT, buf, sizeof(buf)), "ESP_ERR_TIMEOUT");
    assert_null(esp_err_to_name_r(ESP_OK, NULL, 10));
    assert_null(esp_err_to_name_r(ESP_OK, buf, 0));
}

static void test_log_levels_per_tag_and_default(void **state)
{
    (void)state;
    /* PORTLS_LOG_LEVEL=none is set by the test harness. */
    assert_int_equal(esp_log_level_get("anything"), ESP_LOG_NONE);
    esp_log_level_set("chatty", ESP_LOG_DEBUG);
    assert_int_equal(esp_log_level_get("chatty"), ESP_LOG_DEBUG);
    assert_int_equal(esp_log_level_get("quiet"), ESP_LOG_NONE);
    esp_log_level_set("*", ESP_LOG_WARN);
    assert_int_equal(esp_log_level_get("chatty"), ESP_LOG_WARN);
    esp_log_level_set(NULL, ESP_LOG_ERROR);
    esp_log_level_set("x", (esp_log_level_t)42);
    assert_int_equal(esp_log_level_get("x"), ESP_LOG_WARN);
    ESP_LOGI("quiet", "not printed at WARN: %d", 1);
    esp_log_level_set("*", ESP_LOG_NONE);
}

/* esp_timer_get_time() is CLOCK_MONOTONIC in microseconds: between two readings of that clock,
 * and never going back. */
static void test_timer_is_the_monotonic_clock(void **state)
{
    (void)state;
    struct timespec before, after;
    clock_gettime(CLOCK_MONOTONIC, &before);
    int64_t t = esp_timer_get_time();
    clock_gettime(CLOCK_MONOTONIC, &after);
    assert_true(t >= (int64_t)before.tv_sec * 1000000 + before.tv_nsec / 1000);
    assert_true(t <= (int64_t)after.tv_sec * 1000000 + after.tv_nsec / 1000);
    for (int i = 0; i < 1000; i++) {
        int64_t next = esp_timer_get_time();
        assert_true(next >= t);
        t = next;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_codes_have_their_names),
        cmocka_unit_test(test_values_match_esp_idf),
        cmocka_unit_test(test_unknown_code_is_unknown_error),
        cmocka_unit_test(test_log_levels_per_tag_and_default),
        cmocka_unit_test(test_timer_is_the_monotonic_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
