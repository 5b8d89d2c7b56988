/* esp_event: matching and calling order, copies of the data, registration and removal, a full
 * queue, the default loop's thread, handlers that change the registrations, bad arguments, and
 * the lifetimes: an unregister against a running dispatch, a delete against a waiting post. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "esp_deadline.h"
#include "esp_event.h"

ESP_EVENT_DEFINE_BASE(TEST_A);
ESP_EVENT_DEFINE_BASE(TEST_B);

/* Each call appends "<tag>:<base>:<id>:<data> " to the log of the test. */
typedef struct {
    char text[512];
    int calls;
    pthread_mutex_t lock;
    pthread_cond_t called;
} log_t;

static log_t the_log = { .lock = PTHREAD_MUTEX_INITIALIZER }; /* .called: made by main() */

#define GENEROUS_MS 20000 /* bound of every wait for something the test expects to happen */

static void logging_handler(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    pthread_mutex_lock(&the_log.lock);
    size_t used = strlen(the_log.text);
    snprintf(the_log.text + used, sizeof(the_log.text) - used, "%s:%s:%d:%s ", (const char *)arg, base, (int)id,
             data != NULL ? (const char *)data : "-");
    the_log.calls++;
    pthread_cond_broadcast(&the_log.called);
    pthread_mutex_unlock(&the_log.lock);
}

static int reset_log(void **state)
{
    (void)state;
    the_log.text[0] = '\0';
    the_log.calls = 0;
    return 0;
}

static esp_event_loop_handle_t loop_without_thread(int32_t queue_size)
{
    esp_event_loop_args_t args = { .queue_size = queue_size };
    esp_event_loop_handle_t loop = NULL;
    assert_int_equal(esp_event_loop_create(&args, &loop), ESP_OK);
    return loop;
}

static void post_and_run(esp_event_loop_handle_t loop, esp_event_base_t base, int32_t id, const char *data)
{
    assert_int_equal(esp_event_post_to(loop, base, id, data, data != NULL ? strlen(data) + 1 : 0, 0), ESP_OK);
    assert_int_equal(esp_event_loop_run(loop, 0), ESP_OK);
}

/* Any-base handlers first, then base-wide ones, then exact ones, each in registration order. */
static void test_matching_and_order(void **state)
{
    (void)state;
    esp_event_loop_handle_t loop = loop_without_thread(4);
    assert_int_equal(esp_event_handler_register_with(loop, TEST_A, 1, logging_handler, "exact1"), ESP_OK);
    assert_int_equal(esp_event_handler_register_with(loop, TEST_A, ESP_EVENT_ANY_ID, logging_handler, "base"), ESP_OK);
    assert_int_equal(esp_event_handler_register_with(loop, ESP_EVENT_ANY_BASE, ESP_EVENT_ANY_ID, logging_handler, "all"),
                     ESP_OK);
    assert_int_equal(esp_event_handler_register_with(loop, TEST_A, 1, logging_handler, "exact2"), ESP_OK);
    post_and_run(loop, TEST_A, 1, "x");
    assert_string_equal(the_log.text, "all:TEST_A:1:x base:TEST_A:1:x exact1:TEST_A:1:x exact2:TEST_A:1:x ");
    reset_log(NULL);
    post_and_run(loop, TEST_A, 2, NULL);
    post_and_run(loop, TEST_B, 1, NULL);
    assert_string_equal(the_log.text, "all:TEST_A:2:- base:TEST_A:2:- all:TEST_B:1:- ");
    assert_int_equal(esp_event_loop_delete(loop), ESP_OK); /* frees the registrations */
}

/* The handler sees the copy made at post time. */
static void test_data_is_copied(void **state)
{
    (void)state;
    esp_event_loop_handle_t loop = loop_without_thread(2);
    assert_int_equal(esp_event_handler_register_with(loop, TEST_A, 7, logging_handler, "h"), ESP_OK);
    char data[] = "before";
    assert_int_equal(esp_event_post_to(loop, TEST_A, 7, data, sizeof(data), 0), ESP_OK);
    memcpy(data, "after!", sizeof(data));
    assert_int_equal(esp_event_loop_run(loop, 0), ESP_OK);
    assert_string_equal(the_log.text, "h:TEST_A:7:before ");
    esp_event_loop_delete(loop);
}

static void test_unregister(void **state)
{
    (void)state;
    esp_event_loop_handle_t loop = loop_without_thread(4);
    esp_event_handler_instance_t one = NULL, two = NULL;
    assert_int_equal(esp_event_handler_instance_register_with(loop, TEST_A, 1, logging_handler, "one", &one), ESP_OK);
    assert_int_equal(esp_event_handler_instance_register_with(loop, TEST_A, 1, logging_handler, "two", &two), ESP_OK);
    assert_int_equal(esp_event_handler_register_with(loop, TEST_A, 1, logging_handler, "legacy"), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister_with(loop, TEST_A, 1, one), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister_with(loop, TEST_A, 1, one), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_event_handler_instance_unregister_with(loop, TEST_A, 2, two), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_event_handler_unregister_with(loop, TEST_A, 1, logging_handler), ESP_OK); /* the legacy one */
    post_and_run(loop, TEST_A, 1, NULL);
    assert_string_equal(the_log.text, "two:TEST_A:1:- ");
    assert_int_equal(esp_event_handler_unregister_with(loop, TEST_A, 1, logging_handler), ESP_ERR_NOT_FOUND);
    esp_event_loop_delete(loop);
}

typedef struct {
    esp_event_loop_handle_t loop;
    esp_event_handler_instance_t self;
} self_removing_t;

/* Removes its own registration and adds another, from inside the dispatch. */
static void self_removing_handler(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    self_removing_t *s = arg;
    logging_handler("self", base, id, data);
    assert_int_equal(esp_event_handler_instance_unregister_with(s->loop, base, id, s->self), ESP_OK);
    assert_int_equal(esp_event_handler_register_with(s->loop, base, id, logging_handler, "added"), ESP_OK);
}

static void test_handlers_change_registrations(void **state)
{
    (void)state;
    self_removing_t s = { .loop = loop_without_thread(4) };
    assert_int_equal(esp_event_handler_instance_register_with(s.loop, TEST_B, 3, self_removing_handler, &s, &s.self),
                     ESP_OK);
    post_and_run(s.loop, TEST_B, 3, NULL);
    post_and_run(s.loop, TEST_B, 3, NULL);
    assert_string_equal(the_log.text, "self:TEST_B:3:- added:TEST_B:3:- ");
    esp_event_loop_delete(s.loop);
}

static void *run_loop_until_deleted(void *loop)
{
    esp_event_loop_run(loop, portMAX_DELAY);
    return NULL;
}

/* Waits (bounded) until the handlers were called calls times in all. */
static void wait_for_calls(int calls)
{
    esp_deadline_t deadline = esp_deadline_in_ms(GENEROUS_MS);
    pthread_mutex_lock(&the_log.lock);
    int rc = 0;
    while (the_log.calls < calls && rc == 0) {
        rc = esp_deadline_cond_wait(&the_log.called, &the_log.lock, deadline);
    }
    pthread_mutex_unlock(&the_log.lock);
    assert_int_equal(the_log.calls, calls);
}

/* A full queue: a post that may not wait fails; one that waits gets in once the loop runs. */
static void test_full_queue(void **state)
{
    (void)state;
    esp_event_loop_handle_t loop = loop_without_thread(2);
    assert_int_equal(esp_event_handler_register_with(loop, TEST_A, ESP_EVENT_ANY_ID, logging_handler, "q"), ESP_OK);
    assert_int_equal(esp_event_post_to(loop, TEST_A, 1, NULL, 0, 0), ESP_OK);
    assert_int_equal(esp_event_post_to(loop, TEST_A, 2, NULL, 0, 0), ESP_OK);
    assert_int_equal(esp_event_post_to(loop, TEST_A, 3, NULL, 0, 0), ESP_ERR_TIMEOUT);
    assert_int_equal(esp_event_post_to(loop, TEST_A, 3, NULL, 0, 10), ESP_ERR_TIMEOUT);
    pthread_t runner;
    assert_int_equal(pthread_create(&runner, NULL, run_loop_until_deleted, loop), 0);
    assert_int_equal(esp_event_post_to(loop, TEST_A, 4, NULL, 0, portMAX_DELAY), ESP_OK);
    wait_for_calls(3);
    assert_string_equal(the_log.text, "q:TEST_A:1:- q:TEST_A:2:- q:TEST_A:4:- ");
    assert_int_equal(esp_event_loop_delete(loop), ESP_OK); /* after the runner has left the loop */
    pthread_join(runner, NULL);
}

/* The default loop dispatches on its own thread. */
static void test_default_loop(void **state)
{
    (void)state;
    assert_int_equal(esp_event_post(TEST_A, 1, NULL, 0, 0), ESP_ERR_INVALID_STATE); /* none yet */
    assert_int_equal(esp_event_handler_register(TEST_A, 1, logging_handler, "d"), ESP_ERR_INVALID_STATE);
    assert_int_equal(esp_event_loop_delete_default(), ESP_ERR_INVALID_STATE);
    assert_int_equal(esp_event_loop_create_default(), ESP_OK);
    assert_int_equal(esp_event_loop_create_default(), ESP_ERR_INVALID_STATE);
    esp_event_handler_instance_t instance;
    assert_int_equal(esp_event_handler_instance_register(TEST_A, 5, logging_handler, "d", &instance), ESP_OK);
    assert_int_equal(esp_event_post(TEST_A, 5, "threaded", 9, portMAX_DELAY), ESP_OK);
    wait_for_calls(1);
    assert_string_equal(the_log.text, "d:TEST_A:5:threaded ");
    assert_int_equal(esp_event_handler_instance_unregister(TEST_A, 5, instance), ESP_OK);
    assert_int_equal(esp_event_loop_delete_default(), ESP_OK);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    esp_event_loop_handle_t loop = NULL;
    esp_event_loop_args_t bad = { .queue_size = 0 };
    assert_int_equal(esp_event_loop_create(&bad, &loop), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_loop_create(NULL, &loop), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_loop_delete(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_loop_run(NULL, 0), ESP_ERR_INVALID_ARG);
    loop = loop_without_thread(1);
    assert_int_equal(esp_event_handler_register_with(loop, ESP_EVENT_ANY_BASE, 1, logging_handler, NULL),
                     ESP_ERR_INVALID_ARG); /* any base needs any id */
    assert_int_equal(esp_event_handler_register_with(loop, TEST_A, 1, NULL, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_handler_register_with(NULL, TEST_A, 1, logging_handler, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_handler_instance_unregister_with(loop, TEST_A, 1, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_post_to(loop, NULL, 1, NULL, 0, 0), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_post_to(loop, TEST_A, ESP_EVENT_ANY_ID, NULL, 0, 0), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_post_to(loop, TEST_A, 1, NULL, 4, 0), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_post_to(loop, TEST_A, 1, "left", 5, 0), ESP_OK); /* dropped by the delete */
    esp_event_loop_delete(loop);
}


/* ---- lifetimes ---- */

/* Something that happens once, waited for with a generous bound. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool set;
} flag_t;

static void flag_init(flag_t *f)
{
    *f = (flag_t){ .lock = PTHREAD_MUTEX_INITIALIZER };
    assert_int_equal(esp_deadline_cond_init(&f->cond), 0);
}

static void flag_set(flag_t *f)
{
    pthread_mutex_lock(&f->lock);
    f->set = true;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

/* @return whether the flag was set within ms. */
static bool flag_wait(flag_t *f, int ms)
{
    esp_deadline_t deadline = esp_deadline_in_ms(ms);
    pthread_mutex_lock(&f->lock);
    int rc = 0;
    while (!f->set && rc != ETIMEDOUT) {
        rc = esp_deadline_cond_wait(&f->cond, &f->lock, deadline);
    }
    bool set = f->set;
    pthread_mutex_unlock(&f->lock);
    return set;
}

static esp_event_loop_handle_t loop_with_thread(int32_t queue_size)
{
    esp_event_loop_args_t args = { .queue_size = queue_size, .task_name = "test" };
    esp_event_loop_handle_t loop = NULL;
    assert_int_equal(esp_event_loop_create(&args, &loop), ESP_OK);
    return loop;
}

/* A handler whose argument is heap memory it uses after sleeping: under ASan, a use after the
 * unregister's caller freed it is caught; without, `returned` tells. */
typedef struct {
    flag_t entered;
    atomic_bool returned;
} sleeper_t;

static sleeper_t the_sleeper;

static void sleeping_handler(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base, (void)id, (void)data;
    int *context = arg;
    flag_set(&the_sleeper.entered);
    usleep(200 * 1000); /* the unregister comes meanwhile */
    (*context)++;
    atomic_store(&the_sleeper.returned, true);
}

static void reset_sleeper(void)
{
    the_sleeper = (sleeper_t){ 0 };
    flag_init(&the_sleeper.entered);
}

/* unregister(); free(ctx); is safe: the unregister waits for the call in progress. */
static void test_unregister_waits_for_running_call(void **state)
{
    (void)state;
    reset_sleeper();
    esp_event_loop_handle_t loop = loop_with_thread(4);
    int *context = calloc(1, sizeof(int));
    esp_event_handler_instance_t instance = NULL;
    assert_int_equal(esp_event_handler_instance_register_with(loop, TEST_A, 1, sleeping_handler, context, &instance),
                     ESP_OK);
    assert_int_equal(esp_event_post_to(loop, TEST_A, 1, NULL, 0, portMAX_DELAY), ESP_OK);
    assert_true(flag_wait(&the_sleeper.entered, GENEROUS_MS));
    assert_int_equal(esp_event_handler_instance_unregister_with(loop, TEST_A, 1, instance), ESP_OK);
    assert_true(atomic_load(&the_sleeper.returned));
    free(context);
    assert_int_equal(esp_event_loop_delete(loop), ESP_OK);
}

/* The same through the default loop and the legacy call. */
static void test_default_unregister_waits_for_running_call(void **state)
{
    (void)state;
    reset_sleeper();
    assert_int_equal(esp_event_loop_create_default(), ESP_OK);
    int *context = calloc(1, sizeof(int));
    assert_int_equal(esp_event_handler_register(TEST_B, ESP_EVENT_ANY_ID, sleeping_handler, context), ESP_OK);
    assert_int_equal(esp_event_post(TEST_B, 2, NULL, 0, portMAX_DELAY), ESP_OK);
    assert_true(flag_wait(&the_sleeper.entered, GENEROUS_MS));
    assert_int_equal(esp_event_handler_unregister(TEST_B, ESP_EVENT_ANY_ID, sleeping_handler), ESP_OK);
    assert_true(atomic_load(&the_sleeper.returned));
    free(context);
    assert_int_equal(esp_event_loop_delete_default(), ESP_OK);
}

/* A handler that holds the dispatch until the test lets it go. */
typedef struct {
    flag_t entered, release;
} blocker_t;

static void blocker_init(blocker_t *b)
{
    flag_init(&b->entered);
    flag_init(&b->release);
}

static void blocking_handler(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base, (void)id, (void)data;
    blocker_t *b = arg;
    flag_set(&b->entered);
    assert_true(flag_wait(&b->release, GENEROUS_MS));
}

static atomic_int victim_calls;

static void victim_handler(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base, (void)id, (void)data;
    (*(int *)arg)++;
    atomic_fetch_add(&victim_calls, 1);
}

/* A handler unregistered while an earlier handler of the same event runs is not called for it. */
static void test_unregistered_handler_not_called_later(void **state)
{
    (void)state;
    blocker_t blocker;
    blocker_init(&blocker);
    atomic_store(&victim_calls, 0);
    esp_event_loop_handle_t loop = loop_with_thread(4);
    int *context = calloc(1, sizeof(int));
    esp_event_handler_instance_t victim = NULL;
    assert_int_equal(esp_event_handler_register_with(loop, TEST_A, 1, blocking_handler, &blocker), ESP_OK);
    assert_int_equal(esp_event_handler_instance_register_with(loop, TEST_A, 1, victim_handler, context, &victim),
                     ESP_OK);
    assert_int_equal(esp_event_post_to(loop, TEST_A, 1, NULL, 0, portMAX_DELAY), ESP_OK);
    assert_true(flag_wait(&blocker.entered, GENEROUS_MS));
    assert_int_equal(esp_event_handler_instance_unregister_with(loop, TEST_A, 1, victim), ESP_OK);
    free(context);
    flag_set(&blocker.release);
    assert_int_equal(esp_event_loop_delete(loop), ESP_OK); /* after the dispatch in progress */
    assert_int_equal(atomic_load(&victim_calls), 0);
}

/* From inside its own dispatch, even one nested in another loop's, an unregister does not wait
 * for itself. */
typedef struct {
    esp_event_loop_handle_t outer_loop, inner_loop;
    esp_event_handler_instance_t outer, inner;
    flag_t done;
} nested_t;

static void inner_handler(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)data;
    nested_t *n = arg;
    assert_int_equal(esp_event_handler_instance_unregister_with(n->outer_loop, TEST_A, 1, n->outer), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister_with(n->inner_loop, base, id, n->inner), ESP_OK);
}

static void outer_handler(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base, (void)id, (void)data;
    nested_t *n = arg;
    assert_int_equal(esp_event_post_to(n->inner_loop, TEST_B, 2, NULL, 0, 0), ESP_OK);
    assert_int_equal(esp_event_loop_run(n->inner_loop, 0), ESP_OK);
    flag_set(&n->done);
}

static void test_unregister_from_own_dispatch(void **state)
{
    (void)state;
    nested_t n = { .outer_loop = loop_with_thread(2), .inner_loop = loop_without_thread(2) };
    flag_init(&n.done);
    assert_int_equal(esp_event_handler_instance_register_with(n.outer_loop, TEST_A, 1, outer_handler, &n, &n.outer),
                     ESP_OK);
    assert_int_equal(esp_event_handler_instance_register_with(n.inner_loop, TEST_B, 2, inner_handler, &n, &n.inner),
                     ESP_OK);
    assert_int_equal(esp_event_post_to(n.outer_loop, TEST_A, 1, NULL, 0, portMAX_DELAY), ESP_OK);
    assert_true(flag_wait(&n.done, GENEROUS_MS));
    assert_int_equal(esp_event_loop_delete(n.outer_loop), ESP_OK);
    assert_int_equal(esp_event_loop_delete(n.inner_loop), ESP_OK);
}

/*
 * A delete against a post in progress. The test is linked with -Wl,--wrap=pthread_cond_wait and
 * -Wl,--wrap=pthread_mutex_lock, and a poster thread can park at one of two points of its post
 * until the delete has returned or a second has passed: in its first condition wait (it releases
 * the loop's lock and parks, as a spurious wakeup may), or before its second mutex lock (the
 * default loop's lock was the first; the loop's own is the second). A delete that frees the loop
 * under the poster returns in that second, and the poster's next step touches freed memory.
 */
int __real_pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex);
int __wrap_pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex);
int __real_pthread_mutex_lock(pthread_mutex_t *mutex);
int __wrap_pthread_mutex_lock(pthread_mutex_t *mutex);

typedef enum { PARK_IN_WAIT = 1, PARK_AT_SECOND_LOCK } park_point_t;

static _Thread_local park_point_t park_point; /* 0: this thread never parks */
static _Thread_local int locks_taken;

static struct {
    flag_t parked, deleted;
    atomic_bool deleted_under_poster;
} the_park;

static void park(void)
{
    park_point = 0;
    flag_set(&the_park.parked);
    atomic_store(&the_park.deleted_under_poster, flag_wait(&the_park.deleted, 1000));
}

int __wrap_pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
    if (park_point != PARK_IN_WAIT) {
        return __real_pthread_cond_wait(cond, mutex);
    }
    pthread_mutex_unlock(mutex);
    park();
    __real_pthread_mutex_lock(mutex);
    return 0;
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *mutex)
{
    if (park_point == PARK_AT_SECOND_LOCK && ++locks_taken == 2) {
        park();
    }
    return __real_pthread_mutex_lock(mutex);
}

/* loop, or the default loop when it is NULL. */
static esp_err_t post_on(esp_event_loop_handle_t loop, int32_t id, TickType_t ticks)
{
    return loop != NULL ? esp_event_post_to(loop, TEST_A, id, "data", 5, ticks)
                        : esp_event_post(TEST_A, id, "data", 5, ticks);
}

typedef struct {
    esp_event_loop_handle_t loop; /* NULL: the default loop */
    park_point_t park_point;
    esp_err_t result;
} poster_t;

static void *post_and_park(void *arg)
{
    poster_t *p = arg;
    park_point = p->park_point;
    locks_taken = 0;
    p->result = post_on(p->loop, 3, portMAX_DELAY);
    return NULL;
}

static void *delete_loop(void *arg)
{
    poster_t *p = arg;
    assert_int_equal(p->loop != NULL ? esp_event_loop_delete(p->loop) : esp_event_loop_delete_default(), ESP_OK);
    flag_set(&the_park.deleted);
    return NULL;
}

/* Starts poster, waits until it parked, deletes its loop from another thread and lets the
 * blocker's handler (if any) return. @return the poster's result. */
static esp_err_t delete_under_poster(poster_t *poster, blocker_t *blocker)
{
    flag_init(&the_park.parked);
    flag_init(&the_park.deleted);
    atomic_store(&the_park.deleted_under_poster, false);
    pthread_t thread, deleter;
    assert_int_equal(pthread_create(&thread, NULL, post_and_park, poster), 0);
    assert_true(flag_wait(&the_park.parked, GENEROUS_MS));
    assert_int_equal(pthread_create(&deleter, NULL, delete_loop, poster), 0);
    if (blocker != NULL) {
        flag_set(&blocker->release);
    }
    pthread_join(thread, NULL);
    pthread_join(deleter, NULL);
    assert_false(atomic_load(&the_park.deleted_under_poster));
    return poster->result;
}

/* Fills the queue of loop (NULL: the default one) while a handler holds its thread, and deletes
 * the loop under a post waiting for room: the post fails, the loop is freed after it. */
static void delete_under_waiting_post(esp_event_loop_handle_t loop, int32_t queue_size)
{
    blocker_t blocker;
    blocker_init(&blocker);
    assert_int_equal(loop != NULL ? esp_event_handler_register_with(loop, TEST_A, 1, blocking_handler, &blocker)
                                  : esp_event_handler_register(TEST_A, 1, blocking_handler, &blocker),
                     ESP_OK);
    assert_int_equal(post_on(loop, 1, portMAX_DELAY), ESP_OK);
    assert_true(flag_wait(&blocker.entered, GENEROUS_MS));
    for (int32_t i = 0; i < queue_size; i++) {
        assert_int_equal(post_on(loop, 2, 0), ESP_OK);
    }
    assert_int_equal(post_on(loop, 2, 0), ESP_ERR_TIMEOUT); /* full */
    poster_t poster = { .loop = loop, .park_point = PARK_IN_WAIT };
    assert_int_equal(delete_under_poster(&poster, &blocker), ESP_ERR_INVALID_STATE);
}

static void test_delete_waits_for_waiting_post(void **state)
{
    (void)state;
    delete_under_waiting_post(loop_with_thread(2), 2);
}

static void test_delete_default_waits_for_waiting_post(void **state)
{
    (void)state;
    assert_int_equal(esp_event_loop_create_default(), ESP_OK);
    delete_under_waiting_post(NULL, 32); /* the default loop's queue_size */
}

/* A post that has found the default loop but not yet entered it: the delete waits for it. */
static void test_delete_default_waits_for_entering_post(void **state)
{
    (void)state;
    assert_int_equal(esp_event_loop_create_default(), ESP_OK);
    poster_t poster = { .loop = NULL, .park_point = PARK_AT_SECOND_LOCK };
    esp_err_t result = delete_under_poster(&poster, NULL);
    /* Queued and dropped by the delete, or refused: the delete may start between its two steps. */
    assert_true(result == ESP_OK || result == ESP_ERR_INVALID_STATE);
}

/* An argument runs only the tests whose names match it (a cmocka filter). */
int main(int argc, char **argv)
{
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_matching_and_order, reset_log),
        cmocka_unit_test_setup(test_data_is_copied, reset_log),
        cmocka_unit_test_setup(test_unregister, reset_log),
        cmocka_unit_test_setup(test_handlers_change_registrations, reset_log),
        cmocka_unit_test_setup(test_full_queue, reset_log),
        cmocka_unit_test_setup(test_default_loop, reset_log),
        cmocka_unit_test_setup(test_bad_arguments, reset_log),
        cmocka_unit_test(test_unregister_waits_for_running_call),
        cmocka_unit_test(test_default_unregister_waits_for_running_call),
        cmocka_unit_test(test_unregistered_handler_not_called_later),
        cmocka_unit_test(test_unregister_from_own_dispatch),
        cmocka_unit_test(test_delete_waits_for_waiting_post),
        cmocka_unit_test(test_delete_default_waits_for_waiting_post),
        cmocka_unit_test(test_delete_default_waits_for_entering_post),
    };
    if (esp_deadline_cond_init(&the_log.called) != 0) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
