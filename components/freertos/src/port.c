/* The tick clock, the deletable waits and configASSERT(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "esp_timer.h"
#include "freertos/task.h"
#include "rtos_private.h"

#define US_PER_S 1000000ULL

static int64_t s_start_us; /* esp_timer_get_time() at start: tick 0 */

__attribute__((constructor)) static void rtos_clock_start(void)
{
    s_start_us = esp_timer_get_time();
}

uint64_t rtos_tick_count64(void)
{
    return (uint64_t)(esp_timer_get_time() - s_start_us) * configTICK_RATE_HZ / US_PER_S;
}

TickType_t xTaskGetTickCount(void)
{
    return (TickType_t)rtos_tick_count64();
}

TickType_t xTaskGetTickCountFromISR(void)
{
    return xTaskGetTickCount();
}

/* The tick's start rounded up to the microsecond: from then on rtos_tick_count64() >= tick. */
esp_deadline_t rtos_tick_deadline(uint64_t tick)
{
    uint64_t offset_us = (tick * US_PER_S + configTICK_RATE_HZ - 1) / configTICK_RATE_HZ;
    return (esp_deadline_t){ .at_us = s_start_us + (int64_t)offset_us };
}

esp_deadline_t rtos_ticks_deadline(TickType_t ticks)
{
    if (ticks == portMAX_DELAY) {
        return esp_deadline_in_ms(-1);
    }
    return rtos_tick_deadline(rtos_tick_count64() + ticks);
}

void rtos_unlock(void *lock)
{
    pthread_mutex_unlock(lock);
}

/* A blocked task looks at its deletion this often: a deletion takes effect within a slice. */
#define DELETION_SLICE_US 10000

int rtos_cond_wait(pthread_cond_t *cond, pthread_mutex_t *lock, esp_deadline_t d, void (*unwind)(void *), void *arg)
{
    if (rtos_current_task_deleted()) {
        unwind(arg);
        pthread_exit(NULL);
    }
    int64_t slice_end = esp_timer_get_time() + DELETION_SLICE_US;
    esp_deadline_t until = d.at_us < slice_end ? d : (esp_deadline_t){ .at_us = slice_end };
    int rc = esp_deadline_cond_wait(cond, lock, until);
    if (rtos_current_task_deleted()) {
        unwind(arg);
        pthread_exit(NULL);
    }
    /* The slice's end is a spurious wake for the caller, who looks again. */
    return rc == ETIMEDOUT && !esp_deadline_expired(d) ? 0 : rc;
}

int rtos_sync_init(pthread_mutex_t *lock, pthread_cond_t *cond)
{
    int rc = pthread_mutex_init(lock, NULL);
    if (rc != 0) {
        return rc;
    }
    rc = esp_deadline_cond_init(cond);
    if (rc != 0) {
        pthread_mutex_destroy(lock);
    }
    return rc;
}

void portls_rtos_assert_failed(const char *function, const char *file, int line, const char *expression)
{
    fprintf(stderr, "assert failed: %s %s:%d (%s)\n", function, file, line, expression);
    abort();
}
