/*
 * Event loops: a mutex-guarded list of registrations and a bounded queue of posted events, with
 * an optional thread that dispatches them. Handlers run without the lock held: the matching
 * registrations are copied first, so a handler may register, unregister or post freely.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esp_event.h"
#include "esp_log.h"

static const char *TAG = "esp_event";

typedef struct registration {
    esp_event_base_t base; /* NULL: any */
    int32_t id;            /* ESP_EVENT_ANY_ID: any */
    esp_event_handler_t handler;
    void *arg;
    bool legacy;           /* registered without an instance: unregistered by its function */
    struct registration *next;
} registration_t;

typedef struct posted {
    esp_event_base_t base;
    int32_t id;
    struct posted *next;
    size_t size;
    unsigned char data[]; /* the copy handed to the handlers */
} posted_t;

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* an event queued, one taken, or the loop stopping */
    registration_t *registrations; /* in registration order */
    posted_t *head, *tail;
    int32_t queued, capacity;
    bool has_thread, stopping;
    pthread_t thread;
} event_loop_t;

/* A handler to call, copied out of the registrations. */
typedef struct {
    esp_event_handler_t handler;
    void *arg;
} call_t;

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static event_loop_t *default_loop;

/* ---- time: ticks are milliseconds ---- */

static struct timespec deadline_after(TickType_t ticks)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t); /* pthread_cond_timedwait's clock */
    t.tv_sec += ticks / 1000;
    t.tv_nsec += (long)(ticks % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* Waits on the loop's condition until deadline (NULL: no limit). @return false once it passed. */
static bool wait_until(event_loop_t *loop, const struct timespec *deadline)
{
    if (deadline == NULL) {
        pthread_cond_wait(&loop->changed, &loop->lock);
        return true;
    }
    return pthread_cond_timedwait(&loop->changed, &loop->lock, deadline) != ETIMEDOUT;
}

/* ---- dispatch ---- */

/* 0: for every event; 1: for every event of the base; 2: for exactly this event; -1: not for it. */
static int match_level(const registration_t *r, esp_event_base_t base, int32_t id)
{
    if (r->base == ESP_EVENT_ANY_BASE) {
        return 0;
    }
    if (r->base != base) {
        return -1;
    }
    return r->id == ESP_EVENT_ANY_ID ? 1 : r->id == id ? 2 : -1;
}

/* The handlers for an event, in calling order (under the lock). @return how many, or -1. */
static int collect_calls(const event_loop_t *loop, const posted_t *event, call_t **out)
{
    int count = 0;
    for (const registration_t *r = loop->registrations; r != NULL; r = r->next) {
        count += match_level(r, event->base, event->id) >= 0;
    }
    *out = malloc(sizeof(call_t) * (size_t)(count > 0 ? count : 1));
    if (*out == NULL) {
        return -1;
    }
    int n = 0;
    for (int level = 0; level <= 2; level++) {
        for (const registration_t *r = loop->registrations; r != NULL; r = r->next) {
            if (match_level(r, event->base, event->id) == level) {
                (*out)[n++] = (call_t){ r->handler, r->arg };
            }
        }
    }
    return n;
}

/* Takes the oldest event and calls its handlers; entered and left with the lock held. */
static void dispatch_one(event_loop_t *loop)
{
    posted_t *event = loop->head;
    loop->head = event->next;
    if (loop->head == NULL) {
        loop->tail = NULL;
    }
    loop->queued--;
    pthread_cond_broadcast(&loop->changed); /* room for a waiting post */
    call_t *calls = NULL;
    int n = collect_calls(loop, event, &calls);
    pthread_mutex_unlock(&loop->lock);
    if (n < 0) {
        ESP_LOGE(TAG, "out of memory: event %s:%d dropped", event->base, (int)event->id);
    }
    for (int i = 0; i < n; i++) {
        calls[i].handler(calls[i].arg, event->base, event->id, event->size > 0 ? event->data : NULL);
    }
    free(calls);
    free(event);
    pthread_mutex_lock(&loop->lock);
}

static void *loop_thread(void *arg)
{
    event_loop_t *loop = arg;
    pthread_mutex_lock(&loop->lock);
    while (!loop->stopping) {
        if (loop->head != NULL) {
            dispatch_one(loop);
        } else {
            wait_until(loop, NULL);
        }
    }
    pthread_mutex_unlock(&loop->lock);
    return NULL;
}

esp_err_t esp_event_loop_run(esp_event_loop_handle_t event_loop, TickType_t ticks_to_run)
{
    event_loop_t *loop = event_loop;
    if (loop == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    struct timespec deadline = deadline_after(ticks_to_run);
    const struct timespec *limit = ticks_to_run == portMAX_DELAY ? NULL : &deadline;
    pthread_mutex_lock(&loop->lock);
    bool running = true;
    while (running && !loop->stopping) {
        if (loop->head != NULL) {
            dispatch_one(loop);
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            running = limit == NULL || now.tv_sec < limit->tv_sec ||
                      (now.tv_sec == limit->tv_sec && now.tv_nsec < limit->tv_nsec);
        } else {
            running = ticks_to_run != 0 && wait_until(loop, limit);
        }
    }
    pthread_mutex_unlock(&loop->lock);
    return ESP_OK;
}

/* ---- loops ---- */

esp_err_t esp_event_loop_create(const esp_event_loop_args_t *event_loop_args, esp_event_loop_handle_t *event_loop)
{
    if (event_loop_args == NULL || event_loop == NULL || event_loop_args->queue_size < 1) {
        return ESP_ERR_INVALID_ARG;
    }
    event_loop_t *loop = calloc(1, sizeof(*loop));
    if (loop == NULL) {
        return ESP_ERR_NO_MEM;
    }
    pthread_mutex_init(&loop->lock, NULL);
    pthread_cond_init(&loop->changed, NULL);
    loop->capacity = event_loop_args->queue_size;
    if (event_loop_args->task_name != NULL) {
        if (pthread_create(&loop->thread, NULL, loop_thread, loop) != 0) {
            esp_event_loop_delete(loop);
            return ESP_FAIL;
        }
        loop->has_thread = true;
    }
    *event_loop = loop;
    return ESP_OK;
}

esp_err_t esp_event_loop_delete(esp_event_loop_handle_t event_loop)
{
    event_loop_t *loop = event_loop;
    if (loop == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&loop->lock);
    loop->stopping = true;
    pthread_cond_broadcast(&loop->changed);
    pthread_mutex_unlock(&loop->lock);
    if (loop->has_thread) {
        pthread_join(loop->thread, NULL);
    }
    while (loop->head != NULL) {
        posted_t *gone = loop->head;
        loop->head = gone->next;
        free(gone);
    }
    while (loop->registrations != NULL) {
        registration_t *gone = loop->registrations;
        loop->registrations = gone->next;
        free(gone);
    }
    pthread_cond_destroy(&loop->changed);
    pthread_mutex_destroy(&loop->lock);
    free(loop);
    return ESP_OK;
}

esp_err_t esp_event_loop_create_default(void)
{
    pthread_mutex_lock(&default_lock);
    esp_err_t err = ESP_ERR_INVALID_STATE;
    if (default_loop == NULL) {
        esp_event_loop_args_t args = { .queue_size = 32, .task_name = "sys_evt" };
        esp_event_loop_handle_t loop;
        err = esp_event_loop_create(&args, &loop);
        default_loop = err == ESP_OK ? loop : NULL;
    }
    pthread_mutex_unlock(&default_lock);
    return err;
}

esp_err_t esp_event_loop_delete_default(void)
{
    pthread_mutex_lock(&default_lock);
    event_loop_t *loop = default_loop;
    default_loop = NULL;
    pthread_mutex_unlock(&default_lock);
    return loop != NULL ? esp_event_loop_delete(loop) : ESP_ERR_INVALID_STATE;
}

/* ---- registrations ---- */

static esp_err_t add_registration(event_loop_t *loop, const registration_t *r, esp_event_handler_instance_t *instance)
{
    if (loop == NULL || r->handler == NULL || (r->base == ESP_EVENT_ANY_BASE && r->id != ESP_EVENT_ANY_ID)) {
        return ESP_ERR_INVALID_ARG;
    }
    registration_t *copy = malloc(sizeof(*copy));
    if (copy == NULL) {
        return ESP_ERR_NO_MEM;
    }
    *copy = *r;
    copy->next = NULL;
    pthread_mutex_lock(&loop->lock);
    registration_t **end = &loop->registrations;
    while (*end != NULL) {
        end = &(*end)->next;
    }
    *end = copy;
    pthread_mutex_unlock(&loop->lock);
    if (instance != NULL) {
        *instance = copy;
    }
    return ESP_OK;
}

/* Removes the first registration for base/id that is instance (or, without one, a legacy
 * registration of handler). */
static esp_err_t remove_registration(event_loop_t *loop, esp_event_base_t base, int32_t id, const void *instance,
                                     esp_event_handler_t handler)
{
    if (loop == NULL || (instance == NULL && handler == NULL)) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = ESP_ERR_NOT_FOUND;
    pthread_mutex_lock(&loop->lock);
    for (registration_t **link = &loop->registrations; *link != NULL; link = &(*link)->next) {
        registration_t *r = *link;
        bool same = instance != NULL ? (const void *)r == instance : r->legacy && r->handler == handler;
        if (same && r->base == base && r->id == id) {
            *link = r->next;
            free(r);
            err = ESP_OK;
            break;
        }
    }
    pthread_mutex_unlock(&loop->lock);
    return err;
}

esp_err_t esp_event_handler_instance_register_with(esp_event_loop_handle_t event_loop, esp_event_base_t event_base,
                                                   int32_t event_id, esp_event_handler_t event_handler,
                                                   void *event_handler_arg, esp_event_handler_instance_t *instance)
{
    registration_t r = { .base = event_base, .id = event_id, .handler = event_handler, .arg = event_handler_arg };
    return add_registration(event_loop, &r, instance);
}

esp_err_t esp_event_handler_register_with(esp_event_loop_handle_t event_loop, esp_event_base_t event_base,
                                          int32_t event_id, esp_event_handler_t event_handler, void *event_handler_arg)
{
    registration_t r = { .base = event_base, .id = event_id, .handler = event_handler, .arg = event_handler_arg,
                         .legacy = true };
    return add_registration(event_loop, &r, NULL);
}

esp_err_t esp_event_handler_instance_unregister_with(esp_event_loop_handle_t event_loop, esp_event_base_t event_base,
                                                     int32_t event_id, esp_event_handler_instance_t instance)
{
    return instance != NULL ? remove_registration(event_loop, event_base, event_id, instance, NULL) : ESP_ERR_INVALID_ARG;
}

esp_err_t esp_event_handler_unregister_with(esp_event_loop_handle_t event_loop, esp_event_base_t event_base,
                                            int32_t event_id, esp_event_handler_t event_handler)
{
    return remove_registration(event_loop, event_base, event_id, NULL, event_handler);
}

/* The default loop for the calls that name none: NULL when it does not exist. */
static event_loop_t *the_default(void)
{
    pthread_mutex_lock(&default_lock);
    event_loop_t *loop = default_loop;
    pthread_mutex_unlock(&default_lock);
    return loop;
}

esp_err_t esp_event_handler_instance_register(esp_event_base_t event_base, int32_t event_id,
                                              esp_event_handler_t event_handler, void *event_handler_arg,
                                              esp_event_handler_instance_t *instance)
{
    event_loop_t *loop = the_default();
    return loop != NULL ? esp_event_handler_instance_register_with(loop, event_base, event_id, event_handler,
                                                                    event_handler_arg, instance)
                        : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_event_handler_instance_unregister(esp_event_base_t event_base, int32_t event_id,
                                                esp_event_handler_instance_t instance)
{
    event_loop_t *loop = the_default();
    return loop != NULL ? esp_event_handler_instance_unregister_with(loop, event_base, event_id, instance)
                        : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_event_handler_register(esp_event_base_t event_base, int32_t event_id, esp_event_handler_t event_handler,
                                     void *event_handler_arg)
{
    event_loop_t *loop = the_default();
    return loop != NULL ? esp_event_handler_register_with(loop, event_base, event_id, event_handler, event_handler_arg)
                        : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_event_handler_unregister(esp_event_base_t event_base, int32_t event_id, esp_event_handler_t event_handler)
{
    event_loop_t *loop = the_default();
    return loop != NULL ? esp_event_handler_unregister_with(loop, event_base, event_id, event_handler)
                        : ESP_ERR_INVALID_STATE;
}

/* ---- posting ---- */

/* Waits for room in the queue (under the lock). @return false when none came in time. */
static bool wait_for_room(event_loop_t *loop, TickType_t ticks)
{
    struct timespec deadline = deadline_after(ticks);
    while (loop->queued >= loop->capacity && !loop->stopping) {
        if (ticks == 0 || !wait_until(loop, ticks == portMAX_DELAY ? NULL : &deadline)) {
            return loop->queued < loop->capacity;
        }
    }
    return !loop->stopping;
}

esp_err_t esp_event_post_to(esp_event_loop_handle_t event_loop, esp_event_base_t event_base, int32_t event_id,
                            const void *event_data, size_t event_data_size, TickType_t ticks_to_wait)
{
    event_loop_t *loop = event_loop;
    if (loop == NULL || event_base == NULL || event_id == ESP_EVENT_ANY_ID || (event_data == NULL && event_data_size > 0)) {
        return ESP_ERR_INVALID_ARG;
    }
    posted_t *event = malloc(sizeof(*event) + event_data_size);
    if (event == NULL) {
        return ESP_ERR_NO_MEM;
    }
    *event = (posted_t){ .base = event_base, .id = event_id, .size = event_data_size };
    if (event_data_size > 0) {
        memcpy(event->data, event_data, event_data_size);
    }
    pthread_mutex_lock(&loop->lock);
    bool room = wait_for_room(loop, ticks_to_wait);
    if (room) {
        *(loop->tail != NULL ? &loop->tail->next : &loop->head) = event;
        loop->tail = event;
        loop->queued++;
        pthread_cond_broadcast(&loop->changed);
    }
    pthread_mutex_unlock(&loop->lock);
    if (!room) {
        free(event);
        return ESP_ERR_TIMEOUT;
    }
    return ESP_OK;
}

esp_err_t esp_event_post(esp_event_base_t event_base, int32_t event_id, const void *event_data, size_t event_data_size,
                         TickType_t ticks_to_wait)
{
    event_loop_t *loop = the_default();
    return loop != NULL ? esp_event_post_to(loop, event_base, event_id, event_data, event_data_size, ticks_to_wait)
                        : ESP_ERR_INVALID_STATE;
}
