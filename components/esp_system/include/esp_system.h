/*
 * esp_system.h: restarting, as ESP-IDF v5.5 has it. On portls a restart is a reboot of the
 * emulated device: the program is executed again, so the simulated bootloader runs again at the
 * first partition call (portls_boot.h) and boots whatever otadata now selects.
 */
#pragma once

#include "esp_err.h"

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
 * executes this program again (/proc/self/exe) with the arguments it was started with, in the
 * same process (same pid, same environment); the other threads end, and every file descriptor
 * but stdin, stdout and stderr is closed, as a reset would leave nothing open. Does not return;
 * if the exec itself fails it says why on stderr and aborts.
 */
void esp_restart(void) __attribute__((__noreturn__));

#ifdef __cplusplus
}
#endif
