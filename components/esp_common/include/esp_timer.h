/*
 * esp_timer.h: ESP-IDF's time source, on a host. Only esp_timer_get_time() is provided, the one
 * clock every timeout and deadline of portls is measured on; the timer objects are not.
 * esp_deadline.h (a portls extension) builds deadlines on it.
 */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Microseconds since boot, from CLOCK_MONOTONIC: never goes back, unaffected by changes of the
 *  wall clock. */
int64_t esp_timer_get_time(void);

#ifdef __cplusplus
}
#endif
