/*
 * freertos/task.h: FreeRTOS tasks as POSIX threads (see FreeRTOS.h for what differs from a chip).
 *
 * Stack depth: a task runs on a thread with the host's default stack (8 MiB on Linux), which a
 * request never lowers: ESP-IDF's stack sizes are in bytes sized for the chip, and host code
 * (glibc's printf, the sanitizers) needs more.
 *
 * vTaskDelete() of another task ends it in its next blocking FreeRTOS call (a delay, or a wait on
 * a queue, semaphore or event group), or within 10 ms if it is blocked in one; as on FreeRTOS,
 * what it holds (a mutex, memory) is not released. A task's function must not return: as on ESP-IDF,
 * that aborts ("a task ends with vTaskDelete(NULL)"). The thread that calls main() (app_main's,
 * named "main") and any other thread of the program count as tasks too: each has a handle.
 */
#pragma once

#include "freertos/FreeRTOS.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tskTaskControlBlock *TaskHandle_t;
typedef void (*TaskFunction_t)(void *);

#define tskIDLE_PRIORITY ((UBaseType_t)0U)
#define tskNO_AFFINITY ((BaseType_t)0x7FFFFFFF)
#define configMAX_TASK_NAME_LEN 16

#define taskYIELD() vPortYield()
#define portYIELD() vPortYield()

/**
 * Creates a task: a thread running pxTaskCode(pvParameters). The name is copied (up to
 * configMAX_TASK_NAME_LEN - 1 characters); ulStackDepth and xCoreID are ignored; uxPriority is
 * kept (uxTaskPriorityGet()) but does not schedule. *pxCreatedTask (if not NULL) is set before the
 * task starts. The task's resources go when it is deleted.
 * @return pdPASS, or errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY (no memory or no thread)
 */
BaseType_t xTaskCreatePinnedToCore(TaskFunction_t pxTaskCode, const char *const pcName, const uint32_t ulStackDepth,
                                   void *const pvParameters, UBaseType_t uxPriority, TaskHandle_t *const pxCreatedTask,
                                   const BaseType_t xCoreID);

/** xTaskCreatePinnedToCore() with tskNO_AFFINITY. */
static inline BaseType_t xTaskCreate(TaskFunction_t pxTaskCode, const char *const pcName,
                                     const configSTACK_DEPTH_TYPE usStackDepth, void *const pvParameters,
                                     UBaseType_t uxPriority, TaskHandle_t *const pxCreatedTask)
{
    return xTaskCreatePinnedToCore(pxTaskCode, pcName, usStackDepth, pvParameters, uxPriority, pxCreatedTask,
                                   tskNO_AFFINITY);
}

/** Deletes a task; NULL: the calling task, and then does not return. */
void vTaskDelete(TaskHandle_t xTaskToDelete);

/** Blocks for xTicksToDelay ticks (0: yields only). */
void vTaskDelay(const TickType_t xTicksToDelay);

/**
 * Blocks until the tick count reaches *pxPreviousWakeTime + xTimeIncrement, then sets
 * *pxPreviousWakeTime to that: a fixed period, however long the work in between took.
 * @return pdTRUE if it blocked; pdFALSE if that time had passed already (no delay)
 */
BaseType_t xTaskDelayUntil(TickType_t *const pxPreviousWakeTime, const TickType_t xTimeIncrement);

#define vTaskDelayUntil(pxPreviousWakeTime, xTimeIncrement) do {              \
        (void)xTaskDelayUntil((pxPreviousWakeTime), (xTimeIncrement));       \
    } while (0)

/** Ticks since the program started (wraps at 2^32). Thread-safe, like every call here. */
TickType_t xTaskGetTickCount(void);

/** xTaskGetTickCount(); there are no interrupts on a host. */
TickType_t xTaskGetTickCountFromISR(void);

/** The calling task's handle (never NULL). */
TaskHandle_t xTaskGetCurrentTaskHandle(void);

/** The task's name; NULL: the calling task's. Valid while the task lives. */
char *pcTaskGetName(TaskHandle_t xTaskToQuery);

/** The priority given at creation (0 for threads not made by xTaskCreate); NULL: the caller's. */
UBaseType_t uxTaskPriorityGet(const TaskHandle_t xTask);

/** Gives up the processor to other threads (sched_yield()). */
void vPortYield(void);

#ifdef __cplusplus
}
#endif
