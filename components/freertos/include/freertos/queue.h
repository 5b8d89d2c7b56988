/*
 * freertos/queue.h: FreeRTOS queues on POSIX threads. Items are copied in and out by value
 * (uxItemSize bytes). A wait of xTicksToWait ticks ends as on a chip (FreeRTOS.h); portMAX_DELAY
 * waits without limit, 0 does not wait. Every call is thread-safe; the *FromISR calls are the
 * plain calls that never wait (a host has no interrupts) and set *pxHigherPriorityTaskWoken (if
 * not NULL) to pdFALSE. A NULL handle fails configASSERT(). Deleting a queue that a task waits on
 * is undefined, as on FreeRTOS.
 */
#pragma once

#include "freertos/FreeRTOS.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct QueueDefinition *QueueHandle_t;

#define queueSEND_TO_BACK ((BaseType_t)0)
#define queueSEND_TO_FRONT ((BaseType_t)1)
#define queueOVERWRITE ((BaseType_t)2)

#define queueQUEUE_TYPE_BASE ((uint8_t)0U)
#define queueQUEUE_TYPE_MUTEX ((uint8_t)1U)
#define queueQUEUE_TYPE_COUNTING_SEMAPHORE ((uint8_t)2U)
#define queueQUEUE_TYPE_BINARY_SEMAPHORE ((uint8_t)3U)
#define queueQUEUE_TYPE_RECURSIVE_MUTEX ((uint8_t)4U)

/**
 * A queue of uxQueueLength items of uxItemSize bytes each (0: a semaphore's count only).
 * @return the handle, or NULL (uxQueueLength 0, a size that overflows, no memory)
 */
QueueHandle_t xQueueGenericCreate(const UBaseType_t uxQueueLength, const UBaseType_t uxItemSize,
                                  const uint8_t ucQueueType);

#define xQueueCreate(uxQueueLength, uxItemSize) xQueueGenericCreate((uxQueueLength), (uxItemSize), queueQUEUE_TYPE_BASE)

/**
 * Copies *pvItemToQueue to the back (queueSEND_TO_BACK) or the front (queueSEND_TO_FRONT) of the
 * queue, waiting up to xTicksToWait ticks for room; queueOVERWRITE (a queue of length 1) replaces
 * the item there. A mutex is given back this way: only by its holder.
 * @return pdPASS, or errQUEUE_FULL (no room in time; a mutex the caller does not hold)
 */
BaseType_t xQueueGenericSend(QueueHandle_t xQueue, const void *const pvItemToQueue, TickType_t xTicksToWait,
                             const BaseType_t xCopyPosition);

#define xQueueSend(xQueue, pvItemToQueue, xTicksToWait) \
    xQueueGenericSend((xQueue), (pvItemToQueue), (xTicksToWait), queueSEND_TO_BACK)
#define xQueueSendToBack(xQueue, pvItemToQueue, xTicksToWait) \
    xQueueGenericSend((xQueue), (pvItemToQueue), (xTicksToWait), queueSEND_TO_BACK)
#define xQueueSendToFront(xQueue, pvItemToQueue, xTicksToWait) \
    xQueueGenericSend((xQueue), (pvItemToQueue), (xTicksToWait), queueSEND_TO_FRONT)
#define xQueueOverwrite(xQueue, pvItemToQueue) \
    xQueueGenericSend((xQueue), (pvItemToQueue), 0, queueOVERWRITE)

BaseType_t xQueueGenericSendFromISR(QueueHandle_t xQueue, const void *const pvItemToQueue,
                                    BaseType_t *const pxHigherPriorityTaskWoken, const BaseType_t xCopyPosition);

#define xQueueSendFromISR(xQueue, pvItemToQueue, pxHigherPriorityTaskWoken) \
    xQueueGenericSendFromISR((xQueue), (pvItemToQueue), (pxHigherPriorityTaskWoken), queueSEND_TO_BACK)
#define xQueueSendToBackFromISR(xQueue, pvItemToQueue, pxHigherPriorityTaskWoken) \
    xQueueGenericSendFromISR((xQueue), (pvItemToQueue), (pxHigherPriorityTaskWoken), queueSEND_TO_BACK)
#define xQueueSendToFrontFromISR(xQueue, pvItemToQueue, pxHigherPriorityTaskWoken) \
    xQueueGenericSendFromISR((xQueue), (pvItemToQueue), (pxHigherPriorityTaskWoken), queueSEND_TO_FRONT)

/**
 * Moves the front item into *pvBuffer (uxItemSize bytes), waiting up to xTicksToWait ticks for
 * one. @return pdPASS, or errQUEUE_EMPTY (none in time)
 */
BaseType_t xQueueReceive(QueueHandle_t xQueue, void *const pvBuffer, TickType_t xTicksToWait);

/** xQueueReceive() without waiting. */
BaseType_t xQueueReceiveFromISR(QueueHandle_t xQueue, void *const pvBuffer, BaseType_t *const pxHigherPriorityTaskWoken);

/** Copies the front item into *pvBuffer and leaves it there. @return pdPASS or errQUEUE_EMPTY */
BaseType_t xQueuePeek(QueueHandle_t xQueue, void *const pvBuffer, TickType_t xTicksToWait);

/** Items in the queue (a semaphore's count). */
UBaseType_t uxQueueMessagesWaiting(const QueueHandle_t xQueue);

/** Room left in the queue. */
UBaseType_t uxQueueSpacesAvailable(const QueueHandle_t xQueue);

/** Empties the queue. @return pdPASS */
BaseType_t xQueueReset(QueueHandle_t xQueue);

/** Frees the queue (or semaphore). */
void vQueueDelete(QueueHandle_t xQueue);

/* The semaphore calls semphr.h's macros expand to. */
QueueHandle_t xQueueCreateMutex(const uint8_t ucQueueType);
QueueHandle_t xQueueCreateCountingSemaphore(const UBaseType_t uxMaxCount, const UBaseType_t uxInitialCount);
BaseType_t xQueueSemaphoreTake(QueueHandle_t xQueue, TickType_t xTicksToWait);
BaseType_t xQueueTakeMutexRecursive(QueueHandle_t xMutex, TickType_t xTicksToWait);
BaseType_t xQueueGiveMutexRecursive(QueueHandle_t xMutex);
BaseType_t xQueueGiveFromISR(QueueHandle_t xQueue, BaseType_t *const pxHigherPriorityTaskWoken);
void *xQueueGetMutexHolder(QueueHandle_t xSemaphore);

#ifdef __cplusplus
}
#endif
