/*
 * esp_system.h: restarting and the heap figures, as ESP-IDF v5.5 has them. On portls a restart is
 * a reboot of the emulated device: the program is executed again, so the simulated bootloader
 * runs again at the first partition call (portls_boot.h) and boots whatever otadata now selects.
 */
#pragma once

#include <stdint.h>

#include "esp_err.h"
#include "esp_idf_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A function esp_restart() calls first. */
typedef void (*shutdown_handler_t)(void);

/**
 * Registers a shutdown handler (five at most). Not thread-safe, as in ESP-IDF.
 * @return ESP_OK; ESP_ERR_INVALID_STATE (already registered); ESP_ERR_NO_MEM (all five slots used)
 */
esp_err_t esp_register_shutdown_handler(shutdown_handler_t handle);

/** @return ESP_OK; ESP_ERR_INVALID_STATE (it was not registered) */
esp_err_t esp_unregister_shutdown_handler(shutdown_handler_t handle);

/**
 * Restarts: calls the shutdown handlers (the last registered first), flushes stdio, then
 * executes this program again (/proc/thread-self/exe: from any thread, also once main() has
 * ended) with the arguments it was started with, in the
 * same process (same pid, same environment); the other threads end, and every file descriptor
 * but stdin, stdout and stderr is closed, as a reset would leave nothing open. Does not return;
 * if the exec itself fails it says why on stderr and aborts.
 */
void esp_restart(void) __attribute__((__noreturn__));

/**
 * The emulated device's free heap in bytes: its heap size less what portls's heap accounting
 * (esp_tls_heap.h: every mbedTLS and ESP-TLS allocation) has in use. The heap size is the budget
 * portls_heap_set_limit() set (the tool's --heap-limit; a program built on portls_app_main starts
 * with CONFIG_PORTLS_EMULATED_HEAP as its budget), or CONFIG_PORTLS_EMULATED_HEAP when there is
 * none. Other allocations of the program are not counted. 0 when the use exceeds the size. In a
 * build without heap accounting nothing is counted: the whole size.
 */
uint32_t esp_get_free_heap_size(void);

/** As esp_get_free_heap_size(), internal RAM being the only heap emulated. */
uint32_t esp_get_free_internal_heap_size(void);

/** The least the free heap has been since the start: the size less the accounting's peak. */
uint32_t esp_get_minimum_free_heap_size(void);

#ifdef __cplusplus
}
#endif
