/*
 * esp_deadline.h: a portls extension (ESP-IDF has no such header). Deadlines on the one clock
 * every timeout of portls is measured on, esp_timer_get_time() (CLOCK_MONOTONIC, so a change of
 * the wall clock moves none of them). A wait made of several steps takes its deadline once and
 * gives each step what is left of it, so the steps together never exceed the timeout. A
 * condition variable made by esp_deadline_cond_init() waits for a deadline with
 * esp_deadline_cond_wait(). Every layer of portls (esp_common, ESP-TLS, tcp_transport,
 * esp_http_client, esp-mqtt, the tool) uses these; nothing here allocates. Thread-safe.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A point on esp_timer_get_time()'s clock, or none (a deadline that never passes). A value:
 *  copy it freely. Make one with esp_deadline_in_ms(). */
typedef struct {
    int64_t at_us; /*!< esp_timer_get_time() at which it passes; INT64_MAX: never */
} esp_deadline_t;

/** The deadline timeout_ms from now. A negative timeout_ms, or one too far to count in
 *  microseconds, gives none. 0 has passed already. */
esp_deadline_t esp_deadline_in_ms(int64_t timeout_ms);

/** Milliseconds left until d, rounded up (a wait for them does not end before d), at most
 *  INT_MAX; 0 once d has passed; -1 for none. Ready for poll() and for the timeout_ms of the
 *  transports, where -1 means no limit. */
int esp_deadline_ms_left(esp_deadline_t d);

/** Whether d has passed; never for none. */
bool esp_deadline_expired(esp_deadline_t d);

/** esp_timer_get_time() in whole milliseconds: the deadlines' clock, for times kept in
 *  milliseconds (timestamps, elapsed times). */
int64_t esp_deadline_now_ms(void);

/** d as the absolute CLOCK_MONOTONIC time that pthread_cond_timedwait() takes on a condition
 *  variable made by esp_deadline_cond_init(); for none, a time centuries ahead. */
struct timespec esp_deadline_timespec(esp_deadline_t d);

/** Initialises cond (as pthread_cond_init() does) with its timed waits measured on
 *  CLOCK_MONOTONIC, the clock of esp_deadline_timespec(). A condition variable that
 *  esp_deadline_cond_wait() waits on must be made by this: PTHREAD_COND_INITIALIZER's waits are
 *  on CLOCK_REALTIME, where a monotonic time lies decades in the past. Destroy it with
 *  pthread_cond_destroy(). @return 0, or the error of the pthread call that failed. */
int esp_deadline_cond_init(pthread_cond_t *cond);

/** Waits on cond (made by esp_deadline_cond_init()), with lock held as pthread_cond_wait()
 *  wants it, until cond is signalled or d passes; for none, without a limit. A wake may be
 *  spurious: look at the condition again, in a loop. @return 0 when woken; ETIMEDOUT once d has
 *  passed; EINVAL for bad arguments. */
int esp_deadline_cond_wait(pthread_cond_t *cond, pthread_mutex_t *lock, esp_deadline_t d);

#ifdef __cplusplus
}
#endif
