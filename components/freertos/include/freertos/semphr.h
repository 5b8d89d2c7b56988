/*
 * freertos/semphr.h: FreeRTOS semaphores and mutexes, which are queues of items of size 0 as on
 * FreeRTOS (queue.h says how waits and handles behave).
 *
 * A binary semaphore starts empty (take fails until a give); a counting one starts at
 * uxInitialCount and gives fail at uxMaxCount. A mutex starts free; only its holder gives it back
 * (another task's give fails with pdFALSE rather than FreeRTOS's assertion). A recursive mutex is
 * taken and given with the *Recursive calls, which its holder may nest. There is no priority
 * inheritance: the host does not schedule by priority.
 */
#pragma once

#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef QueueHandle_t SemaphoreHandle_t;

#define semGIVE_BLOCK_TIME ((TickType_t)0U)

#define xSemaphoreCreateBinary() xQueueGenericCreate((UBaseType_t)1, (UBaseType_t)0, queueQUEUE_TYPE_BINARY_SEMAPHORE)
#define xSemaphoreCreateCounting(uxMaxCount, uxInitialCount) xQueueCreateCountingSemaphore((uxMaxCount), (uxInitialCount))
#define xSemaphoreCreateMutex() xQueueCreateMutex(queueQUEUE_TYPE_MUTEX)
#define xSemaphoreCreateRecursiveMutex() xQueueCreateMutex(queueQUEUE_TYPE_RECURSIVE_MUTEX)

/** @return pdTRUE, or pdFALSE if not obtained within xBlockTime ticks */
#define xSemaphoreTake(xSemaphore, xBlockTime) xQueueSemaphoreTake((xSemaphore), (xBlockTime))
/** @return pdTRUE, or pdFALSE (a full semaphore; a mutex the caller does not hold) */
#define xSemaphoreGive(xSemaphore) \
    xQueueGenericSend((QueueHandle_t)(xSemaphore), NULL, semGIVE_BLOCK_TIME, queueSEND_TO_BACK)
#define xSemaphoreTakeRecursive(xMutex, xBlockTime) xQueueTakeMutexRecursive((xMutex), (xBlockTime))
#define xSemaphoreGiveRecursive(xMutex) xQueueGiveMutexRecursive((xMutex))
#define xSemaphoreGiveFromISR(xSemaphore, pxHigherPriorityTaskWoken) \
    xQueueGiveFromISR((QueueHandle_t)(xSemaphore), (pxHigherPriorityTaskWoken))
#define xSemaphoreTakeFromISR(xSemaphore, pxHigherPriorityTaskWoken) \
    xQueueReceiveFromISR((QueueHandle_t)(xSemaphore), NULL, (pxHigherPriorityTaskWoken))
#define vSemaphoreDelete(xSemaphore) vQueueDelete((QueueHandle_t)(xSemaphore))
#define uxSemaphoreGetCount(xSemaphore) uxQueueMessagesWaiting((QueueHandle_t)(xSemaphore))
/** The holder's TaskHandle_t, or NULL (free, or not a mutex). */
#define xSemaphoreGetMutexHolder(xSemaphore) xQueueGetMutexHolder((xSemaphore))

#ifdef __cplusplus
}
#endif
