/*
 * esp_timer.h: the one monotonic clock of portls, under ESP-IDF's name. Every deadline in the
 * library (ESP-TLS's connect, tcp_transport's write-all, the MQTT client's timers) is measured
 * with it. Only esp_timer_get_time() is provided: ESP-IDF's callback timers have no use here.
 */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Microseconds on CLOCK_MONOTONIC: never goes back and does not follow changes of the wall
 * clock. ESP-IDF counts from boot; here the origin is arbitrary, so only differences mean
 * anything. Thread-safe, never fails.
 */
int64_t esp_timer_get_time(void);

#ifdef __cplusplus
}
#endif
