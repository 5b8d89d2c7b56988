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
 *
 * This needs a build with PORTLS_HEAP_ACCOUNTING (the default), which needs an mbedTLS with
 * MBEDTLS_PLATFORM_MEMORY (the bundled one has it; Debian's does not). Without it nothing is
 * counted, and every call below that returns an esp_err_t returns ESP_ERR_NOT_SUPPORTED.
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
 * @return ESP_OK, ESP_ERR_INVALID_ARG for NULLs, or ESP_ERR_NOT_SUPPORTED (zero figures) in a
 * build without heap accounting.
 */
esp_err_t esp_tls_get_heap_stats(const esp_tls_t *tls, esp_tls_heap_stats_t *stats);

/**
 * The connection's last refused allocation: the bytes it asked for, and the bytes in use in the
 * whole process when it was refused (what a budget of portls_heap_set_limit() is held against);
 * zeros if none was refused.
 * @return ESP_OK, ESP_ERR_INVALID_ARG for NULLs, or ESP_ERR_NOT_SUPPORTED (zeros) in a build
 * without heap accounting.
 */
esp_err_t esp_tls_get_heap_last_failure(const esp_tls_t *tls, size_t *requested, size_t *in_use);

/** Starts the connection's peak again from its current use (e.g. after the handshake).
 * @return ESP_OK, ESP_ERR_INVALID_ARG if tls is NULL, or ESP_ERR_NOT_SUPPORTED. */
esp_err_t esp_tls_reset_heap_peak(esp_tls_t *tls);

/** The process-wide figures of the same allocator. stats must not be NULL.
 * @return ESP_OK, or ESP_ERR_NOT_SUPPORTED (zero figures) without heap accounting. */
esp_err_t portls_heap_get_stats(esp_tls_heap_stats_t *stats);

/**
 * Sets a budget: an allocation that would take the process-wide use above `bytes` fails, as it
 * would on a device with that much heap. The connection then fails with ESP_ERR_NO_MEM and the
 * log says how much was in use. 0 removes the budget (the default).
 * @return ESP_OK, or ESP_ERR_NOT_SUPPORTED (no budget is set) without heap accounting.
 */
esp_err_t portls_heap_set_limit(size_t bytes);

/** The budget, or 0 if there is none (always, without heap accounting). */
size_t portls_heap_get_limit(void);

/**
 * Fault injection, for tests: the n-th allocation from now made by the calling thread fails
 * (n = 1: the next one). 0 turns it off. Only that one allocation fails.
 * @return ESP_OK, or ESP_ERR_NOT_SUPPORTED (nothing will fail) without heap accounting.
 */
esp_err_t portls_heap_fail_nth(unsigned long n);

#ifdef __cplusplus
}
#endif
