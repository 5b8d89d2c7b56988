/*
 * Tasks as POSIX threads. vTaskDelete() of another task marks it; the task ends in the layer's
 * waits (rtos_cond_wait()), where FreeRTOS would stop it: blocked in a FreeRTOS call. (No
 * pthread_cancel(): its unwinding from a signal handler breaks AddressSanitizer, and it would
 * stop a task inside any library's cancellation point, holding that library's locks.)
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "freertos/task.h"
#include "rtos_private.h"

struct tskTaskControlBlock {
    TaskFunction_t code;
    void *arg;
    UBaseType_t priority;
    char name[configMAX_TASK_NAME_LEN];
    atomic_bool deleted; /* by another task: ends at its next wait */
};

static _Thread_local struct tskTaskControlBlock *t_current;
/* A thread not made by xTaskCreate (main's) gets its handle here, for its lifetime. */
static _Thread_local struct tskTaskControlBlock t_adopted;
static pthread_t s_main_thread; /* the thread that runs main(): app_main's task, "main" */

__attribute__((constructor)) static void note_main_thread(void)
{
    s_main_thread = pthread_self();
}

TaskHandle_t xTaskGetCurrentTaskHandle(void)
{
    if (t_current == NULL) {
        const char *name = pthread_equal(pthread_self(), s_main_thread) ? "main" : "pthread";
        snprintf(t_adopted.name, sizeof(t_adopted.name), "%s", name);
        t_current = &t_adopted;
    }
    return t_current;
}

/* Orders a deletion's mark before the task's end frees the handle it wrote to. */
static pthread_mutex_t s_delete_lock = PTHREAD_MUTEX_INITIALIZER;

static void task_end(void *tcb)
{
    pthread_mutex_lock(&s_delete_lock);
    free(tcb);
    pthread_mutex_unlock(&s_delete_lock);
}

static void *task_main(void *arg)
{
    struct tskTaskControlBlock *tcb = arg;
    t_current = tcb;
    void *result = NULL;
    pthread_cleanup_push(task_end, tcb);
    tcb->code(tcb->arg);
    fprintf(stderr, "E: task %s returned from its function; a FreeRTOS task ends with vTaskDelete(NULL)\n",
            tcb->name);
    abort();
    pthread_cleanup_pop(1);
    return result;
}

static int start_thread(struct tskTaskControlBlock *tcb)
{
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0) {
        return rc;
    }
    rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (rc == 0) {
        pthread_t thread;
        rc = pthread_create(&thread, &attr, task_main, tcb);
    }
    pthread_attr_destroy(&attr);
    return rc;
}

BaseType_t xTaskCreatePinnedToCore(TaskFunction_t pxTaskCode, const char *const pcName, const uint32_t ulStackDepth,
                                   void *const pvParameters, UBaseType_t uxPriority, TaskHandle_t *const pxCreatedTask,
                                   const BaseType_t xCoreID)
{
    (void)ulStackDepth;
    (void)xCoreID;
    configASSERT(pxTaskCode != NULL);
    struct tskTaskControlBlock *tcb = calloc(1, sizeof(*tcb));
    if (tcb == NULL) {
        return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
    }
    tcb->code = pxTaskCode;
    tcb->arg = pvParameters;
    tcb->priority = uxPriority;
    snprintf(tcb->name, sizeof(tcb->name), "%s", pcName != NULL ? pcName : "");
    if (pxCreatedTask != NULL) {
        *pxCreatedTask = tcb;
    }
    if (start_thread(tcb) != 0) {
        free(tcb);
        if (pxCreatedTask != NULL) {
            *pxCreatedTask = NULL;
        }
        return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
    }
    return pdPASS;
}

void vTaskDelete(TaskHandle_t xTaskToDelete)
{
    if (xTaskToDelete == NULL || xTaskToDelete == xTaskGetCurrentTaskHandle()) {
        pthread_exit(NULL);
    }
    pthread_mutex_lock(&s_delete_lock);
    atomic_store(&xTaskToDelete->deleted, true);
    pthread_mutex_unlock(&s_delete_lock);
}

bool rtos_current_task_deleted(void)
{
    return t_current != NULL && atomic_load(&t_current->deleted);
}

/* Sleepers wait on a condition nobody signals: each wait ends at its deadline, or at a deletion. */
static pthread_mutex_t s_sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_sleep_cond;
static pthread_once_t s_sleep_once = PTHREAD_ONCE_INIT;

static void sleep_init(void)
{
    configASSERT(esp_deadline_cond_init(&s_sleep_cond) == 0);
}

static void sleep_until(esp_deadline_t d)
{
    pthread_once(&s_sleep_once, sleep_init);
    pthread_mutex_lock(&s_sleep_lock);
    while (rtos_cond_wait(&s_sleep_cond, &s_sleep_lock, d, rtos_unlock, &s_sleep_lock) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&s_sleep_lock);
}

void vTaskDelay(const TickType_t xTicksToDelay)
{
    if (xTicksToDelay == 0) {
        vPortYield();
        return;
    }
    sleep_until(rtos_ticks_deadline(xTicksToDelay));
}

BaseType_t xTaskDelayUntil(TickType_t *const pxPreviousWakeTime, const TickType_t xTimeIncrement)
{
    configASSERT(pxPreviousWakeTime != NULL);
    configASSERT(xTimeIncrement > 0U);
    uint64_t now = rtos_tick_count64();
    TickType_t elapsed = (TickType_t)now - *pxPreviousWakeTime; /* modulo 2^32, as the count wraps */
    *pxPreviousWakeTime += xTimeIncrement;
    if (elapsed >= xTimeIncrement) {
        return pdFALSE;
    }
    sleep_until(rtos_tick_deadline(now + (xTimeIncrement - elapsed)));
    return pdTRUE;
}

char *pcTaskGetName(TaskHandle_t xTaskToQuery)
{
    TaskHandle_t task = xTaskToQuery != NULL ? xTaskToQuery : xTaskGetCurrentTaskHandle();
    return task->name;
}

UBaseType_t uxTaskPriorityGet(const TaskHandle_t xTask)
{
    TaskHandle_t task = xTask != NULL ? xTask : xTaskGetCurrentTaskHandle();
    return task->priority;
}

void vPortYield(void)
{
    sched_yield();
}
