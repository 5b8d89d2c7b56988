/*
 * Event groups. As on FreeRTOS, a set releases every waiter it satisfies, and only then clears
 * the bits those with clear-on-exit waited for: two tasks waiting for the same bit both see it.
 * Each waiter is a record on its own stack, in the group's list while it waits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "freertos/event_groups.h"
#include "rtos_private.h"

#define CONTROL_BITS ((EventBits_t)0xff000000UL) /* FreeRTOS's own, with 32-bit ticks */

typedef struct waiter {
    EventBits_t want;
    bool all;
    bool clear;
    bool met;
    EventBits_t seen; /* the bits that met the wait */
    struct waiter *next;
} waiter_t;

struct EventGroupDef_t {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    EventBits_t bits;
    waiter_t *waiters;
};

EventGroupHandle_t xEventGroupCreate(void)
{
    struct EventGroupDef_t *g = calloc(1, sizeof(*g));
    if (g != NULL && rtos_sync_init(&g->lock, &g->changed) != 0) {
        free(g);
        g = NULL;
    }
    return g;
}

void vEventGroupDelete(EventGroupHandle_t xEventGroup)
{
    configASSERT(xEventGroup != NULL);
    pthread_cond_destroy(&xEventGroup->changed);
    pthread_mutex_destroy(&xEventGroup->lock);
    free(xEventGroup);
}

static bool met(EventBits_t bits, EventBits_t want, bool all)
{
    return all ? (bits & want) == want : (bits & want) != 0;
}

static void unlink_waiter(EventGroupHandle_t g, waiter_t *w)
{
    for (waiter_t **p = &g->waiters; *p != NULL; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            return;
        }
    }
}

typedef struct {
    EventGroupHandle_t group;
    waiter_t *waiter;
} unwind_t;

/* The waiting task is deleted: its record leaves the list with its stack. */
static void unwind_wait(void *arg)
{
    unwind_t *u = arg;
    unlink_waiter(u->group, u->waiter);
    pthread_mutex_unlock(&u->group->lock);
}

/* With g->lock held: blocks until w is met or d passes. @return whether it was met */
static bool block(EventGroupHandle_t g, waiter_t *w, esp_deadline_t d)
{
    w->next = g->waiters;
    g->waiters = w;
    unwind_t u = { g, w };
    while (!w->met) {
        if (rtos_cond_wait(&g->changed, &g->lock, d, unwind_wait, &u) == ETIMEDOUT && !w->met) {
            unlink_waiter(g, w);
            return false;
        }
    }
    return true;
}

EventBits_t xEventGroupWaitBits(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToWaitFor,
                                const BaseType_t xClearOnExit, const BaseType_t xWaitForAllBits,
                                TickType_t xTicksToWait)
{
    configASSERT(xEventGroup != NULL);
    configASSERT((uxBitsToWaitFor & CONTROL_BITS) == 0);
    configASSERT(uxBitsToWaitFor != 0);
    waiter_t w = { .want = uxBitsToWaitFor, .all = xWaitForAllBits != pdFALSE, .clear = xClearOnExit != pdFALSE };
    pthread_mutex_lock(&xEventGroup->lock);
    EventBits_t result = xEventGroup->bits;
    if (met(result, w.want, w.all)) {
        if (w.clear) {
            xEventGroup->bits &= ~w.want;
        }
    } else if (xTicksToWait != 0) {
        result = block(xEventGroup, &w, rtos_ticks_deadline(xTicksToWait)) ? w.seen : xEventGroup->bits;
    }
    pthread_mutex_unlock(&xEventGroup->lock);
    return result;
}

EventBits_t xEventGroupSetBits(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToSet)
{
    configASSERT(xEventGroup != NULL);
    configASSERT((uxBitsToSet & CONTROL_BITS) == 0);
    pthread_mutex_lock(&xEventGroup->lock);
    xEventGroup->bits |= uxBitsToSet;
    EventBits_t to_clear = 0;
    for (waiter_t **p = &xEventGroup->waiters; *p != NULL;) {
        waiter_t *w = *p;
        if (!met(xEventGroup->bits, w->want, w->all)) {
            p = &w->next;
            continue;
        }
        w->met = true;
        w->seen = xEventGroup->bits;
        to_clear |= w->clear ? w->want : 0;
        *p = w->next;
    }
    xEventGroup->bits &= ~to_clear;
    EventBits_t result = xEventGroup->bits;
    pthread_cond_broadcast(&xEventGroup->changed);
    pthread_mutex_unlock(&xEventGroup->lock);
    return result;
}

BaseType_t xEventGroupSetBitsFromISR(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToSet,
                                     BaseType_t *pxHigherPriorityTaskWoken)
{
    if (pxHigherPriorityTaskWoken != NULL) {
        *pxHigherPriorityTaskWoken = pdFALSE;
    }
    xEventGroupSetBits(xEventGroup, uxBitsToSet);
    return pdPASS;
}

EventBits_t xEventGroupClearBits(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToClear)
{
    configASSERT(xEventGroup != NULL);
    configASSERT((uxBitsToClear & CONTROL_BITS) == 0);
    pthread_mutex_lock(&xEventGroup->lock);
    EventBits_t before = xEventGroup->bits;
    xEventGroup->bits &= ~uxBitsToClear;
    pthread_mutex_unlock(&xEventGroup->lock);
    return before;
}
