#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "esp_deadline.h"
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


static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A deadline is esp_timer_get_time() + the timeout; what is left is rounded up, never below
 * what is really left; negative timeouts and ones too far to count are none. */
static void test_deadline_arithmetic(void **state)
{
    (void)state;
    int64_t before = esp_timer_get_time();
    esp_deadline_t d = esp_deadline_in_ms(20000);
    int64_t after = esp_timer_get_time();
    assert_true(d.at_us >= before + 20000000 && d.at_us <= after + 20000000);
    assert_false(esp_deadline_expired(d));

    esp_deadline_t odd = { .at_us = esp_timer_get_time() + 10000500 }; /* 10000.5 ms away */
    before = esp_timer_get_time();
    int left = esp_deadline_ms_left(odd);
    after = esp_timer_get_time();
    assert_true((int64_t)left * 1000 >= odd.at_us - after);       /* rounded up */
    assert_true((int64_t)left * 1000 < odd.at_us - before + 1000); /* by less than a millisecond */

    esp_deadline_t now = esp_deadline_in_ms(0);
    assert_true(esp_deadline_expired(now));
    assert_int_equal(esp_deadline_ms_left(now), 0);
    esp_deadline_t past = { .at_us = esp_timer_get_time() - 5000000 };
    assert_true(esp_deadline_expired(past));
    assert_int_equal(esp_deadline_ms_left(past), 0);

    esp_deadline_t none[] = { esp_deadline_in_ms(-1), esp_deadline_in_ms(INT64_MIN), esp_deadline_in_ms(INT64_MAX),
                              esp_deadline_in_ms(INT64_MAX / 1000) };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        assert_false(esp_deadline_expired(none[i]));
        assert_int_equal(esp_deadline_ms_left(none[i]), -1);
    }
    assert_int_equal(esp_deadline_ms_left(esp_deadline_in_ms(INT64_C(100) * 365 * 24 * 3600 * 1000)), INT_MAX);

    int64_t ms = esp_deadline_now_ms(), us = esp_timer_get_time();
    assert_true(ms * 1000 <= us && us - ms * 1000 < 1000000); /* the same clock, in ms */
}

/* The timespec is CLOCK_MONOTONIC's time of the deadline, to the microsecond. */
static void test_deadline_timespec_is_monotonic(void **state)
{
    (void)state;
    int64_t before = monotonic_us();
    struct timespec ts = esp_deadline_timespec(esp_deadline_in_ms(3000));
    int64_t after = monotonic_us();
    int64_t at = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    assert_true(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L && ts.tv_nsec % 1000 == 0);
    assert_true(at >= before + 3000000 && at <= after + 3000000);
}

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool set;
} signal_t;

static void *set_later(void *arg)
{
    signal_t *s = arg;
    sleep_ms(100);
    pthread_mutex_lock(&s->lock);
    s->set = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* A condition variable from esp_deadline_cond_init() times out at the deadline, not before (one
 * on CLOCK_REALTIME would take the monotonic time as long past and return at once), and not
 * long after; a signal ends a wait for none. */
static void test_deadline_cond_wait(void **state)
{
    (void)state;
    signal_t s = { .lock = PTHREAD_MUTEX_INITIALIZER };
    assert_int_equal(esp_deadline_cond_init(&s.cond), 0);
    esp_deadline_t d = esp_deadline_in_ms(300);
    pthread_mutex_lock(&s.lock);
    int rc = 0;
    while (rc == 0) {
        rc = esp_deadline_cond_wait(&s.cond, &s.lock, d);
    }
    pthread_mutex_unlock(&s.lock);
    assert_int_equal(rc, ETIMEDOUT);
    assert_true(esp_deadline_expired(d));
    assert_true(esp_timer_get_time() - d.at_us < 20000000); /* a generous bound for a loaded machine */

    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, set_later, &s), 0);
    pthread_mutex_lock(&s.lock);
    while (!s.set) {
        assert_int_equal(esp_deadline_cond_wait(&s.cond, &s.lock, esp_deadline_in_ms(-1)), 0);
    }
    pthread_mutex_unlock(&s.lock);
    pthread_join(t, NULL);
    assert_int_equal(esp_deadline_cond_wait(NULL, &s.lock, d), EINVAL);
    pthread_cond_destroy(&s.cond);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_codes_have_their_names),
        cmocka_unit_test(test_values_match_esp_idf),
        cmocka_unit_test(test_unknown_code_is_unknown_error),
        cmocka_unit_test(test_log_levels_per_tag_and_default),
        cmocka_unit_test(test_timer_is_the_monotonic_clock),
        cmocka_unit_test(test_deadline_arithmetic),
        cmocka_unit_test(test_deadline_timespec_is_monotonic),
        cmocka_unit_test(test_deadline_cond_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
