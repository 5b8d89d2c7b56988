/* esp_event: matching and calling order, copies of the data, registration and removal, a full
 * queue, the default loop's thread, handlers that change the registrations, and bad arguments. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

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

static log_t the_log = { .lock = PTHREAD_MUTEX_INITIALIZER, .called = PTHREAD_COND_INITIALIZER };

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

static void *run_loop_for_a_while(void *loop)
{
    esp_event_loop_run(loop, 2000);
    return NULL;
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
    assert_int_equal(pthread_create(&runner, NULL, run_loop_for_a_while, loop), 0);
    assert_int_equal(esp_event_post_to(loop, TEST_A, 4, NULL, 0, portMAX_DELAY), ESP_OK);
    pthread_join(runner, NULL);
    assert_string_equal(the_log.text, "q:TEST_A:1:- q:TEST_A:2:- q:TEST_A:4:- ");
    esp_event_loop_delete(loop);
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
    pthread_mutex_lock(&the_log.lock);
    while (the_log.calls == 0) {
        pthread_cond_wait(&the_log.called, &the_log.lock);
    }
    pthread_mutex_unlock(&the_log.lock);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_matching_and_order, reset_log),
        cmocka_unit_test_setup(test_data_is_copied, reset_log),
        cmocka_unit_test_setup(test_unregister, reset_log),
        cmocka_unit_test_setup(test_handlers_change_registrations, reset_log),
        cmocka_unit_test_setup(test_full_queue, reset_log),
        cmocka_unit_test_setup(test_default_loop, reset_log),
        cmocka_unit_test_setup(test_bad_arguments, reset_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
