/*
 * esp_tls_heap.h: portls extension. How much heap ESP-TLS and mbedTLS use, per connection and in
 * all, and a budget that makes a PC run out of memory where a small device would.
 *
 * Every allocation of mbedTLS and of ESP-TLS goes through one counting allocator (installed
 * with mbedtls_platform_set_calloc_free() when the program starts). An allocation belongs to
 * the connection whose call made it: a connect, handshake, read, write or destroy on that
 * esp_tls_t, in the calling thread. The resolver's own memory (c-ares's, some 75 KB with c-ares
 * 1.18 for the length of a lookup) is not counted, as a device's resolver uses static tables;
 * the lookup's state and answer, a few hundred bytes, are.
 */
#pragma once

#include <stddef.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct esp_tls esp_tls_t;

typedef struct {
    size_t current;            /*!< bytes in use now */
    size_t peak;               /*!< the most in use at once (since the start, or the last reset) */
    unsigned long allocations; /*!< allocations made */
    unsigned long failures;    /*!< allocations refused: over the budget, or no memory */
} esp_tls_heap_stats_t;

/**
 * The heap figures of one connection, from esp_tls_init() on; the handle itself is included.
 * @return ESP_OK, or ESP_ERR_INVALID_ARG for NULLs.
 */
esp_err_t esp_tls_get_heap_stats(const esp_tls_t *tls, esp_tls_heap_stats_t *stats);

/** Starts the connection's peak again from its current use (e.g. after the handshake).
 * @return ESP_OK, or ESP_ERR_INVALID_ARG if tls is NULL. */
esp_err_t esp_tls_reset_heap_peak(esp_tls_t *tls);

/** The process-wide figures of the same allocator. stats must not be NULL. */
void portls_heap_get_stats(esp_tls_heap_stats_t *stats);

/**
 * Sets a budget: an allocation that would take the process-wide use above `bytes` fails, as it
 * would on a device with that much heap. The connection then fails with ESP_ERR_NO_MEM and the
 * log says how much was in use. 0 removes the budget (the default).
 */
void portls_heap_set_limit(size_t bytes);

/** The budget, or 0 if there is none. */
size_t portls_heap_get_limit(void);

/**
 * Fault injection, for tests: the n-th allocation from now made by the calling thread fails
 * (n = 1: the next one). 0 turns it off. Only that one allocation fails.
 */
void portls_heap_fail_nth(unsigned long n);

#ifdef __cplusplus
}
#endif
