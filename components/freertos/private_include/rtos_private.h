/* What the FreeRTOS layer's files share: the tick clock and the waits a task can be deleted in. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "esp_deadline.h"
#include "freertos/FreeRTOS.h"

/** The deadline at which the tick count will have advanced by ticks from now (portMAX_DELAY:
 *  none). */
esp_deadline_t rtos_ticks_deadline(TickType_t ticks);

/** The deadline at which the tick count reaches tick (counted as rtos_tick_count64()). */
esp_deadline_t rtos_tick_deadline(uint64_t tick);

/** Ticks since the program started, unwrapped. */
uint64_t rtos_tick_count64(void);

/**
 * Waits on cond (made by esp_deadline_cond_init()) with lock held, as esp_deadline_cond_wait(),
 * waking now and then (a spurious wake for the caller, who looks again). This is where
 * vTaskDelete() of another task takes effect: if the calling task is deleted, unwind (called with
 * lock held) must undo the caller's state and unlock lock, and the task ends there.
 * @return 0 when woken, ETIMEDOUT once d has passed
 */
int rtos_cond_wait(pthread_cond_t *cond, pthread_mutex_t *lock, esp_deadline_t d, void (*unwind)(void *),
                   void *arg);

/** Whether another task has deleted the calling one (tasks.c). */
bool rtos_current_task_deleted(void);

/** An unwind for rtos_cond_wait() that only unlocks the pthread_mutex_t at arg. */
void rtos_unlock(void *lock);

/** A mutex and a condition variable on the deadlines' clock. @return 0 or the pthread error */
int rtos_sync_init(pthread_mutex_t *lock, pthread_cond_t *cond);
