#include <errno.h>
#include <limits.h>

#include "esp_deadline.h"
#include "esp_timer.h"

#define NEVER INT64_MAX

esp_deadline_t esp_deadline_in_ms(int64_t timeout_ms)
{
    int64_t now = esp_timer_get_time();
    if (timeout_ms < 0 || timeout_ms >= (NEVER - now) / 1000) {
        return (esp_deadline_t){ .at_us = NEVER };
    }
    return (esp_deadline_t){ .at_us = now + timeout_ms * 1000 };
}

int esp_deadline_ms_left(esp_deadline_t d)
{
    if (d.at_us == NEVER) {
        return -1;
    }
    int64_t left_us = d.at_us - esp_timer_get_time();
    if (left_us <= 0) {
        return 0;
    }
    int64_t left_ms = left_us / 1000 + (left_us % 1000 != 0);
    return left_ms > INT_MAX ? INT_MAX : (int)left_ms;
}

bool esp_deadline_expired(esp_deadline_t d)
{
    return d.at_us != NEVER && esp_timer_get_time() >= d.at_us;
}

int64_t esp_deadline_now_ms(void)
{
    return esp_timer_get_time() / 1000;
}

/* esp_timer_get_time() is CLOCK_MONOTONIC's reading in microseconds, so the conversion back
 * is exact to the microsecond. */
struct timespec esp_deadline_timespec(esp_deadline_t d)
{
    return (struct timespec){ .tv_sec = (time_t)(d.at_us / 1000000), .tv_nsec = (long)(d.at_us % 1000000) * 1000 };
}

int esp_deadline_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0) {
        return rc;
    }
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(cond, &attr);
    }
    pthread_condattr_destroy(&attr);
    return rc;
}

int esp_deadline_cond_wait(pthread_cond_t *cond, pthread_mutex_t *lock, esp_deadline_t d)
{
    if (cond == NULL || lock == NULL) {
        return EINVAL;
    }
    if (d.at_us == NEVER) {
        return pthread_cond_wait(cond, lock);
    }
    struct timespec until = esp_deadline_timespec(d);
    return pthread_cond_timedwait(cond, lock, &until);
}
