/*
 * Event loops: a mutex-guarded list of registrations and a bounded queue of posted events, with
 * an optional thread that dispatches them. Handlers run without the lock held, so a handler may
 * register, unregister or post freely. A dispatch holds a reference to each registration it will
 * call and checks, under the lock, that it is still registered just before calling it; an
 * unregister waits until the calls of that registration in progress on other threads have
 * returned, so that after it the handler's argument may be freed (ESP-IDF's guarantee). Every
 * call that uses a loop counts itself as one of its users, and a delete frees the loop only when
 * the last one has left it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "esp_deadline.h"
#include "esp_event.h"
#include "esp_log.h"

static const char *TAG = "esp_event";

typedef struct registration {
    esp_event_base_t base; /* NULL: any */
    int32_t id;            /* ESP_EVENT_ANY_ID: any */
    esp_event_handler_t handler;
    void *arg;
    bool legacy;           /* registered without an instance: unregistered by its function */
    bool removed;          /* unregistered: no new call starts */
    int refs;              /* the list's (while registered) and each pending dispatch's */
    int running;           /* calls in progress, on any thread */
    struct registration *next;
} registration_t;

/* A call in progress on this thread: an unregister from inside it does not wait for itself. */
typedef struct running_call {
    const registration_t *registration;
    const struct running_call *outer;
} running_call_t;

static _Thread_local const running_call_t *calls_on_this_thread;

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
    pthread_cond_t finished; /* a handler call returned, or a user left the loop */
    registration_t *registrations; /* in registration order */
    posted_t *head, *tail;
    int32_t queued, capacity;
    int users;              /* calls inside the loop's functions, which a delete waits for */
    bool has_thread, stopping;
    pthread_t thread;
} event_loop_t;

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static event_loop_t *default_loop;

/* ---- time: ticks of configTICK_RATE_HZ ---- */

static esp_deadline_t deadline_after(TickType_t ticks)
{
    return esp_deadline_in_ms(ticks == portMAX_DELAY ? -1 : (int64_t)ticks * 1000 / configTICK_RATE_HZ);
}

/* Waits on the loop's condition until deadline. @return false once it passed. */
static bool wait_until(event_loop_t *loop, esp_deadline_t deadline)
{
    return esp_deadline_cond_wait(&loop->changed, &loop->lock, deadline) != ETIMEDOUT;
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

/* The registrations for an event, in calling order, each with a reference taken (under the
 * lock). @return how many, or -1. */
static int collect_calls(const event_loop_t *loop, const posted_t *event, registration_t ***out)
{
    int count = 0;
    for (const registration_t *r = loop->registrations; r != NULL; r = r->next) {
        count += match_level(r, event->base, event->id) >= 0;
    }
    *out = malloc(sizeof(**out) * (size_t)(count > 0 ? count : 1));
    if (*out == NULL) {
        return -1;
    }
    int n = 0;
    for (int level = 0; level <= 2; level++) {
        for (registration_t *r = loop->registrations; r != NULL; r = r->next) {
            if (match_level(r, event->base, event->id) == level) {
                r->refs++;
                (*out)[n++] = r;
            }
        }
    }
    return n;
}

/* Drops one reference to r (under the lock); the last one frees it. */
static void release_registration(registration_t *r)
{
    if (--r->refs == 0) {
        free(r);
    }
}

/* Calls r's handler unless it was unregistered meanwhile, then drops the dispatch's reference;
 * entered and left with the lock held. */
static void call_registration(event_loop_t *loop, registration_t *r, const posted_t *event)
{
    if (!r->removed) {
        r->running++;
        running_call_t call = { r, calls_on_this_thread };
        calls_on_this_thread = &call;
        pthread_mutex_unlock(&loop->lock);
        r->handler(r->arg, event->base, event->id, event->size > 0 ? (void *)event->data : NULL);
        pthread_mutex_lock(&loop->lock);
        calls_on_this_thread = call.outer;
        r->running--;
        pthread_cond_broadcast(&loop->finished);
    }
    release_registration(r);
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
    registration_t **calls = NULL;
    int n = collect_calls(loop, event, &calls);
    if (n < 0) {
        ESP_LOGE(TAG, "out of memory: event %s:%d dropped", event->base, (int)event->id);
    }
    for (int i = 0; i < n; i++) {
        call_registration(loop, calls[i], event);
    }
    free(calls);
    free(event);
}

static void *loop_thread(void *arg)
{
    event_loop_t *loop = arg;
    pthread_mutex_lock(&loop->lock);
    while (!loop->stopping) {
        if (loop->head != NULL) {
            dispatch_one(loop);
        } else {
            wait_until(loop, esp_deadline_in_ms(-1));
        }
    }
    pthread_mutex_unlock(&loop->lock);
    return NULL;
}

/* ---- users: a delete frees the loop only when every call inside it has left ---- */

static void enter_loop(event_loop_t *loop)
{
    pthread_mutex_lock(&loop->lock);
    loop->users++;
}

static void leave_loop(event_loop_t *loop)
{
    loop->users--;
    pthread_cond_broadcast(&loop->finished);
    pthread_mutex_unlock(&loop->lock);
}

esp_err_t esp_event_loop_run(esp_event_loop_handle_t event_loop, TickType_t ticks_to_run)
{
    event_loop_t *loop = event_loop;
    if (loop == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_deadline_t deadline = deadline_after(ticks_to_run);
    enter_loop(loop);
    bool running = true;
    while (running && !loop->stopping) {
        if (loop->head != NULL) {
            dispatch_one(loop);
            running = !esp_deadline_expired(deadline);
        } else {
            running = ticks_to_run != 0 && wait_until(loop, deadline);
        }
    }
    leave_loop(loop);
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
    esp_deadline_cond_init(&loop->changed); /* timed waits: CLOCK_MONOTONIC */
    pthread_cond_init(&loop->finished, NULL);
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
    pthread_cond_broadcast(&loop->changed); /* the thread, runners and waiting posts give up */
    pthread_mutex_unlock(&loop->lock);
    if (loop->has_thread) {
        pthread_join(loop->thread, NULL);
    }
    pthread_mutex_lock(&loop->lock);
    while (loop->users > 0) {
        pthread_cond_wait(&loop->finished, &loop->lock);
    }
    pthread_mutex_unlock(&loop->lock);
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
    pthread_cond_destroy(&loop->finished);
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
    default_loop = NULL; /* no new user finds it; those inside it are waited for */
    pthread_mutex_unlock(&default_lock);
    return loop != NULL ? esp_event_loop_delete(loop) : ESP_ERR_INVALID_STATE;
}

/* The default loop, entered as a user (leave it with release_default()); NULL when there is none. */
static event_loop_t *use_default(void)
{
    pthread_mutex_lock(&default_lock);
    event_loop_t *loop = default_loop;
    if (loop != NULL) {
        enter_loop(loop);
        pthread_mutex_unlock(&loop->lock);
    }
    pthread_mutex_unlock(&default_lock);
    return loop;
}

static esp_err_t release_default(event_loop_t *loop, esp_err_t result)
{
    pthread_mutex_lock(&loop->lock);
    leave_loop(loop);
    return result;
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
    copy->refs = 1;
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

/* How many of r's calls in progress run on this thread, around the caller. */
static int own_calls(const registration_t *r)
{
    int n = 0;
    for (const running_call_t *c = calls_on_this_thread; c != NULL; c = c->outer) {
        n += c->registration == r;
    }
    return n;
}

/* Unlinks r and waits until its calls on other threads have returned (under the lock). */
static void unregister_and_wait(event_loop_t *loop, registration_t **link)
{
    registration_t *r = *link;
    *link = r->next;
    r->removed = true;
    int own = own_calls(r);
    while (r->running > own) {
        pthread_cond_wait(&loop->finished, &loop->lock);
    }
    release_registration(r);
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
    enter_loop(loop);
    for (registration_t **link = &loop->registrations; *link != NULL; link = &(*link)->next) {
        const registration_t *r = *link;
        bool same = instance != NULL ? (const void *)r == instance : r->legacy && r->handler == handler;
        if (same && r->base == base && r->id == id) {
            unregister_and_wait(loop, link);
            err = ESP_OK;
            break;
        }
    }
    leave_loop(loop);
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

esp_err_t esp_event_handler_instance_register(esp_event_base_t event_base, int32_t event_id,
                                              esp_event_handler_t event_handler, void *event_handler_arg,
                                              esp_event_handler_instance_t *instance)
{
    event_loop_t *loop = use_default();
    return loop != NULL ? release_default(loop, esp_event_handler_instance_register_with(loop, event_base, event_id,
                                                                                         event_handler,
                                                                                         event_handler_arg, instance))
                        : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_event_handler_instance_unregister(esp_event_base_t event_base, int32_t event_id,
                                                esp_event_handler_instance_t instance)
{
    event_loop_t *loop = use_default();
    return loop != NULL
               ? release_default(loop, esp_event_handler_instance_unregister_with(loop, event_base, event_id, instance))
               : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_event_handler_register(esp_event_base_t event_base, int32_t event_id, esp_event_handler_t event_handler,
                                     void *event_handler_arg)
{
    event_loop_t *loop = use_default();
    return loop != NULL ? release_default(loop, esp_event_handler_register_with(loop, event_base, event_id,
                                                                                event_handler, event_handler_arg))
                        : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_event_handler_unregister(esp_event_base_t event_base, int32_t event_id, esp_event_handler_t event_handler)
{
    event_loop_t *loop = use_default();
    return loop != NULL
               ? release_default(loop, esp_event_handler_unregister_with(loop, event_base, event_id, event_handler))
               : ESP_ERR_INVALID_STATE;
}

/* ---- posting ---- */

/* Waits for room in the queue (under the lock). @return ESP_OK; ESP_ERR_TIMEOUT (none came in
 * time); ESP_ERR_INVALID_STATE (the loop is being deleted). */
static esp_err_t wait_for_room(event_loop_t *loop, TickType_t ticks)
{
    esp_deadline_t deadline = deadline_after(ticks);
    while (loop->queued >= loop->capacity && !loop->stopping) {
        if (ticks == 0 || !wait_until(loop, deadline)) {
            break;
        }
    }
    if (loop->stopping) {
        return ESP_ERR_INVALID_STATE;
    }
    return loop->queued < loop->capacity ? ESP_OK : ESP_ERR_TIMEOUT;
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
    enter_loop(loop);
    esp_err_t err = wait_for_room(loop, ticks_to_wait);
    if (err == ESP_OK) {
        *(loop->tail != NULL ? &loop->tail->next : &loop->head) = event;
        loop->tail = event;
        loop->queued++;
        pthread_cond_broadcast(&loop->changed);
    }
    leave_loop(loop);
    if (err != ESP_OK) {
        free(event);
    }
    return err;
}

esp_err_t esp_event_post(esp_event_base_t event_base, int32_t event_id, const void *event_data, size_t event_data_size,
                         TickType_t ticks_to_wait)
{
    event_loop_t *loop = use_default();
    return loop != NULL ? release_default(loop, esp_event_post_to(loop, event_base, event_id, event_data,
                                                                  event_data_size, ticks_to_wait))
                        : ESP_ERR_INVALID_STATE;
}
