/*
 * Queues, and the semaphores and mutexes made of them (items of size 0: only the count moves).
 * One lock per queue; every change wakes all its waiters, who look again (a host has no
 * priorities to pick one by).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "freertos/queue.h"
#include "freertos/task.h"
#include "rtos_private.h"

struct QueueDefinition {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    uint8_t type;
    UBaseType_t length;
    UBaseType_t item_size;
    UBaseType_t count;
    UBaseType_t head;       /* the front item's slot */
    TaskHandle_t holder;    /* a mutex's, while taken */
    UBaseType_t recursion;  /* a recursive mutex's takes by its holder */
    unsigned char items[];  /* length * item_size */
};

static bool is_mutex(const struct QueueDefinition *q)
{
    return q->type == queueQUEUE_TYPE_MUTEX || q->type == queueQUEUE_TYPE_RECURSIVE_MUTEX;
}

QueueHandle_t xQueueGenericCreate(const UBaseType_t uxQueueLength, const UBaseType_t uxItemSize,
                                  const uint8_t ucQueueType)
{
    if (uxQueueLength == 0 || (uxItemSize != 0 && uxQueueLength > (SIZE_MAX - sizeof(struct QueueDefinition)) / uxItemSize)) {
        return NULL;
    }
    struct QueueDefinition *q = calloc(1, sizeof(*q) + (size_t)uxQueueLength * uxItemSize);
    if (q == NULL) {
        return NULL;
    }
    if (rtos_sync_init(&q->lock, &q->changed) != 0) {
        free(q);
        return NULL;
    }
    q->type = ucQueueType;
    q->length = uxQueueLength;
    q->item_size = uxItemSize;
    return q;
}

QueueHandle_t xQueueCreateCountingSemaphore(const UBaseType_t uxMaxCount, const UBaseType_t uxInitialCount)
{
    if (uxInitialCount > uxMaxCount) {
        return NULL;
    }
    QueueHandle_t q = xQueueGenericCreate(uxMaxCount, 0, queueQUEUE_TYPE_COUNTING_SEMAPHORE);
    if (q != NULL) {
        q->count = uxInitialCount;
    }
    return q;
}

QueueHandle_t xQueueCreateMutex(const uint8_t ucQueueType)
{
    QueueHandle_t q = xQueueGenericCreate(1, 0, ucQueueType);
    if (q != NULL) {
        q->count = 1; /* free */
    }
    return q;
}

void vQueueDelete(QueueHandle_t xQueue)
{
    configASSERT(xQueue != NULL);
    pthread_cond_destroy(&xQueue->changed);
    pthread_mutex_destroy(&xQueue->lock);
    free(xQueue);
}

static bool has_room(QueueHandle_t q)
{
    return q->count < q->length;
}

static bool has_item(QueueHandle_t q)
{
    return q->count > 0;
}

/* With q->lock held: waits up to ticks for ready(q). */
static bool wait_for(QueueHandle_t q, bool (*ready)(QueueHandle_t), TickType_t ticks)
{
    if (ready(q) || ticks == 0) {
        return ready(q);
    }
    esp_deadline_t d = rtos_ticks_deadline(ticks);
    while (!ready(q)) {
        if (rtos_cond_wait(&q->changed, &q->lock, d, rtos_unlock, &q->lock) == ETIMEDOUT) {
            return ready(q);
        }
    }
    return true;
}

static void put(QueueHandle_t q, const void *item, BaseType_t position)
{
    UBaseType_t slot;
    if (position == queueSEND_TO_FRONT) {
        q->head = (q->head + q->length - 1) % q->length;
        slot = q->head;
    } else {
        slot = (q->head + q->count) % q->length;
    }
    if (q->item_size > 0 && item != NULL) { /* semaphores give no item */
        memcpy(q->items + (size_t)slot * q->item_size, item, q->item_size);
    }
    q->count++;
}

static void take(QueueHandle_t q, void *buffer, bool remove)
{
    if (q->item_size > 0 && buffer != NULL) {
        memcpy(buffer, q->items + (size_t)q->head * q->item_size, q->item_size);
    }
    if (remove) {
        q->head = (q->head + 1) % q->length;
        q->count--;
    }
}

/* With q->lock held. */
static BaseType_t send_locked(QueueHandle_t q, const void *item, TickType_t ticks, BaseType_t position)
{
    if (is_mutex(q)) {
        if (q->holder != xTaskGetCurrentTaskHandle()) {
            return errQUEUE_FULL;
        }
        q->holder = NULL;
    } else if (position == queueOVERWRITE && q->count == q->length) {
        q->count--; /* the item there makes room for this one */
    } else if (!wait_for(q, has_room, ticks)) {
        return errQUEUE_FULL;
    }
    put(q, item, position);
    pthread_cond_broadcast(&q->changed);
    return pdPASS;
}

BaseType_t xQueueGenericSend(QueueHandle_t xQueue, const void *const pvItemToQueue, TickType_t xTicksToWait,
                             const BaseType_t xCopyPosition)
{
    configASSERT(xQueue != NULL);
    configASSERT(pvItemToQueue != NULL || xQueue->item_size == 0);
    configASSERT(xCopyPosition != queueOVERWRITE || xQueue->length == 1);
    pthread_mutex_lock(&xQueue->lock);
    BaseType_t rc = send_locked(xQueue, pvItemToQueue, xTicksToWait, xCopyPosition);
    pthread_mutex_unlock(&xQueue->lock);
    return rc;
}

BaseType_t xQueueGenericSendFromISR(QueueHandle_t xQueue, const void *const pvItemToQueue,
                                    BaseType_t *const pxHigherPriorityTaskWoken, const BaseType_t xCopyPosition)
{
    if (pxHigherPriorityTaskWoken != NULL) {
        *pxHigherPriorityTaskWoken = pdFALSE;
    }
    return xQueueGenericSend(xQueue, pvItemToQueue, 0, xCopyPosition);
}

BaseType_t xQueueGiveFromISR(QueueHandle_t xQueue, BaseType_t *const pxHigherPriorityTaskWoken)
{
    return xQueueGenericSendFromISR(xQueue, NULL, pxHigherPriorityTaskWoken, queueSEND_TO_BACK);
}

static BaseType_t receive(QueueHandle_t q, void *buffer, TickType_t ticks, bool remove)
{
    configASSERT(q != NULL);
    configASSERT(buffer != NULL || q->item_size == 0);
    pthread_mutex_lock(&q->lock);
    BaseType_t rc = errQUEUE_EMPTY;
    if (wait_for(q, has_item, ticks)) {
        take(q, buffer, remove);
        if (remove && is_mutex(q)) {
            q->holder = xTaskGetCurrentTaskHandle();
        }
        pthread_cond_broadcast(&q->changed);
        rc = pdPASS;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

BaseType_t xQueueReceive(QueueHandle_t xQueue, void *const pvBuffer, TickType_t xTicksToWait)
{
    return receive(xQueue, pvBuffer, xTicksToWait, true);
}

BaseType_t xQueueReceiveFromISR(QueueHandle_t xQueue, void *const pvBuffer, BaseType_t *const pxHigherPriorityTaskWoken)
{
    if (pxHigherPriorityTaskWoken != NULL) {
        *pxHigherPriorityTaskWoken = pdFALSE;
    }
    return receive(xQueue, pvBuffer, 0, true);
}

BaseType_t xQueuePeek(QueueHandle_t xQueue, void *const pvBuffer, TickType_t xTicksToWait)
{
    return receive(xQueue, pvBuffer, xTicksToWait, false);
}

BaseType_t xQueueSemaphoreTake(QueueHandle_t xQueue, TickType_t xTicksToWait)
{
    return receive(xQueue, NULL, xTicksToWait, true);
}

BaseType_t xQueueTakeMutexRecursive(QueueHandle_t xMutex, TickType_t xTicksToWait)
{
    configASSERT(xMutex != NULL);
    pthread_mutex_lock(&xMutex->lock);
    bool mine = xMutex->holder == xTaskGetCurrentTaskHandle();
    xMutex->recursion += mine;
    pthread_mutex_unlock(&xMutex->lock);
    if (mine) {
        return pdPASS;
    }
    BaseType_t rc = xQueueSemaphoreTake(xMutex, xTicksToWait);
    if (rc == pdPASS) {
        pthread_mutex_lock(&xMutex->lock);
        xMutex->recursion = 1;
        pthread_mutex_unlock(&xMutex->lock);
    }
    return rc;
}

BaseType_t xQueueGiveMutexRecursive(QueueHandle_t xMutex)
{
    configASSERT(xMutex != NULL);
    pthread_mutex_lock(&xMutex->lock);
    BaseType_t rc = pdFAIL;
    if (xMutex->holder == xTaskGetCurrentTaskHandle()) {
        rc = pdPASS;
        if (--xMutex->recursion == 0) {
            rc = send_locked(xMutex, NULL, 0, queueSEND_TO_BACK);
        }
    }
    pthread_mutex_unlock(&xMutex->lock);
    return rc;
}

void *xQueueGetMutexHolder(QueueHandle_t xSemaphore)
{
    configASSERT(xSemaphore != NULL);
    pthread_mutex_lock(&xSemaphore->lock);
    void *holder = is_mutex(xSemaphore) ? xSemaphore->holder : NULL;
    pthread_mutex_unlock(&xSemaphore->lock);
    return holder;
}

static UBaseType_t count_of(const QueueHandle_t q, bool spaces)
{
    configASSERT(q != NULL);
    pthread_mutex_lock(&q->lock);
    UBaseType_t n = spaces ? q->length - q->count : q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

UBaseType_t uxQueueMessagesWaiting(const QueueHandle_t xQueue)
{
    return count_of(xQueue, false);
}

UBaseType_t uxQueueSpacesAvailable(const QueueHandle_t xQueue)
{
    return count_of(xQueue, true);
}

BaseType_t xQueueReset(QueueHandle_t xQueue)
{
    configASSERT(xQueue != NULL);
    pthread_mutex_lock(&xQueue->lock);
    xQueue->count = 0;
    xQueue->head = 0;
    pthread_cond_broadcast(&xQueue->changed);
    pthread_mutex_unlock(&xQueue->lock);
    return pdPASS;
}
