/*
 * esp_event: ESP-IDF's event loops, on POSIX threads.
 *
 * A loop holds handlers, each registered for one event (base and id), every event of a base
 * (ESP_EVENT_ANY_ID), or every event (ESP_EVENT_ANY_BASE with ESP_EVENT_ANY_ID). A post copies
 * the event's data into the loop's queue; the loop then calls the matching handlers in turn:
 * first those for every event, then those for the base, then those for the exact event, each
 * group in the order of registration. A loop created with a task_name runs its own thread; one
 * without runs only inside esp_event_loop_run(), on the caller's thread (esp-mqtt works that way).
 *
 * The default loop is the one esp_event_loop_create_default() makes; the calls without a loop
 * argument use it, and fail with ESP_ERR_INVALID_STATE while it does not exist.
 *
 * Time is in FreeRTOS ticks as in ESP-IDF (configTICK_RATE_HZ, freertos/FreeRTOS.h), and portMAX_DELAY
 * waits without limit. Handlers and their arguments are not copied: they must stay valid while
 * registered. Once an unregister call has returned, the handler is not called again and no call
 * of it is still running on another thread, so its argument may be freed (ESP-IDF's guarantee):
 * the unregister waits for such a call to return. Called from inside the handler's own call, it
 * does not wait for that call. A handler may register, unregister (itself or others) and post.
 * So an unregister must not come from a thread holding a lock that the handler waits for, and
 * two handlers running at once on two threads must not unregister each other: each would wait
 * for the other.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "freertos/FreeRTOS.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef const char *esp_event_base_t;          /*!< an event family: the address of its name */
typedef void *esp_event_loop_handle_t;         /*!< a loop */
typedef void *esp_event_handler_instance_t;    /*!< one registration, for unregistering it */
typedef void (*esp_event_handler_t)(void *event_handler_arg, esp_event_base_t event_base, int32_t event_id,
                                    void *event_data);

#define ESP_EVENT_DECLARE_BASE(id) extern esp_event_base_t const id
#define ESP_EVENT_DEFINE_BASE(id) esp_event_base_t const id = #id
#define ESP_EVENT_ANY_BASE NULL /*!< register for every base */
#define ESP_EVENT_ANY_ID -1     /*!< register for every id of a base */

typedef struct {
    int32_t queue_size;       /*!< events that may wait in the queue (> 0) */
    const char *task_name;    /*!< NULL: no thread, the loop runs in esp_event_loop_run() */
    UBaseType_t task_priority; /*!< ignored on portls: the thread has the default priority */
    uint32_t task_stack_size; /*!< ignored on portls: the thread has the default stack */
    BaseType_t task_core_id;  /*!< ignored on portls */
} esp_event_loop_args_t;

/** A new loop. @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or queue_size < 1); ESP_ERR_NO_MEM;
 *  ESP_FAIL (no thread could be started). */
esp_err_t esp_event_loop_create(const esp_event_loop_args_t *event_loop_args, esp_event_loop_handle_t *event_loop);

/** Stops the loop's thread (after the handler it runs, if any), drops queued events and frees the
 * loop and its registrations. Calls inside the loop's functions on other threads when it starts
 * (a post waiting for room, esp_event_loop_run(), an unregister) return first: a waiting post
 * fails with ESP_ERR_INVALID_STATE. Not from one of the loop's own handlers, and the handle must
 * not be used once the call has begun. @return ESP_OK; ESP_ERR_INVALID_ARG. */
esp_err_t esp_event_loop_delete(esp_event_loop_handle_t event_loop);

/** The default loop, with its own thread. @return ESP_OK; ESP_ERR_INVALID_STATE (it exists);
 *  as esp_event_loop_create(). */
esp_err_t esp_event_loop_create_default(void);

/** esp_event_loop_delete() of the default loop. From the call on, the calls without a loop
 * argument fail with ESP_ERR_INVALID_STATE; those already inside it are waited for, so another
 * thread may be posting meanwhile. @return ESP_OK; ESP_ERR_INVALID_STATE (there is none). */
esp_err_t esp_event_loop_delete_default(void);

/** Dispatches queued events on the caller's thread, waiting for more, until ticks_to_run have
 * passed (after at least one event, if one came; 0: at most the one already queued).
 * For a loop without a thread. @return ESP_OK; ESP_ERR_INVALID_ARG. */
esp_err_t esp_event_loop_run(esp_event_loop_handle_t event_loop, TickType_t ticks_to_run);

/** Registers event_handler(event_handler_arg, ...) for event_base / event_id (either may be
 * "any", but not ANY_BASE with a specific id); *instance (if not NULL) names the registration.
 * @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_ERR_NO_MEM. */
esp_err_t esp_event_handler_instance_register_with(esp_event_loop_handle_t event_loop, esp_event_base_t event_base,
                                                   int32_t event_id, esp_event_handler_t event_handler,
                                                   void *event_handler_arg, esp_event_handler_instance_t *instance);
esp_err_t esp_event_handler_instance_register(esp_event_base_t event_base, int32_t event_id,
                                              esp_event_handler_t event_handler, void *event_handler_arg,
                                              esp_event_handler_instance_t *instance);

/** Removes the registration named by instance, waiting for its calls in progress on other
 * threads (see above). @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_ERR_NOT_FOUND. */
esp_err_t esp_event_handler_instance_unregister_with(esp_event_loop_handle_t event_loop, esp_event_base_t event_base,
                                                     int32_t event_id, esp_event_handler_instance_t instance);
esp_err_t esp_event_handler_instance_unregister(esp_event_base_t event_base, int32_t event_id,
                                                esp_event_handler_instance_t instance);

/** The older calls: registered without an instance, unregistered by the handler function (the
 * first such registration of it for that event). Return values as above. */
esp_err_t esp_event_handler_register_with(esp_event_loop_handle_t event_loop, esp_event_base_t event_base,
                                          int32_t event_id, esp_event_handler_t event_handler, void *event_handler_arg);
esp_err_t esp_event_handler_register(esp_event_base_t event_base, int32_t event_id, esp_event_handler_t event_handler,
                                     void *event_handler_arg);
esp_err_t esp_event_handler_unregister_with(esp_event_loop_handle_t event_loop, esp_event_base_t event_base,
                                            int32_t event_id, esp_event_handler_t event_handler);
esp_err_t esp_event_handler_unregister(esp_event_base_t event_base, int32_t event_id, esp_event_handler_t event_handler);

/** Queues an event (event_data_size bytes of event_data, copied; the handlers get the copy),
 * waiting up to ticks_to_wait for room. @return ESP_OK; ESP_ERR_TIMEOUT (the queue stayed full);
 * ESP_ERR_INVALID_STATE (the loop is being deleted); ESP_ERR_INVALID_ARG (no base, or an "any"
 * id); ESP_ERR_NO_MEM. */
esp_err_t esp_event_post_to(esp_event_loop_handle_t event_loop, esp_event_base_t event_base, int32_t event_id,
                            const void *event_data, size_t event_data_size, TickType_t ticks_to_wait);

/** esp_event_post_to() on the default loop; ESP_ERR_INVALID_STATE when there is none. */
esp_err_t esp_event_post(esp_event_base_t event_base, int32_t event_id, const void *event_data, size_t event_data_size,
                         TickType_t ticks_to_wait);

#ifdef __cplusplus
}
#endif
