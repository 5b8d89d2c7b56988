/*
 * freertos/FreeRTOS.h (in esp_common, as every layer counts time in its ticks): the FreeRTOS
 * types and constants ESP-IDF v5.5 code uses, for portls's
 * small FreeRTOS layer on POSIX threads (task.h, queue.h, semphr.h, event_groups.h).
 *
 * Time is counted in ticks of configTICK_RATE_HZ (CONFIG_FREERTOS_HZ, 100 by default as in
 * ESP-IDF) on esp_timer_get_time()'s clock, from the program's start. A wait of n ticks ends when
 * the tick count has advanced by n, as on a chip: between n - 1 and n tick periods after the call.
 *
 * What differs from a chip: tasks are threads that the host schedules, all at once; priorities
 * are kept but do not decide who runs, and the core of xTaskCreatePinnedToCore() is ignored.
 * A configASSERT() failure (a NULL handle, reserved event bits) prints "assert failed:" with the
 * place and the expression, then aborts, as ESP-IDF's default configuration does.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int BaseType_t;
typedef unsigned int UBaseType_t;
typedef uint32_t TickType_t;
typedef uint32_t StackType_t;

#define portMAX_DELAY ((TickType_t)0xffffffffUL)

#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)
#define pdPASS (pdTRUE)
#define pdFAIL (pdFALSE)
#define errQUEUE_EMPTY ((BaseType_t)0)
#define errQUEUE_FULL ((BaseType_t)0)
#define errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY (-1)

#define configTICK_RATE_HZ (CONFIG_FREERTOS_HZ)
#define configMAX_PRIORITIES (25)
#define configMINIMAL_STACK_SIZE (768)
#define configSTACK_DEPTH_TYPE uint32_t
#define portTICK_PERIOD_MS ((TickType_t)1000 / configTICK_RATE_HZ)
#define portNUM_PROCESSORS 2

/** Milliseconds to ticks, rounded down (so a delay below one tick is 0 ticks, as on a chip). */
#define pdMS_TO_TICKS(xTimeInMs) ((TickType_t)(((uint64_t)(xTimeInMs) * (uint64_t)configTICK_RATE_HZ) / (uint64_t)1000U))
/** Ticks to milliseconds, rounded down. */
#define pdTICKS_TO_MS(xTicks) ((TickType_t)(((uint64_t)(xTicks) * (uint64_t)1000U) / (uint64_t)configTICK_RATE_HZ))

/* Called from an interrupt on a chip; on a host there are none, so the yield is the thread's. */
#define portYIELD_FROM_ISR(...) ((void)0)

/** Prints "assert failed: FUNCTION FILE:LINE (EXPRESSION)" to stderr and aborts. */
void portls_rtos_assert_failed(const char *function, const char *file, int line, const char *expression)
    __attribute__((__noreturn__));

#define configASSERT(x) do {                                                  \
        if (!(x)) {                                                           \
            portls_rtos_assert_failed(__func__, __FILE__, __LINE__, #x);      \
        }                                                                     \
    } while (0)

#ifdef __cplusplus
}
#endif
