/*
 * The FreeRTOS layer, call by call. Times are measured in ticks on the layer's own count: a wait
 * of n ticks must have let the count advance by n (exact on any machine); the upper bounds only
 * catch a wait that never ends, with a margin a loaded machine does not reach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

#define SLACK_TICKS (5 * configTICK_RATE_HZ) /* 5 s: only a hang goes beyond */
#define STACK 4096
#define BIT0 (1 << 0)
#define BIT1 (1 << 1)
#define BIT2 (1 << 2)

static void assert_waited(TickType_t start, TickType_t ticks)
{
    TickType_t elapsed = xTaskGetTickCount() - start;
    assert_true(elapsed >= ticks);
    assert_true(elapsed < ticks + SLACK_TICKS);
}

static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

/* Waits (a bounded number of ticks) for the process to have n threads. */
static void wait_thread_count(int n)
{
    for (int i = 0; i < SLACK_TICKS && thread_count() != n; i++) {
        vTaskDelay(1);
    }
    assert_int_equal(thread_count(), n);
}

static void test_constants(void **state)
{
    (void)state;
    assert_int_equal(configTICK_RATE_HZ, CONFIG_FREERTOS_HZ);
    assert_int_equal(portTICK_PERIOD_MS, 1000 / CONFIG_FREERTOS_HZ);
    assert_int_equal(pdMS_TO_TICKS(1000), configTICK_RATE_HZ);
    assert_int_equal(pdMS_TO_TICKS(10000), 10 * configTICK_RATE_HZ);
    assert_int_equal(pdMS_TO_TICKS(1000 / configTICK_RATE_HZ - 1), 0); /* rounds down */
    assert_int_equal(pdTICKS_TO_MS(configTICK_RATE_HZ), 1000);
    assert_int_equal(pdTICKS_TO_MS(1), portTICK_PERIOD_MS);
    assert_int_equal(portMAX_DELAY, 0xffffffffu);
    assert_int_equal(pdTRUE, 1);
    assert_int_equal(pdFALSE, 0);
    assert_int_equal(pdPASS, 1);
    assert_int_equal(pdFAIL, 0);
    assert_int_equal(sizeof(TickType_t), 4);
}

/* The count follows esp_timer_get_time() at the tick rate. */
static void test_tick_count_follows_the_clock(void **state)
{
    (void)state;
    TickType_t t0 = xTaskGetTickCount();
    int64_t us0 = esp_timer_get_time();
    vTaskDelay(3);
    TickType_t t1 = xTaskGetTickCount();
    int64_t us1 = esp_timer_get_time();
    /* Three tick boundaries were crossed: at least two whole periods passed. */
    assert_true(us1 - us0 >= 2 * 1000000 / configTICK_RATE_HZ);
    assert_true((int64_t)(t1 - t0) <= (us1 - us0) * configTICK_RATE_HZ / 1000000 + 1);
    assert_int_equal(xTaskGetTickCountFromISR() - t1 < SLACK_TICKS, 1);
}

static void test_delay(void **state)
{
    (void)state;
    TickType_t start = xTaskGetTickCount();
    vTaskDelay(pdMS_TO_TICKS(50));
    assert_waited(start, pdMS_TO_TICKS(50));
    start = xTaskGetTickCount();
    vTaskDelay(1);
    assert_waited(start, 1);
    start = xTaskGetTickCount();
    vTaskDelay(0); /* a yield */
    assert_waited(start, 0);
}

static void test_delay_until(void **state)
{
    (void)state;
    TickType_t wake = xTaskGetTickCount();
    TickType_t first = wake;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(xTaskDelayUntil(&wake, 4), pdTRUE);
        assert_true(xTaskGetTickCount() - wake < SLACK_TICKS);
        assert_true((TickType_t)(xTaskGetTickCount() - wake) < 0x80000000u); /* not before */
    }
    assert_int_equal(wake, first + 12);
    /* A wake time in the past: no delay, and the period still advances. */
    TickType_t past = xTaskGetTickCount() - 10;
    TickType_t before = past;
    assert_int_equal(xTaskDelayUntil(&past, 5), pdFALSE);
    assert_int_equal(past, before + 5);
    TickType_t macro_wake = xTaskGetTickCount();
    TickType_t start = macro_wake;
    vTaskDelayUntil(&macro_wake, 2);
    assert_int_equal(macro_wake, start + 2);
    assert_waited(start, 2);
}

typedef struct {
    EventGroupHandle_t group;
    QueueHandle_t queue;
    SemaphoreHandle_t sem;
    TaskHandle_t self_seen;
    char name[configMAX_TASK_NAME_LEN];
    UBaseType_t priority;
    int value;
} ctx_t;

static void reporting_task(void *arg)
{
    ctx_t *ctx = arg;
    ctx->self_seen = xTaskGetCurrentTaskHandle();
    snprintf(ctx->name, sizeof(ctx->name), "%s", pcTaskGetName(NULL));
    ctx->priority = uxTaskPriorityGet(NULL);
    xEventGroupSetBits(ctx->group, BIT0);
    vTaskDelete(NULL);
}

static void test_task_create(void **state)
{
    (void)state;
    ctx_t ctx = { .group = xEventGroupCreate() };
    assert_non_null(ctx.group);
    int threads = thread_count();
    TaskHandle_t handle = NULL;
    assert_int_equal(xTaskCreate(reporting_task, "reporter-with-a-long-name", STACK, &ctx, 5, &handle), pdPASS);
    assert_non_null(handle);
    assert_int_equal(xEventGroupWaitBits(ctx.group, BIT0, pdFALSE, pdFALSE, SLACK_TICKS) & BIT0, BIT0);
    assert_ptr_equal(ctx.self_seen, handle);
    assert_string_equal(ctx.name, "reporter-with-a"); /* configMAX_TASK_NAME_LEN - 1 characters */
    assert_int_equal(ctx.priority, 5);
    wait_thread_count(threads); /* vTaskDelete(NULL) ended it */
    /* Pinned: the core is ignored. */
    ctx.self_seen = NULL;
    xEventGroupClearBits(ctx.group, BIT0);
    assert_int_equal(xTaskCreatePinnedToCore(reporting_task, "pinned", STACK, &ctx, 3, NULL, 1), pdPASS);
    assert_int_equal(xEventGroupWaitBits(ctx.group, BIT0, pdTRUE, pdFALSE, SLACK_TICKS) & BIT0, BIT0);
    assert_string_equal(ctx.name, "pinned");
    wait_thread_count(threads);
    vEventGroupDelete(ctx.group);
}

static void test_current_task_of_main(void **state)
{
    (void)state;
    TaskHandle_t me = xTaskGetCurrentTaskHandle();
    assert_non_null(me);
    assert_ptr_equal(me, xTaskGetCurrentTaskHandle());
    assert_string_equal(pcTaskGetName(me), "main");
    assert_int_equal(uxTaskPriorityGet(NULL), 0);
}

static void blocked_receiver(void *arg)
{
    ctx_t *ctx = arg;
    int v;
    xQueueReceive(ctx->queue, &v, portMAX_DELAY);
    ctx->value = v; /* not reached: deleted while blocked */
    vTaskDelete(NULL);
}

static void blocked_waiter(void *arg)
{
    ctx_t *ctx = arg;
    xEventGroupWaitBits(ctx->group, BIT1, pdTRUE, pdFALSE, portMAX_DELAY);
    ctx->value = 1;
    vTaskDelete(NULL);
}

static void blocked_sleeper(void *arg)
{
    (void)arg;
    for (;;) {
        vTaskDelay(portMAX_DELAY);
    }
}

/* Deleting a task blocked in a queue, an event group or a delay ends it there: its thread goes,
 * and it leaves nothing behind in what it waited on. */
static void test_task_delete_by_handle(void **state)
{
    (void)state;
    ctx_t ctx = { .queue = xQueueCreate(2, sizeof(int)), .group = xEventGroupCreate() };
    int threads = thread_count();
    TaskHandle_t receiver, waiter, sleeper;
    assert_int_equal(xTaskCreate(blocked_receiver, "receiver", STACK, &ctx, 1, &receiver), pdPASS);
    assert_int_equal(xTaskCreate(blocked_waiter, "waiter", STACK, &ctx, 1, &waiter), pdPASS);
    assert_int_equal(xTaskCreate(blocked_sleeper, "sleeper", STACK, NULL, 1, &sleeper), pdPASS);
    wait_thread_count(threads + 3);
    vTaskDelay(2); /* let them block */
    vTaskDelete(receiver);
    vTaskDelete(waiter);
    vTaskDelete(sleeper);
    wait_thread_count(threads);
    int v = 7;
    assert_int_equal(xQueueSend(ctx.queue, &v, 0), pdPASS);
    assert_int_equal(uxQueueMessagesWaiting(ctx.queue), 1); /* nobody took it */
    /* The deleted waiter (clear-on-exit) is no longer in the group: the bit stays set. */
    assert_int_equal(xEventGroupSetBits(ctx.group, BIT1), BIT1);
    assert_int_equal(xEventGroupGetBits(ctx.group), BIT1);
    assert_int_equal(ctx.value, 0);
    vQueueDelete(ctx.queue);
    vEventGroupDelete(ctx.group);
}

static void test_queue_order_and_counts(void **state)
{
    (void)state;
    assert_null(xQueueCreate(0, sizeof(int)));
    QueueHandle_t q = xQueueCreate(3, sizeof(int));
    assert_non_null(q);
    int a = 1, b = 2, c = 3, out = 0;
    assert_int_equal(uxQueueSpacesAvailable(q), 3);
    assert_int_equal(xQueueSend(q, &a, 0), pdPASS);
    assert_int_equal(xQueueSendToBack(q, &b, 0), pdPASS);
    assert_int_equal(xQueueSendToFront(q, &c, 0), pdPASS);
    assert_int_equal(uxQueueMessagesWaiting(q), 3);
    assert_int_equal(uxQueueSpacesAvailable(q), 0);
    assert_int_equal(xQueuePeek(q, &out, 0), pdPASS);
    assert_int_equal(out, 3);
    for (int expected = 3, i = 0; i < 3; i++, expected = i) {
        assert_int_equal(xQueueReceive(q, &out, 0), pdPASS);
        assert_int_equal(out, expected);
    }
    assert_int_equal(xQueueReceive(q, &out, 0), errQUEUE_EMPTY);
    BaseType_t woken = pdTRUE;
    assert_int_equal(xQueueSendFromISR(q, &a, &woken), pdPASS);
    assert_int_equal(woken, pdFALSE);
    assert_int_equal(xQueueReset(q), pdPASS);
    assert_int_equal(uxQueueMessagesWaiting(q), 0);
    vQueueDelete(q);

    QueueHandle_t box = xQueueCreate(1, sizeof(int));
    assert_int_equal(xQueueOverwrite(box, &a), pdPASS);
    assert_int_equal(xQueueOverwrite(box, &b), pdPASS);
    assert_int_equal(uxQueueMessagesWaiting(box), 1);
    assert_int_equal(xQueueReceiveFromISR(box, &out, NULL), pdPASS);
    assert_int_equal(out, 2);
    vQueueDelete(box);
}

static void test_queue_timeouts(void **state)
{
    (void)state;
    QueueHandle_t q = xQueueCreate(1, sizeof(int));
    int v = 1;
    TickType_t start = xTaskGetTickCount();
    assert_int_equal(xQueueReceive(q, &v, 5), errQUEUE_EMPTY);
    assert_waited(start, 5);
    assert_int_equal(xQueueSend(q, &v, 0), pdPASS);
    start = xTaskGetTickCount();
    assert_int_equal(xQueueSend(q, &v, 5), errQUEUE_FULL);
    assert_waited(start, 5);
    assert_int_equal(xQueueSendFromISR(q, &v, NULL), errQUEUE_FULL);
    vQueueDelete(q);
}

static void delayed_sender(void *arg)
{
    ctx_t *ctx = arg;
    vTaskDelay(3);
    int v = 42;
    xQueueSend(ctx->queue, &v, portMAX_DELAY);
    vTaskDelete(NULL);
}

static void test_queue_between_tasks(void **state)
{
    (void)state;
    ctx_t ctx = { .queue = xQueueCreate(1, sizeof(int)) };
    TickType_t start = xTaskGetTickCount();
    assert_int_equal(xTaskCreate(delayed_sender, "sender", STACK, &ctx, 1, NULL), pdPASS);
    int v = 0;
    assert_int_equal(xQueueReceive(ctx.queue, &v, portMAX_DELAY), pdPASS);
    assert_int_equal(v, 42);
    assert_waited(start, 3);
    /* A full queue: the sender waits for room. */
    assert_int_equal(xQueueSend(ctx.queue, &v, 0), pdPASS);
    assert_int_equal(xTaskCreate(delayed_sender, "sender", STACK, &ctx, 1, NULL), pdPASS);
    vTaskDelay(6);
    assert_int_equal(xQueueReceive(ctx.queue, &v, 0), pdPASS);
    assert_int_equal(v, 42);
    assert_int_equal(xQueueReceive(ctx.queue, &v, SLACK_TICKS), pdPASS);
    assert_int_equal(v, 42);
    vQueueDelete(ctx.queue);
}

static void test_binary_and_counting(void **state)
{
    (void)state;
    SemaphoreHandle_t bin = xSemaphoreCreateBinary();
    assert_non_null(bin);
    TickType_t start = xTaskGetTickCount();
    assert_int_equal(xSemaphoreTake(bin, 4), pdFALSE); /* starts empty */
    assert_waited(start, 4);
    assert_int_equal(xSemaphoreGive(bin), pdTRUE);
    assert_int_equal(xSemaphoreGive(bin), pdFALSE);
    assert_int_equal(uxSemaphoreGetCount(bin), 1);
    assert_int_equal(xSemaphoreTake(bin, 0), pdTRUE);
    BaseType_t woken = pdTRUE;
    assert_int_equal(xSemaphoreGiveFromISR(bin, &woken), pdTRUE);
    assert_int_equal(woken, pdFALSE);
    assert_int_equal(xSemaphoreTakeFromISR(bin, NULL), pdTRUE);
    vSemaphoreDelete(bin);

    assert_null(xSemaphoreCreateCounting(2, 3));
    SemaphoreHandle_t counting = xSemaphoreCreateCounting(2, 1);
    assert_int_equal(uxSemaphoreGetCount(counting), 1);
    assert_int_equal(xSemaphoreGive(counting), pdTRUE);
    assert_int_equal(xSemaphoreGive(counting), pdFALSE);
    assert_int_equal(xSemaphoreTake(counting, 0), pdTRUE);
    assert_int_equal(xSemaphoreTake(counting, 0), pdTRUE);
    assert_int_equal(xSemaphoreTake(counting, 0), pdFALSE);
    vSemaphoreDelete(counting);
}

static void other_taker(void *arg)
{
    ctx_t *ctx = arg;
    ctx->value = xSemaphoreGive(ctx->sem) == pdFALSE;              /* not the holder */
    TickType_t start = xTaskGetTickCount();
    ctx->value &= xSemaphoreTake(ctx->sem, 3) == pdFALSE;          /* held */
    ctx->value &= xTaskGetTickCount() - start >= 3;
    ctx->value &= xSemaphoreTakeRecursive(ctx->sem, 0) == pdFALSE; /* either kind, held */
    xEventGroupSetBits(ctx->group, BIT0);
    ctx->value &= xSemaphoreTake(ctx->sem, SLACK_TICKS) == pdTRUE; /* given back */
    ctx->value &= xSemaphoreGetMutexHolder(ctx->sem) == xTaskGetCurrentTaskHandle();
    xSemaphoreGive(ctx->sem);
    xEventGroupSetBits(ctx->group, BIT1);
    vTaskDelete(NULL);
}

static void run_other_taker(ctx_t *ctx)
{
    assert_int_equal(xTaskCreate(other_taker, "taker", STACK, ctx, 1, NULL), pdPASS);
    assert_int_equal(xEventGroupWaitBits(ctx->group, BIT0, pdTRUE, pdFALSE, SLACK_TICKS) & BIT0, BIT0);
}

static void test_mutex(void **state)
{
    (void)state;
    ctx_t ctx = { .sem = xSemaphoreCreateMutex(), .group = xEventGroupCreate() };
    assert_null(xSemaphoreGetMutexHolder(ctx.sem));
    assert_int_equal(xSemaphoreTake(ctx.sem, 0), pdTRUE);
    assert_ptr_equal(xSemaphoreGetMutexHolder(ctx.sem), xTaskGetCurrentTaskHandle());
    assert_int_equal(xSemaphoreTake(ctx.sem, 2), pdFALSE); /* not recursive */
    run_other_taker(&ctx);
    assert_int_equal(xSemaphoreGive(ctx.sem), pdTRUE);
    assert_int_equal(xEventGroupWaitBits(ctx.group, BIT1, pdTRUE, pdFALSE, SLACK_TICKS) & BIT1, BIT1);
    assert_int_equal(ctx.value, 1);
    assert_null(xSemaphoreGetMutexHolder(ctx.sem));
    vSemaphoreDelete(ctx.sem);
    vEventGroupDelete(ctx.group);
}

static void test_recursive_mutex(void **state)
{
    (void)state;
    ctx_t ctx = { .sem = xSemaphoreCreateRecursiveMutex(), .group = xEventGroupCreate() };
    assert_int_equal(xSemaphoreGiveRecursive(ctx.sem), pdFALSE); /* not held */
    assert_int_equal(xSemaphoreTakeRecursive(ctx.sem, 0), pdTRUE);
    assert_int_equal(xSemaphoreTakeRecursive(ctx.sem, 0), pdTRUE);
    run_other_taker(&ctx);
    assert_int_equal(xSemaphoreGiveRecursive(ctx.sem), pdTRUE);
    /* Still held once: the other task still waits. */
    assert_int_equal(xEventGroupWaitBits(ctx.group, BIT1, pdFALSE, pdFALSE, 3) & BIT1, 0);
    assert_ptr_equal(xSemaphoreGetMutexHolder(ctx.sem), xTaskGetCurrentTaskHandle());
    assert_int_equal(xSemaphoreGiveRecursive(ctx.sem), pdTRUE);
    assert_int_equal(xEventGroupWaitBits(ctx.group, BIT1, pdTRUE, pdFALSE, SLACK_TICKS) & BIT1, BIT1);
    assert_int_equal(ctx.value, 1);
    assert_int_equal(xSemaphoreGiveRecursive(ctx.sem), pdFALSE);
    vSemaphoreDelete(ctx.sem);
    vEventGroupDelete(ctx.group);
}

static void test_event_bits(void **state)
{
    (void)state;
    EventGroupHandle_t g = xEventGroupCreate();
    assert_non_null(g);
    assert_int_equal(xEventGroupGetBits(g), 0);
    assert_int_equal(xEventGroupSetBits(g, BIT0 | BIT2), BIT0 | BIT2);
    assert_int_equal(xEventGroupClearBits(g, BIT0), BIT0 | BIT2); /* the bits before */
    assert_int_equal(xEventGroupGetBits(g), BIT2);
    BaseType_t woken = pdTRUE;
    assert_int_equal(xEventGroupSetBitsFromISR(g, BIT1, &woken), pdPASS);
    assert_int_equal(woken, pdFALSE);
    assert_int_equal(xEventGroupGetBits(g), BIT1 | BIT2);
    vEventGroupDelete(g);
}

static void test_event_wait(void **state)
{
    (void)state;
    EventGroupHandle_t g = xEventGroupCreate();
    xEventGroupSetBits(g, BIT0);
    /* any: met at once, left set */
    assert_int_equal(xEventGroupWaitBits(g, BIT0 | BIT1, pdFALSE, pdFALSE, 0), BIT0);
    assert_int_equal(xEventGroupGetBits(g), BIT0);
    /* all: not met; the timeout gives the bits as they are */
    TickType_t start = xTaskGetTickCount();
    assert_int_equal(xEventGroupWaitBits(g, BIT0 | BIT1, pdTRUE, pdTRUE, 4), BIT0);
    assert_waited(start, 4);
    assert_int_equal(xEventGroupGetBits(g), BIT0); /* no clearing on a timeout */
    xEventGroupSetBits(g, BIT1 | BIT2);
    /* all, clear on exit: the waited bits go, the others stay */
    assert_int_equal(xEventGroupWaitBits(g, BIT0 | BIT1, pdTRUE, pdTRUE, 0), BIT0 | BIT1 | BIT2);
    assert_int_equal(xEventGroupGetBits(g), BIT2);
    vEventGroupDelete(g);
}

static void bit1_waiter(void *arg)
{
    ctx_t *ctx = arg;
    EventBits_t seen = xEventGroupWaitBits(ctx->group, BIT1, pdTRUE, pdFALSE, SLACK_TICKS);
    xQueueSend(ctx->queue, &seen, portMAX_DELAY);
    vTaskDelete(NULL);
}

/* One set releases every waiter it meets, and clears only after. */
static void test_event_set_releases_all_waiters(void **state)
{
    (void)state;
    ctx_t ctx = { .group = xEventGroupCreate(), .queue = xQueueCreate(2, sizeof(EventBits_t)) };
    int threads = thread_count();
    assert_int_equal(xTaskCreate(bit1_waiter, "w1", STACK, &ctx, 1, NULL), pdPASS);
    assert_int_equal(xTaskCreate(bit1_waiter, "w2", STACK, &ctx, 1, NULL), pdPASS);
    vTaskDelay(5); /* both block */
    EventBits_t seen = 0;
    assert_int_equal(xQueueReceive(ctx.queue, &seen, 0), errQUEUE_EMPTY);
    assert_int_equal(xEventGroupSetBits(ctx.group, BIT1 | BIT2), BIT2); /* BIT1 consumed */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(xQueueReceive(ctx.queue, &seen, SLACK_TICKS), pdPASS);
        assert_int_equal(seen, BIT1 | BIT2);
    }
    wait_thread_count(threads);
    vQueueDelete(ctx.queue);
    vEventGroupDelete(ctx.group);
}

/* Runs fn in a child process: it must abort, saying `message` on stderr. */
static void assert_aborts(void (*fn)(void), const char *message)
{
    int err[2];
    assert_int_equal(pipe(err), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(err[1], 2);
        fn();
        _exit(0);
    }
    close(err[1]);
    char text[512] = "";
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(text) - 1 && (n = read(err[0], text + len, sizeof(text) - 1 - len)) > 0) {
        len += (size_t)n;
    }
    close(err[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    if (strstr(text, message) == NULL) {
        fail_msg("expected \"%s\" in: %s", message, text);
    }
}

static void set_control_bits(void)
{
    EventGroupHandle_t g = xEventGroupCreate();
    xEventGroupSetBits(g, 0x01000000);
}

static void take_null(void)
{
    xSemaphoreTake(NULL, 0);
}

static void returning_task(void *arg)
{
    (void)arg;
}

static void create_returning_task(void)
{
    xTaskCreate(returning_task, "returner", STACK, NULL, 1, NULL);
    vTaskDelay(SLACK_TICKS);
}

static void test_assertions_abort(void **state)
{
    (void)state;
    assert_aborts(set_control_bits, "assert failed: xEventGroupSetBits");
    assert_aborts(take_null, "assert failed: receive");
    assert_aborts(create_returning_task, "task returner returned from its function");
}

static void quitting_task(void *arg)
{
    (void)arg;
    vTaskDelete(NULL);
}

int main(void)
{
    /* ThreadSanitizer starts a thread of its own at the first pthread_create(): before the
     * tests count threads. */
    xTaskCreate(quitting_task, "warm-up", STACK, NULL, 1, NULL);
    vTaskDelay(pdMS_TO_TICKS(100));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_tick_count_follows_the_clock),
        cmocka_unit_test(test_delay),
        cmocka_unit_test(test_delay_until),
        cmocka_unit_test(test_task_create),
        cmocka_unit_test(test_current_task_of_main),
        cmocka_unit_test(test_task_delete_by_handle),
        cmocka_unit_test(test_queue_order_and_counts),
        cmocka_unit_test(test_queue_timeouts),
        cmocka_unit_test(test_queue_between_tasks),
        cmocka_unit_test(test_binary_and_counting),
        cmocka_unit_test(test_mutex),
        cmocka_unit_test(test_recursive_mutex),
        cmocka_unit_test(test_event_bits),
        cmocka_unit_test(test_event_wait),
        cmocka_unit_test(test_event_set_releases_all_waiters),
        cmocka_unit_test(test_assertions_abort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
