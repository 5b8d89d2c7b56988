/*
 * freertos/event_groups.h: FreeRTOS event groups on POSIX threads. Bits 0-23 are the caller's;
 * the top 8 bits are FreeRTOS's own (with 32-bit ticks), and setting, clearing or waiting for
 * them fails configASSERT(), as does a NULL handle or waiting for no bits. Waits end as on a chip
 * (FreeRTOS.h). Thread-safe. Deleting a group that a task waits on is undefined, as on FreeRTOS.
 */
#pragma once

#include "freertos/FreeRTOS.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct EventGroupDef_t *EventGroupHandle_t;
typedef TickType_t EventBits_t;

/** @return the handle (all bits clear), or NULL (no memory) */
EventGroupHandle_t xEventGroupCreate(void);

/**
 * Waits up to xTicksToWait ticks for any (xWaitForAllBits pdFALSE) or all (pdTRUE) of
 * uxBitsToWaitFor. With xClearOnExit pdTRUE, those bits are cleared when the wait is met (not
 * on a timeout). Every waiter that a set satisfies is released by it, before any clearing.
 * @return the group's bits when the wait was met (before clearing), or at the timeout: the
 *         caller compares them with what it waited for
 */
EventBits_t xEventGroupWaitBits(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToWaitFor,
                                const BaseType_t xClearOnExit, const BaseType_t xWaitForAllBits,
                                TickType_t xTicksToWait);

/** Sets bits and releases the waiters that are now met.
 *  @return the bits as the call returns (those a released waiter cleared are gone) */
EventBits_t xEventGroupSetBits(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToSet);

/** @return the bits before they were cleared */
EventBits_t xEventGroupClearBits(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToClear);

/** The group's bits now. */
#define xEventGroupGetBits(xEventGroup) xEventGroupClearBits((xEventGroup), 0)

/** xEventGroupSetBits(); there are no interrupts on a host. @return pdPASS */
BaseType_t xEventGroupSetBitsFromISR(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToSet,
                                     BaseType_t *pxHigherPriorityTaskWoken);

/** Frees the group. */
void vEventGroupDelete(EventGroupHandle_t xEventGroup);

#ifdef __cplusplus
}
#endif
